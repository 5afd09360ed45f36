/* A foreign runtime with its own small mark-sweep heap, bridged to HakoGC: cycles
   HakoGC -> foreign -> HakoGC are collected on both sides when no root of either
   side reaches them, and kept when one does. */
#include <hakogc.h>
#include <stdio.h>
#include <string.h>

static int passed = 0, failed = 0;
#define CHECK(cond) do { if (cond) passed++; else { failed++; \
    fprintf(stderr, "FAIL %s:%d: %s (last error: %s)\n", __FILE__, __LINE__, #cond, hgc_last_error()); } } while (0)

/* ---- the foreign heap ---- */
enum { MAX_OBJECTS = 64 };
typedef struct {
    int alive, marked;
    int refs[4], nrefs;          /* foreign -> foreign */
    hgc_value pins[4]; int npins; /* foreign -> HakoGC (bridged pins) */
} fobject;
static fobject fheap[MAX_OBJECTS];
static int nobjects, froots[8], nroots, fswept;
static hgc_heap heap;

static int fnew(void) { memset(&fheap[nobjects], 0, sizeof(fobject)); fheap[nobjects].alive = 1; return nobjects++; }

static void fmark(int i) {
    if (!fheap[i].alive || fheap[i].marked) return;
    fheap[i].marked = 1;
    for (int p = 0; p < fheap[i].npins; p++) CHECK(hgc_bridge_reach(heap, fheap[i].pins[p]) == HGC_OK);
    for (int r = 0; r < fheap[i].nrefs; r++) fmark(fheap[i].refs[r]);
}
/* Calls that change counts, tried from inside the marking: each must be refused. */
static hgc_value probe;
static int probe_armed;
static hgc_status probe_statuses[8];
static hgc_allocator *probe_allocator;  /* trusted heaps: the inline calls are refused too */
static void try_mutations(void) {
    hgc_value out;
    hgc_bridge b = {sizeof b, 0, NULL, NULL, NULL, NULL};
    probe_statuses[0] = hgc_release(heap, probe);
    probe_statuses[1] = hgc_alloc(heap, HGC_TYPE_FUTURE, 0, &out);
    probe_statuses[2] = hgc_store(heap, probe, 0, hgc_null());
    probe_statuses[3] = hgc_bridge_register(heap, &b);
    probe_statuses[4] = hgc_heap_destroy(heap);
    probe_statuses[5] = hgc_retain(heap, probe, &out);
    if (probe_allocator) {
        probe_statuses[6] = hgc_trusted_alloc(probe_allocator, &out);  /* its budget sends it out of line */
        probe_statuses[7] = hgc_trusted_release(probe);                /* the last count */
    }
}

static void mark_roots(hgc_heap h, void *ctx) {
    (void)h; (void)ctx;
    if (probe_armed) { try_mutations(); probe_armed = 0; }
    for (int i = 0; i < nobjects; i++) fheap[i].marked = 0;
    for (int r = 0; r < nroots; r++) fmark(froots[r]);
}
static void mark_foreign(hgc_heap h, uint64_t ref, void *ctx) { (void)h; (void)ctx; fmark((int)ref); }
static void sweep(hgc_heap h, void *ctx) {
    (void)h; (void)ctx;
    for (int i = 0; i < nobjects; i++)
        if (fheap[i].alive && !fheap[i].marked) { fheap[i].alive = 0; fheap[i].npins = 0; fswept++; }
}

/* ---- the HakoGC side: holders that may hold one HakoGC ref and one foreign object ---- */
typedef struct { uint64_t next; int64_t foreign; int64_t id; } holder;
static int finalized[32];
static void holder_trace(void *payload, hgc_visitor *v, void *ctx) {
    (void)ctx;
    holder *h = payload;
    if (h->foreign >= 0) hgc_visit_foreign(v, (uint64_t)h->foreign);
}
static void holder_finalize(void *payload, void *ctx) { (void)ctx; finalized[((holder *)payload)->id]++; }

static uint64_t holder_type;
static hgc_value new_holder(int64_t id, int64_t foreign) {
    hgc_value v;
    CHECK(hgc_alloc(heap, holder_type, 0, &v) == HGC_OK);
    void *p;
    CHECK(hgc_payload(heap, v, &p, NULL) == HGC_OK);
    ((holder *)p)->id = id;
    ((holder *)p)->foreign = foreign;
    return v;
}
/* Foreign object f holds HakoGC value v (bridged pin). */
static void foreign_holds(int f, hgc_value v) {
    hgc_value pinned;
    CHECK(hgc_pin_bridged(heap, v, &pinned) == HGC_OK);
    fheap[f].pins[fheap[f].npins++] = pinned;
}

static void reset(void) { memset(finalized, 0, sizeof finalized); nobjects = nroots = fswept = 0; }

/* Every scenario runs on a checked and on a trusted heap: the same calls, the same
   results (a trusted heap keeps no handle table: stats.handles stays 0, and a
   released value is no longer a stale handle but a freed address, not touched). */
static void scenarios(uint32_t mode) {
    const int trusted = mode == HGC_MODE_TRUSTED;
    hgc_heap_options options = {sizeof options, mode, HGC_HEADER_LAYOUT, 0};
    CHECK(hgc_heap_create_with(&options, &heap) == HGC_OK);
    hgc_bridge bridge = {sizeof bridge, 0, mark_roots, mark_foreign, sweep, NULL};
    CHECK(hgc_bridge_register(heap, &bridge) == HGC_OK);

    /* 1. H -> F -> H, no roots anywhere: freed on both sides. */
    reset();
    int f = fnew();
    hgc_value h = new_holder(1, f);
    foreign_holds(f, h);
    hgc_value pin = fheap[f].pins[0];
    CHECK(hgc_release(heap, h) == HGC_OK);
    CHECK(hgc_collect(heap, HGC_COLLECT_MINOR) == HGC_OK);
    CHECK(finalized[1] == 0);                 /* a minor collection does not cross heaps */
    CHECK(hgc_collect(heap, HGC_COLLECT_FULL) == HGC_OK);
    CHECK(finalized[1] == 1 && fswept == 1 && !fheap[f].alive);
    if (!trusted) CHECK(hgc_unpin(heap, pin) == HGC_ERR_STALE_HANDLE); /* released by the collection */
    (void)pin;

    /* 2. The same cycle reachable from a foreign root survives, until the root goes. */
    reset();
    f = fnew();
    h = new_holder(2, f);
    foreign_holds(f, h);
    CHECK(hgc_release(heap, h) == HGC_OK);
    froots[nroots++] = f;
    CHECK(hgc_collect(heap, HGC_COLLECT_FULL) == HGC_OK);
    CHECK(finalized[2] == 0 && fswept == 0);
    nroots = 0;
    CHECK(hgc_collect(heap, HGC_COLLECT_FULL) == HGC_OK);
    CHECK(finalized[2] == 1 && fswept == 1);

    /* 3. The same cycle reachable from a HakoGC handle survives; the foreign object
          stays alive because the live holder reports it. */
    reset();
    f = fnew();
    h = new_holder(3, f);
    foreign_holds(f, h);
    CHECK(hgc_collect(heap, HGC_COLLECT_FULL) == HGC_OK);
    CHECK(finalized[3] == 0 && fswept == 0 && fheap[f].alive);
    CHECK(hgc_release(heap, h) == HGC_OK);
    CHECK(hgc_collect(heap, HGC_COLLECT_FULL) == HGC_OK);
    CHECK(finalized[3] == 1 && fswept == 1);

    /* 4. H1 -> F1 -> H2 -> F2 -> F1 (and H2 -> H3 by a slot), beside a live pair. */
    reset();
    int f1 = fnew(), f2 = fnew(), fl = fnew();
    hgc_value h1 = new_holder(4, f1), h2 = new_holder(5, f2), h3 = new_holder(6, -1), hl = new_holder(7, fl);
    foreign_holds(f1, h2);
    foreign_holds(f1, h1);
    fheap[f2].refs[fheap[f2].nrefs++] = f1;
    foreign_holds(fl, hl);
    CHECK(hgc_store(heap, h2, 0, h3) == HGC_OK);
    CHECK(hgc_release(heap, h1) == HGC_OK);
    CHECK(hgc_release(heap, h2) == HGC_OK);
    CHECK(hgc_release(heap, h3) == HGC_OK);
    froots[nroots++] = fl;                    /* the pair hl <-> fl is live from the foreign root */
    CHECK(hgc_collect(heap, HGC_COLLECT_FULL) == HGC_OK);
    CHECK(finalized[4] == 1 && finalized[5] == 1 && finalized[6] == 1 && finalized[7] == 0);
    CHECK(fswept == 2 && !fheap[f1].alive && !fheap[f2].alive && fheap[fl].alive);
    CHECK(hgc_release(heap, hl) == HGC_OK);

    /* counts cannot move while the joint collection marks */
    probe = new_holder(8, -1);
    probe_armed = 1;
    probe_allocator = NULL;
    if (trusted) CHECK(hgc_trusted_allocator(heap, holder_type, &probe_allocator) == HGC_OK);
    CHECK(hgc_collect(heap, HGC_COLLECT_FULL) == HGC_OK);
    for (int i = 0; i < (trusted ? 8 : 6); i++) CHECK(probe_statuses[i] == HGC_ERR_REENTRANT);
    CHECK(finalized[8] == 0);  /* the probe's release was refused: it is still held */
    CHECK(hgc_release(heap, probe) == HGC_OK && finalized[8] == 1);

    /* misuse */
    CHECK(hgc_bridge_reach(heap, fheap[fl].pins[0]) == HGC_ERR_NOT_APPLICABLE); /* outside marking */
    /* a visitor is valid only during the trace it was passed to: a kept or forged
       one is ignored, never dereferenced */
    hgc_visit_foreign((hgc_visitor *)(uintptr_t)0x10, 3);
    hgc_visit_foreign(NULL, 3);
    CHECK(fswept == 2);
    hgc_bridge small = bridge;
    small.size = 4;
    CHECK(hgc_bridge_register(heap, &small) == HGC_ERR_BAD_VTABLE);

    hgc_heap_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.size = sizeof stats;
    CHECK(hgc_heap_statistics(heap, &stats) == HGC_OK);
    CHECK(stats.live_objects == 1 && stats.handles == (trusted ? 0 : 1)); /* hl, pinned by the live fl */
    nroots = 0;
    CHECK(hgc_collect(heap, HGC_COLLECT_FULL) == HGC_OK);
    CHECK(finalized[7] == 1);
    CHECK(hgc_heap_statistics(heap, &stats) == HGC_OK);
    CHECK(stats.live_objects == 0 && stats.handles == 0 && stats.pinned_objects == 0);
    CHECK(hgc_heap_destroy(heap) == HGC_OK);
}

int main(void) {
    static const uint32_t slots[] = {0};
    hgc_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.size = sizeof vt;
    vt.payload_size = sizeof(holder);
    vt.reference_offsets = slots;
    vt.reference_count = 1;
    vt.trace = holder_trace;
    vt.finalize = holder_finalize;
    CHECK(hgc_register_type("demo.c/Holder", &vt, &holder_type) == HGC_OK);
    scenarios(HGC_MODE_CHECKED);
    scenarios(HGC_MODE_TRUSTED);

    printf("abi_bridge_test: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
