// Workload 4 peer: allocation throughput of small mixed-size objects with malloc/free (built for glibc and jemalloc).
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>

static const size_t words[6] = {2, 4, 6, 8, 12, 16};   // payload of kind k, in 8-byte words

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv) {
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000000;
    uint64_t w = argc > 2 ? strtoull(argv[2], NULL, 10) : 6000;
    uint64_t per = w / 6;                     // slots per window
    if (per == 0) { fprintf(stderr, "W must be >= 6\n"); return 2; }
    uint64_t **window = calloc(6 * per, sizeof *window);   // window[k][slot] = window[k * per + slot]
    if (!window) { perror("calloc"); return 1; }

    uint64_t checksum = 0;
    uint64_t start = now_ns();                // timed: the whole loop plus freeing what is left
    for (uint64_t i = 0; i < n; i++) {
        uint64_t k = i % 6, slot = (i / 6) % per;
        uint64_t **cell = &window[k * per + slot];
        if (*cell) { checksum += (*cell)[0]; free(*cell); }
        uint64_t *obj = malloc(words[k] * sizeof(uint64_t));
        if (!obj) { perror("malloc"); return 1; }
        obj[0] = i;                           // touch both ends
        obj[words[k] - 1] = i ^ k;
        *cell = obj;
    }
    for (uint64_t j = 0; j < 6 * per; j++) free(window[j]);
    uint64_t total = now_ns() - start;

    double secs = total / 1e9, mops = n / (total / 1e3);
    printf("malloc/free: %llu allocations, window %llu: %.3f s, %.3f Mops/s, checksum %llu\n",
           (unsigned long long)n, (unsigned long long)w, secs, mops, (unsigned long long)checksum);
    printf("RESULT total_s=%.6f mops=%.3f checksum=%llu\n", secs, mops, (unsigned long long)checksum);
    free(window);
    return 0;
}
