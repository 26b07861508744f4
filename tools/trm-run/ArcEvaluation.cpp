//===- ArcEvaluation.cpp - ARC-AGI scored as the reference scores it ------===//
#include "ArcEvaluation.h"

#include "trm/ARC/GridJson.h"
#include "trm/Import/JsonStructure.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/xxhash.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <map>
#include <set>

using namespace trmrun;
namespace arc = mlir::trm::arc;
namespace json = llvm::json;

static constexpr int64_t kPassKs[] = {1, 2, 5, 10, 100, 1000};

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// An error unless the model reads ARC's 900 tokens of 12; `flag` is the
/// option that asked for an ARC evaluation.
static llvm::Error checkArcModel(const mlir::trm::ModelSignature &sig,
                                 llvm::StringRef flag) {
  if (sig.seqLen == arc::kSeqLen && sig.vocab == 12)
    return llvm::Error::success();
  return error(llvm::formatv("{0}: the model takes {1} tokens of a vocabulary "
                             "of {2}; ARC's are 900 and 12",
                             flag, sig.seqLen, sig.vocab));
}

/// A JSON file, its nesting checked before it is parsed.
static llvm::Expected<json::Value> readJson(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return error(path + ": cannot open file: " + buffer.getError().message());
  if (llvm::Error err =
          mlir::trm::checkJsonStructure((*buffer)->getBuffer(), path))
    return std::move(err);
  auto value = json::parse((*buffer)->getBuffer());
  if (!value)
    return error(path + ": not valid JSON: " +
                 llvm::toString(value.takeError()));
  return value;
}

/// The challenges' tasks, by id, with their test inputs (and the solutions'
/// outputs when a solutions file is given).
static llvm::Error readTasks(const ArcRequest &request,
                             std::map<std::string, std::vector<arc::Grid>> &inputs,
                             std::map<std::string, std::vector<arc::Grid>> &outputs) {
  auto challenges = readJson(request.challengesPath);
  if (!challenges)
    return challenges.takeError();
  const json::Object *root = challenges->getAsObject();
  if (!root || root->empty())
    return error(request.challengesPath + ": expected an object of tasks");
  for (const auto &[id, task] : *root) {
    const json::Object *t = task.getAsObject();
    const json::Array *tests = t ? t->getArray("test") : nullptr;
    if (!tests || tests->empty())
      return error(request.challengesPath + ": task '" + id.str() +
                   "': no \"test\" list");
    for (auto [i, pair] : llvm::enumerate(*tests)) {
      const json::Object *p = pair.getAsObject();
      auto grid = arc::readGridJson(p ? p->get("input") : nullptr,
                           request.challengesPath + ": task '" + id.str() +
                               "' test " + llvm::Twine(i) + " input");
      if (!grid)
        return grid.takeError();
      inputs[id.str()].push_back(std::move(*grid));
      // test_puzzles.json (the builder's) carries the outputs in the pairs.
      if (!p->get("output"))
        continue;
      auto output = arc::readGridJson(p->get("output"),
                             request.challengesPath + ": task '" + id.str() +
                                 "' test " + llvm::Twine(i) + " output");
      if (!output)
        return output.takeError();
      outputs[id.str()].push_back(std::move(*output));
    }
  }
  if (request.solutionsPath.empty())
    return llvm::Error::success();
  outputs.clear();
  auto solutions = readJson(request.solutionsPath);
  if (!solutions)
    return solutions.takeError();
  const json::Object *answers = solutions->getAsObject();
  if (!answers)
    return error(request.solutionsPath + ": expected an object of tasks");
  for (const auto &[id, tests] : inputs) {
    const json::Array *grids = answers->getArray(id);
    if (!grids || grids->size() != tests.size())
      return error(llvm::formatv("{0}: task '{1}': expected {2} solution "
                                 "grid(s), one per test input",
                                 request.solutionsPath, id, tests.size()));
    for (auto [i, grid] : llvm::enumerate(*grids)) {
      auto g = arc::readGridJson(&grid, request.solutionsPath + ": task '" + id +
                                   "' solution " + llvm::Twine(i));
      if (!g)
        return g.takeError();
      outputs[id].push_back(std::move(*g));
    }
  }
  return llvm::Error::success();
}

/// identifiers.json: the name of every puzzle id (0 is the blank one).
static llvm::Expected<std::vector<std::string>> readNames(llvm::StringRef path) {
  auto identifiers = readJson(path);
  if (!identifiers)
    return identifiers.takeError();
  const json::Array *list = identifiers->getAsArray();
  if (!list)
    return error(path + ": expected a list of puzzle identifier names");
  std::vector<std::string> names;
  for (auto [id, value] : llvm::enumerate(*list)) {
    std::optional<llvm::StringRef> name = value.getAsString();
    if (!name)
      return error(llvm::formatv("{0}: entry {1} is not a string", path, id));
    names.push_back(name->str());
  }
  return names;
}

/// identifiers.json's variants of each task, by puzzle id; names of other
/// tasks are left alone.
static llvm::Expected<std::map<std::string, std::vector<std::pair<int64_t, arc::Augmentation>>>>
readVariants(llvm::StringRef path,
             const std::map<std::string, std::vector<arc::Grid>> &tasks,
             int64_t &names) {
  auto list = readNames(path);
  if (!list)
    return list.takeError();
  names = list->size();
  std::map<std::string, std::vector<std::pair<int64_t, arc::Augmentation>>>
      variants;
  for (auto [id, name] : llvm::enumerate(*list)) {
    if (id == 0 || !tasks.count(llvm::StringRef(name).split("|||").first.str()))
      continue; // the blank id, or a task not evaluated
    auto aug = arc::parseAugmentation(name);
    if (!aug)
      return error(path + ": " + llvm::toString(aug.takeError()));
    variants[aug->task].push_back({int64_t(id), std::move(*aug)});
  }
  return variants;
}

/// Keeps the variants --arc-augmentations asks for.
static llvm::Error selectVariants(
    llvm::StringRef spec,
    std::map<std::string, std::vector<std::pair<int64_t, arc::Augmentation>>> &variants) {
  int64_t first = 0;
  if (spec == "all")
    return llvm::Error::success();
  if (spec != "original" && (spec.getAsInteger(10, first) || first < 1))
    return error("--arc-augmentations: '" + spec +
                 "' is not all, original or a positive count");
  for (auto &[task, list] : variants) {
    if (spec == "original")
      llvm::erase_if(list, [](const auto &v) { return !v.second.isOriginal(); });
    else if (int64_t(list.size()) > first)
      list.resize(first);
  }
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<ArcEvaluation>>
ArcEvaluation::create(const ArcRequest &request,
                      const mlir::trm::ModelSignature &sig) {
  if (llvm::Error err = checkArcModel(sig, "--arc-challenges"))
    return std::move(err);
  std::map<std::string, std::vector<arc::Grid>> inputs, outputs;
  if (llvm::Error err = readTasks(request, inputs, outputs))
    return std::move(err);
  int64_t names = 0;
  auto variants = readVariants(request.identifiersPath, inputs, names);
  if (!variants)
    return variants.takeError();
  if (sig.numPuzzleIds > 0 && names > sig.numPuzzleIds)
    return error(llvm::formatv(
        "{0}: {1} names, but the model's puzzle embedding has {2} rows: give "
        "the identifiers.json of the data set the checkpoint was trained on",
        request.identifiersPath, names, sig.numPuzzleIds));
  if (llvm::Error err = selectVariants(request.augmentations, *variants))
    return std::move(err);

  std::unique_ptr<ArcEvaluation> eval(new ArcEvaluation());
  eval->addTasks(inputs, outputs);
  eval->haveSolutions = !request.solutionsPath.empty();
  RunInputs &in = eval->samples;
  in.tokensName = request.challengesPath;
  for (auto [index, task] : llvm::enumerate(eval->tasks)) {
    const auto &list = (*variants)[task.id];
    eval->variantsUsed += list.size();
    for (size_t test = 0; test < task.inputs.size(); ++test)
      for (const auto &[pid, aug] : list) {
        std::vector<int32_t> tokens =
            arc::encodeGrid(aug.apply(task.inputs[test]));
        in.tokens.values.insert(in.tokens.values.end(), tokens.begin(),
                                tokens.end());
        in.ids.values.push_back(pid);
        eval->origins.push_back({index, test, aug});
      }
  }
  if (eval->origins.empty())
    return error(request.identifiersPath +
                 ": names no variant of any task in " + request.challengesPath);
  if (llvm::Error err = eval->finishSamples(request.outputDir))
    return std::move(err);
  return eval;
}

void ArcEvaluation::addTasks(
    const std::map<std::string, std::vector<arc::Grid>> &inputs,
    std::map<std::string, std::vector<arc::Grid>> &outputs) {
  for (const auto &[id, grids] : inputs) {
    Task task;
    task.id = id;
    task.inputs = grids;
    task.solutions = outputs[id];
    task.votes.resize(grids.size());
    tasks.push_back(std::move(task));
  }
}

llvm::Error ArcEvaluation::finishSamples(llvm::StringRef dir) {
  const int64_t count = origins.size();
  samples.tokens.shape = {count, arc::kSeqLen};
  samples.ids.shape = {count};
  for (const Origin &o : origins)
    ++tasks[o.task].pending;
  for (Task &t : tasks)
    if (!t.pending)
      finishTask(t);
  outputDir = dir.str();
  return openOutputs(dir);
}

void ArcEvaluation::finishTask(Task &t) {
  t.result.clear();
  for (const auto &votes : t.votes)
    t.result.push_back(arc::rankCandidates(votes));
  t.votes.clear();
  ++finished;
}

llvm::Error ArcEvaluation::resume(llvm::StringRef model) {
  if (outputDir.empty())
    return llvm::Error::success();
  // The run is the model and exactly the samples it computes: the tasks'
  // test inputs, every sample's tokens and puzzle id.
  std::string run = model.str();
  for (const Task &t : tasks) {
    run += "|" + t.id;
    for (const arc::Grid &g : t.inputs)
      run += llvm::formatv(":{0}x{1}", g.rows, g.cols).str() +
             std::string(g.cells.begin(), g.cells.end());
  }
  uint64_t digest = llvm::xxh3_64bits(run);
  digest ^= llvm::xxh3_64bits(llvm::ArrayRef(
      reinterpret_cast<const uint8_t *>(samples.tokens.values.data()),
      samples.tokens.values.size() * sizeof(int64_t)));
  digest = digest * 31 + llvm::xxh3_64bits(llvm::ArrayRef(
      reinterpret_cast<const uint8_t *>(samples.ids.values.data()),
      samples.ids.values.size() * sizeof(int64_t)));
  std::map<std::string, size_t> byId;
  for (auto [i, t] : llvm::enumerate(tasks))
    byId[t.id] = i;
  auto opened = ArcJournal::open(
      outputDir + "/arc_results.jsonl", llvm::utohexstr(digest, true),
      [&](llvm::StringRef id) -> int64_t {
        auto it = byId.find(id.str());
        return it == byId.end() ? -1 : tasks[it->second].inputs.size();
      });
  if (!opened)
    return opened.takeError();
  journal = std::move(*opened);
  finalPaths.push_back(journal->path());
  for (const auto &[id, result] : journal->restored()) {
    Task &t = tasks[byId[id]];
    if (!t.pending)
      continue;
    t.result = result;
    t.votes.clear();
    restoredSamples += t.pending;
    t.pending = 0;
    ++finished;
    ++restoredTasks;
  }
  // Only the other tasks' samples run.
  RunInputs left = samples;
  left.tokens.values.clear();
  left.ids.values.clear();
  std::vector<Origin> kept;
  for (auto [i, o] : llvm::enumerate(origins)) {
    if (!tasks[o.task].pending)
      continue;
    left.tokens.values.insert(
        left.tokens.values.end(),
        samples.tokens.values.begin() + i * arc::kSeqLen,
        samples.tokens.values.begin() + (i + 1) * arc::kSeqLen);
    left.ids.values.push_back(samples.ids.values[i]);
    kept.push_back(o);
  }
  origins = std::move(kept);
  samples = std::move(left);
  samples.tokens.shape = {int64_t(origins.size()), arc::kSeqLen};
  samples.ids.shape = {int64_t(origins.size())};
  return llvm::Error::success();
}

llvm::Error ArcEvaluation::openOutputs(llvm::StringRef dir) {
  if (dir.empty())
    return llvm::Error::success();
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return error(dir + ": " + ec.message());
  for (auto [name, stream] : {std::pair{"submission.json", &submission},
                              std::pair{"arc_candidates.json", &candidates}}) {
    std::string path = (dir + "/" + name).str();
    auto os = files.add(path);
    if (!os)
      return os.takeError();
    *stream = &*os;
    finalPaths.push_back(path);
  }
  return llvm::Error::success();
}

/// The split's file `name`, beside it or in the data set's folder above.
static std::string findBesideSplit(llvm::StringRef split, llvm::StringRef name) {
  std::string inSplit = (split + "/" + name).str();
  if (llvm::sys::fs::exists(inSplit))
    return inSplit;
  return (llvm::sys::path::parent_path(split) + "/" + name).str();
}

bool ArcEvaluation::isArcSplit(llvm::StringRef split) {
  return llvm::sys::fs::exists(findBesideSplit(split, "identifiers.json")) &&
         llvm::sys::fs::exists(findBesideSplit(split, "test_puzzles.json"));
}

llvm::Expected<std::unique_ptr<ArcEvaluation>>
ArcEvaluation::createFromSplit(llvm::StringRef split,
                               const mlir::trm::ModelSignature &sig,
                               llvm::StringRef outputDir) {
  if (llvm::Error err = checkArcModel(sig, "--dataset"))
    return std::move(err);
  ArcRequest request;
  request.challengesPath = findBesideSplit(split, "test_puzzles.json");
  std::string namesPath = findBesideSplit(split, "identifiers.json");
  std::map<std::string, std::vector<arc::Grid>> inputs, outputs;
  if (llvm::Error err = readTasks(request, inputs, outputs))
    return std::move(err);
  auto names = readNames(namesPath);
  if (!names)
    return names.takeError();
  InputRequest rows;
  rows.inputPath = (split + "/all__inputs.npy").str();
  rows.puzzleIdsPath = (split + "/all__puzzle_identifiers.npy").str();
  auto all = readRunInputs(rows, sig);
  if (!all)
    return all.takeError();

  std::unique_ptr<ArcEvaluation> eval(new ArcEvaluation());
  eval->addTasks(inputs, outputs);
  std::map<std::string, size_t> taskIndex;
  eval->haveSolutions = true;
  for (auto [index, task] : llvm::enumerate(eval->tasks)) {
    taskIndex[task.id] = index;
    eval->haveSolutions &= task.solutions.size() == task.inputs.size();
  }
  std::set<int64_t> variants;
  RunInputs &in = eval->samples;
  in.tokensName = rows.inputPath;
  for (int64_t row = 0; row < all->count(); ++row) {
    int64_t pid = all->ids.values[row];
    if (pid == 0)
      continue; // padding rows, dropped as the evaluator drops them
    if (pid >= int64_t(names->size()))
      return error(llvm::formatv("{0}: row {1}: puzzle id {2}, but {3} names "
                                 "only {4}",
                                 rows.puzzleIdsPath, row, pid, namesPath,
                                 names->size()));
    auto aug = arc::parseAugmentation((*names)[pid]);
    if (!aug)
      return error(namesPath + ": " + llvm::toString(aug.takeError()));
    auto task = taskIndex.find(aug->task);
    if (task == taskIndex.end())
      continue; // a task test_puzzles.json does not evaluate
    // The evaluator finds the test input a row belongs to by its grid.
    llvm::ArrayRef<int64_t> tokens(all->tokens.values.data() + row * arc::kSeqLen,
                                   arc::kSeqLen);
    std::vector<int32_t> narrow(tokens.begin(), tokens.end());
    arc::Grid input = aug->invert(arc::cropPrediction(narrow));
    const std::vector<arc::Grid> &tests = eval->tasks[task->second].inputs;
    auto test = llvm::find(tests, input);
    if (test == tests.end())
      continue;
    in.tokens.values.insert(in.tokens.values.end(), tokens.begin(), tokens.end());
    in.ids.values.push_back(pid);
    eval->origins.push_back(
        {task->second, size_t(test - tests.begin()), std::move(*aug)});
    variants.insert(pid);
  }
  if (eval->origins.empty())
    return error(rows.inputPath + ": no row is a test input of " +
                 request.challengesPath);
  eval->variantsUsed = variants.size();
  if (llvm::Error err = eval->finishSamples(outputDir))
    return std::move(err);
  return eval;
}

std::string ArcEvaluation::describePlan() const {
  int64_t tests = 0;
  for (const Task &t : tasks)
    tests += t.inputs.size();
  std::string plan = llvm::formatv("ARC: {0} tasks, {1} test inputs, {2} "
                                   "variants, {3} samples",
                                   tasks.size(), tests, variantsUsed,
                                   origins.size() + restoredSamples);
  if (journal && restoredTasks)
    plan += llvm::formatv("; {0} tasks ({1} samples) already done in {2}, "
                          "{3} samples to run",
                          restoredTasks, restoredSamples, journal->path(),
                          origins.size());
  if (journal && journal->droppedLines())
    plan += llvm::formatv(" ({0} unfinished line(s) dropped)",
                          journal->droppedLines());
  return plan;
}

llvm::Error ArcEvaluation::addBatch(int64_t start, int64_t n,
                                    const mlir::trm::BatchBuffers &buf,
                                    int64_t maxSteps) {
  for (int64_t i = 0; i < n; ++i) {
    const Origin &o = origins[start + i];
    llvm::ArrayRef<int32_t> tokens(buf.predictions.data() + i * arc::kSeqLen,
                                   arc::kSeqLen);
    // The q_halt of the sample's last step, in float64 as the reference.
    double q = buf.stepQLogits[(i * maxSteps + buf.steps[i] - 1) * 2];
    arc::Grid prediction = o.augmentation.invert(arc::cropPrediction(tokens));
    Task &t = tasks[o.task];
    t.votes[o.test].push_back(
        {std::move(prediction), 1.0 / (1.0 + std::exp(-q))});
    if (--t.pending)
      continue;
    finishTask(t);
    if (journal)
      if (llvm::Error err = journal->append(t.id, t.result))
        return err;
  }
  return llvm::Error::success();
}

std::vector<double> ArcEvaluation::passAtK() const {
  std::vector<double> score(std::size(kPassKs), 0.0);
  for (const Task &t : tasks) {
    const ArcTaskResult &candidates = t.result;
    for (size_t k = 0; k < score.size(); ++k) {
      int64_t passed = 0;
      for (size_t test = 0; test < candidates.size(); ++test)
        passed += arc::passesAt(candidates[test], t.solutions[test], kPassKs[k]);
      score[k] += double(passed) / t.inputs.size();
    }
  }
  for (double &s : score)
    s /= tasks.size();
  return score;
}

void ArcEvaluation::printScores(llvm::raw_ostream &os) const {
  os << describePlan() << "\n";
  if (!haveSolutions)
    return;
  std::vector<double> score = passAtK();
  os << "ARC";
  for (size_t k = 0; k < score.size(); ++k)
    os << llvm::formatv("{0} pass@{1} {2:f2}%", k ? "," : ":", kPassKs[k],
                        100 * score[k]);
  os << "\n";
}

void ArcEvaluation::writeJsonScores(json::OStream &j) const {
  j.attributeObject("arc", [&] {
    j.attribute("tasks", int64_t(tasks.size()));
    j.attribute("samples", int64_t(origins.size() + restoredSamples));
    if (!haveSolutions)
      return;
    std::vector<double> score = passAtK();
    for (size_t k = 0; k < score.size(); ++k)
      j.attribute(("pass@" + llvm::Twine(kPassKs[k])).str(), score[k]);
  });
}

llvm::Error ArcEvaluation::writeFiles() {
  if (!submission)
    return llvm::Error::success();
  json::OStream sub(*submission), cand(*candidates, 1);
  sub.object([&] {
    cand.object([&] {
      for (const Task &t : tasks) {
        const ArcTaskResult &candidates = t.result;
        // A test input without a vote has no entry, as in the reference.
        sub.attributeArray(t.id, [&] {
          for (const auto &c : candidates) {
            if (c.empty())
              continue;
            std::pair<arc::Grid, arc::Grid> attempts =
                arc::submissionAttempts(c);
            sub.object([&] {
              sub.attributeBegin("attempt_1");
              arc::writeGridJson(sub, attempts.first);
              sub.attributeEnd();
              sub.attributeBegin("attempt_2");
              arc::writeGridJson(sub, attempts.second);
              sub.attributeEnd();
            });
          }
        });
        cand.attributeArray(t.id, [&] {
          for (const auto &c : candidates) {
            if (c.empty()) {
              cand.value(nullptr);
              continue;
            }
            cand.array([&] {
              for (const arc::Candidate &x : c)
                arc::writeCandidateJson(cand, x);
            });
          }
        });
      }
    });
  });
  *submission << "\n";
  *candidates << "\n";
  return files.commit();
}
