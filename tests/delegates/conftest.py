"""Models of the shared delegate case tables, converted once per session for every test that uses them."""
from __future__ import annotations

import pytest

import delegate_cases as dc


@pytest.fixture(scope="session")
def case_model():
    """case_model(table, name) -> .tflite bytes of delegate_cases.TABLES[table][name]."""
    cache: dict[tuple[str, str], bytes] = {}

    def get(table: str, name: str) -> bytes:
        if (table, name) not in cache:
            cache[(table, name)] = dc.build_model(dc.TABLES[table][name])
        return cache[(table, name)]
    return get
