"""Length-hiding padding applied to a plaintext before encryption."""

from __future__ import annotations

from typing import Final

SMALL_BUCKET: Final = 32
LARGE_BUCKET: Final = 256

_MARKER: Final = 0x80
_FILLS: Final = {n: b"\x80" + bytes(n - 1) for n in range(1, LARGE_BUCKET + 1)}


def padded_size(length: int) -> int:
    """Return the padded size for a plaintext of `length` bytes.

    Identity fields (names, dates, phone numbers) fall in 32-byte buckets; anything
    whose padded form would exceed 256 bytes uses multiples of 256, so a capped free
    note reveals only a coarse size. At least one byte is always added (the marker).
    """
    needed = length + 1
    bucket = SMALL_BUCKET if needed <= LARGE_BUCKET else LARGE_BUCKET
    return -(-needed // bucket) * bucket


def pad(plaintext: bytes) -> bytes:
    """Append 0x80 then zeros up to the bucket size (ISO/IEC 7816-4 padding).

    The marker byte makes removal unambiguous even when the plaintext ends in zeros.
    """
    fill = padded_size(len(plaintext)) - len(plaintext)
    return plaintext + (_FILLS[fill] if fill <= LARGE_BUCKET else b"\x80" + bytes(fill - 1))


def unpad(padded: bytes) -> bytes | None:
    """Remove the padding, or return None when it is malformed."""
    end = len(padded.rstrip(b"\x00"))
    if end == 0 or padded[end - 1] != _MARKER:
        return None
    if padded_size(end - 1) != len(padded):
        return None
    return padded[: end - 1]
