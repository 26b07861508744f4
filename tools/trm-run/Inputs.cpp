//===- Inputs.cpp - the samples one trm-run computes ----------------------===//
#include "Inputs.h"

#include "trm/Import/WeightImport.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace trmrun;
using mlir::trm::IntArray;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

llvm::Expected<IntArray>
trmrun::parseSudokus(llvm::ArrayRef<std::string> texts) {
  IntArray array;
  for (const std::string &text : texts) {
    size_t side = static_cast<size_t>(std::lround(std::sqrt(double(text.size()))));
    if (side * side != text.size() || (side != 4 && side != 6 && side != 9))
      return error("--sudoku: '" + text + "' has " +
                   std::to_string(text.size()) +
                   " cells; a 4x4, 6x6 or 9x9 grid has 16, 36 or 81");
    if (!array.shape.empty() && array.shape[1] != int64_t(text.size()))
      return error("--sudoku: grids of different sizes");
    for (char c : text) {
      if (c == '.' || c == '0')
        array.values.push_back(1);
      else if (c >= '1' && c <= char('0' + side))
        array.values.push_back(c - '0' + 1);
      else
        return error(std::string("--sudoku: invalid cell '") + c + "' in '" +
                     text + "': a " + std::to_string(side) + "x" +
                     std::to_string(side) + " grid has digits 1-" +
                     std::to_string(side) + " and '.' or '0' for blanks");
    }
    array.shape = {int64_t(array.shape.empty() ? 1 : array.shape[0] + 1),
                   int64_t(text.size())};
  }
  return array;
}

/// The reference's encoding of a puzzle written as digits: 0 (blank) is
/// token 1, digit d is token d + 1.
static llvm::Error digitsToTokens(IntArray &a, llvm::StringRef path) {
  for (size_t i = 0; i < a.values.size(); ++i) {
    if (a.values[i] < 0 || a.values[i] > 9)
      return error(llvm::formatv("{0}: digit {1} at flat index {2} is not "
                                 "0 (blank) or 1-9",
                                 path, a.values[i], i));
    a.values[i] += 1;
  }
  return llvm::Error::success();
}

static llvm::Error checkRange(const IntArray &a, int64_t limit,
                              llvm::StringRef path, llvm::StringRef what) {
  for (size_t i = 0; i < a.values.size(); ++i)
    if (a.values[i] < 0 || a.values[i] >= limit)
      return error(llvm::formatv("{0}: {1} {2} at flat index {3} is out of "
                                 "range [0, {4})",
                                 path, what, a.values[i], i, limit));
  return llvm::Error::success();
}

/// Keeps the first `rows` rows of `a` (--first).
static void keepFirstRows(IntArray &a, int64_t rows) {
  a.values.resize(a.values.size() / a.shape[0] * rows);
  a.shape[0] = rows;
}

/// The tokens, [N, S] in range, before --first.
static llvm::Expected<IntArray> readTokens(const InputRequest &request,
                                           const mlir::trm::ModelSignature &sig,
                                           llvm::StringRef name) {
  auto tokens = request.sudokus.empty()
                    ? mlir::trm::readIntNpy(request.inputPath)
                    : parseSudokus(request.sudokus);
  if (!tokens)
    return tokens.takeError();
  if (request.digits)
    if (llvm::Error err = digitsToTokens(*tokens, name))
      return std::move(err);
  if (!request.sudokus.empty() && tokens->shape[1] != sig.seqLen)
    return error(llvm::formatv(
        "--sudoku: the model takes {0}-cell puzzles; this one has {1} cells",
        sig.seqLen, tokens->shape[1]));
  if (tokens->shape.size() != 2 || tokens->shape[1] != sig.seqLen)
    return error(llvm::formatv(
        "{0}: tokens must have shape [N, {1}], got rank {2} with {3} columns",
        name, sig.seqLen, tokens->shape.size(),
        tokens->shape.empty() ? 0 : tokens->shape.back()));
  if (llvm::Error err = checkRange(*tokens, sig.vocab, name, "token id"))
    return std::move(err);
  if (tokens->shape[0] == 0)
    return error(name + ": holds 0 samples, nothing to run");
  return tokens;
}

llvm::Error trmrun::resolveDataset(InputRequest &request,
                                   std::optional<int64_t> &ignoreLabelId) {
  if (request.datasetDir.empty())
    return llvm::Error::success();
  if (!request.inputPath.empty() || !request.labelsPath.empty() ||
      !request.puzzleIdsPath.empty() || !request.sudokus.empty())
    return error("--dataset gives the inputs, labels and puzzle identifiers: "
                 "drop --input, --sudoku, --labels and --puzzle-ids");
  const std::string &dir = request.datasetDir;
  auto dataset = mlir::trm::readDatasetJson(dir + "/dataset.json");
  if (!dataset)
    return dataset.takeError();
  ignoreLabelId = dataset->ignoreLabelId;
  request.inputPath = dir + "/all__inputs.npy";
  request.labelsPath = dir + "/all__labels.npy";
  request.puzzleIdsPath = dir + "/all__puzzle_identifiers.npy";
  return llvm::Error::success();
}

llvm::Expected<RunInputs>
trmrun::readRunInputs(const InputRequest &request,
                      const mlir::trm::ModelSignature &sig) {
  RunInputs in;
  in.tokensName = request.sudokus.empty() ? request.inputPath : "--sudoku";
  auto tokens = readTokens(request, sig, in.tokensName);
  if (!tokens)
    return tokens.takeError();
  in.tokens = std::move(*tokens);
  const int64_t all = in.tokens.shape[0];
  const int64_t count = request.first > 0 ? std::min(request.first, all) : all;
  keepFirstRows(in.tokens, count);
  // Token 0 is padding: normal in padded grids (ARC's), but in a Sudoku
  // written as digits it is a blank read as padding, and runs to garbage.
  if (int64_t pads = llvm::count(in.tokens.values, 0))
    in.warnings.push_back(llvm::formatv(
        "{0}: {1} of {2} cells are the pad token 0 (as in padded grids; a "
        "puzzle with 0 for blanks needs --input-format digits)",
        in.tokensName, pads, in.tokens.values.size()));

  in.ids.shape = {count};
  in.ids.values.assign(count, 0);
  if (!request.puzzleIdsPath.empty()) {
    auto ids = mlir::trm::readIntNpy(request.puzzleIdsPath);
    if (!ids)
      return ids.takeError();
    if (ids->shape != std::vector<int64_t>{all})
      return error(llvm::formatv("{0}: puzzle ids must have shape [{1}]",
                                 request.puzzleIdsPath, all));
    keepFirstRows(*ids, count);
    in.ids = std::move(*ids);
  }
  if (sig.numPuzzleIds > 0)
    if (llvm::Error err = checkRange(in.ids, sig.numPuzzleIds,
                                     request.puzzleIdsPath, "puzzle id"))
      return std::move(err);

  if (!request.labelsPath.empty()) {
    auto labels = mlir::trm::readIntNpy(request.labelsPath);
    if (!labels)
      return labels.takeError();
    if (request.digits)
      if (llvm::Error err = digitsToTokens(*labels, request.labelsPath))
        return std::move(err);
    if (labels->shape != std::vector<int64_t>{all, sig.seqLen})
      return error(llvm::formatv("{0}: labels must have shape [{1}, {2}]",
                                 request.labelsPath, all, sig.seqLen));
    keepFirstRows(*labels, count);
    in.labels = std::move(*labels);
  }
  return in;
}
