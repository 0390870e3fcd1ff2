"""The app with every audit event on the platform chain: the single-chain reference of
``national_bench.py``, served by gunicorn as ``single_chain_app:create_app()`` from ``bench/``.

Only the benchmark's server process is patched; the app has no such setting. Two seams:
``chain_of`` (where an event goes; ``auditing.store`` holds its own reference) and
``chain_column`` (which head's ``write_seq`` the decision reads as its mark, for the
one-statement read append). The second is built into the standing's statements when
``access.standing`` is imported, so that module is loaded again once it is patched: reads
then take their mark on the platform chain, which every write moves, as one chain would.
"""

from __future__ import annotations

import importlib
import uuid
from typing import Any

from flask import Flask
from sqlalchemy import Uuid, literal

from ccop_cases import auditing
from ccop_cases import create_app as app_factory
from ccop_cases.access import standing
from ccop_cases.auditing import chains, store


def platform(_council_id: uuid.UUID | None) -> uuid.UUID:
    return chains.PLATFORM


def platform_column(_council_id: Any) -> Any:
    return literal(chains.PLATFORM, Uuid())


def create_app() -> Flask:
    chains.chain_of = store.chain_of = auditing.chain_of = platform
    chains.chain_column = platform_column
    importlib.reload(standing)
    return app_factory()
