"""Session records to fit: read a data set in the long session format of ``alliance generate``
(docs/instruments.md) or a user's own table with its columns mapped in a small TOML (docs/fit.md),
check it, and reduce it to the columns the fit reads. Extra columns are ignored.

Bad data is refused with one :class:`DataError` line that names the column and what is valid (the
command turns it into exit status 2 before anything is written).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.instruments.items import ORS_ITEMS, WAI_ITEMS

REQUIRED = ("client_id", "therapist_id", "session", "attended", "ors_total")
"""Columns every data set needs: who, with whom, which scheduled session, whether attended, ORS total."""
OPTIONAL = ("srs_total", "wai_client_total")
"""Columns that add summaries (and so parameters they can inform) where present."""
SCORE_RANGES = {"ors_total": (0, 40), "srs_total": (0, 40), "wai_client_total": (WAI_ITEMS, 5 * WAI_ITEMS)}
"""Valid totals: ORS and SRS 0-40 (four 0-10 visual analogue scales), WAI-SR client 12-60 (12 items, 1-5)."""
WAI_ITEM_COLUMNS = tuple(f"wai_client_{item}" for item in range(1, WAI_ITEMS + 1))
ORS_ITEM_COLUMNS = tuple(f"ors_{item}" for item in range(1, len(ORS_ITEMS) + 1))
TABLE_NAMES = ("sessions.parquet", "sessions.csv")


class DataError(ValueError):
    """Bad session records: one line naming the column (or file) and what is valid."""


@dataclass(frozen=True)
class Records:
    """Checked session records: one row per client and scheduled session, sorted by client and session,
    with the columns of :data:`REQUIRED` and those of :data:`OPTIONAL` that the data has."""

    table: pd.DataFrame
    source: Path

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(name for name in (*REQUIRED, *OPTIONAL) if name in self.table.columns)

    @property
    def clients(self) -> int:
        return int(self.table["client_id"].nunique())

    @property
    def therapists(self) -> int:
        return int(self.table["therapist_id"].nunique())


def read_mapping(path: Path | None) -> dict[str, str]:
    """The ``[columns]`` table of a fit TOML: the fit's column name -> the user's (e.g. ors_total = "ORS")."""
    if path is None:
        return {}
    mapping = read_toml(path).get("columns", {})
    unknown = sorted(set(mapping) - {*REQUIRED, *OPTIONAL})
    if unknown:
        raise DataError(
            f"{path}: [columns] names unknown column {unknown[0]!r}; valid: {', '.join((*REQUIRED, *OPTIONAL))}"
        )
    if not all(isinstance(value, str) for value in mapping.values()):
        raise DataError(f"{path}: every [columns] value must be the name of a column in the data, in quotes")
    return mapping


def read_toml(path: Path) -> dict:
    """A TOML file, or a DataError naming it."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise DataError(f"{path}: not a readable TOML file ({error})") from None


def _table_file(path: Path) -> Path:
    """The sessions table: the file itself, or sessions.parquet / sessions.csv in a data set folder."""
    if path.is_dir():
        for name in TABLE_NAMES:
            if (path / name).is_file():
                return path / name
        raise DataError(f"{path}: no {' or '.join(TABLE_NAMES)} in this folder (a data set of alliance generate)")
    if not path.is_file():
        raise DataError(f"{path}: no such file or folder")
    return path


def _load(path: Path) -> pd.DataFrame:
    try:
        if path.suffix == ".csv":
            return pd.read_csv(path)
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
    except Exception as error:  # pyarrow and pandas raise many kinds for a damaged file
        raise DataError(f"{path}: not a readable {path.suffix[1:]} table ({type(error).__name__})") from None
    raise DataError(f"{path}: the session records must be a .parquet or .csv file")


def _item_total(table: pd.DataFrame, items: tuple[str, ...]) -> pd.Series | None:
    """The total of a form's items where every item is present (None without the item columns)."""
    if not set(items) <= set(table.columns):
        return None
    values = table[list(items)].apply(pd.to_numeric, errors="coerce")
    return values.sum(axis=1, min_count=len(items)).where(values.notna().all(axis=1))


def _numeric(table: pd.DataFrame, name: str, whole: bool) -> pd.Series:
    values = pd.to_numeric(table[name], errors="coerce")
    bad = (values.isna() & table[name].notna()) | (whole & (values.fillna(0) % 1 != 0))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"column {name}: must hold {'whole ' if whole else ''}numbers; got {table[name].iloc[row]!r}")
    return values


def _attended(column: pd.Series) -> pd.Series:
    """Attendance as booleans: true/false, 1/0 or yes/no (any case)."""
    if column.dtype == bool or str(column.dtype) == "boolean":
        if column.isna().any():
            raise DataError("column attended: must be present in every row (true or false)")
        return column.astype(bool)
    words = column.astype(str).str.strip().str.lower()
    known = {"true": True, "1": True, "yes": True, "1.0": True, "false": False, "0": False, "no": False, "0.0": False}
    bad = ~words.isin(known)
    if bad.any():
        raise DataError(f"column attended: must be true or false (or 1/0); got {column[bad].iloc[0]!r}")
    return words.map(known).astype(bool)


def check(table: pd.DataFrame, source: Path) -> Records:
    """Check raw records (canonical column names) and return the fit's columns; DataError otherwise."""
    for name, items in (("wai_client_total", WAI_ITEM_COLUMNS), ("ors_total", ORS_ITEM_COLUMNS)):
        if name not in table.columns and (total := _item_total(table, items)) is not None:
            table = table.assign(**{name: total})
    missing = [name for name in REQUIRED if name not in table.columns]
    if missing:
        raise DataError(
            f"missing column {missing[0]} (needed: {', '.join(REQUIRED)}; map your own names in a "
            "fit TOML's [columns] table, see docs/fit.md)"
        )
    if table.empty:
        raise DataError(f"{source}: no session records")
    kept = pd.DataFrame({"attended": _attended(table["attended"])})
    for name in ("client_id", "therapist_id", "session"):
        values = _numeric(table, name, whole=True)
        if values.isna().any():
            raise DataError(f"column {name}: must be present in every row")
        kept[name] = values.astype(np.int64)
    if (kept["session"] < 1).any():
        raise DataError(f"column session: session numbers start at 1; got {int(kept['session'].min())}")
    order = kept.groupby("client_id", sort=False)["session"].diff()
    if (order <= 0).any():
        client = int(kept.loc[order <= 0, "client_id"].iloc[0])
        raise DataError(
            f"column session: session numbers must increase within each client (one row per scheduled "
            f"session, in order); client {client} goes back or repeats"
        )
    if (kept.groupby("client_id")["therapist_id"].nunique() > 1).any():
        raise DataError("column therapist_id: each client must have one therapist throughout")
    for name in (*SCORE_RANGES,):
        if name not in table.columns:
            continue
        values = _numeric(table, name, whole=False)
        low, high = SCORE_RANGES[name]
        outside = values.notna() & ((values < low) | (values > high))
        if outside.any():
            raise DataError(f"column {name}: totals must be from {low} to {high}; got {values[outside].iloc[0]:g}")
        kept[name] = values.astype(float)
    first = kept.groupby("client_id", sort=False).head(1)
    if (~first["attended"]).any() or first["ors_total"].isna().any():
        raise DataError(
            "column ors_total: each client's first session must be attended, with an ORS total (the intake)"
        )
    if (kept["attended"] & kept["ors_total"].isna()).sum() > 0.5 * kept["attended"].sum():
        raise DataError("column ors_total: missing in more than half the attended sessions")
    for name in OPTIONAL:
        if name in kept.columns and kept[name].notna().sum() == 0:
            kept = kept.drop(columns=name)  # an empty column informs nothing
    ordered = kept.sort_values(["client_id", "session"], kind="stable").reset_index(drop=True)
    return Records(ordered[[name for name in (*REQUIRED, *OPTIONAL) if name in ordered.columns]], source)


def read_records(path: Path, mapping: dict[str, str] | None = None) -> Records:
    """Read and check the session records at ``path`` (a data set folder or a .parquet/.csv file),
    renaming the user's columns by ``mapping`` (the fit's name -> the user's)."""
    source = _table_file(Path(path))
    table = _load(source)
    mapping = mapping or {}
    absent = [theirs for theirs in mapping.values() if theirs not in table.columns]
    if absent:
        raise DataError(f"{source}: [columns] maps to column {absent[0]!r}, which the data does not have")
    table = table.rename(columns={theirs: ours for ours, theirs in mapping.items()})
    return check(table, source)
