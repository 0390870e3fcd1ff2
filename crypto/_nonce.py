"""Where GCM nonces come from; `crypto.testing` may swap the source in tests."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Final

NONCE_SIZE: Final = 12

# NIST SP 800-38D §8.2.2: a 96-bit IV from an approved random bit generator, with at
# most 2**32 invocations per key. A DEK seals the fields of one case and a KEK wraps one
# DEK per case, both far below that bound, so random nonces never need a counter.
_source: Callable[[int], bytes] = os.urandom


def new_nonce() -> bytes:
    """Return a fresh 96-bit nonce from the current source."""
    nonce = _source(NONCE_SIZE)
    if len(nonce) != NONCE_SIZE:
        raise RuntimeError("nonce source returned the wrong number of bytes")
    return nonce


def set_source(source: Callable[[int], bytes]) -> Callable[[int], bytes]:
    """Install a nonce source and return the previous one (for `crypto.testing`)."""
    global _source  # one process-wide seam; crypto.testing restores it on exit
    previous = _source
    _source = source
    return previous
