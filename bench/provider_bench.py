"""The PKCS#11 key provider against the key directory (issue 18): the same load, twice.

Runs the load of ``cases_bench.py`` (its seeding and its measure: the trivial authenticated
page, the case page and the search by name + birth date, in turn, from 4 client threads
against 2 gunicorn sync workers, after one login) twice in one invocation, on the same seed
and size: first with the file provider (``instance/keys``: the baseline), then with a fresh
SoftHSMv2 token (``CCOP_KEY_PROVIDER=pkcs11``, keys created in it by ``ccop keys init``).
Prints, for each provider, requests/s, p50 and p95 of each page and its ratio to that
provider's trivial page, then the ratios pkcs11/file of each page.

Then, in this process and with no server running, for each provider:

- the median and p95 of one data-key unwrap (``identities.services.unit_key`` on a seeded
  case whose record the session already holds: the key work, not the SELECT) and of one
  ``purpose_key("blind-index")`` call;
- how many times one case page and one search (and the trivial page) call
  ``crypto.datakey.DataKey.unwrap``, the provider's ``unwrap`` and ``purpose_key``, and with
  the token, how many times it reads the token's objects (``Pkcs11KeyProvider._scan``, each
  one ``C_FindObjects`` search per kind of object asked for) and asks it to open, seal or
  sign; counted around single requests through Flask's test client on the session of the
  HTTP login (as ``cases_bench.audit_step`` does).

Where SoftHSMv2 is missing it prints why and stops after the file provider (exit status 0).
Asserts nothing about time.

    .venv/bin/python bench/provider_bench.py [--cases 2000] [--seed 17] [--requests 600] [--rounds 6]

SQLite in a temp dir, or PostgreSQL (a fresh schema per provider) when CCOP_DATABASE_URL says so.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cases_bench import TRIVIAL, measure, pages_of, seed, sizes_of, spread
from cases_inprocess import pages_in_process
from harness import Followed, backend, instance, login, percentile, serving

WORKERS = 2


@dataclass
class Half:
    """What one provider's run measured."""

    provider: str
    url: str
    sizes: list[int]
    seeding: float  # seconds
    served: dict[str, tuple[float, list[float]]]  # page: (requests/s, latencies ms)
    unwrap: list[float]  # ms of unit_key
    purpose: list[float]  # ms of purpose_key("blind-index")
    counts: dict[str, list[Counter[str]]]  # page: one Counter per request


@contextlib.contextmanager
def counting(targets: dict[str, tuple[Any, str]]) -> Iterator[Counter[str]]:
    """Count the calls of each ``owner.attribute`` (a function, method or classmethod) inside
    the block, under its name in ``targets``, and the distinct units of the calls that name
    one (``unit_id=``); this process only, restored at the end."""
    counts: Counter[str] = Counter()
    saved: list[tuple[Any, str, Any]] = []
    units: set[Any] = set()

    def counted(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            if "unit_id" in kwargs:  # DataKey.unwrap: which unit's key
                units.add(kwargs["unit_id"])
                counts[f"{name}, distinct units"] = len(units)
            return function(*args, **kwargs)
        return call

    try:
        for name, (owner, attribute) in targets.items():
            original = inspect.getattr_static(owner, attribute)
            saved.append((owner, attribute, original))
            if isinstance(original, classmethod):
                setattr(owner, attribute, classmethod(counted(name, original.__func__)))
            else:
                setattr(owner, attribute, counted(name, original))
        yield counts
    finally:
        for owner, attribute, original in reversed(saved):
            setattr(owner, attribute, original)


def stopwatch(call: Callable[[], Any], times: int) -> list[float]:
    """Milliseconds of each of ``times`` calls, after 50 calls of warm-up."""
    for _ in range(50):
        call()
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def in_process(env: dict[str, str], cookie: str, followed: list[Followed], calls: int,
               requests: int) -> tuple[list[float], list[float], dict[str, list[Counter[str]]]]:
    """In this process, no server: (ms of ``unit_key``, ms of ``purpose_key("blind-index")``,
    the calls counted around each of ``requests`` requests of each page)."""
    os.environ.update(env)
    from ccop_cases import create_app
    from ccop_cases.identities.services import unit_key
    from crypto import datakey, pkcs11store

    app = create_app()
    keys = app.extensions["ccop"].keys
    db = app.extensions["ccop"].database.session()
    try:
        sample = [one.case_id for one in random.sample(followed, min(200, len(followed)))]
        for case_id in sample:  # the records in the session: the timing is the key's work
            unit_key(db, keys, case_id)
        unwrap = stopwatch(lambda: unit_key(db, keys, random.choice(sample)), calls)
        purpose = stopwatch(lambda: keys.purpose_key("blind-index"), calls)
    finally:
        db.close()

    web = app.test_client()
    web.set_cookie(*cookie.split("=", 1))  # the session lives in the database: no second login (TOTP replay)
    with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):  # the request log, still written
        pages = pages_in_process(web, followed)
    targets: dict[str, tuple[Any, str]] = {
        "DataKey.unwrap": (datakey.DataKey, "unwrap"),
        "provider unwrap": (type(keys), "unwrap"),
        "purpose_key": (type(keys), "purpose_key"),
    }
    if isinstance(keys, pkcs11store.Pkcs11KeyProvider):
        targets |= {"token scans": (pkcs11store.Pkcs11KeyProvider, "_scan"),
                    "token searches": (pkcs11store, "_find"),
                    "token opens": (pkcs11store, "_open"), "token seals": (pkcs11store, "_seal"),
                    "token HMACs": (pkcs11store.Pkcs11KeyProvider, "_hmac")}
    counts: dict[str, list[Counter[str]]] = {name: [] for name in pages}
    try:
        with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):  # the request log, still written
            for make in pages.values():  # warm-up: the epoch keys derived, statements cached
                for _ in range(10):
                    assert make().status_code == 200
            for name, make in pages.items():
                for _ in range(requests):
                    with counting(targets) as counted:
                        assert make().status_code == 200
                    counts[name].append(counted)
    finally:
        app.extensions["ccop"].database.dispose()
    return unwrap, purpose, counts


@contextlib.contextmanager
def kept_environ() -> Iterator[None]:
    """Give back the environment as it was: the seeder and the in-process app write the
    instance's variables into it, and the next instance must not inherit them."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run(provider: str, extra: dict[str, str], args: argparse.Namespace) -> Half:
    """Seed, serve and measure one instance on ``provider`` (the same seed each time)."""
    print(f"== {provider} provider", file=sys.stderr)
    rng = random.Random(args.seed)
    random.seed(args.seed)  # the pages' choices, the same for both providers
    with kept_environ(), instance(extra) as (url, env):
        sizes = sizes_of(args.cases, None, rng)
        started = time.perf_counter()
        account, followed = seed(env, sizes, rng)
        seeding = time.perf_counter() - started
        print(f"seeded {args.cases} cases in {seeding:.0f} s", file=sys.stderr)
        with serving(env, workers=WORKERS) as port:
            client = login(port, account)
            pages = pages_of(client, followed)  # before reading the cookie: the search page may set it
            served = measure(port, client.cookie, pages, args.requests, args.rounds)
        unwrap, purpose, counts = in_process(env, client.cookie, followed, args.key_calls, args.counted)
    return Half(provider, url, sizes, seeding, served, unwrap, purpose, counts)


@contextlib.contextmanager
def softhsm(directory: Path) -> Iterator[dict[str, str]]:
    """A fresh SoftHSMv2 token; yields the variables that make the app and its commands use it."""
    from crypto.testing import softhsm_token

    module, label, pin = softhsm_token(directory)  # also sets SOFTHSM2_CONF here
    pin_file = directory / "token.pin"
    pin_file.write_text(pin + "\n", encoding="utf-8")
    pin_file.chmod(0o600)
    yield {"CCOP_KEY_PROVIDER": "pkcs11", "CCOP_PKCS11_MODULE": module, "CCOP_PKCS11_TOKEN": label,
           "CCOP_PKCS11_PIN_FILE": str(pin_file), "SOFTHSM2_CONF": os.environ["SOFTHSM2_CONF"]}


def served_table(half: Half) -> None:
    base = half.served[TRIVIAL][0]
    print(f"{half.provider} provider: {'page':<32}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'ratio':>8}")
    for name, (rate, lat) in half.served.items():
        print(f"{'':<{len(half.provider) + 11}}{name:<32}{rate:>9.0f}{statistics.median(lat):>9.1f}"
              f"{percentile(lat, 95):>9.1f}{rate / base:>8.2f}")


def counts_line(counts: list[Counter[str]]) -> str:
    """Each counted call per request: the mean, and the range when it varies."""
    names = sorted({name for c in counts for name in c}, key=lambda n: (n.startswith("token"), n))
    parts = []
    for name in names:
        values = [c[name] for c in counts]
        low, high, mean = min(values), max(values), statistics.mean(values)
        parts.append(f"{name} {mean:.1f}" + ("" if low == high else f" ({low}–{high})"))
    return ", ".join(parts) or "none"


def report(halves: list[Half], args: argparse.Namespace) -> None:
    first = halves[0]
    print(f"backend: {backend(first.url)}, {spread(first.sizes)}, {WORKERS} gunicorn workers, "
          f"4 client threads, {args.rounds} rounds of {args.requests // args.rounds} requests per page; "
          f"seeding: " + ", ".join(f"{h.provider} {h.seeding:.0f} s" for h in halves))
    for half in halves:
        served_table(half)
    if len(halves) == 2:
        file, token_ = halves
        print(f"pkcs11/file: {'page':<32}{'req/s':>9}{'p50':>9}{'p95':>9}")
        for name in file.served:
            (rate_f, lat_f), (rate_t, lat_t) = file.served[name], token_.served[name]
            print(f"{'':<13}{name:<32}{rate_t / rate_f:>9.2f}"
                  f"{statistics.median(lat_t) / statistics.median(lat_f):>9.2f}"
                  f"{percentile(lat_t, 95) / percentile(lat_f, 95):>9.2f}")
    print(f"in process, {args.key_calls} calls each (after 50 of warm-up), ms median / p95:")
    for half in halves:
        print(f"  {half.provider:<7} unit_key {statistics.median(half.unwrap):.3f} / {percentile(half.unwrap, 95):.3f}"
              f", purpose_key(\"blind-index\") {statistics.median(half.purpose):.3f} / "
              f"{percentile(half.purpose, 95):.3f}")
    print(f"calls per request, in process ({args.counted} requests of each page):")
    for half in halves:
        for name, counts in half.counts.items():
            print(f"  {half.provider:<7} {name:<30}{counts_line(counts)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=2000, help="spread as in the field")
    parser.add_argument("--seed", type=int, default=17, help="of the random spread, names and pages")
    parser.add_argument("--requests", type=int, default=600, help="per page, over all rounds")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--key-calls", type=int, default=1000, help="unit_key and purpose_key calls timed in process")
    parser.add_argument("--counted", type=int, default=20, help="requests of each page whose calls are counted")
    args = parser.parse_args()
    halves = [run("file", {}, args)]
    from crypto.testing import softhsm_missing

    missing = softhsm_missing()
    if missing is None:
        with tempfile.TemporaryDirectory() as tmp, softhsm(Path(tmp)) as extra:
            halves.append(run("pkcs11", extra, args))
    report(halves, args)
    if missing is not None:
        print(f"pkcs11 provider not measured: {missing}")


if __name__ == "__main__":
    main()
