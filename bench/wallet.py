"""Wallet benchmark (issue 7 part 9): concurrent debits on ONE organisation's wallet on PostgreSQL
leave the exact balance and never a negative one; and the authorisation walk's duration.

    .venv/bin/python bench/wallet.py --scale small   # 200 debits + 20 refused, no docs
    .venv/bin/python bench/wallet.py                 # 1,000 debits + 50 refused, appends to docs

Design: the wallet is credited N x 1.00 EUR, then N + E debits of 1.00 EUR are attempted from 8
threads, each debit its own transaction through engine/wallet/ledger.debit (the wallet row locked
FOR UPDATE, the balance recomputed, InsufficientFunds when it would go below zero). Exactly N must
succeed and E be refused, leaving 0.00. While the debits run, a sampler thread reads the balance
in its own transactions; afterwards every running prefix of the ledger ordered by id is summed.
"balance_exact": the final balance is 0.00, equals the sum of the entries recomputed in Python,
and N succeeded / E were refused; "negative_seen": any sample or prefix below zero.

"authz_walk_s": the wall time of ``bench/authz_walk.run_walk()`` (written by the portal-security
work) when that file exists; else null. The last line printed is one JSON object."""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":  # run as a script: bench/ would shadow the top-level ``engine`` package
    _HERE = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
    sys.path.insert(len([p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]), os.path.dirname(_HERE))

import argparse
import datetime as dt
import importlib
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

import engine.models  # noqa: F401 - every table
from bench.common import BenchError, recreate_database
from engine.db import Base, Database
from engine.parties.models import Organisation
from engine.wallet import ledger
from engine.wallet.errors import InsufficientFunds
from engine.wallet.models import EntryKind, WalletEntry

ROOT = Path(__file__).resolve().parent.parent
DOCS_PATH = ROOT / "docs" / "benchmarks.md"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/guichet_bench_wallet"
UNIT = Decimal("1.00")


@dataclass(frozen=True)
class Scale:
    debits: int
    extra: int
    threads: int = 8


SCALES = {"small": Scale(200, 20), "full": Scale(1000, 50)}


@dataclass
class Results:
    scale: str
    debits: int  # successful debits
    refused: int
    attempts: int
    threads: int
    final_balance: Decimal
    ledger_sum: Decimal
    min_sample: Decimal
    samples: int
    min_prefix: Decimal
    debit_s: float
    debit_ms: list[float] = field(default_factory=list)
    authz_walk_s: float | None = None
    authz_note: str = ""
    expected_debits: int = 0

    @property
    def balance_exact(self) -> bool:
        return (self.final_balance == self.ledger_sum == Decimal("0.00") and self.debits == self.expected_debits
                and self.refused == self.attempts - self.expected_debits)

    @property
    def negative_seen(self) -> bool:
        return self.min_sample < 0 or self.min_prefix < 0

    def figures(self) -> dict[str, Any]:
        return {"debits": self.debits, "balance_exact": self.balance_exact, "negative_seen": self.negative_seen,
                "authz_walk_s": None if self.authz_walk_s is None else round(self.authz_walk_s, 2)}


def pg_url() -> str:
    return os.environ.get("GUICHET_BENCH_WALLET_PG_URL", DEFAULT_PG_URL)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p * (len(ordered) - 1))))] if ordered else 0.0


def timed_walk() -> tuple[float | None, str]:
    """The authorisation walk's wall time, or None with the reason when bench/authz_walk.py is absent."""
    if not (ROOT / "bench" / "authz_walk.py").exists():
        return None, "bench/authz_walk.py does not exist: authz_walk_s is null"
    module = importlib.import_module("bench.authz_walk")
    started = time.perf_counter()
    result = module.run_walk()
    elapsed = time.perf_counter() - started
    return elapsed, f"bench/authz_walk.run_walk() on SQLite: {getattr(result, 'requests', '?')} requests"


def run(scale: Scale, name: str, *, url: str | None = None, walk: bool = True,
        log: Any = lambda _msg: None) -> Results:
    url = url or pg_url()
    recreate_database(url, "GUICHET_BENCH_WALLET_PG_URL")
    db = Database(url, pool_size=scale.threads + 4, max_overflow=4)
    try:
        Base.metadata.create_all(db.engine)
        with db.transaction() as session:
            organisation = Organisation(name="Bench Syndic SRL")
            session.add(organisation)
            session.flush()
            wallet_id = ledger.wallet_for(session, organisation.id).id
            for n in range(scale.debits):
                ledger.credit(session, wallet_id, UNIT, kind=EntryKind.CORRECTION, reference=f"credit-{n}")
        log(f"wallet {wallet_id} credited {scale.debits} x {UNIT} EUR; "
            f"{scale.debits + scale.extra} debits from {scale.threads} threads…")

        stop = threading.Event()
        samples: list[Decimal] = []

        def sample() -> None:
            while not stop.is_set():
                with db.transaction() as session:
                    samples.append(ledger.balance(session, wallet_id))
                time.sleep(0.002)

        def debit(n: int) -> tuple[bool, float]:
            started = time.perf_counter()
            try:
                with db.transaction() as session:
                    ledger.debit(session, wallet_id, UNIT, product="bench", reference=f"debit-{n}")
                ok = True
            except InsufficientFunds:
                ok = False
            return ok, (time.perf_counter() - started) * 1000

        sampler = threading.Thread(target=sample, name="balance-sampler", daemon=True)
        sampler.start()
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=scale.threads) as pool:
            outcomes = list(pool.map(debit, range(scale.debits + scale.extra)))
        debit_s = time.perf_counter() - started
        stop.set()
        sampler.join(timeout=10)

        with db.transaction() as session:
            final = ledger.balance(session, wallet_id)
            amounts = [Decimal(str(a)) for a in session.scalars(
                select(WalletEntry.amount).where(WalletEntry.wallet_id == wallet_id).order_by(WalletEntry.id))]
        running, min_prefix = Decimal("0.00"), Decimal("0.00")
        for amount in amounts:
            running += amount
            min_prefix = min(min_prefix, running)
        results = Results(name, sum(1 for ok, _ms in outcomes if ok), sum(1 for ok, _ms in outcomes if not ok),
                          len(outcomes), scale.threads, final, sum(amounts, Decimal("0.00")),
                          min(samples) if samples else Decimal("0.00"), len(samples), min_prefix, debit_s,
                          [ms for _ok, ms in outcomes], expected_debits=scale.debits)
    finally:
        db.dispose()
    if walk:
        log("authorisation walk…")
        results.authz_walk_s, results.authz_note = timed_walk()
    else:
        results.authz_note = "walk not run (--no-walk)"
    return results


def summary_lines(res: Results) -> list[str]:
    walk = f"{res.authz_walk_s:.2f} s" if res.authz_walk_s is not None else "null"
    return [
        f"wallet debits ({res.scale}): {res.debits} succeeded, {res.refused} refused of {res.attempts} attempts "
        f"from {res.threads} threads in {res.debit_s:.2f} s (p50 {_percentile(res.debit_ms, 0.5):.1f} ms, "
        f"p95 {_percentile(res.debit_ms, 0.95):.1f} ms per debit)",
        f"  final balance {res.final_balance} EUR, ledger sum {res.ledger_sum} EUR, exact: {res.balance_exact}",
        f"  lowest balance sampled {res.min_sample} EUR over {res.samples} samples, lowest running prefix "
        f"{res.min_prefix} EUR: negative seen: {res.negative_seen}",
        f"  authorisation walk: {walk} "
        f"({res.authz_note})",
    ]


def docs_section(res: Results) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    walk = f"{res.authz_walk_s:.2f}" if res.authz_walk_s is not None else "null"
    walk_pass = "pass" if res.authz_walk_s is not None and res.authz_walk_s < 60 else "n/a"
    return "\n".join([
        "", f"## {now} — wallet, bench/wallet.py, {res.attempts} concurrent debits (scale {res.scale})", "",
        "| figure | value | target | result |", "|---|---|---|---|",
        f"| debits (succeeded) | {res.debits} | {res.expected_debits} | "
        f"{'pass' if res.debits == res.expected_debits else 'FAIL'} |",
        f"| balance_exact | {str(res.balance_exact).lower()} | true | {'pass' if res.balance_exact else 'FAIL'} |",
        f"| negative_seen | {str(res.negative_seen).lower()} | false | {'pass' if not res.negative_seen else 'FAIL'} |",
        f"| authz_walk_s | {walk} | < 60 s | {walk_pass} |", "",
        f"- What: the wallet credited {res.expected_debits} x 1.00 EUR, then {res.attempts} debits of 1.00 EUR from "
        f"{res.threads} threads, each its own transaction through engine/wallet/ledger.debit (wallet row FOR UPDATE); "
        f"{res.refused} refused with InsufficientFunds. {res.debit_s:.2f} s in all; per debit p50 "
        f"{_percentile(res.debit_ms, 0.5):.1f} ms, p95 {_percentile(res.debit_ms, 0.95):.1f} ms.",
        f"- Checks: final balance {res.final_balance} EUR = ledger sum {res.ledger_sum} EUR; {res.samples} balance "
        f"samples read concurrently, lowest {res.min_sample} EUR; lowest running prefix of the ledger by id "
        f"{res.min_prefix} EUR.",
        f"- Authorisation walk: {res.authz_note}.",
        f"- JSON: `{json.dumps(res.figures())}`.", ""])


def write_docs(res: Results, path: Path = DOCS_PATH) -> None:
    with path.open("a") as fh:
        fh.write(docs_section(res))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--walk", action=argparse.BooleanOptionalAction, default=True,
                        help="time bench/authz_walk.run_walk() (default: yes)")
    parser.add_argument("--docs", action=argparse.BooleanOptionalAction, default=None,
                        help="append a section to docs/benchmarks.md (default: unless --scale small)")
    args = parser.parse_args(argv)
    if args.docs is None:
        args.docs = args.scale != "small"
    progress = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    try:
        res = run(SCALES[args.scale], args.scale, walk=args.walk, log=progress)
    except BenchError as exc:
        print(f"bench/wallet.py: {exc}", file=sys.stderr)
        return 2
    for line in summary_lines(res):
        print(line)
    if args.docs:
        write_docs(res)
        print(f"  appended to {DOCS_PATH.relative_to(ROOT)}")
    print(json.dumps(res.figures()))
    return 0 if res.balance_exact and not res.negative_seen else 1


if __name__ == "__main__":
    sys.exit(main())
