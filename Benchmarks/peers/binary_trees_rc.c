// Workload 1 peer: binary-trees on the least eager reference counting we know how to
// write in C: the floor for any heap that frees an object when its count reaches 0.
//
// Each node has HakoGC's layout: a 16-byte header (count, one spare word) and two
// child pointers, 32 bytes. Nodes come from 64 KiB pages with a free-slot bitmap in
// a side table; allocation takes the lowest free slot at or after the page's cursor,
// so pages fill in address order (faster here than a LIFO free list: 1.3 s against
// 1.9 s at depth 18). Dropping a tree decrements counts and frees every node at once,
// iteratively. What it leaves out, and a real heap needs: type dispatch, finalizers,
// weak references, cycle collection, statistics, misuse checks, thread checks.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

typedef struct Node { uint64_t count, spare; struct Node *left, *right; } Node;

enum { PAGE = 64 * 1024, SLOT = 32, SLOTS = PAGE / SLOT, WORDS = SLOTS / 64, MAX_PAGES = 1 << 15 };

typedef struct Meta { uint64_t free[WORDS]; int cursor, listed; } Meta;

static char *region;              // MAX_PAGES pages, reserved up front (2 GiB of address space)
static Meta meta[MAX_PAGES];
static int pages, current = -1;
static int room[MAX_PAGES], rooms; // pages with a free slot, other than the current one

static int new_page(void) {
    if (pages == MAX_PAGES) { fputs("out of pages\n", stderr); exit(1); }
    Meta *m = &meta[pages];
    for (int w = 0; w < WORDS; w++) m->free[w] = ~0ull;
    m->cursor = 0;
    m->listed = 0;
    return pages++;
}

static Node *allocate(void) {
    for (;;) {
        if (current >= 0) {
            Meta *m = &meta[current];
            for (; m->cursor < WORDS; m->cursor++) {
                uint64_t w = m->free[m->cursor];
                if (w) {
                    m->free[m->cursor] = w & (w - 1);
                    size_t slot = (size_t)m->cursor * 64 + (size_t)__builtin_ctzll(w);
                    return (Node *)(region + (size_t)current * PAGE + slot * SLOT);
                }
            }
        }
        if (rooms) { current = room[--rooms]; meta[current].listed = 0; }
        else current = new_page();
    }
}

static void free_node(Node *n) {
    size_t offset = (size_t)((char *)n - region);
    int page = (int)(offset / PAGE), slot = (int)(offset % PAGE / SLOT);
    Meta *m = &meta[page];
    m->free[slot / 64] |= 1ull << (slot % 64);
    if (slot / 64 < m->cursor) m->cursor = slot / 64;
    if (page != current && !m->listed) { m->listed = 1; room[rooms++] = page; }
}

static Node *bottom_up(int depth) {
    Node *n = allocate();
    n->count = 1;
    if (depth > 0) { n->left = bottom_up(depth - 1); n->right = bottom_up(depth - 1); }
    else n->left = n->right = NULL;
    return n;
}

static long check(const Node *n) {
    return n->left ? 1 + check(n->left) + check(n->right) : 1;
}

static Node **work;  // nodes whose count reached 0, not yet freed

static void release(Node *root) {
    if (--root->count) return;
    size_t top = 0;
    work[top++] = root;
    while (top) {
        Node *n = work[--top];
        Node *l = n->left, *r = n->right;
        free_node(n);
        if (l && --l->count == 0) work[top++] = l;
        if (r && --r->count == 0) work[top++] = r;
    }
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 10;
    int max_depth = n > 6 ? n : 6;
    region = mmap(NULL, (size_t)MAX_PAGES * PAGE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    work = malloc(sizeof(Node *) * (size_t)(max_depth + 8) * 4);  // depth-first: at most 2 per level
    if (region == MAP_FAILED || !work) { perror("allocation"); return 1; }

    Node *stretch = bottom_up(max_depth + 1);
    printf("stretch tree of depth %d\t check: %ld\n", max_depth + 1, check(stretch));
    release(stretch);

    Node *long_lived = bottom_up(max_depth);
    for (int d = 4; d <= max_depth; d += 2) {
        long iterations = 1L << (max_depth - d + 4), total = 0;
        for (long i = 0; i < iterations; i++) {
            Node *t = bottom_up(d);
            total += check(t);
            release(t);
        }
        printf("%ld\t trees of depth %d\t check: %ld\n", iterations, d, total);
    }
    printf("long lived tree of depth %d\t check: %ld\n", max_depth, check(long_lived));
    release(long_lived);
    return 0;
}
