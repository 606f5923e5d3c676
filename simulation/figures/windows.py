"""The session windows of the figures: one session convention for the kernel, the measures, the
instruments and the views.

Sessions are counted on each client's own calendar: session 1 is the first session the client is
scheduled for (in an open group, a member who joins at the group's 7th session has their own session
1 there), so a late joiner's session 8 is their own 8th session. This module imports nothing, so that
the kernel can read it without pandas.
"""

from __future__ import annotations

ALLIANCE_EARLY_SESSIONS = (3, 5)  # alliance_early: mean client-view alliance over attended sessions 3-5
EARLY_DROPOUT_SESSIONS = 3  # the kernel adds dropout_early_weight to the dropout log-odds in sessions 1-3
DOSE_RESPONSE_SESSION = 8  # improved_by_8: reliably improved at session 8 (Howard et al. 1986)
WAI_SESSIONS = (3, 5, 8)  # the WAI-SR's default single administrations (docs/calibration.md), and 'last'
