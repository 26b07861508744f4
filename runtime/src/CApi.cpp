//===- CApi.cpp - the C API of include/trm/runtime.h ----------------------===//
#include "Error.h"
#include "Model.h"
#include "trm/runtime.h"

#include <new>

using trm::rt::Error;

struct trm_model {
  std::unique_ptr<trm::rt::Model> model;
};

static thread_local std::string lastError;

/// Runs `body`, turning what it throws into TRM_ERROR and the message.
template <typename Body> static trm_status guarded(Body &&body) {
  try {
    body();
    lastError.clear();
    return TRM_OK;
  } catch (const std::bad_alloc &) {
    lastError = "out of memory";
  } catch (const std::exception &e) {
    lastError = e.what();
  }
  return TRM_ERROR;
}

/// A tensor of the C API as the runtime's view; throws on a malformed one.
static trm::rt::TensorView viewOf(const char *name, trm_dtype dtype,
                                  const int64_t *shape, int rank,
                                  const void *data, const char *function) {
  if (!name || rank < 0 || (rank && !shape))
    throw Error(std::string(function) + ": a tensor without name or shape");
  if (trm::rt::dtypeBytes(dtype) == 0)
    throw Error(std::string(function) + ": '" + name + "': unknown dtype " +
                std::to_string(int(dtype)));
  trm::rt::TensorView t;
  t.name = name;
  t.dtype = dtype;
  t.shape.assign(shape, shape + rank);
  for (int64_t d : t.shape)
    if (d < 0)
      throw Error(std::string(function) + ": '" + name +
                  "': a negative dimension");
  t.data = static_cast<const uint8_t *>(data);
  if (!t.data)
    throw Error(std::string(function) + ": '" + name + "': no data");
  return t;
}

extern "C" {

const char *trm_last_error(void) { return lastError.c_str(); }

const char *trm_runtime_version(void) { return TRM_RUNTIME_VERSION; }

trm_model *trm_model_open(const char *artifactPath, int threads) {
  trm_model *handle = nullptr;
  guarded([&] {
    if (!artifactPath)
      throw Error("trm_model_open: no artifact path");
    if (threads < 0)
      throw Error("trm_model_open: threads must be 0 or more");
    auto model = trm::rt::Model::open(artifactPath, threads);
    handle = new trm_model{std::move(model)};
  });
  return handle;
}

void trm_model_close(trm_model *model) { delete model; }

void trm_model_get_info(const trm_model *model, trm_model_info *info) {
  if (model && info)
    *info = model->model->info();
}

trm_status trm_model_bind_weights_file(trm_model *model, const char *path) {
  return guarded([&] {
    if (!model || !path)
      throw Error("trm_model_bind_weights_file: no model or no path");
    model->model->bindWeightsFile(path);
  });
}

trm_status trm_model_bind_tensor(trm_model *model, const char *name,
                                 trm_dtype dtype, const int64_t *shape,
                                 int rank, const void *data) {
  return guarded([&] {
    if (!model)
      throw Error("trm_model_bind_tensor: no model");
    model->model->bindTensor(
        viewOf(name, dtype, shape, rank, data, "trm_model_bind_tensor"),
        "trm_model_bind_tensor");
  });
}

trm_status trm_model_bind_tensors(trm_model *model, const char *source,
                                  const trm_tensor *tensors, size_t count) {
  return guarded([&] {
    if (!model || !source || (count && !tensors))
      throw Error("trm_model_bind_tensors: no model, source or tensors");
    std::vector<trm::rt::TensorView> views;
    for (size_t i = 0; i < count; ++i)
      views.push_back(viewOf(tensors[i].name, tensors[i].dtype,
                             tensors[i].shape, tensors[i].rank,
                             tensors[i].data, "trm_model_bind_tensors"));
    model->model->bindTensors(views, source);
  });
}

trm_status trm_model_run(trm_model *model, int64_t count,
                         const int32_t *tokens, const int32_t *puzzleIds,
                         trm_outputs *outputs) {
  return guarded([&] {
    if (!model || !outputs)
      throw Error("trm_model_run: no model or no outputs");
    model->model->run(count, tokens, puzzleIds, *outputs);
  });
}

} // extern "C"
