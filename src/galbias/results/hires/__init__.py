"""Chapter 7: galaxies whose class a de-biasing network changed, and an alpha-matched control.

The paper (§5.4.3) looked for high-resolution HST images of the test galaxies that were
*smooth* in the original labels (GZ2B) but *disk* according to DDB, and found that most of the
11 it could find show spiral arms.  That check has no control: a random GZ2B-smooth galaxy of
the same resolution might show arms just as often.  On the simulated survey the true class is
known, so the control can be run:

- the test galaxies with their labels, ``alpha``, the truth and every network's
  ``p_disk_<model>`` come from :func:`galbias.results.frames.evaluation_frame` (with extra
  catalog columns such as ``true_n_arms``).
- :func:`changed_mask` - the galaxies whose label ``from_col`` is smooth and whose network
  probability of *disk* exceeds the threshold (smooth -> disk); ``direction="disk_to_smooth"``
  gives the opposite change.
- :func:`alpha_matched_draws` - for each changed galaxy, a galaxy drawn at random from a pool
  (all GZ2B-smooth test galaxies) in the same equal-count ``alpha`` bin of the pool; repeated
  ``n_draws`` times with a seeded generator, so the control sample has the changed set's
  ``alpha`` distribution.
- :func:`control_summary` - the true-disk fraction of the changed set (with a Wilson
  interval) against the distribution of the same fraction over the control draws.

What chapter 7 shows, as tables and numbers to glue:

- :func:`truth_extra` - the catalog's structural truth (:data:`TRUE_COLUMNS`) keyed by ``id``,
  for the ``extra`` of :func:`~galbias.results.frames.evaluation_frame`.
- :func:`changed_counts` (Table 7.1) and :func:`changed_numbers` - how many galaxies each
  network changes, in either direction, and how often the change is right.
- :func:`write_changed` - ``changed.parquet`` with its manifest.
- :func:`examples`, :func:`describe`, :func:`grid_message`, :func:`grid_numbers` - the random
  changed galaxies of the survey/high-resolution grid, their titles and what the grid shows.
- :func:`control_results`, :func:`control_numbers`, :func:`control_table` (Table 7.2) - the
  alpha-matched control for every network; :func:`paper_numbers` - the paper's HST counts.

Stars and artifacts (``truth_class`` 2) that volunteers took for galaxies count as "not a
disk" and "not smooth" throughout.

Documented choices: the pool *includes* the changed galaxies (the control answers "what would
a random GZ2B-smooth galaxy at this resolution be?", which is the null hypothesis for "DDB picks
out the hidden disks"); within one draw the pool galaxies of a bin are drawn without
replacement when the bin has enough of them, else with replacement; bins are equal-count
bins of the pool's ``alpha`` (:mod:`galbias.data.binning`).
"""

from __future__ import annotations

from ...methods.metrics import SIGNIFICANCE, wilson_interval  # noqa: F401 - part of chapter 7's API
from .changed import *  # noqa: F401,F403
from .report import *  # noqa: F401,F403
