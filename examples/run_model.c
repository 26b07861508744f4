/* run_model: runs a trm-compile artifact through the runtime's C API, the
 * only library it links (libtrmrt).
 *
 *   run_model MODEL.trmc WEIGHTS.safetensors TOKENS.i32 IDS.i32 N OUT.i32
 *
 * TOKENS.i32 holds N x seq_len int32 token ids, IDS.i32 N int32 puzzle ids
 * (raw little-endian, as numpy's tofile writes them); OUT.i32 gets the
 * N x seq_len predictions. It prints how long opening the artifact and
 * binding the weights took (ready), and the run. */
#include <trm/runtime.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double nowMs(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void *readAll(const char *path, size_t bytes) {
  FILE *f = fopen(path, "rb");
  void *data = malloc(bytes ? bytes : 1);
  if (!f || !data || fread(data, 1, bytes, f) != bytes) {
    fprintf(stderr, "run_model: %s: cannot read %zu bytes\n", path, bytes);
    exit(1);
  }
  fclose(f);
  return data;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: run_model MODEL.trmc WEIGHTS.safetensors "
                    "TOKENS.i32 IDS.i32 N OUT.i32\n");
    return 2;
  }
  const double start = nowMs();
  trm_model *model = trm_model_open(argv[1], 0);
  if (!model || trm_model_bind_weights_file(model, argv[2]) != TRM_OK) {
    fprintf(stderr, "run_model: %s\n", trm_last_error());
    return 1;
  }
  const double ready = nowMs();
  trm_model_info info;
  trm_model_get_info(model, &info);
  const long long n = atoll(argv[5]);
  int32_t *tokens = readAll(argv[3], n * info.seq_len * sizeof(int32_t));
  int32_t *ids = readAll(argv[4], n * sizeof(int32_t));
  int32_t *predictions = malloc(n * info.seq_len * sizeof(int32_t) + 1);
  int32_t *steps = malloc(n * sizeof(int32_t) + 1);
  trm_outputs out = {0};
  out.predictions = predictions;
  out.steps = steps;
  if (trm_model_run(model, n, tokens, ids, &out) != TRM_OK) {
    fprintf(stderr, "run_model: %s\n", trm_last_error());
    return 1;
  }
  const double done = nowMs();
  FILE *f = fopen(argv[6], "wb");
  if (!f || fwrite(predictions, sizeof(int32_t), n * info.seq_len, f) !=
                (size_t)(n * info.seq_len) || fclose(f) != 0) {
    fprintf(stderr, "run_model: %s: cannot write\n", argv[6]);
    return 1;
  }
  printf("%lld samples on %s (%s, batch %lld, halting %s), %lld network "
         "calls\n", n, info.target_triple, info.target_cpu,
         (long long)info.batch, info.halting, (long long)out.network_calls);
  printf("ready in %.2f ms, ran in %.2f ms\n", ready - start, done - ready);
  trm_model_close(model);
  free(tokens);
  free(ids);
  free(predictions);
  free(steps);
  return 0;
}
