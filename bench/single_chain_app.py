"""The app with every audit event on the platform chain: the single-chain reference of
``national_bench.py``, served by gunicorn as ``single_chain_app:create_app()`` from ``bench/``.

Only the benchmark's server process is patched; the app has no such setting.
"""

from __future__ import annotations

from flask import Flask

from ccop_cases import create_app as app_factory
from ccop_cases.auditing import chains


def create_app() -> Flask:
    chains.chain_of = lambda _council_id: chains.PLATFORM  # type: ignore[assignment]
    return app_factory()
