//===- ArcJournal.cpp - an ARC evaluation's finished tasks on disk --------===//
#include "ArcJournal.h"

#include "trm/ARC/GridJson.h"
#include "trm/Import/AtomicFile.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

using namespace trmrun;
namespace arc = mlir::trm::arc;
namespace json = llvm::json;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// The header line's format tag.
static constexpr llvm::StringLiteral kFormat = "trm-run arc results 1";

static std::string headerLine(llvm::StringRef run) {
  std::string text;
  llvm::raw_string_ostream os(text);
  json::OStream j(os);
  j.object([&] {
    j.attribute("format", kFormat);
    j.attribute("run", run);
  });
  return text + "\n";
}

static std::string taskLine(llvm::StringRef id, const ArcTaskResult &result) {
  std::string text;
  llvm::raw_string_ostream os(text);
  json::OStream j(os);
  j.object([&] {
    j.attribute("task", id);
    j.attributeArray("candidates", [&] {
      for (const auto &test : result)
        j.array([&] {
          for (const arc::Candidate &c : test)
            arc::writeCandidateJson(j, c);
        });
    });
  });
  return text + "\n";
}

/// A task line read back; std::nullopt for anything else (a torn line).
static std::optional<std::pair<std::string, ArcTaskResult>>
parseTaskLine(llvm::StringRef line,
              const std::function<int64_t(llvm::StringRef)> &testsOf) {
  auto value = json::parse(line);
  if (!value) {
    llvm::consumeError(value.takeError());
    return std::nullopt;
  }
  const json::Object *object = value->getAsObject();
  std::optional<llvm::StringRef> id =
      object ? object->getString("task") : std::nullopt;
  const json::Array *tests = object ? object->getArray("candidates") : nullptr;
  if (!id || !tests || testsOf(*id) != int64_t(tests->size()))
    return std::nullopt;
  ArcTaskResult result;
  for (const json::Value &test : *tests) {
    const json::Array *candidates = test.getAsArray();
    if (!candidates)
      return std::nullopt;
    result.emplace_back();
    for (const json::Value &c : *candidates) {
      const json::Object *fields = c.getAsObject();
      if (!fields)
        return std::nullopt;
      auto grid = arc::readGridJson(fields->get("grid"), "grid");
      std::optional<int64_t> votes = fields->getInteger("votes");
      std::optional<double> confidence = fields->getNumber("mean_confidence");
      if (!grid) {
        llvm::consumeError(grid.takeError());
        return std::nullopt;
      }
      if (!votes || !confidence)
        return std::nullopt;
      result.back().push_back({std::move(*grid), *votes, *confidence});
    }
  }
  return std::pair{id->str(), std::move(result)};
}

llvm::Expected<std::unique_ptr<ArcJournal>>
ArcJournal::open(llvm::StringRef path, llvm::StringRef run,
                 const std::function<int64_t(llvm::StringRef)> &testsOf) {
  std::unique_ptr<ArcJournal> journal(new ArcJournal);
  journal->filePath = path.str();
  const std::string header = headerLine(run);
  std::string kept = header;
  bool rewrite = true;
  if (llvm::sys::fs::exists(path)) {
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
    if (!buffer)
      return error(path + ": cannot read: " + buffer.getError().message());
    llvm::StringRef text = (*buffer)->getBuffer();
    auto [first, rest] = text.split('\n');
    auto value = json::parse(first);
    const json::Object *object = value ? value->getAsObject() : nullptr;
    if (!value)
      llvm::consumeError(value.takeError());
    if (!object || object->getString("format") != kFormat)
      return error(path + ": not a trm-run ARC results file: remove it or "
                          "choose another --output-dir");
    if (object->getString("run") != run)
      return error(path + ": the results of another run (another model, "
                          "weights, tasks, identifiers or options): remove "
                          "it to start again, or choose another --output-dir");
    // Complete lines only: the last one may have been cut short.
    rewrite = false;
    while (!rest.empty()) {
      auto [line, next] = rest.split('\n');
      bool complete = line.size() < rest.size();
      auto task = complete ? parseTaskLine(line, testsOf) : std::nullopt;
      if (!task || journal->done.count(task->first)) {
        for (llvm::StringRef left = rest; !left.empty();
             left = left.split('\n').second)
          ++journal->dropped;
        rewrite = true;
        break;
      }
      kept += line.str() + "\n";
      journal->done.insert(std::move(*task));
      rest = next;
    }
  }
  if (rewrite)
    if (llvm::Error err = mlir::trm::writeFileAtomically(path, kept))
      return std::move(err);
  if (std::error_code ec = llvm::sys::fs::openFileForWrite(
          path, journal->fd, llvm::sys::fs::CD_OpenExisting,
          llvm::sys::fs::OF_Append))
    return error(path + ": cannot append: " + ec.message());
  return journal;
}

ArcJournal::~ArcJournal() {
  if (fd >= 0)
    ::close(fd);
}

llvm::Error ArcJournal::append(llvm::StringRef id, const ArcTaskResult &result) {
  const std::string line = taskLine(id, result);
  // One append of the whole line, then a sync: a crash leaves whole lines
  // and at most one torn one at the end, which the next run drops.
  for (size_t done = 0; done < line.size();) {
    ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return error(filePath + ": cannot append: " + std::strerror(errno));
    done += n;
  }
  if (::fsync(fd) != 0)
    return error(filePath + ": cannot sync: " + std::strerror(errno));
  return llvm::Error::success();
}
