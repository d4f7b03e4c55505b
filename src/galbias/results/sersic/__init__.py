r"""The Sérsic-index check of the paper's §5.4.2 (its Fig. 10).

A single-Sérsic fit :math:`I(r) \propto \exp[-b_n (r/r_e)^{1/n}]` summarises how concentrated a
galaxy's light is: :math:`n \approx 1` for an exponential disk, :math:`n \approx 4` for a
de Vaucouleurs (bulge/elliptical) profile.  The paper uses :math:`n = 3` as the dividing line
and compares the cumulative distributions of :math:`n` of galaxies in three sets of panels:

(a) labelled *smooth* by GZ2B, GZ2D and DDB;
(b) *changed* from GZ2B smooth to disk by GZ2D and by DDB, against the GZ2B disks;
(c) labelled *disk* by GZ2B, GZ2D and DDB.

On the simulated survey a fourth set (d) uses the true classes.  Network labels are
``p_disk > 0.5``.  Galaxies without a Sérsic fit (``sersic_n`` missing) are left out of the
fractions and the curves; ``count`` is the group size, ``n_measured`` the galaxies with a fit.
"Fraction n > 3" is the complement of "fraction n < 3" among the measured galaxies (it
includes n = 3 exactly).
"""

from __future__ import annotations

from .sets import *  # noqa: F401,F403
from .report import *  # noqa: F401,F403
