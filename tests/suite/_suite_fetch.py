"""What a suite test does when a PyPI fetch fails: CI has PyPI, so there it is a failure; on a
machine without network it is a skip that says why in one line."""
from __future__ import annotations

import os

import pytest


def fetched(fn, *args):
    from edgeq.suite import FetchError

    try:
        return fn(*args)
    except FetchError as e:
        if os.environ.get("CI"):
            pytest.fail(f"CI has PyPI access, yet: {e}")
        pytest.skip(str(e))
