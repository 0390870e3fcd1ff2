"""What the reports cost: the small-cell suppression alone, and the report pages, charts and
files on the demo's year of activity.

Seeds a fresh SQLite database with ``ccop demo seed`` (a year of a CCOP: about 80
situations, a session a month, three FIPD actions), logs in as the demo's coordonnateur
and times, through Flask's test client, the home page (the baseline: a trivial
authenticated page), each of the group's three reports, a chart and the two downloads;
then times ``suppression.publish`` on a realistic table and on an adversarial one. Prints
ms per request and the ratio against the home page. Asserts nothing about time.

    .venv/bin/python bench/reports_bench.py [--requests 30]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from cases_inprocess import timed
from harness import BIN, Account, in_process

from ccop_cases.reports.model import Table
from ccop_cases.reports.suppression import publish


def login(env: dict[str, str]) -> Any:
    """A test client of the app, logged in as the demo's coordonnateur."""
    os.environ.update(env)
    from ccop_cases import create_app

    credentials = (Path(env["CCOP_INSTANCE_DIR"]) / "demo-credentials.txt").read_text("utf-8")
    found = re.search(r"^demo\.coordination\s+mot de passe : (\S+)\s+clé TOTP : (\S+)", credentials, re.M)
    assert found, "no demo credentials"
    return in_process(create_app(), Account("demo.coordination", *found.groups()))


def publishing(rounds: int = 20) -> dict[str, float]:
    realistic = Table("t", "t", "r", tuple("abcde"), ("ouvertes", "clôturées", "relayées"),
                      ((35, 16, 3), (19, 9, 0), (15, 2, 4), (9, 1, 1), (0, 0, 0)))
    adversarial = Table("t", "t", "r", tuple(f"r{i}" for i in range(12)), tuple(f"c{j}" for j in range(6)),
                        tuple(tuple((0, 1, 5, 6)[(i * 7 + j * 3) % 4] for j in range(6)) for i in range(12)))
    figures = {}
    for name, table in (("publish, 5 x 3 table of a CCOP's year", realistic),
                        ("publish, 12 x 6 table of 0, 1, 5 and 6 only", adversarial)):
        started = time.perf_counter()
        for _ in range(rounds):
            publish(table)
        figures[name] = (time.perf_counter() - started) * 1000 / rounds
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    requests = parser.parse_args().requests
    with tempfile.TemporaryDirectory() as tmp:
        env = {"CCOP_ENV": "development", "CCOP_INSTANCE_DIR": tmp, "CCOP_LOG_FORMAT": "json",
               "CCOP_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "CCOP_KEY_DIR": f"{tmp}/keys"}
        started = time.perf_counter()
        for command in (["keys", "init"], ["db", "upgrade"], ["demo", "seed"]):
            subprocess.run([BIN / "ccop", *command], env={**os.environ, **env}, check=True, capture_output=True)  # noqa: S603 - our own venv executables
        print(f"demo year seeded in {time.perf_counter() - started:.1f} s")
        web = login(env)
        group = re.search(r'href="(/rapports/groupes/[0-9a-f-]+)/annuel"', web.get("/rapports/").text)
        assert group, "no group report"
        base = group.group(1)
        chart = re.search(r'<img src="([^"]+\.svg[^"]*)"', web.get(f"{base}/annuel").text)
        assert chart, "no chart"
        pages = {"home page (baseline)": lambda: web.get("/"),
                 "annual report page": lambda: web.get(f"{base}/annuel"),
                 "FIPD report page (the group)": lambda: web.get(f"{base}/fipd"),
                 "objectives page": lambda: web.get(f"{base}/objectifs"),
                 "a chart (SVG)": lambda: web.get(chart.group(1).replace("&amp;", "&")),
                 "annual report, CSV (audited)": lambda: web.get(f"{base}/annuel/fichier.csv"),
                 "annual report, ODS (audited)": lambda: web.get(f"{base}/annuel/fichier.ods")}
        figures = timed(pages, requests)
    baseline = figures["home page (baseline)"]
    print(f"{'request':40} {'ms':>8} {'× home':>8}")
    for name, ms in figures.items():
        print(f"{name:40} {ms:8.2f} {ms / baseline:8.1f}")
    for name, ms in publishing().items():
        print(f"{name:40} {ms:8.2f}")


if __name__ == "__main__":
    main()
