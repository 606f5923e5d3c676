"""Parameter sweeps: study files (study.py, their values checked by checks.py), running them
(execute.py) on local processes or a Dask cluster (executors.py) with resumable Parquet output
(folder.py), and summaries and sensitivity indices of the results (analysis.py)."""

from simulation.figures.registry import FORMAT_FIGURES, RUN_FIGURES
from simulation.sweeps.execute import StudyResult, run_study, simulate_part
from simulation.sweeps.executors import dask_executor, local_executor
from simulation.sweeps.study import SAMPLERS, Study, StudyError, load_study, parse_study

FIGURES = tuple(figure.name for figure in RUN_FIGURES)  # a summary's figures of every run, by name

__all__ = [
    "FIGURES",
    "FORMAT_FIGURES",
    "SAMPLERS",
    "Study",
    "StudyError",
    "StudyResult",
    "dask_executor",
    "load_study",
    "local_executor",
    "parse_study",
    "run_study",
    "simulate_part",
]
