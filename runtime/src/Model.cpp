//===- Model.cpp - an opened artifact with its weights --------------------===//
#include "Model.h"
#include "Error.h"
#include "HostCpu.h"
#include "trm/Runtime/ArtifactContainer.h"
#include "trm/Runtime/MemRefDescriptor.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>

using namespace trm::rt;

/// The metadata format this runtime reads (trm-compile writes the same).
static constexpr int kMetadataFormat = 1;

int64_t Model::Slot::elements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::unique_ptr<Model> Model::open(const std::string &path, int threads) {
  std::unique_ptr<Model> m(new Model);
  m->path = path;
  {
    MappedFile file(path);
    std::string_view bytes(reinterpret_cast<const char *>(file.data()),
                           file.size());
    ContainerParts parts;
    std::string problem = parseContainer(bytes, parts);
    if (!problem.empty())
      throw Error(path + ": " + problem);
    m->parseMetadata(std::string(parts.metadata), path);
  }
  m->loadCode(path, threads);
  return m;
}

Model::~Model() {
  if (library)
    ::dlclose(library);
}

void Model::parseMetadata(const std::string &text, const std::string &path) {
  auto fail = [&](const std::string &msg) {
    throw Error(path + ": artifact metadata: " + msg);
  };
  nlohmann::json meta = nlohmann::json::parse(text, nullptr, false);
  if (meta.is_discarded() || !meta.is_object())
    fail("not a JSON object");
  auto string = [&](const char *key) {
    auto it = meta.find(key);
    if (it == meta.end() || !it->is_string())
      fail(std::string("'") + key + "' is missing or not a string");
    return it->get<std::string>();
  };
  auto count = [&](const nlohmann::json &object, const char *key,
                   int64_t min) {
    auto it = object.find(key);
    if (it == object.end() || !it->is_number_integer() ||
        it->get<int64_t>() < min || it->get<int64_t>() > (int64_t(1) << 40))
      fail(std::string("'") + key + "' is missing or not an integer of at "
                                    "least " + std::to_string(min));
    return it->get<int64_t>();
  };
  auto format = meta.find("format");
  if (format == meta.end() || !format->is_number_integer() ||
      format->get<int64_t>() != kMetadataFormat)
    fail("format is not " + std::to_string(kMetadataFormat) +
         " (made by another version of trm-compile: compile it again)");
  if (string("device") != "cpu")
    fail("the artifact is for the '" + string("device") +
         "' device; this runtime runs cpu artifacts");
  entryName = string("entry");
  halting = string("policy");
  // Artifacts from before bf16 existed name no precision: f32.
  precision = meta.contains("precision") ? string("precision") : "f32";
  if (precision != "f32" && precision != "bf16")
    fail("'precision' must be f32 or bf16, not '" + precision + "'");
  triple = string("target_triple");
  cpu = string("target_cpu");
  features = string("target_features");
  compiler = string("compiler");
  modelInfo.batch = count(meta, "batch", 1);
  modelInfo.seq_len = count(meta, "seq_len", 1);
  modelInfo.vocab_size = count(meta, "vocab_size", 1);
  modelInfo.max_steps = count(meta, "max_steps", 1);
  modelInfo.num_puzzle_ids = count(meta, "num_puzzle_identifiers", 0);
  modelInfo.calls_per_step =
      count(meta, "H_cycles", 1) * (count(meta, "L_cycles", 1) + 1);
  packedSize = count(meta, "packed_size", 0);
  auto openmp = meta.find("openmp");
  usesOpenMP = openmp != meta.end() && openmp->is_boolean() && openmp->get<bool>();
  auto required = meta.find("required_features");
  if (required == meta.end() || !required->is_array())
    fail("'required_features' is missing or not an array");
  for (const nlohmann::json &f : *required) {
    if (!f.is_string())
      fail("'required_features' must hold strings");
    requiredFeatures.push_back(f.get<std::string>());
  }
  auto table = meta.find("weights");
  if (table == meta.end() || !table->is_array())
    fail("'weights' is missing or not an array");
  for (const nlohmann::json &w : *table) {
    if (!w.is_object())
      fail("a 'weights' entry is not an object");
    Slot s;
    auto key = w.find("key");
    auto shape = w.find("shape");
    if (key == w.end() || !key->is_string() || shape == w.end() ||
        !shape->is_array())
      fail("a 'weights' entry needs 'key' and 'shape'");
    s.key = key->get<std::string>();
    for (const nlohmann::json &d : *shape) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0 ||
          d.get<int64_t>() > (int64_t(1) << 40))
        fail("weight '" + s.key + "': bad shape");
      s.shape.push_back(d.get<int64_t>());
    }
    s.offset = count(w, "offset", 0);
    s.streamedRows = count(w, "streamed_rows", 0);
    if (s.elements() > packedSize || s.offset > packedSize - s.elements())
      fail("weight '" + s.key + "' lies outside the packed weights");
    if (s.streamedRows && s.shape.size() != 2)
      fail("streamed weight '" + s.key + "' is not a [rows, width] table");
    // run() checks puzzle ids against num_puzzle_identifiers only.
    if (s.streamedRows && s.streamedRows != modelInfo.num_puzzle_ids)
      fail("streamed weight '" + s.key + "' has " +
           std::to_string(s.streamedRows) + " rows, not the " +
           std::to_string(modelInfo.num_puzzle_ids) + " puzzle ids");
    if (!slotByKey.emplace(s.key, slots.size()).second)
      fail("weight '" + s.key + "' appears twice");
    s.rowOf.assign(s.streamedRows ? s.shape[0] : 0, -1);
    slots.push_back(std::move(s));
  }
  modelInfo.halting = halting.c_str();
  modelInfo.precision = precision.c_str();
  modelInfo.target_triple = triple.c_str();
  modelInfo.target_cpu = cpu.c_str();
  modelInfo.target_features = features.c_str();
  modelInfo.compiler = compiler.c_str();
}

void Model::loadCode(const std::string &path, int threads) {
  const std::string arch = triple.substr(0, triple.find('-'));
  if (arch != hostArchitecture())
    throw Error(path + ": the artifact's code is for " + triple +
                ", and this runtime runs on " + hostArchitecture());
  std::vector<std::string> missing = missingCpuFeatures(requiredFeatures);
  if (!missing.empty()) {
    std::string list;
    for (const std::string &f : missing)
      list += (list.empty() ? "" : ", ") + f;
    throw Error(path + ": the code for CPU '" + cpu + "'" +
                (features.empty() ? "" : " +" + features) + " needs " + list +
                ", which this CPU lacks");
  }
  if (usesOpenMP) {
    // The code's parallel loops call the LLVM OpenMP runtime; loaded
    // globally so that the artifact's references to it resolve.
    const char *env = std::getenv("TRM_OPENMP_LIBRARY");
    const char *omp = env && *env ? env : TRM_RUNTIME_OPENMP_LIBRARY;
    void *handle = ::dlopen(omp, RTLD_NOW | RTLD_GLOBAL);
    if (!handle)
      throw Error(path + ": its code runs its loops on the LLVM OpenMP "
                         "runtime, which cannot be loaded (" +
                  std::string(::dlerror()) +
                  "): set TRM_OPENMP_LIBRARY, or compile it with "
                  "trm-compile --threads 1");
    if (threads > 0)
      if (auto set = reinterpret_cast<void (*)(int)>(
              ::dlsym(handle, "omp_set_num_threads")))
        set(threads);
  }
  // dlopen searches the library path for a name without a slash.
  char real[PATH_MAX];
  if (!::realpath(path.c_str(), real))
    throw Error(path + ": cannot resolve its path");
  library = ::dlopen(real, RTLD_NOW | RTLD_LOCAL);
  if (!library)
    throw Error(path + ": cannot load its code: " + std::string(::dlerror()));
  const std::string symbol = "_mlir_ciface_" + entryName;
  entry = reinterpret_cast<EntryFn>(::dlsym(library, symbol.c_str()));
  if (!entry)
    throw Error(path + ": its code has no entry " + symbol);
  const int64_t b = modelInfo.batch, s = modelInfo.seq_len,
                v = modelInfo.vocab_size, k = modelInfo.max_steps;
  tokens.assign(b * s, 0);
  ids.assign(b, 0);
  predictions.assign(b * s, 0);
  logits.assign(b * s * v, 0.0f);
  qLogits.assign(b * k * 2, 0.0f);
  steps.assign(b, 0);
  stepPredictions.assign(b * k * s, 0);
  packed.assign((packedSize + 15) / 16 * 16, 0.0f);
}

size_t Model::slotFor(const TensorView &t, const std::string &source) const {
  const std::string key = canonicalKey(t.name);
  auto it = slotByKey.find(key);
  if (it == slotByKey.end())
    throw Error(source + ": unexpected tensor '" + t.name +
                "' that the model does not use");
  const Slot &s = slots[it->second];
  std::vector<int64_t> expected = s.shape;
  if (s.streamedRows)
    expected[0] = s.streamedRows;
  if (t.shape != expected)
    throw Error(source + ": tensor '" + t.name + "' has shape " +
                formatShape(t.shape) + ", the model needs " +
                formatShape(expected));
  return it->second;
}

void Model::fill(size_t index, const TensorView &t) {
  Slot &s = slots[index];
  s.bound = true;
  if (s.streamedRows) {
    s.streamed = t;
    std::fill(s.rowOf.begin(), s.rowOf.end(), -1);
    return;
  }
  convertToF32(t, 0, s.elements(), packed.data() + s.offset);
}

void Model::bindWeightsFile(const std::string &file) {
  auto mapped = std::make_shared<MappedFile>(file);
  bindTensors(parseSafetensors(mapped->data(), mapped->size(), file), file);
  weightFiles.push_back(std::move(mapped));
}

void Model::bindTensors(const std::vector<TensorView> &tensors,
                        const std::string &source) {
  // As every reader of a model's weights checks: what the model needs
  // first, then what it does not take.
  std::map<std::string, size_t> byKey;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const std::string key = canonicalKey(tensors[i].name);
    if (!byKey.emplace(key, i).second)
      throw Error(source + ": two tensors name the parameter '" + key + "'");
  }
  for (const Slot &slot : slots)
    if (!byKey.count(slot.key))
      throw Error(source + ": missing tensor '" + slot.key +
                  "' that the model needs");
  std::vector<size_t> index;
  for (const TensorView &t : tensors)
    index.push_back(slotFor(t, source));
  for (size_t i = 0; i < tensors.size(); ++i)
    fill(index[i], tensors[i]);
}

void Model::bindTensor(const TensorView &t, const std::string &source) {
  fill(slotFor(t, source), t);
}

void Model::runBatch(int64_t n, trm_outputs &out, int64_t first) {
  const int64_t b = modelInfo.batch, s = modelInfo.seq_len,
                v = modelInfo.vocab_size, k = modelInfo.max_steps;
  for (Slot &slot : slots) {
    if (!slot.streamedRows)
      continue;
    const int64_t width = slot.shape[1];
    for (int64_t row = 0; row < n; ++row) {
      if (slot.rowOf[row] == ids[row])
        continue;
      convertToF32(slot.streamed, ids[row] * width, width,
                   packed.data() + slot.offset + row * width);
      slot.rowOf[row] = ids[row];
    }
  }
  samples = static_cast<int32_t>(n);
  networkCalls = 0;
  // After bufferization: tokens, puzzle ids, sample count, packed weights,
  // then the results as out-parameters in order.
  using mlir::trm::MemRefDescriptor;
  MemRefDescriptor d[] = {
      {tokens.data(), {b, s}},
      {ids.data(), {b}},
      {&samples, {1}},
      {packed.data(), {static_cast<int64_t>(packed.size())}},
      {predictions.data(), {b, s}},
      {logits.data(), {b, s, v}},
      {qLogits.data(), {b, k, 2}},
      {steps.data(), {b}},
      {stepPredictions.data(), {b, k, s}},
      {&networkCalls, {1}}};
  entry(d[0].get(), d[1].get(), d[2].get(), d[3].get(), d[4].get(),
        d[5].get(), d[6].get(), d[7].get(), d[8].get(), d[9].get());
  out.network_calls += networkCalls;
  auto copyRows = [&](auto *to, const auto &from, int64_t perSample) {
    if (to)
      std::copy_n(from.begin(), n * perSample, to + first * perSample);
  };
  copyRows(out.predictions, predictions, s);
  copyRows(out.logits, logits, s * v);
  copyRows(out.q_logits, qLogits, k * 2);
  copyRows(out.steps, steps, 1);
  copyRows(out.step_predictions, stepPredictions, k * s);
}

void Model::run(int64_t count, const int32_t *tokenRows,
                const int32_t *puzzleIds, trm_outputs &out) {
  if (count < 0)
    throw Error("trm_model_run: a negative sample count");
  if (count && (!tokenRows || !puzzleIds))
    throw Error("trm_model_run: tokens and puzzle ids are required");
  for (const Slot &s : slots)
    if (!s.bound)
      throw Error(path + ": parameter '" + s.key +
                  "' is not bound (trm_model_bind_weights_file or "
                  "trm_model_bind_tensor)");
  const int64_t b = modelInfo.batch, s = modelInfo.seq_len,
                v = modelInfo.vocab_size;
  // The code indexes embeddings by these: out of range they would read
  // outside its tables.
  for (int64_t i = 0; i < count; ++i) {
    if (modelInfo.num_puzzle_ids &&
        (puzzleIds[i] < 0 || puzzleIds[i] >= modelInfo.num_puzzle_ids))
      throw Error("sample " + std::to_string(i) + ": puzzle id " +
                  std::to_string(puzzleIds[i]) + " is outside 0.." +
                  std::to_string(modelInfo.num_puzzle_ids - 1));
    for (int64_t j = 0; j < s; ++j)
      if (tokenRows[i * s + j] < 0 || tokenRows[i * s + j] >= v)
        throw Error("sample " + std::to_string(i) + ": token " +
                    std::to_string(tokenRows[i * s + j]) + " at position " +
                    std::to_string(j) + " is outside the vocabulary 0.." +
                    std::to_string(v - 1));
  }
  out.network_calls = 0;
  for (int64_t start = 0; start < count; start += b) {
    const int64_t n = std::min(b, count - start);
    std::fill(tokens.begin(), tokens.end(), 0);
    std::fill(ids.begin(), ids.end(), 0);
    std::copy_n(tokenRows + start * s, n * s, tokens.begin());
    std::copy_n(puzzleIds + start, n, ids.begin());
    runBatch(n, out, start);
  }
}
