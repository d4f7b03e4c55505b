"""The paper's Table 1 (§5.4.1): the bias of every label set and method, on the test split and,
on the simulated survey, on the large held-out evaluation sample.

Rows (the paper's letters):

====  =======================  ==========================================  =================
row   method                   labels                                      trained on
====  =======================  ==========================================  =================
a     GZ2B labels              ``labels.parquet`` ``gz2b``                 –
b     GZ2D labels              ``labels.parquet`` ``gz2d``                 –
c     CE on GZ2B               ``predictions.parquet`` ``p_disk_ce_gz2b``  GZ2B
d     CE on GZ2D               ``predictions.parquet`` ``p_disk_ce_gz2d``  GZ2D
e     DCV14 on GZ2B            ``dcv14_predictions.parquet`` ``dcv14``     GZ2B
f     DDB on GZ2B              ``predictions.parquet`` ``p_disk_ddb``      GZ2B
truth true class (mock only)   ``labels.parquet`` ``truth``                –
====  =======================  ==========================================  =================

Rows c, d and f appear once per seed (``seed`` 0, 1, ...; columns ``p_disk_<name>`` and
``p_disk_<name>_s<k>``); label rows have an empty ``seed``.  ``table1.csv`` keeps every seed
(one row per sample, row letter and seed); :func:`summarise` gives mean ± sd over seeds.

Columns of ``table1.csv`` (:data:`COLUMNS`), per ``sample`` (``test`` or ``eval``):

- ``cv18``, ``cv18_std`` - CV18 (thesis convention: deviations from the highest-alpha bin of
  each cell), bootstrap mean and standard deviation over ``cfg.n_bootstrap`` resamples
  (ddof = 1); ``cv18_full`` the full-sample value;
- ``cv18_lowref`` (``_std``) - the same with the lowest-alpha bin as reference, the paper
  group's evaluation-script convention (METHODS §6);
- ``cv18_floor`` (``_std``) - CV18 of the row's own labels permuted *within* the cells of the
  CV18 k-d tree: the class mix of every cell is kept, any trend with alpha inside a cell is
  destroyed; mean (sd) over ``floor_perms`` permutations, each a bootstrap mean over
  ``floor_boot`` resamples, so it is comparable with ``cv18``;
- ``cv14``; ``cv14_floor`` - CV14 of the full sample, and its mean over ``floor_perms`` random
  permutations of the row's labels (any trend with alpha destroyed);
- ``accuracy``, ``precision``, ``recall``, ``f1`` - against the labels the method was trained
  on (rows c-f; the paper reports c and d); ``accuracy_truth``, ``recall_truth`` - against the
  truth (simulated survey; recall of true disks);
- ``d_a``, ``d_a_std``, ``d_truth``, ``d_truth_std`` - paired-bootstrap differences of CV18
  against row a and against the truth (the same resamples of the galaxies both rows label);
- ``n`` - galaxies with a label in that row.

Network labels are ``p_disk > 0.5`` (:func:`galbias.methods.metrics.hard_labels`).  Truth
values other than 0/1 (a star or artifact that the volunteers took for a galaxy) have no
morphology: they are left out of the truth row and of the truth columns.  Rows whose label is
missing (DCV14 without a Sérsic fit) are left out of that row only; ``n`` says how many were used.
"""

from __future__ import annotations

from .score import *  # noqa: F401,F403
from .report import *  # noqa: F401,F403
