"""The core dynamics' parameters, declared by submodel (docs/ODD.md sections 5 and 7).

Every concern declares its own parameters beside its code, each as a small frozen dataclass of fields
made by :func:`simulation.params.declare.param`:

- core dynamics, here: :mod:`.population` (course, clients, therapists), :mod:`.alliance` (growth and
  stages, ruptures, detection and repair) and :mod:`.outcomes` (symptoms, attendance and dropout);
- the item-level instruments: :mod:`simulation.instruments.params`;
- the group and family formats: :mod:`simulation.formats.group_params`,
  :mod:`simulation.formats.family_params`.

:class:`simulation.config.Params` is assembled from all of them and is what the rest of the code reads.
A new concern (say, routine outcome monitoring) declares its class the same way beside its code, and
``simulation.config`` lists it once in ``CONCERNS`` and once among the bases of ``Params``; the CLI,
TOML files, sweeps, the page, the codebook and docs/ODD.md's tables then show its parameters.
"""
