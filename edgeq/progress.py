"""Progress bars for long work: shown on a terminal, silent in pipes, tests and --json runs."""
from __future__ import annotations

import sys
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")


def progress(items: Iterable[T], *, total: int | None = None, desc: str = "", show: bool = True) -> Iterator[T]:
    """Wrap ``items`` in a tqdm bar on stderr when ``show`` and stderr is a terminal."""
    if not show or not sys.stderr.isatty():
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=desc, unit="sample", leave=False, file=sys.stderr)
