//===- Model.h - an opened artifact with its weights --------------*- C++ -*-===//
//
// What trm_model is: the artifact's code loaded by the dynamic loader, its
// signature and weight table, the packed weights argument, and the batch
// buffers the code fills. The runtime moves data and calls the code; all
// model arithmetic is in the code the compiler generated.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_RUNTIME_SRC_MODEL_H
#define TRM_RUNTIME_SRC_MODEL_H

#include "Weights.h"
#include "trm/runtime.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace trm::rt {

class Model {
public:
  /// Throws Error naming `path` and what is wrong with it.
  static std::unique_ptr<Model> open(const std::string &path, int threads);
  ~Model();

  const trm_model_info &info() const { return modelInfo; }
  /// All-or-nothing: on an error nothing the file holds is bound.
  void bindWeightsFile(const std::string &path);
  /// A whole parameter set, checked as a file's is (each parameter exactly
  /// once, no other); all-or-nothing. `source` names it in errors.
  void bindTensors(const std::vector<TensorView> &tensors,
                   const std::string &source);
  void bindTensor(const TensorView &tensor, const std::string &source);
  void run(int64_t count, const int32_t *tokens, const int32_t *puzzleIds,
           trm_outputs &outputs);

private:
  Model() = default;
  void parseMetadata(const std::string &json, const std::string &path);
  void loadCode(const std::string &path, int threads);
  /// The slot `tensor` binds, after its shape is checked; throws Error.
  size_t slotFor(const TensorView &tensor, const std::string &source) const;
  void fill(size_t slot, const TensorView &tensor);
  void runBatch(int64_t n, trm_outputs &outputs, int64_t first);

  struct Slot {
    std::string key;
    std::vector<int64_t> shape; // as packed: one row per batch row if streamed
    int64_t offset = 0;
    int64_t streamedRows = 0; // the file's rows of a streamed table
    bool bound = false;
    TensorView streamed;          // the table rows are read from
    std::vector<int64_t> rowOf;   // the row each batch slot holds, -1: none
    int64_t elements() const;
  };
  trm_model_info modelInfo{};
  std::string path, entryName, halting, precision, triple, cpu, features,
      compiler;
  bool usesOpenMP = false;
  std::vector<std::string> requiredFeatures;
  std::vector<Slot> slots;
  std::map<std::string, size_t> slotByKey;
  int64_t packedSize = 0;
  std::vector<float> packed;
  std::vector<std::shared_ptr<MappedFile>> weightFiles;

  // One batch's buffers, as the code's arguments.
  std::vector<int32_t> tokens, ids, predictions, steps, stepPredictions;
  std::vector<float> logits, qLogits;
  int32_t samples = 0, networkCalls = 0;

  void *library = nullptr;
  using EntryFn = void (*)(void *, void *, void *, void *, void *, void *,
                           void *, void *, void *, void *);
  EntryFn entry = nullptr;
};

} // namespace trm::rt

#endif
