"""A cached generation's derived relations on disk: one base, and the layers small batches add.

A full derive writes `<name>.parquet` for tickets, status_log and severity_log. A small batch does
not rewrite them (merge.py): its generation links the previous generation's files and adds ONE
layer — `layer-NNNN-<name>.parquet`, its changed tickets under new tids above every earlier one,
and `layer-NNNN-dropped.parquet`, the earlier tids it replaced or deleted. A reader sees each
relation as every file's rows but the dropped tids (`relation_sql`): a tid lives in one file only,
so one anti-join serves every layer. When the layers pass MAX_LAYERS or FOLD_SHARE of the base's
rows, the next small batch folds them into a new base first (`carry_over`), so reads stay as fast
as over one file.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from sla_engine.sqlfiles import connect, file_list, quote

# what evaluate.sql reads, and the order each is written in
ORDER = {"tickets": "tid", "status_log": "tid, start_us", "severity_log": "tid, start_us"}
NAMES = tuple(ORDER)
MAX_LAYERS = 24
FOLD_SHARE = 0.10  # layered ticket rows beyond this share of the base's: fold
LAYER = re.compile(r"layer-([0-9]{4})-dropped\.parquet")


def layers(folder: Path) -> list[int]:
    """The layer numbers of a generation folder, oldest first."""
    return sorted(int(m.group(1)) for p in folder.glob("layer-*") if (m := LAYER.fullmatch(p.name)))


def layer_file(folder: Path, k: int, name: str) -> Path:
    return folder / f"layer-{k:04d}-{name}.parquet"


def files(folder: Path, name: str) -> list[Path]:
    """Every file holding rows of relation `name`: the base, then each layer's."""
    return [folder / f"{name}.parquet", *(layer_file(folder, k, name) for k in layers(folder))]


def relation_sql(folder: Path, name: str, prefix: str = "") -> str:
    """A FROM-clause source of relation `name` of the generation in `folder` (with `prefix`, a
    single file `<prefix><name>.parquet`, as a ledger's open tickets are kept)."""
    if prefix:
        return f"read_parquet({quote(folder / f'{prefix}{name}.parquet')})"
    ks = layers(folder)
    if not ks:
        return f"read_parquet({quote(folder / f'{name}.parquet')})"
    dropped = [layer_file(folder, k, "dropped") for k in ks]
    return (
        f"(SELECT r.* FROM read_parquet({file_list(files(folder, name))}) r"
        f" ANTI JOIN read_parquet({file_list(dropped)}) d USING (tid))"
    )


def _rows(paths: list[Path]) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in paths)


def max_tid(con: duckdb.DuckDBPyConnection, folder: Path) -> int:
    """The highest tid any file of the generation holds (from the files' statistics)."""
    row = con.execute(
        f"SELECT coalesce(max(tid), 0) FROM read_parquet({file_list(files(folder, 'tickets'))})"
    ).fetchone()
    return int(row[0]) if row else 0


def link(src: Path, dst: Path) -> None:
    """A hard link (instant, and it outlives the older generation's folder); a copy across
    filesystems."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def carry_over(prev: Path, staged: Path, con: duckdb.DuckDBPyConnection) -> int:
    """Put generation `prev`'s relations into the staged folder of the next one — its files
    linked, or, past MAX_LAYERS or FOLD_SHARE, folded into one new base written by `con` — and
    return the number the next layer takes."""
    ks = layers(prev)
    base, layered = _rows([prev / "tickets.parquet"]), _rows(files(prev, "tickets")[1:])
    if len(ks) >= MAX_LAYERS or layered > FOLD_SHARE * max(base, 1):
        for name in NAMES:
            con.execute(
                f"COPY (SELECT * FROM {relation_sql(prev, name)} ORDER BY {ORDER[name]})"
                f" TO {quote(staged / f'{name}.parquet')} (FORMAT parquet)"
            )
        return 1
    for name in NAMES:
        for f in files(prev, name):
            link(f, staged / f.name)
    for k in ks:
        link(layer_file(prev, k, "dropped"), layer_file(staged, k, "dropped"))
    return (ks[-1] + 1) if ks else 1


def write(con: duckdb.DuckDBPyConnection, folder: Path, layer: int | None = None) -> None:
    """`con`'s tickets, status_log and severity_log (derive() made them) in tid order: the base of
    the generation in `folder`, or its layer `layer` — then with `con`'s table `dropped_tids`
    (tid) of the earlier rows they replace, written last: a layer exists once its list does."""
    for name, order in ORDER.items():
        target = folder / f"{name}.parquet" if layer is None else layer_file(folder, layer, name)
        con.execute(
            f"COPY (SELECT * FROM {name} ORDER BY {order}) TO {quote(target)} (FORMAT parquet)"
        )
    if layer is not None:
        target = layer_file(folder, layer, "dropped")
        con.execute(
            f"COPY (SELECT tid FROM dropped_tids ORDER BY tid) TO {quote(target)} (FORMAT parquet)"
        )


def open_inputs(folder: Path, prefix: str = "") -> duckdb.DuckDBPyConnection:
    """A fresh in-memory connection with the evaluation's inputs as views over the generation in
    `folder` (its base and layers: gen_files.py), or over folder/<prefix><name>.parquet."""
    con = connect()
    for name in NAMES:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM {relation_sql(folder, name, prefix)}")
    return con
