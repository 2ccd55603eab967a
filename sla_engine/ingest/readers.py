"""Read a whole export file (CSV, XLSX, JSON, Parquet; gzip too) into string columns.

Everything is read as text so that validation, not the reader, decides what a
bad value is, and can name the row and column.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sla_engine.errors import IngestError
from sla_engine.ingest import csv_fast
from sla_engine.ingest.structured import json_records, xml_records


def _suffixes(path: Path) -> list[str]:
    return [s.lower() for s in path.suffixes]


def file_kind(path: Path) -> tuple[str, bool]:
    """('csv'|'xlsx'|'json'|'xml'|'parquet', gzipped?) from the file name."""
    sfx = _suffixes(path)
    gz = bool(sfx) and sfx[-1] == ".gz"
    if gz:
        sfx = sfx[:-1]
    ext = sfx[-1] if sfx else ""
    kinds = {
        ".csv": "csv",
        ".tsv": "csv",
        ".txt": "csv",
        ".xlsx": "xlsx",
        ".json": "json",
        ".jsonl": "json",
        ".ndjson": "json",
        ".parquet": "parquet",
        ".xml": "xml",
        ".zip": "zip",
    }
    if ext not in kinds:
        raise IngestError(
            f"{path}: unknown file type {ext or '(none)'!r}; use .csv, .xlsx, .json, .xml or "
            f".parquet (optionally .gz), or a .zip of such files"
        )
    return kinds[ext], gz


def read_table(
    path: str | Path, json_key: str | None = None, sideloads: dict | None = None
) -> pd.DataFrame:
    """The file as a DataFrame of strings (NA for missing), with column names stripped.

    A JSON object's other lists of records (sideloads) are put into `sideloads` when given.

    Raises IngestError naming the file when it cannot be read at all.
    """
    p = Path(path)
    kind, gz = file_kind(p)
    if kind == "zip":
        return _read_zip(p, json_key, sideloads)
    try:
        raw = _gunzip_capped(p) if gz else p.read_bytes()
        if kind == "xlsx":
            _check_xlsx_expansion(p, raw)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise IngestError(f"{p}: cannot read: {exc}") from exc
    detected: dict[str, str] = {}
    try:
        if kind == "csv":
            codec, detected["encoding"] = encoding_of(raw)
            header = csv_fast.first_line(raw, codec, errors="replace")
            sep = delimiter_of(p, header)
            detected["delimiter"] = DELIMITER_NAMES[sep]
            # parsed from the bytes: the file is held once, not also as text and a text buffer
            fast = csv_fast.read(raw, codec, sep)
            df = (
                fast
                if fast is not None
                else pd.read_csv(
                    io.BytesIO(raw), dtype=str, keep_default_na=False, sep=sep, encoding=codec
                )
            )
        elif kind == "xlsx":
            df = pd.read_excel(io.BytesIO(raw), dtype=str, keep_default_na=False, engine="openpyxl")
        elif kind == "parquet":
            df = pd.read_parquet(io.BytesIO(raw)).astype("string")
        elif kind == "xml":
            records, detected["records from"] = xml_records(decode(raw)[0])
            df = _frame(records)
        else:
            df, side, detected["records from"] = _read_json(raw, json_key)
            if sideloads is not None:
                sideloads.update({k: v.astype("string") for k, v in side.items()})
    except IngestError:
        raise
    except Exception as exc:  # the parsers raise many types; all mean "not readable"
        raise IngestError(f"{p}: not a readable {kind.upper()} file: {exc}") from exc
    df.columns = [str(c).strip() for c in df.columns]
    out = df.astype("string")
    out.attrs["detected"] = detected  # told to the user in the ingest report
    return out


@dataclass(frozen=True)
class RawExport:
    """A file as read: its table and a JSON object's other lists (sideloads). The Ingest page reads
    an upload once and hands this to its preview, its read plan and its dry run; a profile reads a
    copy (read_profile), so the one held stays as read."""

    table: pd.DataFrame
    sideloads: dict[str, pd.DataFrame] = field(default_factory=dict)
    json_key: str | None = None


def read_raw(path: str | Path, json_key: str | None = None) -> RawExport:
    side: dict[str, pd.DataFrame] = {}
    table = read_table(path, json_key=json_key, sideloads=side)
    return RawExport(table, side, json_key)


DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


def delimiter_of(path: Path, header: str) -> str:
    """A .tsv file's tab, else whichever of comma, semicolon and tab its header has most of."""
    return "\t" if ".tsv" in _suffixes(path) else max((",", ";", "\t"), key=header.count)


def encoding_of(raw: bytes) -> tuple[str, str]:
    """The codec decode() would use, and its name for the user, checked chunk by chunk without
    keeping the decoded text (a large export is not held twice)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", "UTF-16"
    view = memoryview(raw)
    return codec_of(lambda: (view[i : i + CHUNK * 16] for i in range(0, len(raw), CHUNK * 16)))


def codec_of(chunks: Callable[[], Iterable[bytes | memoryview]]) -> tuple[str, str]:
    """UTF-8 (with or without BOM) when every chunk decodes as it, else Windows-1252 (which
    raises where even it cannot decode); `chunks` gives the bytes afresh for each try."""
    for codec, name in (("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252")):
        check = codecs.getincrementaldecoder(codec)(errors="strict")
        try:
            for chunk in chunks():
                check.decode(chunk)
            check.decode(b"", final=True)
        except UnicodeDecodeError:
            if codec == "cp1252":
                raise
            continue
        return codec, name
    raise AssertionError("unreachable: cp1252 either decodes or raises")


def decode(raw: bytes) -> tuple[str, str]:
    """Text as people save it: UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text"),
    else Windows-1252; returns the text and what was detected."""
    codec, name = encoding_of(raw)
    return raw.decode(codec), name


MAX_EXPANDED = 2 * 1024**3  # no export we read expands beyond 2 GiB
SUSPECT_EXPANDED = 16 * 1024**2  # beyond 16 MiB ...
MAX_RATIO = 100  # ... a file that grew more than 100-fold is a decompression bomb, not an export
CHUNK = 1024**2


def _refuse_bomb(p: Path, packed: int, expanded: int) -> None:
    if expanded > MAX_EXPANDED or (expanded > SUSPECT_EXPANDED and expanded > MAX_RATIO * packed):
        raise IngestError(
            f"{p.name}: refused: {packed:,} compressed bytes expand to more than {expanded:,} "
            f"(over {MAX_RATIO}-fold or {MAX_EXPANDED // 1024**3} GiB); that is not a help-desk "
            "export. Upload the file uncompressed, or split it."
        )


def _gunzip_capped(p: Path) -> bytes:
    """Decompress in chunks, stopping as soon as the output gives the file away as a bomb."""
    packed = max(p.stat().st_size, 1)
    out = bytearray()
    with gzip.open(p, "rb") as f:
        while chunk := f.read(CHUNK):
            out += chunk
            _refuse_bomb(p, packed, len(out))
    return bytes(out)


MAX_MEMBERS = 10_000


def _read_zip(p: Path, json_key: str | None, sideloads: dict | None) -> pd.DataFrame:
    """A zip of export files of one kind (an API's pages, a folder of CSVs): each read as it
    would be alone, the rows put together, and the report says how many files. Sizes are checked
    from the zip's directory before anything is expanded, and again while expanding."""
    try:
        zf = zipfile.ZipFile(p)
    except (OSError, zipfile.BadZipFile) as exc:
        raise IngestError(f"{p}: not a readable ZIP file: {exc}") from exc
    with zf, tempfile.TemporaryDirectory(prefix="covenant-zip-") as tmp:
        members = [
            m
            for m in zf.infolist()
            if not m.is_dir()
            and not m.filename.startswith("__MACOSX/")
            and not Path(m.filename).name.startswith(".")
        ]
        if not members:
            raise IngestError(f"{p}: the ZIP file holds no files")
        if len(members) > MAX_MEMBERS:
            raise IngestError(f"{p}: refused: more than {MAX_MEMBERS:,} files in the ZIP")
        _refuse_bomb(p, max(p.stat().st_size, 1), sum(m.file_size for m in members))
        kinds = {}
        for m in members:
            name = Path(m.filename).name
            try:
                kinds[m.filename] = file_kind(Path(name))
            except IngestError as exc:
                raise IngestError(f"{p}: {name} inside the ZIP: {exc}") from exc
            if kinds[m.filename][0] == "zip":
                raise IngestError(f"{p}: {name}: a ZIP inside the ZIP is not read")
        if len({k for k, _ in kinds.values()}) > 1:
            raise IngestError(
                f"{p}: the ZIP mixes kinds of files ("
                + ", ".join(sorted({k for k, _ in kinds.values()}))
                + "); put one export's pages in it"
            )
        frames, written = [], 0
        for n, m in enumerate(sorted(members, key=lambda m: m.filename)):
            target = Path(tmp) / f"{n:05d}-{Path(m.filename).name}"
            with zf.open(m) as src, open(target, "wb") as dst:
                while chunk := src.read(CHUNK):
                    written += len(chunk)
                    _refuse_bomb(p, max(p.stat().st_size, 1), written)
                    dst.write(chunk)
            frames.append(read_table(target, json_key, sideloads))
            target.unlink()
    out = pd.concat(frames, ignore_index=True).astype("string")
    detected = dict(frames[0].attrs.get("detected") or {})
    detected["archive"] = f"{len(frames)} files in the ZIP"
    out.attrs["detected"] = detected
    return out


def _check_xlsx_expansion(p: Path, raw: bytes) -> None:
    """An XLSX is a zip: its declared sizes are checked before any part is inflated."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            declared = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile as exc:
        raise IngestError(f"{p}: not a readable XLSX file: {exc}") from exc
    _refuse_bomb(p, max(len(raw), 1), declared)


# the list that holds the records when a JSON object holds several (the others are sideloads,
# e.g. Zendesk's incremental export with `metric_sets`)


def _frame(records: list) -> pd.DataFrame:
    df = pd.json_normalize(records, sep=".")
    # JSON null (and a key a record lacks) is a missing value, never the text "nan" or "None"
    return df.map(
        lambda v: (
            None
            if v is None or (isinstance(v, float) and v != v)
            else (json.dumps(v) if isinstance(v, (list, dict)) else str(v))
        )
    )


def _read_json(raw: bytes, key: str | None) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], str]:
    text, _ = decode(raw)
    records, side, how = json_records(text, key)
    sideloads = {k: _frame(v) for k, v in side.items() if v}
    return _frame(records), sideloads, how
