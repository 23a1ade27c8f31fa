"""Runs that read every client give the C heap's freed memory back as they go
(``read.figures.release_freed_memory``): `export notes` stays flat at any size.
The peak itself is measured by benchmarks/run.py (its peak RSS column)."""

from __future__ import annotations

import ctypes
import platform

import pytest

from casectl.read import figures


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_glibc_trim_is_found_and_runs() -> None:
    trim = figures._malloc_trim()
    assert trim is not None
    address = ctypes.cast(trim, ctypes.c_void_p).value
    assert address == ctypes.cast(ctypes.CDLL(None).malloc_trim, ctypes.c_void_p).value
    figures.release_freed_memory()  # (returns nothing; must not raise)
