"""AllianceModel: a cohort of individual-therapy clients and their therapists, one step per session.

The model owns the arrays (through a :class:`simulation.runs.Course`), ``step()`` is one call of the
vectorized kernel, and the agents are views onto the arrays' rows. The same seed gives the same
tables as the batch path (:func:`simulation.tables.simulate`), byte for byte.
"""

from __future__ import annotations

import dataclasses

import mesa
import numpy as np
import pandas as pd

from simulation.agents import THERAPIST_TRAIT_RANGES, Client, Therapist, Unit
from simulation.backend import DEFAULT_BACKEND, to_numpy
from simulation.config import Params
from simulation.dynamics import composite
from simulation.formats import get_format
from simulation.runs import Course, Rows, Run
from simulation.tables import Tables, build_tables

INTERVENTION_COLUMNS = ("from_session", "agent_kind", "agent_id", "attribute", "old", "new")


class CohortDataCollector(mesa.DataCollector):
    """Mesa's DataCollector whose per-agent frame is the clients' frame.

    Mesa 3.5 applies ``agent_reporters`` to every agent, therapists included, who have no per-session
    state; the per-client variables are therefore agent-type reporters of :class:`Client`, and
    ``get_agent_vars_dataframe()`` returns them (the same frame as
    ``get_agenttype_vars_dataframe(Client)``: index Step, AgentID)."""

    def get_agent_vars_dataframe(self) -> pd.DataFrame:
        return self.get_agenttype_vars_dataframe(Client)


class AllianceModel(mesa.Model):
    """Therapy for ``n_clients`` clients, ``params.clients_per_therapist`` per therapist: individual
    by default, or in groups or families (``format``), whose units are agents too.

    Args:
        params: model parameters (defaults: the calibrated general-outpatient cohort).
        n_clients: cohort size (members, in every format).
        seed: an int; it seeds both the kernel's random streams and Mesa's own generators.
        backend: the kernel ('numba', the fused default; 'numpy', the array reference; 'cupy' on a GPU).
        format: 'individual', 'group' or 'family' (simulation.formats); in a group or family format
            ``units_by_index`` holds one :class:`Group` or :class:`Family` per unit, whose ``members``
            are the client views (``group.ties_graph()`` gives the members' ties as a networkx graph).

    Writing through an agent between steps (``model.clients_by_row[0].bond = 0.3``,
    ``model.therapists_by_index[0].empathy = 0.9``) is an intervention: range-checked, acting from the
    next session on, and listed in ``interventions``; the recorded sessions keep their values.
    """

    def __init__(
        self,
        params: Params | None = None,
        n_clients: int = 200,
        seed: int = 0,
        backend: str = DEFAULT_BACKEND,
        format: str = "individual",
    ) -> None:
        super().__init__(rng=seed)
        self.params = params or Params()
        self.seed = seed
        self.format = get_format(format)
        self.runs = [Run(self.params, n_clients, seed, format)]
        self.course = Course(self.runs, Rows.of_runs(self.runs), backend, compact=False)
        therapist_of_row = self.course.rows.therapist
        self.therapists_by_index = [
            Therapist(self, index, np.flatnonzero(therapist_of_row == index))
            for index in range(int(therapist_of_row.max()) + 1)
        ]
        self.clients_by_row = [Client(self, row) for row in range(n_clients)]
        unit_kind: type[Unit] | None = self.format.unit_agent()
        unit_of_row = self.course.rows.unit
        self.units_by_index: list[Unit] = (
            [
                unit_kind(self, index, np.flatnonzero(unit_of_row == index))
                for index in range(int(unit_of_row.max()) + 1)
            ]
            if unit_kind is not None
            else []
        )
        self.datacollector = CohortDataCollector(
            model_reporters={
                "in_therapy": lambda m: int(m.course.state.active.sum()),
                "mean_alliance": "mean_alliance",
                "ruptures": lambda m: int(m.last_record.rupture.sum()) if m.last_record else 0,
                "dropouts": lambda m: int(m.course.state.dropped_out.sum()),
            },
            agenttype_reporters={
                Client: {"client_id": "client_id", "alliance": "alliance", "stage": "stage", "in_therapy": "in_therapy"}
            },
        )
        self.last_record = None
        self._interventions: list[tuple[int, str, int, str, float, float]] = []
        self.datacollector.collect(self)

    @property
    def mean_alliance(self) -> float:
        """Mean composite alliance of the clients still in therapy (NaN when none is)."""
        state = self.course.state
        if not state.active.any():
            return float("nan")
        alliance = composite(np, self.params, state.bond, state.goal, state.task)
        return float(alliance[state.active].mean())

    def step(self) -> None:
        """One weekly session for every client still in therapy."""
        self.last_record = self.course.advance()
        self.running = self.course.running
        self.datacollector.collect(self)

    def record_intervention(self, agent_kind: str, agent_id: int, attribute: str, old: float, new: float) -> None:
        """Note an edit made through a view (the views call this; see ``interventions``)."""
        self._interventions.append((self.course.session + 1, agent_kind, agent_id, attribute, old, new))

    @property
    def interventions(self) -> pd.DataFrame:
        """Every edit made through a view, in order: ``from_session`` (the first session simulated
        with the new value), ``agent_kind`` ('client' or 'therapist'), ``agent_id`` (client_id or
        therapist_id of the tables), ``attribute``, and its ``old`` and ``new`` value."""
        table = pd.DataFrame(self._interventions, columns=list(INTERVENTION_COLUMNS))
        return table.astype({"from_session": np.int64, "agent_id": np.int64, "old": np.float64, "new": np.float64})

    def tables(self) -> Tables:
        """Sessions, clients and therapists tables of the sessions simulated so far.

        The therapists table holds the traits the kernel used last: an edited trait shows its new value
        (``interventions`` says from when); the clients table's ``fit`` likewise.
        """
        if self.running:
            raise RuntimeError("the cohort is still in therapy: run the model to the end first (run_model())")
        tables = build_tables(self.runs, self.course.result())
        first_rows = np.asarray([therapist.rows[0] for therapist in self.therapists_by_index])
        _, therapist_traits = self.course.trait_sources
        therapists = tables.therapists.assign(
            **{name: to_numpy(therapist_traits[name])[first_rows] for name in THERAPIST_TRAIT_RANGES}
        )
        return dataclasses.replace(tables, therapists=therapists)
