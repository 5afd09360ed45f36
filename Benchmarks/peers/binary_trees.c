// Workload 1 peer: Benchmarks Game binary-trees in C, malloc/free per node (built for glibc and jemalloc).
#include <stdio.h>
#include <stdlib.h>

typedef struct Node { struct Node *left, *right; } Node;

static Node *bottom_up(int depth) {
    Node *n = malloc(sizeof *n);
    if (!n) { perror("malloc"); exit(1); }
    if (depth > 0) { n->left = bottom_up(depth - 1); n->right = bottom_up(depth - 1); }
    else n->left = n->right = NULL;
    return n;
}

static long check(const Node *n) {
    return n->left ? 1 + check(n->left) + check(n->right) : 1;
}

static void delete_tree(Node *n) {
    if (n->left) { delete_tree(n->left); delete_tree(n->right); }
    free(n);
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 10;
    int max_depth = n > 6 ? n : 6;

    Node *stretch = bottom_up(max_depth + 1);
    printf("stretch tree of depth %d\t check: %ld\n", max_depth + 1, check(stretch));
    delete_tree(stretch);

    Node *long_lived = bottom_up(max_depth);
    for (int d = 4; d <= max_depth; d += 2) {
        long iterations = 1L << (max_depth - d + 4), total = 0;
        for (long i = 0; i < iterations; i++) {
            Node *t = bottom_up(d);
            total += check(t);
            delete_tree(t);
        }
        printf("%ld\t trees of depth %d\t check: %ld\n", iterations, d, total);
    }
    printf("long lived tree of depth %d\t check: %ld\n", max_depth, check(long_lived));
    delete_tree(long_lived);
    return 0;
}
