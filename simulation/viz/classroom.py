"""The teaching page's model: a cohort with the page's settings and, beside it, the same cohort with
one switch (repair, or outcome feedback) turned the other way (the same clients and the same random
draws: the draws are counter based, so the switch changes nothing else), stepped together one weekly
session at a time.

It is an :class:`~simulation.model.AllianceModel` (step, run_model, datacollector and agents as in
Mesa), built from flat keyword arguments as the page's controls give them, and it follows one client
of each cohort session by session for the trajectory views. Which client, a stated rule says
(FOLLOW_RULES), applied to the whole course of the same cohort simulated ahead (simulation.tables:
the same seed gives the same clients and the same luck).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulation import dynamics
from simulation.agents import Client
from simulation.config import PARAMETERS
from simulation.formats import FORMATS
from simulation.model import AllianceModel
from simulation.presets import PRESETS, apply_presets
from simulation.tables import Tables, simulate
from simulation.viz import data
from simulation.viz.plots import Trajectory

ANY = "any"
FOLLOW_ATTACHMENT = (ANY, *dynamics.ATTACHMENT_STYLES)
FOLLOW_MODALITY = (ANY, "in_person", "online")
#: the switch the twin cohort turns the other way: its parameter
CONTRASTS = {"repair": "repair_enabled", "feedback": "feedback_enabled"}
REPAIRED, NOT_ON_TRACK, FIRST = (
    "a rupture and its repair",
    "a not-on-track signal acted on",
    "anything (the first client)",
)
FOLLOW_RULES = (REPAIRED, NOT_ON_TRACK, FIRST)
"""Which client the views follow, among those whose attachment and modality match: the first (by
id) whose course, with the page's settings and repair on, shows a rupture after session 1 repaired in
a later session (the V); the first who was flagged not on track and whose therapist acted on the
signal, with feedback on; or simply the first. Where none matches the
rule, the first matching client."""


@dataclass(frozen=True)
class Setting:
    """One setting the page's controls send: a number from ``low`` to ``high`` (``kind`` int or float), a
    switch (``kind`` bool) or one of ``choices``; ``default`` where the control starts."""

    default: Any
    kind: type = str
    low: float = -math.inf
    high: float = math.inf
    choices: tuple[str, ...] = ()

    @classmethod
    def of_parameter(cls, name: str) -> Setting:
        """The setting of a model parameter: its kind, range and default from simulation.config.PARAMETERS."""
        spec = PARAMETERS[name]
        return cls(spec.default, spec.kind, spec.low, spec.high)

    def clamp(self, value: object) -> Any:
        """``value`` made valid, whatever the browser sent: a number clamped into the range (a whole
        number rounded), anything else that is not of the setting's kind (NaN, text, a number for a
        switch) the default, a choice not offered the default."""
        if self.choices:
            return value if isinstance(value, str) and value in self.choices else self.default
        if self.kind is bool:
            return value if isinstance(value, bool) else self.default
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return self.default
        if value != value:  # NaN, the one number unequal to itself (math.isnan overflows on 10**400)
            return self.default
        clamped = self.low if value < self.low else self.high if value > self.high else value
        return round(clamped) if self.kind is int else float(clamped)


#: What the page lets a visitor choose besides the model parameters (app.MODEL_PARAMS draws its controls
#: from these, and PageClassroom clamps what the browser sends to them).
PAGE_SETTINGS: dict[str, Setting] = {
    "preset": Setting("working", choices=tuple(PRESETS)),
    "format": Setting("individual", choices=tuple(FORMATS)),
    "seed": Setting(1, int, 0, 999),
    "n_clients": Setting(300, int, 50, 1000),
    "follow_attachment": Setting(ANY, choices=FOLLOW_ATTACHMENT),
    "follow_modality": Setting(ANY, choices=FOLLOW_MODALITY),
    "follow": Setting(REPAIRED, choices=FOLLOW_RULES),
    "contrast": Setting("repair", choices=tuple(CONTRASTS)),
}


class ClientTrace:
    """One client's sessions as the page sees them: a row per session the client was in therapy at
    its start, with the columns of the sessions table that the trajectory view needs and
    ``rupture_noticed`` (the open rupture noticed by the session's end), which the tables lack."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.rows: list[dict[str, Any]] = []
        self.ruptures, self.resolved = client.ruptures, client.ruptures_resolved
        self.unit_figure = client.model.format.unit_figure

    def record(self, session: int, was_in_therapy: bool) -> None:
        """Add the session just simulated (nothing once the course has ended, or before a member of
        an open group has joined)."""
        if not was_in_therapy:
            return
        client = self.client
        ruptures, resolved = client.ruptures, client.ruptures_resolved
        self.rows.append(
            {
                "client_id": client.row + 1,
                "session": session,
                "stage": client.stage,
                "bond": client.bond,
                "goal": client.goal,
                "task": client.task,
                "rupture": ruptures > self.ruptures,
                "rupture_resolved": resolved > self.resolved,
                "rupture_noticed": client.rupture_noticed,
                **({self.unit_figure: self.last_session_figure()} if self.unit_figure else {}),
            }
        )
        self.ruptures, self.resolved = ruptures, resolved

    def last_session_figure(self) -> float:
        """The unit's figure (the format's ``unit_figure``) that the session just simulated recorded on this
        client's row, as the sessions table has it."""
        _, rows, fields = self.client.model.course.sessions[-1]
        return float(fields[self.unit_figure][np.flatnonzero(rows == self.client.row)[0]])

    def frame(self) -> pd.DataFrame:
        columns = [
            "client_id",
            "session",
            "stage",
            "bond",
            "goal",
            "task",
            "rupture",
            "rupture_resolved",
            "rupture_noticed",
            *([self.unit_figure] if self.unit_figure else []),
        ]
        flags = {"rupture": bool, "rupture_resolved": bool, "rupture_noticed": bool, "session": int}
        return pd.DataFrame(self.rows, columns=columns).astype(flags)


def classroom_params(preset: str, changes: dict[str, Any]):
    """The preset's parameters, then every change that differs from the parameter's default (a
    control left at its default keeps the preset's value)."""
    params = apply_presets([preset])  # an unknown name: a ParameterError that lists the presets
    return params.replace(**{name: value for name, value in changes.items() if value != PARAMETERS[name].default})


class Classroom(AllianceModel):
    """The page's cohort and its twin with repair switched the other way.

    Args:
        preset: a name from simulation.presets.PRESETS, applied first.
        n_clients: cohort size (both cohorts).
        seed: the cohorts' seed (both cohorts: the same clients).
        follow_attachment, follow_modality: which clients the trajectory views may follow: those whose
            attachment style and modality match ('any' matches every client).
        follow: the rule that picks one of them (FOLLOW_RULES).
        contrast: the switch the twin cohort turns the other way: 'repair' or 'feedback' (CONTRASTS).
        format: 'individual', 'group' or 'family' (simulation.formats; both cohorts): in a group or
            family the followed client is a member, and the views add the unit's figure.
        scenario: ignored; SolaraViz's Reset passes an empty Mesa Scenario to a model that takes
            keywords, and every setting here comes from the other arguments.
        **changes: parameter values (simulation.config.PARAMETERS names).
    """

    def __init__(
        self,
        preset: str = PAGE_SETTINGS["preset"].default,
        n_clients: int = PAGE_SETTINGS["n_clients"].default,
        seed: int = PAGE_SETTINGS["seed"].default,
        follow_attachment: str = PAGE_SETTINGS["follow_attachment"].default,
        follow_modality: str = PAGE_SETTINGS["follow_modality"].default,
        format: str = PAGE_SETTINGS["format"].default,
        follow: str = PAGE_SETTINGS["follow"].default,
        contrast: str = PAGE_SETTINGS["contrast"].default,
        scenario: object = None,
        **changes: Any,
    ) -> None:
        params = classroom_params(preset, changes)
        super().__init__(params, n_clients, seed, format=format)
        self.switch = CONTRASTS[contrast]
        self.twin = AllianceModel(
            params.replace(**{self.switch: not getattr(params, self.switch)}), n_clients, seed, format=format
        )
        self.cohort_running = True
        matching = [
            client.row
            for client in self.clients_by_row
            if follow_attachment in (ANY, client.attachment) and follow_modality in (ANY, client.modality)
        ]
        fits = self.rows_fitting(follow, matching) if matching else []
        row = fits[0] if fits else matching[0] if matching else 0
        #: what the page says when no client fits the rule ("" when one does)
        self.follow_note = "" if fits else self.no_fit(follow, follow_attachment, follow_modality, bool(matching))
        self.traces = {
            self: ClientTrace(self.clients_by_row[row]),
            self.twin: ClientTrace(self.twin.clients_by_row[row]),
        }
        self._tables: dict[AllianceModel, pd.DataFrame] = {}

    def rows_fitting(self, rule: str, rows: list[int]) -> list[int]:
        """The rows among ``rows`` (ascending) that ``rule`` (FOLLOW_RULES) accepts, from the whole
        course of this cohort simulated ahead with repair on (a rupture and its repair) or with
        feedback on (not on track), so that both views follow the same client whichever way the
        switch is."""
        if rule == FIRST:
            return rows
        if rule == REPAIRED:
            events = data.rupture_events(self.ahead(self.params.replace(repair_enabled=True)).sessions)
            shows_v = ((events["resolved_at"] > events["onset"]) & (events["onset"] > 1)).fillna(False)
            ids = set(events.loc[shows_v, "client_id"])
        else:
            clients = self.ahead(self.params.replace(feedback_enabled=True)).clients
            ids = set(clients.loc[clients["feedback_sessions"] > 0, "client_id"])
        return [row for row in rows if row + 1 in ids]

    @staticmethod
    def no_fit(rule: str, attachment: str, modality: str, any_matching: bool) -> str:
        """The page's note when no client fits: which client it follows instead."""
        who = " ".join(word for word in (attachment, modality.replace("_", " ")) if word != ANY) or "any"
        if not any_matching:
            return f"No client of this cohort is {who}: following the first client."
        return f"No {who} client's course shows {rule} here: following the first {who} client."

    def ahead(self, params: Any) -> Tables:
        """The tables of this cohort's whole course with ``params`` (the same clients and draws)."""
        return simulate(params, len(self.clients_by_row), self.seed, format=self.format.name)

    def step(self) -> None:
        """One weekly session for both cohorts (each while it has clients in therapy)."""
        if self.cohort_running:
            was_in_therapy = self.traces[self].client.in_therapy
            super().step()
            self.cohort_running = self.running
            self.traces[self].record(int(self.time), was_in_therapy)
        if self.twin.running:
            was_in_therapy = self.traces[self.twin].client.in_therapy
            self.twin.step()
            self.traces[self.twin].record(int(self.time), was_in_therapy)
        self.running = self.cohort_running or self.twin.running

    def label(self, model: AllianceModel) -> str:
        """'repair on', 'feedback off', ...: the contrasted switch in ``model`` (self or self.twin)."""
        name = next(name for name, switch in CONTRASTS.items() if switch == self.switch)
        return f"{name} {'on' if getattr(model.params, self.switch) else 'off'}"

    @property
    def finished(self) -> bool:
        """Whether every course of both cohorts has ended."""
        return not self.running

    def trajectory(self, model: AllianceModel) -> Trajectory:
        """The followed client's course so far in ``model`` (self or self.twin)."""
        trace = self.traces[model]
        sessions, client = trace.frame(), trace.client
        title = (
            f"Client {client.row + 1} ({client.attachment}, {client.modality.replace('_', ' ')}"
            f"{self.membership(client)}), {self.label(model)}"
        )
        return Trajectory(
            title,
            sessions,
            data.rupture_events(sessions),
            model.params.course_length,
            trace.unit_figure,
            model.format.unit_figure_label,
            bool(client.dropped_out),
        )

    @staticmethod
    def membership(client: Client) -> str:
        """', member in group 3' or ', adolescent in family 2': the client's role and unit, as the
        format declares them (nothing in the individual format)."""
        unit, format_ = client.unit, client.model.format
        if unit is None:
            return ""
        role = format_.roles[int(client.model.course.rows.role[client.row])]
        return f", {role} in {format_.unit_name} {unit.unit_id}"

    def outcomes(self) -> pd.DataFrame:
        """One row per cohort (the switch on and off): outcome shares once every course has ended;
        until then where the clients are (in therapy, dropped out, ended as planned)."""
        rows = {}
        for model in (self, self.twin):
            if not self.running:
                if model not in self._tables:
                    self._tables[model] = model.tables().clients
                rows[self.label(model)] = data.outcome_shares(self._tables[model]["outcome"])
            else:
                status = pd.Series(
                    [
                        "in_therapy" if c.in_therapy else "dropped_out" if c.dropped_out else "ended"
                        for c in model.clients_by_row
                    ]
                )
                rows[self.label(model)] = status.value_counts(normalize=True).reindex(
                    ["in_therapy", "dropped_out", "ended"], fill_value=0.0
                )
        return pd.DataFrame(rows).T


class PageClassroom(Classroom):
    """The Classroom as the page builds it (Mesa's Reset passes the controls' values as keywords):
    every value is clamped to its control's range here, on the server, so that a crafted websocket
    message cannot ask for what the controls do not offer (20 million clients, say). Page settings
    follow PAGE_SETTINGS, parameters simulation.config.PARAMETERS; other names are dropped."""

    def __init__(self, scenario: object = None, **received: Any) -> None:
        settings = {
            name: (PAGE_SETTINGS[name] if name in PAGE_SETTINGS else Setting.of_parameter(name)).clamp(value)
            for name, value in received.items()
            if name in PAGE_SETTINGS or name in PARAMETERS
        }
        super().__init__(**settings)
