# Workload 2 peer: cyclic garbage beside a live tree, in Nim (ORC collects the dropped rings).
import os, strutils, algorithm, std/monotimes, std/times, strformat

type Node = ref object
  next, other: Node          # tree: left = next, right = other

proc tree(d: int): Node =
  if d > 0: Node(next: tree(d - 1), other: tree(d - 1)) else: Node()

proc count(n: Node): int =
  result = 1
  if n.next != nil: result += count(n.next)
  if n.other != nil: result += count(n.other)

proc buildRing(root: Node, k: int) =
  # K nodes, next forms a ring, other -> live root; the ring goes out of scope on return
  let first = Node(other: root)
  var prev = first
  for i in 1 ..< k:
    let n = Node(other: root)
    prev.next = n
    prev = n
  prev.next = first

proc pctUs(s: seq[int64], q10: int): float =
  # nearest rank: index ceil(q/100 * n) - 1, q in tenths of a percent (exact integer math)
  let i = clamp((q10 * s.len + 999) div 1000 - 1, 0, s.len - 1)
  s[i].float / 1000.0

proc main() =
  let depth = if paramCount() >= 1: parseInt(paramStr(1)) else: 16
  let rounds = if paramCount() >= 2: parseInt(paramStr(2)) else: 100_000
  let k = if paramCount() >= 3: parseInt(paramStr(3)) else: 64
  let root = tree(depth)
  let liveNodes = (1 shl (depth + 1)) - 1
  var lat = newSeq[int64](rounds)

  let start = getMonoTime()
  for r in 0 ..< rounds:
    let t0 = getMonoTime()
    buildRing(root, k)
    lat[r] = (getMonoTime() - t0).inNanoseconds
  let total = (getMonoTime() - start).inNanoseconds.float / 1e9

  GC_fullCollect()
  let occupied = getOccupiedMem()
  let liveBytes = liveNodes * 2 * sizeof(pointer)
  let reclaimed = if occupied < 4 * (liveBytes + (1 shl 20)): 1 else: 0
  let intact = if count(root) == liveNodes: 1 else: 0

  lat.sort()
  let (p50, p99, p999, mx) = (pctUs(lat, 500), pctUs(lat, 990), pctUs(lat, 999), lat[^1].float / 1000.0)
  echo &"nim-orc depth {depth} live {liveNodes} rounds {rounds} k {k}: total {total:.3f} s, p50 {p50:.3f} us, " &
       &"p99 {p99:.3f} us, p99.9 {p999:.3f} us, max {mx:.3f} us, occupied {occupied div 1024} KB (live tree {liveBytes div 1024} KB)"
  echo &"RESULT total_s={total:.6f} p50_us={p50:.3f} p99_us={p99:.3f} p999_us={p999:.3f} max_us={mx:.3f} reclaimed={reclaimed} intact={intact}"

main()
