// How much a cold cache costs each sgemm shape of configs/bench.toml's step (issue 16).
//
//   gcc -O2 -o /tmp/sgemm_cold_probe launch/sgemm_cold_probe.c $(pkg-config --cflags --libs openblas)
//   OPENBLAS_CORETYPE=$(.build/release/ddp blas-coretype) /tmp/sgemm_cold_probe 20
//
// One thread, row-major, 2 MB-aligned huge-page operands as the model's (allocateFloats).
// Per shape, in thread CPU ms, best and mean of R calls after one warm-up:
//   warm        operands left in the cache by the previous call (GEMMShape.secondsAlone)
//   cold        a 64 MB sweep before each call evicts A, B and C from L2 and L3
//   cold+touch  the same sweep, then one read of every cache line of A, B and C inside the
//               timing (a streamed prefetch: does it cost less than the cold misses it saves?)
// The last line sums calls x time per shape: the floor warm and cold, best and mean.
#define _GNU_SOURCE
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double cpu(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static float *alloc(size_t n) {
  size_t huge = 2u << 20, bytes = (n * 4 + huge - 1) / huge * huge;
  void *p;
  if (posix_memalign(&p, huge, bytes)) exit(1);
  madvise(p, bytes, MADV_HUGEPAGE);
  memset(p, 0, bytes);
  return p;
}

static volatile float sink;
static void touch(const float *x, size_t n) {  // one read per 64-byte line
  float s = 0;
  for (size_t i = 0; i < n; i += 16) s += x[i];
  sink += s;
}

typedef struct { int ta, tb, m, n, k, beta, calls; } Shape;

int main(int argc, char **argv) {
  openblas_set_num_threads(1);
  size_t sweepN = 16u <<20;  // 64 MB of floats: twice the L3
  float *sweep = alloc(sweepN);
  Shape s[] = {{0, 1, 1024, 256, 1024, 1, 6}, {1, 0, 1024, 256, 1024, 1, 6},
               {0, 0, 1024, 1024, 256, 0, 6}, {1, 0, 256, 1024, 1024, 1, 6},
               {0, 0, 1024, 256, 1024, 0, 6}, {0, 1, 1024, 1024, 256, 0, 6},
               {1, 0, 768, 256, 1024, 1, 6},  {0, 0, 1024, 256, 768, 0, 6},
               {0, 1, 1024, 768, 256, 1, 6},  {1, 0, 256, 256, 1024, 1, 7},
               {0, 0, 1024, 256, 256, 0, 6},  {0, 1, 1024, 256, 256, 1, 6},
               {0, 0, 1024, 256, 256, 1, 1},  {0, 1, 1024, 256, 256, 0, 1}};
  int shapes = sizeof s / sizeof s[0], R = argc > 1 ? atoi(argv[1]) : 20;
  double floorBest[3] = {0}, floorMean[3] = {0};
  printf("%-24s %5s | best: %6s %6s %10s | mean: %6s %6s %10s\n", "M x N x K op beta", "calls",
         "warm", "cold", "cold+touch", "warm", "cold", "cold+touch");
  for (int i = 0; i < shapes; i++) {
    Shape x = s[i];
    size_t na = (size_t)x.m * x.k, nb = (size_t)x.k * x.n, nc = (size_t)x.m * x.n;
    float *a = alloc(na), *b = alloc(nb), *c = alloc(nc);
    for (size_t j = 0; j < na; j++) a[j] = 0.01f;
    for (size_t j = 0; j < nb; j++) b[j] = 0.02f;
    int lda = x.ta ? x.m : x.k, ldb = x.tb ? x.k : x.n;
    double best[3] = {1e9, 1e9, 1e9}, sum[3] = {0};
    for (int mode = 0; mode < 3; mode++) {
      for (int r = 0; r <= R; r++) {
        if (mode > 0)
          for (size_t j = 0; j < sweepN; j += 16) sweep[j] += 1;
        double t0 = cpu();
        if (mode == 2) { touch(a, na); touch(b, nb); touch(c, nc); }
        cblas_sgemm(CblasRowMajor, x.ta ? CblasTrans : CblasNoTrans,
                    x.tb ? CblasTrans : CblasNoTrans, x.m, x.n, x.k, 1, a, lda, b, ldb, x.beta,
                    c, x.n);
        double t = cpu() - t0;
        if (r > 0) { sum[mode] += t; if (t < best[mode]) best[mode] = t; }
      }
      floorBest[mode] += x.calls * best[mode];
      floorMean[mode] += x.calls * sum[mode] / R;
    }
    char name[64];
    snprintf(name, sizeof name, "%dx%dx%d %s%s b=%d", x.m, x.n, x.k, x.ta ? "At" : "A",
             x.tb ? "Bt" : "B", x.beta);
    printf("%-24s %5d | %12.3f %6.3f %10.3f | %12.3f %6.3f %10.3f\n", name, x.calls,
           best[0] * 1e3, best[1] * 1e3, best[2] * 1e3, sum[0] / R * 1e3, sum[1] / R * 1e3,
           sum[2] / R * 1e3);
    free(a); free(b); free(c);
  }
  printf("floor CPU ms, best: warm %.1f cold %.1f cold+touch %.1f | mean: warm %.1f cold %.1f "
         "cold+touch %.1f\n", floorBest[0] * 1e3, floorBest[1] * 1e3, floorBest[2] * 1e3,
         floorMean[0] * 1e3, floorMean[1] * 1e3, floorMean[2] * 1e3);
  return 0;
}
