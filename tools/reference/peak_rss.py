#!/usr/bin/python3
"""Run a command and write its peak resident set size, in MiB, to a file.

    /usr/bin/python3 tools/reference/peak_rss.py OUT.txt COMMAND [ARGS...]

The command's stdout and stderr pass through; the exit status is the
command's. The figure is the kernel's ru_maxrss for the child (Linux: KiB).
"""
import resource
import subprocess
import sys


def main():
    out, command = sys.argv[1], sys.argv[2:]
    status = subprocess.call(command)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(out, "w") as f:
        f.write("%.1f\n" % (peak_kib / 1024.0))
    sys.exit(status)


if __name__ == "__main__":
    main()
