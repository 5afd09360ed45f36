# Workload 2 peer: cyclic garbage beside a live tree, in CPython (the cycle GC reclaims the dropped rings).
import gc
import resource
import sys
import time


class Node:
    __slots__ = ("next", "other")  # tree: left = next, right = other

    def __init__(self, next=None, other=None):
        self.next = next
        self.other = other


def tree(d):
    return Node(tree(d - 1), tree(d - 1)) if d > 0 else Node()


def count(n):
    c = 1
    if n.next is not None:
        c += count(n.next)
    if n.other is not None:
        c += count(n.other)
    return c


def build_ring(root, k):
    # K nodes, next forms a ring, other -> live root; the ring is dropped on return
    first = Node(None, root)
    prev = first
    for _ in range(1, k):
        n = Node(None, root)
        prev.next = n
        prev = n
    prev.next = first


def pct_us(s, q10):
    # nearest rank: index ceil(q/100 * n) - 1, q in tenths of a percent (exact integer math)
    i = min(max((q10 * len(s) + 999) // 1000 - 1, 0), len(s) - 1)
    return s[i] / 1000.0


def main():
    depth = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    k = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    sys.setrecursionlimit(max(1000, depth + 100))
    root = tree(depth)
    live_nodes = (1 << (depth + 1)) - 1
    lat = [0] * rounds
    clock = time.perf_counter_ns

    start = clock()
    for r in range(rounds):
        t0 = clock()
        build_ring(root, k)
        lat[r] = clock() - t0
    total = (clock() - start) / 1e9

    gc.collect()
    nodes = sum(1 for o in gc.get_objects() if type(o) is Node)
    reclaimed = int(nodes == live_nodes)
    intact = int(count(root) == live_nodes)

    lat.sort()
    p50, p99, p999, mx = pct_us(lat, 500), pct_us(lat, 990), pct_us(lat, 999), lat[-1] / 1000.0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"cpython depth {depth} live {live_nodes} rounds {rounds} k {k}: total {total:.3f} s, p50 {p50:.3f} us, "
          f"p99 {p99:.3f} us, p99.9 {p999:.3f} us, max {mx:.3f} us, peak RSS {rss_mb} MB, Node objects after collect {nodes}")
    print(f"RESULT total_s={total:.6f} p50_us={p50:.3f} p99_us={p99:.3f} p999_us={p999:.3f} max_us={mx:.3f} "
          f"reclaimed={reclaimed} intact={intact}")


if __name__ == "__main__":
    main()
