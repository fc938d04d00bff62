"""The restricted environment in which diagram scripts and expressions run.

Scripts are compiled with RestrictedPython: no imports, no access to dunder attributes, no
``open``/``eval``/``exec``; only the task data and the helper API below are in scope. Compiled
code is cached by source text, because gateways evaluate the same expression many times.

Helper API (documented in docs/architecture.md):
  today(), now()                     -- the current date / aware UTC datetime
  date(y, m, d), timedelta(...)      -- the datetime constructors
  parse_date("2026-01-31")           -- ISO date from a string (dates from forms are dates already)
  add_days(d, n), add_working_days(d, n), working_days_between(a, b), is_working_day(d)
  money(x)                           -- Decimal rounded to cents
  syndic_deadline_facts(kind, decision_date, mandate_start, effective_date, filed_on)
  syndic_representative_facts(syndic_kind, decision_names_representative, company_has_ipi)
  syndic_fee_quote(fee_rate, kind, association_known)
                                     -- the syndic-mandate rules (engine/syndic/rules.py, fees.py)
  Decimal, len, min, max, sum, sorted, round, abs, any, all, str, int, float, bool, list, dict
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, limited_builtins, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from engine import calendar


class ScriptError(Exception):
    pass


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _syndic_rules() -> Any:
    """The syndic rules, imported when a diagram first uses them (they import the models)."""
    from engine.syndic import rules

    return rules


def _syndic_fee_quote(rate: Any, kind: str, association_known: bool) -> dict[str, Any]:
    """The fee step of bpmn/syndic: the same computation as engine/syndic/fees.quote, on the rate
    row the process was given (scripts have no database)."""
    from engine.syndic import fees

    quote = fees.compute(rate, kind, association_known=bool(association_known))
    return {"total": quote.total, "lines": [{"code": line.code, "amount": line.amount} for line in quote.lines],
            "rate_valid_from": quote.rate_valid_from}


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    ops = {
        "+=": lambda: x + y,
        "-=": lambda: x - y,
        "*=": lambda: x * y,
        "/=": lambda: x / y,
        "//=": lambda: x // y,
        "%=": lambda: x % y,
    }
    if op not in ops:
        raise ScriptError(f"operator {op} is not allowed in scripts")
    return ops[op]()


HELPERS: dict[str, Any] = {
    "today": lambda: dt.datetime.now(dt.UTC).date(),
    "now": lambda: dt.datetime.now(dt.UTC),
    "date": dt.date,
    "datetime": dt.datetime,
    "timedelta": dt.timedelta,
    "parse_date": _parse_date,
    "add_days": lambda d, n: _parse_date(d) + dt.timedelta(days=n),
    "add_working_days": lambda d, n: calendar.add_working_days(_parse_date(d), n),
    "working_days_between": lambda a, b: calendar.working_days_between(_parse_date(a), _parse_date(b)),
    "is_working_day": lambda d: calendar.is_working_day(_parse_date(d)),
    "money": _money,
    "Decimal": Decimal,
    "syndic_deadline_facts": lambda *args: _syndic_rules().deadline_facts(*args),
    "syndic_representative_facts": lambda *args: _syndic_rules().representative_facts(*args),
    "syndic_fee_quote": lambda rate, kind, known: _syndic_fee_quote(rate, kind, known),
}

_BUILTINS: dict[str, Any] = {
    **safe_builtins,
    **limited_builtins,
    **{
        name: __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
        for name in (
            "min",
            "max",
            "sum",
            "sorted",
            "any",
            "all",
            "enumerate",
            "list",
            "dict",
            "set",
            "reversed",
            "map",
            "filter",
        )
    },
}


def _restricted_globals() -> dict[str, Any]:
    return {
        "__builtins__": _BUILTINS,
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": _inplacevar,
        **HELPERS,
    }


@lru_cache(maxsize=4096)
def _compile_eval(expression: str) -> Any:
    result = compile_restricted_eval(expression)
    if result.errors:
        raise ScriptError("; ".join(result.errors))
    return result.code


@lru_cache(maxsize=2048)
def _compile_exec(script: str) -> Any:
    result = compile_restricted_exec(script)
    if result.errors:
        raise ScriptError("; ".join(result.errors))
    return result.code


def check_expression(expression: str) -> str | None:
    """Why an expression cannot be compiled, or None."""
    try:
        _compile_eval(expression)
    except ScriptError as exc:
        return str(exc)
    return None


def check_script(script: str) -> str | None:
    try:
        _compile_exec(script)
    except ScriptError as exc:
        return str(exc)
    return None


class RestrictedEnvironment(TaskDataEnvironment):
    """TaskDataEnvironment whose eval/exec go through RestrictedPython."""

    def __init__(self) -> None:
        super().__init__(_restricted_globals())

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        scope = dict(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        return eval(_compile_eval(expression), scope)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        self.check_for_overwrite(context, external_context or {})
        code = _compile_exec(script)
        context.update(self.globals)
        context.update(external_context or {})
        try:
            exec(code, context)
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True

    def _remove_globals_and_functions_from_context(self, context: dict[str, Any], external_context: Any = None) -> None:
        for key in list(context):
            if (
                key == "__builtins__"
                or key in self.globals
                or callable(context[key])
                or (external_context and key in external_context)
            ):
                context.pop(key)


class ScriptEngine(PythonScriptEngine):
    """Script engine of every workflow. Service tasks never run inline: see AsyncServiceTask."""

    def __init__(self) -> None:
        super().__init__(environment=RestrictedEnvironment())

    def call_service(self, task: Any, **kwargs: Any) -> Any:  # pragma: no cover - never inline
        raise WorkflowTaskException("service tasks run in the worker, not inline", task=task)
