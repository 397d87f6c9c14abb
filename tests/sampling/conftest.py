"""Fixtures of the sampling tests."""

from __future__ import annotations

import pytest

import sampling.frame_read as frame_read


@pytest.fixture(params=[True, False], ids=["pyarrow", "pandas-c"])
def engine(request, monkeypatch):
    """Run a test with both CSV parsers: pyarrow's and pandas' C parser (the fallback)."""
    monkeypatch.setattr(frame_read, "_USE_PYARROW", request.param)
    return request.param
