/*===- trm/runtime.h - run compiled TRM artifacts, from C ----------------===*\
 *
 * The trm runtime loads an artifact that trm-compile made for the CPU (the
 * model's machine code as a shared library, with its signature and weight
 * table), binds a weights file to it and runs samples. It needs neither
 * MLIR nor LLVM: libtrmrt.so depends on the C and C++ libraries and, for
 * artifacts compiled with threads, the LLVM OpenMP runtime (libomp), which
 * it loads when such an artifact asks for it.
 *
 *   trm_model *m = trm_model_open("sudoku.trmc", 0);
 *   if (!m || trm_model_bind_weights_file(m, "weights.safetensors"))
 *     fprintf(stderr, "%s\n", trm_last_error());
 *   trm_outputs out = {.predictions = preds};
 *   trm_model_run(m, n, tokens, puzzle_ids, &out);
 *   trm_model_close(m);
 *
 * Every function that can fail returns TRM_ERROR (or NULL) and leaves a
 * message naming the file, field or argument in trm_last_error(), per
 * thread. A model may be used by one thread at a time.
\*===----------------------------------------------------------------------===*/
#ifndef TRM_RUNTIME_H
#define TRM_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum trm_status { TRM_OK = 0, TRM_ERROR = 1 } trm_status;

/* Element types a bound tensor may have; they are converted to f32. */
typedef enum trm_dtype {
  TRM_DTYPE_F32 = 0,
  TRM_DTYPE_F16 = 1,
  TRM_DTYPE_BF16 = 2,
  TRM_DTYPE_F64 = 3
} trm_dtype;

typedef struct trm_model trm_model;

/* What an artifact was compiled for; the strings live as long as the model. */
typedef struct trm_model_info {
  int64_t batch;            /* samples one call of the code computes */
  int64_t seq_len;          /* tokens per sample */
  int64_t vocab_size;       /* logits per token */
  int64_t max_steps;        /* supervision steps */
  int64_t num_puzzle_ids;   /* puzzle ids are 0 .. num_puzzle_ids-1 */
  int64_t calls_per_step;   /* network calls one sample makes per step */
  const char *halting;      /* "fixed" or "q_halt" */
  const char *target_triple;
  const char *target_cpu;
  const char *target_features;
  const char *compiler;     /* the trm-compile that made it */
  const char *precision;    /* "f32", or "bf16": the weights' matmuls
                               multiply in bf16 and sum in f32 */
} trm_model_info;

/* Where trm_model_run writes the results of `count` samples, row-major; any
 * pointer may be NULL. */
typedef struct trm_outputs {
  int32_t *predictions;      /* [count, seq_len] token ids */
  float *logits;             /* [count, seq_len, vocab_size] */
  float *q_logits;           /* [count, max_steps, 2] per step (halt, continue) */
  int32_t *steps;            /* [count] steps each sample ran */
  int32_t *step_predictions; /* [count, max_steps, seq_len]; -1 after halting */
  int64_t network_calls;     /* out: rows times calls the code executed */
} trm_outputs;

/* The last error of this thread ("" when none). */
const char *trm_last_error(void);

/* The runtime's version string. */
const char *trm_runtime_version(void);

/* Opens an artifact (checksum, format, target and CPU features checked) and
 * loads its code. `threads` > 0 sets the thread count of artifacts compiled
 * with threads; 0 keeps OMP_NUM_THREADS or every core. NULL on error. */
trm_model *trm_model_open(const char *artifact_path, int threads);
void trm_model_close(trm_model *model);
void trm_model_get_info(const trm_model *model, trm_model_info *info);

/* Binds every parameter from a safetensors file (f32, f16, bf16 or f64;
 * keys as the reference trainer saves them or canonical): each tensor the
 * model needs must be there with its shape, and no other. The file stays
 * mapped; of a streamed puzzle embedding only the rows a batch uses are
 * read. */
trm_status trm_model_bind_weights_file(trm_model *model, const char *path);

/* Binds one parameter from memory (for callers with their own checkpoint
 * readers). `name` is canonicalised as in files. The data is converted now,
 * except a streamed puzzle embedding's, which is read at every batch and
 * must stay valid until the model is closed. */
trm_status trm_model_bind_tensor(trm_model *model, const char *name,
                                 trm_dtype dtype, const int64_t *shape,
                                 int rank, const void *data);

/* One tensor of a parameter set in memory. */
typedef struct trm_tensor {
  const char *name;     /* canonicalised as in files */
  trm_dtype dtype;
  const int64_t *shape;
  int rank;
  const void *data;     /* row-major, little-endian */
} trm_tensor;

/* Binds a whole parameter set from memory, checked as a file is (each
 * parameter the model needs exactly once, with its shape, and no other;
 * nothing is bound on an error); `source` names the set in errors, e.g. the
 * checkpoint it was read from. Data lifetime as for trm_model_bind_tensor. */
trm_status trm_model_bind_tensors(trm_model *model, const char *source,
                                  const trm_tensor *tensors, size_t count);

/* Runs `count` samples (tokens [count, seq_len], puzzle ids [count]) in
 * batches of the model's batch size. Every parameter must be bound. */
trm_status trm_model_run(trm_model *model, int64_t count,
                         const int32_t *tokens, const int32_t *puzzle_ids,
                         trm_outputs *outputs);

#ifdef __cplusplus
}
#endif

#endif /* TRM_RUNTIME_H */
