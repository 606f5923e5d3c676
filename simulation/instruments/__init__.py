"""The item-level measurement layer: WAI-SR, SRS and ORS items and rupture reports drawn from the
kernel's session records (:mod:`.items`), their derived scores and figures (:mod:`.scores`) and the
codebook of a synthetic data set (:mod:`.codebook`); their parameters are declared in :mod:`.params`.
See docs/instruments.md."""
