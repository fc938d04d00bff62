"""Demo data and in-process serving for ``guichet demo`` (``make demo``).

:func:`load_demo_data` is idempotent: it creates what is missing and leaves the rest alone, so a
second ``make demo`` starts on the data of the first. :func:`serve` runs the web app (werkzeug,
threaded) and Celery beat in background threads and a Celery worker (solo pool) in the main
thread, all on the configured broker, the embedded SQLite one by default; Ctrl-C stops all three.
"""

from __future__ import annotations

import datetime as dt
import gc
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
from flask import Flask
from marshmallow import fields, validate
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.access.models import Role, User
from engine.access.users import create_user
from engine.cases.dossiers import open_dossier
from engine.cases.models import Dossier, DossierSubtype, DossierType
from engine.cases.subtypes import seed_subtypes
from engine.queues.commands import seed_queues
from engine.workflow.errors import EngineError, FormInvalid
from engine.workflow.models import HumanTask, HumanTaskState, ProcessVersion
from integrations.addresses.importer import SAMPLE as ADDRESS_SAMPLE
from integrations.addresses.importer import import_file
from webapp.bootstrap import Services

Echo = Callable[..., Any]

DEMO_PASSWORD = "Guichet-Demo-2026"


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    roles: tuple[Role, ...]
    locale: str


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("caseworker@guichet.local", "Camille Dubois", (Role.CASE_WORKER,), "fr"),
    DemoUser("dispatcher@guichet.local", "Dirk Peeters", (Role.DISPATCHER, Role.CASE_WORKER), "nl"),
    DemoUser("designer@guichet.local", "Dana Janssens", (Role.PROCESS_DESIGNER,), "en"),
    DemoUser("manager@guichet.local", "Marie Lambert", (Role.MANAGER,), "fr"),
    DemoUser("admin@guichet.local", "Alex Martin", (Role.ADMINISTRATOR,), "en"),
)


@dataclass(frozen=True)
class DemoDossier:
    title: str
    description: str
    steps: int  # how many human tasks to complete after opening (a large number: to the end)
    claim_next: bool = False
    type: DossierType = DossierType.INFORMATION
    subtype: str | None = None  # the code of a subtype of the type
    follow_up_of: str | None = None  # the title of a demo dossier whose journey this one joins


DEMO_DOSSIERS: tuple[DemoDossier, ...] = (
    DemoDossier(
        "Question sur l'isolation de la toiture",
        "Propriétaire occupant, maison unifamiliale de 1930; demande par téléphone.",
        steps=0,
    ),
    DemoDossier(
        "Prime pour une pompe à chaleur",
        "Copropriété de 12 logements; le syndic demande les primes disponibles.",
        steps=1,
        claim_next=True,
    ),
    DemoDossier(
        "Remplacement des châssis — renseignements",
        "Locataire; question sur la répartition des frais avec le propriétaire.",
        steps=10,
    ),
    DemoDossier(
        "Conseil en rénovation — maison de 1930",
        "Visite à domicile demandée après la question sur l'isolation de la toiture.",
        steps=2,
        type=DossierType.ADVICE,
        subtype="renovation_advice",
        follow_up_of="Question sur l'isolation de la toiture",
    ),
    DemoDossier(
        "Prêt à 0 % pour l'isolation",
        "Demande de prêt pour isoler la toiture et remplacer les châssis.",
        steps=1,
        type=DossierType.LOAN,
        subtype="loan_0",
    ),
    DemoDossier(
        "Prime toiture végétalisée",
        "Toit plat de 40 m² sur l'annexe.",
        steps=10,
        type=DossierType.PREMIUMS,
        subtype="green_roof",
    ),
    DemoDossier(
        "Sacs à gravats pour la rénovation",
        "Trois sacs demandés au guichet.",
        steps=1,
        type=DossierType.REQUESTS_AND_LOANS,
        subtype="rubble_bags",
    ),
)


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _demo_answers(form_key: str, title: str) -> dict[str, Any] | None:
    """Realistic answers for the forms the demo dossiers meet; None: make them up from the form."""
    today = _today()
    answers: dict[str, dict[str, Any]] = {
        "information.request": {
            "question_types": ["information_request"],
            "question_summary": f"{title}: the citizen asks which works and premiums apply.",
            "request_date": (today - dt.timedelta(days=6)).isoformat(),
            "source": "phone",
            "first_action": "called_back",
            "first_action_date": (today - dt.timedelta(days=4)).isoformat(),
        },
        "information.answer": {
            "answer": "Explained the premiums of the region and the conditions; sent the brochure.",
            "referral_product": "none",
            "closing_note": "Demo dossier completed by the demo loader.",
        },
        "advice.request": {
            "coach_email": "caseworker@guichet.local",
            "request_date": (today - dt.timedelta(days=10)).isoformat(),
            "source": "phone",
            "request_summary": f"{title}: renovation advice at home.",
        },
    }
    return answers.get(form_key)


def _first_choice(f: fields.Field) -> Any:
    meta = f.metadata or {}
    choices = meta.get("choices")
    if choices is None and meta.get("choices_provider"):
        choices = list(meta["choices_provider"]())
    if choices:
        return choices[0][0]
    for validator in f.validators:
        if isinstance(validator, validate.OneOf) and validator.choices:
            return next(iter(validator.choices))
    return None


def _sample_value(f: fields.Field) -> Any:
    """A plausible value for one marshmallow field, for forms the demo has no answers for."""
    choice = _first_choice(f)
    if isinstance(f, fields.List):
        inner = _first_choice(f.inner) if choice is None else choice
        return [inner if inner is not None else "demo"]
    if choice is not None:
        return choice
    if isinstance(f, fields.Boolean):
        return True
    if isinstance(f, fields.DateTime):
        return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    if isinstance(f, fields.Date):
        return _today().isoformat()
    if isinstance(f, fields.Email):
        return "citizen@example.org"
    if isinstance(f, fields.Integer):
        return 1
    if isinstance(f, fields.Float | fields.Decimal):
        return "100"
    if isinstance(f, fields.Nested | fields.Dict):
        return None
    return "Demo answer"


def sample_answers(services: Services, form_key: str | None, title: str) -> dict[str, Any]:
    if not form_key:
        return {}
    known = _demo_answers(form_key, title)
    if known is not None:
        return known
    if not services.forms.has(form_key):
        return {}
    data: dict[str, Any] = {}
    for name, f in services.forms.get(form_key).schema().fields.items():
        if f.dump_only:
            continue
        value = _sample_value(f)
        if value is not None:
            data[f.data_key or name] = value
    return data


def _ensure_users(session: Session) -> dict[str, User]:
    users: dict[str, User] = {}
    password_hash: str | None = None  # hashed once: the demo accounts share their password
    for spec in DEMO_USERS:
        user = session.scalar(select(User).where(User.email == spec.email))
        if user is None and password_hash is None:
            user = create_user(session, spec.email, spec.name, DEMO_PASSWORD, set(spec.roles), locale=spec.locale)
            password_hash = user.password_hash
        elif user is None:
            user = User(email=spec.email, name=spec.name, password_hash=password_hash, locale=spec.locale)
            user.roles = set(spec.roles)
            session.add(user)
            session.flush()
        users[spec.email] = user
    return users


def _ready_task(session: Session, instance_id: int | None) -> HumanTask | None:
    if instance_id is None:
        return None
    return session.scalar(
        select(HumanTask)
        .where(HumanTask.instance_id == instance_id, HumanTask.state == HumanTaskState.READY)
        .order_by(HumanTask.id)
        .limit(1)
    )


def _open_demo_dossier(services: Services, spec: DemoDossier, user_id: int, echo: Echo) -> None:
    db, engine = services.db, services.engine
    with db.transaction() as session:
        subtype_id = session.scalar(select(DossierSubtype.id).where(
            DossierSubtype.type == spec.type.value, DossierSubtype.code == spec.subtype)) if spec.subtype else None
        root = session.scalar(select(Dossier).where(Dossier.title == spec.follow_up_of).limit(1)) \
            if spec.follow_up_of else None
        dossier = open_dossier(session, engine, spec.type, spec.title, user_id=user_id,
                               description=spec.description, subtype_id=subtype_id, source="phone",
                               follow_up_of=root)
        number, instance_id = dossier.number, dossier.process_instance_id
    done = 0
    while done < spec.steps:
        with db.transaction() as session:
            task = _ready_task(session, instance_id)
            if task is None:
                break
            answers = sample_answers(services, task.form_key, spec.title)
            task_name = task.name
            try:
                engine.complete(session, task.id, answers, user_id=user_id, may_override_assignee=True)
            except FormInvalid as exc:
                echo(f"  {number}: demo answers for {task.form_key!r} do not validate ({exc.errors}); "
                     "left at this task.", err=True)
                break
        done += 1
        echo(f"  {number}: completed '{task_name}'")
    if spec.claim_next:
        with db.transaction() as session:
            task = _ready_task(session, instance_id)
            if task is not None and task.assignee_id is None:
                engine.claim(session, task.id, user_id=user_id)
    with db.transaction() as session:
        dossier = session.scalar(select(Dossier).where(Dossier.number == number))
        status = dossier.status if dossier else "?"
        phase = dossier.phase if dossier else None
    echo(f"  {number} '{spec.title}': {status}" + (f", phase {phase}" if phase else ""))


def _drop_demo_mails(services: Services, echo: Echo) -> None:
    """Sample mails into the maildir (once), then one run of the intake job is queued, so the
    central queue is not empty when the demo opens; beat keeps reading the maildir after that."""
    from integrations.mail.jobs import fetch_mail
    from webapp.demo_data.mails import drop_demo_mails

    settings = services.settings
    if settings.mail_source != "maildir":
        return
    with services.db.transaction() as session:
        number = session.scalar(select(Dossier.number).where(Dossier.title == DEMO_DOSSIERS[0].title).limit(1))
    dropped = drop_demo_mails(settings.maildir_root, number)
    if dropped:
        echo(f"Demo mails: {dropped} dropped into {settings.maildir_root}; the intake job reads them into the "
             "central queue.")
        fetch_mail.delay()


def load_demo_data(services: Services, echo: Echo = click.echo, *, scale: float = 1.0
                   ) -> list[tuple[str, str, str]]:
    """Create the demo accounts and dossiers that are missing. Returns (e-mail, password, roles)
    of every demo login.

    Besides the handmade dossiers of :data:`DEMO_DOSSIERS`, the realistic set of
    :mod:`webapp.demo_data.loader` (~320 dossiers at ``scale=1``, none at ``scale=0``) is loaded
    once; a second run adds nothing."""
    import time

    from webapp.demo_data.loader import load_realistic_set

    started = time.perf_counter()
    with services.db.transaction() as session:
        users = _ensure_users(session)
        caseworker_id = users["caseworker@guichet.local"].id
        seed_subtypes(session)
        seed_queues(session)
        import_file(session, ADDRESS_SAMPLE)  # the demo address register (idempotent)
        from webapp.demo_data.buildings import load_demo_buildings

        load_demo_buildings(session)  # portal: buildings per client number (idempotent)
        from webapp.demo_data.portal import load_demo_portal, portal_logins

        load_demo_portal(session, DEMO_PASSWORD, caseworker_id)  # portal: a syndic firm and its members
        from webapp.demo_data.syndic import load_demo_syndic

        load_demo_syndic(session, caseworker_id)  # syndic mandates: fees, wallet credit, a recorded mandate
        deployed = set(session.scalars(select(ProcessVersion.key).distinct()))
        existing = set(session.scalars(select(Dossier.title).where(
            Dossier.title.in_([d.title for d in DEMO_DOSSIERS]))))
    if DossierType.INFORMATION.value not in deployed:
        echo(f"No '{DossierType.INFORMATION.value}' process is deployed (bpmn/dossiers/information.bpmn); "
             "no demo dossiers.", err=True)
    else:
        missing = [d for d in DEMO_DOSSIERS if d.title not in existing and d.type.value in deployed]
        if missing:
            echo(f"Demo dossiers: opening {len(missing)}")
        for spec in missing:
            try:
                _open_demo_dossier(services, spec, caseworker_id, echo)
            except EngineError as exc:
                echo(f"  '{spec.title}': not created: {exc}", err=True)
        load_realistic_set(services, users, scale=scale, echo=echo)
    _drop_demo_mails(services, echo)
    with services.db.transaction() as session:
        dossiers = session.scalar(select(func.count(Dossier.id))) or 0
    echo(f"Demo data: {len(DEMO_USERS)} demo accounts, {dossiers} dossier(s) in the database "
         f"({time.perf_counter() - started:.1f} s).")
    return [(u.email, DEMO_PASSWORD, ", ".join(r.value for r in u.roles)) for u in DEMO_USERS] \
        + portal_logins(DEMO_PASSWORD)


def print_logins(logins: list[tuple[str, str, str]], echo: Echo = click.echo, url: str | None = None) -> None:
    echo("")
    echo("Demo logins" + (f" for {url}" if url else "") + ":")
    width = max(len(email) for email, _, _ in logins)
    for email, password, roles in logins:
        echo(f"  {email:<{width}}  {password}   ({roles})")
    echo("")


# --------------------------------------------------------------------------- serving


class _WebServer(threading.Thread):
    def __init__(self, app: Flask, host: str, port: int) -> None:
        from werkzeug.serving import make_server

        super().__init__(name="guichet-web", daemon=True)
        try:  # bound now, served once the worker is ready
            self.server = make_server(host, port, app, threaded=True)
        except OSError as exc:
            raise SystemExit(
                f"Cannot listen on {host}:{port} ({exc.strerror}); is another demo running? "
                "Stop it, or choose another port: make demo PORT=5001"
            ) from exc

    def run(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve(app: Flask, services: Services, *, host: str = "127.0.0.1", port: int = 5000,
          loglevel: str = "WARNING", echo: Echo = click.echo) -> int:
    """Serve until Ctrl-C: web in a thread, beat in a thread, the worker in the main thread
    (Celery's signal handling wants the main thread). Returns the worker's exit code."""
    import warnings

    from celery.beat import EmbeddedService
    from celery.exceptions import SecurityWarning
    from celery.signals import worker_ready, worker_shutting_down

    from engine.jobs import celery

    settings = services.settings
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    gc.freeze()  # start-up objects stay for the process's life: no full GC passes over them
    web = _WebServer(app, host, port)
    beat = EmbeddedService(celery, thread=True,
                           schedule_filename=str(settings.instance_path / "celerybeat-schedule"))
    url = f"http://{host}:{port}/"
    interrupted: list[str] = []

    @worker_ready.connect(weak=False)
    def _ready(**_kwargs: Any) -> None:
        # serve only once the worker (and its Ctrl-C handling) is up: an answering server means
        # that service calls and timers run too
        web.start()
        echo(f"Guichet demo: {url}  (worker and beat running; Ctrl-C stops)")

    @worker_shutting_down.connect(weak=False)
    def _stopping(sig: str = "", **_kwargs: Any) -> None:
        interrupted.append(sig)

    def _early_interrupt(signum: int, _frame: Any) -> None:  # Ctrl-C before Celery's own handler
        interrupted.append(signal.Signals(signum).name)
        raise KeyboardInterrupt

    # a demo on a root-only machine (a container, CI) is fine; Celery's warning is for production
    warnings.filterwarnings("ignore", category=SecurityWarning)
    previous = signal.signal(signal.SIGINT, _early_interrupt)
    worker = None
    try:
        beat.start()
        worker = celery.Worker(
            pool_cls="solo", concurrency=1, loglevel=loglevel.upper(), quiet=True, redirect_stdouts=False,
            hostname=f"demo@{socket.gethostname()}", without_mingle=True, without_gossip=True,
        )
        worker.start()
    except KeyboardInterrupt:
        interrupted.append("SIGINT")
    finally:
        signal.signal(signal.SIGINT, previous)
        beat.stop()
        if web.is_alive():
            web.stop()
        else:
            web.server.server_close()
        echo("Guichet demo stopped.")
    if interrupted and interrupted[0] in {"SIGINT", "SIGTERM"}:
        return 0  # Ctrl-C is how a demo ends
    return int(worker.exitcode or 0) if worker is not None else 1
