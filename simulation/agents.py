"""Therapist and Client (and in the group and family formats Group and Family): Mesa agents that are
views onto the model's arrays.

Each agent keeps its own row index (not ``unique_id``) and looks its arrays up through ``self.model``
on every access, so two live models never share state. Agents have no behaviour of their own: the
session update is the vectorized kernel (simulation.dynamics).

Writing through a view (``client.bond = 0.8``, ``therapist.empathy = 0.3``) is an intervention: the
value is range-checked, takes effect from the next session on (the sessions recorded so far keep
theirs), updates what depends on it, and is listed in ``model.interventions``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import networkx as nx
import numpy as np

from simulation import dynamics

if TYPE_CHECKING:
    from simulation.model import AllianceModel


UNIT_RANGE = (0.0, 1.0)
# the range draw_therapists clips each trait to: the 0-1 traits, and the view bias of -1 to 1
THERAPIST_TRAIT_RANGES = {name: UNIT_RANGE for name in dynamics.THERAPIST_TRAITS} | {"bias": (-1.0, 1.0)}


def _checked(name: str, value: float, bounds: tuple[float, float]) -> float:
    """``value`` as a float, or a ValueError naming ``name`` and its range."""
    low, high = bounds
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number from {low:g} to {high:g}; got {value!r}") from None
    if not low <= number <= high:  # NaN fails too
        raise ValueError(f"{name} must be from {low:g} to {high:g}; got {value!r}")
    return number


def _state_view(name: str, doc: str) -> property:
    """A read-write property onto this client's row of a state array; a write is an intervention
    that takes effect from the next session on (recorded in ``model.interventions``)."""

    def get(self: Client) -> float:
        return float(getattr(self.model.course.state, name)[self.row])

    def set_(self: Client, value: float) -> None:
        new = _checked(name, value, UNIT_RANGE)
        if not self.in_therapy:
            raise ValueError(f"client {self.client_id} is no longer in therapy: an edit of {name} would not act")
        old = getattr(self, name)
        self.model.course.edit_state(name, np.asarray([self.row]), new)
        self.model.record_intervention("client", self.client_id, name, old, new)

    return property(get, set_, doc=doc)


def _trait_view(name: str, bounds: tuple[float, float]) -> property:
    """A read-write property onto a therapist trait, held on every row of the therapist's clients; a
    write is an intervention that takes effect from the next session on (recorded in
    ``model.interventions``) and updates what depends on the trait (fit)."""

    def get(self: Therapist) -> float:
        return float(getattr(self.model.course.traits, name)[self.rows[0]])

    def set_(self: Therapist, value: float) -> None:
        new = _checked(name, value, bounds)
        if not any(client.in_therapy for client in self.clients):
            raise ValueError(
                f"no client of therapist {self.therapist_id} is still in therapy: an edit of {name} would not act"
            )
        old = getattr(self, name)
        self.model.course.edit_therapist_trait(name, self.rows, new)
        self.model.record_intervention("therapist", self.therapist_id, name, old, new)

    low, high = bounds
    return property(
        get, set_, doc=f"Therapist {name.replace('_', ' ')} ({low:g} to {high:g}), on all their clients' rows."
    )


class Client(mesa.Agent):
    """A client in therapy: a view onto one relation row of the model."""

    model: AllianceModel

    def __init__(self, model: AllianceModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def client_id(self) -> int:
        """This client's id in the tables (the row index plus 1)."""
        return self.row + 1

    bond = _state_view("bond", "Bond (0-1), the client's own view.")
    goal = _state_view("goal", "Agreement on goals (0-1), the client's own view.")
    task = _state_view("task", "Agreement on tasks (0-1), the client's own view.")

    @property
    def alliance(self) -> float:
        """Composite alliance (0-1): weighted mean of bond, goal and task."""
        state = self.model.course.state
        return float(
            dynamics.composite(np, self.model.params, state.bond[self.row], state.goal[self.row], state.task[self.row])
        )

    @property
    def stage(self) -> str:
        """Current stage: engagement, exploration, working or resolution."""
        return dynamics.STAGES[int(self.model.course.state.stage[self.row])]

    @property
    def in_therapy(self) -> bool:
        """Whether the course is still running."""
        return bool(self.model.course.state.active[self.row])

    @property
    def dropped_out(self) -> bool:
        """Whether the course ended by dropout."""
        return bool(self.model.course.state.dropped_out[self.row])

    @property
    def rupture_open(self) -> bool:
        """Whether a rupture is open (not yet repaired or left unresolved)."""
        return bool(self.model.course.state.rupture_open[self.row])

    @property
    def rupture_noticed(self) -> bool:
        """Whether the therapist has noticed the open rupture (False when none is open)."""
        return bool(self.model.course.state.detected[self.row])

    @property
    def ruptures(self) -> int:
        """Ruptures so far in this course."""
        return int(self.model.course.state.ruptures[self.row])

    @property
    def ruptures_resolved(self) -> int:
        """Ruptures repaired so far in this course."""
        return int(self.model.course.state.resolved[self.row])

    @property
    def wellbeing(self) -> float:
        """Latent well-being on the ORS scale (0-40, higher is better)."""
        return float(self.model.course.state.wellbeing[self.row])

    @property
    def attachment(self) -> str:
        """Attachment style: secure, anxious or avoidant."""
        return dynamics.ATTACHMENT_STYLES[int(self.model.course.traits.attachment[self.row])]

    @property
    def modality(self) -> str:
        """Modality: in_person or online."""
        return "online" if self.model.course.traits.online[self.row] else "in_person"

    @property
    def therapist(self) -> Therapist:
        """This client's therapist."""
        return self.model.therapists_by_index[int(self.model.course.rows.therapist[self.row])]

    @property
    def unit(self) -> Unit | None:
        """The group or family this client is a member of (None in the individual format)."""
        units = self.model.units_by_index
        return units[int(self.model.course.rows.unit[self.row])] if units else None


class RowsView(mesa.Agent):
    """An agent that is a view onto several client rows: a therapist's caseload, a group or a family."""

    model: AllianceModel

    def __init__(self, model: AllianceModel, index: int, rows: np.ndarray) -> None:
        super().__init__(model)
        self.index = index
        self.rows = rows

    def _client_views(self) -> list[Client]:
        return [self.model.clients_by_row[row] for row in self.rows]


class Therapist(RowsView):
    """A therapist: a view onto the rows of their clients (their traits sit on each of those rows)."""

    @property
    def therapist_id(self) -> int:
        """This therapist's id in the tables (the index plus 1)."""
        return self.index + 1

    @property
    def clients(self) -> list[Client]:
        """This therapist's caseload."""
        return self._client_views()


for _name, _bounds in THERAPIST_TRAIT_RANGES.items():
    setattr(Therapist, _name, _trait_view(_name, _bounds))


class Unit(RowsView):
    """A group or a family: a view onto the rows of its members (contiguous, in member order)."""

    @property
    def unit_id(self) -> int:
        """This unit's id in the tables (``unit_id``: the index plus 1)."""
        return self.index + 1

    @property
    def members(self) -> list[Client]:
        """The members, in member order (the client views)."""
        return self._client_views()

    @property
    def therapist(self) -> Therapist:
        """The group's leader or the family's therapist."""
        return self.members[0].therapist

    @property
    def mean_alliance(self) -> float:
        """Mean composite alliance of the members still in therapy (NaN when none is)."""
        in_therapy = [member.alliance for member in self.members if member.in_therapy]
        return float(np.mean(in_therapy)) if in_therapy else float("nan")


class Group(Unit):
    """A therapy group: its members and the weighted ties between them."""

    def ties_graph(self) -> nx.Graph:
        """The members' ties as a networkx graph: nodes are client_ids, each edge's ``weight`` is the
        tie strength (0-1) and ``open_rupture`` whether a rupture between the two is open now."""
        own = self.model.course.own
        graph = nx.Graph()
        members = self.members
        graph.add_nodes_from(member.client_id for member in members)
        first = self.rows[0]
        for i, member in enumerate(members):
            for j in range(i + 1, len(members)):
                graph.add_edge(
                    member.client_id,
                    members[j].client_id,
                    weight=float(own.ties[first + i, j]),
                    open_rupture=bool(own.pair_open[first + i, j]),
                )
        return graph


class Family(Unit):
    """A family (or couple) in therapy: its members, their roles, shared alliance and split."""

    @property
    def roles(self) -> list[str]:
        """Each member's role (partner, parent, adolescent or sibling), in member order."""
        roles = self.model.format.roles
        return [roles[int(code)] for code in self.model.course.rows.role[self.rows]]

    @property
    def shared_alliance(self) -> float:
        """The family's shared alliance at its last session (0-1; formats.family)."""
        return float(self.model.course.own.shared[self.rows[0]])

    @property
    def split(self) -> float:
        """The split at its last session: the range of the members' alliances (0-1)."""
        return float(self.model.course.own.split[self.rows[0]])

    @property
    def sided_with(self) -> Client | None:
        """The member the therapist sides with when less than neutral (drawn for every family of two or
        more; at ``therapist_neutrality`` 1 the siding has no effect; None in a family of one)."""
        sided = np.flatnonzero(self.model.course.own.sided[self.rows])
        return self.members[int(sided[0])] if sided.size else None
