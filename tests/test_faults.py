"""Faults (issue 9): a worker killed mid-task, Redis stopped, PostgreSQL restarted.

Each test is self-contained: it starts its own redis-server, Celery workers, web server
(gunicorn) and, for the restart, its own PostgreSQL cluster, on free ports in a temporary
folder, and never touches the shared services. Workers and the web server run the project's
code with `tests.fault_settings` (e-mail written to files that the test counts) against the
test database, which they see because these tests commit (transactional).

Run them with `pytest -m slow tests/test_faults.py`; figures in docs/reliability.md.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.authtoken.models import Token

from applications.enums import ApplicationState as S
from ietsportal.notifications.models import Notification
from tests.helpers import issued_certificate

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(settings.BASE_DIR)
PYTHON = sys.executable
REDIS_SERVER = shutil.which("redis-server")
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
needs_redis_server = pytest.mark.skipif(
    REDIS_SERVER is None, reason="redis-server is not installed"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, what: str, timeout: float = 60.0, log: Path | None = None):
    stop = time.monotonic() + timeout
    while time.monotonic() < stop:
        if predicate():
            return time.monotonic()
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    pytest.fail(f"{what}: not within {timeout:.0f} s\n{tail}")


class Processes:
    """Every process a test starts, each in its own session, all stopped at the end."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, argv: list[str], env: dict | None = None) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("ab")
        process = subprocess.Popen(
            argv,
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.log = self.folder / f"{name}.log"
        self.started.append(process)
        return process

    @staticmethod
    def stop(process: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 15) -> None:
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def stop_all(self):
        for process in reversed(self.started):
            self.stop(process)


class FaultDir(Path):
    """The test's temporary folder, which also knows the processes started in it."""

    processes: Processes


@pytest.fixture
def fault_dir():
    folder = FaultDir(tempfile.mkdtemp(prefix="iets-faults-"))
    folder.processes = Processes(folder)
    yield folder
    folder.processes.stop_all()
    shutil.rmtree(folder, ignore_errors=True)


def start_redis(folder: Path, port: int) -> subprocess.Popen:
    process = folder.processes.start(
        f"redis-{port}",
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(folder),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
    )
    wait_for(lambda: _connects(port), "redis-server to listen", 20, process.log)
    return process


def _connects(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def shared_test_database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(folder: Path, **extra) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "DJANGO_", "CELERY_", "REDIS_", "DATABASE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tests.fault_settings",
        DATABASE_URL=shared_test_database_url(),
        FAULT_DIR=str(folder),
        IETS_VAR_DIR=str(folder / "var"),
        PYTHONPATH=str(BASE_DIR),
        LOG_LEVEL="INFO",
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


def start_worker(folder: Path, name: str, env: dict, *, beat: bool = False):
    argv = [
        PYTHON,
        "-m",
        "celery",
        "-A",
        "ietsportal",
        "worker",
        "-P",
        "prefork",
        "-c",
        "1",
        "-n",
        f"{name}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-l",
        "info",
    ]
    if beat:
        argv += ["-B", "-s", str(folder / f"beat-{name}")]
    process = folder.processes.start(name, argv, env)
    wait_for(
        lambda: b" ready." in process.log.read_bytes(), f"worker {name} to start", 90, process.log
    )
    return process


def outbox(folder: Path) -> list[bytes]:
    box = folder / "outbox"
    return [p.read_bytes() for p in sorted(box.glob("*.eml"))] if box.exists() else []


def recipients(mails: list[bytes]) -> list[str]:
    import email

    return sorted(email.message_from_bytes(m)["To"] for m in mails)


def send_task(broker_url: str, name: str, args: list):
    """Publish as the web does, to the private broker."""
    from celery import Celery

    app = Celery("fault-client", broker=broker_url)
    try:
        app.send_task(name, args=args)
    finally:
        app.close()


SEND_EMAILS = "ietsportal.notifications.tasks.send_notification_emails"


def pending_notifications(flow, world) -> tuple[list[int], list[str]]:
    """A submitted application: its notifications are rows with their e-mail not yet sent."""
    flow.fire(flow.draft(), "submit", world.applicant)
    rows = list(Notification.objects.filter(email_sent_at__isnull=True))
    assert rows
    return [row.pk for row in rows], sorted(row.recipient.email for row in rows)


# ---- (a) a worker killed with SIGKILL mid-task


@needs_redis_server
def test_pool_process_killed_mid_send_is_redelivered_and_mails_once(flow, world, fault_dir):
    """acks_late + reject_on_worker_lost: the worker's pool process dies in the middle of
    sending; the worker puts the message back, a new pool process runs the task again, and
    each recipient gets exactly one mail."""
    port = free_port()
    start_redis(fault_dir, port)
    broker = f"redis://127.0.0.1:{port}/0"
    ids, expected = pending_notifications(flow, world)
    (fault_dir / "hold").write_text("", encoding="utf-8")
    worker = start_worker(fault_dir, "w1", process_env(fault_dir, REDIS_URL=broker))

    send_task(broker, SEND_EMAILS, [ids])
    wait_for(lambda: any(fault_dir.glob("sending-*")), "the task to start sending", 60, worker.log)
    child = int(next(fault_dir.glob("sending-*")).name.split("-")[1])
    assert child != worker.pid  # the pool process, not the worker itself
    os.kill(child, signal.SIGKILL)
    killed_at = time.monotonic()
    assert outbox(fault_dir) == []  # killed before anything went out
    (fault_dir / "hold").unlink()

    done = wait_for(
        lambda: not Notification.objects.filter(pk__in=ids, email_sent_at__isnull=True).exists(),
        "the redelivered task to send the mails",
        60,
        worker.log,
    )
    time.sleep(1.0)  # room for a duplicate to show up, if there were one
    log = worker.log.read_text(errors="replace")
    assert "WorkerLostError" in log or "SIGKILL" in log, log[-2000:]
    assert recipients(outbox(fault_dir)) == expected
    print(f"\nFIGURE pool-kill redelivery {done - killed_at:.1f} s, {len(expected)} mails")


@needs_redis_server
def test_whole_worker_killed_mid_send_is_redelivered_to_the_next_worker(flow, world, fault_dir):
    """The whole worker (main process and pool) is SIGKILLed: nobody is left to put the
    message back. The broker keeps it as unacknowledged and hands it to the next worker once
    the visibility timeout has passed (here 5 s; production: 1 h). Exactly one mail each."""
    port = free_port()
    start_redis(fault_dir, port)
    broker = f"redis://127.0.0.1:{port}/0"
    env = process_env(fault_dir, REDIS_URL=broker, FAULT_VISIBILITY_TIMEOUT=5)
    ids, expected = pending_notifications(flow, world)
    (fault_dir / "hold").write_text("", encoding="utf-8")
    first = start_worker(fault_dir, "w1", env)

    send_task(broker, SEND_EMAILS, [ids])
    wait_for(lambda: any(fault_dir.glob("sending-*")), "the task to start", 60, first.log)
    fault_dir.processes.stop(first, signal.SIGKILL)
    killed_at = time.monotonic()
    (fault_dir / "hold").unlink()
    assert outbox(fault_dir) == []

    second = start_worker(fault_dir, "w2", env)
    done = wait_for(
        lambda: not Notification.objects.filter(pk__in=ids, email_sent_at__isnull=True).exists(),
        "the next worker to run the task again",
        90,
        second.log,
    )
    time.sleep(1.0)
    assert recipients(outbox(fault_dir)) == expected
    print(f"\nFIGURE worker-kill redelivery {done - killed_at:.1f} s, {len(expected)} mails")


# ---- (b) Redis stopped


def http(port: int, method: str, path: str, body: bytes | None = None, token: str = ""):
    """(status, seconds) of one request to the web server under test."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method)
    request.add_header("Accept-Language", "en")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = 0
    return status, time.monotonic() - started


def start_web(
    folder: Path, env: dict, threads: int = 4, name: str = "web"
) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = folder.processes.start(
        name,
        [
            PYTHON,
            "-m",
            "gunicorn",
            "ietsportal.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "--threads",
            str(threads),
            "--timeout",
            "60",
        ],
        env,
    )
    wait_for(lambda: http(port, "GET", "/healthz/")[0] == 200, "the web server", 60, process.log)
    return process, port


OUTAGE_SECONDS = float(os.environ.get("FAULT_REDIS_OUTAGE_SECONDS", "60"))


@needs_redis_server
def test_redis_outage_keeps_the_web_serving_and_mails_go_out_afterwards(flow, world, fault_dir):
    port = free_port()
    redis = start_redis(fault_dir, port)
    broker = f"redis://127.0.0.1:{port}/0"
    env = process_env(fault_dir, REDIS_URL=broker, DUE_JOBS_INTERVAL_SECONDS=2)
    web, web_port = start_web(fault_dir, env)
    worker = start_worker(fault_dir, "w1", env, beat=True)
    drafts = [flow.draft() for _ in range(3)]
    token = Token.objects.create(user=world.applicant).key
    number = issued_certificate(world, issued_on=date.today()).number
    pages = [
        "/",
        "/publicity/",
        "/verify/?q=%E5%8C%97%E4%BA%AC",
        f"/verify/{number}/",  # the cached lookup answers from the database meanwhile
        f"/api/v1/public/certificates/{number}/",
        "/api/v1/public/publicity/",
        "/healthz/",
    ]

    fault_dir.processes.stop(redis)
    stopped_at = time.monotonic()
    answers, submits = [], []
    while time.monotonic() - stopped_at < OUTAGE_SECONDS:
        for path in pages:
            answers.append((path, *http(web_port, "GET", path)))
        if drafts:
            draft = drafts.pop()
            status, seconds = http(
                web_port, "POST", f"/api/v1/applications/{draft.pk}/transitions/submit/", b"{}",
                token,
            )  # fmt: skip
            submits.append((draft.pk, status, seconds))
        time.sleep(1)
    outage = time.monotonic() - stopped_at

    # During the outage: every page answered, every state change committed, no mail sent.
    assert [a for a in answers if a[1] != 200] == []
    assert [s[1] for s in submits] == [200, 200, 200]
    from applications.models import Application

    assert set(
        Application.objects.filter(pk__in=[s[0] for s in submits]).values_list("state", flat=True)
    ) == {S.SUBMITTED}
    due = list(Notification.objects.filter(email_sent_at__isnull=True))
    assert len(due) >= 3
    assert outbox(fault_dir) == []

    start_redis(fault_dir, port)
    back_at = time.monotonic()
    sent_at = wait_for(
        lambda: not Notification.objects.filter(email_sent_at__isnull=True).exists(),
        "the outbox sweep to send the mails due during the outage",
        120,
        worker.log,
    )
    time.sleep(1.0)
    assert recipients(outbox(fault_dir)) == sorted(n.recipient.email for n in due)
    slowest = max(seconds for *_, seconds in answers + submits)
    print(
        f"\nFIGURE redis outage {outage:.0f} s: {len(answers)} page requests and"
        f" {len(submits)} submits, 0 errors, slowest {slowest:.2f} s;"
        f" {len(due)} mails sent {sent_at - back_at:.1f} s after Redis returned"
    )
    assert web.poll() is None and worker.poll() is None  # nothing had to be restarted


def public_status(port: int, number: str) -> str:
    with urllib.request.urlopen(
        f"http://127.0.0.1:{port}/api/v1/public/certificates/{number}/", timeout=30
    ) as response:
        return json.loads(response.read())["status"]


@needs_redis_server
def test_a_status_change_shows_at_once_in_every_web_process(world, fault_dir, settings):
    """Each web process answers lookups from its own memory (certificates/local_gate.py). A
    suspension made in a third process (this test's) forgets the answer in both at once: the
    very next lookup in either shows it, and a reinstatement as well."""
    from django.utils import timezone

    from certificates.services import certificate_reinstate, certificate_suspend

    port = free_port()
    start_redis(fault_dir, port)
    broker = f"redis://127.0.0.1:{port}/0"
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": broker}}
    number = issued_certificate(world, issued_on=date.today()).number
    env = process_env(fault_dir, REDIS_URL=broker)
    ports = [start_web(fault_dir, env, threads=1, name=f"web-{i}")[1] for i in (1, 2)]
    # rendered, stored in Redis, copied into each process's memory, then answered from it
    for _ in range(20):
        assert [public_status(p, number) for p in ports] == ["valid", "valid"]

    certificate_suspend(number=number, actor=world.center, reason="检查", now=timezone.now())
    assert [public_status(p, number) for p in ports] == ["suspended", "suspended"]
    assert [public_status(p, number) for p in ports] == ["suspended", "suspended"]
    certificate_reinstate(number=number, actor=world.center, reason="已整改", now=timezone.now())
    assert [public_status(p, number) for p in ports] == ["valid", "valid"]


# ---- (c) PostgreSQL restarted


def as_postgres(argv: list[str]) -> list[str]:
    """The server refuses to run as root; run its tools as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@pytest.fixture
def private_postgres(fault_dir):
    if not PG_BIN:
        pytest.skip("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        pytest.skip("running as root without runuser: cannot start a private PostgreSQL")
    bin_dir = PG_BIN[-1]
    data = fault_dir / "pgdata"
    sockets = fault_dir / "pgsock"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(fault_dir, "postgres")
        shutil.chown(sockets, "postgres")
    subprocess.run(
        as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
    )
    port = free_port()
    ctl = [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(fault_dir / "pg.log")]
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"

    def pg_ctl(*args):
        subprocess.run(as_postgres([*ctl, *args]), check=True, capture_output=True)

    pg_ctl("-o", options, "-w", "start")
    url = f"postgres://postgres@127.0.0.1:{port}/iets_fault"
    subprocess.run(
        [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
         "iets_fault"],
        check=True,
    )  # fmt: skip
    env = process_env(fault_dir, DATABASE_URL=url)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=BASE_DIR, env=env, check=True)
    yield env, lambda: pg_ctl("-o", options, "-m", "fast", "-w", "restart")
    pg_ctl("-m", "immediate", "stop")


@pytest.mark.parametrize("health_checks", [True, False], ids=["health-checks", "no-checks"])
def test_postgres_restart_web_recovers_by_itself(private_postgres, fault_dir, health_checks):
    """With CONN_HEALTH_CHECKS (the setting), the first request after a restart already gets
    its answer; without them, it is a 500 on the dead persistent connection — the check is
    what makes the difference, so this test can fail."""
    env, restart = private_postgres
    env = {**env, "CONN_MAX_AGE": "600", "CONN_HEALTH_CHECKS": "1" if health_checks else "0"}
    # One thread: the request after the restart reuses the connection made before it.
    web, port = start_web(fault_dir, env, threads=1)
    paths = ["/healthz/", "/publicity/", "/api/v1/institutions/"]
    assert [http(port, "GET", p)[0] for p in paths] == [200, 200, 200]

    restart()
    after = [http(port, "GET", p)[0] for p in paths * 2]

    if health_checks:
        assert after == [200] * 6
        print("\nFIGURE postgres restart with health checks: 6/6 requests after it answered 200")
    else:
        # The thread that served before the restart hands its dead connection to the first
        # request: a 500; Django drops that connection, and the next requests reconnect.
        assert 500 in after and after[-1] == 200, after
        print(f"\nFIGURE postgres restart without health checks: {after}")
    assert web.poll() is None
