"""Regenerate the parts of the docs that are read from the code: the parameter, preset and random-process
tables in docs/ODD.md.

python docs/refresh.py        (tests/test_docs.py fails while it is out of date)
"""

from pathlib import Path

from simulation.backend import PROCESSES
from simulation.config import markdown_table
from simulation.presets import PRESETS

ODD = Path(__file__).with_name("ODD.md")


def preset_table() -> str:
    """Every preset with its overrides, as a Markdown table."""
    lines = ["| preset | kind | summary | overrides |", "|---|---|---|---|"]
    for preset in PRESETS.values():
        overrides = ", ".join(f"`{name}` {value:g}" for name, value in preset.overrides.items()) or "none"
        lines.append(f"| `{preset.name}` | {preset.kind} | {preset.summary} | {overrides} |")
    return "\n".join(lines)


def process_table() -> str:
    """Every random process of the registry with its layout, as a Markdown table."""
    lines = ["| process | domain | draws | when | stream | half | meaning |", "|---|---|---|---|---|---|---|"]
    for name, process in PROCESSES.processes.items():
        slot = PROCESSES.slots[name]
        half = "both" if slot.half is None else str(slot.half)
        when = "each session" if process.per_session else "intake"
        lines.append(
            f"| `{name}` | {process.domain.name.lower()} | {process.draws} {process.distribution} | {when} "
            f"| {slot.stream} | {half} | {process.meaning} |"
        )
    return "\n".join(lines)


def replaced(text: str, block: str, content: str) -> str:
    """``text`` with what stands between ``<!-- block:start -->`` and ``<!-- block:end -->`` replaced."""
    start, end = f"<!-- {block}:start -->", f"<!-- {block}:end -->"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{content}\n{end}{tail}"


def refreshed(text: str) -> str:
    """The document with its generated blocks (parameters, presets) brought up to date."""
    blocks = {"parameters": markdown_table(), "presets": preset_table(), "processes": process_table()}
    for block, content in blocks.items():
        text = replaced(text, block, content)
    return text


if __name__ == "__main__":
    ODD.write_text(refreshed(ODD.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"refreshed the parameter, preset and random-process tables in {ODD}")
