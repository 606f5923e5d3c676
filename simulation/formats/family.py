"""The family (and couple) format: one therapist and 2-5 family members (docs/ODD.md, Formats).

Each member has their own alliance with the therapist (a relation row). Per session the family has:

- a *split*: the range (largest minus smallest) of the composite alliances of its members in
  therapy, 0-1 (0 for a family of one). A range rather than an SD because it is what a split
  alliance means clinically (one member allied, another not: Pinsof & Catherall 1986; Friedlander et
  al. 2006's SOFTA "split alliance") and it needs no sample size; it raises the family's dropout hazard
  by ``split_dropout_weight`` log-odds per unit.
- a *shared alliance* (shared sense of purpose): the members' mean alliance times (1 - split), i.e.
  built from their alliances and from their agreement with each other. A member attends, stays and
  changes on the blend (1 - ``shared_alliance_weight``) x own + ``shared_alliance_weight`` x shared.
- *siding*: below full ``therapist_neutrality`` the therapist sides with one member (drawn once per
  family): each attended session the sided member's bond closes (1 - neutrality) x ``siding_effect``
  of its gap to 1, the others lose that share of their bond.

The family ends together: its planned ending comes when every member's would, and it drops out when
the disengagement (or practical, or improved) draw of the family, one per session, falls under the
hazard of its most disengaged member (so the family leaves with its least engaged member, without
multiplying the individual hazard by the family size). Outcomes stay per member (ORS).

The parameters named here are declared in :mod:`simulation.formats.family_params`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simulation import dynamics
from simulation.backend import Array, Draws
from simulation.config import Params
from simulation.formats.base import Format, Members, SessionInputs, member_sum, segment_mean, unit_matrix
from simulation.formats.checks import WITHOUT_REPAIR, MechanismCheck

ENDING_DRAWS = ("family_dropout", "family_practical_dropout", "family_improved_exit")
NO_CAUSE = 127  # larger than every dropout cause code: the minimum over a family picks a real cause


@dataclass(frozen=True)
class FamilyState:
    """Per row: whether the therapist sides with this member, and the family's shared alliance and
    split at the last session (the same on every member's row)."""

    sided: Array
    shared: Array
    split: Array


def family_figures(xp: Any, members: Members, alliance: Array, present: Array) -> tuple[Array, Array]:
    """The family's shared alliance and split (see the module docstring), on every member's row."""
    values, valid = unit_matrix(xp, members, alliance, 0.0)
    counted, _ = unit_matrix(xp, members, present, False)
    counted = counted & valid
    n = member_sum(xp, xp.astype(counted, xp.float64))
    mean = member_sum(xp, xp.where(counted, values, 0.0)) / xp.maximum(n, 1.0)
    high = xp.max(xp.where(counted, values, -1.0), axis=1)
    low = xp.min(xp.where(counted, values, 2.0), axis=1)
    split = xp.where(n > 1, high - low, 0.0)
    return dynamics.unit_clip(xp, mean * (1.0 - split)), split


class Family(Format):
    name = "family"
    unit_name = "family"
    unit_file = "families.parquet"
    agent_class = "simulation.agents:Family"
    unit_truth_columns = ("shared_alliance", "split")
    roles = ("partner", "parent", "adolescent", "sibling")
    reads_before = ("active",)
    members_text = " in families"
    calibration_figure = "family_alliance_r"
    report_figures = ("dropout", "missed", "mean_change", "shared_alliance_mean", "split_mean", "family_dropout")
    summary_figures = ("family_alliance_r", "split_mean", "shared_alliance_mean", "family_dropout")
    unit_figure = "split"
    unit_figure_label = "family's\nsplit (0-1)"
    unit_caption = (
        "In a family the client is one member. Lower panel: the family's split (how far apart the members' "
        "alliances are); a wide split makes the whole family likelier to stop coming."
    )
    gallery_figures = ("split_dropout",)
    gallery_session_columns = ("unit_id", "member_session", "split")
    gallery_unit_columns = ("unit_id", "sessions_scheduled", "dropped_out")
    mechanism_checks = (
        MechanismCheck(
            "without the split's effect on dropout, fewer families drop out",
            {"split_dropout_weight": 0.0},
            "family_dropout",
            "lower",
            shown_as="without the split's effect",
        ),
        MechanismCheck("without repair, more families drop out", WITHOUT_REPAIR, "family_dropout", "higher"),
    )

    def unit_size(self, params: Params) -> int:
        return params.family_size

    def role_codes(self, params: Params, member: np.ndarray) -> np.ndarray:
        """In the couple format (``family_size`` 2) every member is a partner. A family of 3-5 is a
        parent, the adolescent they bring, a second parent, then siblings, by place; a smaller
        remainder family (the last of a cohort) takes the first places of the full family, so that
        a leftover two are a parent and an adolescent, not a couple."""
        if params.family_size == 2:
            return np.full(member.size, self.roles.index("partner"), dtype=np.int8)
        return np.asarray([1, 2, 1, 3, 3], dtype=np.int8)[member]

    def adjust_clients(self, xp: Any, p: Any, clients: dict[str, Array], role: Array) -> dict[str, Array]:
        """Roles shift motivation and resistance: parents are more motivated, the adolescent less and
        more resistant (the classic hard case)."""
        parent, adolescent = role == self.roles.index("parent"), role == self.roles.index("adolescent")
        motivation = clients["motivation"] + xp.where(
            parent, p.parent_motivation_shift, xp.where(adolescent, p.adolescent_motivation_shift, 0.0)
        )
        resistance = clients["resistance"] + xp.where(adolescent, p.adolescent_resistance_shift, 0.0)
        return {
            **clients,
            "motivation": dynamics.unit_clip(xp, motivation),
            "resistance": dynamics.unit_clip(xp, resistance),
        }

    def initial_state(self, xp: Any, p: Any, members: Members, unit_draws: Draws, pair_draws: Draws) -> FamilyState:
        (u,) = unit_draws.sample(("sided_member",))
        chosen = xp.astype(xp.floor(u * xp.astype(members.size, xp.float64)), members.member.dtype)
        zeros = xp.zeros(members.member.shape, dtype=xp.float64)
        return FamilyState(sided=(chosen == members.member) & (members.size > 1), shared=zeros, split=zeros)

    def context(self, at: SessionInputs, state: Any, own: FamilyState) -> tuple[dynamics.Context, dict[str, Array]]:
        xp, p, members, session = at.xp, at.p, at.members, at.session
        if at.fused is not None:
            shared, split = at.fused.family_figures(members, state)
        else:
            alliance = dynamics.composite(xp, p, state.bond, state.goal, state.task)
            shared, split = family_figures(xp, members, alliance, state.active)
        siding = (1.0 - p.therapist_neutrality) * p.siding_effect
        bond_shift = xp.where(members.size > 1, xp.where(own.sided, siding, -siding), 0.0)

        def end_together(planned_end: Array, cause: Array, active: Array) -> tuple[Array, Array]:
            done, valid = unit_matrix(xp, members, planned_end | ~active, True)
            family_done = xp.all(done | ~valid, axis=1)
            leaving = xp.where(active & (cause != dynamics.NOT_DROPPED), cause, NO_CAUSE)
            causes, _ = unit_matrix(xp, members, xp.astype(leaving, xp.int16), NO_CAUSE)
            first = xp.min(causes, axis=1)
            return family_done, xp.astype(xp.where(first == NO_CAUSE, dynamics.NOT_DROPPED, first), xp.int8)

        if at.fused is not None:
            end_together = at.fused.family_endings(members)
        context = dynamics.Context(
            member_session=xp.zeros(state.bond.shape, dtype=xp.int16) + session,
            shared_alliance=shared,
            shared_weight=p.shared_alliance_weight,
            dropout_shift=p.split_dropout_weight * split,
            bond_shift=bond_shift,
            ending_draws=at.draws.unit.kept().sample(ENDING_DRAWS, session),  # used in this session only
            end_together=end_together,
        )
        return context, {"shared_alliance": shared, "split": split}

    def after_session(
        self, at: SessionInputs, before: Any, after: Any, record: Any, own: FamilyState, figures: dict[str, Array]
    ) -> tuple[FamilyState, dict[str, Array]]:
        """Keep the family's shared alliance and split of the last session it was in therapy."""
        xp, in_therapy = at.xp, before.active
        kept = FamilyState(
            own.sided,
            xp.where(in_therapy, figures["shared_alliance"], own.shared),
            xp.where(in_therapy, figures["split"], own.split),
        )
        return kept, {}

    def session_columns(self, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The family's shared alliance and split at the session (the same on every member's row)."""
        return {name: columns[name].astype(np.float32) for name in ("shared_alliance", "split")}

    def client_columns(
        self, rows: Any, final: dict[str, np.ndarray], columns: dict[str, np.ndarray], offsets: np.ndarray
    ) -> dict[str, np.ndarray]:
        """The family's mean shared alliance and split over its sessions, and whether the therapist
        sided with this member."""
        every = np.ones(columns["attended"].size, dtype=bool)
        return {
            "shared_alliance": segment_mean(columns["shared_alliance"], every, offsets),
            "split": segment_mean(columns["split"], every, offsets),
            "sided_with": final["sided"],
        }

    def unit_columns(self, clients: dict[str, Any], starts: np.ndarray, sizes: np.ndarray) -> dict[str, Any]:
        """The members' roles in member order (e.g. "parent,adolescent"), the family's shared alliance
        and split (the same on every member's row), whether it dropped out (together) and its sessions."""
        return {
            "roles": unit_roles(clients["role"], starts, sizes),
            "shared_alliance": clients["shared_alliance"][starts],
            "split": clients["split"][starts],
            "dropped_out": clients["dropped_out"][starts],
            "sessions_scheduled": np.maximum.reduceat(clients["sessions_scheduled"], starts),
        }


def unit_roles(roles: Any, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Each family's members' roles in member order, joined by commas (e.g. "parent,adolescent"): read
    from the members' rows (a categorical of ``Family.roles``), since they follow from each run's
    format parameters (:meth:`Family.role_codes`)."""
    codes = np.asarray(roles.codes)
    place = np.arange(sizes.max(initial=1))
    present = place[None, :] < sizes[:, None]
    matrix = np.where(present, codes[np.minimum(starts[:, None] + place[None, :], codes.size - 1)], -1)
    kinds, which = np.unique(matrix, axis=0, return_inverse=True)
    labels = roles.categories
    names = np.array([",".join(labels[code] for code in kind if code >= 0) for kind in kinds], dtype=object)
    return names[which.reshape(-1)]
