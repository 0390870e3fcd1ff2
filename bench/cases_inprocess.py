"""Where the case page and the search spend their time: the same pages in one process.

Seeds N cases like ``cases_bench.py`` (default 10 000; ``--groups`` spreads them), then
times the trivial authenticated page, the case page and the search through Flask's test
client, one request at a time (no HTTP server, no second worker). It runs them twice:
as the app does, and with each read's audit step (the write transaction of the entry,
the decision taken again, the durable commit) replaced by a plain commit of the read.
That second run is an ablation made here, in the bench's own process, to measure what
auditing reads costs; the app has no such mode. Prints ms per request and the ratios
against the trivial page. Asserts nothing about time.

    .venv/bin/python bench/cases_inprocess.py [--cases 10000] [--groups 1] [--requests 600]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import time
from collections.abc import Callable
from typing import Any

import pyotp
from cases_bench import seeded, token


def client(password: str, secret: str) -> tuple[Any, Any]:
    """The app and a test client logged in as the seeded coordonnateur."""
    from ccop_cases import create_app

    app = create_app()
    web = app.test_client()
    page = web.get("/connexion").text
    web.post("/connexion", data={"username": "bench.coordination", "password": password, "csrf_token": token(page)})
    page = web.get("/connexion/code").text
    response = web.post("/connexion/code", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token(page)})
    assert response.status_code == 302, "login failed"
    return app, web


def timed(pages: dict[str, Callable[[], Any]], requests: int) -> dict[str, float]:
    """Milliseconds per request of each page: the best of 3 rounds, pages in turn."""
    for make in pages.values():
        for _ in range(20):
            assert make().status_code == 200
    best = dict.fromkeys(pages, float("inf"))
    for _ in range(3):
        for name, make in pages.items():
            started = time.perf_counter()
            for _ in range(requests):
                make()
            best[name] = min(best[name], (time.perf_counter() - started) * 1000 / requests)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=1)
    parser.add_argument("--requests", type=int, default=600, help="per page and round")
    args = parser.parse_args()
    with seeded(args.cases, args.groups) as (url, _env, (password, secret, ids, people)):
        app, web = client(password, secret)
        csrf = token(web.get(f"/groupes/{people[0][0]}/recherche").text)

        def search() -> Any:
            group_id, last, first, born = random.choice(people)
            return web.post(f"/groupes/{group_id}/recherche", data={
                "last_name": last, "given_names": first, "birth_date": born.isoformat(), "csrf_token": csrf})

        pages = {
            "trivial authenticated page": lambda: web.get("/compte/mot-de-passe"),
            "case page": lambda: web.get(f"/situations/{random.choice(ids)}"),
            "search by name + birth date": search,
        }
        from ccop_cases.work import Work

        audit_step = Work.end_read
        with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):  # the request log, still written
            audited = timed(pages, args.requests)
            Work.end_read = lambda self, *_args: self.session.commit()  # type: ignore[method-assign] # the ablation
            try:
                unaudited = timed(pages, args.requests)
            finally:
                Work.end_read = audit_step  # type: ignore[method-assign]
        app.extensions["ccop"].database.dispose()
    print(f"backend: {url.split(':', 1)[0]}, {args.cases} cases in {args.groups} group(s), one process, "
          f"one request at a time, best of 3 rounds of {args.requests}")
    print(f"{'page':<30}{'ms':>8}{'ratio':>8}{'  without the audit step: ms':>30}{'ratio':>8}")
    base, base_without = audited["trivial authenticated page"], unaudited["trivial authenticated page"]
    for name in pages:
        print(f"{name:<30}{audited[name]:>8.2f}{base / audited[name]:>8.2f}"
              f"{unaudited[name]:>30.2f}{base_without / unaudited[name]:>8.2f}")


if __name__ == "__main__":
    main()
