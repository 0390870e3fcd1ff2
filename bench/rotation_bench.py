"""Time ``ccop keys rotate`` end to end on N stored data keys (SQLite, or CCOP_DATABASE_URL).

Prints figures beside the library-only rewrap of the same keys measured in the same run;
asserts nothing. Usage: .venv/bin/python bench/rotation_bench.py [--units 100000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import insert

from ccop_cases import create_app
from ccop_cases.cli import main
from ccop_cases.encryption import init_key_dir
from ccop_cases.identities.models import DataKeyRecord
from ccop_cases.migrate import upgrade
from ccop_cases.settings import Settings
from crypto import DataKey


def _seed(app, units: int) -> list[tuple[uuid.UUID, str, bytes]]:
    keys = app.extensions["ccop"].keys
    now = datetime.now(UTC)
    rows = []
    for _ in range(units):
        unit = uuid.uuid4()
        kek_id, wrapped = DataKey.generate().wrap(keys, unit_id=unit)
        rows.append({"unit_id": unit, "kek_id": kek_id, "wrapped": wrapped, "created_at": now})
    with app.extensions["ccop"].database.engine.begin() as conn:
        for start in range(0, units, 5000):
            conn.execute(insert(DataKeyRecord), rows[start:start + 5000])
    return [(r["unit_id"], r["kek_id"], r["wrapped"]) for r in rows]


def main_bench() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=100_000)
    units = parser.parse_args().units
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("CCOP_DATABASE_URL", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        init_key_dir(Path(tmp) / "keys")
        upgrade(url)
        settings = Settings(env="test", instance_dir=Path(tmp), database_url=url, key_dir=Path(tmp) / "keys")
        app = create_app(settings)
        stored = _seed(app, units)
        keys = app.extensions["ccop"].keys
        started = time.perf_counter()
        for unit, kek_id, wrapped in stored[:10_000]:
            DataKey.rewrap(keys, kek_id, wrapped, unit_id=unit)
        library = (time.perf_counter() - started) / 10_000
        started = time.perf_counter()
        result = CliRunner().invoke(main, ["keys", "rotate", "--batch-size", "1000"],
                                    obj=ScriptInfo(create_app=lambda: app))
        elapsed = time.perf_counter() - started
        assert result.exit_code == 0, result.output
        app.extensions["ccop"].database.dispose()
    backend = url.split(":", 1)[0]
    print(f"{'units':<44}{units:>12,}")
    print(f"{'library rewrap per DEK (baseline)':<44}{library * 1e6:>10.1f} µs")
    print(f"{'ccop keys rotate, end to end (' + backend + ')':<44}{elapsed:>10.2f} s")
    print(f"{'per DEK, end to end':<44}{elapsed / units * 1e6:>10.1f} µs")
    print(f"{'ratio end to end / library':<44}{elapsed / units / library:>10.1f}x")
    print(f"{'target: 100 000 DEKs under 60 s':<44}{'met' if elapsed * 100_000 / units < 60 else 'NOT met':>12}")


if __name__ == "__main__":
    main_bench()
