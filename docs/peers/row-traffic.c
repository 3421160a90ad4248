/*
 * What this machine's memory side allows the FunkSvd loop (docs/benchmarks.md §15): the same per-rating row
 * traffic as the AVX2 kernel, 13 vectors of 8 floats (100 factors, stride 104) of a random item row read
 * (dot product) and/or read, scaled and written back (the item's update), prefetched 4 ratings ahead as the
 * kernel does, with NO dependency between ratings and no user row. Its time per row is a floor for the
 * kernel's time per rating at that many items; the kernel adds the user row, the biases and the dependency
 * of each rating on the one before.
 *
 * Not product code: a diagnostic in C because it must not depend on the JIT it is compared with.
 *   gcc -O3 -mavx2 -mfma -o /tmp/row-traffic docs/peers/row-traffic.c
 *   for items in 50 1000 1682 10000; do for mode in dot update both; do /tmp/row-traffic $items $mode; done; done
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WIDTH 8
#define VECTORS 13
#define STRIDE (VECTORS * WIDTH)
#define RATINGS 2000000
#define ROUNDS 10
#define PREFETCH_DISTANCE 4

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static unsigned long long state = 42;

static unsigned next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (unsigned)state;
}

int main(int argc, char **argv)
{
    if (argc < 3 || atoi(argv[1]) < 1 || (strcmp(argv[2], "dot") && strcmp(argv[2], "update") && strcmp(argv[2], "both")))
    {
        fprintf(stderr, "usage: row-traffic ITEMS dot|update|both\n");
        return 2;
    }

    int items = atoi(argv[1]);
    int dot = strcmp(argv[2], "update") != 0, update = strcmp(argv[2], "dot") != 0;
    int *item = malloc(RATINGS * sizeof(int));
    size_t bytes = ((size_t)items * STRIDE * sizeof(float) + 63) / 64 * 64; /* aligned_alloc wants whole alignments */
    float *rows = aligned_alloc(64, bytes);
    if (!item || !rows)
    {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (int k = 0; k < RATINGS; k++) item[k] = next() % items;
    for (size_t f = 0; f < (size_t)items * STRIDE; f++) rows[f] = (next() % 1000) / 10000.0f;

    __m256 p = _mm256_set1_ps(0.01f), decay = _mm256_set1_ps(0.9999f), step = _mm256_set1_ps(0.001f);
    __m256 sink = _mm256_setzero_ps();
    double best = 1e9;
    for (int round = 0; round < ROUNDS; round++)
    {
        double start = now();
        for (int k = 0; k < RATINGS; k++)
        {
            float *q = rows + (size_t)item[k] * STRIDE;
            char *ahead = (char *)(rows + (size_t)item[k + PREFETCH_DISTANCE < RATINGS ? k + PREFETCH_DISTANCE : RATINGS - 1] * STRIDE);
            for (int line = 0; line < STRIDE * (int)sizeof(float); line += 64) _mm_prefetch(ahead + line, _MM_HINT_T0);
            if (dot)
            {
                __m256 d0 = _mm256_setzero_ps(), d1 = _mm256_setzero_ps();
                for (int v = 0; v < VECTORS; v += 2)
                {
                    d0 = _mm256_fmadd_ps(p, _mm256_load_ps(q + v * WIDTH), d0);
                    if (v + 1 < VECTORS) d1 = _mm256_fmadd_ps(p, _mm256_load_ps(q + (v + 1) * WIDTH), d1);
                }
                sink = _mm256_add_ps(sink, _mm256_add_ps(d0, d1));
            }
            if (update)
            {
                for (int v = 0; v < VECTORS; v++)
                {
                    __m256 qv = _mm256_load_ps(q + v * WIDTH);
                    _mm256_store_ps(q + v * WIDTH, _mm256_fmadd_ps(p, step, _mm256_mul_ps(qv, decay)));
                }
            }
        }
        double elapsed = now() - start;
        if (elapsed < best) best = elapsed;
    }

    float out[8];
    _mm256_storeu_ps(out, sink);
    printf("items %6d  %-6s  best of %d rounds: %5.1f ns per row   (checksum %g)\n", items, argv[2], ROUNDS, best / RATINGS * 1e9, out[0] + rows[0]);
    return 0;
}
