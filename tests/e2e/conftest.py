"""Browser end-to-end harness: the real app served by gunicorn on a free loopback port from a
fresh instance (keys, migrated database, demo accounts), driven by Debian's Chromium through
Playwright, every page checked with axe-core (bundled in axe-playwright-python: no network).

The tests are skipped only when /usr/bin/chromium is absent; no browser is ever downloaded.
On PostgreSQL (``CCOP_DATABASE_URL`` set) the server runs in a fresh schema of that database,
dropped at the end, so the browser journeys cover both databases like the rest of the suite.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gunicorn
import pyotp
import pytest
from apptest import TEST_APP_ROLE, as_app_role, database_url, drop_schema
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox: CI runs as root. The other flags keep the browser from calling home (no network here).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).parent / "artifacts"
BIN = Path(sys.executable).parent
SUBMIT = "main button[type=submit]"  # the header holds the logout button
BLOCKING_IMPACTS = ("serious", "critical")
STEP_SECONDS = 30  # RFC 6238 time step, as in ccop_cases.security.otp
_CREDENTIALS = re.compile(r"^(demo\.[\w.-]+)\s+mot de passe : (\S+)\s+clé TOTP : (.*)$", re.MULTILINE)
_BASE32 = re.compile(r"^[A-Z2-7]{16,}$")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium) "
                                   "to run the browser end-to-end tests")
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(skip)


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed  # read by the page fixture to keep a screenshot
    return report


# --- TOTP ----------------------------------------------------------------------------------------


class Authenticator:
    """The account's authenticator app. The server accepts the code of the previous, current or
    next step (±1, clock drift), and each step at most once per account (replay protection): the
    step given must be newer than the last one given, so this remembers it."""

    def __init__(self, key: str) -> None:
        self._totp = pyotp.TOTP(key)
        self._last_step = -1

    def fresh_code(self) -> str:
        """The current step's code; when that step was already used, wait for the next one."""
        step = int(time.time()) // STEP_SECONDS
        if step <= self._last_step:
            step = self._last_step + 1
            time.sleep(max(0.0, step * STEP_SECONDS - time.time()) + 0.2)
        return self._give(step)

    def recent_code(self) -> str:
        """The code of the step that has just ended, as a person types a code that just rolled over
        (still inside the server's window). A journey that needs a second code soon after starts
        with this one, so that ``fresh_code`` then has no step to wait for."""
        if time.time() % STEP_SECONDS > STEP_SECONDS - 3:  # keep it in the window until it is checked
            time.sleep(STEP_SECONDS - time.time() % STEP_SECONDS + 0.2)
        step = int(time.time()) // STEP_SECONDS - 1
        return self.fresh_code() if step <= self._last_step else self._give(step)

    def _give(self, step: int) -> str:
        self._last_step = step
        return self._totp.generate_otp(step)


@dataclass
class DemoAccount:
    username: str
    password: str
    authenticator: Authenticator | None  # None until enrolment (demo.nouveau)

    def enrol(self, key: str) -> Authenticator:
        """Add the account to the authenticator app with the key shown at enrolment."""
        self.authenticator = Authenticator(key)
        return self.authenticator


# --- the server ----------------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    accounts: dict[str, DemoAccount] = field(default_factory=dict)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """tests/e2e/artifacts/ (git-ignored), emptied of the previous run's files."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.iterdir():
        if old.is_file() and old.suffix in (".png", ".json", ".log"):
            old.unlink()
    return ARTIFACTS


def _ccop(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run([str(BIN / "ccop"), *args], env=env, cwd=cwd, capture_output=True,  # noqa: S603 (our own CLI)
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, f"ccop {' '.join(args)} failed:\n{done.stdout[-1500:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _parse_credentials(printed: str) -> dict[str, DemoAccount]:
    accounts = {}
    for username, password, key in _CREDENTIALS.findall(printed):
        key = key.strip()
        accounts[username] = DemoAccount(username, password, Authenticator(key) if _BASE32.match(key) else None)
    assert "demo.nouveau" in accounts and "demo.dpo" in accounts, f"unexpected demo seed output:\n{printed}"
    return accounts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(proc: subprocess.Popen[bytes], port: int, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"gunicorn exited ({proc.returncode}):\n{log.read_text('utf-8')[-3000:]}"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/connexion")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise AssertionError(f"the server did not answer within {seconds} s:\n{log.read_text('utf-8')[-3000:]}")


@contextmanager
def serving(instance: Path, log: Path, *seeds: Path) -> Iterator[Server]:
    """The app under gunicorn (2 workers) on a fresh instance with the demo accounts; each
    script of ``seeds`` then runs on that instance (before the server starts)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCOP_")}  # no stray key dir or setting
    env |= {"CCOP_ENV": "development", "CCOP_INSTANCE_DIR": str(instance)}
    env["CCOP_DATABASE_URL"], schema = database_url(instance)  # SQLite there, or a fresh PostgreSQL schema
    if schema and TEST_APP_ROLE:  # ``ccop db upgrade`` as the owner, the server as the restricted role
        env |= {"CCOP_MIGRATION_DATABASE_URL": env["CCOP_DATABASE_URL"], "CCOP_APP_ROLE": TEST_APP_ROLE,
                "CCOP_DATABASE_URL": as_app_role(env["CCOP_DATABASE_URL"])}
    proc = None
    try:
        _ccop(env, instance, "keys", "init")
        _ccop(env, instance, "db", "upgrade")
        accounts = _parse_credentials(_ccop(env, instance, "demo", "seed"))
        for script in seeds:
            _seed(env, instance, script)
        port = _free_port()
        command = [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}"]
        if gunicorn.version_info >= (25, 1):  # its control socket would sit in $HOME, shared by every run
            command.append("--no-control-socket")
        with log.open("wb") as out:
            proc = subprocess.Popen([*command, "ccop_cases:create_app()"], env=env,  # noqa: S603 (our own server)
                                    cwd=instance, stdout=out, stderr=subprocess.STDOUT)
        _wait_until_up(proc, port, log)
        yield Server(f"http://127.0.0.1:{port}", accounts)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if schema:
            drop_schema(schema)


def _seed(env: dict[str, str], cwd: Path, script: Path) -> None:
    """Run a seeding script of the tests on the instance (the test helpers on its path)."""
    helpers = str(Path(__file__).parents[1] / "ccop_cases")
    done = subprocess.run([sys.executable, str(script)], env=env | {"PYTHONPATH": helpers}, cwd=cwd,  # noqa: S603
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{script.name} failed:\n{done.stdout[-1500:]}\n{done.stderr[-3000:]}"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[Server]:
    """The app on a fresh instance with the demo accounts, shared by the journeys."""
    with serving(tmp_path_factory.mktemp("e2e-instance"), artifacts / "server.log") as running:
        yield running


@pytest.fixture(scope="session")
def serve_with(tmp_path_factory: pytest.TempPathFactory,
               artifacts: Path) -> Callable[..., AbstractContextManager[Server]]:
    """``serve_with(name, *seeds)``: a server of one's own (a module's ``server`` fixture), on a
    fresh instance where the scripts ``seeds`` ran after the demo seed."""
    def serve(name: str, *seeds: Path) -> AbstractContextManager[Server]:
        return serving(tmp_path_factory.mktemp(f"e2e-{name}"), artifacts / f"server-{name}.log", *seeds)

    return serve


# --- the browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _new_page(browser: Browser, server: Server) -> Page:
    context = browser.new_context(base_url=server.url, locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def page(browser: Browser, server: Server, artifacts: Path, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A new browser context (no cookies) on the server, in French; a screenshot is kept on failure."""
    page = _new_page(browser, server)
    yield page
    if request.node.stash.get(_FAILED, False):
        page.screenshot(path=artifacts / f"FAILED-{request.node.name}.png", full_page=True)
    page.context.close()


@pytest.fixture
def browser_page_for(browser: Browser, server: Server, artifacts: Path,
                     request: pytest.FixtureRequest) -> Iterator[Callable[[str], Page]]:
    """``browser_page_for(name)``: one more browser (own cookies) per person in a journey."""
    pages: dict[str, Page] = {}

    def make(name: str) -> Page:
        pages[name] = _new_page(browser, server)
        return pages[name]

    yield make
    for name, page in pages.items():
        if request.node.stash.get(_FAILED, False):
            page.screenshot(path=artifacts / f"FAILED-{request.node.name}-{name}.png", full_page=True)
        page.context.close()


@pytest.fixture(scope="session")
def demo(server: Server) -> dict[str, DemoAccount]:
    """The demo accounts printed by ``ccop demo seed``, by username."""
    return server.accounts


# --- helpers -------------------------------------------------------------------------------------


def log_in(page: Page, account: DemoAccount, *, recent: bool = False) -> None:
    """Both login steps through the forms, with a fresh code (``recent``: the step that just ended)."""
    assert account.authenticator is not None, f"{account.username} has no authenticator yet"
    page.goto("/connexion")
    page.fill("#username", account.username)
    page.fill("#password", account.password)
    page.click(SUBMIT)
    expect(page).to_have_url(re.compile(r"/connexion/code$"))
    authenticator = account.authenticator
    page.fill("#code", authenticator.recent_code() if recent else authenticator.fresh_code())
    page.click(SUBMIT)
    expect(page).not_to_have_url(re.compile(r"/connexion"))


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html']}")
            lines.append("       " + node.get("failureSummary", "").replace("\n", "\n       "))
    return "\n".join(lines)


@pytest.fixture(scope="session")
def check_accessibility(artifacts: Path) -> Callable[[Page, str], None]:
    """``check_accessibility(page, name)``: screenshot to artifacts/<name>.png, axe results to
    artifacts/<name>.axe.json; fail on any serious or critical violation."""
    axe = Axe()

    def check(page: Page, name: str) -> None:
        page.wait_for_load_state("load")
        page.screenshot(path=artifacts / f"{name}.png", full_page=True)
        violations = axe.run(page).response["violations"]
        (artifacts / f"{name}.axe.json").write_text(json.dumps(violations, indent=2, ensure_ascii=False), "utf-8")
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"axe on {name} ({page.url}):\n{_describe(blocking)}"

    return check


@pytest.fixture(scope="session")
def login() -> Callable[..., None]:
    """``login(page, account, recent=False)``: see :func:`log_in`."""
    return log_in
