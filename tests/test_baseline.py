"""The exact baseline (tests/baseline.py): the fixed small run gives the stored figures and hashes."""

from tests import baseline


def test_results_equal_the_stored_baseline():
    """Any change of results fails here, even one that keeps every calibration figure in its band."""
    changed = baseline.differences(baseline.stored(), baseline.current())
    assert not changed, (
        "the results of the fixed baseline run changed:\n  "
        + "\n  ".join(changed)
        + f"\nIf the change is deliberate, run `{baseline.REFRESH}` and commit tests/baseline.json in the same"
        " commit, whose message says in one line why the results changed."
    )


def test_a_changed_figure_or_table_is_reported():
    """The comparison itself can fail: a changed figure and a changed hash are each named."""
    old = baseline.stored()
    new = {**old, "summary": {**old["summary"], "ruptures": -1}, "sha256": {**old["sha256"], "clients": "0" * 64}}
    changed = baseline.differences(old, new)
    assert len(changed) == 2
    assert changed[0].startswith("summary ruptures:") and changed[1].startswith("sha256 clients:")
