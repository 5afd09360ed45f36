/* What heap pages from the system allocator cost against jemalloc (docs/abi.md,
   "Installing and loading"): hgc_alloc + hgc_release one at a time (the slot free
   list), then batches of 200 000 live objects of mixed sizes allocated and released
   (pages taken and handed back, the handle table grown).
   Build: cc -O2 alloc_release_bench.c $(pkg-config --cflags --libs hakogc) */
#define _POSIX_C_SOURCE 200809L
#include <hakogc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 20;
    static const uint32_t offsets[] = {0};
    hgc_vtable vt; memset(&vt, 0, sizeof vt);
    vt.size = sizeof vt; vt.payload_size = 16; vt.reference_offsets = offsets; vt.reference_count = 1;
    uint64_t cell;
    if (hgc_register_type("bench.c/AllocCell", &vt, &cell) != HGC_OK) return 1;
    hgc_heap heap;
    if (hgc_heap_create(&heap) != HGC_OK) return 1;
    enum { N = 2000000, LIVE = 200000 };
    hgc_value v;
    double t0 = now();
    for (int i = 0; i < N; i++) { hgc_alloc(heap, cell, 0, &v); hgc_release(heap, v); }
    double t1 = now();
    hgc_value *live = malloc(sizeof *live * LIVE);
    long failures = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < LIVE; i++) {
            /* cells, and strings of 16 B to 16 KiB: several size classes and some large pages */
            hgc_status s = (i % 4) ? hgc_alloc(heap, cell, 0, &live[i])
                                   : hgc_alloc(heap, HGC_TYPE_STRING, 16u << (i / 4 % 11), &live[i]);
            failures += s != HGC_OK;
        }
        for (int i = 0; i < LIVE; i++) failures += hgc_release(heap, live[i]) != HGC_OK;
    }
    double t2 = now();
    printf("hgc_alloc + hgc_release, one live: %.0f ns/pair\n", (t1 - t0) / N * 1e9);
    printf("%d batches of %d live (mixed sizes): %.0f ns/object (%ld failed calls)\n", rounds, LIVE,
           (t2 - t1) / ((double)rounds * LIVE) * 1e9, failures);
    free(live);
    hgc_heap_destroy(heap);
    return failures != 0;
}
