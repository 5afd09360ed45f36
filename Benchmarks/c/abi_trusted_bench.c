/* Per-operation cost of the trusted inline calls (HGC_MODE_TRUSTED) beside the same
   operations through the checked calls, measured in one run.
   Build: cc -O2 abi_trusted_bench.c $(pkg-config --cflags --libs hakogc)
   Run:   ./a.out [iterations]   (default 20 000 000) */
#define _POSIX_C_SOURCE 200809L
#include <hakogc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

/* Keeps the compiler from dropping a loop whose results are unused. */
static volatile uint64_t sink;

static void report(const char *what, double seconds, long n) {
    printf("%-52s %8.2f ns/op\n", what, seconds / (double)n * 1e9);
}

/* One loop per function (not inlined), so callgrind_annotate gives each loop's
   instructions: `valgrind --tool=callgrind ./a.out 1000000`, then divide. */
__attribute__((noinline)) static void trusted_pairs(hgc_value b, long n) {
    for (long i = 0; i < n; i++) { hgc_trusted_retain(b); hgc_trusted_release(b); }
}
__attribute__((noinline)) static void trusted_payloads(hgc_value a, long n) {
    uint64_t acc = 0;
    for (long i = 0; i < n; i++) acc += (uintptr_t)hgc_trusted_payload(a) + (uint64_t)i;
    sink = acc;
}
__attribute__((noinline)) static void trusted_stores(hgc_value a, hgc_value b, hgc_value c, long n) {
    for (long i = 0; i < n; i++) hgc_trusted_store(a, 0, (i & 1) ? c : b);
}
__attribute__((noinline)) static void trusted_loads(hgc_value a, long n) {
    for (long i = 0; i < n; i++) { hgc_value v = hgc_trusted_load(a, 0); hgc_trusted_release(v); }
}

/* A leaf type (no references, acyclic): its release at count 1 frees it at once. */
__attribute__((noinline)) static void trusted_allocs(hgc_allocator *leaves, long n) {
    for (long i = 0; i < n; i++) {
        hgc_value v;
        hgc_trusted_alloc(leaves, &v);
        hgc_trusted_release(v);
    }
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 20000000;
    static const uint32_t offsets[] = {0};
    hgc_vtable vt; memset(&vt, 0, sizeof vt);
    vt.size = sizeof vt; vt.payload_size = 16; vt.reference_offsets = offsets; vt.reference_count = 1;
    uint64_t type; hgc_register_type("bench.c/TrustedCell", &vt, &type);
    hgc_vtable lv; memset(&lv, 0, sizeof lv);
    lv.size = sizeof lv; lv.payload_size = 16; lv.flags = HGC_VTABLE_ACYCLIC;
    uint64_t leaf; hgc_register_type("bench.c/TrustedLeaf", &lv, &leaf);

    hgc_heap trusted, checked;
    hgc_heap_options o = {sizeof o, HGC_MODE_TRUSTED, HGC_HEADER_LAYOUT, 0};
    if (hgc_heap_create_with(&o, &trusted) != HGC_OK) { fprintf(stderr, "%s\n", hgc_last_error()); return 1; }
    hgc_heap_create(&checked);
    uint32_t mode = 0;
    hgc_heap_mode(trusted, &mode);
    if (mode != HGC_MODE_TRUSTED) printf("note: HAKOGC_ABI_CHECKED=1 made the 'trusted' heap checked\n");

    hgc_value a, b, c, out;
    hgc_alloc(trusted, type, 0, &a); hgc_alloc(trusted, type, 0, &b); hgc_alloc(trusted, type, 0, &c);
    hgc_trusted_store(a, 0, b);
    hgc_trusted_retain(b); /* b's count stays above 1: its releases stay on the inline path */

    double t0 = now();
    trusted_pairs(b, n);
    double t1 = now();
    trusted_payloads(a, n);
    double t2 = now();
    trusted_stores(a, b, c, n);
    double t3 = now();
    trusted_loads(a, n);
    double t4 = now();
    hgc_allocator *leaves = NULL;
    hgc_trusted_allocator(trusted, leaf, &leaves);
    trusted_allocs(leaves, n);
    double t5 = now();
    printf("trusted heap (inline calls), %ld iterations:\n", n);
    report("  hgc_trusted_retain + hgc_trusted_release", t1 - t0, n);
    report("  hgc_trusted_payload", t2 - t1, n);
    report("  hgc_trusted_store (retain new, release old)", t3 - t2, n);
    report("  hgc_trusted_load + hgc_trusted_release", t4 - t3, n);
    report("  hgc_trusted_alloc + hgc_trusted_release (free)", t5 - t4, n);

    long m = n / 20;
    hgc_value x, y, z;
    hgc_alloc(checked, type, 0, &x); hgc_alloc(checked, type, 0, &y); hgc_alloc(checked, type, 0, &z);
    hgc_store(checked, x, 0, y);
    double u0 = now();
    for (long i = 0; i < m; i++) { hgc_retain(checked, y, &out); hgc_release(checked, out); }
    double u1 = now();
    void *p = NULL;
    uint64_t acc = 0;
    for (long i = 0; i < m; i++) { hgc_payload(checked, x, &p, NULL); acc += (uintptr_t)p; }
    sink = acc;
    double u2 = now();
    for (long i = 0; i < m; i++) hgc_store(checked, x, 0, (i & 1) ? z : y);
    double u3 = now();
    for (long i = 0; i < m; i++) { hgc_load(checked, x, 0, &out); hgc_release(checked, out); }
    double u4 = now();
    for (long i = 0; i < m; i++) { hgc_alloc(checked, leaf, 0, &out); hgc_release(checked, out); }
    double u5 = now();
    printf("checked heap (validated calls), %ld iterations:\n", m);
    report("  hgc_retain + hgc_release", u1 - u0, m);
    report("  hgc_payload", u2 - u1, m);
    report("  hgc_store", u3 - u2, m);
    report("  hgc_load + hgc_release", u4 - u3, m);
    report("  hgc_alloc + hgc_release (free)", u5 - u4, m);

    hgc_trusted_release(b);
    hgc_trusted_release(a); hgc_trusted_release(b); hgc_trusted_release(c);
    hgc_release(checked, x); hgc_release(checked, y); hgc_release(checked, z);
    hgc_heap_destroy(trusted); hgc_heap_destroy(checked);
    return 0;
}
