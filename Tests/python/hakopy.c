/* hakopy: a CPython extension that bridges Python's collector to HakoGC through the
   C ABI, to show cycles Python -> HakoGC -> Python collected on both sides.

   - hakopy.Box(obj) is a Python object holding a HakoGC "holder" by a bridged pin;
     the holder holds obj (a strong PyObject reference) and reports it to HakoGC's
     marking with hgc_visit_foreign.
   - hakopy.collect() runs a joint full collection. Python is the foreign side: its
     mark_roots finds Python's roots as CPython's own gc does (refcount minus the
     references gc-tracked objects and HakoGC holders hold), marks from them with
     tp_traverse, and reports the bridged pin of every Box it marks.
   - Holder finalizers do not call into Python during a collection: their
     Py_DECREFs wait in a list, flushed when the call into hakopy returns. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <hakogc.h>
#include <string.h>

typedef struct { PyObject *held; Py_ssize_t index; } holder; /* payload */

static hgc_heap heap;
static uint64_t holder_type;
static holder **holders; static Py_ssize_t nholders, capholders;  /* live holders */
static PyObject **pending; static Py_ssize_t npending, cappending;  /* decrefs to run */

static void push_pending(PyObject *o) {
    if (npending == cappending) { cappending = cappending ? cappending * 2 : 64; pending = realloc(pending, cappending * sizeof *pending); }
    pending[npending++] = o;
}
static void flush_pending(void) {
    while (npending > 0) Py_DECREF(pending[--npending]);  /* may free Boxes, which queue more */
}

static void holder_trace(void *payload, hgc_visitor *v, void *ctx) {
    (void)ctx;
    holder *h = payload;
    if (h->held) hgc_visit_foreign(v, (uint64_t)(uintptr_t)h->held);
}
static void holder_finalize(void *payload, void *ctx) {
    (void)ctx;
    holder *h = payload;
    holders[h->index] = holders[--nholders];
    holders[h->index]->index = h->index;
    if (h->held) push_pending(h->held);
    h->held = NULL;
}

/* ---- Box ---- */
typedef struct { PyObject_HEAD hgc_value pinned; int pin_live; PyObject *weakrefs; } Box;
static PyTypeObject BoxType;

static int Box_traverse(PyObject *self, visitproc visit, void *arg) { (void)self; (void)visit; (void)arg; return 0; }
static void Box_dealloc(PyObject *self) {
    Box *b = (Box *)self;
    PyObject_GC_UnTrack(self);
    if (b->weakrefs) PyObject_ClearWeakRefs(self);
    if (b->pin_live) { hgc_unpin(heap, b->pinned); b->pin_live = 0; }
    Py_TYPE(self)->tp_free(self);
    flush_pending();
}
static int Box_init(PyObject *self, PyObject *args, PyObject *kw) {
    (void)kw;
    PyObject *obj = Py_None;
    if (!PyArg_ParseTuple(args, "|O", &obj)) return -1;
    hgc_value v;
    if (hgc_alloc(heap, holder_type, 0, &v) != HGC_OK) { PyErr_SetString(PyExc_MemoryError, hgc_last_error()); return -1; }
    holder *h;
    hgc_payload(heap, v, (void **)&h, NULL);
    Py_INCREF(obj);
    h->held = obj;
    if (nholders == capholders) { capholders = capholders ? capholders * 2 : 64; holders = realloc(holders, capholders * sizeof *holders); }
    h->index = nholders;
    holders[nholders++] = h;
    Box *b = (Box *)self;
    hgc_pin_bridged(heap, v, &b->pinned);
    b->pin_live = 1;
    hgc_release(heap, v);
    return 0;
}

/* ---- the Python side of a joint collection ---- */
typedef struct { PyObject *o; Py_ssize_t refs; int marked; } slot;
static slot *table; static size_t tmask;
static PyObject **stack; static Py_ssize_t nstack, capstack;
static PyObject *objects;  /* gc.get_objects() of this collection */

static slot *find(PyObject *o) {
    if (!table) return NULL;
    size_t i = ((uintptr_t)o >> 4) * 11400714819323198485ull & tmask;
    while (table[i].o) { if (table[i].o == o) return &table[i]; i = (i + 1) & tmask; }
    return NULL;
}
static int visit_decref(PyObject *o, void *arg) { (void)arg; slot *s = find(o); if (s) s->refs--; return 0; }
static void push(PyObject *o) {
    if (nstack == capstack) { capstack = capstack ? capstack * 2 : 256; stack = realloc(stack, capstack * sizeof *stack); }
    stack[nstack++] = o;
}
static int visit_mark(PyObject *o, void *arg) {
    (void)arg;
    slot *s = find(o);
    if (s && !s->marked) { s->marked = 1; push(o); }
    return 0;
}
static void drain_marks(void) {
    while (nstack > 0) {
        PyObject *o = stack[--nstack];
        if (Py_TYPE(o) == &BoxType && ((Box *)o)->pin_live) hgc_bridge_reach(heap, ((Box *)o)->pinned);
        traverseproc t = Py_TYPE(o)->tp_traverse;
        if (t) t(o, visit_mark, NULL);
    }
}
static void mark_roots(hgc_heap h, void *ctx) {
    (void)h; (void)ctx;
    PyObject *gc = PyImport_ImportModule("gc");
    objects = gc ? PyObject_CallMethod(gc, "get_objects", NULL) : NULL;
    Py_XDECREF(gc);
    if (!objects) { PyErr_Clear(); return; }
    Py_ssize_t n = PyList_GET_SIZE(objects);
    size_t size = 16;
    while (size < (size_t)n * 2) size <<= 1;
    table = calloc(size, sizeof *table);
    tmask = size - 1;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *o = PyList_GET_ITEM(objects, k);
        size_t i = ((uintptr_t)o >> 4) * 11400714819323198485ull & tmask;
        while (table[i].o) i = (i + 1) & tmask;
        table[i].o = o;
        table[i].refs = Py_REFCNT(o) - 1;  /* minus the list's reference */
    }
    for (Py_ssize_t k = 0; k < n; k++) {   /* minus references inside Python */
        PyObject *o = PyList_GET_ITEM(objects, k);
        traverseproc t = Py_TYPE(o)->tp_traverse;
        if (t) t(o, visit_decref, NULL);
    }
    for (Py_ssize_t k = 0; k < nholders; k++)  /* minus references HakoGC holds */
        if (holders[k]->held) visit_decref(holders[k]->held, NULL);
    for (size_t i = 0; i <= tmask; i++)
        if (table[i].o && table[i].refs > 0 && !table[i].marked) { table[i].marked = 1; push(table[i].o); }
    drain_marks();
}
static void mark_foreign(hgc_heap h, uint64_t ref, void *ctx) {
    (void)h; (void)ctx;
    visit_mark((PyObject *)(uintptr_t)ref, NULL);
    drain_marks();
}
static void sweep(hgc_heap h, void *ctx) {
    (void)h; (void)ctx;
    /* Unmarked Boxes: their bridged pins were released by the collection. Python's
       own gc (or plain refcounting, once the holders' references go) frees them. */
    for (size_t i = 0; table && i <= tmask; i++)
        if (table[i].o && !table[i].marked && Py_TYPE(table[i].o) == &BoxType) ((Box *)table[i].o)->pin_live = 0;
    free(table); table = NULL;
    if (objects) push_pending(objects);  /* released after the collection */
    objects = NULL;
}

static PyObject *py_collect(PyObject *self, PyObject *args) {
    (void)self; (void)args;
    hgc_status s = hgc_collect(heap, HGC_COLLECT_FULL);
    flush_pending();
    if (s != HGC_OK) { PyErr_SetString(PyExc_RuntimeError, hgc_last_error()); return NULL; }
    Py_RETURN_NONE;
}
static PyObject *py_stats(PyObject *self, PyObject *args) {
    (void)self; (void)args;
    hgc_heap_stats st;
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    hgc_heap_statistics(heap, &st);
    uint32_t mode = 0;
    hgc_heap_mode(heap, &mode);
    return Py_BuildValue("{s:K,s:K,s:K,s:K,s:s}", "live_objects", (unsigned long long)st.live_objects,
                         "handles", (unsigned long long)st.handles, "finalizers_run", (unsigned long long)st.finalizers_run,
                         "full_collections", (unsigned long long)st.full_collections,
                         "mode", mode == HGC_MODE_TRUSTED ? "trusted" : "checked");
}

/* ---- profiling: Python's own stack as the site of HakoGC allocations ----
   The guest-stack callback runs inside HakoGC's allocation (called from Box_init,
   with the GIL held): it reads the running Python frames and copies each function's
   qualified name and file into static storage (the strings need only outlive the
   call). It calls nothing in HakoGC. */
enum { GUEST_MAX = 32, GUEST_TEXT = 160 };
static char guest_names[GUEST_MAX][GUEST_TEXT], guest_files[GUEST_MAX][GUEST_TEXT];

static void copy_text(char *out, PyObject *text) {
    const char *s = text ? PyUnicode_AsUTF8(text) : NULL;
    snprintf(out, GUEST_TEXT, "%s", s ? s : "?");
    if (!s) PyErr_Clear();
}

static size_t python_stack(hgc_guest_frame *frames, size_t capacity, void *context) {
    (void)context;
    size_t n = 0;
    PyFrameObject *frame = PyEval_GetFrame();  /* borrowed */
    Py_XINCREF(frame);
    while (frame && n < capacity && n < GUEST_MAX) {
        PyCodeObject *code = PyFrame_GetCode(frame);  /* new reference */
        PyObject *name = PyObject_GetAttrString((PyObject *)code, "co_qualname");
        PyObject *file = PyObject_GetAttrString((PyObject *)code, "co_filename");
        copy_text(guest_names[n], name);
        copy_text(guest_files[n], file);
        Py_XDECREF(name);
        Py_XDECREF(file);
        Py_DECREF(code);
        frames[n].function = guest_names[n];
        frames[n].file = guest_files[n];
        frames[n].line = (uint32_t)PyFrame_GetLineNumber(frame);
        n++;
        PyFrameObject *back = PyFrame_GetBack(frame);  /* new reference */
        Py_DECREF(frame);
        frame = back;
    }
    Py_XDECREF(frame);
    return n;
}

static hgc_profile profile;
static PyObject *py_profile(PyObject *self, PyObject *args) {
    (void)self;
    const char *path;
    unsigned long long rate = 512 * 1024;
    if (!PyArg_ParseTuple(args, "s|K", &path, &rate)) return NULL;
    if (hgc_profile_open(path, "hakopy", rate, &profile) != HGC_OK || hgc_profile_attach(profile, heap) != HGC_OK
        || hgc_profile_set_guest_stack(heap, python_stack, NULL) != HGC_OK) {
        PyErr_SetString(PyExc_RuntimeError, hgc_last_error());
        return NULL;
    }
    Py_RETURN_NONE;
}
static PyObject *py_profile_close(PyObject *self, PyObject *args) {
    (void)self; (void)args;
    hgc_profile_set_guest_stack(heap, NULL, NULL);
    if (hgc_profile_detach(profile, heap) != HGC_OK || hgc_profile_close(profile) != HGC_OK) {
        PyErr_SetString(PyExc_RuntimeError, hgc_last_error());
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"collect", py_collect, METH_NOARGS, "Joint full collection of HakoGC and Python."},
    {"stats", py_stats, METH_NOARGS, "HakoGC heap statistics."},
    {"profile", py_profile, METH_VARARGS, "profile(path, rate=524288): an event log of the heap, Python frames as sites."},
    {"profile_close", py_profile_close, METH_NOARGS, "Ends the profile and closes its log."},
    {NULL, NULL, 0, NULL},
};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "hakopy", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit_hakopy(void) {
    BoxType.tp_name = "hakopy.Box";
    BoxType.tp_basicsize = sizeof(Box);
    BoxType.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC;
    BoxType.tp_new = PyType_GenericNew;
    BoxType.tp_init = Box_init;
    BoxType.tp_dealloc = Box_dealloc;
    BoxType.tp_traverse = Box_traverse;
    BoxType.tp_weaklistoffset = offsetof(Box, weakrefs);
    if (PyType_Ready(&BoxType) < 0) return NULL;
    static const uint32_t none[1] = {0};
    hgc_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.size = sizeof vt;
    vt.payload_size = sizeof(holder);
    vt.reference_offsets = none;
    vt.reference_count = 0;
    vt.trace = holder_trace;
    vt.finalize = holder_finalize;
    /* HAKOPY_MODE=trusted: the heap is trusted (scripts/test-cpython.sh runs both). */
    const char *mode = getenv("HAKOPY_MODE");
    hgc_heap_options options = {sizeof options, mode && strcmp(mode, "trusted") == 0 ? HGC_MODE_TRUSTED : HGC_MODE_CHECKED,
                                HGC_HEADER_LAYOUT, 0};
    if (hgc_register_type("hakopy/Holder", &vt, &holder_type) != HGC_OK || hgc_heap_create_with(&options, &heap) != HGC_OK) {
        PyErr_SetString(PyExc_RuntimeError, hgc_last_error());
        return NULL;
    }
    hgc_bridge bridge = {sizeof bridge, 0, mark_roots, mark_foreign, sweep, NULL};
    hgc_bridge_register(heap, &bridge);
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&BoxType);
    PyModule_AddObject(m, "Box", (PyObject *)&BoxType);
    return m;
}
