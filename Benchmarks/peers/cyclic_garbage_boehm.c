// Workload 2 peer: cyclic garbage beside a live tree, on the Boehm GC (rings are just dropped; no GC_gcollect per round).
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>
#include <sys/resource.h>
#include <gc.h>

typedef struct Node { struct Node *next, *other; } Node;   // tree: left = next, right = other

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static Node *new_node(void) {
    Node *n = GC_MALLOC(sizeof *n);           // returned zeroed
    if (!n) { perror("GC_MALLOC"); exit(1); }
    return n;
}

static Node *tree(int d) {
    Node *n = new_node();
    if (d > 0) { n->next = tree(d - 1); n->other = tree(d - 1); }
    return n;
}

static long count(const Node *n) {
    return 1 + (n->next ? count(n->next) : 0) + (n->other ? count(n->other) : 0);
}

static void build_ring(Node *root, long k) {  // K nodes, next forms a ring, other -> live root
    Node *first = new_node(), *prev = first;
    first->other = root;
    for (long i = 1; i < k; i++) {
        Node *n = new_node();
        n->other = root;
        prev->next = n;
        prev = n;
    }
    prev->next = first;                       // ring closed; dropped when we return
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

// nearest rank: index ceil(q/100 * n) - 1, q given in tenths of a percent (exact integer math)
static double pct_us(const uint64_t *s, long n, long q10) {
    long i = (q10 * n + 999) / 1000 - 1;
    if (i < 0) i = 0;
    if (i > n - 1) i = n - 1;
    return s[i] / 1000.0;
}

int main(int argc, char **argv) {
    GC_INIT();
    int depth = argc > 1 ? atoi(argv[1]) : 16;
    long rounds = argc > 2 ? atol(argv[2]) : 100000;
    long k = argc > 3 ? atol(argv[3]) : 64;
    if (rounds < 1 || k < 1) { fprintf(stderr, "need R >= 1, K >= 1\n"); return 2; }

    Node *root = tree(depth);
    long live_nodes = (1L << (depth + 1)) - 1;
    uint64_t *lat = malloc(rounds * sizeof *lat);   // plain malloc: not scanned, holds no pointers
    if (!lat) { perror("malloc"); return 1; }

    uint64_t start = now_ns();
    for (long r = 0; r < rounds; r++) {
        uint64_t t0 = now_ns();
        build_ring(root, k);
        lat[r] = now_ns() - t0;
    }
    uint64_t total = now_ns() - start;

    GC_gcollect();
    size_t heap = GC_get_heap_size(), used = heap - GC_get_free_bytes();
    size_t live_bytes = (size_t)live_nodes * sizeof(Node);
    int reclaimed = heap < 4 * (live_bytes + (1u << 20));
    int intact = count(root) == live_nodes;

    qsort(lat, rounds, sizeof *lat, cmp_u64);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("boehm depth %d live %ld rounds %ld k %ld: total %.3f s, p50 %.3f us, p99 %.3f us, p99.9 %.3f us, max %.3f us, "
           "peak RSS %ld MB, heap %zu KB (in use %zu KB, live tree %zu KB), GC count %zu\n",
           depth, live_nodes, rounds, k, total / 1e9, pct_us(lat, rounds, 500), pct_us(lat, rounds, 990),
           pct_us(lat, rounds, 999), lat[rounds - 1] / 1000.0, ru.ru_maxrss / 1024, heap / 1024, used / 1024,
           live_bytes / 1024, (size_t)GC_get_gc_no());
    printf("RESULT total_s=%.6f p50_us=%.3f p99_us=%.3f p999_us=%.3f max_us=%.3f reclaimed=%d intact=%d\n",
           total / 1e9, pct_us(lat, rounds, 500), pct_us(lat, rounds, 990), pct_us(lat, rounds, 999),
           lat[rounds - 1] / 1000.0, reclaimed, intact);
    free(lat);
    return 0;
}
