/* Cost of one boundary call in checked mode (every handle validated): a value in,
   a value out, and the refusal of a bad one.
   Build: cc -O2 abi_call_bench.c $(pkg-config --cflags --libs hakogc)
   Run:   ./a.out [N]        (N calls per loop, default 2 000 000; best of 5 rounds)
   Instructions per call (repeatable on a shared machine):
          valgrind --tool=callgrind --callgrind-out-file=cg.out ./a.out 200000
          callgrind_annotate --inclusive=yes cg.out | grep bench_
   and divide each bench_* function's count by 5 * N (rounds * calls). */
#include <hakogc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { ROUNDS = 5 };
static long N = 2000000;
static hgc_heap heap;
static hgc_value a, b, out, stale;
static volatile int sink;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

/* One function per loop (noinline), so that callgrind reports each one's cost. */
__attribute__((noinline)) static void bench_same(void) {          /* validates two handles */
    int same = 0;
    for (long i = 0; i < N; i++) hgc_same(heap, a, b, &same);
    sink = same;
}
__attribute__((noinline)) static void bench_payload(void) {       /* validates one handle */
    void *p = NULL; uint64_t size = 0;
    for (long i = 0; i < N; i++) hgc_payload(heap, a, &p, &size);
    sink = (int)size;
}
__attribute__((noinline)) static void bench_load_release(void) {  /* value out + back */
    for (long i = 0; i < N; i++) { hgc_load(heap, a, 0, &out); hgc_release(heap, out); }
}
__attribute__((noinline)) static void bench_retain_release(void) {
    for (long i = 0; i < N; i++) { hgc_retain(heap, a, &out); hgc_release(heap, out); }
}
__attribute__((noinline)) static void bench_validate(void) {      /* shape check only */
    for (long i = 0; i < N; i++) hgc_value_validate(hgc_int_unchecked(i));
}
__attribute__((noinline)) static void bench_stale(void) {         /* refused: stale */
    for (long i = 0; i < N; i++) hgc_release(heap, stale);
}

/* Best of ROUNDS: the machine may be shared, and the best is the least disturbed. */
static double best_ns(void (*loop)(void)) {
    double best = 1e30;
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = now();
        loop();
        double ns = (now() - t0) / N * 1e9;
        if (ns < best) best = ns;
    }
    return best;
}

int main(int argc, char **argv) {
    if (argc > 1) N = atol(argv[1]);
    static const uint32_t offsets[] = {0};
    hgc_vtable vt; memset(&vt, 0, sizeof vt);
    vt.size = sizeof vt; vt.payload_size = 16; vt.reference_offsets = offsets; vt.reference_count = 1;
    uint64_t type; hgc_register_type("bench.c/Cell", &vt, &type);
    hgc_heap_create(&heap);
    hgc_alloc(heap, type, 0, &a); hgc_alloc(heap, type, 0, &b);
    hgc_store(heap, a, 0, b);
    hgc_load(heap, a, 0, &stale); hgc_release(heap, stale);

    double same = best_ns(bench_same), payload = best_ns(bench_payload);
    double load = best_ns(bench_load_release), retain = best_ns(bench_retain_release);
    double validate = best_ns(bench_validate), refused = best_ns(bench_stale);
    printf("checked hgc_same (2 handles validated): %.1f ns/call, %.1f ns per validated handle\n", same, same / 2);
    printf("checked hgc_payload (1 handle validated): %.1f ns/call\n", payload);
    printf("checked hgc_load + hgc_release (value out, handle made and checked back): %.1f ns/pair\n", load);
    printf("checked hgc_retain + hgc_release: %.1f ns/pair\n", retain);
    printf("hgc_value_validate (immediate, no heap): %.1f ns/call\n", validate);
    printf("checked hgc_release of a stale handle (refused, message recorded): %.1f ns/call\n", refused);
    printf("(best of %d rounds of %ld calls each)\n", ROUNDS, N);
    hgc_release(heap, a); hgc_release(heap, b); hgc_heap_destroy(heap);
    return 0;
}
