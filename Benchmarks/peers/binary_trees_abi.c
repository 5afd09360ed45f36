// Workload 1 through the C ABI: binary-trees as a runtime linking libHakoGC would
// write it, every node a boxed value of a registered type with two reference slots.
//   bt-c-abi DEPTH trusted   HGC_MODE_TRUSTED: hgc_trusted_alloc (an allocator made
//                            once), inline moves into the new node's slots, reads
//                            through the payload, inline release of each tree.
//   bt-c-abi DEPTH checked   HGC_MODE_CHECKED: hgc_alloc, hgc_store + hgc_release,
//                            hgc_load + hgc_release per node visited: every call
//                            validated.
// Prints the reference output (run.py checks it).
#include <hakogc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hgc_heap heap;
static hgc_allocator *nodes;
static uint64_t node_type;
static int trusted;

static void fail(const char *what) { fprintf(stderr, "bt-c-abi: %s: %s\n", what, hgc_last_error()); exit(1); }

static hgc_value bottom_up(int depth) {
    hgc_value n;
    if (trusted) {
        if (hgc_trusted_alloc(nodes, &n) != HGC_OK) fail("alloc");
        if (depth > 0) {
            hgc_trusted_store_moving(n, 0, bottom_up(depth - 1));
            hgc_trusted_store_moving(n, 8, bottom_up(depth - 1));
        }
        return n;
    }
    if (hgc_alloc(heap, node_type, 0, &n) != HGC_OK) fail("alloc");
    if (depth > 0) {
        hgc_value l = bottom_up(depth - 1), r = bottom_up(depth - 1);
        if (hgc_store(heap, n, 0, l) != HGC_OK || hgc_store(heap, n, 1, r) != HGC_OK) fail("store");
        hgc_release(heap, l);
        hgc_release(heap, r);
    }
    return n;
}

static long check_trusted(hgc_value n) {
    const uint64_t *slots = hgc_trusted_payload(n);
    if (slots[0] == 0) return 1;
    hgc_value l = {node_type, slots[0], 0}, r = {node_type, slots[1], 0};  // borrowed
    return 1 + check_trusted(l) + check_trusted(r);
}

static long check_checked(hgc_value n) {
    hgc_value l, r;
    if (hgc_load(heap, n, 0, &l) != HGC_OK) fail("load");
    if (hgc_value_tag(l) == HGC_TAG_NULL) return 1;
    if (hgc_load(heap, n, 1, &r) != HGC_OK) fail("load");
    long c = 1 + check_checked(l) + check_checked(r);
    hgc_release(heap, l);
    hgc_release(heap, r);
    return c;
}

static long check(hgc_value n) { return trusted ? check_trusted(n) : check_checked(n); }
static void drop(hgc_value n) { if (trusted) hgc_trusted_release(n); else hgc_release(heap, n); }

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 10;
    trusted = !(argc > 2 && strcmp(argv[2], "checked") == 0);
    int max_depth = n > 6 ? n : 6;
    static const uint32_t offsets[] = {0, 8};
    hgc_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.size = sizeof vt;
    vt.payload_size = 16;
    vt.reference_offsets = offsets;
    vt.reference_count = 2;
    if (hgc_register_type("bench.c/Node", &vt, &node_type) != HGC_OK) fail("register");
    hgc_heap_options options = {sizeof options, trusted ? HGC_MODE_TRUSTED : HGC_MODE_CHECKED, HGC_HEADER_LAYOUT, 0};
    if (hgc_heap_create_with(&options, &heap) != HGC_OK) fail("heap");
    uint32_t mode = 0;
    hgc_heap_mode(heap, &mode);
    if (trusted && mode != HGC_MODE_TRUSTED) { fputs("bt-c-abi: the heap came out checked (HAKOGC_ABI_CHECKED=1?)\n", stderr); return 1; }
    if (trusted && hgc_trusted_allocator(heap, node_type, &nodes) != HGC_OK) fail("allocator");

    hgc_value stretch = bottom_up(max_depth + 1);
    printf("stretch tree of depth %d\t check: %ld\n", max_depth + 1, check(stretch));
    drop(stretch);

    hgc_value long_lived = bottom_up(max_depth);
    for (int d = 4; d <= max_depth; d += 2) {
        long iterations = 1L << (max_depth - d + 4), total = 0;
        for (long i = 0; i < iterations; i++) {
            hgc_value t = bottom_up(d);
            total += check(t);
            drop(t);
        }
        printf("%ld\t trees of depth %d\t check: %ld\n", iterations, d, total);
    }
    printf("long lived tree of depth %d\t check: %ld\n", max_depth, check(long_lived));
    drop(long_lived);
    hgc_heap_destroy(heap);
    return 0;
}
