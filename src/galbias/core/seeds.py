"""One way to derive random streams from a run's seed.

Every random draw of the package comes from a generator seeded with ``(seed, *stream)``
through :class:`numpy.random.SeedSequence`, so independent uses (the population, each shard,
each epoch's data order, each repeat of an experiment) get independent streams whose values
do not depend on the order in which they are drawn or on how many processes draw them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["derive_seed", "rng"]


def _sequence(seed: int, stream: tuple[int, ...]) -> np.random.SeedSequence:
    return np.random.SeedSequence([int(seed) % 2**63, *(int(s) for s in stream)])


def rng(seed: int, *stream: int) -> np.random.Generator:
    """A NumPy generator for stream ``stream`` of ``seed``."""
    return np.random.default_rng(_sequence(seed, stream))


def derive_seed(seed: int, *stream: int) -> int:
    """A 63-bit integer seed for stream ``stream`` of ``seed`` (for torch and scikit-learn)."""
    state = _sequence(seed, stream).generate_state(2, np.uint64)[0]
    return int(state >> np.uint64(1))
