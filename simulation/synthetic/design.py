"""What a synthetic data set is made of: its files, and the design (parameters, therapists, seed,
WAI-SR schedule, format, replicates) that :func:`make_design` checks before any work."""

from __future__ import annotations

from dataclasses import dataclass, replace

from simulation.config import PARAMETERS, ParameterError, Params, shown
from simulation.defaults import FILE_FORMATS, POPULATION_CLIENTS
from simulation.formats import get_format
from simulation.instruments.items import WaiSchedule
from simulation.recipe import RunRecipe
from simulation.runs import Run
from simulation.store import MANIFEST
from simulation.synthetic.dropout import check_imposed_dropout

TABLES = ("sessions", "clients", "therapists", "truth/sessions", "truth/clients", "truth/therapists")
DOCUMENTS = (
    "truth/parameters.json",
    "truth/measurement_model.lavaan",
    "codebook.json",
    "codebook.md",
    "README.md",
    MANIFEST,  # manifest last
)
MAX_REPLICATES = 1000


def file_names(file_format: str) -> tuple[str, ...]:
    """Every file a data set of ``file_format`` writes."""
    return (*(f"{table}.{file_format}" for table in TABLES), *DOCUMENTS)


def replicate_folder(replicate: int) -> str:
    """The folder of replicate ``replicate`` (1-based) of a study made with ``--replicates``."""
    return f"replicate_{replicate:03d}"


@dataclass(frozen=True)
class Design:
    """What to generate: parameters (and how they were made), therapists, seed, WAI-SR schedule and
    format, and the size of the reference simulation for population values (``--population-clients``).
    Each therapist's caseload is the parameter ``clients_per_therapist`` members' worth of whole
    units (clients, groups or families; simulation.formats)."""

    recipe: RunRecipe
    params: Params
    therapists: int
    seed: int
    schedule: WaiSchedule
    format: str = "individual"
    population_clients: int = POPULATION_CLIENTS

    @property
    def n_clients(self) -> int:
        """People in therapy (members, in every format): every therapist's whole units."""
        therapy = get_format(self.format)
        return self.therapists * therapy.units_per_therapist(self.params) * therapy.unit_size(self.params)

    def run(self) -> Run:
        return Run(self.params, self.n_clients, self.seed, self.format)

    def with_seed(self, seed: int) -> Design:
        """The same design with another seed (one replicate of a study)."""
        return replace(self, seed=seed)

    def command(self, file_format: str, replicates: int = 1) -> str:
        """The command line that remakes the data set (into a folder DATASET)."""
        parts = ["alliance generate --out DATASET", f"--seed {self.seed}", f"--therapists {self.therapists}"]
        parts += [f"--format {self.format}"] if get_format(self.format).has_units else []
        parts.append(f"--clients-per-therapist {self.params.clients_per_therapist}")
        parts += [f"--wai-schedule {self.schedule.describe()}", f"--file-format {file_format}"]
        parts += [f"--replicates {replicates}"] if replicates > 1 else []
        parts += (
            [f"--population-clients {self.population_clients}"] if self.population_clients != POPULATION_CLIENTS else []
        )
        config = self.recipe.config
        parts += [
            f"--preset {name}"
            for name in self.recipe.presets[: len(self.recipe.presets) - len(config.presets if config else ())]
        ]
        parts += [f"--config {config.path}"] if config is not None else []
        parts += [
            f"--set {name}={value}"
            for name, value in self.recipe.assignments.items()
            if name != "clients_per_therapist"
        ]
        return " ".join(parts)


def make_design(
    recipe: RunRecipe | Params | None = None,
    therapists: int = 20,
    clients_per_therapist: int | None = None,
    seed: int = 1,
    wai_schedule: str | WaiSchedule | None = None,
    format: str = "individual",
) -> Design:
    """A :class:`Design` from the arguments of :func:`simulation.synthetic.generate` (a Params is taken
    as it is)."""
    get_format(format)  # an unknown format is refused before any work
    if therapists < 1:
        raise ValueError(f"therapists must be 1 or more; got {therapists}")
    if isinstance(recipe, Params):
        changed = {name: value for name, value in recipe.as_dict().items() if value != PARAMETERS[name].default}
        recipe = RunRecipe(assignments=changed)
    recipe = recipe or RunRecipe()
    params = recipe.params()
    if clients_per_therapist is not None:
        params = params.replace(clients_per_therapist=clients_per_therapist)
    check_imposed_dropout(params, format)
    return Design(recipe, params, therapists, seed, checked_schedule(wai_schedule, params), format)


def checked_schedule(wai_schedule: str | WaiSchedule | None, params: Params) -> WaiSchedule:
    """The WAI-SR schedule: the default (3,5,8,last) without the sessions past the course, or the one
    given, refused in one line when it lists a session past the course (it would never be given).
    Sessions are each client's own, so the course's last is course_length in every format."""
    last = params.course_length
    if wai_schedule is None:
        default = WaiSchedule()
        return replace(default, sessions=tuple(session for session in default.sessions if session <= last))
    schedule = wai_schedule if isinstance(wai_schedule, WaiSchedule) else WaiSchedule.parse(wai_schedule)
    past = [session for session in schedule.sessions if session > last]
    if past:
        raise ParameterError(f"--wai-schedule sessions must be from 1 to {last} (course_length); got {shown(past[0])}")
    return schedule


def check_output_choices(file_format: str, replicates: int) -> None:
    """Refuse a file format or a replicate count out of range, in one line naming the option."""
    if file_format not in FILE_FORMATS:
        raise ValueError(f"--file-format must be one of {', '.join(FILE_FORMATS)}; got {file_format!r}")
    if not 1 <= replicates <= MAX_REPLICATES:
        raise ValueError(f"--replicates must be from 1 to {MAX_REPLICATES}; got {replicates}")
