"""Operational logging with structlog: JSON in production, console in development.

Never the audit trail, and never personal data: a redaction processor drops values of keys
that look like secrets as a safety net behind the rule that callers log ids only.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

SENSITIVE = ("password", "otp", "code", "token", "secret", "cookie", "session", "csrf",
             "authorization", "totp", "recovery", "key")


def redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Drop the value of every key naming a secret (``password``, ``code``, ``token``…)."""
    for key in list(event_dict):
        if key != "event" and any(word in key.lower() for word in SENSITIVE):
            event_dict[key] = "[redacted]"
    return event_dict


def configure(log_format: str, level: int = logging.INFO) -> None:
    renderer: Any = (structlog.processors.JSONRenderer() if log_format == "json"
                     else structlog.dev.ConsoleRenderer(colors=False))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # Resolve sys.stderr at each call, so a redirected stream (tests, gunicorn) is honoured.
        logger_factory=lambda *_args: structlog.PrintLogger(sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger() -> Any:
    return structlog.get_logger("ccop")
