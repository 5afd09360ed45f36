/* Cost of one boundary call (value in, value out) and of handle validation.
   Build: cc -O2 abi_call_bench.c $(pkg-config --cflags --libs hakogc) */
#include <hakogc.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

int main(void) {
    static const uint32_t offsets[] = {0};
    hgc_vtable vt; memset(&vt, 0, sizeof vt);
    vt.size = sizeof vt; vt.payload_size = 16; vt.reference_offsets = offsets; vt.reference_count = 1;
    uint64_t type; hgc_register_type("bench.c/Cell", &vt, &type);
    hgc_heap heap; hgc_heap_create(&heap);
    hgc_value a, b, out; hgc_alloc(heap, type, 0, &a); hgc_alloc(heap, type, 0, &b);
    hgc_store(heap, a, 0, b);
    enum { N = 2000000 };
    int same = 0;
    double t0 = now();
    for (int i = 0; i < N; i++) hgc_same(heap, a, b, &same);          /* validates two handles */
    double t1 = now();
    for (int i = 0; i < N; i++) { hgc_load(heap, a, 0, &out); hgc_release(heap, out); } /* value out + back */
    double t2 = now();
    for (int i = 0; i < N; i++) hgc_value_validate(hgc_int_unchecked(i));  /* shape check only */
    double t3 = now();
    hgc_value stale = out;
    for (int i = 0; i < N; i++) hgc_release(heap, stale);             /* refused: stale */
    double t4 = now();
    printf("hgc_same (2 handles validated): %.0f ns/call\n", (t1 - t0) / N * 1e9);
    printf("hgc_load + hgc_release (value out, handle made and checked back): %.0f ns/pair\n", (t2 - t1) / N * 1e9);
    printf("hgc_value_validate (immediate): %.0f ns/call\n", (t3 - t2) / N * 1e9);
    printf("hgc_release of a stale handle (refused): %.0f ns/call\n", (t4 - t3) / N * 1e9);
    hgc_release(heap, a); hgc_release(heap, b); hgc_heap_destroy(heap);
    return 0;
}
