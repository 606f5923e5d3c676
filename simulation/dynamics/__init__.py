"""The session update: pure array functions over all client-therapist relations at once.

One row is one relation (in the individual format: one client with their therapist). Rows of
several independent runs can be stacked; parameters are then per-row arrays instead of scalars.
Every function here is written against an array namespace ``xp`` (numpy, CuPy, array-api-strict)
and imports no Mesa, pandas or I/O. Nothing here writes into its inputs: each function returns new
arrays (numpy allocates the results of elementwise operations anyway).

The modules are the submodels of docs/ODD.md section 7, one to one:

- :mod:`~simulation.dynamics.state`: codes, containers (Traits, State, SessionRecord), array helpers
- :mod:`~simulation.dynamics.intake`: 7.1 Traits, 7.2 Initial state
- :mod:`~simulation.dynamics.growth`: 7.3 Composite alliance, 7.7 Alliance growth
- :mod:`~simulation.dynamics.attendance`: 7.4 Attendance, 7.14 Endings (dropout and its causes)
- :mod:`~simulation.dynamics.measurement`: 7.5 ORS, 7.9 SRS, 7.15 Therapist's view
- :mod:`~simulation.dynamics.stage`: 7.6 Stages
- :mod:`~simulation.dynamics.onset`: 7.8 Rupture onset
- :mod:`~simulation.dynamics.repair`: 7.10 Detection, 7.11 Repair, 7.12 Expiry (the rupture lifecycle,
  for relation rows and for member pairs alike)
- :mod:`~simulation.dynamics.reactance`: 7.17 Reactance (resistance meets challenge; on 7.8 and 7.13)
- :mod:`~simulation.dynamics.symptoms`: 7.13 Symptom change (with life events and lasting harm; 7.19 in groups)
- :mod:`~simulation.dynamics.feedback`: 7.18 Routine outcome monitoring (not-on-track signals and acting on them)
- :mod:`~simulation.dynamics.session`: ODD 3, :func:`step_session` composing them, and the format
  seam (:class:`FormatContext`; 7.16)
"""

from simulation.dynamics.attendance import (
    attendance,
    dropout_cause,
    dropout_chance,
    end_courses,
    planned_ending,
)
from simulation.dynamics.growth import composite, grow_alliance
from simulation.dynamics.intake import (
    alliance_ability,
    draw_clients,
    draw_therapist_outcome,
    draw_therapists,
    initial_state,
    relation_traits,
    therapist_outcome,
)
from simulation.dynamics.measurement import ors_reading, srs_alert, srs_total, therapist_view
from simulation.dynamics.onset import challenge_weakness, rupture_hazard, rupture_onset
from simulation.dynamics.reactance import reactance_change_factor, reactance_hazard
from simulation.dynamics.repair import (
    RuptureTrack,
    detection,
    detection_chance,
    lasting_deficit,
    open_ruptures,
    repair,
    repair_step_chance,
    tend_ruptures,
    v_shape,
    visibility,
)
from simulation.dynamics.session import INDIVIDUAL, Context, FormatContext, SessionDraws, step_session
from simulation.dynamics.stage import goals_met, next_stage
from simulation.dynamics.state import (
    ALLIANCE_ABILITY,
    ANXIOUS,
    ATTACHMENT_STYLES,
    AVOIDANT,
    CLIENT_TRAITS,
    CONFRONTATION,
    DISENGAGED,
    DROPOUT_CAUSES,
    ENGAGEMENT,
    EXPLORATION,
    IMPROVED,
    NO_RUPTURE,
    NOT_DROPPED,
    ORS_MAX,
    PRACTICAL,
    RELIABLE_CHANGE,
    REPAIR_STEPS,
    RESOLUTION,
    RUPTURE_KINDS,
    SECURE,
    SRS_MAX,
    STAGES,
    THERAPIST_TRAITS,
    WITHDRAWAL,
    WORKING,
    SessionRecord,
    State,
    Traits,
    as_float,
    at_intake,
    logistic,
    select,
    unit_clip,
)
from simulation.dynamics.symptoms import lasting_harm, life_event_loss, symptom_change, week_of_symptoms

__all__ = [
    "ALLIANCE_ABILITY",
    "ANXIOUS",
    "ATTACHMENT_STYLES",
    "AVOIDANT",
    "CLIENT_TRAITS",
    "CONFRONTATION",
    "DISENGAGED",
    "DROPOUT_CAUSES",
    "ENGAGEMENT",
    "EXPLORATION",
    "IMPROVED",
    "INDIVIDUAL",
    "NOT_DROPPED",
    "NO_RUPTURE",
    "ORS_MAX",
    "PRACTICAL",
    "RELIABLE_CHANGE",
    "REPAIR_STEPS",
    "RESOLUTION",
    "RUPTURE_KINDS",
    "SECURE",
    "SRS_MAX",
    "STAGES",
    "THERAPIST_TRAITS",
    "WITHDRAWAL",
    "WORKING",
    "Context",
    "FormatContext",
    "RuptureTrack",
    "SessionDraws",
    "SessionRecord",
    "State",
    "Traits",
    "alliance_ability",
    "as_float",
    "at_intake",
    "attendance",
    "challenge_weakness",
    "composite",
    "detection",
    "detection_chance",
    "draw_clients",
    "draw_therapist_outcome",
    "draw_therapists",
    "dropout_cause",
    "dropout_chance",
    "end_courses",
    "goals_met",
    "grow_alliance",
    "initial_state",
    "lasting_deficit",
    "lasting_harm",
    "life_event_loss",
    "logistic",
    "next_stage",
    "open_ruptures",
    "ors_reading",
    "planned_ending",
    "reactance_change_factor",
    "reactance_hazard",
    "relation_traits",
    "repair",
    "repair_step_chance",
    "rupture_hazard",
    "rupture_onset",
    "select",
    "srs_alert",
    "srs_total",
    "step_session",
    "symptom_change",
    "tend_ruptures",
    "therapist_outcome",
    "therapist_view",
    "unit_clip",
    "v_shape",
    "visibility",
    "week_of_symptoms",
]
