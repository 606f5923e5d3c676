"""`alliance run`'s Parquet path: tables go to Arrow straight from their column arrays, as
``pa.Table.from_pandas`` of their DataFrames would (so pandas reads them back as they were), the
columns that cannot hold a missing value (numpy booleans and integers) declared required; the
background writer does its work in order, finishes it (closes the file)
only when nothing failed, and hands its errors back; a stream's checksum, kept while writing, is the
file's; integer columns carry min/max statistics, floats, flags and categories none."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simulation.config import Params
from simulation.runs import Rows, Run, simulate_rows
from simulation.store.manifest import checksum
from simulation.store.parquet import BackgroundWriter, ParquetStream, arrow_table, frame_table, write_frame
from simulation.sweeps.execute import simulate_part
from simulation.sweeps.study import parse_study
from simulation.tables import table_columns


def as_pandas_would(frame: pd.DataFrame) -> pa.Table:
    """``pa.Table.from_pandas`` of ``frame``, its columns of numpy booleans and integers (which have no
    way to mark a missing value) declared required: what arrow_table must make."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    required = {
        name for name, column in frame.items() if isinstance(column.dtype, np.dtype) and column.dtype.kind in "biu"
    }
    schema = pa.schema(
        [field.with_nullable(field.name not in required) for field in table.schema], table.schema.metadata
    )
    return table.cast(schema)


@pytest.mark.parametrize("format_name", ["individual", "group", "family"])
def test_arrow_tables_from_arrays_equal_those_from_the_dataframes(format_name):
    runs = [Run(Params(), 240, 3, format_name)]
    columns = table_columns(runs, simulate_rows(runs, Rows.of_runs(runs)), run_column=False)
    parts = {"sessions": columns.sessions, "clients": columns.clients, "units": columns.units}
    for name, part in parts.items():
        if not part:
            assert name == "units" and format_name == "individual"
            continue
        expected = as_pandas_would(pd.DataFrame(part))
        made = arrow_table(part)
        assert made.schema.equals(expected.schema, check_metadata=True), name
        assert made.equals(expected), name
        assert not made.schema.field("client_id" if name != "units" else "unit_id").nullable
        if name == "sessions":  # missing where the session was missed: stays nullable
            assert made.schema.field("ors").nullable and made.schema.field("alliance_therapist").nullable


def test_each_kind_of_column_converts_as_pandas_would_missing_values_included():
    """The buffer-level conversions (simulation.store.parquet._arrow_array) on what the tables above
    may lack: a missing category, NaN, a missing nullable integer, odd lengths of booleans, text."""
    columns = {
        "kind": pd.Categorical.from_codes(np.array([0, -1, 1, 1, 0], dtype=np.int8), categories=["a", "b"]),
        "score": np.array([0.5, np.nan, 1.5, np.nan, 2.0], dtype=np.float32),
        "points": pd.arrays.IntegerArray(np.array([3, 0, 7, 9, 0], dtype=np.int8), np.array([0, 1, 0, 0, 1], bool)),
        "flag": np.array([True, False, True, True, False]),
        "count": np.arange(5, dtype=np.int16),
        "label": np.array(["x", "y", "z", "x", "y"], dtype=object),
    }
    expected = as_pandas_would(pd.DataFrame(columns))
    made = arrow_table(columns)
    assert made.schema.equals(expected.schema, check_metadata=True)
    assert made.equals(expected)
    assert [made[name].null_count for name in columns] == [1, 2, 2, 0, 0, 0]
    assert [field.nullable for field in made.schema] == [True, True, True, False, False, True]


@pytest.mark.parametrize("format_name", ["individual", "group", "family"])
def test_a_study_part_is_written_as_pandas_would_and_read_back_unchanged(format_name, tmp_path):
    """A study's parts go to Parquet by write_frame (simulation.sweeps.folder.store_part): the table
    ``to_parquet`` would write, text columns (the seeds) and the clients' categoricals included, its
    never-missing columns required; pandas reads back the very frame."""
    study = parse_study(
        f"""
        [study]
        sampler = "lhs"
        samples = 3
        clients = 60
        format = "{format_name}"
        outputs = ["summary", "clients"]
        [vary.repair_skill_mean]
        range = [0.2, 0.9]
        """,
        default_name="bytes",
    )
    part = simulate_part(study, study.design(), [0, 1, 2])
    for name, frame in part.items():
        assert frame_table(frame).equals(as_pandas_would(frame))
        write_frame(frame, tmp_path / f"{name}.parquet")
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / f"{name}.parquet"), frame)


def test_the_background_writer_works_in_order_and_raises_its_error_in_the_caller():
    done = []
    with BackgroundWriter(done.append, finish=lambda: done.append("finished")) as writer:
        for piece in range(5):
            writer.put(piece)
    assert done == [0, 1, 2, 3, 4, "finished"]

    def fail_on_two(piece: int) -> None:
        if piece == 2:
            raise OSError(28, "No space left on device")
        done.append(piece)

    done.clear()
    finish = lambda: done.append("finished")  # noqa: E731
    with pytest.raises(OSError, match="No space left"), BackgroundWriter(fail_on_two, finish=finish) as writer:
        for piece in range(6):
            writer.put(piece)
    assert done == [0, 1]  # nothing after the error is written, and the work is not finished


def test_a_stream_keeps_its_files_checksum_and_statistics_for_integer_columns_only(tmp_path, monkeypatch):
    monkeypatch.setattr(ParquetStream, "ROW_GROUP", 100)  # several row groups, written while pieces come
    runs = [Run(Params(), 120, 5)]
    stream = ParquetStream(tmp_path / "sessions.parquet")
    for start in (0, 60):
        result = simulate_rows(runs, Rows.of_runs(runs, start, start + 60))
        stream.write(arrow_table(table_columns(runs, result, run_column=False).sessions))
    stream.close()
    assert stream.checksum == checksum(tmp_path / "sessions.parquet")
    metadata = pq.ParquetFile(tmp_path / "sessions.parquet").metadata
    assert metadata.num_row_groups > 2
    for index in range(metadata.num_columns):
        column = metadata.row_group(0).column(index)
        is_integer = column.physical_type in ("INT32", "INT64")  # ids, sessions, counts, points
        assert column.is_stats_set == is_integer, column.path_in_schema
