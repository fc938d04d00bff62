"""Benchmark of the case-worker workspace on a large PostgreSQL database (issue 4 §9).

    .venv/bin/python bench/workspace.py [--scale tiny|small|mid|full] [--samples N] [--reuse] [--explain]
                                        [--docs|--no-docs]

``full`` is the recorded figure: 1,000,000 dossiers, 200,000 open human tasks, 500,000 e-mails,
300 case workers, an intake of 10,000 messages. ``small`` (~10,000 dossiers, under a minute) and
``mid`` (100,000) are quicker runs of the same code, ``tiny`` the test's smoke run.

1. Dossiers through bench/dossiers.py (its functions, imported): the database
   ``guichet_bench_workspace`` (GUICHET_BENCH_WORKSPACE_PG_URL) is dropped and created, templates
   are driven through the real engine and the dossiers written with COPY.
2. The workspace on top, with the indexes of ``human_tasks``, ``mails`` and ``mail_attachments``
   dropped during the load and created again after it (bench/dossiers.py's helpers; the schema is
   then checked identical to ``create_all``): the seed queues (``seed_queues``), the case workers
   (COPY), their queue memberships (each in 1-3 queues, the measured worker in ``frontdesk`` and
   ``energy``); the open human tasks brought to exactly the scale's number (extra ones are open
   tasks copied on the same instance, a surplus is cancelled), spread over the seed queues and the
   members of each queue, due dates with ~15 % overdue (the past tasks, all done by the templates'
   one worker, spread over the workers); the e-mails (COPY): ~40 % linked to a
   dossier, ~15 % of those written by Guichet (direction ``out``), a few in 5 with attachments
   (rows only; no blob contents), spread over the queues and their members, the older ones mostly
   closed. VACUUM ANALYZE at the end, as autovacuum would have done by then.
3. Pages through Flask's test client on an app built like production, signed in as a case worker
   (bench/dossiers.py ``signed_in_client`` / ``timed_get``), interleaved after a warm-up: ``GET
   /tasks/`` (my tasks), ``GET /queues/frontdesk`` and ``/queues/energy``, ``GET /views/dossiers``
   with two filters (type, created after a date) sorted on ``title``, and with ``q=*<text>``; then
   walks that follow ``<a rel="next">`` from page 1 and time page 50. Wall time of the request in
   this process (Flask, SQLAlchemy, PostgreSQL; no network, no browser), SQL statements per
   request and the slowest statements. A page whose URL answers 404 is reported missing (null in
   the JSON), one that fails otherwise as an error (null too, with the status) — never a number.
4. Mail intake: 10,000 realistic .eml files (some with attachments, some replies carrying a
   dossier number in the subject or an In-Reply-To of a stored mail) in a Maildir, read by
   ``guichet mail fetch`` run as a separate command into the loaded database; the whole command
   is timed. The stored messages are deleted afterwards so that ``--reuse`` finds the same data.

``--reuse`` measures again on the database a previous run generated (its scale is read from the
database comment; tables, indexes and constraints the code added since are created, a new column
needs a new generation). A section is appended to docs/benchmarks.md at scale full (``--docs`` /
``--no-docs`` to choose). The last line of stdout is one JSON object:
``{"my_tasks_ms_p95", "queue_ms_p95", "view_two_filters_ms_p95", "view_page50_ms_p95",
"star_search_ms_p95", "mail_intake_10k_s"}``; ``queue_ms_p95`` is the worse of the two queue
pages; below 10,000 messages ``mail_intake_10k_s`` is extrapolated from the measured intake (the
start-up of the command, measured on an empty Maildir, plus the per-message time x 10,000).
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":  # run as a script: bench/ would shadow the top-level ``engine`` package
    _HERE = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
    sys.path.insert(len([p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]), os.path.dirname(_HERE))

import argparse
import datetime as dt
import json
import mailbox
import random
import re
import statistics
import subprocess
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin

import psycopg
from sqlalchemy import Table, create_engine, func, inspect, select
from sqlalchemy.engine import make_url

from bench import dossiers as bd
from engine.db import Base, Database
from engine.mail.models import CENTRAL_QUEUE
from engine.queues.commands import seed_queues
from engine.queues.models import Queue

ROOT = bd.ROOT
DOCS_PATH = bd.DOCS_PATH
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/guichet_bench_workspace"
GUICHET = Path(sys.executable).parent / "guichet"
FETCH_TIMEOUT_S = 1800

TARGETS = {  # figure -> (limit, shown)
    "my_tasks_ms_p95": (100.0, "< 100 ms"),
    "queue_ms_p95": (100.0, "< 100 ms"),
    "view_two_filters_ms_p95": (100.0, "< 100 ms"),
    "view_page50_ms_p95": (100.0, "< 100 ms"),
    "star_search_ms_p95": (100.0, "< 100 ms"),
    "mail_intake_10k_s": (60.0, "< 60 s"),
}


@dataclass(frozen=True)
class Scale:
    dossiers: int
    open_tasks: int
    mails: int
    workers: int
    intake: int  # messages read by the timed ``guichet mail fetch``
    samples: int  # measured requests per page (after the warm-up)
    warmup: int
    walks: int  # walks from page 1 to page 50
    page50_repeats: int  # requests of page 50 per walk
    chunk: int = 20_000


SCALES = {
    "tiny": Scale(dossiers=60, open_tasks=12, mails=80, workers=4, intake=12, samples=3, warmup=1, walks=1,
                  page50_repeats=2, chunk=20),
    "small": Scale(dossiers=10_000, open_tasks=2_000, mails=5_000, workers=30, intake=1_000, samples=100,
                   warmup=10, walks=3, page50_repeats=10),
    "mid": Scale(dossiers=100_000, open_tasks=20_000, mails=50_000, workers=100, intake=2_000, samples=100,
                 warmup=10, walks=5, page50_repeats=10),
    "full": Scale(dossiers=1_000_000, open_tasks=200_000, mails=500_000, workers=300, intake=10_000, samples=200,
                  warmup=20, walks=10, page50_repeats=20),
}

# Share of the open tasks and of the e-mails per queue (codes of SEED_QUEUES).
QUEUE_WEIGHTS = {"frontdesk": 20, "energy": 20, "housing": 12, "apartments": 8, "neighbourhood_renovation": 6,
                 "adaptation": 6, "loans": 10, "coaches": 10, "premiums": 8}
MEASURED_QUEUES = ("frontdesk", "energy")  # the measured case worker's queues
OVERDUE_SHARE = 0.15
ASSIGNED_TASK_SHARE = 0.55
LINKED_MAIL_SHARE = 0.40
OUTGOING_OF_LINKED = 0.15
ATTACHMENT_SHARE = 0.18
INBOX = "woon-en-energieloket@mechelen.be"
GUICHET_FROM = "woon-en-energieloket@guichet.local"

SUBJECTS = [
    "Question prime isolation toiture", "Demande de conseil rénovation", "Prêt rénovation: documents",
    "Rendez-vous visite énergétique", "Pompe à chaleur et primes", "Audit énergétique appartement",
    "Vraag over dakisolatie premie", "Aanvraag renovatieadvies", "Energielening: documenten",
    "Afspraak energiescan", "Warmtepomp en premies", "Vraag over zonnepanelen", "Gevelrenovatie mede-eigendom",
    "Groendak en regenwaterput", "Ontharding voortuin", "Renovatiebegeleiding appartementsgebouw",
]
BODIES = [
    "Bonjour,\n\nNous habitons {street} et souhaitons isoler la toiture de notre maison. Pouvez-vous nous dire "
    "quelles primes existent et quels documents il faut joindre ? Nous avons déjà un devis d'un entrepreneur.\n\n"
    "Merci d'avance,\n{name}",
    "Goedendag,\n\nIk woon in de {street} en wil graag advies over de renovatie van mijn rijwoning (dak, ramen en "
    "verwarming). Kan iemand van het loket langskomen voor een energiescan? Ik ben meestal thuis na 16 uur.\n\n"
    "Met vriendelijke groeten,\n{name}",
    "Beste,\n\nIn bijlage vindt u de offerte voor de warmtepomp en de facturen van de isolatiewerken. Graag had ik "
    "geweten of mijn aanvraag voor de premie nu volledig is.\n\nAlvast bedankt,\n{name}\n{street}",
    "Madame, Monsieur,\n\nJe suis syndic bénévole de la copropriété au {street}. L'assemblée générale souhaite "
    "un accompagnement pour la rénovation de la façade et des châssis. Comment procéder ?\n\nCordialement,\n{name}",
    "Hallo,\n\nWij willen onze voortuin ontharden en een regenwaterput plaatsen. Komen wij in aanmerking voor een "
    "tegeltuin-premie of ondersteuning van de stad? Hoe vraag ik dat aan?\n\nGroeten,\n{name}",
]
REPLY_BODY = ("Beste {name},\n\nHartelijk dank voor uw bericht. Uw dossier {number} is in behandeling; u vindt de "
              "volgende stappen in bijlage.\n\nMet vriendelijke groeten,\nWoon- en Energieloket Mechelen")
STREETS = ["Bruul 12", "Grote Markt 3", "Ijzerenleen 45", "Hoogstraat 101", "Nekkerspoel 8", "Adegemstraat 27",
           "Onze-Lieve-Vrouwestraat 64", "Brusselsesteenweg 210", "Veemarkt 17", "Zandpoortvest 5"]
ATTACHMENTS = [("offerte.pdf", "application/pdf"), ("factuur.pdf", "application/pdf"), ("EPC.pdf", "application/pdf"),
               ("foto_dak.jpg", "image/jpeg"), ("plan.pdf", "application/pdf"), ("identiteitskaart.png", "image/png")]
MAGIC = {"application/pdf": b"%PDF-1.4\n", "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
         "image/png": b"\x89PNG\r\n\x1a\n"}
SEARCH_WORDS = ["glazing", "insulation", "heat pu", "renovation", "solar", "rainwater", "janss", "amrani", "smet",
                "willems", "dubo", "peeter"]


def pg_url() -> str:
    return os.environ.get("GUICHET_BENCH_WORKSPACE_PG_URL", DEFAULT_PG_URL)


# --------------------------------------------------------------------------- COPY helpers


def copy_columns(table: Table, written: Sequence[str]) -> tuple[list[str], str]:
    """The columns of a COPY into ``table`` and the text appended to every line for the columns
    the benchmark does not write itself (another part may add columns while the benchmark stays
    the same): a scalar or callable Python default is written as its value; a column with a
    server default, or nullable, is left to the database; any other is an error naming it."""
    missing = [c for c in written if c not in table.c]
    if missing:
        raise bd.BenchError(f"table {table.name} has no column {', '.join(missing)}: update bench/workspace.py")
    extra_names: list[str] = []
    extra_values: list[str] = []
    for column in table.columns:
        if column.name in written or column.server_default is not None or column.nullable:
            continue
        default = column.default
        if default is None:
            raise bd.BenchError(f"{table.name}.{column.name} is NOT NULL without a default: "
                                "bench/workspace.py must write it")
        value = default.arg(None) if default.is_callable else default.arg
        extra_names.append(column.name)
        extra_values.append(bd.esc(json.dumps(value) if isinstance(value, dict | list) else value))
    suffix = "".join("\t" + v for v in extra_values)
    return [*written, *extra_names], suffix


def copy_statement(table: str, columns: Iterable[str]) -> str:
    return f"COPY {table} ({', '.join(chr(34) + c + chr(34) for c in columns)}) FROM STDIN"


def _hex(rng: random.Random, bits: int = 256) -> str:
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def _address(first: str, last: str, tag: int) -> str:
    """An ASCII mailbox for a person (``Inès De Smet`` -> ``ines.desmet.42@example.be``)."""
    local = unicodedata.normalize("NFKD", f"{first}.{last}".lower()).encode("ascii", "ignore").decode()
    return f"{local.replace(' ', '')}.{tag}@example.be"


def _ts(value: dt.datetime | None) -> str:
    return value.isoformat() if value is not None else "\\N"


# --------------------------------------------------------------------------- workspace load


@dataclass
class Population:
    """Who works where: the measured worker, every worker, the members of each queue."""

    user_id: int
    workers: list[int]
    members: dict[str, list[int]]
    queue_ids: dict[str, int]


@dataclass
class Loaded:
    population: Population
    steps: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    ready_before: int = 0  # open tasks the dossier templates gave, before the adjustment
    tasks_copied: int = 0
    tasks_cancelled: int = 0


def _pick(rng: random.Random, weights: dict[str, int]) -> Callable[[], str]:
    codes, cum = list(weights), []
    total = 0
    for w in weights.values():
        total += w
        cum.append(total)

    def pick() -> str:
        return rng.choices(codes, cum_weights=cum)[0]

    return pick


def add_people(conn: psycopg.Connection, services: Any, fixture: bd.Fixture, workers: int,
               rng: random.Random) -> Population:
    """Seed queues (through the engine's seed), ``workers`` case workers (COPY, the fixture's worker
    and coach among them) and their memberships; each queue gets a responsible member."""
    with services.db.transaction() as session:
        seed_queues(session)
        queue_ids = {code: qid for code, qid in session.execute(select(Queue.code, Queue.id))}
    users = Base.metadata.tables["users"]
    password_hash = conn.execute("SELECT password_hash FROM users WHERE id = %s", (fixture.user_id,)).fetchone()[0]
    next_id = conn.execute("SELECT max(id) + 1 FROM users").fetchone()[0]
    columns, suffix = copy_columns(users, ["id", "email", "name", "password_hash", "roles", "locale", "active",
                                           "created_at"])
    new_ids = list(range(next_id, next_id + max(0, workers - 2)))
    created = dt.datetime(2020, 1, 6, 8, tzinfo=dt.UTC).isoformat()
    with conn.cursor().copy(copy_statement("users", columns)) as copy:
        for uid in new_ids:
            first, last = rng.choice(bd.FIRST), rng.choice(bd.LAST)
            copy.write(f"{uid}\tworker{uid}@bench.test\t{first} {last}\t{bd.esc(password_hash)}\tcase_worker\t"
                       f"{'nl' if uid % 3 else 'fr'}\tt\t{created}{suffix}\n")
    everyone = [fixture.user_id, fixture.coach_id, *new_ids]
    pick_queue = _pick(rng, QUEUE_WEIGHTS)
    members: dict[str, list[int]] = {code: [] for code in queue_ids}
    for uid in everyone:
        mine = set(MEASURED_QUEUES) if uid == fixture.user_id else {pick_queue() for _ in range(rng.randint(1, 3))}
        for code in sorted(mine):
            members[code].append(uid)
    with conn.cursor().copy("COPY queue_members (queue_id, user_id) FROM STDIN") as copy:
        for code, uids in members.items():
            for uid in uids:
                copy.write(f"{queue_ids[code]}\t{uid}\n")
    for code, uids in members.items():
        if uids:
            conn.execute("UPDATE queues SET responsible_id = %s WHERE id = %s", (uids[0], queue_ids[code]))
    return Population(fixture.user_id, everyone, members, queue_ids)


def _assignee(rng: random.Random, pop: Population, queue: str) -> int:
    return rng.choice(pop.members.get(queue) or pop.workers)


def shape_open_tasks(conn: psycopg.Connection, pop: Population, target: int, now: dt.datetime,
                     rng: random.Random, loaded: Loaded) -> None:
    """Exactly ``target`` ready tasks: copies of ready tasks on their own instance when the
    templates gave fewer, the surplus cancelled; then each ready task gets a seed queue, an
    assignee (a member of that queue) for ~55 %, and a due date, ~15 % of them past. The completed
    and cancelled tasks are spread over the workers too."""
    ready = [r for (r,) in conn.execute("SELECT id FROM human_tasks WHERE state = 'ready' ORDER BY id")]
    loaded.ready_before = len(ready)
    if not ready and target:
        raise bd.BenchError("the dossier templates gave no open human task to start from")
    if len(ready) < target:
        picks = [rng.choice(ready) for _ in range(target - len(ready))]
        table = Base.metadata.tables["human_tasks"]
        cols = [c.name for c in table.columns if c.name not in ("id", "task_guid")]
        conn.execute(
            f"INSERT INTO human_tasks (task_guid, {', '.join(cols)}) "
            f"SELECT gen_random_uuid()::text, {', '.join('h.' + c for c in cols)} "
            "FROM unnest(%s::int[]) AS pick(id) JOIN human_tasks h ON h.id = pick.id", (picks,))
        loaded.tasks_copied = len(picks)
        ready = [r for (r,) in conn.execute("SELECT id FROM human_tasks WHERE state = 'ready' ORDER BY id")]
    cancelled = set(rng.sample(ready, len(ready) - target)) if len(ready) > target else set()
    loaded.tasks_cancelled = len(cancelled)
    pick_queue = _pick(rng, QUEUE_WEIGHTS)
    conn.execute("CREATE TEMP TABLE bench_task_plan (id int, state text, queue text, assignee_id int, "
                 "due_at timestamptz, claimed_at timestamptz, completed_at timestamptz)")
    with conn.cursor().copy("COPY bench_task_plan FROM STDIN") as copy:
        lines = []
        for task_id in ready:
            if task_id in cancelled:
                lines.append(f"{task_id}\tcancelled\t\\N\t\\N\t\\N\t\\N\t{now.isoformat()}\n")
                continue
            queue = pick_queue()
            if rng.random() < OVERDUE_SHARE:
                due = now - dt.timedelta(days=rng.uniform(0.5, 60))
            else:
                due = now + dt.timedelta(days=rng.uniform(0.5, 45))
            assigned = rng.random() < ASSIGNED_TASK_SHARE
            assignee = str(_assignee(rng, pop, queue)) if assigned else "\\N"
            claimed = _ts(now - dt.timedelta(days=rng.uniform(0, 20))) if assigned else "\\N"
            lines.append(f"{task_id}\tready\t{queue}\t{assignee}\t{due.isoformat()}\t{claimed}\t\\N\n")
            if len(lines) >= 10_000:
                copy.write("".join(lines))
                lines.clear()
        copy.write("".join(lines))
    conn.execute("UPDATE human_tasks h SET state = p.state, queue = coalesce(p.queue, h.queue), "
                 "assignee_id = p.assignee_id, claimed_by_id = p.assignee_id, claimed_at = p.claimed_at, "
                 "due_at = coalesce(p.due_at, h.due_at), completed_at = p.completed_at "
                 "FROM bench_task_plan p WHERE h.id = p.id")
    conn.execute("DROP TABLE bench_task_plan")
    # the dossier templates were all driven by one person: spread who did the past tasks over the
    # workers, or the planner would believe the measured worker holds most tasks
    conn.execute("UPDATE human_tasks SET "
                 "assignee_id = CASE WHEN assignee_id IS NULL THEN NULL ELSE (%(w)s::int[])[1 + mod(id, %(n)s)] END, "
                 "completed_by_id = CASE WHEN completed_by_id IS NULL THEN NULL "
                 "ELSE (%(w)s::int[])[1 + mod(id, %(n)s)] END "
                 "WHERE state <> 'ready' AND (assignee_id IS NOT NULL OR completed_by_id IS NOT NULL)",
                 {"w": pop.workers, "n": len(pop.workers)})


MAIL_COLUMNS = ["id", "message_id", "direction", "subject", "sender", "sender_name", "recipients", "sent_at",
                "received_at", "body_text", "body_html", "in_reply_to", "references", "source", "raw_sha256",
                "queue", "assignee_id", "dossier_id", "linked_by_id", "linked_at", "closed_at", "lock_version"]
ATTACHMENT_COLUMNS = ["id", "mail_id", "name", "content_type", "size", "sha256"]


def write_mails(url: str, pop: Population, count: int, now: dt.datetime, rng: random.Random,
                log: Callable[[str], None]) -> dict[str, int]:
    """``count`` e-mails and their attachment rows, in time order, with two COPY streams side by side."""
    dsn = bd.libpq_dsn(url)
    with psycopg.connect(dsn, autocommit=True) as conn:
        dossiers = conn.execute("SELECT id, number FROM dossiers ORDER BY id").fetchall()
        first_mail = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM mails").fetchone()[0]
        first_att = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM mail_attachments").fetchone()[0]
    mail_cols, mail_suffix = copy_columns(Base.metadata.tables["mails"], MAIL_COLUMNS)
    att_cols, att_suffix = copy_columns(Base.metadata.tables["mail_attachments"], ATTACHMENT_COLUMNS)
    start = dt.datetime(2019, 1, 1, tzinfo=dt.UTC)
    span = (now - start).total_seconds()
    window = max(1, len(dossiers) // 50)
    pick_queue = _pick(rng, QUEUE_WEIGHTS)
    thematic = {k: v for k, v in QUEUE_WEIGHTS.items() if k != CENTRAL_QUEUE}
    pick_thematic = _pick(rng, thematic)
    recipients = bd.esc(json.dumps([INBOX]))
    out_from = bd.esc(GUICHET_FROM)
    bodies = [bd.esc(b) for b in BODIES]
    counts = {"mails": 0, "mail_attachments": 0, "linked": 0, "open": 0, "outgoing": 0}
    att_id = first_att
    with psycopg.connect(dsn) as mconn, psycopg.connect(dsn) as aconn:
        for c in (mconn, aconn):
            c.execute("SET synchronous_commit = off")
        with mconn.cursor().copy(copy_statement("mails", mail_cols)) as mcopy, \
                aconn.cursor().copy(copy_statement("mail_attachments", att_cols)) as acopy:
            mlines: list[str] = []
            alines: list[str] = []
            for k in range(count):
                mail_id = first_mail + k
                frac = k / count
                received = start + dt.timedelta(seconds=span * frac + rng.random() * 600)
                age_days = (now - received).days
                first, last = rng.choice(bd.FIRST), rng.choice(bd.LAST)
                citizen = _address(first, last, mail_id % 997)
                name = f"{first} {last}"
                subject = rng.choice(SUBJECTS)
                linked = rng.random() < LINKED_MAIL_SHARE
                dossier_id = number = None
                if linked:
                    idx = min(len(dossiers) - 1, max(0, int(frac * len(dossiers)) - rng.randint(0, window)))
                    dossier_id, number = dossiers[idx]
                outgoing = linked and rng.random() < OUTGOING_OF_LINKED
                is_open = not outgoing and rng.random() < (0.7 if age_days < 180 else 0.2)
                if outgoing:
                    queue = assignee = None
                    direction, source = "out", "compose"
                    message_id = f"guichet.{mail_id}.{_hex(rng, 48)}@guichet.local"
                    sender, sender_name, to = out_from, "Woon- en Energieloket", bd.esc(json.dumps([citizen]))
                    subject = f"Re: {subject} [{number}]"
                    body = bd.esc(REPLY_BODY.format(name=name, number=number))
                    reply_to = f"{mail_id - 1}.bench@example.be"
                else:
                    queue = (pick_thematic() if rng.random() < 0.8 else CENTRAL_QUEUE) if linked else (
                        CENTRAL_QUEUE if rng.random() < 0.55 else pick_queue())
                    share = (0.15 if queue == CENTRAL_QUEUE else 0.6) if is_open else 0.85
                    assignee = _assignee(rng, pop, queue) if rng.random() < share else None
                    direction, source = "in", "imap" if rng.random() < 0.3 else "maildir"
                    message_id = f"{mail_id}.{_hex(rng, 48)}@example.be"
                    sender, sender_name, to = bd.esc(citizen), bd.esc(name), recipients
                    if linked:
                        subject = f"Re: {number} - {subject}" if rng.random() < 0.7 else f"{subject} ({number})"
                    body = rng.choice(bodies).replace("{name}", name).replace("{street}", rng.choice(STREETS))
                    reply_to = f"guichet.{mail_id - 1}@guichet.local" if linked and rng.random() < 0.5 else None
                html = f"<p>{body}</p>" if not outgoing and rng.random() < 0.2 else "\\N"  # body is escaped
                linked_at = received + dt.timedelta(hours=rng.uniform(0.1, 72)) if linked else None
                linker = (assignee or rng.choice(pop.workers)) if linked else None
                closed = received + dt.timedelta(days=rng.uniform(0, 10)) if not is_open else None
                mlines.append(
                    f"{mail_id}\t{message_id}\t{direction}\t{bd.esc(subject)}\t{sender}\t{sender_name}\t{to}\t"
                    f"{_ts(received - dt.timedelta(minutes=rng.randint(1, 90)))}\t{received.isoformat()}\t{body}\t"
                    f"{html}\t{bd.esc(reply_to)}\t{bd.esc(reply_to)}\t{source}\t{_hex(rng)}\t{bd.esc(queue)}\t"
                    f"{bd.esc(assignee)}\t{bd.esc(dossier_id)}\t{bd.esc(linker)}\t{_ts(linked_at)}\t{_ts(closed)}\t"
                    f"1{mail_suffix}\n")
                counts["linked"] += linked
                counts["open"] += is_open
                counts["outgoing"] += outgoing
                if not outgoing and rng.random() < ATTACHMENT_SHARE:
                    for _ in range(rng.randint(1, 2)):
                        att_name, content_type = rng.choice(ATTACHMENTS)
                        alines.append(f"{att_id}\t{mail_id}\t{att_name}\t{content_type}\t"
                                      f"{rng.randint(20_000, 3_000_000)}\t{_hex(rng)}{att_suffix}\n")
                        att_id += 1
                if len(mlines) >= 5_000:
                    mcopy.write("".join(mlines))
                    acopy.write("".join(alines))
                    counts["mails"] += len(mlines)
                    counts["mail_attachments"] += len(alines)
                    mlines.clear()
                    alines.clear()
                    if counts["mails"] % 100_000 == 0:
                        log(f"  {counts['mails']:,} e-mails written")
            mcopy.write("".join(mlines))
            acopy.write("".join(alines))
            counts["mails"] += len(mlines)
            counts["mail_attachments"] += len(alines)
        mconn.commit()
        aconn.commit()
    return counts


def load_workspace(url: str, services: Any, fixture: bd.Fixture, scale: Scale, log: Callable[[str], None],
                   seed: int = 20261124) -> Loaded:
    """Step 2 of the module docstring; times each part."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    dsn = bd.libpq_dsn(url)
    steps: dict[str, float] = {}
    t0 = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        pop = add_people(conn, services, fixture, scale.workers, rng)
        loaded = Loaded(pop)
        steps["queues, workers, memberships"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        dropped = bd.drop_schema_objects(conn, bd.schema_objects(conn), {"human_tasks", "mails", "mail_attachments"})
        steps["drop indexes and constraints"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        shape_open_tasks(conn, pop, scale.open_tasks, now, rng, loaded)
        steps["tasks: open count, queues, assignees, due dates; past ones spread"] = time.perf_counter() - t0
    log(f"  {scale.open_tasks:,} open tasks (templates gave {loaded.ready_before:,}; {loaded.tasks_copied:,} copied, "
        f"{loaded.tasks_cancelled:,} cancelled); writing {scale.mails:,} e-mails…")
    t0 = time.perf_counter()
    loaded.rows = write_mails(url, pop, scale.mails, now, rng, log)
    steps["e-mails and attachments (COPY)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    bd.restore_schema_objects(url, dropped, log)
    steps["recreate keys, indexes, foreign keys"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in ("users", "human_tasks", "mails", "mail_attachments"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"(SELECT coalesce(max(id), 1) FROM {table}))")
        conn.execute("VACUUM (ANALYZE)")
    steps["sequences + VACUUM ANALYZE"] = time.perf_counter() - t0
    loaded.steps = steps
    return loaded


# --------------------------------------------------------------------------- the generated database


def save_meta(url: str, meta: dict[str, Any]) -> None:
    """What was generated, as the database's comment: ``--reuse`` reads it back."""
    name = make_url(url).database
    with psycopg.connect(bd.libpq_dsn(url), autocommit=True) as conn:
        conn.execute(f'COMMENT ON DATABASE "{name}" IS ' + "'" + json.dumps(meta).replace("'", "''") + "'")


def read_meta(url: str) -> dict[str, Any]:
    try:
        with psycopg.connect(bd.libpq_dsn(url), autocommit=True, connect_timeout=5) as conn:
            row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                               "WHERE datname = current_database()").fetchone()
    except psycopg.OperationalError as exc:
        raise bd.BenchError(f"cannot reuse {make_url(url).render_as_string(hide_password=True)}: "
                            f"{str(exc).strip()}") from exc
    try:
        meta = json.loads(row[0] or "")
    except ValueError:
        meta = None
    if not isinstance(meta, dict) or meta.get("bench") != "workspace":
        raise bd.BenchError("the database was not generated by bench/workspace.py; run it once without --reuse")
    return meta


def sync_schema(url: str, log: Callable[[str], None]) -> list[str]:
    """Bring a reused database to the schema of the code as it is now: tables that are new are
    created (empty), indexes and constraints ``create_all`` now makes are created, those it no
    longer makes dropped. A new column on an existing table has no data to fill it: that needs a
    new generation. Returns what changed."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            before = set(inspect(conn).get_table_names())
        Base.metadata.create_all(engine)
    finally:
        engine.dispose()
    changes = [f"created empty table {t}" for t in sorted(set(Base.metadata.tables) - before)]
    with psycopg.connect(bd.libpq_dsn(url), autocommit=True) as conn:
        present = set(conn.execute("SELECT table_name, column_name FROM information_schema.columns "
                                   "WHERE table_schema = 'public'").fetchall())
        new_columns = [f"{t.name}.{c.name}" for t in Base.metadata.sorted_tables for c in t.columns
                       if (t.name, c.name) not in present]
        if new_columns:
            raise bd.BenchError(f"columns added since the generation ({', '.join(new_columns[:5])}): "
                                "run bench/workspace.py without --reuse")
        loaded = set(bd.schema_objects(conn))
        expected = set(bd.expected_schema_objects(url))
        extra = sorted(loaded - expected, key=lambda o: o.name)
        bd.drop_objects(conn, extra)
    missing = sorted(expected - loaded, key=lambda o: o.name)
    if missing:
        bd.restore_schema_objects(url, missing, log)
    changes += [f"dropped {o.name}" for o in extra] + [f"created {o.name}" for o in missing]
    if changes:
        with psycopg.connect(bd.libpq_dsn(url), autocommit=True) as conn:
            conn.execute("ANALYZE")
        log("  schema brought up to date: " + "; ".join(changes))
    return changes


# --------------------------------------------------------------------------- pages


@dataclass
class Page:
    label: str
    figure: str | None  # the JSON figure it feeds
    example: str  # one of the URLs measured
    result: bd.PageResult
    status: str = "measured"  # or "missing: …" / "error: …"
    sizes: list[int] = field(default_factory=list)  # bytes of each measured response (rendering grows with it)

    @property
    def measured(self) -> bool:
        return self.status == "measured" and bool(self.result.ms)


class _NextLink(HTMLParser):
    """Finds ``<a rel="next" href="…">``."""

    def __init__(self) -> None:
        super().__init__()
        self.href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and self.href is None and "next" in (a.get("rel") or "").split() and a.get("href"):
            self.href = a["href"]


def next_href(html: str, current: str) -> str | None:
    parser = _NextLink()
    parser.feed(html)
    return urljoin(current, parser.href) if parser.href else None


def view_url(dossier_type: str, after: str) -> str:
    return "/views/dossiers?" + urlencode(
        [("f", f"type:eq:{dossier_type}"), ("f", f"created_at:after:{after}"), ("sort", "title")], safe=":")


VIEW_TYPES = ["advice", "information", "premiums", "requests_loans", "loan", "project_design", "execution"]
VIEW_DATES = ["2024-01-01", "2023-01-01", "2025-06-01", "2021-03-15"]


def search_terms(db: Database, rng: random.Random) -> list[str]:
    """Words of titles and names (many matches), and the year and sequence of four real dossier
    numbers spread over the table (``2024-00421``: a handful of matches)."""
    dossiers = Base.metadata.tables["dossiers"]
    with db.transaction() as session:
        lo, hi = session.execute(select(func.min(dossiers.c.id), func.max(dossiers.c.id))).one()
        picks = [rng.randint(lo, hi) for _ in range(4)] if lo is not None else []
        numbers = list(session.scalars(select(dossiers.c.number).where(dossiers.c.id.in_(picks))))
    return [*SEARCH_WORDS, *(n[4:14] for n in numbers)]


@dataclass
class PageRun:
    pages: dict[str, Page]
    deepest: list[int]  # per walk: the page reached (50 unless the list is shorter)
    terms: list[str]
    explains: dict[str, str] = field(default_factory=dict)
    statements: dict[str, list[str]] = field(default_factory=dict)  # page -> statements of one request


def measure_pages(services: Any, user_id: int, scale: Scale, samples: int, log: Callable[[str], None],
                  seed: int = 11) -> PageRun:
    client = bd.signed_in_client(services, user_id)
    db = services.db
    rng = random.Random(seed)
    terms = search_terms(db, rng)

    def two_filters(i: int) -> str:
        return view_url("advice", "2024-01-01") if i == 0 else view_url(
            VIEW_TYPES[i % len(VIEW_TYPES)], VIEW_DATES[(i // len(VIEW_TYPES)) % len(VIEW_DATES)])

    urls: dict[str, Callable[[int], str]] = {
        "my_tasks": lambda i: "/tasks/",
        "queue_frontdesk": lambda i: f"/queues/{CENTRAL_QUEUE}",
        "queue_energy": lambda i: "/queues/energy",
        "view_two_filters": two_filters,
        "star_search": lambda i: "/views/dossiers?" + urlencode({"q": "*" + terms[i % len(terms)]}, safe="*"),
    }
    pages = {
        "my_tasks": Page("my tasks", "my_tasks_ms_p95", urls["my_tasks"](0), bd.PageResult("my tasks")),
        "queue_frontdesk": Page("queue page, central inbox", "queue_ms_p95", urls["queue_frontdesk"](0),
                                bd.PageResult("queue frontdesk")),
        "queue_energy": Page("queue page, energy", "queue_ms_p95", urls["queue_energy"](0),
                             bd.PageResult("queue energy")),
        "view_two_filters": Page("view, two filters, sorted on title", "view_two_filters_ms_p95",
                                 urls["view_two_filters"](0), bd.PageResult("view two filters")),
        "star_search": Page("view, * search over all columns", "star_search_ms_p95", urls["star_search"](0),
                            bd.PageResult("star search")),
        "view_page50": Page("view, page 50 (keyset)", "view_page50_ms_p95", view_url("advice", "2024-01-01"),
                            bd.PageResult("view page 50")),
        "view_walk": Page("view, pages 2-49 on the way", None, view_url("advice", "2024-01-01"),
                          bd.PageResult("view walk")),
    }
    listed: dict[str, list[str]] = {}

    def get(key: str, path: str, record: bool) -> Any:
        page = pages[key]
        try:  # the app is built for tests: an exception in a view reaches here instead of a 500
            response, ms, records = bd.timed_get(client, db, path)
        except Exception as exc:
            page.status = f"error: GET {path} → {type(exc).__name__}: {str(exc).strip()[:200]}"
            return None
        if response.status_code != 200:
            page.status = f"error: GET {path} → HTTP {response.status_code}"
            return None
        if record:
            page.result.add(ms, records)
            page.sizes.append(len(response.data))
            listed.setdefault(page.label, [bd._shape(r[0]) for r in records])
        return response

    for key, url in urls.items():  # a URL that does not exist yet is missing, not an error
        response = get(key, url(0), record=False)
        if response is None and pages[key].status.endswith("→ HTTP 404"):
            pages[key].status = pages[key].status.replace("error:", "missing:", 1)
    live = [k for k in urls if pages[k].status == "measured"]
    log(f"(4) pages: measuring {', '.join(live) or 'nothing'}"
        + "".join(f"; {p.label} {p.status}" for p in pages.values() if p.status != "measured"))
    for i in range(scale.warmup):
        for key in live:
            get(key, urls[key](i), record=False)
    for i in range(samples):  # interleaved, so that load from elsewhere hits every page alike
        for key in live:
            if pages[key].status == "measured":
                get(key, urls[key](i), record=True)

    deepest: list[int] = []
    view_status = pages["view_two_filters"].status
    if view_status != "measured":
        for key in ("view_page50", "view_walk"):
            pages[key].status = view_status
    else:
        for w in range(scale.walks):
            path = view_url(VIEW_TYPES[w % 3], VIEW_DATES[w % len(VIEW_DATES)])
            number = 1
            while number < 50:
                response = get("view_walk", path, record=number > 1)
                if response is None:
                    break
                nxt = next_href(response.get_data(as_text=True), path)
                if nxt is None:
                    break
                path, number = nxt, number + 1
            if pages["view_walk"].status != "measured":
                pages["view_page50"].status = pages["view_walk"].status
                break
            deepest.append(number)
            for _ in range(scale.page50_repeats):
                get("view_page50", path, record=True)
    run = PageRun(pages, deepest, terms)
    measured = [p.result for p in pages.values() if p.measured]
    run.explains = bd.explain_slowest(db, measured)
    run.statements = listed
    return run


# --------------------------------------------------------------------------- mail intake


@dataclass
class Intake:
    messages: int
    status: str = "measured"  # or "missing: …" / "error: …"
    seconds: float | None = None
    startup_s: float | None = None  # the same command on an empty Maildir
    stored: int = 0
    linked: int = 0
    attachments: int = 0
    left_in_new: int = 0
    output: str = ""

    @property
    def per_10k(self) -> float | None:
        if self.status != "measured" or self.seconds is None or not self.messages:
            return None
        if self.messages == 10_000:
            return self.seconds
        base = self.startup_s or 0.0  # a tiny intake can finish quicker than the empty run: noise, not < 0
        return base + max(self.seconds - base, 0.0) * 10_000 / self.messages


def write_maildir(path: Path, count: int, replies_to: list[str], numbers: list[str], rng: random.Random) -> int:
    """``count`` realistic messages in a new Maildir; returns how many carry attachments."""
    mailbox.Maildir(str(path), create=True)  # new/ cur/ tmp/
    with_attachments = 0
    stamp = int(time.time())
    now = dt.datetime.now(dt.UTC)
    for k in range(count):
        first, last = rng.choice(bd.FIRST), rng.choice(bd.LAST)
        name = f"{first} {last}"
        msg = EmailMessage()
        msg["From"] = formataddr((name, _address(first, last, k)))
        msg["To"] = INBOX
        msg["Date"] = format_datetime(now - dt.timedelta(minutes=count - k))
        msg["Message-ID"] = f"<intake.{k}.{_hex(rng, 64)}@example.be>"
        subject = rng.choice(SUBJECTS)
        kind = rng.random()
        if kind < 0.2 and numbers:
            subject = f"Re: {rng.choice(numbers)} - {subject}"
        elif kind < 0.3 and replies_to:
            parent = rng.choice(replies_to)
            msg["In-Reply-To"] = f"<{parent}>"
            msg["References"] = f"<{parent}>"
            subject = f"Re: {subject}"
        msg["Subject"] = subject
        body = rng.choice(BODIES).format(name=name, street=rng.choice(STREETS))
        msg.set_content(body)
        if rng.random() < 0.3:
            msg.add_alternative(f"<html><body><p>{body.replace(chr(10), '<br>')}</p></body></html>", subtype="html")
        if rng.random() < 0.15:
            with_attachments += 1
            for _ in range(rng.randint(1, 2)):
                att_name, content_type = rng.choice(ATTACHMENTS)
                maintype, subtype = content_type.split("/")
                content = MAGIC[content_type] + rng.randbytes(rng.randint(10_000, 60_000))
                msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=att_name)
        # as a delivery agent does: written in tmp/, renamed into new/ (no fsync: not what is measured)
        name = f"{stamp}.M{k}P{os.getpid()}.bench"
        (path / "tmp" / name).write_bytes(msg.as_bytes())
        os.rename(path / "tmp" / name, path / "new" / name)
    return with_attachments


def _fetch(url: str, workdir: Path, maildir: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**os.environ, "GUICHET_DATABASE_URL": url, "GUICHET_MAIL_SOURCE": "maildir",
           "GUICHET_MAIL_MAILDIR": str(maildir), "GUICHET_INSTANCE_PATH": str(workdir / "instance"),
           "GUICHET_SECRET_KEY": "bench-secret-key-not-for-production", "GUICHET_BROKER_URL": "memory://"}
    t0 = time.perf_counter()
    command = [str(GUICHET), "mail", "fetch"]
    try:
        proc = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=FETCH_TIMEOUT_S,
                              check=False)
    except subprocess.TimeoutExpired:
        proc = subprocess.CompletedProcess(command, -1, "", f"TimeoutExpired: no end after {FETCH_TIMEOUT_S} s")
    return proc, time.perf_counter() - t0


def _tail(text: str, lines: int = 3) -> str:
    """The exception line of a traceback, else the last lines of ``text``."""
    found = [line for line in text.splitlines() if re.match(r"^[\w.]+(Error|Exception|Exit)\b", line)]
    return found[-1].strip() if found else " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def run_intake(url: str, workdir: Path, count: int, log: Callable[[str], None], seed: int = 5) -> Intake:
    """Time ``guichet mail fetch`` on ``count`` new messages; delete what it stored afterwards."""
    intake = Intake(count)
    rng = random.Random(seed)
    empty = workdir / "maildir-empty"
    mailbox.Maildir(str(empty), create=True)
    proc, seconds = _fetch(url, workdir, empty)
    if proc.returncode != 0:
        problem = _tail(proc.stderr or proc.stdout)
        intake.status = (f"missing: `guichet mail fetch` → {problem}" if "No such command" in problem
                         else f"error: `guichet mail fetch` (empty Maildir) exit {proc.returncode}: {problem}")
        return intake
    intake.startup_s = seconds
    dsn = bd.libpq_dsn(url)
    with psycopg.connect(dsn, autocommit=True) as conn:
        replies_to = [m for (m,) in conn.execute(
            "SELECT message_id FROM mails WHERE direction = 'out' AND dossier_id IS NOT NULL "
            "ORDER BY id DESC LIMIT 2000")]
        numbers = [n for (n,) in conn.execute("SELECT number FROM dossiers ORDER BY id DESC LIMIT 5000")]
        before = conn.execute("SELECT coalesce(max(id), 0) FROM mails").fetchone()[0]
    maildir = workdir / "maildir"
    t0 = time.perf_counter()
    write_maildir(maildir, count, replies_to, numbers, rng)
    log(f"(5) intake: {count:,} messages written to a Maildir ({time.perf_counter() - t0:.1f} s); "
        f"`guichet mail fetch` on an empty Maildir took {seconds:.1f} s; fetching…")
    proc, seconds = _fetch(url, workdir, maildir)
    intake.output = _tail(proc.stdout, 2)
    intake.left_in_new = len(list((maildir / "new").iterdir()))
    if proc.returncode != 0:
        intake.status = f"error: `guichet mail fetch` exit {proc.returncode}: {_tail(proc.stderr or proc.stdout)}"
    else:
        intake.seconds = seconds
    with psycopg.connect(dsn, autocommit=True) as conn:
        intake.stored, intake.linked = conn.execute(
            "SELECT count(*), count(dossier_id) FROM mails WHERE id > %s", (before,)).fetchone()
        intake.attachments = conn.execute(
            "SELECT count(*) FROM mail_attachments WHERE mail_id > %s", (before,)).fetchone()[0]
        if intake.status == "measured" and intake.stored < count:
            intake.status = f"error: {count:,} messages given, {intake.stored:,} stored ({intake.output})"
        try:
            with conn.transaction():
                conn.execute("DELETE FROM mails WHERE id > %s", (before,))
        except psycopg.Error as exc:  # another part now points at mails: keep them, say so
            log(f"  the intake's mails were kept (delete refused: {str(exc).strip().splitlines()[0]})")
    return intake


# --------------------------------------------------------------------------- report


@dataclass
class Results:
    scale: str
    sizes: Scale
    meta: dict[str, Any]  # what was generated (also the database comment)
    reused: bool
    counts: dict[str, int]
    db_size: str
    run: PageRun
    intake: Intake
    machine: dict[str, str]

    def figure(self, *keys: str) -> float | None:
        values = [self.run.pages[k].result.p95 for k in keys if self.run.pages[k].measured]
        return round(max(values), 2) if values else None

    def figures(self) -> dict[str, float | None]:
        per_10k = self.intake.per_10k
        return {
            "my_tasks_ms_p95": self.figure("my_tasks"),
            "queue_ms_p95": self.figure("queue_frontdesk", "queue_energy"),
            "view_two_filters_ms_p95": self.figure("view_two_filters"),
            "view_page50_ms_p95": self.figure("view_page50"),
            "star_search_ms_p95": self.figure("star_search"),
            "mail_intake_10k_s": round(per_10k, 1) if per_10k is not None else None,
        }


def _verdict(key: str, value: float | None) -> str:
    if value is None:
        return "not measured"
    return "pass" if value < TARGETS[key][0] else "**miss**"


def _page_note(res: Results, key: str) -> str:
    page = res.run.pages[key]
    if not page.measured:
        return page.status
    r = page.result
    note = (f"`GET {page.example}`; p50 {r.median:.2f} ms, p95 {r.p95:.2f} ms over {len(r.ms)} requests, "
            f"{min(r.statements)}-{max(r.statements)} SQL statements, "
            f"SQL time median {statistics.median(r.sql_ms):.2f} ms, HTML {statistics.median(page.sizes) / 1024:.0f} KB")
    if key == "view_page50" and res.run.deepest:
        reached = sorted(set(res.run.deepest))
        note += (f"; page 1 of the first walk shown: page 50 is reached by following `<a rel=\"next\">`; "
                 f"{len(res.run.deepest)} walks x {res.sizes.page50_repeats} requests, page reached "
                 f"{', '.join(map(str, reached))}" + (" (the list is shorter than 50 pages)" if max(reached) < 50
                                                      else ""))
    if key == "view_two_filters":
        note += "; 7 types x 4 dates rotated (first: type advice, after 2024-01-01)"
    if key == "star_search":
        note += f"; terms rotated: {', '.join(res.run.terms)}"
    return note


def _intake_note(res: Results) -> str:
    i = res.intake
    if i.status != "measured":
        return i.status
    text = (f"{i.messages:,} messages, {i.stored:,} stored ({i.linked:,} linked to a dossier at intake, "
            f"{i.attachments:,} attachments) in {i.seconds:.1f} s, whole command; start-up (empty Maildir) "
            f"{i.startup_s:.1f} s")
    if i.left_in_new:
        text += f"; {i.left_in_new:,} messages left in new/"
    if i.messages != 10_000:
        text += "; extrapolated to 10,000: start-up + per-message time x 10,000"
    return text


PAGE_ROWS = [("my_tasks", "my_tasks_ms_p95"), ("queue_frontdesk", "queue_ms_p95"), ("queue_energy", "queue_ms_p95"),
             ("view_two_filters", "view_two_filters_ms_p95"), ("view_page50", "view_page50_ms_p95"),
             ("star_search", "star_search_ms_p95")]


def slowest(result: bd.PageResult) -> list[tuple[str, float, float]]:
    """bench/dossiers.py's slowest statements, counted per request to one decimal (a statement
    some requests run and others not, e.g. a capped count, is not "x0")."""
    requests = len(result.ms) or 1
    return [(shape, median, round(len(result.slow[shape]) / requests, 1))
            for shape, median, _count in bd.slowest(result)]


def summary_lines(res: Results) -> list[str]:
    f = res.figures()
    m = res.meta
    lines = [
        f"Workspace on PostgreSQL, scale {res.scale}: {m['dossiers']:,} dossiers, {m['open_tasks']:,} open tasks, "
        f"{m['mails']:,} e-mails, {m['workers']} case workers; database {res.db_size}"
        + (" (reused)" if res.reused else "") + ":",
        f"  generation {m['generated_s']:.1f} s: " + "; ".join(f"{k} {v:.1f} s" for k, v in m["steps"].items()),
    ]
    for key, figure in PAGE_ROWS:
        page = res.run.pages[key]
        verdict = _verdict(figure, page.result.p95 if page.measured else None)
        lines.append(f"  {page.label}: [{verdict}] {_page_note(res, key)}")
        if page.measured:
            for shape, median, count in slowest(page.result):
                lines.append(f"      {median:7.2f} ms x{count:g}  {bd.short(shape, 150)}")
    lines.append(f"  mail intake: [{_verdict('mail_intake_10k_s', f['mail_intake_10k_s'])}] {_intake_note(res)}")
    lines.append("  rows: " + ", ".join(f"{t} {c:,}" for t, c in res.counts.items() if c))
    return lines


def docs_section(res: Results) -> str:
    f = res.figures()
    m, mach = res.meta, res.machine
    out = [
        f"\n## {mach['date']} — workspace, bench/workspace.py, {m['dossiers']:,} dossiers, {m['open_tasks']:,} open "
        f"tasks, {m['mails']:,} e-mails (scale {res.scale})\n",
        f"Machine: {mach['cpu']}, {mach['cores']} cores; Python {mach['python']}, SQLAlchemy {mach['sqlalchemy']}, "
        f"PostgreSQL {mach['postgresql']} (server settings untouched). Load average (1/5/15 min) at the end: "
        f"{mach['load']}. Code: {mach['code']}. Run: `.venv/bin/python bench/workspace.py --scale {res.scale}`"
        + (" (`--reuse`: measured on the database of an earlier run"
           + (f"; schema brought up to date: {'; '.join(m['schema_changes'])}" if m.get("schema_changes") else "")
           + ")" if res.reused else "") + ".\n",
        "| figure | value | target | verdict | notes |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key, figure in PAGE_ROWS:
        page = res.run.pages[key]
        value = f"{page.result.p95:.2f}" if page.measured else "null"
        name = f"`{figure}`" if key != "queue_energy" and key != "queue_frontdesk" else (
            f"`{figure}` ({'central inbox' if key == 'queue_frontdesk' else 'energy'})")
        out.append(f"| {name} | {value} | {TARGETS[figure][1]} | "
                   f"{_verdict(figure, page.result.p95 if page.measured else None)} | {_page_note(res, key)} |")
    value = f["mail_intake_10k_s"]
    out.append(f"| `mail_intake_10k_s` | {value if value is not None else 'null'} | < 60 s | "
               f"{_verdict('mail_intake_10k_s', value)} | {_intake_note(res)} |")
    out += [
        "",
        "- What: wall time in this process of requests through Flask's test client on an app built like production "
        "(Flask, SQLAlchemy, PostgreSQL; no network, no browser), signed in as a case worker, pages interleaved after "
        "a warm-up; page 50 reached by following `<a rel=\"next\">` from page 1; the intake is the whole "
        "`guichet mail fetch` command (a separate process) on a Maildir of generated .eml files (~15 % with "
        "attachments, ~20 % replies with a dossier number in the subject, ~10 % with an In-Reply-To of a stored mail).",
        f"- JSON: `{json.dumps(f)}` (`queue_ms_p95` is the worse of the two queue pages)."
        + ("" if res.scale == "full" else f" Scale {res.scale}: not the issue's figures, which are those of scale "
           "full (1,000,000 dossiers, 200,000 open tasks, 500,000 e-mails, an intake of 10,000)."),
        f"- Generation {m['generated_s']:.1f} s (dossiers through bench/dossiers.py, then the workspace): "
        + "; ".join(f"{k} {v:.1f} s" for k, v in m["steps"].items()) + ".",
        f"- Open tasks: the dossier templates gave {m['ready_before']:,}; {m['tasks_copied']:,} copied on their own "
        f"instance, {m['tasks_cancelled']:,} cancelled; spread over the seed queues, ~55 % assigned to a member of "
        "the queue, ~15 % overdue. The measured case worker is a member of `frontdesk` and `energy`.",
        f"- E-mails: {m['mail_rows']['linked']:,} linked to a dossier, {m['mail_rows']['outgoing']:,} outgoing, "
        f"{m['mail_rows']['open']:,} open, {m['mail_rows']['mail_attachments']:,} attachment rows.",
        f"- Database size {res.db_size}. Rows: " + ", ".join(f"`{t}` {c:,}" for t, c in res.counts.items() if c) + ".",
        "- Slowest statements (median ms x per request):",
    ]
    for key, _figure in [*PAGE_ROWS, ("view_walk", None)]:
        page = res.run.pages[key]
        if page.measured:
            for shape, median, count in slowest(page.result):
                out.append(f"  - {page.label}: {median:.2f} ms x {count:g} — `{bd.short(shape)}`")
    out.append("")
    return "\n".join(out)


def write_docs(res: Results, path: Path = DOCS_PATH) -> None:
    with path.open("a") as fh:
        fh.write(docs_section(res))


# --------------------------------------------------------------------------- main


def generate_all(url: str, scale: Scale, scale_name: str, workdir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Steps 1 and 2: the dossiers, then the workspace; returns what the database comment keeps."""
    t_start = time.perf_counter()
    bd.recreate_database(url, "GUICHET_BENCH_WORKSPACE_PG_URL")
    services = bd._services(url, workdir)
    Base.metadata.create_all(services.db.engine)
    log(f"(1) schema created; templates through the engine, then {scale.dossiers:,} dossiers with COPY…")
    fixture = bd.build_templates(services, log)
    generated = bd.generate(url, fixture, scale.dossiers, scale.chunk, log)
    log(f"(2) dossiers took {generated.seconds:.1f} s; the workspace…")
    steps = {f"dossiers: {k}": v for k, v in generated.steps.items()}
    loaded = load_workspace(url, services, fixture, scale, log)
    steps.update(loaded.steps)
    t0 = time.perf_counter()
    bd.check_schema(url)
    steps["schema check"] = time.perf_counter() - t0
    services.db.dispose()
    meta = {
        "bench": "workspace", "scale": scale_name, **{k: v for k, v in asdict(scale).items()
                                                      if k in ("dossiers", "open_tasks", "mails", "workers")},
        "user_id": loaded.population.user_id, "generated_s": round(time.perf_counter() - t_start, 1),
        "steps": {k: round(v, 1) for k, v in steps.items()}, "ready_before": loaded.ready_before,
        "tasks_copied": loaded.tasks_copied, "tasks_cancelled": loaded.tasks_cancelled, "mail_rows": loaded.rows,
    }
    save_meta(url, meta)
    return meta


def run(scale_name: str, *, workdir: Path, url: str | None = None, scale: Scale | None = None,
        samples: int | None = None, reuse: bool = False, log: Callable[[str], None] = print) -> Results:
    from bench.engine import machine_facts

    url = url or pg_url()
    if reuse:
        meta = read_meta(url)
        scale_name = meta["scale"]
        scale = scale or SCALES.get(scale_name) or SCALES["small"]
        log(f"reusing {make_url(url).database} (scale {scale_name}, generated in {meta['generated_s']} s)")
        meta["schema_changes"] = sync_schema(url, log)
    else:
        scale = scale or SCALES[scale_name]
        meta = generate_all(url, scale, scale_name, workdir, log)
    services = bd._services(url, workdir)
    try:
        run_ = measure_pages(services, meta["user_id"], scale, samples or scale.samples, log)
    finally:
        services.db.dispose()
    intake = run_intake(url, workdir, scale.intake, log)
    counts, size, _bytes = bd.table_counts(url)
    with psycopg.connect(bd.libpq_dsn(url), autocommit=True) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    return Results(scale_name, scale, meta, reuse, counts, size, run_, intake, machine_facts(pg_version))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=list(SCALES), default="small")
    parser.add_argument("--samples", type=int, help="measured requests per page (default: the scale's)")
    parser.add_argument("--reuse", action="store_true", help="measure again on the database of an earlier run")
    parser.add_argument("--explain", action="store_true", help="print the statements of one request per page and "
                                                               "EXPLAIN ANALYZE of the slowest")
    parser.add_argument("--docs", action=argparse.BooleanOptionalAction, default=None,
                        help="append a section to docs/benchmarks.md (default: at scale full only)")
    args = parser.parse_args(argv)
    progress = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="guichet-bench-workspace-") as tmp:
        try:
            res = run(args.scale, workdir=Path(tmp), samples=args.samples, reuse=args.reuse, log=progress)
        except bd.BenchError as exc:
            print(f"bench/workspace.py: {exc}", file=sys.stderr)
            return 2
    for line in summary_lines(res):
        print(line)
    if args.explain:
        for page, statements in res.run.statements.items():
            print(f"\nStatements of one request, {page}:")
            for number, statement in enumerate(statements, 1):
                print(f"  {number:2d}. {bd.short(statement, 160)}")
        for shape, plan in res.run.explains.items():
            print(f"\nEXPLAIN ANALYZE {bd.short(shape)}\n{plan}")
    if args.docs if args.docs is not None else res.scale == "full":
        write_docs(res)
        print(f"  appended to {DOCS_PATH.relative_to(ROOT)}")
    print(json.dumps(res.figures()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
