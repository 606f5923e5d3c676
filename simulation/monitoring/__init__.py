"""Routine outcome monitoring (docs/monitoring.md; docs/ODD.md, submodel "Routine outcome monitoring").

At every attended session a client's ORS is compared with the expected ORS of clients who started in
the same intake ORS band (:mod:`.course`: the expected course, computed once from a reference run of
the model and shipped as ``expected_course.json``). A client more than ``monitoring_margin`` ORS
points below it is *not on track* (:mod:`.signals`). Where the clinic uses feedback
(``feedback_enabled``) a therapist acts on a signal with probability ``feedback_use``, and what acting
changes in the session is the kernel's submodel :mod:`.feedback`.

The signal is recorded whether or not the clinic uses feedback (the sessions table's
``expected_ors`` and ``not_on_track``; the clients table's ``flagged`` and ``first_flagged``), so that
a run with feedback off says who would have been flagged.
"""
