//===- AtomicFile.cpp - write outputs through temporary files -------------===//
#include "trm/Import/AtomicFile.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

using namespace mlir::trm;

AtomicFile::AtomicFile(std::string target, llvm::sys::fs::TempFile temp)
    : target(std::move(target)), temp(std::move(temp)) {
  stream = std::make_unique<llvm::raw_fd_ostream>(this->temp->FD,
                                                  /*shouldClose=*/false);
}

AtomicFile::AtomicFile(std::string target,
                       std::unique_ptr<llvm::raw_fd_ostream> direct)
    : target(std::move(target)), stream(std::move(direct)) {}

llvm::Expected<AtomicFile> AtomicFile::create(llvm::StringRef path) {
  auto error = [&](const llvm::Twine &msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   (path + ": " + msg).str());
  };
  if (path.empty() || path == "-")
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "an output file name is required");
  llvm::sys::fs::file_status status;
  if (!llvm::sys::fs::status(path, status) &&
      llvm::sys::fs::exists(status) &&
      !llvm::sys::fs::is_regular_file(status)) {
    if (llvm::sys::fs::is_directory(status))
      return error("is a directory");
    std::error_code ec;
    auto direct = std::make_unique<llvm::raw_fd_ostream>(
        path, ec, llvm::sys::fs::OF_None);
    if (ec)
      return error("cannot open: " + ec.message());
    return AtomicFile(path.str(), std::move(direct));
  }
  auto temp = llvm::sys::fs::TempFile::create(path + ".tmp%%%%%%");
  if (!temp)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        (path + ": cannot create a temporary file beside it: " +
         llvm::toString(temp.takeError()))
            .str());
  return AtomicFile(path.str(), std::move(*temp));
}

AtomicFile::AtomicFile(AtomicFile &&other)
    : target(std::move(other.target)), temp(std::move(other.temp)),
      stream(std::move(other.stream)) {
  other.temp.reset();
}

AtomicFile &AtomicFile::operator=(AtomicFile &&other) {
  if (this != &other) {
    discard();
    target = std::move(other.target);
    temp = std::move(other.temp);
    stream = std::move(other.stream);
    other.temp.reset();
  }
  return *this;
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() {
  if (stream) {
    stream->clear_error();
    stream.reset();
  }
  if (temp) {
    llvm::consumeError(temp->discard());
    temp.reset();
  }
}

llvm::Error AtomicFile::finish() {
  if (!stream)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   target + ": output already closed");
  // A direct stream owns its descriptor: closing it is the last write.
  if (temp)
    stream->flush();
  else
    stream->close();
  if (std::error_code ec = stream->error()) {
    discard();
    return llvm::createStringError(ec, target + ": cannot write: " +
                                           ec.message());
  }
  stream.reset();
  return llvm::Error::success();
}

llvm::Error AtomicFile::install() {
  if (!temp)
    return llvm::Error::success();
  llvm::Error err = temp->keep(target);
  if (err) {
    std::string msg = llvm::toString(std::move(err));
    // keep() failing leaves the temporary file: remove it.
    llvm::consumeError(temp->discard());
    temp.reset();
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   target + ": cannot write: " + msg);
  }
  temp.reset();
  return llvm::Error::success();
}

llvm::Error AtomicFile::commit() {
  if (llvm::Error err = finish())
    return err;
  return install();
}

/// The directory part of `path`, canonical (it exists: the temporary file
/// beside the destination was created in it).
static std::string canonicalDirectory(llvm::StringRef path) {
  llvm::StringRef parent = llvm::sys::path::parent_path(path);
  llvm::SmallString<256> real;
  if (llvm::sys::fs::real_path(parent.empty() ? "." : parent, real))
    return parent.str();
  return std::string(real);
}

llvm::Expected<llvm::raw_ostream &> OutputSet::add(llvm::StringRef path) {
  auto file = AtomicFile::create(path);
  if (!file)
    return file.takeError();
  llvm::SmallString<256> key(canonicalDirectory(path));
  llvm::sys::path::append(key, llvm::sys::path::filename(path));
  if (llvm::is_contained(keys, key.str()))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   (path + ": named for two outputs").str());
  keys.push_back(key.str().str());
  files.push_back(std::make_unique<AtomicFile>(std::move(*file)));
  return files.back()->os();
}

namespace {
/// Exclusive flock()s on directories, released on destruction.
class DirectoryLocks {
public:
  explicit DirectoryLocks(std::vector<std::string> dirs) {
    // One order for every process, so that two sets never deadlock.
    llvm::sort(dirs);
    dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
    for (const std::string &dir : dirs) {
      int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0)
        continue;
      while (::flock(fd, LOCK_EX) != 0 && errno == EINTR) {
      }
      fds.push_back(fd);
    }
  }
  ~DirectoryLocks() {
    for (int fd : fds)
      ::close(fd); // closing the descriptor releases its lock
  }

private:
  std::vector<int> fds;
};
} // namespace

llvm::Error OutputSet::commit() {
  llvm::Error errors = llvm::Error::success();
  for (auto &file : files)
    errors = llvm::joinErrors(std::move(errors), file->finish());
  if (errors) {
    files.clear();
    keys.clear();
    return errors;
  }
  // Each key is the file's canonical directory and its name (add()).
  std::vector<std::string> dirs;
  for (auto [file, key] : llvm::zip(files, keys))
    if (file->isTemporary())
      dirs.push_back(llvm::sys::path::parent_path(key).str());
  DirectoryLocks locks(std::move(dirs));
  for (auto &file : files)
    errors = llvm::joinErrors(std::move(errors), file->install());
  files.clear();
  keys.clear();
  return errors;
}

llvm::Error mlir::trm::writeFileAtomically(llvm::StringRef path,
                                           llvm::StringRef contents) {
  auto file = AtomicFile::create(path);
  if (!file)
    return file.takeError();
  file->os() << contents;
  return file->commit();
}
