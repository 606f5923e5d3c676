"""The codebook of a synthetic data set: every column of every table with its meaning, type, scale or
unit, range and missing code, written as codebook.json and codebook.md.

Meanings live in :data:`COLUMNS` (one entry per column name; a few names mean something slightly
different in the truth tables and have an entry in :data:`TRUTH_COLUMNS`). A column without an entry
is an error at generation time, so no table can be written with an undocumented column.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from simulation.dynamics import CLIENT_TRAITS, THERAPIST_TRAITS
from simulation.instruments.empathy import EMPATHY_ITEMS
from simulation.instruments.items import (
    ORS_ITEMS,
    SRS_ITEMS,
    WAI_ITEMS,
    WAI_SUBSCALE_OF_ITEM,
    WAI_SUBSCALES,
)

MISSING = "null in Parquet, an empty field in CSV"


@dataclass(frozen=True)
class Column:
    """What a column holds: meaning, scale or unit, valid range, and when it is missing (None: never)."""

    meaning: str
    unit: str
    range: str
    missing_when: str | None = None


def _item_columns() -> dict[str, Column]:
    columns = {}
    for form, rater in (("wai_client", "client"), ("wai_therapist", "therapist")):
        for item in range(1, WAI_ITEMS + 1):
            subscale = WAI_SUBSCALE_OF_ITEM[item - 1]
            columns[f"{form}_{item}"] = Column(
                f"WAI-SR {rater} form, item {item} ({subscale} subscale), end of session",
                "1 (seldom) to 5 (always)",
                "1-5",
                "not on the WAI-SR schedule, session missed, or the item left blank",
            )
        for subscale in WAI_SUBSCALES:
            columns[f"{form}_{subscale}"] = Column(
                f"WAI-SR {rater} form, {subscale} subscale: sum of its 4 items",
                "sum of item points",
                "4-20",
                "any of its items missing",
            )
        columns[f"{form}_total"] = Column(
            f"WAI-SR {rater} form total: sum of the 12 items", "sum of item points", "12-60", "any item missing"
        )
    for form, names, when in (("srs", SRS_ITEMS, "end"), ("ors", ORS_ITEMS, "start")):
        for item, name in enumerate(names, start=1):
            columns[f"{form}_{item}"] = Column(
                f"{form.upper()} item {item} ({name.replace('_', ' ')}), {when} of the session",
                "0-10 (mark on a 10 cm line, whole cm)",
                "0-10",
                "session missed or the item left blank",
            )
        columns[f"{form}_total"] = Column(
            f"{form.upper()} total: sum of the 4 items", "points", "0-40", "session missed or any item missing"
        )
    return columns


_TRAIT = "0-1 (population mean and SD are parameters)"
COLUMNS: dict[str, Column] = {
    "run": Column("run index of a multi-run table", "index", "0 or more"),
    "client_id": Column("client identifier (unique within the data set)", "id", "1 or more"),
    "therapist_id": Column(
        "therapist identifier; each therapist sees clients_per_therapist clients", "id", "1 or more"
    ),
    "unit_id": Column(
        "treatment unit: the group or family (group and family formats); the therapist in individual therapy",
        "id",
        "1 or more",
    ),
    "format": Column("therapy format (simulation.formats)", "category", "individual, group, family"),
    "role": Column(
        "the member's role in the family (family format)", "category", "partner, parent, adolescent, sibling"
    ),
    "member_session": Column(
        "the member's own session number (1 at their first; group format: members of open groups join later)",
        "sessions",
        "1 to course_length",
    ),
    # group and family figures (truth: latent)
    "cohesion": Column(
        "group cohesion the member feels this session (ties, members' alliances, witnessed ruptures)", "0-1", "0-1"
    ),
    "member_rupture": Column("ruptures the member began with other group members this session", "count", "0 or more"),
    "shared_alliance": Column(
        "the family's shared alliance (mean alliance of the members in therapy times 1 - split); clients: mean",
        "0-1",
        "0-1",
    ),
    "split": Column(
        "split alliance: the range (max - min) of the family members' alliances; clients: mean over sessions",
        "alliance units",
        "0-1",
    ),
    "first_session": Column("the group session at which the member joined (group format)", "sessions", "1 or more"),
    "cohesion_mean": Column("the member's mean cohesion over attended sessions (group format)", "0-1", "0-1"),
    "member_ruptures": Column("ruptures with other group members over the course", "count", "0 or more"),
    "witnessed": Column(
        "what the member's witnessing of others' ruptures added to cohesion (repaired +, unresolved -)",
        "cohesion units",
        "-1 to 1",
    ),
    "sided_with": Column(
        "the family member the therapist sides with (drawn per family; no effect at therapist_neutrality 1)",
        "true/false",
        "true, false",
    ),
    "session": Column("scheduled session number (weekly)", "sessions", "1 to course_length"),
    "attended": Column("the client attended the scheduled session", "true/false", "true, false"),
    **_item_columns(),
    **{
        f"empathy_{item}": Column(
            f"perceived-empathy scale (BLRI empathy, short form), item {item} ({text}), end of session",
            "-3 (strongly not true) to +3 (strongly true), no 0",
            "-3 to 3",
            "outside the client's own sessions 3-5, or session missed",
        )
        for item, text in enumerate(EMPATHY_ITEMS, start=1)
    },
    "empathy_total": Column(
        "perceived-empathy scale total: sum of the 6 items", "sum of answers", "-18 to 18", "empathy items missing"
    ),
    "srs_below_cutoff": Column(
        "SRS total under the cutoff 36: a session whose alliance needs talking about",
        "true/false",
        "true, false",
        "srs_total missing",
    ),
    "rupture_client": Column(
        "client's post-session report: was there a problem in our relationship today?",
        "true/false",
        "true, false",
        "session missed",
    ),
    "rupture_therapist": Column(
        "therapist's post-session report: was there a problem in the relationship today?",
        "true/false",
        "true, false",
        "session missed",
    ),
    "rupture_observer": Column(
        "observer's coding of rupture markers in the session recording (3RS)",
        "category",
        "none, withdrawal, confrontation",
        "session missed",
    ),
    # clients (observed)
    "modality": Column("seen in person or online", "category", "in_person, online"),
    "culture": Column("cultural background of the client", "category", "majority, minority"),
    "sessions_scheduled": Column(
        "sessions scheduled until the course ended (rows of the long table)", "sessions", "1 or more"
    ),
    "sessions_attended": Column("sessions attended", "sessions", "1 or more"),
    "dropped_out": Column("the course ended by dropout (not a planned ending)", "true/false", "true, false"),
    "ors_intake": Column("ORS total at intake (session 1)", "points", "0-40", "an ORS item left blank"),
    "ors_final": Column(
        "ORS total at the last attended session (for a dropout, as practice data sets record it)",
        "points",
        "0-40",
        "an ORS item left blank",
    ),
    "change": Column("ors_final - ors_intake", "ORS points", "-40 to 40", "either total missing"),
    "reliable_change": Column(
        "reliable change on the ORS (index 5 points)",
        "category",
        "deteriorated, unchanged, improved",
        "either total missing",
    ),
    "clinically_significant": Column(
        "reliably improved and crossed from under the cutoff 25 to 25 or above",
        "true/false",
        "true, false",
        "either total missing",
    ),
    # therapists
    "clients": Column("caseload: clients of this therapist in the data set", "clients", "1 or more"),
    "minority": Column("the therapist is of a minority cultural background", "true/false", "true, false"),
    # truth: sessions
    "stage": Column("stage of the course at the session", "category", "engagement, exploration, working, resolution"),
    "bond": Column("latent bond, client's view, end of session", "alliance units", "0-1"),
    "goal": Column("latent agreement on goals, client's view, end of session", "alliance units", "0-1"),
    "task": Column("latent agreement on tasks, client's view, end of session", "alliance units", "0-1"),
    "alliance": Column(
        "latent composite alliance, client's view (weighted mean of bond, goal, task)", "alliance units", "0-1"
    ),
    "alliance_therapist": Column(
        "the kernel's therapist view of the composite: alliance + therapist bias + noise, clipped",
        "alliance units",
        "0-1",
        "session missed",
    ),
    **{
        f"therapist_view_{name}": Column(
            f"the therapist's view of {name} that their WAI-SR items measure: {name} + (alliance_therapist - alliance)"
            " + rating style + misjudgement of this client",
            "alliance units",
            "unbounded (about -0.5 to 1.5)",
            "session missed",
        )
        for name in WAI_SUBSCALES
    },
    **{
        f"client_view_{name}": Column(
            f"the client's view of {name} that their WAI-SR items measure: {name} + their rating tendency",
            "alliance units",
            "unbounded (about -0.3 to 1.3)",
            "session missed",
        )
        for name in WAI_SUBSCALES
    },
    "empathy_perceived": Column(
        "the empathy the client perceives, which the empathy items measure (therapist's empathy, fit, bond)",
        "0-1",
        "unbounded (about 0 to 1)",
        "the scale not given (outside the client's own sessions 3-5, or session missed)",
    ),
    "rupture": Column("a rupture began in this session (the truth behind the reports)", "true/false", "true, false"),
    "rupture_kind": Column("kind of the rupture that began", "category", "none, withdrawal, confrontation"),
    "rupture_resolved": Column(
        "an open rupture was resolved (fifth repair step) in this session", "true/false", "true, false"
    ),
    "ors_kernel": Column(
        "the kernel's ORS total (latent well-being + instrument error, rounded) that the ORS items sum to",
        "points",
        "0-40",
        "session missed",
    ),
    "srs_kernel": Column("the kernel's SRS total that the SRS items sum to", "points", "0-40", "session missed"),
    "expected_ors": Column(
        "expected ORS at the client's own session for their intake ORS band (routine outcome monitoring)",
        "ORS points",
        "0-40",
    ),
    "not_on_track": Column(
        "the kernel's ORS of this attended session is more than monitoring_margin below expected_ors",
        "true/false",
        "true, false",
    ),
    # truth: clients (the kernel's client table)
    "attachment": Column("attachment style", "category", "secure, anxious, avoidant"),
    "cultural_mismatch": Column("client and therapist of different cultural backgrounds", "true/false", "true, false"),
    **{name: Column(f"client trait: {name}", _TRAIT, "0-1") for name in CLIENT_TRAITS},
    "fit": Column("client-therapist fit: style convergence, bridged culture", "0-1", "0-1"),
    "wellbeing": Column(
        "latent well-being at the start of the session, before its change: what the ORS measures",
        "ORS points",
        "0-40",
    ),
    "wellbeing_intake": Column("latent well-being at intake", "ORS points", "0-40"),
    "wellbeing_attainable": Column("the latent level the client can reach", "ORS points", "0-40"),
    "wellbeing_final": Column("latent well-being at the end of the course", "ORS points", "0-40"),
    "final_stage": Column("stage at the end of the course", "category", "engagement, exploration, working, resolution"),
    "dropout_cause": Column(
        "why the course ended early: disengaged (alliance-driven hazard), practical, improved; none if it did not",
        "category",
        "none, disengaged, practical, improved",
    ),
    "ruptures": Column("ruptures over the course", "count", "0 or more"),
    "ruptures_resolved": Column("ruptures resolved", "count", "0 or more"),
    "ruptures_unresolved": Column(
        "ruptures left unresolved (one still open at the end included)", "count", "0 or more"
    ),
    "alliance_early": Column(
        "mean latent alliance (client's view) over attended sessions 3-5",
        "alliance units",
        "0-1",
        "no attended session among 3-5",
    ),
    "outcome": Column(
        "outcome category, the first that applies",
        "category",
        "recovered, improved, unchanged, deteriorated, dropped_out",
    ),
    "flagged": Column("not on track at one session or more (routine outcome monitoring)", "true/false", "true, false"),
    "first_flagged": Column(
        "the client's own session of the first not-on-track signal", "session", "2 or more", "never flagged"
    ),
    "feedback_sessions": Column(
        "sessions in which the therapist acted on a not-on-track signal (0 unless feedback_enabled)",
        "count",
        "0 or more",
    ),
    "sessions_added": Column("sessions that acted-on signals added to the planned course", "sessions", "0 or more"),
    "wellbeing_alliance_raised": Column(
        "causal replay: latent well-being at the end of the course with bond, goal and task raised by "
        "estimand_alliance_delta at the end of the client's session estimand_alliance_session (same draws)",
        "ORS points",
        "0-40",
    ),
    "wellbeing_no_dropout": Column(
        "causal replay: latent well-being at the planned ending had the client not dropped out (same draws)",
        "ORS points",
        "0-40",
    ),
    "wellbeing_final_feedback_off": Column(
        "causal replay (feedback_enabled data sets): latent well-being at the end of the course without "
        "routine outcome monitoring feedback (same draws)",
        "ORS points",
        "0-40",
    ),
    "dropped_out_feedback_off": Column(
        "causal replay (feedback_enabled data sets): the course would have ended by dropout without feedback",
        "true/false",
        "true, false",
    ),
    "imposed_dropout_session": Column(
        "imposed_dropout data sets: the client's session after which the imposed dropout (hazard from the "
        "observed ORS, and with dropout_wellbeing_weight above 0 from latent well-being) ended the course",
        "session",
        "1-52",
        "the imposed dropout did not end the course",
    ),
    "wai_therapist_dyad": Column(
        "standard normal draw of the therapist's lasting misjudgement of this client (times wai_therapist_dyad_sd)",
        "z",
        "unbounded",
    ),
    # truth: therapists
    **{name: Column(f"therapist trait: {name.replace('_', ' ')}", _TRAIT, "0-1") for name in THERAPIST_TRAITS},
    "bias": Column("therapist's view bias: their view minus the client's", "alliance units", "-1 to 1"),
    "style": Column("interpersonal style (enters fit)", "0-1", "0-1"),
    "wai_therapist_style": Column(
        "standard normal draw of the therapist's WAI-SR rating style (times wai_therapist_style_sd)", "z", "unbounded"
    ),
    "outcome_z": Column(
        "standard normal draw of the therapist's own effect on change (times therapist_outcome_sd on the log "
        "change rate)",
        "z",
        "unbounded",
    ),
    "alliance_ability": Column(
        "the therapist's alliance-building ability: empathy, congruence, regard, collaboration, attunement and "
        "repair skill minus defensiveness, each as its deviation from the population mean, summed and divided by "
        "therapist_trait_sd x sqrt(7) (about standard normal; 0 when therapist_trait_sd is 0)",
        "SD units",
        "unbounded",
    ),
    "rate_factor": Column(
        "the therapist's factor on every client's change rate: exp(therapist_outcome_sd x outcome_z + "
        "therapist_alliance_outcome_effect x alliance_ability); 1 with both parameters at 0 (the defaults)",
        "multiplier",
        "above 0",
    ),
}

TRUTH_COLUMNS: dict[str, Column] = {
    "ors_intake": Column("the kernel's ORS total at intake (before item non-response)", "points", "0-40"),
    "ors_final": Column("the kernel's ORS total at the last attended session", "points", "0-40"),
    "change": Column("ors_final - ors_intake (the kernel's totals)", "ORS points", "-40 to 40"),
    "minority": Column("of a minority cultural background", "true/false", "true, false"),
}


def type_name(series: pd.Series) -> str:
    """The column's type in words: boolean, integer, float or category."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    return str(dtype)


def describe(tables: dict[str, pd.DataFrame]) -> dict[str, list[dict[str, str]]]:
    """The codebook of ``tables`` (file name -> a table's first rows, for the types): per file, one
    entry per column. Raises KeyError naming a column that has no entry."""
    book = {}
    for file, table in tables.items():
        entries = []
        for name in table.columns:
            spec = (TRUTH_COLUMNS.get(name) if file.startswith("truth/") else None) or COLUMNS.get(name)
            if spec is None:
                raise KeyError(f"column '{name}' of {file} has no codebook entry (simulation.instruments.codebook)")
            entries.append(
                {
                    "name": name,
                    "meaning": spec.meaning,
                    "type": type_name(table[name]),
                    "unit": spec.unit,
                    "range": spec.range,
                    "missing": f"{MISSING}: {spec.missing_when}" if spec.missing_when else "never missing",
                }
            )
        book[file] = entries
    return book


def to_markdown(book: dict[str, list[dict[str, str]]]) -> str:
    """The codebook as Markdown: one table per file."""
    lines = ["# Codebook", "", f"Missing values: {MISSING}.", ""]
    for file, entries in book.items():
        lines += [
            f"## {file}",
            "",
            "| column | meaning | type | scale or unit | range | missing |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| `{e['name']}` | {e['meaning']} | {e['type']} | {e['unit']} | {e['range']} | {e['missing']} |"
            for e in entries
        ]
        lines.append("")
    return "\n".join(lines)
