"""The KBO open-data reader and importer on the shipped sample set, an update set, broken files,
an interrupted import resumed, a zip, and a generated set (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.db import Database
from engine.parties.kbo_models import (
    KboActivity,
    KboAddress,
    KboBranch,
    KboCode,
    KboContact,
    KboDenomination,
    KboEnterprise,
    KboEstablishment,
    KboImportFile,
    KboImportRun,
    KboMeta,
)
from engine.parties.models import BceEnterprise
from integrations.bce import LocalDatabaseLookup
from integrations.bce.kbo import generator
from integrations.bce.kbo.format import FILES
from integrations.bce.kbo.importer import KboImporter, NothingToResume, import_set
from integrations.bce.kbo.reader import KboFormatError, KboSource, read_set
from integrations.bce.sample import SAMPLE, SAMPLE_UPDATE

TABLES = (KboEnterprise, KboEstablishment, KboBranch, KboDenomination, KboAddress, KboContact, KboActivity,
          KboCode, KboMeta, BceEnterprise)


def counts(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES}


def copy_sample(tmp_path: Path) -> Path:
    folder = tmp_path / "kbo"
    shutil.copytree(SAMPLE, folder)
    return folder


def test_the_reader_gives_the_official_files_in_import_order_with_line_numbers() -> None:
    with KboSource(SAMPLE) as source:
        assert source.kind == "full"
        assert [p.name for p in source.parts] == [f"{spec.name}.csv" for spec in FILES]
    rows = list(read_set(SAMPLE))
    enterprise = [(line, row) for name, line, row in rows if name == "enterprise.csv"]
    assert enterprise[0] == (2, ["0850.412.361", "AC", "000", "2", "070", "", "01-04-1993"])
    assert len(enterprise) == 16
    with KboSource(SAMPLE_UPDATE) as update:
        assert update.kind == "update"
        assert [p.name for p in update.parts][:3] == ["meta.csv", "enterprise_delete.csv", "enterprise_insert.csv"]


def test_importing_the_sample_fills_every_table(db: Database) -> None:
    summary = import_set(db, SAMPLE)
    assert summary.bad_rows == 0 and summary.lookup_rows == 16
    assert counts(db) == {"kbo_enterprises": 16, "kbo_establishments": 3, "kbo_branches": 1,
                          "kbo_denominations": 22, "kbo_addresses": 19, "kbo_contacts": 9, "kbo_activities": 11,
                          "kbo_codes": 148, "kbo_meta": 5, "bce_enterprises": 16}
    with db.transaction() as session:
        run = session.scalars(select(KboImportRun)).one()
        assert (run.kind, run.extract_number, run.snapshot_date, run.lookup_rebuilt) == ("full", "152", "01-11-2026",
                                                                                         True)
        assert run.finished_at is not None
        dijlezicht = session.get(KboEnterprise, "0850412361")
        assert (dijlezicht.juridical_form, str(dijlezicht.start_date)) == ("070", "1993-04-01")
        seat = session.scalars(select(KboAddress).where(KboAddress.entity_number == "0440937551")).one()
        assert (seat.type_of_address, seat.street_nl, seat.house_number, seat.box, seat.zipcode) == (
            "REGO", "Bruul", "64", "3", "2800")
        assert session.get(KboCode, ("JuridicalForm", "070", "FR")).description == "Association des copropriétaires"
        naces = session.scalars(select(KboActivity.nace_code).where(KboActivity.entity_number == "0440937551")
                                .order_by(KboActivity.nace_code)).all()
        assert naces == ["68321", "68322"]
    record = LocalDatabaseLookup(db).lookup("0885.223.087")
    assert (record.name, record.legal_form, record.street, record.municipality) == (
        "ACP Résidence Les Tilleuls", "Association des copropriétaires", "Avenue des Tilleuls", "Uccle")
    # a second full import replaces, it does not add
    import_set(db, SAMPLE)
    assert counts(db)["kbo_denominations"] == 22


def test_an_update_set_deletes_then_inserts(db: Database) -> None:
    import_set(db, SAMPLE)
    summary = import_set(db, SAMPLE_UPDATE)
    assert summary.kind == "update" and summary.bad_rows == 0 and summary.lookup_rows == 2
    lookup = LocalDatabaseLookup(db)
    assert lookup.lookup("0642.039.832") is None  # struck off
    moved = lookup.lookup("0550.773.027")
    assert (moved.street, moved.house_number) == ("Brusselsesteenweg", "250")
    assert lookup.lookup("0756.789.050").name == "VME Residentie Zennegat"
    assert lookup.lookup("0850.412.361").name == "VME Residentie Dijlezicht"  # untouched
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(KboAddress)
                              .where(KboAddress.entity_number == "0550773027")) == 1
        assert session.get(KboMeta, "ExtractNumber").value == "153"
    assert counts(db)["kbo_enterprises"] == 16


def test_broken_rows_are_reported_by_file_line_and_reason_and_the_rest_imported(db: Database, tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)
    with (folder / "enterprise.csv").open("a", encoding="utf-8") as fh:
        fh.write('"0850.412.362","AC","000","2","070",,01-01-2000\r\n')  # check digits
        fh.write('"0202.239.951","AC","000","2","070",,31-02-2000\r\n')  # no 31 February
        fh.write('"0202.239.951","AC","000","2","999",,01-01-2000\r\n')  # unknown JuridicalForm
        fh.write('"0202.239.951","AC","000"\r\n')  # too few columns
        fh.write('"0428.759.497","AC","000","2","610",,01-01-2000\r\n')  # a good one after the bad ones
    with (folder / "contact.csv").open("a", encoding="utf-8") as fh:
        fh.write('"0428.759.497","ENT","FAX","015 00 00 00"\r\n')  # FAX is not in this code table
    summary = import_set(db, folder)
    problems = [(name, line, reason) for name, line, reason in summary.problems]
    assert problems == [
        ("enterprise.csv", 18, "invalid number '0850.412.362' in EnterpriseNumber (check digits wrong)"),
        ("enterprise.csv", 19, "invalid date '31-02-2000' in StartDate (expected dd-mm-yyyy)"),
        ("enterprise.csv", 20, "unknown code '999' in JuridicalForm (not in code.csv category JuridicalForm)"),
        ("enterprise.csv", 21, "3 columns instead of 7"),
        ("contact.csv", 11, "unknown code 'FAX' in ContactType (not in code.csv category ContactType)"),
    ]
    by_file = {f.name: (f.rows, f.bad_rows) for f in summary.files}
    assert by_file["enterprise.csv"] == (17, 4) and by_file["contact.csv"] == (9, 1)
    assert "enterprise.csv: 17 rows, 4 bad" in "\n".join(summary.lines())
    with db.transaction() as session:
        assert session.get(KboEnterprise, "0428759497") is not None
        assert session.get(KboEnterprise, "0202239951") is None


def test_a_wrong_header_stops_with_a_clear_message(db: Database, tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)
    text = (folder / "branch.csv").read_text(encoding="utf-8")
    (folder / "branch.csv").write_text(text.replace('"Id"', '"BranchId"'), encoding="utf-8")
    with pytest.raises(KboFormatError, match=r"branch.csv: line 1: header .* is not the official"):
        import_set(db, folder)
    with pytest.raises(KboFormatError, match="not a folder of KBO CSV files"):
        import_set(db, folder / "meta.csv")


def test_an_interrupted_import_resumes_without_duplicates(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "gen"
    generator.generate(folder, 300)
    with pytest.raises(NothingToResume):
        KboImporter(db).run(folder, resume=True)
    with pytest.raises(KeyboardInterrupt):
        KboImporter(db, batch_size=50, stop_after_batches=9).run(folder)
    with db.transaction() as session:
        partial = session.scalar(select(func.count()).select_from(KboEnterprise))
        progress = {f.name: (f.lines_done, f.done) for f in session.scalars(select(KboImportFile))}
    assert 0 < partial < 300 and progress["enterprise.csv"][1] is False
    assert KboImporter(db).bytes_to_read(folder, resume=True) < KboImporter(db).bytes_to_read(folder)
    summary = KboImporter(db, batch_size=50).run(folder, resume=True)
    assert summary.resumed and summary.lookup_rows == 300
    resumed = counts(db)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(KboImportRun)) == 1
    import_set(db, folder)  # the same set in one go gives the same tables
    assert counts(db) == resumed
    assert resumed["kbo_enterprises"] == 300 and resumed["kbo_denominations"] == 300
    assert resumed["kbo_addresses"] == 330 and resumed["kbo_activities"] == 150


def test_a_zipped_set_imports_like_the_folder(db: Database, tmp_path: Path) -> None:
    archive = tmp_path / "KboOpenData_0152_2026_11_Full.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(SAMPLE.iterdir()):
            zf.write(path, path.name)
    seen: list[int] = []
    summary = KboImporter(db, on_bytes=seen.append).run(archive)
    assert summary.kind == "full" and summary.lookup_rows == 16
    assert sum(seen) == KboImporter(db).bytes_to_read(archive)
    update = tmp_path / "KboOpenData_0153_2026_11_Update.zip"
    with zipfile.ZipFile(update, "w") as zf:
        for path in sorted(SAMPLE_UPDATE.iterdir()):
            zf.write(path, path.name)
    assert import_set(db, update).kind == "update"
    assert LocalDatabaseLookup(db).lookup("0642039832") is None


def test_a_generated_set_is_valid_and_found_by_the_lookup(db: Database, tmp_path: Path) -> None:
    written = generator.generate(tmp_path / "gen", 120)
    summary = import_set(db, tmp_path / "gen")
    assert summary.bad_rows == 0
    assert {f.name.removesuffix(".csv"): f.rows for f in summary.files} == written
    record = LocalDatabaseLookup(db).lookup(generator.enterprise_number(7))
    assert record is not None and (record.name, record.legal_form) == ("Parc 7 BV", "Besloten vennootschap")


def test_an_update_of_the_code_table_refreshes_every_legal_form(db: Database, tmp_path: Path) -> None:
    import_set(db, SAMPLE)
    update = tmp_path / "upd"
    with generator.KboWriter(update) as writer:
        writer.row("code_insert", ("JuridicalForm", "610", "NL", "Besloten vennootschap (BV)"))
    summary = import_set(db, update)
    assert summary.lookup_rows == 16  # all rebuilt, not only the touched ones (none)
    assert LocalDatabaseLookup(db).lookup("0440.937.551").legal_form == "Besloten vennootschap (BV)"
    assert LocalDatabaseLookup(db).lookup("0893.115.028").legal_form == "Société à responsabilité limitée"
