"""Parquet output: tables turned into Arrow straight from their column arrays (:func:`arrow_table`),
written in row groups of a fixed size (:class:`ParquetStream`), on a thread of their own while the
next chunk is simulated (:class:`BackgroundWriter`)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def arrow_table(columns: dict[str, Any]) -> pa.Table:
    """An Arrow table of ``columns`` (numpy arrays, pandas Categoricals and nullable integer arrays,
    as simulation.tables.table_columns makes them) equal to ``pa.Table.from_pandas`` of their
    DataFrame, schema and pandas metadata included (so the Parquet bytes are the same, and pandas
    reads the categoricals and nullable integers back as they were), without building the DataFrame:
    the schema is taken from a frame of the first row, and each column converts on its own
    (numeric arrays without a copy; NaN read as missing, as pandas does)."""
    first = pd.DataFrame({name: values[:1] for name, values in columns.items()})  # infers as the whole does
    schema = pa.Schema.from_pandas(first.iloc[:0], preserve_index=False)
    return pa.Table.from_arrays([pa.array(values, from_pandas=True) for values in columns.values()], schema=schema)


class ParquetStream:
    """A Parquet file written piece by piece in row groups of a fixed size, so that its bytes depend
    on the data alone and not on how the data arrived (chunk sizes, workers)."""

    ROW_GROUP = 262_144

    def __init__(self, path: Path) -> None:
        self.path, self.writer, self.pending, self.pending_rows = path, None, [], 0

    def write(self, table: pa.Table | pd.DataFrame) -> None:
        """Append ``table`` (an Arrow table, or a DataFrame converted as ``pa.Table.from_pandas`` does)."""
        arrow = pa.Table.from_pandas(table, preserve_index=False) if isinstance(table, pd.DataFrame) else table
        if self.writer is None:
            # dictionary-encode the categorical columns only: trying it on every float column made
            # writing 3-4 times slower for files no smaller
            categorical = [f.name for f in arrow.schema if pa.types.is_dictionary(f.type)]
            self.writer = pq.ParquetWriter(self.path, arrow.schema, use_dictionary=categorical)
        self.pending.append(arrow)
        self.pending_rows += arrow.num_rows
        if self.pending_rows >= self.ROW_GROUP:
            self._flush(whole_groups_only=True)

    def _flush(self, whole_groups_only: bool) -> None:
        buffered = pa.concat_tables(self.pending)
        cut = (buffered.num_rows // self.ROW_GROUP) * self.ROW_GROUP if whole_groups_only else buffered.num_rows
        if cut:
            self.writer.write_table(buffered.slice(0, cut), row_group_size=self.ROW_GROUP)
        rest = buffered.slice(cut)
        self.pending, self.pending_rows = ([rest], rest.num_rows) if rest.num_rows else ([], 0)

    def close(self) -> None:
        if self.writer is not None:
            if self.pending_rows:
                self._flush(whole_groups_only=False)
            self.writer.close()


class BackgroundWriter:
    """Hands finished pieces of work (a chunk's results) to ``work`` on one thread of its own, in
    order, while the caller goes on (simulates the next chunk): building tables and writing Parquet
    overlap with computing. At most ``depth`` pieces wait, so memory stays bounded by a few chunks.

    Used as a context manager. An error of ``work`` stops the work and is raised in the caller, at
    its next :meth:`put` or on leaving the block; an error of the caller abandons what is left."""

    def __init__(self, work: Callable[[Any], None], depth: int = 1) -> None:
        self.work, self.error = work, None
        self.waiting: queue.Queue = queue.Queue(maxsize=depth)
        self.abandoned = False
        self.thread = threading.Thread(target=self._loop, name="alliance-writer", daemon=True)

    def _loop(self) -> None:
        while (piece := self.waiting.get()) is not None:
            if self.error is None and not self.abandoned:
                try:
                    self.work(piece)
                except BaseException as error:  # handed to the caller's thread (see _raise)
                    self.error = error

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def put(self, piece: Any) -> None:
        """Queue ``piece`` for the work (waits while ``depth`` pieces wait already)."""
        self._raise()
        self.waiting.put(piece)

    def __enter__(self) -> BackgroundWriter:
        self.thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.abandoned = kind is not None
        self.waiting.put(None)
        self.thread.join()
        if kind is None:
            self._raise()
