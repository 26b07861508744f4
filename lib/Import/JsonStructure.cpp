//===- JsonStructure.cpp - structural limits checked before JSON parsing --===//
#include "trm/Import/JsonStructure.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <vector>

using namespace mlir::trm;

llvm::Error mlir::trm::checkJsonStructure(llvm::StringRef text,
                                          llvm::StringRef file,
                                          unsigned maxDepth) {
  auto error = [&](const llvm::Twine &msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   (file + ": " + msg).str());
  };
  // One entry per open container: true for an object.
  std::vector<bool> open;
  llvm::StringSet<> topLevelKeys;
  // In the top-level object, the next string is a key (after '{' or ',').
  bool expectKey = false;
  for (size_t i = 0, e = text.size(); i < e; ++i) {
    char c = text[i];
    if (c == '"') {
      size_t start = ++i;
      while (i < e && text[i] != '"')
        i += text[i] == '\\' ? 2 : 1;
      if (i >= e)
        return llvm::Error::success(); // unterminated: the parser says so
      if (open.size() == 1 && open.back() && expectKey) {
        // Keys are compared as written: two spellings of one key through
        // escapes are left to the parser's last-wins rule.
        llvm::StringRef key = text.slice(start, i);
        if (!topLevelKeys.insert(key).second)
          return error("JSON key '" + key + "' appears twice");
        expectKey = false;
      }
      continue;
    }
    if (c == '{' || c == '[') {
      if (open.size() == maxDepth)
        return error(llvm::formatv("JSON nested deeper than {0} levels",
                                   maxDepth));
      open.push_back(c == '{');
      expectKey = open.size() == 1 && c == '{';
    } else if (c == '}' || c == ']') {
      if (!open.empty())
        open.pop_back();
    } else if (c == ',' && open.size() == 1 && open.back()) {
      expectKey = true;
    }
  }
  return llvm::Error::success();
}
