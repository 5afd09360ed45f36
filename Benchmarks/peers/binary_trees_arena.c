// Workload 1 peer: binary-trees with an arena floor: bump allocation from one buffer, reset per tree, no per-node free.
#include <stdio.h>
#include <stdlib.h>

typedef struct Node { struct Node *left, *right; } Node;
typedef struct Arena { Node *base; size_t used, cap; } Arena;

static Arena arena_new(int depth) {           // room for exactly one tree of this depth
    Arena a = { NULL, 0, ((size_t)1 << (depth + 1)) - 1 };
    a.base = malloc(a.cap * sizeof(Node));
    if (!a.base) { perror("malloc"); exit(1); }
    return a;
}

static Node *bottom_up(Arena *a, int depth) {
    Node *n = &a->base[a->used++];
    if (depth > 0) { n->left = bottom_up(a, depth - 1); n->right = bottom_up(a, depth - 1); }
    else n->left = n->right = NULL;
    return n;
}

static long check(const Node *n) {
    return n->left ? 1 + check(n->left) + check(n->right) : 1;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 10;
    int max_depth = n > 6 ? n : 6;

    Arena stretch = arena_new(max_depth + 1);
    printf("stretch tree of depth %d\t check: %ld\n", max_depth + 1, check(bottom_up(&stretch, max_depth + 1)));
    free(stretch.base);

    Arena long_arena = arena_new(max_depth);
    Node *long_lived = bottom_up(&long_arena, max_depth);
    Arena work = arena_new(max_depth);        // reused for every short-lived tree
    for (int d = 4; d <= max_depth; d += 2) {
        long iterations = 1L << (max_depth - d + 4), total = 0;
        for (long i = 0; i < iterations; i++) {
            work.used = 0;                    // reset: the previous tree is gone at once
            total += check(bottom_up(&work, d));
        }
        printf("%ld\t trees of depth %d\t check: %ld\n", iterations, d, total);
    }
    printf("long lived tree of depth %d\t check: %ld\n", max_depth, check(long_lived));
    free(work.base);
    free(long_arena.base);
    return 0;
}
