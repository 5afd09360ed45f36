/* Heaps and boxed values through the C ABI, as a runtime would use them:
   a graph with cycles finalized exactly once, every misuse reported as a status,
   and a fuzz of random and stale values against every call. */
#include <hakogc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed = 0, failed = 0;
#define CHECK(cond) do { if (cond) passed++; else { failed++; \
    fprintf(stderr, "FAIL %s:%d: %s (last error: %s)\n", __FILE__, __LINE__, #cond, hgc_last_error()); } } while (0)

enum { NODES = 2000 };
typedef struct { uint64_t left, right; int64_t id; } node_payload; /* slots 0 and 1, then data */

static int finalized[NODES + 16];
static hgc_heap current_heap;
static hgc_status reentrant_status = HGC_OK;

static void node_finalize(void *payload, void *context) {
    int *counts = context;
    node_payload *n = payload;
    if (n->id >= 0 && n->id < NODES + 16) counts[n->id]++;
    if (n->id == NODES + 1) reentrant_status = hgc_collect(current_heap, HGC_COLLECT_FULL);
    if (n->id == NODES + 2) reentrant_status = hgc_heap_destroy(current_heap);
}

static size_t node_to_string(const void *payload, char *buffer, size_t capacity, void *context) {
    (void)context;
    char text[64];
    int n = snprintf(text, sizeof text, "node %lld", (long long)((const node_payload *)payload)->id);
    if (buffer && capacity > 0) snprintf(buffer, capacity, "%s", text);
    return (size_t)n;
}

static hgc_status node_cast(hgc_value value, uint64_t target, hgc_value *out, void *context) {
    (void)value; (void)context;
    if (target != HGC_TYPE_INTEGER) return HGC_ERR_NOT_APPLICABLE;
    *out = hgc_int_unchecked(7);
    return HGC_OK;
}

static uint64_t register_node(void) {
    static const uint32_t offsets[] = {0, 8};
    hgc_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.size = sizeof vt;
    vt.payload_size = sizeof(node_payload);
    vt.reference_offsets = offsets;
    vt.reference_count = 2;
    vt.finalize = node_finalize;
    vt.to_string = node_to_string;
    vt.cast = node_cast;
    vt.context = finalized;
    uint64_t id = 0;
    CHECK(hgc_register_type("demo.c/Node", &vt, &id) == HGC_OK);
    return id;
}

static hgc_value new_node(hgc_heap heap, uint64_t type, int64_t id) {
    hgc_value v;
    CHECK(hgc_alloc(heap, type, 0, &v) == HGC_OK);
    void *payload = NULL;
    uint64_t size = 0;
    CHECK(hgc_payload(heap, v, &payload, &size) == HGC_OK && size >= sizeof(node_payload));
    ((node_payload *)payload)->id = id;
    return v;
}

/* Runs in both modes: the same calls, the same results (trusted heaps keep no
   handle table, so stats.handles stays 0 there). */
static void test_graph_with_cycles(uint64_t type, uint32_t mode) {
    hgc_heap heap;
    hgc_heap_options options = {sizeof options, mode, HGC_HEADER_LAYOUT, 0};
    CHECK(hgc_heap_create_with(&options, &heap) == HGC_OK);
    uint32_t actual = 99;
    CHECK(hgc_heap_mode(heap, &actual) == HGC_OK && actual == mode);
    const uint64_t handles = mode == HGC_MODE_TRUSTED ? 0 : NODES;
    current_heap = heap;
    memset(finalized, 0, sizeof finalized);
    static hgc_value nodes[NODES];
    for (int i = 0; i < NODES; i++) nodes[i] = new_node(heap, type, i);
    srand(12345);
    for (int i = 0; i < NODES; i++) {
        CHECK(hgc_store(heap, nodes[i], 0, nodes[(i + 1) % NODES]) == HGC_OK);  /* one big ring */
        CHECK(hgc_store(heap, nodes[i], 1, nodes[rand() % NODES]) == HGC_OK);   /* random chords */
    }
    hgc_value loaded;
    CHECK(hgc_load(heap, nodes[3], 0, &loaded) == HGC_OK);
    int same = 0;
    CHECK(hgc_same(heap, loaded, nodes[4], &same) == HGC_OK && same == 1);
    CHECK(hgc_release(heap, loaded) == HGC_OK);

    hgc_heap_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.size = sizeof stats;
    CHECK(hgc_heap_statistics(heap, &stats) == HGC_OK);
    CHECK(stats.live_objects == NODES && stats.handles == handles);

    for (int i = 0; i < NODES; i++) CHECK(hgc_release(heap, nodes[i]) == HGC_OK);
    CHECK(hgc_collect(heap, HGC_COLLECT_FULL) == HGC_OK);
    int once = 1;
    for (int i = 0; i < NODES; i++) once &= finalized[i] == 1;
    CHECK(once);
    CHECK(hgc_heap_statistics(heap, &stats) == HGC_OK);
    CHECK(stats.live_objects == 0 && stats.handles == 0 && stats.freed_objects == stats.allocated_objects);
    CHECK(stats.finalizers_run == NODES);
    CHECK(hgc_heap_destroy(heap) == HGC_OK);
}

static void *other_thread(void *arg) {
    hgc_heap heap = *(hgc_heap *)arg;
    return (void *)(intptr_t)hgc_collect(heap, HGC_COLLECT_MINOR);
}

static void test_misuse(uint64_t type) {
    hgc_heap heap;
    CHECK(hgc_heap_create(&heap) == HGC_OK);
    current_heap = heap;
    memset(finalized, 0, sizeof finalized);
    hgc_value a = new_node(heap, type, 1), b = new_node(heap, type, 2), copy;
    int same = 0;

    /* double release, use after release */
    CHECK(hgc_retain(heap, a, &copy) == HGC_OK);
    CHECK(hgc_release(heap, copy) == HGC_OK);
    CHECK(hgc_release(heap, copy) == HGC_ERR_STALE_HANDLE);
    CHECK(hgc_store(heap, copy, 0, b) == HGC_ERR_STALE_HANDLE);
    /* forged handles and wrong types */
    hgc_value forged = a;
    forged.box_handle = 0xdeadbeef12345ull;
    CHECK(hgc_release(heap, forged) == HGC_ERR_FORGED_HANDLE);
    hgc_value wrong = a;
    wrong.type_id = HGC_TYPE_STRING;
    CHECK(hgc_release(heap, wrong) == HGC_ERR_WRONG_TYPE);
    CHECK(hgc_alloc(heap, 0x1234, 0, &copy) == HGC_ERR_UNKNOWN_TYPE);
    CHECK(hgc_alloc(heap, type, 8, &copy) == HGC_ERR_BAD_SIZE);
    /* immediates, tags, flags, slots */
    CHECK(hgc_release(heap, hgc_int_unchecked(5)) == HGC_ERR_NOT_APPLICABLE);
    hgc_value badtag = a;
    badtag.metadata |= 9ull << HGC_TAG_SHIFT;
    CHECK(hgc_release(heap, badtag) == HGC_ERR_BAD_TAG);
    hgc_value badflag = a;
    badflag.metadata |= 1ull << 20;
    CHECK(hgc_release(heap, badflag) == HGC_ERR_UNKNOWN_FLAGS);
    CHECK(hgc_load(heap, a, 2, &copy) == HGC_ERR_BAD_SLOT);
    CHECK(hgc_store(heap, a, 0, hgc_null()) == HGC_OK);
    /* a value of another heap */
    hgc_heap other;
    CHECK(hgc_heap_create(&other) == HGC_OK);
    CHECK(hgc_release(other, a) == HGC_ERR_FORGED_HANDLE);
    CHECK(hgc_heap_destroy(other) == HGC_OK);
    CHECK(hgc_collect(other, HGC_COLLECT_MINOR) == HGC_ERR_HEAP_DESTROYED);
    for (int bit = 0; bit < 64; bit++)              /* every corrupted heap handle is refused */
        CHECK(hgc_collect(heap ^ (1ull << bit), HGC_COLLECT_MINOR) == HGC_ERR_HEAP_DESTROYED);
    /* another thread */
    pthread_t t;
    void *result = NULL;
    pthread_create(&t, NULL, other_thread, &heap);
    pthread_join(t, &result);
    CHECK((hgc_status)(intptr_t)result == HGC_ERR_WRONG_THREAD);

    /* pins keep objects alive until unpinned; weak edges do not */
    hgc_value pinned, weak, up;
    CHECK(hgc_pin(heap, b, &pinned) == HGC_OK && (hgc_flags_of(pinned) & HGC_FLAG_PINNED));
    CHECK(hgc_make_weak(heap, b, &weak) == HGC_OK && (hgc_flags_of(weak) & HGC_FLAG_WEAK));
    CHECK(hgc_release(heap, b) == HGC_OK);
    CHECK(hgc_release(heap, pinned) == HGC_ERR_NOT_APPLICABLE);
    CHECK(hgc_unpin(heap, a) == HGC_ERR_NOT_PINNED);
    CHECK(hgc_collect(heap, HGC_COLLECT_FULL) == HGC_OK);
    CHECK(finalized[2] == 0);
    CHECK(hgc_upgrade(heap, weak, &up) == HGC_OK && hgc_is_boxed(up));
    CHECK(hgc_release(heap, up) == HGC_OK);
    for (int bit = 0; bit < 64; bit++) {           /* every corrupted weak handle is refused */
        hgc_value flipped = weak;
        flipped.box_handle ^= 1ull << bit;
        CHECK(hgc_upgrade(heap, flipped, &up) == HGC_ERR_FORGED_HANDLE);
    }
    hgc_value pinned_weak = weak;
    pinned_weak.metadata |= HGC_FLAG_PINNED;
    CHECK(hgc_upgrade(heap, pinned_weak, &up) == HGC_ERR_NOT_APPLICABLE);
    hgc_value weak_badflag = weak;
    weak_badflag.metadata |= 1ull << 30;
    CHECK(hgc_upgrade(heap, weak_badflag, &up) == HGC_ERR_UNKNOWN_FLAGS);
    CHECK(hgc_load(heap, weak, 0, &copy) == HGC_ERR_NOT_APPLICABLE);
    CHECK(hgc_unpin(heap, pinned) == HGC_OK);
    CHECK(finalized[2] == 1);
    CHECK(hgc_upgrade(heap, weak, &up) == HGC_OK && hgc_value_tag(up) == HGC_TAG_NULL);
    CHECK(hgc_unpin(heap, pinned) == HGC_ERR_STALE_HANDLE);

    /* a collection requested from a finalizer is deferred, not run inside it */
    hgc_value r = new_node(heap, type, NODES + 1);
    CHECK(hgc_release(heap, r) == HGC_OK);
    CHECK(reentrant_status == HGC_ERR_REENTRANT);
    /* ... and so is destroying the heap from a finalizer */
    reentrant_status = HGC_OK;
    r = new_node(heap, type, NODES + 2);
    CHECK(hgc_release(heap, r) == HGC_OK);
    CHECK(reentrant_status == HGC_ERR_REENTRANT);
    CHECK(hgc_collect(heap, HGC_COLLECT_MINOR) == HGC_OK);  /* the heap is still there */

    /* to_string and cast through the vtable */
    char text[32];
    size_t length = 0;
    hgc_value n5 = new_node(heap, type, 5);
    CHECK(hgc_to_string(heap, n5, text, sizeof text, &length) == HGC_OK && strcmp(text, "node 5") == 0 && length == 6);
    CHECK(hgc_to_string(heap, n5, text, 4, &length) == HGC_ERR_BUFFER_TOO_SMALL && strcmp(text, "nod") == 0 && length == 6);
    CHECK(hgc_to_string(heap, hgc_int_unchecked(-42), text, sizeof text, &length) == HGC_OK && strcmp(text, "-42") == 0);
    CHECK(hgc_to_string(heap, hgc_bool(1), text, sizeof text, &length) == HGC_OK && strcmp(text, "true") == 0);
    CHECK(hgc_to_string(heap, hgc_null(), text, sizeof text, &length) == HGC_OK && strcmp(text, "null") == 0);
    CHECK(hgc_to_string(heap, copy, text, sizeof text, &length) == HGC_ERR_STALE_HANDLE);
    hgc_value cast;
    CHECK(hgc_cast(heap, n5, HGC_TYPE_INTEGER, &cast) == HGC_OK && hgc_int_of(cast) == 7);
    CHECK(hgc_cast(heap, n5, type, &cast) == HGC_OK && hgc_same(heap, cast, n5, &same) == HGC_OK && same == 1);
    CHECK(hgc_release(heap, cast) == HGC_OK);
    CHECK(hgc_cast(heap, n5, HGC_TYPE_STRING, &cast) == HGC_ERR_NOT_APPLICABLE);
    CHECK(hgc_cast(heap, hgc_bool(0), HGC_TYPE_INTEGER, &cast) == HGC_ERR_NOT_APPLICABLE);
    CHECK(hgc_release(heap, n5) == HGC_OK);

    /* async values: carried and counted as opaque boxes; slots do not apply */
    hgc_value future;
    CHECK(hgc_alloc(heap, HGC_TYPE_FUTURE, 0, &future) == HGC_OK);
    CHECK(hgc_value_tag(future) == HGC_TAG_ASYNC && (hgc_flags_of(future) & HGC_FLAG_ASYNC));
    CHECK(hgc_value_validate(future) == HGC_OK);
    CHECK(hgc_load(heap, future, 0, &copy) == HGC_ERR_BAD_SLOT);
    CHECK(hgc_release(heap, future) == HGC_OK);

    CHECK(hgc_release(heap, a) == HGC_OK);
    CHECK(hgc_heap_destroy(heap) == HGC_OK);
    CHECK(hgc_release(heap, a) == HGC_ERR_HEAP_DESTROYED);
}

static uint64_t rnd64(void) { return ((uint64_t)rand() << 42) ^ ((uint64_t)rand() << 21) ^ (uint64_t)rand(); }

static void test_fuzz(uint64_t type) {
    hgc_heap heap;
    CHECK(hgc_heap_create(&heap) == HGC_OK);
    current_heap = heap;
    enum { KEEP = 64, ROUNDS = 5000 };
    hgc_value live[KEEP], stale[KEEP];
    for (int i = 0; i < KEEP; i++) {
        live[i] = new_node(heap, type, 3);
        stale[i] = new_node(heap, type, 3);
        CHECK(hgc_release(heap, stale[i]) == HGC_OK);
    }
    srand(777);
    long calls = 0, ok = 0;
    for (int round = 0; round < ROUNDS; round++) {
        hgc_value v;
        switch (rand() % 4) {
        case 0: v = (hgc_value){rnd64(), rnd64(), rnd64()}; break;            /* random */
        case 1: v = stale[rand() % KEEP]; break;                               /* stale */
        case 2: v = live[rand() % KEEP]; v.box_handle ^= 1ull << (rand() % 64); break; /* corrupted */
        default: v = live[rand() % KEEP]; v.type_id = rnd64(); break;          /* wrong type */
        }
        hgc_value out;
        void *payload;
        uint64_t size;
        int same;
        hgc_status s[17];
        char text[16];
        size_t length;
        s[0] = hgc_retain(heap, v, &out);
        s[1] = hgc_release(heap, v);
        s[2] = hgc_payload(heap, v, &payload, &size);
        s[3] = hgc_load(heap, v, (uint32_t)(rand() % 3), &out);
        s[4] = hgc_store(heap, live[0], 0, v);
        s[5] = hgc_store(heap, v, 0, live[1]);
        s[6] = hgc_same(heap, v, live[0], &same);
        s[7] = hgc_pin(heap, v, &out);
        s[8] = hgc_unpin(heap, v);
        s[9] = hgc_make_weak(heap, v, &out);
        s[10] = hgc_upgrade(heap, v, &out);
        s[11] = hgc_value_validate(v);
        s[12] = hgc_to_string(heap, v, text, sizeof text, &length);
        s[13] = hgc_cast(heap, v, rnd64(), &out);
        s[14] = hgc_pin_bridged(heap, v, &out);
        s[15] = hgc_bridge_reach(heap, v);
        hgc_heap random_heap = heap ^ (1ull << (rand() % 64));   /* a corrupted heap handle */
        s[16] = hgc_release(random_heap, live[0]) == HGC_ERR_HEAP_DESTROYED ? HGC_ERR_HEAP_DESTROYED : HGC_OK;
        for (int k = 0; k < 17; k++) {
            calls++;
            if (s[k] == HGC_OK) ok++;
            int immediate_ok = (k == 12 || k == 13) && !hgc_is_boxed(v);
            if (s[k] == HGC_OK && k != 10 && k != 11 && !immediate_ok) {
                fprintf(stderr, "fuzz: call %d accepted a bad value {%llx, %llx, %llx}\n", k,
                        (unsigned long long)v.type_id, (unsigned long long)v.box_handle, (unsigned long long)v.metadata);
                failed++;
            }
        }
        if (s[10] == HGC_OK && hgc_is_boxed(out)) hgc_release(heap, out);
    }
    printf("fuzz: %ld calls with random, stale, corrupted and mistyped values, %ld accepted (upgrades of nothing)\n", calls, ok);
    /* the heap is intact: the live objects still work, everything frees */
    for (int i = 0; i < KEEP; i++) CHECK(hgc_store(heap, live[i], 1, live[(i + 1) % KEEP]) == HGC_OK);
    for (int i = 0; i < KEEP; i++) CHECK(hgc_release(heap, live[i]) == HGC_OK);
    CHECK(hgc_collect(heap, HGC_COLLECT_FULL) == HGC_OK);
    hgc_heap_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.size = sizeof stats;
    CHECK(hgc_heap_statistics(heap, &stats) == HGC_OK);
    CHECK(stats.live_objects == 0 && stats.handles == 0 && stats.allocated_objects == 2 * KEEP);
    CHECK(hgc_heap_destroy(heap) == HGC_OK);
}

int main(void) {
    uint64_t type = register_node();
    test_graph_with_cycles(type, HGC_MODE_CHECKED);
    test_graph_with_cycles(type, HGC_MODE_TRUSTED);
    test_misuse(type);
    test_fuzz(type);
    printf("abi_heap_test: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
