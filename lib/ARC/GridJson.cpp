//===- GridJson.cpp - ARC grids as the task files write them --------------===//
#include "trm/ARC/GridJson.h"

using namespace mlir::trm;
namespace json = llvm::json;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

llvm::Expected<arc::Grid> arc::readGridJson(const json::Value *value,
                                            const llvm::Twine &what) {
  const json::Array *rows = value ? value->getAsArray() : nullptr;
  if (!rows)
    return error(what + ": expected a grid (a list of rows)");
  std::vector<std::vector<int64_t>> cells;
  for (const json::Value &row : *rows) {
    const json::Array *colours = row.getAsArray();
    if (!colours)
      return error(what + ": a row is not a list of colours");
    cells.emplace_back();
    for (const json::Value &colour : *colours) {
      std::optional<int64_t> c = colour.getAsInteger();
      if (!c)
        return error(what + ": a colour is not an integer");
      cells.back().push_back(*c);
    }
  }
  return makeGrid(cells, what.str());
}

void arc::writeGridJson(json::OStream &j, const Grid &g) {
  j.array([&] {
    for (int64_t r = 0; r < g.rows; ++r)
      j.array([&] {
        for (int64_t c = 0; c < g.cols; ++c)
          j.value(int64_t(g.at(r, c)));
      });
  });
}

void arc::writeCandidateJson(json::OStream &j, const Candidate &c) {
  j.object([&] {
    j.attributeBegin("grid");
    writeGridJson(j, c.grid);
    j.attributeEnd();
    j.attribute("votes", c.votes);
    j.attribute("mean_confidence", c.meanConfidence);
  });
}
