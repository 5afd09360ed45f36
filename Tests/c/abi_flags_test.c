/* The flags of boxed values are rules, not decoration: READONLY refuses writes,
   ASYNC belongs to futures only, PINNED names the pin a handle holds, and no flag
   can be flipped on a copy of a value to get around them. Status texts are true
   for every call that returns them. */
#include <hakogc.h>
#include <stdio.h>
#include <string.h>

static int passed = 0, failed = 0;
#define CHECK(cond) do { if (cond) passed++; else { failed++; \
    fprintf(stderr, "FAIL %s:%d: %s (last error: %s)\n", __FILE__, __LINE__, #cond, hgc_last_error()); } } while (0)

typedef struct { uint64_t next; int64_t data; } cell;
static hgc_heap heap;
static uint64_t cell_type;
static int finalized;
static hgc_status destroy_from_finalizer = HGC_OK;

static void cell_finalize(void *payload, void *context) {
    (void)context;
    finalized++;
    if (((cell *)payload)->data == 99) destroy_from_finalizer = hgc_heap_destroy(heap);
}

static hgc_value with_flags(hgc_value v, uint64_t set, uint64_t clear) {
    v.metadata = (v.metadata | set) & ~clear;
    return v;
}

static void test_readonly(void) {
    hgc_value a, b, ro, ro2;
    CHECK(hgc_alloc(heap, cell_type, 0, &a) == HGC_OK);
    CHECK(hgc_alloc(heap, cell_type, 0, &b) == HGC_OK);
    hgc_value marked = with_flags(a, HGC_FLAG_READONLY, 0);   /* a holder restricts itself */
    void *payload = NULL;
    CHECK(hgc_store(heap, marked, 0, b) == HGC_ERR_READONLY);
    CHECK(hgc_payload(heap, marked, &payload, NULL) == HGC_ERR_READONLY && payload == NULL);
    CHECK(hgc_store(heap, b, 0, marked) == HGC_ERR_READONLY);  /* loading it back would make it writable */

    /* a handle issued from a read-only value is read-only for good */
    CHECK(hgc_retain(heap, marked, &ro) == HGC_OK && (hgc_flags_of(ro) & HGC_FLAG_READONLY));
    hgc_value widened = with_flags(ro, 0, HGC_FLAG_READONLY);
    CHECK(hgc_store(heap, widened, 0, b) == HGC_ERR_MALFORMED_VALUE);
    CHECK(hgc_payload(heap, widened, &payload, NULL) == HGC_ERR_MALFORMED_VALUE);
    CHECK(hgc_retain(heap, widened, &ro2) == HGC_ERR_MALFORMED_VALUE);
    CHECK(hgc_retain(heap, ro, &ro2) == HGC_OK && (hgc_flags_of(ro2) & HGC_FLAG_READONLY));
    const void *readable = NULL;
    uint64_t size = 0;
    CHECK(hgc_payload_const(heap, ro2, &readable, &size) == HGC_OK && readable != NULL && size >= sizeof(cell));
    CHECK(hgc_payload_const(heap, widened, &readable, &size) == HGC_ERR_MALFORMED_VALUE);
    CHECK(hgc_release(heap, ro2) == HGC_OK);
    /* ... and so are its pins, casts to its own type, and weak values upgraded */
    hgc_value pinned, cast, weak, up;
    CHECK(hgc_pin(heap, ro, &pinned) == HGC_OK && (hgc_flags_of(pinned) & HGC_FLAG_READONLY));
    CHECK(hgc_store(heap, pinned, 0, b) == HGC_ERR_READONLY);
    CHECK(hgc_unpin(heap, pinned) == HGC_OK);
    CHECK(hgc_cast(heap, ro, cell_type, &cast) == HGC_OK && (hgc_flags_of(cast) & HGC_FLAG_READONLY));
    CHECK(hgc_release(heap, cast) == HGC_OK);
    CHECK(hgc_make_weak(heap, ro, &weak) == HGC_OK && (hgc_flags_of(weak) & HGC_FLAG_READONLY));
    CHECK(hgc_upgrade(heap, with_flags(weak, 0, HGC_FLAG_READONLY), &up) == HGC_ERR_FORGED_HANDLE);
    CHECK(hgc_upgrade(heap, weak, &up) == HGC_OK && (hgc_flags_of(up) & HGC_FLAG_READONLY));
    CHECK(hgc_store(heap, up, 0, b) == HGC_ERR_READONLY);
    CHECK(hgc_release(heap, up) == HGC_OK);
    /* the writable handle still writes; loads through a read-only value are ordinary values */
    CHECK(hgc_store(heap, a, 0, b) == HGC_OK);
    hgc_value loaded;
    CHECK(hgc_load(heap, ro, 0, &loaded) == HGC_OK && !(hgc_flags_of(loaded) & HGC_FLAG_READONLY));
    CHECK(hgc_release(heap, loaded) == HGC_OK);
    CHECK(hgc_release(heap, ro) == HGC_OK);
    CHECK(hgc_release(heap, a) == HGC_OK);
    CHECK(hgc_release(heap, b) == HGC_OK);
}

static void test_async(void) {
    hgc_value a, future, pinned, out;
    CHECK(hgc_alloc(heap, cell_type, 0, &a) == HGC_OK);
    /* ASYNC, as a flag or as the tag, on a value that is not a future */
    hgc_value async_flag = with_flags(a, HGC_FLAG_ASYNC, 0);
    hgc_value async_tag = a;
    async_tag.metadata |= (uint64_t)HGC_TAG_ASYNC << HGC_TAG_SHIFT;
    CHECK(hgc_retain(heap, async_flag, &out) == HGC_ERR_MALFORMED_VALUE);
    CHECK(hgc_retain(heap, async_tag, &out) == HGC_ERR_MALFORMED_VALUE);
    CHECK(hgc_store(heap, async_flag, 0, hgc_null()) == HGC_ERR_MALFORMED_VALUE);
    CHECK(hgc_value_validate(async_flag) == HGC_ERR_MALFORMED_VALUE);
    CHECK(hgc_value_validate(hgc_boxed(cell_type, 0x10, HGC_FLAG_ASYNC)) == HGC_ERR_MALFORMED_VALUE);
    /* a future without its ASYNC flag or tag */
    CHECK(hgc_alloc(heap, HGC_TYPE_FUTURE, 0, &future) == HGC_OK);
    CHECK(hgc_retain(heap, with_flags(future, 0, HGC_FLAG_ASYNC), &out) == HGC_ERR_MALFORMED_VALUE);
    hgc_value future_boxed_tag = future;
    future_boxed_tag.metadata &= ~((uint64_t)0xF << HGC_TAG_SHIFT);
    CHECK(hgc_retain(heap, future_boxed_tag, &out) == HGC_ERR_MALFORMED_VALUE);
    CHECK(hgc_release(heap, future) == HGC_OK);

    /* a copy of a pinned value with ASYNC flipped does not unpin the pin */
    CHECK(hgc_pin(heap, a, &pinned) == HGC_OK);
    CHECK(hgc_release(heap, a) == HGC_OK);
    hgc_value flipped = with_flags(pinned, HGC_FLAG_ASYNC, 0);
    CHECK(hgc_unpin(heap, flipped) == HGC_ERR_MALFORMED_VALUE);
    finalized = 0;
    CHECK(hgc_collect(heap, HGC_COLLECT_FULL) == HGC_OK && finalized == 0);
    /* nor does a copy with PINNED cleared release it */
    CHECK(hgc_release(heap, with_flags(pinned, 0, HGC_FLAG_PINNED)) == HGC_ERR_MALFORMED_VALUE);
    CHECK(hgc_unpin(heap, pinned) == HGC_OK && finalized == 1);
    /* PINNED on a handle that holds no pin names no pin */
    CHECK(hgc_alloc(heap, cell_type, 0, &a) == HGC_OK);
    CHECK(hgc_unpin(heap, with_flags(a, HGC_FLAG_PINNED, 0)) == HGC_ERR_MALFORMED_VALUE);
    CHECK(hgc_release(heap, a) == HGC_OK);
}

static void test_status_texts(void) {
    /* REENTRANT refuses destroys and calls during marking, not only collections */
    const char *text = hgc_status_string(HGC_ERR_REENTRANT);
    CHECK(strstr(text, "collection requested from a finalizer") == NULL);
    CHECK(strstr(text, "callback") != NULL);
    hgc_value v;
    CHECK(hgc_alloc(heap, cell_type, 0, &v) == HGC_OK);
    void *payload;
    CHECK(hgc_payload(heap, v, &payload, NULL) == HGC_OK);
    ((cell *)payload)->data = 99;
    CHECK(hgc_release(heap, v) == HGC_OK);
    CHECK(destroy_from_finalizer == HGC_ERR_REENTRANT);
    CHECK(strcmp(hgc_status_string(HGC_ERR_READONLY), "unknown status") != 0);
    CHECK(strstr(hgc_status_string(HGC_ERR_INT_OUT_OF_RANGE), "60 bits") != NULL);
    CHECK(strstr(hgc_status_string(HGC_ERR_MALFORMED_VALUE), "flags") != NULL);
}

int main(void) {
    static const uint32_t slots[] = {0};
    hgc_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.size = sizeof vt;
    vt.payload_size = sizeof(cell);
    vt.reference_offsets = slots;
    vt.reference_count = 1;
    vt.finalize = cell_finalize;
    CHECK(hgc_register_type("demo.c/FlagCell", &vt, &cell_type) == HGC_OK);
    CHECK(hgc_heap_create(&heap) == HGC_OK);
    test_readonly();
    test_async();
    test_status_texts();
    CHECK(hgc_heap_destroy(heap) == HGC_OK);
    printf("abi_flags_test: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
