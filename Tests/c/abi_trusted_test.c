/* Trusted mode (HGC_MODE_TRUSTED): box handles are object addresses and the hot
   operations are hakogc.h's inline hgc_trusted_* functions. Checks that they keep
   the heap's counts exactly (finalizers run once, everything is freed, cycles are
   collected), that the checked calls work on trusted values, that what stays cheap
   to check is checked, and that HAKOGC_ABI_CHECKED=1 forces checked heaps. */
#define _POSIX_C_SOURCE 200809L
#include <hakogc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int passed = 0, failed = 0;
#define CHECK(cond) do { if (cond) passed++; else { failed++; \
    fprintf(stderr, "FAIL %s:%d: %s (last error: %s)\n", __FILE__, __LINE__, #cond, hgc_last_error()); } } while (0)

enum { N = 1000 };
typedef struct { uint64_t next, other; int64_t id; } cell; /* slots at offsets 0 and 8 */
static int finalized[N + 8];
static hgc_heap heap;
static hgc_status destroy_from_finalizer = HGC_OK;

static void cell_finalize(void *payload, void *context) {
    (void)context;
    cell *c = payload;
    if (c->id >= 0 && c->id < N + 8) finalized[c->id]++;
    if (c->id == N + 1) destroy_from_finalizer = hgc_heap_destroy(heap);
}

static uint64_t cell_type;
static hgc_value new_cell(int64_t id) {
    hgc_value v;
    CHECK(hgc_alloc(heap, cell_type, 0, &v) == HGC_OK);
    ((cell *)hgc_trusted_payload(v))->id = id;
    return v;
}

static hgc_heap_stats stats(void) {
    hgc_heap_stats s;
    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    CHECK(hgc_heap_statistics(heap, &s) == HGC_OK);
    return s;
}

static uint64_t register_plain(const char *name, uint64_t payload_size) {
    hgc_vtable v;
    memset(&v, 0, sizeof v);
    v.size = sizeof v;
    v.payload_size = payload_size;
    uint64_t id = 0;
    CHECK(hgc_register_type(name, &v, &id) == HGC_OK);
    return id;
}

/* The inline allocation against the heap's own accounting: objects crossing many
   pages, free-list reuse (LIFO, so the slot just freed comes back, and must come
   back zeroed), the memset branch, a large type (always out of line), collections
   triggered by the allocation budget. (Allocation from a bridge's marking callback is
   refused in abi_bridge_test.) */
static void inline_allocation(void) {
    hgc_heap_stats before = stats();
    uint64_t small = register_plain("demo.c/Pair16", 16), wide = register_plain("demo.c/Wide40", 40),
             large = register_plain("demo.c/Large9000", 9000);
    hgc_allocator *pairs = NULL, *wides = NULL, *larges = NULL;
    CHECK(hgc_trusted_allocator(heap, small, &pairs) == HGC_OK);
    CHECK(hgc_trusted_allocator(heap, wide, &wides) == HGC_OK);
    CHECK(hgc_trusted_allocator(heap, large, &larges) == HGC_OK);
    enum { M = 20000 };  /* 32-byte slots: about ten 64 KiB pages */
    static hgc_value many[M];
    int zeroed = 1, distinct = 1;
    for (int i = 0; i < M; i++) {
        CHECK(hgc_trusted_alloc(pairs, &many[i]) == HGC_OK);
        uint64_t *p = hgc_trusted_payload(many[i]);
        zeroed &= p[0] == 0 && p[1] == 0;
        p[0] = p[1] = UINT64_MAX;
        if (i > 0) distinct &= many[i].box_handle != many[i - 1].box_handle;
    }
    CHECK(zeroed && distinct && many[0].type_id == small && hgc_is_boxed(many[0]));
    hgc_heap_stats s = stats();
    CHECK(s.allocated_objects - before.allocated_objects == M && s.live_objects - before.live_objects == M);
    /* the current page's slots come back at once (LIFO); older pages' freed slots
       once their page is current again: every one zeroed */
    int reused = 1, rezeroed = 1;
    for (int i = M - 1; i >= 0; i -= 2) {
        uint64_t slot = many[i].box_handle;
        CHECK(hgc_trusted_release(many[i]) == HGC_OK);
        CHECK(hgc_trusted_alloc(pairs, &many[i]) == HGC_OK);
        const uint64_t *p = hgc_trusted_payload(many[i]);
        if (i > M - 100) reused &= many[i].box_handle == slot;
        rezeroed &= p[0] == 0 && p[1] == 0;
    }
    CHECK(reused && rezeroed);
    for (int i = 0; i < M; i++) CHECK(hgc_trusted_release(many[i]) == HGC_OK);
    hgc_value w, w2, big;
    CHECK(hgc_trusted_alloc(wides, &w) == HGC_OK);
    memset(hgc_trusted_payload(w), 0xAB, 40);
    uint64_t w_slot = w.box_handle;
    CHECK(hgc_trusted_release(w) == HGC_OK && hgc_trusted_alloc(wides, &w2) == HGC_OK);
    const unsigned char *wp = hgc_trusted_payload(w2);
    int wide_zero = 1;
    for (int i = 0; i < 40; i++) wide_zero &= wp[i] == 0;
    CHECK(w2.box_handle == w_slot && wide_zero);
    CHECK(hgc_trusted_alloc(larges, &big) == HGC_OK && ((const unsigned char *)hgc_trusted_payload(big))[8999] == 0);
    uint64_t size = 0;
    void *payload = NULL;
    CHECK(hgc_payload(heap, big, &payload, &size) == HGC_OK && size == 9000);
    CHECK(hgc_trusted_release(w2) == HGC_OK && hgc_trusted_release(big) == HGC_OK);
    s = stats();
    CHECK(s.live_objects == before.live_objects && s.allocated_objects - before.allocated_objects == M + M / 2 + 3);

    /* garbage cycles built only from inline allocations: the budget triggers the
       collections, with no hgc_collect */
    hgc_allocator *cells_alloc = NULL;
    CHECK(hgc_trusted_allocator(heap, cell_type, &cells_alloc) == HGC_OK);
    for (int i = 0; i < 200000; i++) {
        hgc_value x, y;
        CHECK(hgc_trusted_alloc(cells_alloc, &x) == HGC_OK && hgc_trusted_alloc(cells_alloc, &y) == HGC_OK);
        ((cell *)hgc_trusted_payload(x))->id = -1;
        ((cell *)hgc_trusted_payload(y))->id = -1;
        hgc_trusted_store(x, 0, y);
        hgc_trusted_store_moving(y, 0, x);
        hgc_trusted_release(y);
    }
    s = stats();
    CHECK(s.minor_collections > before.minor_collections);
    CHECK(s.live_objects - before.live_objects < 400000 / 4);  /* most cycles already collected */
    CHECK(hgc_collect(heap, HGC_COLLECT_FULL) == HGC_OK && stats().live_objects == before.live_objects);

    hgc_value t;
    CHECK(hgc_trusted_alloc(NULL, &t) == HGC_ERR_NULL_ARGUMENT);
    CHECK(hgc_trusted_alloc(pairs, NULL) == HGC_ERR_NULL_ARGUMENT);
}

static hgc_status create(uint32_t mode, uint32_t layout, uint32_t size, hgc_heap *out) {
    hgc_heap_options o = {size, mode, layout, 0};
    return hgc_heap_create_with(&o, out);
}

static int forced_child(void) {
    hgc_heap h;
    uint32_t mode = 99;
    if (create(HGC_MODE_TRUSTED, HGC_HEADER_LAYOUT, sizeof(hgc_heap_options), &h) != HGC_OK) return 2;
    if (hgc_heap_mode(h, &mode) != HGC_OK) return 3;
    hgc_heap_destroy(h);
    return mode == HGC_MODE_CHECKED ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "forced") == 0) return forced_child();
    static const uint32_t offsets[] = {0, 8};
    hgc_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.size = sizeof vt;
    vt.payload_size = sizeof(cell);
    vt.reference_offsets = offsets;
    vt.reference_count = 2;
    vt.finalize = cell_finalize;
    CHECK(hgc_register_type("demo.c/TrustedCell", &vt, &cell_type) == HGC_OK);

    /* options */
    hgc_heap bad;
    CHECK(create(HGC_MODE_TRUSTED, HGC_HEADER_LAYOUT + 1, sizeof(hgc_heap_options), &bad) == HGC_ERR_ABI_MISMATCH);
    CHECK(create(HGC_MODE_TRUSTED, HGC_HEADER_LAYOUT, 4, &bad) == HGC_ERR_ABI_MISMATCH);
    CHECK(create(7, HGC_HEADER_LAYOUT, sizeof(hgc_heap_options), &bad) == HGC_ERR_NOT_APPLICABLE);
    CHECK(hgc_heap_create_with(NULL, &bad) == HGC_ERR_NULL_ARGUMENT);
    CHECK(create(HGC_MODE_TRUSTED, HGC_HEADER_LAYOUT, sizeof(hgc_heap_options), &heap) == HGC_OK);
    uint32_t mode = 99;
    CHECK(hgc_heap_mode(heap, &mode) == HGC_OK && mode == HGC_MODE_TRUSTED);

    /* the value is the object: payloads, identity, counts */
    hgc_value a = new_cell(0);
    void *payload = NULL;
    CHECK(hgc_payload(heap, a, &payload, NULL) == HGC_OK && payload == hgc_trusted_payload(a));
    CHECK(hgc_trusted_retain(a) == HGC_OK);
    CHECK(hgc_trusted_release(a) == HGC_OK && finalized[0] == 0);
    hgc_value copy;
    CHECK(hgc_retain(heap, a, &copy) == HGC_OK && hgc_trusted_same(copy, a)); /* checked call, trusted value */
    CHECK(hgc_release(heap, copy) == HGC_OK);
    CHECK(hgc_trusted_release(a) == HGC_OK && finalized[0] == 1);
    CHECK(stats().live_objects == 0 && stats().handles == 0);

    /* slots: a ring of N cells built with inline stores, read back with inline loads */
    static hgc_value cells[N];
    for (int i = 0; i < N; i++) cells[i] = new_cell(i);
    for (int i = 0; i < N; i++) {
        CHECK(hgc_trusted_store(cells[i], 0, cells[(i + 1) % N]) == HGC_OK);
        CHECK(hgc_trusted_store(cells[i], 8, cells[(i * 7) % N]) == HGC_OK);
    }
    CHECK(hgc_trusted_store(cells[5], 8, hgc_null()) == HGC_OK);  /* clears a slot, releasing */
    hgc_value loaded = hgc_trusted_load(cells[3], 0);
    CHECK(loaded.type_id == cell_type && hgc_trusted_same(loaded, cells[4]) && hgc_is_boxed(loaded));
    hgc_value through_abi;
    CHECK(hgc_load(heap, cells[3], 0, &through_abi) == HGC_OK && hgc_trusted_same(through_abi, loaded));
    CHECK(hgc_trusted_release(through_abi) == HGC_OK && hgc_trusted_release(loaded) == HGC_OK);
    hgc_value empty = hgc_trusted_load(cells[5], 8);
    CHECK(hgc_value_tag(empty) == HGC_TAG_NULL);
    for (int i = 0; i < N; i++) CHECK(hgc_trusted_release(cells[i]) == HGC_OK);
    CHECK(stats().live_objects == N);                 /* one big cycle: counts keep it */
    CHECK(hgc_collect(heap, HGC_COLLECT_FULL) == HGC_OK);
    int once = 1;
    for (int i = 0; i < N; i++) once &= finalized[i] == (i == 0 ? 2 : 1);
    CHECK(once);
    hgc_heap_stats s = stats();
    CHECK(s.live_objects == 0 && s.freed_objects == s.allocated_objects);

    /* young garbage cycles go through the candidate buffer: a minor collection frees them */
    memset(finalized, 0, sizeof finalized);
    for (int round = 0; round < 50; round++) {
        hgc_value x = new_cell(1), y = new_cell(2);
        CHECK(hgc_trusted_store(x, 0, y) == HGC_OK && hgc_trusted_store(y, 0, x) == HGC_OK);
        CHECK(hgc_trusted_release(x) == HGC_OK && hgc_trusted_release(y) == HGC_OK);
    }
    CHECK(hgc_collect(heap, HGC_COLLECT_MINOR) == HGC_OK);
    CHECK(finalized[1] == 50 && finalized[2] == 50 && stats().live_objects == 0);

    /* pins and weak edges */
    hgc_value b = new_cell(3), pinned, weak, up;
    CHECK(hgc_pin(heap, b, &pinned) == HGC_OK && (pinned.metadata & HGC_FLAG_PINNED));
    CHECK(hgc_trusted_release(pinned) == HGC_ERR_NOT_APPLICABLE);   /* given back with hgc_unpin */
    CHECK(hgc_make_weak(heap, b, &weak) == HGC_OK);
    CHECK(hgc_trusted_retain(weak) == HGC_ERR_NOT_APPLICABLE);      /* a weak value is no address */
    CHECK(hgc_trusted_release(b) == HGC_OK && finalized[3] == 0);   /* the pin holds it */
    CHECK(hgc_upgrade(heap, weak, &up) == HGC_OK && hgc_trusted_same(up, b));
    CHECK(hgc_trusted_release(up) == HGC_OK);
    CHECK(hgc_unpin(heap, pinned) == HGC_OK && finalized[3] == 1);
    CHECK(hgc_upgrade(heap, weak, &up) == HGC_OK && hgc_value_tag(up) == HGC_TAG_NULL);

    /* allocation through an allocator, and moves into new objects' slots */
    hgc_allocator *cells_alloc = NULL;
    CHECK(hgc_trusted_allocator(heap, cell_type, &cells_alloc) == HGC_OK && cells_alloc != NULL);
    CHECK(hgc_trusted_allocator(heap, 0x1234, &cells_alloc) == HGC_ERR_UNKNOWN_TYPE);
    CHECK(hgc_trusted_allocator(heap, cell_type, &cells_alloc) == HGC_OK);
    hgc_value parent, child;
    CHECK(hgc_trusted_alloc(cells_alloc, &parent) == HGC_OK && parent.type_id == cell_type);
    const cell *fresh = hgc_trusted_payload(parent);
    CHECK(fresh->next == 0 && fresh->other == 0 && fresh->id == 0);   /* zeroed */
    ((cell *)hgc_trusted_payload(parent))->id = 5;
    CHECK(hgc_trusted_alloc(cells_alloc, &child) == HGC_OK);
    ((cell *)hgc_trusted_payload(child))->id = 6;
    CHECK(hgc_trusted_store_moving(parent, 0, child) == HGC_OK);       /* the count moves in */
    CHECK(hgc_trusted_same(hgc_trusted_load(parent, 0), child));
    CHECK(hgc_trusted_release(child) == HGC_OK);                        /* the load's count */
    CHECK(hgc_trusted_release(parent) == HGC_OK && finalized[5] == 1 && finalized[6] == 1);
    CHECK(stats().live_objects == 0);
    hgc_heap other;
    hgc_allocator *none = NULL;
    CHECK(hgc_heap_create(&other) == HGC_OK);
    CHECK(hgc_trusted_allocator(other, cell_type, &none) == HGC_ERR_NOT_APPLICABLE);  /* a checked heap */
    CHECK(hgc_heap_destroy(other) == HGC_OK);
    inline_allocation();

    /* what stays cheap is checked */
    hgc_value c = new_cell(4);
    CHECK(hgc_trusted_retain(hgc_int_unchecked(5)) == HGC_ERR_NOT_APPLICABLE);
    CHECK(hgc_trusted_release(hgc_null()) == HGC_ERR_NOT_APPLICABLE);
    CHECK(hgc_trusted_store(c, 0, hgc_int_unchecked(5)) == HGC_ERR_NOT_APPLICABLE);
    hgc_value readonly = c;
    readonly.metadata |= HGC_FLAG_READONLY;
    CHECK(hgc_trusted_store(readonly, 0, hgc_null()) == HGC_ERR_READONLY);
    CHECK(hgc_trusted_store(c, 0, readonly) == HGC_ERR_READONLY);
    hgc_value wrong = c;
    wrong.type_id = HGC_TYPE_STRING;
    CHECK(hgc_retain(heap, wrong, &copy) == HGC_ERR_WRONG_TYPE);   /* the checked calls read the header */
    CHECK(hgc_trusted_release(c) == HGC_OK && finalized[4] == 1);

    /* a finalizer reached from an inline release cannot destroy the heap under it */
    hgc_value d = new_cell(N + 1);
    CHECK(hgc_trusted_release(d) == HGC_OK && finalized[N + 1] == 1);
    CHECK(destroy_from_finalizer == HGC_ERR_REENTRANT);
    CHECK(hgc_heap_destroy(heap) == HGC_OK);

    /* HAKOGC_ABI_CHECKED=1: read when a process creates its first heap, so in a child */
    pid_t pid = fork();
    if (pid == 0) {
        setenv("HAKOGC_ABI_CHECKED", "1", 1);
        execl(argv[0], argv[0], "forced", (char *)NULL);
        _exit(4);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);

    printf("abi_trusted_test: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
