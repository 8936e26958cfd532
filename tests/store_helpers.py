"""Example stores opened by a test and closed after it (their journal's fsync thread
joined, which the suite's thread check requires). A test module imports both names:
``close_stores`` is an autouse fixture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nodes.iml.dataset import ExampleStore

_stores: list[ExampleStore] = []


def opened(folder: Path) -> ExampleStore:
    """An opened store, closed after the test."""
    store = ExampleStore()
    store.open(folder)
    _stores.append(store)
    return store


@pytest.fixture(autouse=True)
def close_stores() -> Iterator[None]:
    try:
        yield
    finally:
        while _stores:
            _stores.pop().close()
