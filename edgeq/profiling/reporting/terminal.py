"""What ``edgeq profile`` prints when it is done: one line per device, one per measured configuration."""
from __future__ import annotations


def summary_lines(report: dict) -> list[str]:
    """Status of each device and the steady-state median and p90 of each configuration that has samples."""
    lines = []
    for d in report["devices"]:
        lines.append(f"{d['device']['name']}: {d['status']}")
        for c in d["configs"]:
            st = c.get("steady") or {}
            if st.get("count"):
                lines.append(f"  {c['label']:<14} median {st['median']:.3f} ms  p90 {st['p90']:.3f} ms  "
                             f"n={st['count']}")
    return lines
