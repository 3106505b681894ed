"""Ahead-of-time arena plan: one offset per activation buffer and per op scratch area.

Buffers whose lifetimes (first op that writes them .. last op that reads them) overlap get
disjoint bytes, with one exception: an op's output may overlap an input that dies at that op,
by at least the distance the op's access order allows (``overlap.Overlap``), running forward
or backward (the op is then emitted with ``reverse``). Reshapes alias their input. Placement is
greedy (TFLite Micro's idea: biggest first, lowest offset that fits), tried over a few orders
with the best kept; ``check_plan`` re-verifies every constraint independently.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import EdgeqError
from .graph import Graph
from .lower import Lowered

ALIGN = 4


def _up(x: int, a: int = ALIGN) -> int:
    return (x + a - 1) // a * a


@dataclass
class Buffer:
    id: int
    size: int
    first: int           # op index that writes it (-1: a model input)
    last: int            # last op index that reads it (n_ops: a model output)
    tensors: list[int] = field(default_factory=list)
    scratch_of: int | None = None   # op index when this is that op's scratch
    offset: int = -1


@dataclass
class Relation:
    """Output buffer `out` of op `op` may overlap input buffer `inp` (which dies at `op`)."""

    op: int
    inp: int
    out: int
    forward: int | None
    backward: int | None


@dataclass
class Plan:
    buffers: list[Buffer]
    tensor_buffer: dict[int, int]          # tensor index -> buffer id
    scratch_buffer: dict[int, int]         # op index -> buffer id
    reverse: dict[int, bool]               # op index -> run last unit first
    arena_bytes: int
    relations: list[Relation]

    def offset_of_tensor(self, t: int) -> int:
        return self.buffers[self.tensor_buffer[t]].offset


def _buffers(g: Graph, lowered: list[Lowered]) -> tuple[list[Buffer], dict[int, int], dict[int, int]]:
    n_ops = len(g.ops)
    parent: dict[int, int] = {}

    def root(t: int) -> int:
        while parent.get(t, t) != t:
            t = parent[t]
        return t

    for low in lowered:
        if low.alias:
            parent[root(low.op.outputs[0])] = root(low.op.inputs[0])
    activations = set()
    for op in g.ops:
        activations.update(i for i in op.inputs if i >= 0 and not g.t(i).is_const)
        activations.update(op.outputs)
    activations.update(g.inputs)
    activations.update(g.outputs)
    groups: dict[int, list[int]] = {}
    for t in sorted(activations):
        groups.setdefault(root(t), []).append(t)
    buffers: list[Buffer] = []
    tensor_buffer: dict[int, int] = {}
    for members in groups.values():
        size = max(g.t(t).nbytes for t in members)
        b = Buffer(len(buffers), _up(size), n_ops, -1, members)
        for t in members:
            tensor_buffer[t] = b.id
        buffers.append(b)
    for t in g.inputs:
        buffers[tensor_buffer[t]].first = -1
    for t in g.outputs:
        buffers[tensor_buffer[t]].last = n_ops
    for op in g.ops:
        for t in op.outputs:
            b = buffers[tensor_buffer[t]]
            b.first = min(b.first, op.index)
            b.last = max(b.last, op.index)
        for t in op.inputs:
            if t >= 0 and t in tensor_buffer:
                b = buffers[tensor_buffer[t]]
                b.last = max(b.last, op.index)
    scratch_buffer: dict[int, int] = {}
    for low in lowered:
        if low.scratch:
            b = Buffer(len(buffers), _up(low.scratch), low.op.index, low.op.index, [], low.op.index)
            scratch_buffer[low.op.index] = b.id
            buffers.append(b)
    return buffers, tensor_buffer, scratch_buffer


def _relations(lowered: list[Lowered], buffers: list[Buffer], tensor_buffer: dict[int, int]) -> list[Relation]:
    rel = []
    for low in lowered:
        if low.alias or not low.overlap:
            continue
        out = tensor_buffer[low.op.outputs[0]]
        seen = set()
        for pos, ov in sorted(low.overlap.items()):
            t = low.op.inputs[pos]
            inp = tensor_buffer.get(t)
            if inp is None or inp == out or inp in seen:
                continue
            seen.add(inp)
            # only an input that dies here may be overwritten by an output first written here
            if buffers[inp].last != low.op.index or buffers[out].first != low.op.index:
                continue
            fwd = None if ov.forward is None else _up(ov.forward)
            bwd = None if ov.backward is None else _up(ov.backward)
            rel.append(Relation(low.op.index, inp, out, fwd, bwd))
    return rel


def _live_overlap(a: Buffer, b: Buffer) -> bool:
    return a.first <= b.last and b.first <= a.last


def _disjoint(a_off: int, a: Buffer, b_off: int, b: Buffer) -> bool:
    return a_off + a.size <= b_off or b_off + b.size <= a_off


def _relation_ok(r: Relation, off: dict[int, int], direction: dict[int, str]) -> tuple[bool, str | None]:
    """Whether the placed pair satisfies the relation; the direction it needs (None: disjoint)."""
    d = off[r.inp] - off[r.out]
    fwd_ok = r.forward is not None and d >= r.forward
    bwd_ok = r.backward is not None and -d >= r.backward
    want = direction.get(r.op)
    if want == "forward":
        return fwd_ok, "forward"
    if want == "backward":
        return bwd_ok, "backward"
    if fwd_ok:
        return True, "forward"
    if bwd_ok:
        return True, "backward"
    return False, None


def _place(buffers: list[Buffer], relations: list[Relation], order: list[int]) -> tuple[dict[int, int], dict[int, str]]:
    by_pair: dict[tuple[int, int], Relation] = {}
    for r in relations:
        by_pair[(r.inp, r.out)] = by_pair[(r.out, r.inp)] = r
    off: dict[int, int] = {}
    direction: dict[int, str] = {}
    for bid in order:
        b = buffers[bid]
        live = [p for p in off if _live_overlap(buffers[p], b)]
        cands = {0}
        for p in live:
            cands.add(off[p] + buffers[p].size)
            r = by_pair.get((bid, p))
            if r is None:
                continue
            if r.out == bid:  # placing the output next to its input
                if r.forward is not None:
                    cands.add(off[p] - r.forward)
                if r.backward is not None:
                    cands.add(off[p] + r.backward)
            else:             # placing the input next to its output
                if r.forward is not None:
                    cands.add(off[p] + r.forward)
                if r.backward is not None:
                    cands.add(off[p] - r.backward)
        for c in sorted(x for x in cands if x >= 0):
            c = _up(c)
            trial_dir = dict(direction)
            ok = True
            for p in live:
                if _disjoint(c, b, off[p], buffers[p]):
                    continue
                r = by_pair.get((bid, p))
                if r is None:
                    ok = False
                    break
                good, need = _relation_ok(r, {**off, bid: c}, trial_dir)
                if not good:
                    ok = False
                    break
                trial_dir[r.op] = need
            if ok:
                off[bid] = c
                direction = trial_dir
                break
    return off, direction


def plan_arena(g: Graph, lowered: list[Lowered]) -> Plan:
    buffers, tensor_buffer, scratch_buffer = _buffers(g, lowered)
    relations = _relations(lowered, buffers, tensor_buffer)
    ids = [b.id for b in buffers]
    orders = [
        sorted(ids, key=lambda i: (-buffers[i].size, buffers[i].first)),
        sorted(ids, key=lambda i: (buffers[i].first, -buffers[i].size)),
        sorted(ids, key=lambda i: (-(buffers[i].last - buffers[i].first), -buffers[i].size)),
        sorted(ids, key=lambda i: (buffers[i].scratch_of is not None, buffers[i].first, -buffers[i].size)),
    ]
    best = None
    for order in orders:
        off, direction = _place(buffers, relations, order)
        total = max((off[b.id] + b.size for b in buffers), default=0)
        if best is None or total < best[0]:
            best = (total, off, direction)
    total, off, direction = best
    for b in buffers:
        b.offset = off[b.id]
    plan = Plan(buffers, tensor_buffer, scratch_buffer, {op: d == "backward" for op, d in direction.items()},
                total, relations)
    check_plan(plan)
    return plan


def check_plan(plan: Plan) -> None:
    """Independent check: every pair of simultaneously live buffers is disjoint or satisfies
    its op's overlap relation in the direction the op will run."""
    by_pair = {}
    for r in plan.relations:
        by_pair[(r.inp, r.out)] = by_pair[(r.out, r.inp)] = r
    bs = plan.buffers
    direction = {op: ("backward" if rev else "forward") for op, rev in plan.reverse.items()}
    off = {b.id: b.offset for b in bs}
    for i, a in enumerate(bs):
        if a.offset < 0 or a.offset % ALIGN:
            raise EdgeqError(f"internal: arena plan left buffer {a.id} at offset {a.offset}")
        for b in bs[i + 1:]:
            if not _live_overlap(a, b) or _disjoint(a.offset, a, b.offset, b):
                continue
            r = by_pair.get((a.id, b.id))
            if r is None:
                raise EdgeqError(f"internal: arena plan overlaps live buffers {a.id} and {b.id}")
            ok, _ = _relation_ok(r, off, {r.op: direction.get(r.op, "forward")})
            if not ok:
                raise EdgeqError(f"internal: arena plan violates op {r.op}'s overlap distance")
