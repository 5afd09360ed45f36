"""Guest-language sites: HakoGC objects allocated by a Python function are sampled
with that function's name above the native stack (hakopy's guest-stack callback,
hakogc.h's hgc_profile_set_guest_stack). The event log is read here by a reader of
its own, from docs/event-log.md's layout alone."""
import os
import struct
import sys

import hakopy

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {what}", file=sys.stderr)


def read_log(path):
    """Samples (stack ids), stacks (frame addresses) and symbols (flags, name, file)."""
    data = open(path, "rb").read()
    assert data[:8] == b"HAKOGC\x00\x02", "magic"
    samples, stacks, symbols, kinds = [], {}, {}, {}
    at = 8
    while at + 8 <= len(data):
        header, = struct.unpack_from("<Q", data, at)
        kind, size = header & 0xFFFF, header >> 32
        assert size >= 8 and at + size <= len(data), f"record at {at}"
        body = data[at + 8:at + size]
        words = lambda n: struct.unpack_from(f"<{n}Q", body)
        kinds[kind] = kinds.get(kind, 0) + 1
        if kind == 4:
            samples.append(words(2)[1])
        elif kind == 6:
            sid, n = words(2)
            stacks[sid] = list(struct.unpack_from(f"<{n}Q", body, 16))
        elif kind == 7:
            pc, flags, _ = words(3)
            off = 24
            texts = []
            for _ in range(2):
                n, = struct.unpack_from("<Q", body, off)
                texts.append(body[off + 8:off + 8 + n].decode())
                off += 8 + (n + 7) // 8 * 8
            symbols[pc] = (flags, texts[0], texts[1])
        at += size
    return samples, stacks, symbols, kinds


def make_boxes_in_python(n):
    boxes = []
    for i in range(n):
        boxes.append(hakopy.Box(i))
    return boxes


path = f"/tmp/hakopy-profile-{os.getpid()}.hgclog"
hakopy.profile(path, 1)  # every allocation sampled
boxes = make_boxes_in_python(50)
del boxes
hakopy.collect()
hakopy.profile_close()

samples, stacks, symbols, kinds = read_log(path)
os.unlink(path)
check(len(samples) == 50, f"50 samples, got {len(samples)}")
check(kinds.get(12) == 1, "a process-end record")
tops = set()
for sid in samples:
    frames = stacks.get(sid, [])
    guest = [symbols[pc] for pc in frames if pc in symbols and symbols[pc][0] & 4]
    check(len(guest) >= 2, f"stack {sid} has guest frames")
    if guest:
        tops.add(guest[0][1])
        check(guest[0][2].endswith("test_profile.py:" + guest[0][2].rsplit(":", 1)[-1]), f"file:line {guest[0][2]}")
        check(guest[-1][1] == "<module>", f"outermost guest frame {guest[-1][1]}")
check(tops == {"make_boxes_in_python"}, f"the site is the Python function: {tops}")
print(f"test_profile: {passed} passed, {failed} failed (mode {hakopy.stats()['mode']})")
sys.exit(1 if failed else 0)
