"""Python -> HakoGC -> Python cycles, collected on both sides by a joint collection;
cycles still referenced from Python survive. Run by scripts/test-cpython.sh."""
import gc
import os
import weakref

import hakopy

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


# scripts/test-cpython.sh runs this once per heap mode (HAKOPY_MODE).
expected_mode = "trusted" if os.environ.get("HAKOPY_MODE") == "trusted" else "checked"
check(hakopy.stats()["mode"] == expected_mode, f"the heap is {expected_mode}")


class Thing:
    pass


died = []


def make_cycle(tag):
    """t -> (attribute) -> Box b -> HakoGC holder -> t."""
    t = Thing()
    b = hakopy.Box(t)
    t.box = b
    return t, weakref.ref(t, lambda _: died.append(("thing", tag))), weakref.ref(b, lambda _: died.append(("box", tag)))


# 1. An unreferenced cycle: Python alone cannot collect it (HakoGC holds t), a joint
#    collection frees both halves.
t, wt, wb = make_cycle(1)
del t
gc.collect()
check(wt() is not None and wb() is not None, "python alone keeps the cross-heap cycle")
check(hakopy.stats()["live_objects"] == 1, "the holder lives in HakoGC")
hakopy.collect()
gc.collect()
check(wt() is None and wb() is None, "joint collection freed both halves")
check(("thing", 1) in died and ("box", 1) in died, "weakref callbacks ran for both halves")
check(hakopy.stats()["live_objects"] == 0, "HakoGC statistics: the holder is gone")
check(hakopy.stats()["finalizers_run"] == 1, "the holder was finalized once")

# 2. A cycle still referenced from a Python variable survives, and goes when released.
keep, wt2, wb2 = make_cycle(2)
hakopy.collect()
gc.collect()
check(wt2() is not None and wb2() is not None, "referenced cycle survives the joint collection")
check(hakopy.stats()["live_objects"] == 1, "its holder survives in HakoGC")
del keep
hakopy.collect()
gc.collect()
check(wt2() is None and wb2() is None, "released cycle is collected")

# 3. Many cycles, half kept through a list.
kept = []
refs = []
for i in range(200):
    t, w1, w2 = make_cycle(100 + i)
    if i % 2 == 0:
        kept.append(t)
    refs.append((w1, w2, i % 2 == 0))
    del t
hakopy.collect()
gc.collect()
check(all((w1() is not None) == keep for w1, _, keep in refs), "exactly the kept cycles survive")
check(hakopy.stats()["live_objects"] == 100, "HakoGC keeps 100 holders")
kept.clear()
hakopy.collect()
gc.collect()
check(all(w1() is None and w2() is None for w1, w2, _ in refs), "all freed once the list is cleared")
check(hakopy.stats()["live_objects"] == 0, "HakoGC is empty")

print(f"test_cycles: {passed} passed, {failed} failed")
raise SystemExit(1 if failed else 0)
