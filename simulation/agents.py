"""Therapist and Client: Mesa agents that are views onto the model's arrays.

Each agent keeps its own row index (not ``unique_id``) and looks its arrays up through ``self.model``
on every access, so two live models never share state. Agents have no behaviour of their own: the
session update is the vectorized kernel (simulation.dynamics).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation import dynamics

if TYPE_CHECKING:
    from simulation.model import AllianceModel


def _state_view(name: str, doc: str) -> property:
    """A read-write property onto this client's row of a state array."""

    def get(self: Client) -> float:
        return float(getattr(self.model.course.state, name)[self.row])

    def set_(self: Client, value: float) -> None:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be from 0 to 1; got {value!r}")
        getattr(self.model.course.state, name)[self.row] = value

    return property(get, set_, doc=doc)


def _trait_view(name: str) -> property:
    """A read-write property onto a therapist trait, held on every row of the therapist's clients."""

    def get(self: Therapist) -> float:
        return float(getattr(self.model.course.traits, name)[self.rows[0]])

    def set_(self: Therapist, value: float) -> None:
        getattr(self.model.course.traits, name)[self.rows] = value

    return property(get, set_, doc=f"Therapist {name.replace('_', ' ')} (0-1), shared by all their clients' rows.")


class Client(mesa.Agent):
    """A client in therapy: a view onto one relation row of the model."""

    model: AllianceModel

    def __init__(self, model: AllianceModel, row: int) -> None:
        super().__init__(model)
        self.row = row

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
    def wellbeing(self) -> float:
        """Latent well-being on the ORS scale (0-40, higher is better)."""
        return float(self.model.course.state.wellbeing[self.row])

    @property
    def attachment(self) -> str:
        """Attachment style: secure, anxious or avoidant."""
        return dynamics.ATTACHMENT_STYLES[int(self.model.course.traits.attachment[self.row])]

    @property
    def therapist(self) -> Therapist:
        """This client's therapist."""
        return self.model.therapists_by_index[int(self.model.course.rows.therapist[self.row])]


class Therapist(mesa.Agent):
    """A therapist: a view onto the rows of their clients (their traits sit on each of those rows)."""

    model: AllianceModel

    def __init__(self, model: AllianceModel, index: int, rows: np.ndarray) -> None:
        super().__init__(model)
        self.index = index
        self.rows = rows

    @property
    def clients(self) -> list[Client]:
        """This therapist's caseload."""
        return [self.model.clients_by_row[row] for row in self.rows]


for _name in dynamics.THERAPIST_TRAITS:
    setattr(Therapist, _name, _trait_view(_name))
