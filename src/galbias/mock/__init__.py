"""The simulated Galaxy-Zoo-2-like survey (the ``demo`` and ``smoke`` profiles' data).

Galaxies with a known true class are drawn from an SDSS-like population
(:mod:`~galbias.mock.population`), observed in four sky regions with different conditions
(:mod:`~galbias.mock.regions`), rendered as survey and high-resolution JPEGs
(:mod:`~galbias.mock.render`), measured like Simard et al.'s Sérsic fits
(:mod:`~galbias.mock.measure`), and classified by simulated volunteers whose ability to see
disk features follows from the physics of PSF blurring (:mod:`~galbias.mock.volunteers`).
:func:`simulate_survey` (:mod:`~galbias.mock.survey`) runs it all, in resumable shards, and
writes a catalog in the same schema as the real GZ2 data.
"""

from .population import draw_population
from .regions import REGIONS, Region, region_table
from .survey import (
    render_galaxy_views,
    render_resolution_sequence,
    simulate_survey,
)
from .volunteers import feature_visibility, simulate_votes

__all__ = [
    "REGIONS",
    "Region",
    "draw_population",
    "feature_visibility",
    "region_table",
    "render_galaxy_views",
    "render_resolution_sequence",
    "simulate_survey",
    "simulate_votes",
]
