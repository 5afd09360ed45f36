# Workload 1 peer: Benchmarks Game binary-trees in Nim with ref object nodes (build with --mm:orc).
import os, strutils

type Node = ref object
  left, right: Node

proc bottomUp(depth: int): Node =
  if depth > 0: Node(left: bottomUp(depth - 1), right: bottomUp(depth - 1))
  else: Node()

proc check(n: Node): int =
  if n.left == nil: 1 else: 1 + check(n.left) + check(n.right)

let n = if paramCount() > 0: parseInt(paramStr(1)) else: 10
let maxDepth = max(6, n)

echo "stretch tree of depth ", maxDepth + 1, "\t check: ", check(bottomUp(maxDepth + 1))

let longLived = bottomUp(maxDepth)
var depth = 4
while depth <= maxDepth:
  let iterations = 1 shl (maxDepth - depth + 4)
  var total = 0
  for i in 0 ..< iterations:
    total += check(bottomUp(depth))
  echo iterations, "\t trees of depth ", depth, "\t check: ", total
  depth += 2
echo "long lived tree of depth ", maxDepth, "\t check: ", check(longLived)
