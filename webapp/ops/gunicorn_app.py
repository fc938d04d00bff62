"""``guichet serve``: the web app under gunicorn, configured in code (no config file to ship).

Workers are forked before the app is built (no preload): each builds its own database pool and
sees PROMETHEUS_MULTIPROC_DIR, which the master sets before forking.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from webapp.ops.logging import gunicorn_log_config


def default_workers() -> int:
    """GUICHET_WEB_CONCURRENCY, else gunicorn's rule of thumb 2 x cores + 1."""
    value = os.environ.get("GUICHET_WEB_CONCURRENCY", "").strip()
    if value:
        return max(1, int(value))
    return multiprocessing.cpu_count() * 2 + 1


def prepare_metrics_dir(instance_path: Path) -> Path:
    """Where the processes write their metrics. A folder given by PROMETHEUS_MULTIPROC_DIR is
    shared (the worker writes there too) and left as it is; the default one belongs to this
    server and starts empty, so no dead process's samples are added up."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        return path
    path = instance_path / "prometheus"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    return path


def _child_exit(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


class GuichetServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if value is not None:
                self.cfg.set(key, value)
        self.cfg.set("child_exit", _child_exit)

    def load(self) -> Any:
        from webapp import create_app

        return create_app()


def gunicorn_options(bind: str, workers: int, threads: int, timeout: int, log_format: str,
                     access_log: bool) -> dict[str, Any]:
    options: dict[str, Any] = {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "timeout": timeout,
        "graceful_timeout": 30,
        "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
        # Guichet logs each request itself (with its id, user and duration); gunicorn's access
        # log would say it twice
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
    }
    if log_format == "json":
        options["logconfig_dict"] = gunicorn_log_config()
    return options
