"""The individual format: one therapist, one client. Each unit is one client, client i sees therapist
i // clients_per_therapist, every course starts at session 1, and nothing is added to the session
update (its results are those of the simulator before formats existed, byte for byte)."""

from __future__ import annotations

from simulation.formats.base import Format


class Individual(Format):
    name = "individual"
    unit_name = "client"
    adds_to_session = False
