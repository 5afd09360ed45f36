/* Size-prefixed structs at the edge of readable memory: every struct the library
   reads carries its own size, and the library must read the size first and then
   no byte past it. Each struct is placed so that its declared size ends exactly at
   a PROT_NONE guard page; a read of one byte more is a SIGSEGV. Each call runs in
   a child process, so a crash is reported as a failed check, not as a lost run. */
#define _DEFAULT_SOURCE
#include <hakogc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int passed = 0, failed = 0;
#define CHECK(cond) do { if (cond) passed++; else { failed++; \
    fprintf(stderr, "FAIL %s:%d: %s (last error: %s)\n", __FILE__, __LINE__, #cond, hgc_last_error()); } } while (0)

/* The last `bytes` bytes of a readable page followed by a PROT_NONE page. */
static unsigned char *before_guard(size_t bytes) {
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *base = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return NULL;
    if (mprotect(base + page, (size_t)page, PROT_NONE) != 0) return NULL;
    unsigned char *p = base + page - bytes;
    memset(p, 0, bytes);
    return p;
}

/* Runs call() in a child; the child exits with its status (or dies by a signal). */
static int in_child(hgc_status (*call)(void), hgc_status expected, const char *what) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) _exit((int)call());
    int ws = 0;
    waitpid(pid, &ws, 0);
    if (WIFSIGNALED(ws)) {
        fprintf(stderr, "%s: the library read past the declared size (signal %d)\n", what, WTERMSIG(ws));
        return 0;
    }
    if (WEXITSTATUS(ws) != (int)expected) {
        fprintf(stderr, "%s: status %d, expected %d\n", what, WEXITSTATUS(ws), (int)expected);
        return 0;
    }
    return 1;
}

/* hgc_vtable with size 8 (size and flags only), then the guard page. */
static hgc_status register_short_vtable(void) {
    uint32_t *p = (uint32_t *)before_guard(8);
    p[0] = 8;
    uint64_t id = 0;
    return hgc_register_type("demo.c/Short", (const hgc_vtable *)p, &id);
}
/* A size field alone (4 bytes): still only the size may be read. */
static hgc_status register_size_only_vtable(void) {
    uint32_t *p = (uint32_t *)before_guard(4);
    p[0] = 4;
    uint64_t id = 0;
    return hgc_register_type("demo.c/Short", (const hgc_vtable *)p, &id);
}
/* A vtable whose size says "all of it" at the very end of the page: accepted. */
static hgc_status register_full_vtable_at_edge(void) {
    hgc_vtable *vt = (hgc_vtable *)before_guard(sizeof(hgc_vtable));
    vt->size = sizeof(hgc_vtable);
    vt->payload_size = 8;
    uint64_t id = 0;
    return hgc_register_type("demo.c/Edge", vt, &id);
}
static hgc_status register_short_bridge(void) {
    hgc_heap heap;
    if (hgc_heap_create(&heap) != HGC_OK) return HGC_ERR_HEAP_DESTROYED;
    uint32_t *p = (uint32_t *)before_guard(8);
    p[0] = 8;
    return hgc_bridge_register(heap, (const hgc_bridge *)p);
}
/* hgc_heap_stats with size 8 (size and reserved): filled up to there only. */
static hgc_status short_stats(void) {
    hgc_heap heap;
    if (hgc_heap_create(&heap) != HGC_OK) return HGC_ERR_HEAP_DESTROYED;
    uint32_t *p = (uint32_t *)before_guard(8);
    p[0] = 8;
    hgc_status s = hgc_heap_statistics(heap, (hgc_heap_stats *)p);
    return s == HGC_OK && p[0] == 8 ? HGC_OK : HGC_ERR_BAD_SIZE;
}
static hgc_status size_only_stats(void) {
    hgc_heap heap;
    if (hgc_heap_create(&heap) != HGC_OK) return HGC_ERR_HEAP_DESTROYED;
    uint32_t *p = (uint32_t *)before_guard(4);
    p[0] = 4;
    return hgc_heap_statistics(heap, (hgc_heap_stats *)p);
}
/* hgc_type_vtable writes at most out_size bytes, and says how many in out->size. */
static hgc_status short_vtable_out(void) {
    uint32_t *p = (uint32_t *)before_guard(16);
    hgc_status s = hgc_type_vtable(HGC_TYPE_STRING, (hgc_vtable *)p, 16);
    return s == HGC_OK && p[0] == 16 ? HGC_OK : HGC_ERR_BAD_SIZE;
}

int main(void) {
    CHECK(in_child(register_short_vtable, HGC_ERR_BAD_VTABLE, "hgc_register_type, vtable size 8"));
    CHECK(in_child(register_size_only_vtable, HGC_ERR_BAD_VTABLE, "hgc_register_type, vtable size 4"));
    CHECK(in_child(register_full_vtable_at_edge, HGC_OK, "hgc_register_type, full vtable at the edge"));
    CHECK(in_child(register_short_bridge, HGC_ERR_BAD_VTABLE, "hgc_bridge_register, bridge size 8"));
    CHECK(in_child(short_stats, HGC_OK, "hgc_heap_statistics, stats size 8"));
    CHECK(in_child(size_only_stats, HGC_ERR_BAD_SIZE, "hgc_heap_statistics, stats size 4"));
    CHECK(in_child(short_vtable_out, HGC_OK, "hgc_type_vtable, out_size 16"));
    printf("abi_sizes_test: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
