"""Parquet output: tables turned into Arrow straight from their column arrays (:func:`arrow_table`),
written in row groups of a fixed size (:class:`ParquetStream`, which checksums the bytes as it writes
them), on threads of their own while the next chunk is simulated (:class:`BackgroundWriter`)."""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Callable, Hashable
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulation.store.manifest import RunningChecksum


def arrow_table(columns: dict[str, Any]) -> pa.Table:
    """An Arrow table of ``columns`` (numpy arrays, pandas Categoricals and nullable integer arrays,
    as simulation.tables.table_columns makes them) equal to ``pa.Table.from_pandas`` of their
    DataFrame, pandas metadata included (so pandas reads the categoricals and nullable integers back
    as they were), except that the columns that cannot hold a missing value are declared so
    (:func:`_never_missing`), without building the DataFrame: the schema is that of a frame of the
    first row (:func:`_schema`, made once per set of column names and dtypes), and each column
    converts on its own (:func:`_arrow_array`)."""
    signature = tuple((name, values.dtype) for name, values in columns.items())
    schema = _schema(signature, lambda: pd.DataFrame({name: values[:1] for name, values in columns.items()}))
    arrays = [_arrow_array(values, field.type) for values, field in zip(columns.values(), schema, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)


def frame_table(frame: pd.DataFrame) -> pa.Table:
    """``pa.Table.from_pandas(frame, preserve_index=False)`` by :func:`arrow_table` (so its columns of
    numpy booleans and integers are declared never missing), without pandas' conversion, which costs
    milliseconds per call even for a table of a few rows (a study's part)."""
    return arrow_table(
        {
            name: column.array if isinstance(column.dtype, pd.api.extensions.ExtensionDtype) else column.to_numpy()
            for name, column in frame.items()
        }
    )


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to the Parquet file ``path`` as ``frame.to_parquet(path, index=False)`` would,
    its table made by :func:`frame_table` (as every Parquet file of the package is)."""
    pq.write_table(frame_table(frame), path)


def _arrow_array(values: Any, arrow_type: pa.DataType) -> pa.Array:
    """``values`` as an Arrow array of ``arrow_type``, equal to what ``pa.Table.from_pandas`` makes
    of it (missing: NaN, a nullable integer's mask, a category code of -1), put together from its
    buffers: numeric data without a copy, booleans and validity bitmaps packed by numpy, a
    categorical's codes as the indices of a dictionary made once per set of categories. Arrow's own
    conversions from pandas walk the values one at a time and cost as much as encoding them."""
    if isinstance(values, pd.Categorical):
        codes = values.codes
        indices = pa.Array.from_buffers(arrow_type.index_type, len(codes), _data_buffers(codes, codes < 0))
        dictionary = _dictionary(tuple(values.categories), arrow_type.value_type)
        return pa.DictionaryArray.from_arrays(indices, dictionary, safe=False)  # codes are valid by construction
    if isinstance(values, pd.arrays.IntegerArray):
        # its data and mask as they are (pandas' own conversion to Arrow reads them so); the public
        # to_numpy(na_value=...) fills a copy value by value
        return pa.Array.from_buffers(arrow_type, len(values), _data_buffers(values._data, values._mask))
    if values.dtype == np.bool_:
        return pa.Array.from_buffers(arrow_type, len(values), [None, _bits(values)])
    if values.dtype.kind not in "iuf":  # text and the like: Arrow's conversion
        return pa.array(values, type=arrow_type, from_pandas=True)
    missing = np.isnan(values) if values.dtype.kind == "f" else None
    return pa.Array.from_buffers(arrow_type, len(values), _data_buffers(values, missing))


def _data_buffers(data: np.ndarray, missing: np.ndarray | None) -> list[pa.Buffer | None]:
    """The validity bitmap (None where nothing is missing) and the data buffer of a numeric array."""
    validity = _bits(~missing) if missing is not None and missing.any() else None
    return [validity, pa.py_buffer(np.ascontiguousarray(data))]


def _bits(flags: np.ndarray) -> pa.Buffer:
    """Booleans as an Arrow bitmap (least significant bit first)."""
    return pa.py_buffer(np.packbits(flags, bitorder="little"))


@cache
def _dictionary(categories: tuple[str, ...], value_type: pa.DataType) -> pa.Array:
    """The dictionary of a categorical column's Arrow array (made once per set of categories)."""
    return pa.array(categories, type=value_type)


_SCHEMAS: dict[tuple[tuple[str, Hashable], ...], pa.Schema] = {}


def _schema(signature: tuple[tuple[str, Hashable], ...], first_row: Callable[[], pd.DataFrame]) -> pa.Schema:
    """The Arrow schema (with pandas metadata) of tables whose columns have the names and dtypes of
    ``signature``, from the frame ``first_row`` makes (a row infers as the whole does), its columns
    that cannot hold a missing value declared so (:func:`_never_missing`); kept per signature, since
    pandas' inference costs more than converting a whole piece's columns."""
    if signature not in _SCHEMAS:
        inferred = pa.Schema.from_pandas(first_row().iloc[:0], preserve_index=False)
        fields = [
            field.with_nullable(not _never_missing(dtype))
            for field, (_, dtype) in zip(inferred, signature, strict=True)
        ]
        _SCHEMAS[signature] = pa.schema(fields, metadata=inferred.metadata)
    return _SCHEMAS[signature]


def _never_missing(dtype: Hashable) -> bool:
    """Whether a column of ``dtype`` cannot hold a missing value: numpy booleans and integers (pandas
    marks missing values by NaN in floats, by a mask in its nullable integers and by a code of -1 in
    categoricals; these have neither). Parquet declares such columns required, and stores no
    definition levels for them: the sessions file is then about a tenth cheaper to write, and a
    reader knows that the ids, session numbers and flags are never null."""
    return isinstance(dtype, np.dtype) and dtype.kind in "biu"


class _ChecksummedFile(io.RawIOBase):
    """A file opened for writing that keeps the SHA-256 and size of what is written to it, so that a
    manifest need not read the file again (simulation.store.manifest.checksum's record)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.file, self.checksum = path.open("wb"), RunningChecksum()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.checksum.update(view)
        return self.file.write(view)

    def tell(self) -> int:
        return self.checksum.size

    def close(self) -> None:
        if not self.closed:
            self.file.close()
        super().close()

    def record(self) -> dict[str, object]:
        return self.checksum.record()


class ParquetStream:
    """A Parquet file written piece by piece in row groups of a fixed size, so that its bytes depend
    on the data alone and not on how the data arrived (chunk sizes, workers). Its checksum record
    (:attr:`checksum`, as simulation.store.manifest.checksum makes it) is kept while writing.

    Encoding: snappy; dictionary encoding for the categorical columns only (trying it on every float
    column made writing 3-4 times slower for files no smaller); min/max statistics for the integer
    columns only (a reader skips row groups by ids, sessions and counts; every row group holds every
    stage, both values of a flag and a wide spread of each float, so their statistics would never
    skip one, and they cost about a tenth of the writing); the encoder works through
    a whole row group at once (``write_batch_size``: its default of 1,024 rows cost a tenth more)."""

    ROW_GROUP = 65_536
    BUFFER = 1 << 22  # bytes handed to the file (and its checksum) at once

    def __init__(self, path: Path) -> None:
        self.path, self.writer, self.pending, self.pending_rows = path, None, [], 0
        self.sink: _ChecksummedFile | None = None
        self.buffered: pa.NativeFile | None = None
        self.checksum: dict[str, object] | None = None

    def write(self, table: pa.Table | pd.DataFrame) -> None:
        """Append ``table`` (an Arrow table, or a DataFrame converted by :func:`frame_table`)."""
        arrow = frame_table(table) if isinstance(table, pd.DataFrame) else table
        if self.writer is None:
            categorical = [f.name for f in arrow.schema if pa.types.is_dictionary(f.type)]
            statistics = [f.name for f in arrow.schema if pa.types.is_integer(f.type)]
            self.sink = _ChecksummedFile(self.path)
            # buffered natively, so that the encoder (which releases the GIL) calls back into Python
            # for the checksum a few times per file rather than once per page
            self.buffered = pa.BufferedOutputStream(pa.PythonFile(self.sink, mode="w"), buffer_size=self.BUFFER)
            self.writer = pq.ParquetWriter(
                self.buffered,
                arrow.schema,
                use_dictionary=categorical,
                write_statistics=statistics,
                write_batch_size=self.ROW_GROUP,
            )
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
        """Write what is pending and close the file (its checksum is then in :attr:`checksum`)."""
        if self.sink is None or self.sink.closed:
            return
        try:
            if self.pending_rows:
                self._flush(whole_groups_only=False)
            self.writer.close()
        finally:
            try:
                if self.buffered is not None:
                    self.buffered.close()  # flushes, then closes the file
            finally:
                self.sink.close()
        self.checksum = self.sink.record()


class BackgroundWriter:
    """Hands finished pieces of work (a chunk's results) to ``work`` on one thread of its own, in
    order, while the caller goes on (simulates the next chunk): building tables and writing Parquet
    overlap with computing. At most ``depth`` pieces wait, so memory stays bounded by a few chunks.

    Used as a context manager. An error of ``work`` stops the work and is raised in the caller, at
    its next :meth:`put` or on leaving the block; an error of the caller abandons what is left.
    ``finish`` (e.g. closing the file written) runs on the thread after the last piece, unless the
    work was abandoned or failed."""

    def __init__(self, work: Callable[[Any], None], depth: int = 1, finish: Callable[[], None] | None = None) -> None:
        self.work, self.finish, self.error = work, finish, None
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
        if self.finish is not None and self.error is None and not self.abandoned:
            try:
                self.finish()
            except BaseException as error:
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
