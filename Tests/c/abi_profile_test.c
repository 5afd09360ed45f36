/* The profiler through the C ABI (hakogc.h, "Added in 0x0106"): an event log for a
   checked and a trusted heap, guest-language frames above the native stack (from a
   callback that also misbehaves), trace lines, leak checks naming C handles, and
   profile handles that are stale or made up. The log is read back here with a
   reader of its own (docs/event-log.md's layout), independent of GcProfiler's. */
#define _POSIX_C_SOURCE 200809L
#include <hakogc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int passed = 0, failed = 0;
#define CHECK(cond) do { if (cond) passed++; else { failed++; \
    fprintf(stderr, "FAIL %s:%d: %s (last error: %s)\n", __FILE__, __LINE__, #cond, hgc_last_error()); } } while (0)

static hgc_heap heap;
static uint64_t cell_type, link_type;
static int guest_calls = 0;
static hgc_status alloc_from_callback = HGC_OK;

/* The guest stack: two frames, and misbehaviour: an allocation (refused), a frame
   with no function (skipped), and a count larger than the room (capped). */
static size_t guest_stack(hgc_guest_frame *frames, size_t capacity, void *context) {
    (void)context;
    hgc_value v;
    guest_calls++;
    alloc_from_callback = hgc_alloc(heap, cell_type, 0, &v);
    if (capacity < 3) return 0;
    frames[0].function = "guest_make_cells";
    frames[0].file = "program.guest";
    frames[0].line = 12;
    frames[1].function = NULL;
    frames[2].function = "guest_main";
    frames[2].file = NULL;
    return capacity + 100;
}

/* Reads the log: counts samples, and finds the guest frames among symbol records. */
typedef struct { int magic_ok, samples, collections, leaks, process_end, guest_make, guest_main, guest_line; } log_summary;
static log_summary read_log(const char *path) {
    log_summary s;
    memset(&s, 0, sizeof s);
    FILE *f = fopen(path, "rb");
    if (!f) return s;
    static unsigned char data[1 << 24];
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    s.magic_ok = n >= 8 && memcmp(data, "HAKOGC\0\2", 8) == 0;
    size_t at = 8;
    while (s.magic_ok && at + 8 <= n) {
        uint64_t header;
        memcpy(&header, data + at, 8);
        uint32_t kind = (uint32_t)(header & 0xFFFF), size = (uint32_t)(header >> 32);
        if (size < 8 || at + size > n) { s.magic_ok = 0; break; }
        const uint64_t *w = (const uint64_t *)(data + at + 8);
        if (kind == 4) s.samples++;
        if (kind == 3) s.collections++;
        if (kind == 13) s.leaks++;
        if (kind == 12) s.process_end++;
        if (kind == 7 && (w[1] & 4)) {  /* a guest symbol: pc, flags, line, name, file */
            uint64_t len = w[3];
            const char *name = (const char *)(w + 4);
            if (len == strlen("guest_make_cells") && memcmp(name, "guest_make_cells", len) == 0) {
                s.guest_make++;
                s.guest_line = (int)w[2];
            }
            if (len == strlen("guest_main") && memcmp(name, "guest_main", len) == 0) s.guest_main++;
        }
        at += size;
    }
    return s;
}

static void run(uint32_t mode, const char *path) {
    hgc_heap_options options = {sizeof options, mode, HGC_HEADER_LAYOUT, 0};
    CHECK(hgc_heap_create_with(&options, &heap) == HGC_OK);
    hgc_profile profile = 0;
    CHECK(hgc_profile_open(path, "abi_profile_test", 1, &profile) == HGC_OK && profile != 0);
    CHECK(hgc_profile_attach(profile, heap) == HGC_OK);
    CHECK(hgc_profile_set_guest_stack(heap, guest_stack, NULL) == HGC_OK);
    CHECK(hgc_heap_set_trace(heap, 1) == HGC_OK);
    hgc_value kept[4];
    for (int i = 0; i < 200; i++) {
        hgc_value v;
        CHECK(hgc_alloc(heap, cell_type, 0, &v) == HGC_OK);
        if (i < 4) kept[i] = v; else CHECK(hgc_release(heap, v) == HGC_OK);
    }
    CHECK(guest_calls >= 200 && alloc_from_callback == HGC_ERR_REENTRANT);
    CHECK(hgc_collect(heap, HGC_COLLECT_FULL) == HGC_OK);
    CHECK(hgc_heap_set_trace(heap, 0) == HGC_OK);
    CHECK(hgc_profile_snapshot(profile, heap) == HGC_OK);

    /* a leak check: four handles still held */
    size_t length = 0;
    uint64_t objects = 99;
    CHECK(hgc_leak_check(heap, NULL, 0, &length, &objects) == HGC_OK && objects == 4 && length > 0);
    char small[16], *text = malloc(length + 1);
    CHECK(hgc_leak_check(heap, small, sizeof small, &length, &objects) == HGC_ERR_BUFFER_TOO_SMALL && small[15] == 0);
    CHECK(hgc_leak_check(heap, text, length + 1, &length, &objects) == HGC_OK);
    if (mode == HGC_MODE_CHECKED) CHECK(strstr(text, "C handle not released") != NULL);
    CHECK(strstr(text, "guest_make_cells") != NULL);  /* the site of the sampled objects */
    free(text);
    for (int i = 0; i < 4; i++) CHECK(hgc_release(heap, kept[i]) == HGC_OK);
    CHECK(hgc_leak_check(heap, NULL, 0, &length, &objects) == HGC_OK && objects == 0);

    /* a cycle of three held by one forgotten handle: one group, with that holder */
    hgc_value ring[3];
    for (int i = 0; i < 3; i++) CHECK(hgc_alloc(heap, link_type, 0, &ring[i]) == HGC_OK);
    for (int i = 0; i < 3; i++) CHECK(hgc_store(heap, ring[i], 0, ring[(i + 1) % 3]) == HGC_OK);
    for (int i = 1; i < 3; i++) CHECK(hgc_release(heap, ring[i]) == HGC_OK);
    char report[2048];
    CHECK(hgc_leak_check(heap, report, sizeof report, &length, &objects) == HGC_OK && objects == 3);
    CHECK(strstr(report, "in 1 groups") != NULL && strstr(report, "a cycle of 3 objects (3× demo.c/ProfiledLink)") != NULL);
    if (mode == HGC_MODE_CHECKED) CHECK(strstr(report, "held by 1 C handle not released") != NULL);
    CHECK(hgc_release(heap, ring[0]) == HGC_OK);
    CHECK(hgc_leak_check(heap, NULL, 0, &length, &objects) == HGC_OK && objects == 0);

    CHECK(hgc_profile_set_guest_stack(heap, NULL, NULL) == HGC_OK);
    CHECK(hgc_profile_detach(profile, heap) == HGC_OK);
    CHECK(hgc_heap_destroy(heap) == HGC_OK);
    CHECK(hgc_profile_close(profile) == HGC_OK);
    CHECK(hgc_profile_close(profile) == HGC_ERR_STALE_HANDLE);
    CHECK(hgc_profile_snapshot(profile, heap) == HGC_ERR_HEAP_DESTROYED);

    log_summary s = read_log(path);
    CHECK(s.magic_ok && s.process_end == 1);
    CHECK(s.samples == 203 && s.collections >= 1);  /* 200 cells, 3 ring links */
    CHECK(s.guest_make == 1 && s.guest_main == 1 && s.guest_line == 12);
}

int main(void) {
    hgc_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.size = sizeof vt;
    vt.payload_size = 24;
    CHECK(hgc_register_type("demo.c/ProfiledCell", &vt, &cell_type) == HGC_OK);
    static const uint32_t offsets[] = {0};
    vt.payload_size = 16;
    vt.reference_offsets = offsets;
    vt.reference_count = 1;
    CHECK(hgc_register_type("demo.c/ProfiledLink", &vt, &link_type) == HGC_OK);
    /* HAKOGC_TEST_KEEP_LOG=PATH keeps the trusted run's log there (scripts/test-gcstat.sh
       runs every gcstat command on it). */
    char path[512];
    const char *keep = getenv("HAKOGC_TEST_KEEP_LOG");
    snprintf(path, sizeof path, "/tmp/abi_profile_test-%d.hgclog", (int)getpid());
    run(HGC_MODE_CHECKED, path);
    if (keep) snprintf(path, sizeof path, "%s", keep);
    run(HGC_MODE_TRUSTED, path);
    if (!keep) unlink(path);

    /* bad input */
    hgc_profile p = 0;
    CHECK(hgc_profile_open("/nonexistent-dir/x.hgclog", NULL, 0, &p) == HGC_ERR_NOT_APPLICABLE);
    CHECK(strstr(hgc_last_error(), "No such file") != NULL);
    CHECK(hgc_profile_open(NULL, NULL, 0, &p) == HGC_ERR_NULL_ARGUMENT);
    CHECK(hgc_profile_close(123456789) == HGC_ERR_FORGED_HANDLE);
    CHECK(hgc_profile_close(0) == HGC_ERR_FORGED_HANDLE);

    printf("abi_profile_test: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
