"""What a file really is, from its content, compared with what its name claims.

A browser's claimed MIME type and the file's extension are chosen by the sender; the first bytes
are not. An upload is refused when it is a program whatever its name (``executable``), when its
content does not match its extension (``mismatch``: a ".pdf" that is a ZIP, an image that is
HTML...), and when a ZIP-based file (docx, xlsx, odt, zip...) would unpack to too many entries or
too much data (``archive``: a "zip bomb"). The archive check reads the central directory and then
decompresses entry by entry in small chunks, stopping as soon as a limit is passed, so a bomb
costs at most the limit, never its full size; the declared sizes are not trusted on their own.
Extensions not known here (added by configuration) are only checked for programs."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

HEAD_BYTES = 8192
CHUNK = 64 * 1024

# Formats recognised from their first bytes.
PDF, PNG, JPEG, GIF, WEBP, TIFF, HEIC, ZIP, OLE, RTF, TEXT, EXECUTABLE, UNKNOWN = (
    "pdf", "png", "jpeg", "gif", "webp", "tiff", "heic", "zip", "ole", "rtf", "text", "executable", "unknown")

# What each accepted extension must contain. OLE2 is the container of the old Office formats and
# of Outlook .msg files; ZIP the container of Office Open XML and OpenDocument.
EXPECTED: dict[str, frozenset[str]] = {
    "pdf": frozenset({PDF}),
    "png": frozenset({PNG}),
    "jpg": frozenset({JPEG}),
    "jpeg": frozenset({JPEG}),
    "gif": frozenset({GIF}),
    "webp": frozenset({WEBP}),
    "tif": frozenset({TIFF}),
    "tiff": frozenset({TIFF}),
    "heic": frozenset({HEIC}),
    "doc": frozenset({OLE, RTF}),  # Word saves RTF under .doc on request
    "xls": frozenset({OLE}),
    "ppt": frozenset({OLE}),
    "msg": frozenset({OLE}),
    "docx": frozenset({ZIP}),
    "xlsx": frozenset({ZIP}),
    "pptx": frozenset({ZIP}),
    "odt": frozenset({ZIP}),
    "ods": frozenset({ZIP}),
    "odp": frozenset({ZIP}),
    "zip": frozenset({ZIP}),
    "rtf": frozenset({RTF}),
    "txt": frozenset({TEXT}),
    "csv": frozenset({TEXT}),
    "eml": frozenset({TEXT}),
}

# Inside the ZIP: the member that proves the kind of document.
OOXML = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
ODF = {"odt": "application/vnd.oasis.opendocument.text",
       "ods": "application/vnd.oasis.opendocument.spreadsheet",
       "odp": "application/vnd.oasis.opendocument.presentation"}

_EXECUTABLE_MAGIC = (
    b"\x7fELF",  # Linux programs
    b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",  # Mach-O
    b"\xca\xfe\xba\xbe",  # Mach-O universal (also Java classes)
)
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"}


@dataclass(frozen=True)
class ArchiveLimits:
    """How far a ZIP-based upload may unpack. A real 25 MB spreadsheet unpacks to a few hundred
    MB at most and compresses XML about 10-30 times; a bomb compresses thousands of times."""

    max_entries: int = 10_000
    max_total_bytes: int = 512 * 1024 * 1024
    max_ratio: float = 200.0
    ratio_applies_above: int = 16 * 1024 * 1024  # small files may compress well: no ratio check


def kind_of(head: bytes) -> str:
    """The format the first bytes show (see the constants above)."""
    if head.startswith(_EXECUTABLE_MAGIC) or (head.startswith(b"MZ") and not _is_text(head)):
        return EXECUTABLE  # MZ: Windows/DOS programs and DLLs (a text may start with "MZ")
    if b"%PDF" in head[:1024]:  # readers accept a header anywhere in the first kilobyte
        return PDF
    if head.startswith(b"\x89PNG"):
        return PNG
    if head.startswith(b"\xff\xd8"):  # start of image; a marker follows
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS:
        return HEIC
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return ZIP
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE
    if head.startswith(b"{\\rtf"):
        return RTF
    if _is_text(head):
        return TEXT
    return UNKNOWN


def _is_text(head: bytes) -> bool:
    """Text in UTF-8 or a single-byte encoding (no NUL, few control characters), or UTF-16 with a
    byte-order mark."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in head:
        return False
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13, 27))
    return controls <= len(head) // 100


def check(path: Path, extension: str, archive_limits: ArchiveLimits | None = None) -> str | None:
    """None when the file at ``path`` may be kept under ``extension``; else the refusal reason:
    ``executable``, ``mismatch`` or ``archive``."""
    with path.open("rb") as stream:
        head = stream.read(HEAD_BYTES)
    kind = kind_of(head)
    if kind == EXECUTABLE:
        return "executable"
    expected = EXPECTED.get(extension)
    if expected is None:
        return None  # an extension added by configuration: only programs are refused
    if kind not in expected:
        return "mismatch"
    if kind == ZIP:
        return _check_archive(path, extension, archive_limits or ArchiveLimits())
    return None


def _check_archive(path: Path, extension: str, limits: ArchiveLimits) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > limits.max_entries:
                return "archive"
            names = {entry.filename for entry in entries}
            if extension in OOXML and not ("[Content_Types].xml" in names
                                           and any(n.startswith(OOXML[extension]) for n in names)):
                return "mismatch"
            if extension in ODF and not _odf_mimetype_is(archive, names, ODF[extension]):
                return "mismatch"
            if sum(entry.file_size for entry in entries) > limits.max_total_bytes:
                return "archive"
            return _unpack_within(archive, entries, path.stat().st_size, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
        # damaged, encrypted or in a compression method Python does not know: cannot be checked
        return "mismatch"


def _odf_mimetype_is(archive: zipfile.ZipFile, names: set[str], mimetype: str) -> bool:
    if "mimetype" not in names:
        return False
    with archive.open("mimetype") as member:
        return member.read(200).strip() == mimetype.encode()


def _unpack_within(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], size: int,
                   limits: ArchiveLimits) -> str | None:
    """Decompress every entry, counting real bytes (the declared sizes may lie), and stop as soon
    as the total or the compression ratio passes its limit."""
    total = 0
    for entry in entries:
        if entry.is_dir():
            continue
        with archive.open(entry) as member:
            while chunk := member.read(CHUNK):
                total += len(chunk)
                if total > limits.max_total_bytes:
                    return "archive"
                if total > limits.ratio_applies_above and total > limits.max_ratio * max(size, 1):
                    return "archive"
    return None
