"""Item models: WAI-SR, SRS and ORS item scores and rupture reports, drawn from the kernel's session
records (docs/ODD.md). A layer over the kernel: it reads the sessions table and its own
random processes (``backend.PROCESSES``, appended after the kernel's), so the kernel's results do not
change and the kernel's totals are what the items sum to.

The measurement model, in one place (docs/instruments.md explains it):

* **WAI-SR** (Hatcher & Gillaspy 2006): 12 items on 1-5, subscales goal, task and bond of four items
  each (:data:`WAI_SUBSCALE_OF_ITEM`). Item j of subscale k answers an ordinal (graded-response,
  probit) model: a latent response ``x = loading_j * (view_k - 0.5) + 0.5 + leniency + offset_j + e``
  with ``e ~ N(0, wai_<form>_item_error_sd)`` is cut at :data:`WAI_THRESHOLDS` into 1..5. The client's
  ``view_k`` is their latent component (bond, goal, task); the therapist's is the component plus the
  kernel's view shift (``alliance_therapist - alliance``: bias and noise), their rating style
  (therapist-level) and their lasting misjudgement of this client (dyad-level).
* **SRS** and **ORS** (Duncan et al. 2003; Miller et al. 2003): 4 items on 0-10 that sum to the
  kernel's total exactly. The shortfall from 40 is split among the items in proportion to weights
  ``exp(offset_j + spread * z_j)`` (largest remainders, no item below 0), so the SRS ceiling of the
  totals shows in the items (a total of 40 is four 10s).
* **Rupture reports**: the client's and therapist's answer to "was there a problem in our
  relationship today?" and an observer's coding of a rupture marker, each a draw given the true
  rupture onset of the session (sensitivity) or its absence (false-positive rate).
* **Item non-response**: each item of an administered questionnaire is blank with chance
  ``item_nonresponse_rate``, independently (missing completely at random); a scale score is missing
  when any of its items is.

The parameters named here are declared in :mod:`simulation.instruments.params`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.backend import Domain, Draws, run_key
from simulation.config import Params, shown
from simulation.figures.windows import WAI_SESSIONS
from simulation.measures import own_session

ITEM_MAX = 10  # SRS and ORS items are 0-10 (a 10 cm line scored to whole cm)
ITEMS_PER_SCALE = 4  # SRS and ORS
SCALE_MAX = ITEM_MAX * ITEMS_PER_SCALE
WAI_ITEMS = 12
WAI_SUBSCALES = ("goal", "task", "bond")
# WAI-SR item -> subscale (Hatcher & Gillaspy 2006): goal 4, 6, 8, 11; task 1, 2, 10, 12; bond 3, 5, 7, 9
WAI_SUBSCALE_OF_ITEM = ("task", "task", "bond", "goal", "bond", "goal", "bond", "goal", "bond", "task", "goal", "task")
WAI_LOADINGS = (1.05, 0.95, 1.0, 1.1, 0.9, 1.0, 1.05, 0.95, 1.0, 1.1, 0.9, 1.0)  # mean 1: 48 total points per unit
WAI_OFFSETS = (0.0, -0.03, 0.04, 0.0, 0.02, -0.02, 0.03, 0.01, 0.0, -0.04, 0.0, 0.02)  # alliance units
WAI_THRESHOLDS = (0.125, 0.375, 0.625, 0.875)  # latent response cut-offs between 1|2, 2|3, 3|4, 4|5
SRS_ITEMS = ("relationship", "goals_and_topics", "approach_or_method", "overall")
SRS_OFFSETS = (0.0, 0.1, 0.1, -0.2)  # log weights: a shortfall falls more on goals/approach than overall
ORS_ITEMS = ("individual", "interpersonal", "social", "overall")
ORS_OFFSETS = (0.1, 0.0, -0.1, 0.0)  # log weights: distress shows most on the individual item
OBSERVER_MARKERS = ("none", "withdrawal", "confrontation")  # the kernel's rupture kinds (RUPTURE_KINDS)
WAI_LAST = "last"  # in a schedule: the last session the clinic scheduled (course_length)


@dataclass(frozen=True)
class WaiSchedule:
    """When the WAI-SR is given: at the end of the listed sessions (when attended) and, with ``last``,
    at the last session the clinic scheduled (``course_length``), when attended; ``every`` gives it at
    every attended session. Sessions are the client's own (a member who joins an open group late has
    their own session 1 there)."""

    sessions: tuple[int, ...] = WAI_SESSIONS
    last: bool = True
    every: bool = False

    @classmethod
    def parse(cls, text: str) -> WaiSchedule:
        """'3,5,8,last', 'all', ... ; raises ValueError naming what is valid."""
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if parts == ["all"]:
            return cls((), False, True)
        numbers = [part for part in parts if part != WAI_LAST]
        # decimal digits only ('²' is a digit int() refuses), and few of them (int() refuses 4,300)
        if not parts or not all(part.isdecimal() and len(part) <= 9 and int(part) >= 1 for part in numbers):
            raise ValueError(
                f"--wai-schedule must be 'all' or a comma-separated list of session numbers (1 or more) "
                f"and/or 'last', e.g. 3,5,8,last; got {shown(text)}"
            )
        return cls(tuple(sorted({int(part) for part in numbers})), WAI_LAST in parts, False)

    def describe(self) -> str:
        if self.every:
            return "all"
        return ",".join([*map(str, self.sessions), *([WAI_LAST] if self.last else [])])

    def given(self, sessions: pd.DataFrame, planned_last: int | None = None) -> np.ndarray:
        """Whether the WAI-SR is given in each row (client, session) of a sessions table. ``last`` is
        the last session the clinic scheduled, ``planned_last`` (the course's planned length): known
        in advance, unlike the session a client will turn out to attend last, so a client who ends
        earlier (a dropout, an early planned ending) is not measured there."""
        attended = sessions["attended"].to_numpy()
        if self.every:
            return attended.copy()
        session = own_session(sessions).to_numpy()
        planned = () if not self.last else (planned_last,) if planned_last is not None else None
        if planned is None:
            raise ValueError("a WAI-SR schedule with 'last' needs the planned last session (course_length)")
        return attended & np.isin(session, (*self.sessions, *planned))


def item_draws(run_keys: np.ndarray, client_index: np.ndarray, session: np.ndarray, process: str) -> np.ndarray:
    """The draws of a per-session process for rows (client, session): shape (rows, draws). Keyed by
    run, client and session, so they do not depend on how a cohort is chunked."""
    out: np.ndarray | None = None
    for number in np.unique(session):
        rows = np.nonzero(session == number)[0]
        draws = Draws.for_rows(np, run_keys[rows], client_index[rows], Domain.CLIENT).sample_all(process, int(number))
        values = np.stack(draws, axis=1)
        if out is None:
            out = np.empty((session.size, values.shape[1]))
        out[rows] = values
    return out if out is not None else np.empty((0, 0))


def intake_draw(run_keys: np.ndarray, index: np.ndarray, domain: Domain, process: str) -> np.ndarray:
    """One intake draw per row of a client or therapist process (e.g. a therapist's rating style)."""
    (values,) = Draws.for_rows(np, run_keys, index, domain).sample((process,))
    return np.asarray(values)


def wai_items(view: np.ndarray, leniency: float, error_sd: float, z: np.ndarray) -> np.ndarray:
    """WAI-SR item scores (rows, 12) on 1-5 from the rater's view of each item's component (rows, 12)
    through the ordinal model of the module docstring."""
    latent = np.asarray(WAI_LOADINGS) * (view - 0.5) + 0.5 + leniency + np.asarray(WAI_OFFSETS) + error_sd * z
    return 1 + (latent[..., None] > np.asarray(WAI_THRESHOLDS)).sum(axis=-1)


def split_total(total: np.ndarray, log_weights: np.ndarray) -> np.ndarray:
    """Four 0-10 item scores (rows, 4) that sum exactly to each whole-point ``total`` (0-40).

    The shortfall 40 - total is shared out in proportion to the weights ``exp(log_weights)``: each
    item first takes the whole part of its share (at most 10), then the points left go one by one to
    the item with the largest unmet share that still has room (largest remainders)."""
    weights = np.exp(log_weights - log_weights.max(axis=1, keepdims=True))
    shortfall = SCALE_MAX - total.astype(np.int64)
    ideal = shortfall[:, None] * weights / weights.sum(axis=1, keepdims=True)
    taken = np.minimum(np.floor(ideal), ITEM_MAX).astype(np.int64)
    left = shortfall - taken.sum(axis=1)
    while (pending := np.nonzero(left > 0)[0]).size:
        claim = np.where(taken[pending] < ITEM_MAX, ideal[pending] - taken[pending], -np.inf)
        taken[pending, np.argmax(claim, axis=1)] += 1
        left[pending] -= 1
    return ITEM_MAX - taken


def reported(truth: np.ndarray, u: np.ndarray, sensitivity: float, false_rate: float) -> np.ndarray:
    """A report of a rupture: with chance ``sensitivity`` where there was one, ``false_rate`` where not."""
    return u < np.where(truth, sensitivity, false_rate)


def rater_views(
    sessions: pd.DataFrame,
    style: np.ndarray,
    dyad: np.ndarray,
    components: np.ndarray,
    tendency: np.ndarray,
    p: Params,
) -> dict[str, np.ndarray]:
    """The therapist's view of each component (alliance units) per row: the client's latent component
    plus the kernel's view shift (bias and noise), the therapist's rating style, their lasting
    misjudgement of this client, their lasting misjudgement of this one component (``components``:
    rows x 3, in the order of WAI_SUBSCALES) and the share of the client's rating tendency that shows
    to the therapist too (a client who presents the relationship warmly is seen so)."""
    shift = (sessions["alliance_therapist"].to_numpy(float) - sessions["alliance"].to_numpy(float)) + (
        p.wai_therapist_style_sd * style
        + p.wai_therapist_dyad_sd * dyad
        + p.wai_therapist_tendency_share * p.wai_client_tendency_sd * tendency
    )
    return {
        name: sessions[name].to_numpy(float) + shift + p.wai_therapist_component_sd * components[:, index]
        for index, name in enumerate(WAI_SUBSCALES)
    }


def client_views(sessions: pd.DataFrame, tendency: np.ndarray, p: Params) -> dict[str, np.ndarray]:
    """The client's view of each component that their WAI-SR items measure: the latent component plus
    their lasting rating tendency (a client-level shift of every item, as response styles are)."""
    return {name: sessions[name].to_numpy(float) + p.wai_client_tendency_sd * tendency for name in WAI_SUBSCALES}


def blank_chance(sessions: pd.DataFrame, p: Params) -> float | np.ndarray:
    """Chance that an item of a given questionnaire is left blank in each row: ``item_nonresponse_rate``
    (MCAR) on the log-odds scale, shifted by the client's own session number (MAR: an observed
    variable, per 10 sessions) and by their latent alliance below 0.5 (MNAR: unobserved)."""
    rate = p.item_nonresponse_rate
    if rate == 0 or (p.item_nonresponse_session_weight == 0 and p.item_nonresponse_alliance_weight == 0):
        return rate
    log_odds = (
        np.log(rate / (1 - rate))
        + p.item_nonresponse_session_weight * (own_session(sessions).to_numpy(float) - 1) / 10
        + p.item_nonresponse_alliance_weight * (0.5 - sessions["alliance"].to_numpy(float))
    )
    return (1 / (1 + np.exp(-log_odds)))[:, None]


def measure(sessions: pd.DataFrame, p: Params, seed: int, schedule: WaiSchedule) -> tuple[dict, dict]:
    """Item scores and reports for the rows of a sessions table of one run (client-major, as built by
    simulation.tables). Returns (observed, latent): ``observed`` maps column names of the long table
    to arrays (NaN where not observed), ``latent`` the therapist's component views and the per-client
    and per-therapist rating terms (the truth behind the therapist form)."""
    n = len(sessions)
    client_index = sessions["client_id"].to_numpy(np.int64) - 1
    therapist_index = sessions["therapist_id"].to_numpy(np.int64) - 1
    session = sessions["session"].to_numpy(np.int64)
    keys = np.full(n, run_key(seed), dtype=np.uint64)
    attended = sessions["attended"].to_numpy(bool)
    wai_given = schedule.given(sessions, p.course_length)

    def draws(process: str) -> np.ndarray:
        return item_draws(keys, client_index, session, process)

    style = intake_draw(keys, therapist_index, Domain.THERAPIST, "wai_therapist_style")
    dyad = intake_draw(keys, client_index, Domain.CLIENT, "wai_therapist_dyad")
    components = np.stack(
        Draws.for_rows(np, keys, client_index, Domain.CLIENT).sample_all("wai_therapist_components"), axis=1
    )
    tendency = intake_draw(keys, client_index, Domain.CLIENT, "wai_client_tendency")
    views = rater_views(sessions, style, dyad, components, tendency, p)
    own_views = client_views(sessions, tendency, p)
    by_item = [WAI_SUBSCALES.index(name) for name in WAI_SUBSCALE_OF_ITEM]
    client_view = np.stack([own_views[name] for name in WAI_SUBSCALES], axis=1)[:, by_item]
    therapist_view = np.stack([views[name] for name in WAI_SUBSCALES], axis=1)[:, by_item]
    blank = draws("item_nonresponse") < blank_chance(sessions, p)
    forms = {
        "wai_client": (
            wai_items(client_view, p.wai_client_leniency, p.wai_client_item_error_sd, draws("wai_client_items")),
            wai_given,
        ),
        "wai_therapist": (
            wai_items(
                therapist_view, p.wai_therapist_leniency, p.wai_therapist_item_error_sd, draws("wai_therapist_items")
            ),
            wai_given,
        ),
        "srs": (
            split_total(_filled(sessions["srs"]), np.asarray(SRS_OFFSETS) + p.srs_item_spread * draws("srs_items")),
            attended,
        ),
        "ors": (
            split_total(_filled(sessions["ors"]), np.asarray(ORS_OFFSETS) + p.ors_item_spread * draws("ors_items")),
            attended,
        ),
    }
    observed: dict[str, np.ndarray] = {}
    start = 0
    for form, (scores, given) in forms.items():
        width = scores.shape[1]
        shown = given[:, None] & ~blank[:, start : start + width]
        start += width
        for item in range(width):
            observed[f"{form}_{item + 1}"] = np.where(shown[:, item], scores[:, item], np.nan)
    u = draws("rupture_reports")
    truth = sessions["rupture"].to_numpy(bool)
    kind = sessions["rupture_kind"].cat.codes.to_numpy(np.int8)
    for rater, column in (("client", 0), ("therapist", 1)):
        report = reported(
            truth, u[:, column], getattr(p, f"{rater}_rupture_sensitivity"), getattr(p, f"{rater}_false_rupture_rate")
        )
        observed[f"rupture_{rater}"] = np.where(attended, report, np.nan)
    coded = reported(truth, u[:, 2], p.observer_rupture_sensitivity, p.observer_false_rupture_rate)
    false_marker = np.where(u[:, 3] < 0.5, 1, 2)  # a false positive codes either marker, equally often
    marker = np.where(coded, np.where(truth, kind, false_marker), 0)
    observed["rupture_observer"] = np.where(attended, marker, -1)  # -1: not observed
    latent = {
        **{f"therapist_view_{name}": np.where(attended, views[name], np.nan) for name in WAI_SUBSCALES},
        **{f"client_view_{name}": np.where(attended, own_views[name], np.nan) for name in WAI_SUBSCALES},
        "wai_therapist_style": style,
        "wai_therapist_dyad": dyad,
    }
    return observed, latent


def _filled(total: pd.Series) -> np.ndarray:
    """A nullable total as whole numbers (0 where missing: those rows are masked afterwards)."""
    return total.fillna(0).to_numpy(np.int64)
