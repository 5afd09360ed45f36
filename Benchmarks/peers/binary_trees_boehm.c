// Workload 1 peer: binary-trees in C on the Boehm-Demers-Weiser GC (GC_MALLOC nodes, never freed by hand).
#include <stdio.h>
#include <stdlib.h>
#include <gc.h>

typedef struct Node { struct Node *left, *right; } Node;

static Node *bottom_up(int depth) {
    Node *n = GC_MALLOC(sizeof *n);           // returned zeroed
    if (!n) { perror("GC_MALLOC"); exit(1); }
    if (depth > 0) { n->left = bottom_up(depth - 1); n->right = bottom_up(depth - 1); }
    return n;
}

static long check(const Node *n) {
    return n->left ? 1 + check(n->left) + check(n->right) : 1;
}

int main(int argc, char **argv) {
    GC_INIT();
    int n = argc > 1 ? atoi(argv[1]) : 10;
    int max_depth = n > 6 ? n : 6;

    printf("stretch tree of depth %d\t check: %ld\n", max_depth + 1, check(bottom_up(max_depth + 1)));

    Node *long_lived = bottom_up(max_depth);
    for (int d = 4; d <= max_depth; d += 2) {
        long iterations = 1L << (max_depth - d + 4), total = 0;
        for (long i = 0; i < iterations; i++) total += check(bottom_up(d));
        printf("%ld\t trees of depth %d\t check: %ld\n", iterations, d, total);
    }
    printf("long lived tree of depth %d\t check: %ld\n", max_depth, check(long_lived));
    return 0;
}
