"""What a compiled model costs: flash (weights, and code once built) and RAM (arena, scratch), per op,
next to TFLite Micro's arena for the same model."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import CompiledModel


def build_report(cm: "CompiledModel", data: bytes) -> dict:
    g, plan = cm.graph, cm.plan
    ops = []
    for low in cm.lowered:
        op = low.op
        rel = [r for r in plan.relations if r.op == op.index]
        overlapped = any(_overlaps(plan, r) for r in rel)
        ops.append({"index": op.index, "op": op.kind, "layer": op.layer, "kernel": low.kernel,
                    "macs": int(low.macs), "flash_bytes": int(low.const_bytes), "scratch_bytes": int(low.scratch),
                    "output_bytes": int(sum(g.t(t).nbytes for t in op.outputs)),
                    "in_place": ("alias" if low.alias else
                                 ("backward" if plan.reverse.get(op.index) else "forward") if overlapped else None)})
    activations = sum(b.size for b in plan.buffers if b.scratch_of is None)
    return {
        "model_sha256": cm.sha256, "name": cm.name, "target": cm.target, "ops": ops,
        "flash": {"weights_bytes": int(sum(o["flash_bytes"] for o in ops)), "model_file_bytes": len(data)},
        "ram": {"arena_bytes": int(plan.arena_bytes),
                "scratch_bytes": int(max((o["scratch_bytes"] for o in ops), default=0)),
                "activation_bytes_unshared": int(activations),
                "note": "the arena holds activations and per-op scratch, planned together"},
        "macs": int(sum(o["macs"] for o in ops)),
    }


def _overlaps(plan, r) -> bool:
    a, b = plan.buffers[r.inp], plan.buffers[r.out]
    return not (a.offset + a.size <= b.offset or b.offset + b.size <= a.offset)


def tflm_arena(data: bytes) -> int | None:
    """TFLite Micro's arena for the model, measured with the tflite-micro package (None if absent)."""
    from ..profiling.fit import micro_arena_bytes
    return micro_arena_bytes(data)


#: frames on the way to an op's kernel: the firmware's command loop, the infer command, invoke
_FIRMWARE_PATH = ("main", "cmd_infer", "model_invoke")
#: an interrupt arriving at the deepest point pushes its frame too (8 words, 26 with FP state)
_EXCEPTION_FRAME = 104


def attach_build(report: dict, cm, fw) -> dict:
    """Adds code bytes and a stack estimate per op, and firmware totals, from a built firmware."""
    worst = 0
    for row, low in zip(report["ops"], cm.lowered):
        fns = low.functions
        row["code_bytes"] = int(sum(fw.function_bytes.get(f, 0) for f in fns)) if fns else 0
        # the kernel's frame plus the deepest function it calls (a micro-kernel, or memcpy)
        callee = max([fw.frame_bytes.get(f, 0) for f in fns[1:]] + [fw.frame_bytes.get("memcpy", 0)])
        row["stack_bytes"] = fw.frame_bytes.get(fns[0], 0) + callee if fns else 0
        worst = max(worst, row["stack_bytes"])
    stack = sum(fw.frame_bytes.get(f, 0) for f in _FIRMWARE_PATH) + worst + _EXCEPTION_FRAME
    kernels = {f for low in cm.lowered for f in low.functions}
    report["flash"]["kernel_code_bytes"] = int(sum(fw.function_bytes.get(f, 0) for f in kernels))
    report["flash"]["firmware_bytes"] = fw.text_bytes
    report["ram"]["stack_estimate_bytes"] = int(stack)
    report["ram"]["firmware_bytes"] = fw.bss_bytes + stack
    report["ram"]["stack_note"] = ("from gcc -fstack-usage: the firmware's call path to invoke, the deepest op "
                                   "(kernel + micro-kernel), and one exception frame")
    return report
