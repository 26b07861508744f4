// The machine's arithmetic peak, measured: each thread runs independent
// chains of fused multiply-adds (fp32: vfmadd231ps; bf16: vdpbf16ps, two
// bf16 products summed into each f32 lane) on registers only, enough chains
// to cover the instruction's latency times the FMA units. Prints
//   fp32 GFLOPS
//   bf16 GFLOPS | bf16 unavailable
// for the thread count given. Built by bench/bench_cpu.py with -march=native:
// the widest vectors this CPU has (AVX-512, else AVX2 with FMA).
//
//   peak THREADS [SECONDS]
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { kChains = 12, kUnroll = 64 };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

typedef struct {
  int bf16;
  long iterations;
  double seconds;
  float sink;
} Job;

#if defined(__AVX512F__)
typedef __m512 Vec;
enum { kLanes = 16 };
#define SET1 _mm512_set1_ps
#define FMA(acc, a, b) acc = _mm512_fmadd_ps(a, b, acc)
#define ADD _mm512_add_ps
#define SUM _mm512_reduce_add_ps
#else
typedef __m256 Vec;
enum { kLanes = 8 };
#define SET1 _mm256_set1_ps
#define FMA(acc, a, b) acc = _mm256_fmadd_ps(a, b, acc)
#define ADD _mm256_add_ps
static float SUM(__m256 v) {
  float f[8];
  _mm256_storeu_ps(f, v);
  return f[0] + f[1] + f[2] + f[3] + f[4] + f[5] + f[6] + f[7];
}
#endif

static void *fp32Chains(Job *job) {
  Vec acc[kChains];
  for (int c = 0; c < kChains; ++c)
    acc[c] = SET1(0.001f * c);
  const Vec a = SET1(0.999999f), b = SET1(1e-7f);
  double t0 = now();
  for (long i = 0; i < job->iterations; ++i)
    for (int u = 0; u < kUnroll; ++u)
      for (int c = 0; c < kChains; ++c)
        FMA(acc[c], a, b);
  job->seconds = now() - t0;
  Vec total = acc[0];
  for (int c = 1; c < kChains; ++c)
    total = ADD(total, acc[c]);
  job->sink = SUM(total);
  return NULL;
}

#if defined(__AVX512BF16__)
static void *bf16Chains(Job *job) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c)
    acc[c] = _mm512_set1_ps(0.001f * c);
  const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-3f),
                                         _mm512_set1_ps(1e-3f));
  double t0 = now();
  for (long i = 0; i < job->iterations; ++i)
    for (int u = 0; u < kUnroll; ++u)
      for (int c = 0; c < kChains; ++c)
        acc[c] = _mm512_dpbf16_ps(acc[c], a, a);
  job->seconds = now() - t0;
  __m512 total = acc[0];
  for (int c = 1; c < kChains; ++c)
    total = _mm512_add_ps(total, acc[c]);
  job->sink = _mm512_reduce_add_ps(total);
  return NULL;
}
#endif

static void *runJob(void *arg) {
  Job *job = arg;
#if defined(__AVX512BF16__)
  if (job->bf16)
    return bf16Chains(job);
#endif
  return fp32Chains(job);
}

// GFLOP/s over `threads` threads, each running `iterations`;
// flopsPerInstruction per vector instruction. `seconds`: the slowest
// thread's time.
static double measure(int threads, int bf16, long iterations,
                      double flopsPerInstruction, double *seconds) {
  pthread_t ids[256];
  Job jobs[256];
  for (int t = 0; t < threads; ++t) {
    jobs[t] = (Job){bf16, iterations, 0, 0};
    pthread_create(&ids[t], NULL, runJob, &jobs[t]);
  }
  double slowest = 0, sink = 0;
  for (int t = 0; t < threads; ++t) {
    pthread_join(ids[t], NULL);
    if (jobs[t].seconds > slowest)
      slowest = jobs[t].seconds;
    sink += jobs[t].sink;
  }
  // The sums are used, so the chains are not optimised away.
  if (sink == -1.0)
    puts("");
  *seconds = slowest;
  return threads * (double)iterations * kUnroll * kChains *
         flopsPerInstruction / slowest / 1e9;
}

// The best of five runs of at least `target` seconds each.
static double best(int threads, int bf16, double flopsPerInstruction,
                   double target) {
  long iterations = 1000;
  double seconds = 0;
  measure(threads, bf16, iterations, flopsPerInstruction, &seconds);
  while (seconds < target) {
    iterations *= 2;
    measure(threads, bf16, iterations, flopsPerInstruction, &seconds);
  }
  double top = 0;
  for (int trial = 0; trial < 5; ++trial) {
    double g = measure(threads, bf16, iterations, flopsPerInstruction, &seconds);
    if (g > top)
      top = g;
  }
  return top;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  double seconds = argc > 2 ? atof(argv[2]) : 0.2;
  if (threads < 1 || threads > 256) {
    fprintf(stderr, "peak: THREADS must be in [1, 256]\n");
    return 1;
  }
  // An FMA is two FLOPs per lane.
  printf("fp32 %.1f\n", best(threads, 0, 2.0 * kLanes, seconds));
#if defined(__AVX512BF16__)
  // vdpbf16ps: two bf16 products and their sum into each of 16 f32 lanes.
  printf("bf16 %.1f\n", best(threads, 1, 4.0 * 16, seconds));
#else
  printf("bf16 unavailable\n");
#endif
  return 0;
}
