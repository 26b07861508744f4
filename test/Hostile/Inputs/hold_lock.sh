#!/bin/sh
# hold_lock.sh [--kill] DIR LISTING CMD...
# Runs CMD while another process holds an exclusive flock(1) on DIR for
# 3 seconds, and writes what DIR holds just before that lock is released to
# LISTING. With --kill, CMD is killed with SIGKILL while the lock is held.
kill_it=0
[ "$1" = "--kill" ] && { kill_it=1; shift; }
dir=$1 listing=$2
shift 2
flock "$dir" sh -c "sleep 3; ls '$dir' > '$listing'" &
locker=$!
sleep 0.5 # the lock is taken before CMD starts
if [ $kill_it -eq 1 ]; then
  "$@" &
  cmd=$!
  sleep 2
  kill -9 $cmd
  wait $cmd
  rc=0
else
  "$@"
  rc=$?
fi
wait $locker
exit $rc
