"""`alliance run`'s Parquet path: tables go to Arrow straight from their column arrays, exactly as
``pa.Table.from_pandas`` of their DataFrames would (so the files keep their bytes and pandas reads
them back as before), and the background writer does its work in order and hands its errors back."""

import pandas as pd
import pyarrow as pa
import pytest

from simulation.config import Params
from simulation.runs import Rows, Run, simulate_rows
from simulation.store.parquet import BackgroundWriter, arrow_table
from simulation.tables import table_columns


@pytest.mark.parametrize("format_name", ["individual", "group", "family"])
def test_arrow_tables_from_arrays_equal_those_from_the_dataframes(format_name):
    runs = [Run(Params(), 240, 3, format_name)]
    columns = table_columns(runs, simulate_rows(runs, Rows.of_runs(runs)), run_column=False)
    parts = {"sessions": columns.sessions, "clients": columns.clients, "units": columns.units}
    for name, part in parts.items():
        if not part:
            assert name == "units" and format_name == "individual"
            continue
        expected = pa.Table.from_pandas(pd.DataFrame(part), preserve_index=False)
        made = arrow_table(part)
        assert made.schema.equals(expected.schema, check_metadata=True), name
        assert made.equals(expected), name


def test_the_background_writer_works_in_order_and_raises_its_error_in_the_caller():
    done = []
    with BackgroundWriter(done.append) as writer:
        for piece in range(5):
            writer.put(piece)
    assert done == [0, 1, 2, 3, 4]

    def fail_on_two(piece: int) -> None:
        if piece == 2:
            raise OSError(28, "No space left on device")
        done.append(piece)

    done.clear()
    with pytest.raises(OSError, match="No space left"), BackgroundWriter(fail_on_two) as writer:
        for piece in range(6):
            writer.put(piece)
    assert done == [0, 1]  # nothing after the error is written
