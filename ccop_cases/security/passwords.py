"""Password hashing (argon2id) and the password policy (length and common passwords, no composition rules)."""

from __future__ import annotations

import secrets
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256  # argon2 accepts more, but a cap keeps hashing cost bounded


def make_hasher(cheap: bool = False) -> PasswordHasher:
    """argon2id with RFC 9106 second recommended parameters; ``cheap`` only for the test suite."""
    if cheap:
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)


_DUMMY_HASHES: dict[tuple[int, ...], str] = {}


def dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of a random password under ``hasher``'s parameters, computed once per parameter
    set: verifying against it costs what verifying a real hash costs, and nothing more, so an
    unknown login takes the same work as a known one with a wrong password."""
    params = (hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.hash_len, hasher.salt_len)
    if params not in _DUMMY_HASHES:
        _DUMMY_HASHES[params] = hasher.hash(secrets.token_hex(16))
    return _DUMMY_HASHES[params]


def verify(hasher: PasswordHasher, stored_hash: str, password: str) -> bool:
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("ccop_cases.data").joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines() if line.strip())


def problems(password: str, username: str) -> list[str]:
    """French reasons why ``password`` is refused (empty when it is acceptable)."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(f"Le mot de passe doit compter au moins {MIN_LENGTH} caractères.")
    if len(password) > MAX_LENGTH:
        found.append(f"Le mot de passe doit compter au plus {MAX_LENGTH} caractères.")
    folded = password.casefold()
    if folded in _common_passwords() or len(set(folded)) < 4:
        found.append("Ce mot de passe est trop courant ; choisissez une phrase de passe.")
    if username and username.casefold() in folded:
        found.append("Le mot de passe ne doit pas contenir l'identifiant.")
    return found
