"""Regenerate the parts of the docs that are read from the code: the parameter table in docs/ODD.md.

python docs/refresh.py        (tests/test_docs.py fails while it is out of date)
"""

from pathlib import Path

from simulation.config import markdown_table

ODD = Path(__file__).with_name("ODD.md")
START, END = "<!-- parameters:start -->", "<!-- parameters:end -->"


def with_parameter_table(text: str) -> str:
    """The document with the block between the markers replaced by the current table."""
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{markdown_table()}\n{END}{tail}"


if __name__ == "__main__":
    ODD.write_text(with_parameter_table(ODD.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"refreshed the parameter table in {ODD}")
