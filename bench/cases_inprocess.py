"""Where the case page and the search spend their time: the same pages in one process.

Seeds N cases like ``cases_bench.py`` (default 10 000 spread as in the field; ``--groups N``
spreads them evenly over N groups, ``--groups 1`` the stress case), then times the trivial
authenticated page, the case page and the search through Flask's test client, one request
at a time (no HTTP server, no second worker). It runs them twice: as the app does, and
with each read's audit step (``Work.end_read``: the entry appended and durably committed,
the decision taken again where needed) replaced by a plain commit of the read. That second
run is an ablation made here, in the bench's own process, to measure what auditing reads
costs; the app has no such mode. Prints ms per request and the ratios against the trivial
page. Asserts nothing about time.

    .venv/bin/python bench/cases_inprocess.py [--cases 10000] [--groups N] [--seed 17] [--requests 600]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import time
from collections.abc import Callable
from typing import Any

from cases_bench import CASE, SEARCH, TRIVIAL, seeded, spread
from harness import Followed, backend, in_process, token


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


def pages_in_process(web: Any, followed: list[Followed]) -> dict[str, Callable[[], Any]]:
    """The three pages of ``cases_bench.pages_of``, through Flask's test client ``web``."""
    csrf = token(web.get(f"/groupes/{followed[0].group_id}/recherche").text)

    def search() -> Any:
        one = random.choice(followed)
        return web.post(f"/groupes/{one.group_id}/recherche", data={
            "last_name": one.last_name, "given_names": one.given_names,
            "birth_date": one.birth_date.isoformat(), "csrf_token": csrf})

    return {
        TRIVIAL: lambda: web.get("/compte/mot-de-passe"),
        CASE: lambda: web.get(f"/situations/{random.choice(followed).case_id}"),
        SEARCH: search,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=None,
                        help="spread the cases evenly over N groups (1: the stress case); default: as in the field")
    parser.add_argument("--seed", type=int, default=17, help="of the random spread and names")
    parser.add_argument("--requests", type=int, default=600, help="per page and round")
    args = parser.parse_args()
    with seeded(args.cases, args.groups, random.Random(args.seed)) as (url, _env, account, followed, sizes):
        from ccop_cases import create_app

        app = create_app()
        web = in_process(app, account)
        pages = pages_in_process(web, followed)
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
    print(f"backend: {backend(url)}, {spread(sizes)}, one process, "
          f"one request at a time, best of 3 rounds of {args.requests}")
    print(f"{'page':<30}{'ms':>8}{'ratio':>8}{'  without the audit step: ms':>30}{'ratio':>8}")
    base, base_without = audited["trivial authenticated page"], unaudited["trivial authenticated page"]
    for name in pages:
        print(f"{name:<30}{audited[name]:>8.2f}{base / audited[name]:>8.2f}"
              f"{unaudited[name]:>30.2f}{base_without / unaudited[name]:>8.2f}")


if __name__ == "__main__":
    main()
