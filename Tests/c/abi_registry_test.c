/* The C ABI from a C program that knows only hakogc.h and pkg-config:
   values, tags and flags, validation, the type registry. */
#include <hakogc.h>
#include <stdio.h>
#include <string.h>

static int passed = 0, failed = 0;
#define CHECK(cond) do { if (cond) passed++; else { failed++; \
    fprintf(stderr, "FAIL %s:%d: %s (last error: %s)\n", __FILE__, __LINE__, #cond, hgc_last_error()); } } while (0)

static void test_values(void) {
    hgc_value v;
    CHECK(hgc_make_int(42, &v) == HGC_OK && hgc_value_tag(v) == HGC_TAG_INT && hgc_int_of(v) == 42);
    CHECK(hgc_make_int(-1, &v) == HGC_OK && hgc_int_of(v) == -1);
    CHECK(hgc_make_int(HGC_INT_MIN, &v) == HGC_OK && hgc_int_of(v) == HGC_INT_MIN);
    CHECK(hgc_make_int(HGC_INT_MAX, &v) == HGC_OK && hgc_int_of(v) == HGC_INT_MAX);
    CHECK(hgc_make_int(HGC_INT_MAX + 1, &v) == HGC_ERR_INT_OUT_OF_RANGE);
    CHECK(hgc_make_int(HGC_INT_MIN - 1, &v) == HGC_ERR_INT_OUT_OF_RANGE);
    CHECK(hgc_make_int(1, NULL) == HGC_ERR_NULL_ARGUMENT);
    CHECK(hgc_bool_of(hgc_bool(1)) == 1 && hgc_bool_of(hgc_bool(0)) == 0);
    CHECK(hgc_value_tag(hgc_null()) == HGC_TAG_NULL && hgc_value_tag(hgc_void()) == HGC_TAG_VOID);

    CHECK(hgc_value_validate(hgc_int_unchecked(-7)) == HGC_OK);
    CHECK(hgc_value_validate(hgc_bool(1)) == HGC_OK);
    CHECK(hgc_value_validate(hgc_null()) == HGC_OK);
    CHECK(hgc_value_validate(hgc_void()) == HGC_OK);

    for (uint64_t tag = 6; tag < 16; tag++) {
        hgc_value bad = {HGC_TYPE_NULL, 0, tag << HGC_TAG_SHIFT};
        CHECK(hgc_value_validate(bad) == HGC_ERR_BAD_TAG);
    }
    hgc_value with_handle = hgc_int_unchecked(1);
    with_handle.box_handle = 0x1234;
    CHECK(hgc_value_validate(with_handle) == HGC_ERR_MALFORMED_VALUE);
    hgc_value wrong_type = hgc_bool(1);
    wrong_type.type_id = HGC_TYPE_INTEGER;
    CHECK(hgc_value_validate(wrong_type) == HGC_ERR_MALFORMED_VALUE);
    hgc_value bool_two = hgc_bool(1);
    bool_two.metadata |= 2;
    CHECK(hgc_value_validate(bool_two) == HGC_ERR_MALFORMED_VALUE);
    hgc_value null_payload = hgc_null();
    null_payload.metadata |= 1;
    CHECK(hgc_value_validate(null_payload) == HGC_ERR_MALFORMED_VALUE);

    CHECK(hgc_value_validate(hgc_boxed(HGC_TYPE_STRING, 0x10, HGC_FLAG_PINNED | HGC_FLAG_READONLY)) == HGC_OK);
    CHECK(hgc_value_validate(hgc_boxed(HGC_TYPE_STRING, 0x10, 1ull << 4)) == HGC_ERR_UNKNOWN_FLAGS);
    CHECK(strstr(hgc_last_error(), "unknown flag") != NULL);
    CHECK(hgc_value_validate(hgc_boxed(HGC_TYPE_STRING, 0, 0)) == HGC_ERR_MALFORMED_VALUE);
    CHECK(hgc_value_validate(hgc_boxed(0x1234567, 0x10, 0)) == HGC_ERR_UNKNOWN_TYPE);
    hgc_value future = hgc_boxed(HGC_TYPE_FUTURE, 0x20, HGC_FLAG_ASYNC);
    future.metadata |= (uint64_t)HGC_TAG_ASYNC << HGC_TAG_SHIFT;
    CHECK(hgc_value_validate(future) == HGC_OK && hgc_is_boxed(future));
}

static void test_registry(void) {
    CHECK(hgc_abi_version() == HGC_ABI_VERSION);
    CHECK(hgc_type_id("core/Integer") == HGC_TYPE_INTEGER);
    CHECK(hgc_type_id("core/Future") == HGC_TYPE_FUTURE);
    CHECK(hgc_type_id("") == 0xcbf29ce484222325ull);
    CHECK(hgc_type_id(NULL) == 0);

    static const uint32_t offsets[] = {0, 8};
    hgc_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.size = sizeof vt;
    vt.payload_size = 24;
    vt.reference_offsets = offsets;
    vt.reference_count = 2;
    uint64_t id = 0, again = 0, found = 0;
    CHECK(hgc_register_type("demo.c/Pair@1", &vt, &id) == HGC_OK);
    CHECK(id == hgc_type_id("demo.c/Pair@1"));
    CHECK(hgc_register_type("demo.c/Pair@1", &vt, &again) == HGC_OK && again == id);
    CHECK(hgc_lookup_type("demo.c/Pair@1", &found) == HGC_OK && found == id);
    CHECK(hgc_lookup_type("demo.c/Missing", &found) == HGC_ERR_UNKNOWN_TYPE);

    hgc_vtable copy;
    memset(&copy, 0xAB, sizeof copy);
    CHECK(hgc_type_vtable(id, &copy, sizeof copy) == HGC_OK);
    CHECK(copy.payload_size == 24 && copy.reference_count == 2);
    CHECK(copy.reference_offsets != offsets && copy.reference_offsets[1] == 8);
    CHECK(hgc_type_vtable(0x42, &copy, sizeof copy) == HGC_ERR_UNKNOWN_TYPE);

    char name[8];
    size_t length = 0;
    CHECK(hgc_type_name(id, name, sizeof name, &length) == HGC_ERR_BUFFER_TOO_SMALL);
    CHECK(length == strlen("demo.c/Pair@1") && strcmp(name, "demo.c/") == 0);
    char full[64];
    CHECK(hgc_type_name(id, full, sizeof full, &length) == HGC_OK && strcmp(full, "demo.c/Pair@1") == 0);

    hgc_vtable bigger = vt;
    bigger.payload_size = 32;
    CHECK(hgc_register_type("demo.c/Pair@1", &bigger, &again) == HGC_ERR_LAYOUT_MISMATCH);
    CHECK(hgc_register_type("core/Thing", &vt, &again) == HGC_ERR_RESERVED_NAME);
    CHECK(hgc_register_type("no namespace", &vt, &again) == HGC_ERR_INVALID_NAME);
    CHECK(hgc_register_type(NULL, &vt, &again) == HGC_ERR_NULL_ARGUMENT);

    static const uint32_t misaligned[] = {4};
    hgc_vtable bad = vt;
    bad.reference_offsets = misaligned;
    bad.reference_count = 1;
    CHECK(hgc_register_type("demo.c/Bad", &bad, &again) == HGC_ERR_BAD_VTABLE);
    bad = vt;
    bad.size = 8;
    CHECK(hgc_register_type("demo.c/Bad", &bad, &again) == HGC_ERR_BAD_VTABLE);
    bad = vt;
    bad.flags = 0x80;
    CHECK(hgc_register_type("demo.c/Bad", &bad, &again) == HGC_ERR_BAD_VTABLE);
    CHECK(hgc_lookup_type("demo.c/Bad", &found) == HGC_ERR_UNKNOWN_TYPE);

    for (int s = 0; s <= 25; s++) CHECK(strcmp(hgc_status_string((hgc_status)s), "unknown status") != 0);
    CHECK(strcmp(hgc_status_string((hgc_status)999), "unknown status") == 0);
}

static hgc_value add(uint32_t argc, hgc_value *args, void *context) {
    int64_t sum = *(int64_t *)context;
    for (uint32_t i = 0; i < argc; i++) sum += hgc_int_of(args[i]);
    return hgc_int_unchecked(sum);
}
static hgc_value other(uint32_t argc, hgc_value *args, void *context) { (void)argc; (void)args; (void)context; return hgc_void(); }

static void test_functions(void) {
    static int64_t base = 100;
    uint64_t id = 0, found = 0;
    CHECK(hgc_register_function("demo.c/add@1", add, &base, &id) == HGC_OK && id == hgc_type_id("demo.c/add@1"));
    CHECK(hgc_register_function("demo.c/add@1", add, &base, &found) == HGC_OK && found == id);
    CHECK(hgc_register_function("demo.c/add@1", other, NULL, &found) == HGC_ERR_TYPE_ID_COLLISION);
    CHECK(strstr(hgc_last_error(), "demo.c/add@1") != NULL);
    CHECK(hgc_lookup_function("demo.c/add@1", &found) == HGC_OK && found == id);
    CHECK(hgc_lookup_function("demo.c/missing", &found) == HGC_ERR_UNKNOWN_TYPE);
    CHECK(hgc_register_function("bad", add, NULL, &found) == HGC_ERR_INVALID_NAME);
    hgc_value args[3] = {hgc_int_unchecked(1), hgc_int_unchecked(2), hgc_int_unchecked(3)}, out;
    CHECK(hgc_call(id, 3, args, &out) == HGC_OK && hgc_int_of(out) == 106);
    CHECK(hgc_call(id, 0, NULL, &out) == HGC_OK && hgc_int_of(out) == 100);
    CHECK(hgc_call(0x1234, 0, NULL, &out) == HGC_ERR_UNKNOWN_TYPE);
    CHECK(hgc_call(id, 2, NULL, &out) == HGC_ERR_NULL_ARGUMENT);
}

/* FNV-1a 64 over the bytes, as docs/abi.md defines type ids. */
static uint64_t fnv1a(const char *s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) { h ^= (unsigned char)*s; h *= 0x100000001b3ull; }
    return h;
}

/* Names that are not UTF-8 are refused wherever a name comes in; hgc_type_id
   hashes whatever bytes it is given, as documented. */
static void test_names(void) {
    static const char *bad[] = {
        "x.c/\xfe", "x.c/\xff", "x.c/\xc0\xaf" /* overlong '/' */, "x.c/\xed\xa0\x80" /* surrogate */,
        "x.c/\xe2\x82" /* truncated */,
    };
    hgc_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.size = sizeof vt;
    vt.payload_size = 8;
    uint64_t id = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(hgc_type_id(bad[i]) == fnv1a(bad[i]));
        CHECK(hgc_register_type(bad[i], &vt, &id) == HGC_ERR_INVALID_NAME);
        CHECK(hgc_lookup_type(bad[i], &id) == HGC_ERR_INVALID_NAME);
        CHECK(hgc_register_function(bad[i], other, NULL, &id) == HGC_ERR_INVALID_NAME);
        CHECK(hgc_lookup_function(bad[i], &id) == HGC_ERR_INVALID_NAME);
    }
    CHECK(hgc_type_id("x.c/\xfe") != hgc_type_id("x.c/\xff"));
    /* UTF-8 beyond ASCII is a name like any other; its id is FNV-1a of its bytes */
    const char *utf8 = "x.c/Gr\xc3\xbc\xc3\x9f\xe2\x82\xac";  /* "x.c/Grüß€" */
    CHECK(hgc_register_type(utf8, &vt, &id) == HGC_OK && id == fnv1a(utf8) && id == hgc_type_id(utf8));
    uint64_t found = 0;
    CHECK(hgc_lookup_type(utf8, &found) == HGC_OK && found == id);
    char name[64];
    size_t length = 0;
    CHECK(hgc_type_name(id, name, sizeof name, &length) == HGC_OK && strcmp(name, utf8) == 0);
}

int main(void) {
    test_names();
    test_functions();
    test_values();
    test_registry();
    printf("abi_registry_test: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
