//===- AtomicFile.cpp - write outputs through temporary files -------------===//
#include "trm/Import/AtomicFile.h"

#include "llvm/Support/Path.h"

using namespace mlir::trm;

AtomicFile::AtomicFile(std::string target, llvm::sys::fs::TempFile temp)
    : target(std::move(target)), temp(std::move(temp)) {
  stream = std::make_unique<llvm::raw_fd_ostream>(this->temp->FD,
                                                  /*shouldClose=*/false);
}

llvm::Expected<AtomicFile> AtomicFile::create(llvm::StringRef path) {
  if (path.empty() || path == "-")
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "an output file name is required");
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

llvm::Error AtomicFile::commit() {
  if (!temp || !stream)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   target + ": output already closed");
  stream->flush();
  if (std::error_code ec = stream->error()) {
    discard();
    return llvm::createStringError(ec, target + ": cannot write: " +
                                           ec.message());
  }
  stream.reset();
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

llvm::Error mlir::trm::writeFileAtomically(llvm::StringRef path,
                                           llvm::StringRef contents) {
  auto file = AtomicFile::create(path);
  if (!file)
    return file.takeError();
  file->os() << contents;
  return file->commit();
}
