"""What the benchmark scripts share: their error type and a fresh PostgreSQL database.

Each script still starts with its own four-line ``sys.path`` fix (it must run before any import
from the project, this module included)."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError


class BenchError(RuntimeError):
    """A benchmark that cannot run or whose result is wrong: the script says why and stops."""


def recreate_database(url: str, setting: str) -> str:
    """Drop (closing its sessions) and create the database of ``url``; return the server version.
    ``setting`` names the environment variable that points the benchmark elsewhere."""
    u = make_url(url)
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            version = conn.scalar(text("SHOW server_version"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{u.database}"'))
    except OperationalError as exc:
        raise BenchError(
            f"PostgreSQL is unreachable at {u.render_as_string(hide_password=True)}: "
            f"{str(exc.orig).strip() if exc.orig else exc}\n"
            f"The benchmark measures PostgreSQL and does not skip it: start the server (127.0.0.1:5432, "
            f"trust) or point {setting} at one."
        ) from exc
    finally:
        admin.dispose()
    return str(version)
