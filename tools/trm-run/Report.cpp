//===- Report.cpp - what trm-run prints about a run -----------------------===//
#include "Report.h"

#include "trm/Support/Version.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <cmath>
#include <cstdio>

using namespace trmrun;

namespace {
/// Whether label token `t` counts (the reference maps ignore_label_id to
/// -100, which no metric counts).
bool counts(const RunInputs &in, int64_t t) {
  return !in.ignoreLabelId || t != *in.ignoreLabelId;
}

/// Sample `i`'s counted label tokens and how many of them were predicted.
std::pair<int64_t, int64_t> labelTokens(const RunResults &r,
                                        const RunInputs &in, int64_t i) {
  int64_t counted = 0, right = 0;
  for (int64_t c = i * r.seqLen; c < (i + 1) * r.seqLen; ++c) {
    int64_t t = in.labels->values[c];
    if (!counts(in, t))
      continue;
    ++counted;
    right += r.predictions[c] == t;
  }
  return {counted, right};
}

/// Whether sample `i` predicted every label token that counts.
bool solved(const RunResults &r, const RunInputs &in, int64_t i) {
  if (!in.labels)
    return false;
  auto [counted, right] = labelTokens(r, in, i);
  return counted > 0 && right == counted;
}

/// The reference's metrics (models/losses.py): over the samples with a
/// label token that counts, exact accuracy is the share with all of them
/// right, token accuracy the mean of each sample's share right.
struct Accuracy {
  int64_t scored = 0, exact = 0;
  double tokenShareSum = 0;
};
Accuracy accuracy(const RunResults &r, const RunInputs &in) {
  Accuracy a;
  for (int64_t i = 0; i < r.count; ++i) {
    auto [counted, right] = labelTokens(r, in, i);
    if (counted == 0)
      continue;
    ++a.scored;
    a.exact += right == counted;
    a.tokenShareSum += double(right) / double(counted);
  }
  return a;
}

/// q_halt after the sample's last step.
float finalQHalt(const RunResults &r, int64_t i) {
  return r.stepQLogits[(i * r.maxSteps + r.steps[i] - 1) * 2];
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

/// A JSON number with `decimals` places (llvm::json prints 17 digits).
std::string fixed(double x, int decimals) {
  if (!std::isfinite(x))
    return "null";
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, x);
  return text;
}

/// `name: text`, the text already JSON.
void rawAttribute(llvm::json::OStream &j, llvm::StringRef name,
                  llvm::StringRef text) {
  j.attributeBegin(name);
  j.rawValue(text);
  j.attributeEnd();
}

/// A square grid of tokens with the Sudoku encoding (digit = token - 1).
template <typename T>
void printGrid(llvm::raw_ostream &os, llvm::ArrayRef<T> cells) {
  size_t side = static_cast<size_t>(std::lround(std::sqrt(double(cells.size()))));
  for (size_t r = 0; r < side; ++r) {
    os << "    ";
    for (size_t c = 0; c < side; ++c) {
      int64_t t = cells[r * side + c];
      os << (t >= 2 ? char('0' + t - 1) : '.') << (c + 1 < side ? " " : "");
    }
    os << "\n";
  }
}
} // namespace

void trmrun::printHeader(llvm::raw_ostream &os, const RunStats &st,
                         int64_t count) {
  os << llvm::formatv("trm-run: {0} sample{1}, batch {2}, device {3}, "
                      "halting {4}\n",
                      count, count == 1 ? "" : "s", st.batch,
                      st.deviceDescription, st.policy);
  os.flush();
}

void trmrun::printResults(llvm::raw_ostream &os, const RunResults &r,
                          const RunInputs &in, bool grids, bool allSteps) {
  const int64_t s = r.seqLen;
  for (int64_t i = 0; grids && i < r.count; ++i) {
    float q = finalQHalt(r, i);
    os << llvm::formatv("puzzle {0}: {1} {2} (q_halt {3:f2}, confidence "
                        "{4:f3}){5}\n",
                        i, allSteps ? "ran all" : "halted after step",
                        allSteps ? std::to_string(r.steps[i]) + " steps"
                                 : std::to_string(r.steps[i]),
                        q, sigmoid(q),
                        in.labels ? (solved(r, in, i) ? ", SOLVED" : ", WRONG")
                                  : "");
    os << "  puzzle:\n";
    printGrid(os, llvm::ArrayRef<int64_t>(in.tokens.values).slice(i * s, s));
    os << "  answer:\n";
    printGrid(os, llvm::ArrayRef<int32_t>(r.predictions).slice(i * s, s));
  }
  if (!in.labels)
    return;
  Accuracy a = accuracy(r, in);
  if (a.scored == 0) {
    os << "exact solves: no sample has a label token to score\n";
    return;
  }
  os << llvm::formatv("exact solves: {0} of {1} ({2:f1}%)\n", a.exact,
                      a.scored, 100.0 * a.exact / a.scored);
  os << llvm::formatv("token accuracy: {0:f2}%{1}\n",
                      100.0 * a.tokenShareSum / a.scored,
                      a.scored < r.count
                          ? llvm::formatv(" ({0} samples without a label "
                                          "token to score left out)",
                                          r.count - a.scored)
                                .str()
                          : std::string());
}

void trmrun::printStatistics(llvm::raw_ostream &os, const RunStats &st,
                             const RunResults &r) {
  os << llvm::formatv("timing: load {0:f3} s, {1} {2:f3} s, run {3:f3} s "
                      "({4:f2} ms per sample)\n",
                      st.loadSeconds, st.codePhase, st.compileSeconds,
                      st.runSeconds,
                      r.count ? 1000.0 * st.runSeconds / r.count : 0.0);
  // A resumed ARC run whose tasks were all done runs no sample.
  if (!r.count)
    return;
  double meanSteps = 0;
  for (int32_t steps : r.steps)
    meanSteps += steps;
  meanSteps /= r.count;
  os << llvm::formatv(
      "steps: mean {0:f2} of {1}; network calls executed {2} (batches of up "
      "to {7}), needed by the samples {3}; early exit and partial batches "
      "saved {4} of {5} ({6:f1}%)\n",
      meanSteps, r.maxSteps, st.executedCalls, st.neededCalls,
      st.fullCalls - st.executedCalls, st.fullCalls,
      100.0 * (st.fullCalls - st.executedCalls) / st.fullCalls, st.batch);
  if (!st.vulkan)
    return;
  const mlir::trm::VulkanRuntimeStats &v = *st.vulkan;
  double perStep = st.executedSteps ? 1.0 / st.executedSteps : 0.0;
  os << llvm::formatv(
      "vulkan: {0} kernel dispatches ({1:f1} per supervision step), {2} "
      "host synchronisations ({3:f2} per supervision step), {4} scalar "
      "argument writes, {5} pipelines, {6} Vulkan memory allocations; "
      "weights uploaded once to device-only memory ({7} bytes), puzzle "
      "embedding rows written as batches needed them ({8} bytes)\n",
      v.dispatches, v.dispatches * perStep, v.hostSyncs, v.hostSyncs * perStep,
      v.scalarWrites, v.pipelines, v.vulkanAllocations, st.uploadedWeightBytes,
      v.uploadedBytes);
}

void trmrun::writeJsonSummary(
    llvm::raw_ostream &os, const RunStats &st, const RunResults &r,
    const RunInputs &in, bool digits,
    const std::function<void(llvm::json::OStream &)> &extra) {
  llvm::json::OStream j(os, 2);
  j.object([&] {
    j.attribute("tool", "trm-run");
    j.attribute("version", mlir::trm::getVersionString());
    j.attribute("model", st.model);
    j.attribute("device", st.device);
    j.attribute("device_description", st.deviceDescription);
    j.attribute("halting", st.policy);
    j.attribute("code_from", st.codeFrom);
    j.attribute("batch", st.batch);
    j.attribute("samples", r.count);
    j.attribute("seq_len", r.seqLen);
    j.attribute("vocab", r.vocab);
    j.attribute("max_steps", r.maxSteps);
    j.attributeObject("seconds", [&] {
      rawAttribute(j, "load", fixed(st.loadSeconds, 6));
      rawAttribute(j, "compile", fixed(st.compileSeconds, 6));
      rawAttribute(j, "run", fixed(st.runSeconds, 6));
      rawAttribute(j, "run_per_sample", fixed(r.count ? st.runSeconds / r.count : 0.0, 6));
    });
    j.attributeObject("network_calls", [&] {
      j.attribute("executed", st.executedCalls);
      j.attribute("needed", st.neededCalls);
      j.attribute("all_steps", st.fullCalls);
    });
    if (in.labels) {
      Accuracy a = accuracy(r, in);
      j.attribute("scored_samples", a.scored);
      j.attribute("exact_solves", a.exact);
      rawAttribute(j, "exact_accuracy",
                   a.scored ? fixed(double(a.exact) / a.scored, 6) : "null");
      rawAttribute(j, "token_accuracy",
                   a.scored ? fixed(a.tokenShareSum / a.scored, 6) : "null");
    }
    j.attributeArray("outputs", [&] {
      for (const std::string &path : st.written)
        j.value(path);
    });
    if (extra) {
      extra(j);
      return;
    }
    j.attributeArray("results", [&] {
      for (int64_t i = 0; i < r.count; ++i)
        j.object([&] {
          j.attribute("sample", i);
          j.attribute("steps", r.steps[i]);
          rawAttribute(j, "q_halt", fixed(finalQHalt(r, i), 4));
          if (in.labels)
            j.attribute("solved", solved(r, in, i));
          // One line per sample, not one per token.
          std::string cells;
          for (int64_t c = 0; c < r.seqLen; ++c) {
            int32_t t = r.predictions[i * r.seqLen + c];
            cells += (c ? ", " : "") + std::to_string(digits ? tokenAsDigit(t) : t);
          }
          rawAttribute(j, "prediction", "[" + cells + "]");
        });
    });
  });
  os << "\n";
}
