"""SQL is built through SQLAlchemy, with bound parameters. Raw SQL strings (``text(...)``,
``exec_driver_sql``, ``literal_column``, ``DDL``) must be literal constants; a string assembled
at run time (f-string, % or + formatting, ``.format``, a variable) fails this test, naming the
line, unless it is listed in VETTED with the reason it cannot carry user input."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "webapp", "integrations", "forms")
RAW_SQL_FUNCTIONS = {"text", "literal_column", "DDL"}
RAW_SQL_METHODS = {"exec_driver_sql"}

# (file, the call's source line stripped) -> why it is safe. Keyed by content, not line number,
# so an edit elsewhere in the file does not break the list, and a changed line needs a new review.
VETTED: dict[tuple[str, str], str] = {
    ("engine/privacy/append_only.py", "connection.execute(text(statement))"):
        "statement iterates over the module's own constant trigger DDL strings",
    ("engine/privacy/append_only.py", 'connection.execute(text(f"DROP TABLE IF EXISTS {SQLITE_PERMIT_TABLE}"))'):
        "SQLITE_PERMIT_TABLE is a module constant (a table name from code)",
    ("engine/privacy/append_only.py", "bind.execute(text(f\"SELECT set_config('{PURGE_SETTING}', 'on', true)\"))"):
        "PURGE_SETTING is a module constant (a setting name from code)",
    ("engine/privacy/append_only.py", "bind.execute(text(f\"SELECT set_config('{PURGE_SETTING}', 'off', true)\"))"):
        "PURGE_SETTING is a module constant (a setting name from code)",
    ("engine/privacy/append_only.py", 'bind.execute(text(f"INSERT INTO {SQLITE_PERMIT_TABLE} (id) VALUES (1)"))'):
        "SQLITE_PERMIT_TABLE is a module constant (a table name from code)",
    ("engine/privacy/append_only.py", 'bind.execute(text(f"DELETE FROM {SQLITE_PERMIT_TABLE}"))'):
        "SQLITE_PERMIT_TABLE is a module constant (a table name from code)",
    ("integrations/backup/database.py",
     'counts = {t: int(conn.scalar(text(f"SELECT count(*) FROM {_quote(conn, t)}")) or 0) for t in tables}'):
        "t comes from the database's own table list (inspect().get_table_names()), quoted by the dialect",
    ("integrations/bce/kbo/importer.py", 'conn.exec_driver_sql(f"TRUNCATE {\', \'.join(KBO_TABLES)}")'):
        "KBO_TABLES is the module's constant tuple of the kbo_* table names",
    ("integrations/bce/kbo/importer.py", 'conn.exec_driver_sql(f"DELETE FROM {table}")'):
        "table iterates over KBO_TABLES, the module's constant tuple of table names",
    ("integrations/bce/kbo/importer.py", "conn.exec_driver_sql(sql, rows)"):
        "sql is built from a FileSpec of integrations/bce/kbo/format.py (constant table and column names); "
        "the file's values are bound parameters",
    ("integrations/bce/kbo/importer.py",
     'conn.exec_driver_sql(f"DELETE FROM {spec.table} WHERE {spec.delete_by} = ANY(%s)", (keys,))'):
        "table and column from a constant FileSpec; the entity numbers are a bound parameter",
    ("integrations/bce/kbo/importer.py",
     'conn.exec_driver_sql(f"DELETE FROM {spec.table} WHERE {spec.delete_by} = ?", [(k,) for k in keys])'):
        "table and column from a constant FileSpec; the entity numbers are bound parameters",
    ("integrations/bce/kbo/lookup_rows.py", 'conn.exec_driver_sql(f"DELETE FROM {table} WHERE enterprise_number IN "'):
        "table is BceEnterprise.__tablename__ (code)",
    ("integrations/bce/kbo/lookup_rows.py", 'conn.exec_driver_sql(f"DELETE FROM {table}")'):
        "table is BceEnterprise.__tablename__ (code)",
}


def _imports_sqlalchemy_name(tree: ast.Module, name: str) -> bool:
    return any(isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy")
               and any(alias.name == name and alias.asname in (None, name) for alias in node.names)
               for node in ast.walk(tree))


def _is_constant_string(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    # implicit concatenation is one Constant; "a" "b" written with + of two constants is fine too
    return (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)
            and _is_constant_string(node.left) and _is_constant_string(node.right))


def raw_sql_calls(source: str) -> list[tuple[int, str]]:
    """(line, description) of every raw-SQL call whose SQL is not a literal constant."""
    tree = ast.parse(source)
    plain = {name for name in RAW_SQL_FUNCTIONS if _imports_sqlalchemy_name(tree, name)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in plain:
            called = func.id
        elif isinstance(func, ast.Attribute) and (
                func.attr in RAW_SQL_METHODS
                or (func.attr in RAW_SQL_FUNCTIONS and isinstance(func.value, ast.Name)
                    and func.value.id in {"sa", "sqlalchemy", "sql"})):
            called = func.attr
        else:
            continue
        if not _is_constant_string(node.args[0]):
            found.append((node.lineno, f"{called}() with SQL built at run time"))
    return sorted(found)


def test_raw_sql_is_constant_or_vetted() -> None:
    problems = []
    seen_vetted = set()
    scanned = 0
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            scanned += 1
            lines = source.splitlines()
            relative = path.relative_to(ROOT).as_posix()
            for line, description in raw_sql_calls(source):
                key = (relative, lines[line - 1].strip())
                if key in VETTED:
                    seen_vetted.add(key)
                else:
                    problems.append(f"{relative}:{line}: {description}: {lines[line - 1].strip()}")
    assert scanned > 100
    assert not problems, ("build SQL with SQLAlchemy constructs and bound parameters, or vet the line in "
                          "tests/security/test_sql_text.py with a reason:\n" + "\n".join(problems))
    assert seen_vetted == set(VETTED), f"vetted lines no longer present: {set(VETTED) - seen_vetted}"


def test_the_scanner_catches_every_way_of_building_sql() -> None:
    source = '''
from sqlalchemy import text
import sqlalchemy as sa
def f(conn, name, table):
    conn.execute(text(f"SELECT * FROM users WHERE name = '{name}'"))
    conn.execute(text("SELECT * FROM users WHERE name = '%s'" % name))
    conn.execute(text("SELECT * FROM " + table))
    conn.execute(text("SELECT * FROM {}".format(table)))
    conn.exec_driver_sql(f"DROP TABLE {table}")
    conn.execute(sa.text(name))
    conn.execute(text("SELECT * FROM users WHERE name = :name"), {"name": name})
    conn.execute(text("SELECT 1 " "FROM users"))
    conn.exec_driver_sql("SELECT 1")
'''
    assert [line for line, _ in raw_sql_calls(source)] == [5, 6, 7, 8, 9, 10]
