"""Real processes for tests: ``guichet`` commands (worker, beat, serve), a private Redis and a
private PostgreSQL cluster, each started on a free loopback port and always stopped in a
``finally`` (no orphans, even when the test fails).

Used by tests/jobs/test_real_worker.py, tests/ops/test_production_server.py and tests/faults/.
"""

from __future__ import annotations

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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any, TypeVar

import pytest
from kombu import pools as kombu_pools

from engine import jobs

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0
T = TypeVar("T")


def free_port() -> int:
    """A loopback port nobody listens on now (bound to port 0, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def guichet_command() -> list[str]:
    """The ``guichet`` console script of this virtualenv (or the module when it is not installed)."""
    script = Path(sys.executable).with_name("guichet")
    return [str(script)] if script.exists() else [sys.executable, "-m", "webapp.cli"]


def wait_until(predicate: Callable[[], T], timeout: float, what: Callable[[], str] | str,
               interval: float = 0.1) -> T:
    """Poll ``predicate`` until it returns something true; fail the test with ``what`` (a text, or
    a function giving the state worth showing) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"after {timeout:.0f} s: {what() if callable(what) else what}")
        time.sleep(interval)


def forget_broker_connections() -> None:
    """The Celery app keeps its connection and producer pools for the broker it first used;
    make it reconnect to whatever ``broker_url`` says now."""
    pool = jobs.celery._pool
    if pool is not None:
        pool.force_close_all()
    jobs.celery._pool = None
    jobs.celery.amqp._producer_pool = None
    kombu_pools.reset()  # kombu's own registry of pools per connection, closed pools included


class Process:
    """A child process with its output in a log file. ``new_session`` puts it in its own process
    group, so :meth:`kill` can take a prefork worker down with its pool children at once."""

    def __init__(self, args: Sequence[str], log_path: Path, *, env: dict[str, str] | None = None,
                 cwd: Path = ROOT, user: str | None = None) -> None:
        self.args = list(args)
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("ab")
        self.proc = subprocess.Popen(self.args, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True, user=user)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, marker: str, timeout: float = START_TIMEOUT_S, *, after: int = 0) -> None:
        """Wait for ``marker`` in the log (from character ``after`` on); fail if the process exits."""
        def seen() -> bool:
            if marker in self.log()[after:]:
                return True
            if not self.alive():
                pytest.fail(f"{self.args[0]} exited with {self.proc.returncode} before {marker!r}:\n{self.log()}")
            return False

        wait_until(seen, timeout, lambda: f"{marker!r} not in the log of {self.args}:\n{self.log()}")

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (a graceful stop), then SIGKILL to the whole group after ``timeout`` seconds."""
        if self.alive():
            self.proc.terminate()
            with suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=timeout)
        self.kill()

    def kill(self) -> None:
        """SIGKILL to the process and everything in its group (pool children included)."""
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self._log.close()


def guichet_env(database_url: str, broker_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``guichet`` process: this machine's, minus any GUICHET_/PROMETHEUS_
    setting of the caller, plus the ones given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUICHET_", "PROMETHEUS_"))}
    env.update(
        GUICHET_DATABASE_URL=database_url,
        GUICHET_BROKER_URL=broker_url,
        GUICHET_INSTANCE_PATH=str(instance),
        GUICHET_SECRET_KEY="test-process-secret",
        GUICHET_JOBS_EAGER="0",
        **extra,
    )
    return env


def start_worker(log_path: Path, env: dict[str, str], *, queue: str, command: Sequence[str] | None = None,
                 pool: str = "solo", concurrency: int = 1, beat: bool = False) -> Process:
    """``guichet worker`` (or ``command``) consuming ``queue``; returns once Celery says ready."""
    args = [*(command or guichet_command()), "worker", "--pool", pool, "--concurrency", str(concurrency),
            "--beat" if beat else "--no-beat", "--queues", queue, "--loglevel", "INFO",
            "--hostname", f"{queue}-{time.monotonic_ns()}@%h"]
    process = Process(args, log_path, env=env)
    try:
        process.wait_for_log(" ready.")
    except BaseException:
        process.stop()
        raise
    return process


def start_beat(log_path: Path, env: dict[str, str], *, command: Sequence[str] | None = None) -> Process:
    """``guichet beat``; returns once it has started sending."""
    process = Process([*(command or guichet_command()), "beat", "--loglevel", "INFO"], log_path, env=env)
    try:
        process.wait_for_log("beat: Starting...")
    except BaseException:
        process.stop()
        raise
    return process


# --------------------------------------------------------------------------- HTTP and `guichet serve`


def http_get(url: str, headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, bytes, dict[str, str]]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


class Server:
    def __init__(self, base: str, log_path: Path, process: Process) -> None:
        self.base = base
        self.log_path = log_path
        self.process = process

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
        return http_get(self.base + path, headers)

    def json(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        status, body, _ = self.get(path, headers)
        return status, json.loads(body)


@contextmanager
def serve(tmp_path: Path, database_url: str, broker_url: str, workers: int, **extra_env: str) -> Iterator[Server]:
    """``guichet serve`` (gunicorn) on a free port, JSON logs; stopped on the way out."""
    port = free_port()
    env = guichet_env(database_url, broker_url, tmp_path / "instance", GUICHET_LOG_FORMAT="json", **extra_env)
    env["GUICHET_SECRET_KEY"] = "test-serve-secret"
    log_path = tmp_path / f"serve-{port}.log"
    process = Process([*guichet_command(), "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
                      log_path, env=env)
    server = Server(f"http://127.0.0.1:{port}", log_path, process)
    try:
        def up() -> bool:
            try:
                return server.get("/healthz")[0] == 200
            except OSError:
                if not process.alive():
                    pytest.fail(f"guichet serve exited:\n{process.log()}")
                return False

        wait_until(up, START_TIMEOUT_S, lambda: f"guichet serve did not start:\n{process.log()}", interval=0.2)
        yield server
    finally:
        process.stop()


# --------------------------------------------------------------------------- a private Redis


class RedisServer:
    """redis-server on a free port, keeping its data in ``directory`` with the append-only file
    (``appendonly yes``, as docs/deployment.md asks), so queued jobs survive a restart."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: Process | None = None
        directory.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.directory)]
        self.process = Process(args, self.directory / "redis.log")
        self.process.wait_for_log("Ready to accept connections", timeout=10)

    def stop(self) -> None:
        """SIGTERM: redis writes its append-only file and exits."""
        if self.process is not None:
            self.process.stop(timeout=10)
            self.process = None

    def call(self, *args: str) -> str:
        out = subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True, timeout=10)
        return out.stdout.strip()


@contextmanager
def redis_server(directory: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is needed for this test (apt-get install redis-server)")
    server = RedisServer(directory)
    try:
        server.start()
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- a private PostgreSQL cluster


def _postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        pytest.fail("PostgreSQL server binaries are needed (/usr/lib/postgresql/<version>/bin)")
    return found[-1].parent


class PostgresCluster:
    """A throwaway cluster (initdb, trust) on a free port; as the ``postgres`` user when the tests
    run as root, which PostgreSQL refuses. Stopping and starting it disturbs nobody else."""

    def __init__(self, directory: Path) -> None:
        self.bin = _postgres_bin()
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        if self.user:
            shutil.chown(directory, self.user, self.user)
        self.data = directory / "data"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        out = subprocess.run([str(self.bin / args[0]), *args[1:]], capture_output=True, text=True,
                             timeout=timeout, user=self.user, cwd=self.directory)
        if out.returncode != 0:
            pytest.fail(f"{' '.join(args)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c max_connections=50")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.directory / "postgres.log"), "-o", options,
                  "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A cluster in a new folder of the system's temporary directory (pytest's own is private to
    the current user, which the ``postgres`` user could not enter); removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="guichet-pg-"))
    try:
        cluster = PostgresCluster(directory)
        cluster.init()
        try:
            cluster.start()
            yield cluster
        finally:
            if cluster.running():
                subprocess.run([str(cluster.bin / "pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "-w",
                                "stop"], capture_output=True, timeout=60, user=cluster.user, cwd=cluster.directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
