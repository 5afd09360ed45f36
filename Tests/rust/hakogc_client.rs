//! A Rust runtime's view of HakoGC: it declares the part of the C ABI it uses (no
//! bindings crate, no registry dependency), links libHakoGC through pkg-config
//! (scripts/test-rust.sh), and keeps objects of its own in a small mark-sweep arena.
//! Cycles that run Rust → HakoGC → Rust are collected by HakoGC's joint collection
//! (the bridge), in both heap modes. On a trusted heap it retains and releases with
//! its own copy of hakogc.h's inline fast paths, written from the documented header
//! layout (HGC_HEADER_LAYOUT 2): what a runtime in another language does.
//!
//! Prints `rust_client: N passed, N failed`; exits non-zero on a failure.

use std::cell::RefCell;
use std::ffi::CStr;
use std::os::raw::{c_char, c_void};

// ---- The ABI it uses (hakogc.h, ABI 0x0106) ----------------------------------

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Value {
    type_id: u64,
    box_handle: u64,
    metadata: u64,
}

type Status = i32;
const OK: Status = 0;
const ERR_NOT_APPLICABLE: Status = 14;
const ERR_ABI_MISMATCH: Status = 26;

const MODE_CHECKED: u32 = 0;
const MODE_TRUSTED: u32 = 1;
const HEADER_LAYOUT: u32 = 2;
const COLLECT_FULL: u32 = 1;
const FLAG_WEAK: u64 = 1 << 0;
const FLAG_PINNED: u64 = 1 << 1;

// The header, HGC_HEADER_LAYOUT 2 (docs/abi.md, "The object header").
const COUNT_MASK: u64 = 0xFFFF_FFFF;
const TYPE_MASK: u64 = 0xFFFF << 32;
const CANDIDATE: u64 = (3 << 48) | (1 << 50);
const ACYCLIC: u64 = 1 << 51;
const DYING: u64 = 1 << 55;
const BARRIER: u64 = 1 << 63;
const HEADER_SIZE: u64 = 16;

#[repr(C)]
struct VTable {
    size: u32,
    flags: u32,
    payload_size: u64,
    reference_offsets: *const u32,
    reference_count: u32,
    reserved: u32,
    trace: Option<extern "C" fn(*mut c_void, *mut c_void, *mut c_void)>,
    finalize: Option<extern "C" fn(*mut c_void, *mut c_void)>,
    to_string: *const c_void,
    cast: *const c_void,
    context: *mut c_void,
}

#[repr(C)]
struct Bridge {
    size: u32,
    reserved: u32,
    mark_roots: Option<extern "C" fn(u64, *mut c_void)>,
    mark_foreign: Option<extern "C" fn(u64, u64, *mut c_void)>,
    sweep: Option<extern "C" fn(u64, *mut c_void)>,
    context: *mut c_void,
}

#[repr(C)]
struct HeapOptions {
    size: u32,
    mode: u32,
    header_layout: u32,
    reserved: u32,
}

#[repr(C)]
#[derive(Default)]
struct HeapStats {
    size: u32,
    reserved: u32,
    live_objects: u64,
    live_bytes: u64,
    allocated_objects: u64,
    freed_objects: u64,
    minor_collections: u64,
    full_collections: u64,
    total_pause_ns: u64,
    max_pause_ns: u64,
    finalizers_run: u64,
    handles: u64,
    pinned_objects: u64,
}

#[link(name = "HakoGC")]
extern "C" {
    fn hgc_register_type(name: *const c_char, vtable: *const VTable, out: *mut u64) -> Status;
    fn hgc_heap_create_with(options: *const HeapOptions, out: *mut u64) -> Status;
    fn hgc_heap_mode(heap: u64, out: *mut u32) -> Status;
    fn hgc_heap_destroy(heap: u64) -> Status;
    fn hgc_alloc(heap: u64, type_id: u64, payload_size: u64, out: *mut Value) -> Status;
    fn hgc_release(heap: u64, value: Value) -> Status;
    fn hgc_store(heap: u64, object: Value, slot: u32, value: Value) -> Status;
    fn hgc_payload(heap: u64, value: Value, out: *mut *mut c_void, size: *mut u64) -> Status;
    fn hgc_pin_bridged(heap: u64, value: Value, out: *mut Value) -> Status;
    fn hgc_bridge_register(heap: u64, bridge: *const Bridge) -> Status;
    fn hgc_bridge_reach(heap: u64, pinned: Value) -> Status;
    fn hgc_visit_foreign(visitor: *mut c_void, foreign: u64);
    fn hgc_collect(heap: u64, kind: u32) -> Status;
    fn hgc_heap_statistics(heap: u64, stats: *mut HeapStats) -> Status;
    fn hgc_last_error() -> *const c_char;
    fn hgc_trusted_retain_slow(value: Value) -> Status;
    fn hgc_trusted_release_slow(value: Value) -> Status;
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(hgc_last_error()) }.to_string_lossy().into_owned()
}

// The inline fast paths of hakogc.h, in Rust. SAFETY (both): trusted mode; `v` is a
// live boxed value of a trusted heap owned by this thread.
unsafe fn trusted_retain(v: Value) -> Status {
    if v.box_handle == 0 || v.metadata & FLAG_WEAK != 0 {
        return ERR_NOT_APPLICABLE;
    }
    let h = v.box_handle as *mut u64;
    let w = *h;
    if w & COUNT_MASK == COUNT_MASK || w & TYPE_MASK == 0 {
        return hgc_trusted_retain_slow(v);
    }
    *h = w + 1;
    OK
}

unsafe fn trusted_release(v: Value) -> Status {
    if v.box_handle == 0 || v.metadata & (FLAG_WEAK | FLAG_PINNED) != 0 {
        return hgc_trusted_release_slow(v);
    }
    let h = v.box_handle as *mut u64;
    let w = *h;
    if w & COUNT_MASK > 1 && w & BARRIER == 0 && (w & (ACYCLIC | DYING) != 0 || w & CANDIDATE == CANDIDATE) {
        *h = w - 1;
        return OK;
    }
    hgc_trusted_release_slow(v)
}

// ---- The Rust runtime's own heap: an arena, marked and swept ---------------------

/// A Rust object: holds HakoGC values by bridged pins (strong, but not HakoGC roots).
struct RustObject {
    alive: bool,
    marked: bool,
    holds: Vec<Value>,
}

/// A HakoGC object's payload: a reference slot, then the Rust object it holds.
#[repr(C)]
struct Holder {
    next: u64,
    rust: i64, // index into the arena, -1 for none
    id: i64,
}

struct Runtime {
    heap: u64,
    arena: Vec<RustObject>,
    roots: Vec<usize>,
    swept: usize,
}

thread_local! {
    static RUNTIME: RefCell<Option<Runtime>> = const { RefCell::new(None) };
    static FINALIZED: RefCell<Vec<i64>> = const { RefCell::new(Vec::new()) };
}

fn mark(rt: &mut Runtime, i: usize) {
    let mut stack = vec![i];
    while let Some(i) = stack.pop() {
        if !rt.arena[i].alive || rt.arena[i].marked {
            continue;
        }
        rt.arena[i].marked = true;
        for &v in &rt.arena[i].holds {
            // Each bridged pin this marked object holds is reached.
            let status = unsafe { hgc_bridge_reach(rt.heap, v) };
            assert_eq!(status, OK, "hgc_bridge_reach: {}", last_error());
        }
    }
}

extern "C" fn mark_roots(_heap: u64, _ctx: *mut c_void) {
    RUNTIME.with(|r| {
        let mut guard = r.borrow_mut();
        let rt = guard.as_mut().unwrap();
        for o in rt.arena.iter_mut() {
            o.marked = false;
        }
        for root in rt.roots.clone() {
            mark(rt, root);
        }
    });
}

extern "C" fn mark_foreign(_heap: u64, reference: u64, _ctx: *mut c_void) {
    RUNTIME.with(|r| mark(r.borrow_mut().as_mut().unwrap(), reference as usize));
}

extern "C" fn sweep(_heap: u64, _ctx: *mut c_void) {
    RUNTIME.with(|r| {
        let mut guard = r.borrow_mut();
        let rt = guard.as_mut().unwrap();
        for o in rt.arena.iter_mut() {
            if o.alive && !o.marked {
                // Its bridged pins were released by the joint collection already.
                o.alive = false;
                o.holds.clear();
                rt.swept += 1;
            }
        }
    });
}

extern "C" fn holder_trace(payload: *mut c_void, visitor: *mut c_void, _ctx: *mut c_void) {
    let holder = unsafe { &*(payload as *const Holder) };
    if holder.rust >= 0 {
        unsafe { hgc_visit_foreign(visitor, holder.rust as u64) };
    }
}

extern "C" fn holder_finalize(payload: *mut c_void, _ctx: *mut c_void) {
    let id = unsafe { (*(payload as *const Holder)).id };
    FINALIZED.with(|f| f.borrow_mut().push(id));
}

// ---- The scenarios ---------------------------------------------------------------

struct Checks {
    passed: u32,
    failed: u32,
}

impl Checks {
    fn check(&mut self, ok: bool, what: &str) {
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
            eprintln!("FAIL: {} (last error: {})", what, last_error());
        }
    }
}

fn stats(heap: u64) -> HeapStats {
    let mut s = HeapStats { size: std::mem::size_of::<HeapStats>() as u32, ..Default::default() };
    unsafe { hgc_heap_statistics(heap, &mut s) };
    s
}

fn new_holder(heap: u64, type_id: u64, id: i64, rust: i64) -> Value {
    let mut v = Value { type_id: 0, box_handle: 0, metadata: 0 };
    let mut payload: *mut c_void = std::ptr::null_mut();
    unsafe {
        assert_eq!(hgc_alloc(heap, type_id, 0, &mut v), OK, "hgc_alloc: {}", last_error());
        assert_eq!(hgc_payload(heap, v, &mut payload, std::ptr::null_mut()), OK);
        *(payload as *mut Holder) = Holder { next: 0, rust, id };
    }
    v
}

/// Rust object `owner` holds HakoGC value `v` (a bridged pin).
fn rust_holds(owner: usize, v: Value) {
    RUNTIME.with(|r| {
        let mut guard = r.borrow_mut();
        let rt = guard.as_mut().unwrap();
        let mut pinned = Value { type_id: 0, box_handle: 0, metadata: 0 };
        assert_eq!(unsafe { hgc_pin_bridged(rt.heap, v, &mut pinned) }, OK, "hgc_pin_bridged: {}", last_error());
        rt.arena[owner].holds.push(pinned);
    });
}

fn new_rust_object() -> usize {
    RUNTIME.with(|r| {
        let mut guard = r.borrow_mut();
        let rt = guard.as_mut().unwrap();
        rt.arena.push(RustObject { alive: true, marked: false, holds: Vec::new() });
        rt.arena.len() - 1
    })
}

fn run(mode: u32, type_id: u64, c: &mut Checks) {
    let mut heap = 0u64;
    let options = HeapOptions { size: std::mem::size_of::<HeapOptions>() as u32, mode, header_layout: HEADER_LAYOUT, reserved: 0 };
    c.check(unsafe { hgc_heap_create_with(&options, &mut heap) } == OK, "hgc_heap_create_with");
    let mut actual = 99;
    c.check(unsafe { hgc_heap_mode(heap, &mut actual) } == OK && actual == mode, "the heap's mode");
    let trusted = mode == MODE_TRUSTED;
    RUNTIME.with(|r| *r.borrow_mut() = Some(Runtime { heap, arena: Vec::new(), roots: Vec::new(), swept: 0 }));
    FINALIZED.with(|f| f.borrow_mut().clear());
    let bridge = Bridge {
        size: std::mem::size_of::<Bridge>() as u32,
        reserved: 0,
        mark_roots: Some(mark_roots),
        mark_foreign: Some(mark_foreign),
        sweep: Some(sweep),
        context: std::ptr::null_mut(),
    };
    c.check(unsafe { hgc_bridge_register(heap, &bridge) } == OK, "hgc_bridge_register");

    // R0 → H0 → R1 → H1 → R0, and H0 → H1 by a HakoGC slot; one ring more, rooted in Rust.
    let r0 = new_rust_object();
    let r1 = new_rust_object();
    let h0 = new_holder(heap, type_id, 0, r1 as i64);
    let h1 = new_holder(heap, type_id, 1, r0 as i64);
    if trusted {
        // The payload sits HEADER_SIZE bytes after the header the value points at.
        let mut payload: *mut c_void = std::ptr::null_mut();
        unsafe { hgc_payload(heap, h0, &mut payload, std::ptr::null_mut()) };
        c.check(payload as u64 == h0.box_handle + HEADER_SIZE, "the trusted payload address");
    }
    rust_holds(r0, h0);
    rust_holds(r1, h1);
    c.check(unsafe { hgc_store(heap, h0, 0, h1) } == OK, "hgc_store H0 → H1");
    let r2 = new_rust_object();
    let h2 = new_holder(heap, type_id, 2, r2 as i64);
    rust_holds(r2, h2);
    RUNTIME.with(|r| r.borrow_mut().as_mut().unwrap().roots.push(r2));

    // Give back the handles from allocation: only the cycles hold the objects now.
    for v in [h0, h1, h2] {
        let status = if trusted {
            // A trusted runtime's own fast path: one retain and two releases per value.
            unsafe {
                let a = trusted_retain(v);
                let b = trusted_release(v);
                a | b | trusted_release(v)
            }
        } else {
            unsafe { hgc_release(heap, v) }
        };
        c.check(status == OK, "release of an allocation's value");
    }
    c.check(stats(heap).live_objects == 3, "three HakoGC objects live before collecting");

    c.check(unsafe { hgc_collect(heap, COLLECT_FULL) } == OK, "joint collection");
    let finalized = FINALIZED.with(|f| f.borrow().clone());
    let (swept, r2_alive) = RUNTIME.with(|r| {
        let guard = r.borrow();
        let rt = guard.as_ref().unwrap();
        (rt.swept, rt.arena[r2].alive)
    });
    c.check(finalized.contains(&0) && finalized.contains(&1) && finalized.len() == 2, "the unrooted cycle's HakoGC objects finalized once");
    c.check(swept == 2 && r2_alive, "the unrooted cycle's Rust objects swept; the rooted one kept");
    c.check(stats(heap).live_objects == 1, "the rooted ring's holder survives");

    // The root goes: the last ring goes too, on both sides.
    RUNTIME.with(|r| r.borrow_mut().as_mut().unwrap().roots.clear());
    c.check(unsafe { hgc_collect(heap, COLLECT_FULL) } == OK, "second joint collection");
    let s = stats(heap);
    c.check(s.live_objects == 0 && s.freed_objects == s.allocated_objects && s.pinned_objects == 0, "everything reclaimed");
    c.check(FINALIZED.with(|f| f.borrow().len()) == 3, "every holder finalized exactly once");
    c.check(RUNTIME.with(|r| r.borrow().as_ref().unwrap().swept) == 3, "every Rust object swept");
    c.check(unsafe { hgc_heap_destroy(heap) } == OK, "hgc_heap_destroy");
    RUNTIME.with(|r| *r.borrow_mut() = None);
}

fn main() {
    let offsets: [u32; 1] = [0];
    let vtable = VTable {
        size: std::mem::size_of::<VTable>() as u32,
        flags: 0,
        payload_size: std::mem::size_of::<Holder>() as u64,
        reference_offsets: offsets.as_ptr(),
        reference_count: 1,
        reserved: 0,
        trace: Some(holder_trace),
        finalize: Some(holder_finalize),
        to_string: std::ptr::null(),
        cast: std::ptr::null(),
        context: std::ptr::null_mut(),
    };
    let mut type_id = 0u64;
    let mut c = Checks { passed: 0, failed: 0 };
    let name = b"rust.client/Holder\0";
    c.check(unsafe { hgc_register_type(name.as_ptr() as *const c_char, &vtable, &mut type_id) } == OK, "hgc_register_type");
    // A runtime built against another header layout is refused a trusted heap.
    let mut heap = 0u64;
    let wrong = HeapOptions { size: std::mem::size_of::<HeapOptions>() as u32, mode: MODE_TRUSTED, header_layout: HEADER_LAYOUT + 1, reserved: 0 };
    c.check(unsafe { hgc_heap_create_with(&wrong, &mut heap) } == ERR_ABI_MISMATCH, "another header layout is refused");
    run(MODE_CHECKED, type_id, &mut c);
    run(MODE_TRUSTED, type_id, &mut c);
    println!("rust_client: {} passed, {} failed", c.passed, c.failed);
    std::process::exit(if c.failed == 0 { 0 } else { 1 });
}
