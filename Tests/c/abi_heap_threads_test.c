/* Heap handles under concurrency: the heap table is looked up without a lock, so
   one thread creates and destroys heaps (up to 200 alive at once, so the table grows
   new chunks meanwhile) while others call into their own heaps and pass the churning
   thread's stale handles, its live ones (another thread's heap), and forged and
   corrupted ones. Every call must return its status, and nothing may crash. Bounded:
   a fixed number of heaps, well under a second. */
#include <hakogc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { WORKERS = 3, CHURN = 600, ALIVE = 200, RECENT = 64 };

static _Atomic uint64_t recent_stale[RECENT];   /* destroyed by the churning thread */
static _Atomic uint64_t recent_live[RECENT];    /* alive (or being destroyed) there */
static atomic_int churn_done;
static atomic_long failures, checks;
static uint64_t cell_type;

static void expect(int ok, const char *what, hgc_heap h, hgc_status s) {
    atomic_fetch_add(&checks, 1);
    if (ok) return;
    atomic_fetch_add(&failures, 1);
    fprintf(stderr, "FAIL %s: heap 0x%llx gave status %d (%s)\n", what, (unsigned long long)h, (int)s, hgc_last_error());
}

static void *churn(void *arg) {
    (void)arg;
    static hgc_heap alive[ALIVE];
    int count = 0;
    for (int i = 0; i < CHURN; i++) {
        hgc_heap h;
        hgc_status s = hgc_heap_create(&h);
        expect(s == HGC_OK, "create", h, s);
        hgc_value v;
        s = hgc_alloc(h, cell_type, 0, &v);            /* left for destroy to release */
        expect(s == HGC_OK, "alloc in a new heap", h, s);
        atomic_store(&recent_live[i % RECENT], h);
        alive[count++] = h;
        /* grow to ALIVE heaps, then destroy most of them, twice over */
        if (count == ALIVE || (i % 300 == 299)) {
            while (count > 8) {
                hgc_heap old = alive[--count];
                s = hgc_heap_destroy(old);
                expect(s == HGC_OK, "destroy", old, s);
                atomic_store(&recent_stale[count % RECENT], old);
            }
        }
    }
    while (count > 0) {
        hgc_heap old = alive[--count];
        hgc_status s = hgc_heap_destroy(old);
        expect(s == HGC_OK, "destroy", old, s);
        atomic_store(&recent_stale[count % RECENT], old);
    }
    atomic_store(&churn_done, 1);
    return NULL;
}

static void *worker(void *arg) {
    unsigned seed = (unsigned)(uintptr_t)arg;
    hgc_heap own;
    hgc_status s = hgc_heap_create(&own);
    expect(s == HGC_OK, "create own", own, s);
    hgc_value a;
    s = hgc_alloc(own, cell_type, 0, &a);
    expect(s == HGC_OK, "alloc own", own, s);
    hgc_heap_stats stats;
    long rounds = 0;
    while (!atomic_load(&churn_done) || rounds < 1000) {
        rounds++;
        int same = 0;
        s = hgc_same(own, a, a, &same);                                  /* own heap: works */
        expect(s == HGC_OK && same == 1, "own heap", own, s);
        hgc_heap stale = atomic_load(&recent_stale[rand_r(&seed) % RECENT]);
        if (stale) {
            s = hgc_collect(stale, HGC_COLLECT_MINOR);                   /* destroyed: refused */
            expect(s == HGC_ERR_HEAP_DESTROYED, "stale heap", stale, s);
            s = hgc_heap_transfer(stale);
            expect(s == HGC_ERR_HEAP_DESTROYED, "transfer of a stale heap", stale, s);
        }
        hgc_heap other = atomic_load(&recent_live[rand_r(&seed) % RECENT]);
        if (other) {                        /* another thread's: alive, or destroyed by now */
            memset(&stats, 0, sizeof stats);
            stats.size = sizeof stats;
            s = hgc_heap_statistics(other, &stats);
            expect(s == HGC_ERR_WRONG_THREAD || s == HGC_ERR_HEAP_DESTROYED, "another thread's heap", other, s);
            s = hgc_release(other, a);
            expect(s == HGC_ERR_WRONG_THREAD || s == HGC_ERR_HEAP_DESTROYED, "another thread's heap", other, s);
        }
        hgc_heap flipped = own ^ (1ull << (rand_r(&seed) % 64));         /* corrupted: one bit */
        s = hgc_same(flipped, a, a, &same);
        expect(s == HGC_ERR_HEAP_DESTROYED, "corrupted heap handle", flipped, s);
        hgc_heap forged = ((uint64_t)rand_r(&seed) << 40) ^ ((uint64_t)rand_r(&seed) << 20) ^ (uint64_t)rand_r(&seed);
        if (forged != own) {
            s = hgc_collect(forged, HGC_COLLECT_MINOR);
            expect(s == HGC_ERR_HEAP_DESTROYED || s == HGC_ERR_WRONG_THREAD, "forged heap handle", forged, s);
        }
        s = hgc_collect(rand_r(&seed) % 1024, HGC_COLLECT_MINOR);        /* small numbers: never issued */
        expect(s == HGC_ERR_HEAP_DESTROYED, "small number as heap handle", 0, s);
    }
    s = hgc_release(own, a);
    expect(s == HGC_OK, "release own", own, s);
    s = hgc_heap_destroy(own);
    expect(s == HGC_OK, "destroy own", own, s);
    s = hgc_heap_destroy(own);
    expect(s == HGC_ERR_HEAP_DESTROYED, "destroy twice", own, s);
    return NULL;
}

int main(void) {
    static const uint32_t offsets[] = {0};
    hgc_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.size = sizeof vt;
    vt.payload_size = 16;
    vt.reference_offsets = offsets;
    vt.reference_count = 1;
    if (hgc_register_type("threads.c/Cell", &vt, &cell_type) != HGC_OK) {
        fprintf(stderr, "FAIL register: %s\n", hgc_last_error());
        return 1;
    }
    pthread_t churner, workers[WORKERS];
    for (int i = 0; i < WORKERS; i++) pthread_create(&workers[i], NULL, worker, (void *)(uintptr_t)(i + 1));
    pthread_create(&churner, NULL, churn, NULL);
    pthread_join(churner, NULL);
    for (int i = 0; i < WORKERS; i++) pthread_join(workers[i], NULL);
    long f = atomic_load(&failures), c = atomic_load(&checks);
    printf("abi_heap_threads_test: %ld passed, %ld failed (%d heaps created and destroyed beside %d threads)\n",
           c - f, f, CHURN, WORKERS);
    return f == 0 ? 0 : 1;
}
