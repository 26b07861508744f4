//===- RunOutputs.cpp - the files one trm-run writes ----------------------===//
#include "RunOutputs.h"
#include "TraceSvg.h"

#include "trm/Runtime/ArrayIO.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <cmath>

using namespace trmrun;

static constexpr const char *kArrayNames[] = {
    "predictions.npy", "logits.npy", "q_logits.npy", "steps.npy",
    "step_predictions.npy"};

llvm::Expected<RunOutputs> RunOutputs::open(const OutputRequest &request,
                                            int64_t count, int64_t seqLen) {
  RunOutputs outputs;
  outputs.predictionsAsDigits = request.predictionsAsDigits;
  // The folder of every output is made (--output-dir, --trace's, the
  // pictures').
  auto add = [&](const std::string &path) -> llvm::Expected<llvm::raw_ostream *> {
    llvm::StringRef parent = llvm::sys::path::parent_path(path);
    if (!parent.empty())
      if (std::error_code ec = llvm::sys::fs::create_directories(parent))
        return llvm::createStringError(parent + ": " + ec.message());
    auto os = outputs.files.add(path);
    if (!os)
      return os.takeError();
    outputs.finalPaths.push_back(path);
    return &*os;
  };
  if (!request.directory.empty()) {
    for (const char *name : kArrayNames) {
      auto os = add(request.directory + "/" + name);
      if (!os)
        return os.takeError();
      outputs.arrays.push_back(*os);
    }
  }
  if (!request.tracePath.empty()) {
    auto os = add(request.tracePath);
    if (!os)
      return os.takeError();
    outputs.trace = *os;
  }
  if (!request.svgPrefix.empty()) {
    if (!isSquareGrid(seqLen))
      return llvm::createStringError(
          "--trace-svg: the sequence (" + std::to_string(seqLen) +
          " tokens) is not a square grid");
    for (int64_t i = 0; i < std::min(count, request.svgSamples); ++i) {
      auto os = add(request.svgPrefix + std::to_string(i) + ".svg");
      if (!os)
        return os.takeError();
      outputs.svgs.push_back(*os);
    }
  }
  return outputs;
}

/// `tokens` as digits (token - 1); the -1 after a sample halted stays -1.
static std::vector<int32_t> asDigits(llvm::ArrayRef<int32_t> tokens) {
  std::vector<int32_t> digits(tokens.begin(), tokens.end());
  for (int32_t &t : digits)
    t = tokenAsDigit(t);
  return digits;
}

static void writeTrace(llvm::raw_ostream &os, const RunResults &r,
                       bool digits) {
  const int64_t s = r.seqLen, k = r.maxSteps;
  os << "# trm-run trace: per supervision step, each sample's q_halt, "
        "sigmoid(q_halt) and prediction ("
     << (digits ? "digits: token - 1" : "tokens") << ")\n";
  for (int64_t i = 0; i < r.count; ++i) {
    os << "sample " << i << " steps " << r.steps[i] << "\n";
    for (int64_t step = 0; step < r.steps[i]; ++step) {
      float q = r.stepQLogits[(i * k + step) * 2];
      os << llvm::formatv("  step {0,2} q_halt {1,10:f4} p_halt {2:f4} "
                          "prediction ",
                          step + 1, q, 1.0 / (1.0 + std::exp(-q)));
      for (int64_t j = 0; j < s; ++j) {
        int32_t t = r.stepPredictions[(i * k + step) * s + j];
        os << (j ? " " : "") << (digits ? tokenAsDigit(t) : t);
      }
      os << "\n";
    }
  }
}

llvm::Error RunOutputs::write(const RunResults &r,
                              llvm::ArrayRef<int64_t> tokens,
                              std::optional<llvm::ArrayRef<int64_t>> labels) {
  const int64_t n = r.count, s = r.seqLen, v = r.vocab, k = r.maxSteps;
  if (!arrays.empty()) {
    mlir::trm::writeNpy(*arrays[0], {n, s},
                        predictionsAsDigits ? asDigits(r.predictions)
                                            : r.predictions);
    mlir::trm::writeNpy(*arrays[1], {n, s, v}, r.logits);
    mlir::trm::writeNpy(*arrays[2], {n, k, 2}, r.stepQLogits);
    mlir::trm::writeNpy(*arrays[3], {n}, r.steps);
    mlir::trm::writeNpy(*arrays[4], {n, k, s},
                        predictionsAsDigits ? asDigits(r.stepPredictions)
                                            : r.stepPredictions);
  }
  if (trace)
    writeTrace(*trace, r, predictionsAsDigits);
  for (size_t i = 0; i < svgs.size(); ++i) {
    GridTrace picture;
    picture.input = tokens.slice(i * s, s);
    picture.stepPredictions =
        llvm::ArrayRef<int32_t>(r.stepPredictions).slice(i * k * s, k * s);
    picture.stepQLogits =
        llvm::ArrayRef<float>(r.stepQLogits).slice(i * k * 2, k * 2);
    picture.stepsTaken = r.steps[i];
    picture.vocab = v;
    if (labels)
      picture.label = labels->slice(i * s, s);
    writeTraceSvg(*svgs[i], picture);
  }
  return files.commit();
}
