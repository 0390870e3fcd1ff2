"""Test seams. Never import this module from application code."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import secrets
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

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


@contextlib.contextmanager
def key_values(source: Callable[[int], bytes]) -> Iterator[None]:
    """Inside the block, `Pkcs11KeyProvider.init`, `add_version` and `start_epochs` import
    keys whose values come from `source(32)` (C_CreateObject with CKA_VALUE, still sensitive
    and not extractable) instead of generating them in the token.

    For tests only: the test then knows every key byte, to compare a token's output with a
    `FileKeyProvider` holding the same keys, or to search logs and databases for them.
    """
    from crypto import pkcs11store

    previous = pkcs11store.set_key_source(source)
    try:
        yield
    finally:
        pkcs11store.set_key_source(previous)


def recording_key_source(values: list[bytes]) -> Callable[[int], bytes]:
    """Return a source of random keys that appends each key it gives to `values`."""

    def source(size: int) -> bytes:
        value = os.urandom(size)
        values.append(value)
        return value

    return source


SOFTHSM_MODULES: Final = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)
"""Where distributions install the SoftHSMv2 PKCS#11 module."""
SOFTHSM_PIN: Final = "2718-test"
_softhsm_conf: Path | None = None


def softhsm_module() -> str | None:
    """The SoftHSMv2 module's path, or None when it is not installed."""
    return next((path for path in SOFTHSM_MODULES if os.path.isfile(path)), None)


def softhsm_missing() -> str | None:
    """Why SoftHSM tests cannot run here (what is missing), or None when they can."""
    if shutil.which("softhsm2-util") is None:
        return "SoftHSMv2 is not installed: softhsm2-util not found on PATH (apt install softhsm2)"
    if softhsm_module() is None:
        return f"SoftHSMv2 is not installed: no PKCS#11 module libsofthsm2.so in {', '.join(SOFTHSM_MODULES)}"
    if importlib.util.find_spec("pkcs11") is None:
        return "python-pkcs11 is not installed (pip install 'python-pkcs11>=0.10,<0.11')"
    return None


def softhsm_token(directory: str | os.PathLike[str]) -> tuple[str, str, str]:
    """Initialise a fresh SoftHSMv2 token and return `(module, label, pin)`.

    The first call in a process writes `directory`/softhsm2.conf, whose token directory is
    `directory`/tokens, and points SOFTHSM2_CONF at it; later calls add their tokens there,
    whatever directory they are given (SoftHSM reads its configuration at C_Initialize, so
    one process uses one token directory). Raises RuntimeError when SoftHSM is missing.
    """
    global _softhsm_conf  # one configuration per process, as SoftHSM itself has
    missing = softhsm_missing()
    module = softhsm_module()
    if missing is not None or module is None:
        raise RuntimeError(missing)
    if _softhsm_conf is None:
        base = Path(directory)
        (base / "tokens").mkdir(parents=True, exist_ok=True)
        conf = base / "softhsm2.conf"
        conf.write_text(f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\n"
                        "log.level = ERROR\nslots.removable = false\n", encoding="utf-8")
        _softhsm_conf = conf
    os.environ["SOFTHSM2_CONF"] = str(_softhsm_conf)
    label = f"ccop-test-{uuid.uuid4().hex[:12]}"
    subprocess.run(  # noqa: S603 -- fixed program, arguments built here
        ["softhsm2-util", "--init-token", "--free", "--label", label,  # noqa: S607 -- found on PATH above
         "--pin", SOFTHSM_PIN, "--so-pin", secrets.token_hex(8)],
        check=True, capture_output=True, env={**os.environ, "SOFTHSM2_CONF": str(_softhsm_conf)},
    )
    return module, label, SOFTHSM_PIN
