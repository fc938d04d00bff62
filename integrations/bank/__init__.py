"""Bank-statement files read into :class:`engine.wallet.statements.ParsedStatement`: CODA (the
Belgian banks' standard, :mod:`integrations.bank.coda`) and a documented CSV
(:mod:`integrations.bank.csv_statement`). A malformed file raises :class:`StatementError` naming
the line, before anything is written."""

from __future__ import annotations

from engine.wallet.statements import ParsedStatement


class StatementError(ValueError):
    """The file is not a statement we can read; the message names the line and what is wrong."""

    def __init__(self, line: int | None, message: str) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


def parse_statement(filename: str, data: bytes) -> ParsedStatement:
    """CODA or CSV, recognised from the content (a CODA file starts with a ``0`` header record of
    128 characters), whatever the file is called."""
    from integrations.bank import coda, csv_statement

    text = decode(data)
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    if first.startswith("0") and len(first.rstrip("\r\n")) == coda.RECORD_LENGTH:
        return coda.parse(text)
    if filename.lower().endswith((".cod", ".coda")):
        return coda.parse(text)
    return csv_statement.parse(text)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Latin-1 (older CODA files)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")
