"""TOTP (RFC 6238) helpers: secret generation, code matching within ±1 step, QR code."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
import segno

STEP_SECONDS = 30
WINDOW = 1  # ±1 step at most


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """Return the time step whose code equals ``code`` within the window, or None."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - WINDOW, current + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def current_code(secret: str, now: datetime) -> str:
    """The code of the current step (demo helper and tests)."""
    return pyotp.TOTP(secret).generate_otp(int(now.timestamp()) // STEP_SECONDS)


def qr_data_uri(uri: str) -> str:
    """The provisioning URI as an SVG QR code in a data: URI, rendered locally (no third party)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5))
