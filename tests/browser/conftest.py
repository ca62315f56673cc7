"""Browser tests: a real Kari server on a fresh demo database, driven by Debian's Chromium.

pytest-django's live_server is not used: its transactional flush deletes rows, and the
audit log's SQLite triggers forbid DELETE. Instead every test module (and every xdist
worker) builds its own demo database with `kari demo` in a temporary directory and serves
it with `kari runserver` in a subprocess. The tests themselves never touch the database.

Building a demo round costs from half a minute to several minutes, and several modules ask
for the same one: each distinct set of `kari demo` arguments is built once per test session
(under a lock shared by the xdist workers) into a template directory, and every module serves
its own copy of it, so that no module sees another's changes.
"""

import base64
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.utils import timezone

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PASSWORD = "kari-demo-2026"
KARI = Path(sys.executable).parent / "kari"


def _require_chromium():
    if not CHROMIUM.exists():
        pytest.skip(
            f"Debian's Chromium is not installed at {CHROMIUM} (`make browser` installs it)"
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class KariServer:
    """A running Kari with its demo data; `kari(...)` runs another command on the same data."""

    password = DEMO_PASSWORD

    def __init__(self, base_url: str, env: dict, workdir: Path):
        self.used_codes: dict[str, str] = {}  # the last TOTP code used per user
        self.demo_output = ""
        self.base_url = base_url
        self.env = env
        self.workdir = workdir

    def url(self, path: str) -> str:
        return self.base_url + path

    def kari(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [str(KARI), *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"kari {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
            )
        return done.stdout

    def totp_secrets(self) -> dict[str, str]:
        """The demo staff accounts' TOTP secrets (base32), as `kari demo` printed them."""
        found = {}
        staff = self.demo_output.partition("Demo staff accounts")[2]
        for m in re.finditer(r"^  (\S+)\s+([A-Z2-7]{16,}=*)\s", staff, re.M):
            found[m.group(1)] = m.group(2)
        return found

    def totp(self, username: str) -> str:
        """The user's current code, with at least 3 s of validity left.

        Computed here from the secret `kari demo` printed (a `kari totp` subprocess costs a
        Django start-up); an account the demo did not print is asked of `kari totp`.
        """
        secret = self.totp_secrets().get(username)
        if secret:
            from django_otp.oath import totp

            left = 30 - int(time.time()) % 30
            if left < 3:
                time.sleep(left + 0.5)
            return f"{totp(base64.b32decode(secret), step=30, t0=0, digits=6):06d}"
        for _attempt in range(3):
            out = self.kari("totp", username)
            m = re.search(r"\b(\d{6})\s+\(valid for (\d+) s more\)", out)
            assert m, f"unexpected `kari totp` output: {out!r}"
            code, left = m.group(1), int(m.group(2))
            if left >= 3:
                return code
            time.sleep(left + 0.5)
        raise AssertionError("could not get a TOTP code with enough validity left")


def today() -> dt.date:
    """Today where Kari runs (Tbilisi, UTC+4): the date its services check against, which from
    20:00 UTC on is a day ahead of the machine's own `dt.date.today()`."""
    return timezone.localdate()


def _server_env(var: Path) -> dict:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "KARI_VAR_DIR": str(var),
            "KARI_DEBUG": "1",
            "KARI_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Email is written to files in <workdir>/mail/, where tests read one-time codes.
            "KARI_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "DJANGO_SETTINGS_MODULE": "kari.settings",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _copy_demo(tmp_path_factory, demo_args: list[str], var: Path) -> str:
    """Copy the demo round built with these arguments into ``var``; return `kari demo`'s output.

    The first module (of any xdist worker) that asks for a set of arguments builds it; the
    others wait on the lock and copy the finished template.
    """
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the workers' base directories share this parent
    args = ["--anchor", today().isoformat(), *demo_args]
    key = hashlib.sha256(json.dumps(args).encode()).hexdigest()[:16]
    template = shared / f"kari-demo-{key}"

    def build(folder: Path) -> None:
        # `kari demo --keep` on a copy of the migrated empty database: the migrations (the
        # larger part of a small demo's build) run once per session, not once per round.
        shutil.copytree(_once(shared / "kari-migrated", _migrate), folder)
        builder = KariServer("", _server_env(folder), folder)
        output = builder.kari("demo", "--keep", *args, timeout=900)
        (folder / "demo-output.txt").write_text(output)

    _once(template, build)
    shutil.copytree(template, var, dirs_exist_ok=True)
    return (var / "demo-output.txt").read_text()


def _migrate(folder: Path) -> None:
    folder.mkdir()
    KariServer("", _server_env(folder), folder).kari("migrate", "-v", "0", timeout=900)


def _once(folder: Path, make) -> Path:
    """``folder``, made by ``make`` once per session whichever xdist worker asks first."""
    with folder.with_suffix(".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            done = folder.with_suffix(".done")
            if not done.exists():
                shutil.rmtree(folder, ignore_errors=True)
                make(folder)
                done.touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return folder


@pytest.fixture(scope="module")
def demo_args() -> list[str]:
    """Extra `kari demo` arguments; a test module overrides this (e.g. the exams phase)."""
    return []


@pytest.fixture(scope="module")
def kari_server(tmp_path_factory, demo_args):
    _require_chromium()
    assert KARI.exists(), f"the kari console script is missing: {KARI}"
    var = tmp_path_factory.mktemp("kari-var")
    env = _server_env(var)
    server = KariServer("", env, var)
    server.demo_output = _copy_demo(tmp_path_factory, demo_args, var)

    port = _free_port()
    log = (var / "runserver.log").open("w")
    proc = subprocess.Popen(
        [str(KARI), "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=var,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server.base_url = f"http://127.0.0.1:{port}"
    # the worker beside the server, as `make demo` runs it: jobs started on the web finish there
    worker_log = (var / "worker.log").open("w")
    worker = subprocess.Popen(
        [str(KARI), "worker", "--interval", "0.5"],
        env=env,
        cwd=var,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 180  # a loaded machine starts slowly
        while True:
            if proc.poll() is not None:
                raise AssertionError(
                    f"kari runserver exited with {proc.returncode}:\n"
                    + (var / "runserver.log").read_text()
                )
            try:
                with urllib.request.urlopen(server.base_url + "/", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(
                    "kari runserver did not answer within 180 s:\n"
                    + (var / "runserver.log").read_text()
                )
            time.sleep(0.25)
        yield server
    finally:
        for p in (proc, worker):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        log.close()
        worker_log.close()


@pytest.fixture(scope="module")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


# ---------------------------------------------------------------- accessibility (axe-core)
# Every page a journey visits is checked with axe-core (bundled by axe-playwright-python):
# just before the test leaves it (``page.goto`` and ``page.expect_navigation`` of the pages
# made by ``new_page`` run the check first), and at the end of the test for the page still
# open. A serious or critical violation fails the test.
AXE_IMPACTS = {"serious", "critical"}
_AXE_SCRIPT: str | None = None


def _axe_script() -> str:
    global _AXE_SCRIPT
    if _AXE_SCRIPT is None:
        import axe_playwright_python

        _AXE_SCRIPT = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
    return _AXE_SCRIPT


class AxeLog:
    """The serious and critical violations found on the pages of one test."""

    def __init__(self):
        self.violations: list[str] = []
        self.checked: list[str] = []

    def check(self, page) -> None:
        """Run axe on the page now, once per document (HTML pages of Kari only)."""
        url = page.url
        if not url.startswith("http") or page.is_closed():
            return
        try:
            if page.evaluate(
                "() => window.__kariAxed === true || document.contentType !== 'text/html'"
            ):
                return
            page.evaluate("() => { window.__kariAxed = true; }")
            if not page.evaluate("() => typeof window.axe === 'object'"):
                page.evaluate(_axe_script())
            found = page.evaluate(
                "() => axe.run(document, {resultTypes: ['violations']})"
                ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
                " targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))})))"
            )
        except Exception as exc:  # the page navigated by itself while axe ran
            if "destroyed" in str(exc) or "navigat" in str(exc):
                return
            raise
        self.checked.append(url)
        for v in found:
            if v["impact"] in AXE_IMPACTS:
                self.violations.append(
                    f"{url}: {v['id']} ({v['impact']}): {v['help']} — {v['targets']}"
                )

    def watch(self, page) -> None:
        """Check the current page before ``goto`` and ``expect_navigation`` leave it."""
        goto, expect_navigation = page.goto, page.expect_navigation

        def checked_goto(*args, **kwargs):
            self.check(page)
            return goto(*args, **kwargs)

        def checked_expect_navigation(*args, **kwargs):
            self.check(page)
            return expect_navigation(*args, **kwargs)

        page.goto = checked_goto
        page.expect_navigation = checked_expect_navigation


def assert_accessible(page, axe: AxeLog | None = None) -> None:
    """Run axe on the page now and fail on a serious or critical violation."""
    log = axe or AxeLog()
    log.check(page)
    assert not log.violations, "axe-core:\n" + "\n".join(log.violations)


@pytest.fixture
def new_page(browser):
    """Pages in fresh browser contexts (no shared cookies), closed after the test; axe-core
    checks every page they show (see ``AxeLog``)."""
    contexts, pages = [], []
    axe = AxeLog()

    def make(**context_options):
        ctx = browser.new_context(**context_options)
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        page = ctx.new_page()
        axe.watch(page)
        pages.append(page)
        return page

    yield make
    for page in pages:
        if not page.is_closed():
            axe.check(page)
    for ctx in contexts:
        ctx.close()
    assert not axe.violations, "axe-core found serious or critical violations:\n" + "\n".join(
        dict.fromkeys(axe.violations)
    )


def staff_sign_in(page, server, username: str, prefix: str = "") -> None:
    """Password, then the TOTP code, on /<prefix>/staff/login/; ends on the staff dashboard.

    A TOTP code is accepted once: when an earlier test of the module used the current code,
    the sign-in waits for the next one.
    """
    from playwright.sync_api import expect

    page.goto(server.url(f"{prefix}/staff/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", server.password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(prefix) + r"/staff/login/code/"))
    dashboard = re.compile(r"^https?://[^/]+" + re.escape(prefix) + r"/staff/$")
    for attempt in range(2):
        code = server.totp(username)
        if code == server.used_codes.get(username):
            time.sleep(max(0.0, 30.5 - time.time() % 30))  # the next 30-second step
            code = server.totp(username)
        page.fill("#id_token", code)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        server.used_codes[username] = code
        if dashboard.match(page.url) or attempt:
            break
    expect(page).to_have_url(dashboard)
