"""Benchmark of the crypto library: field encryption, rotation, blind-index search.

Run: .venv/bin/python bench/crypto_bench.py [--units N]   (default 100 000 units)

Prints figures only; it never asserts on time. Targets from the design: field
encryption within 3x a bare AESGCM call, rotating 100 000 DEKs in under 60 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto import BlindIndex, Context, DataKey, FileKeyProvider

LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
    "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David",
    "N’Diaye", "Diallo", "Traoré", "de La Fontaine", "Nguyen", "Benali", "Œuvray", "Roux",
]  # fmt: skip
GIVEN_NAMES = [
    "Jean-Pierre", "Marie", "Lucas", "Inès", "Mohamed", "Chloé", "Nathan", "Léa", "Yanis",
    "Emma", "Adam", "Aïcha", "Hugo", "Manon", "Théo", "Camille", "Moussa", "Zoé",
]  # fmt: skip
FIELDS = ("last_name", "given_names", "birth_date")
Row = tuple[str, str, bytes, bytes, bytes, bytes]  # unit id, KEK id, wrapped DEK, 3 fields
IndexRow = tuple[int, str]  # token, unit id
Identity = tuple[str, str, dt.date]  # last name, given names, birth date


def per_call_us(fn: Callable[[], object], repeat: int) -> float:
    """Best of three runs of `repeat` calls, in microseconds per call."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, time.perf_counter() - start)
    return best / repeat * 1e6


def field_figures(repeat: int) -> list[tuple[str, str]]:
    dek = DataKey.generate()
    ctx = Context("case_person", "last_name", uuid.uuid4())
    value = dek.encrypt(b"Dupont", context=ctx)
    bare = AESGCM(dek.secret_bytes())
    nonce, padded, ad = os.urandom(12), b"Dupont\x80" + bytes(25), os.urandom(96)
    sealed = bare.encrypt(nonce, padded, ad)
    row = ctx.row_id
    enc = per_call_us(lambda: dek.encrypt(b"Dupont", context=ctx), repeat)
    dec = per_call_us(lambda: dek.decrypt(value, context=ctx), repeat)
    bare_enc = per_call_us(lambda: bare.encrypt(nonce, padded, ad), repeat)
    bare_dec = per_call_us(lambda: bare.decrypt(nonce, sealed, ad), repeat)
    urandom = per_call_us(lambda: bare.encrypt(os.urandom(12), padded, ad), repeat)
    with_ctx = per_call_us(lambda: dek.encrypt(b"Dupont", context=Context("case_person", "last_name", row)), repeat)
    return [
        ("encrypt field (DataKey.encrypt)", f"{enc:.2f} µs"),
        ("bare AESGCM.encrypt, same size", f"{bare_enc:.2f} µs"),
        ("encrypt ratio (target <= 3x)", f"{enc / bare_enc:.2f}x"),
        ("decrypt field (DataKey.decrypt)", f"{dec:.2f} µs"),
        ("bare AESGCM.decrypt, same size", f"{bare_dec:.2f} µs"),
        ("decrypt ratio (target <= 3x)", f"{dec / bare_dec:.2f}x"),
        ("for reference: bare encrypt + os.urandom", f"{urandom:.2f} µs"),
        ("for reference: encrypt + new Context", f"{with_ctx:.2f} µs"),
    ]


def random_identity(rng: random.Random) -> Identity:
    birth = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(365 * 14))
    given = rng.choice(GIVEN_NAMES) + (" " + rng.choice(GIVEN_NAMES) if rng.random() < 0.5 else "")
    return rng.choice(LAST_NAMES), given, birth


def make_units(
    provider: FileKeyProvider, index: BlindIndex, people: list[Identity]
) -> tuple[list[Row], list[IndexRow]]:
    rows: list[Row] = []
    index_rows: list[IndexRow] = []
    for last, given, birth in people:
        unit, dek = uuid.uuid4(), DataKey.generate()
        kek_id, wrapped = dek.wrap(provider, unit_id=unit)
        a, b, c = (
            dek.encrypt(text.encode(), context=Context("case_person", field, unit))
            for field, text in zip(FIELDS, (last, given, birth.isoformat()), strict=True)
        )
        rows.append((str(unit), kek_id, wrapped, a, b, c))
        index_rows.append((index.token(last, given, birth), str(unit)))
    return rows, index_rows


def rotate(provider: FileKeyProvider, rows: list[Row]) -> tuple[list[Row], float]:
    """Rewrap every DEK under the current KEK; the three field values are untouched."""
    start = time.perf_counter()
    rotated = []
    for unit, kek_id, wrapped, last, given, birth in rows:
        new_kek_id, new_wrapped = DataKey.rewrap(provider, kek_id, wrapped, unit_id=unit)
        rotated.append((unit, new_kek_id, new_wrapped, last, given, birth))
    return rotated, time.perf_counter() - start


def open_database(rows: list[Row], index_rows: list[IndexRow]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE TABLE unit (id TEXT PRIMARY KEY, kek_id TEXT, wrapped BLOB,"
        " last_name BLOB, given_names BLOB, birth_date BLOB)"
    )
    db.execute("CREATE TABLE name_index (token INTEGER, unit_id TEXT)")
    db.execute("CREATE INDEX name_index_token ON name_index (token)")
    db.executemany("INSERT INTO unit VALUES (?, ?, ?, ?, ?, ?)", rows)
    db.executemany("INSERT INTO name_index VALUES (?, ?)", index_rows)
    return db


def search(
    db: sqlite3.Connection,
    provider: FileKeyProvider,
    index: BlindIndex,
    query: Identity,
) -> tuple[int, int]:
    """Token lookup, then unwrap each candidate's DEK, decrypt and compare exactly."""
    wanted = BlindIndex.normalise(*query)
    candidates = db.execute(
        "SELECT u.id, u.kek_id, u.wrapped, u.last_name, u.given_names, u.birth_date"
        " FROM name_index i JOIN unit u ON u.id = i.unit_id WHERE i.token = ?",
        (index.token(*query),),
    ).fetchall()
    matches = 0
    for unit, kek_id, wrapped, *sealed in candidates:
        dek = DataKey.unwrap(provider, kek_id, wrapped, unit_id=unit)
        last, given, birth = (
            dek.decrypt(value, context=Context("case_person", field, unit)).decode()
            for field, value in zip(FIELDS, sealed, strict=True)
        )
        if BlindIndex.normalise(last, given, dt.date.fromisoformat(birth)) == wanted:
            matches += 1
    return len(candidates), matches


def search_figures(
    provider: FileKeyProvider,
    index: BlindIndex,
    units: tuple[list[Row], list[IndexRow], list[Identity]],
    rng: random.Random,
) -> list[tuple[str, str]]:
    rows, index_rows, people = units
    db = open_database(rows, index_rows)
    # Half the queries look for a stored person, spelled differently; half for anyone.
    stored = [(last.upper(), given.lower(), birth) for last, given, birth in rng.sample(people, min(100, len(people)))]
    queries = stored + [random_identity(rng) for _ in range(100)]
    start = time.perf_counter()
    results = [search(db, provider, index, q) for q in queries]
    elapsed = time.perf_counter() - start
    by_token: dict[int, list[str]] = {}
    for token, unit in index_rows:
        by_token.setdefault(token, []).append(unit)
    lookup = per_call_us(lambda: by_token.get(index.token(*queries[0]), []), 2000)
    candidates = sum(c for c, _ in results) / len(results)
    return [
        ("blind-index bits / units indexed", f"{index.bits} / {len(rows):,}"),
        ("token + dict lookup (no decrypt)", f"{lookup:.1f} µs"),
        ("candidates per search (mean)", f"{candidates:.0f}"),
        ("true matches per search (half are stored)", f"{sum(m for _, m in results) / len(results):.1f}"),
        ("search: sqlite + unwrap + decrypt", f"{elapsed / len(queries) * 1e3:.2f} ms"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000, help="number of units (cases)")
    args = parser.parse_args()
    rng = random.Random(20_260_101)
    table: list[tuple[str, str]] = [("field encryption", "")]
    table += field_figures(repeat=20_000)
    with tempfile.TemporaryDirectory() as tmp:
        provider = FileKeyProvider.init(Path(tmp) / "keys")
        index = BlindIndex(provider.purpose_key("blind-index"))
        people = [random_identity(rng) for _ in range(args.units)]
        start = time.perf_counter()
        rows, index_rows = make_units(provider, index, people)
        built = time.perf_counter() - start
        table += [
            ("units", ""),
            ("create unit: DEK, wrap, 3 fields, token", f"{built / args.units * 1e6:.1f} µs"),
        ]
        provider.add_version()
        rows, rotation = rotate(provider, rows)
        provider.retire("v1", in_use={row[1] for row in rows})
        table += [
            ("rotation", ""),
            ("rewrap per DEK", f"{rotation / args.units * 1e6:.1f} µs"),
            (f"rotate {args.units:,} DEKs (target < 60 s)", f"{rotation:.2f} s"),
            ("blind-index search", ""),
        ]
        table += search_figures(provider, index, (rows, index_rows, people), rng)
    width = max(len(name) for name, _ in table)
    for name, figure in table:
        print(f"{name:<{width}}  {figure}" if figure else f"\n{name}")


if __name__ == "__main__":
    main()
