"""Shared fixtures: one small default cohort, simulated once per test session."""

import pytest

from simulation.config import Params
from simulation.tables import simulate


@pytest.fixture(scope="session")
def cohort():
    """800 default clients (40 therapists), seed 11."""
    return simulate(Params(), 800, 11)
