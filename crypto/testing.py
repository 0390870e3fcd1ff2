"""Test seams. Never import this module from application code."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from crypto import _nonce


@contextlib.contextmanager
def nonce_source(source: Callable[[int], bytes]) -> Iterator[None]:
    """Use `source(size)` instead of os.urandom for every GCM nonce inside the block.

    For known-answer tests only: a repeated nonce under one key breaks GCM's
    confidentiality and authenticity (NIST SP 800-38D §8 and Appendix A).
    """
    previous = _nonce.set_source(source)
    try:
        yield
    finally:
        _nonce.set_source(previous)


def counting_nonces(start: int = 0) -> Callable[[int], bytes]:
    """Return a source that yields start, start+1, … as big-endian nonces."""
    state = {"next": start}

    def source(size: int) -> bytes:
        value = state["next"]
        state["next"] = value + 1
        return value.to_bytes(size, "big")

    return source
