"""Chapter 9: sky-location bias of a CNN classifier (Dhar & Shamir), on the simulated survey.

Dhar & Shamir trained a small CNN to tell elliptical from spiral galaxies.  When the training
spirals came from one part of the sky and the training ellipticals from another, the network's
verdict on an *identical* test set depended on where the test galaxies were observed.  The
simulated survey's four regions differ only in observing conditions while their galaxies are
drawn from one population, so the effect can be separated from real differences.

- :mod:`.design` - data sets, splits and the experiment design;
- :mod:`.network` - their network and its training;
- :mod:`.run` - running the design and ``skybias.csv``;
- :mod:`.stats` - confusion counts, binomial tests, summaries, anisotropy, swap contrast;
- :mod:`.population` - are the regions' galaxies the same, and what differs in the images;
- :mod:`.report` - the chapter's sections up to the spread over repeats: tables and glued numbers;
- :mod:`.beyond` - the sections beyond the paper (swap contrast, balancing, chapter 4's networks
  per region): tables, glued numbers and verdicts;
- :mod:`.layout` - the tables in the shape the book prints them (narrow enough for a page).
"""

from .beyond import *  # noqa: F401,F403
from .design import *  # noqa: F401,F403
from .layout import *  # noqa: F401,F403
from .network import *  # noqa: F401,F403
from .population import *  # noqa: F401,F403
from .report import *  # noqa: F401,F403
from .run import *  # noqa: F401,F403
from .stats import *  # noqa: F401,F403
