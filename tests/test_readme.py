"""The README works as written: it opens with the set-up commands, and its Python snippets run."""

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def code_blocks(language: str) -> list[tuple[int, str]]:
    """(first line number, code) of each fenced block in ``language``, in order."""
    return [
        (README.count("\n", 0, match.start(1)) + 1, match.group(1))
        for match in re.finditer(rf"^```{language}\n(.*?)^```", README, flags=re.DOTALL | re.MULTILINE)
    ]


def test_readme_opens_with_the_run_and_test_commands():
    first, second = (code for _, code in code_blocks("bash")[:2])
    assert first.startswith("python3 -m venv .venv && ") and "alliance run" in first
    assert second.strip() in (ROOT / ".ci" / "run").read_text(encoding="utf-8")  # CI runs the same command
    assert README.index("```bash") < README.index("## ")  # before any section


def test_python_snippets_run_as_written(tmp_path, monkeypatch):
    """Every ```python block, in order and in one namespace (later blocks use earlier names), run in a
    temporary folder; a traceback points at the README's own line numbers."""
    blocks = code_blocks("python")
    assert len(blocks) >= 3
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for line, code in blocks:
        exec(compile("\n" * (line - 1) + code, str(ROOT / "README.md"), "exec"), namespace)
