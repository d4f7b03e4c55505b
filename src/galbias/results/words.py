"""The one rule that turns a number and its noise into a word for the text.

Every verdict of the book compares a difference with its standard deviation: within ``k`` sd
(two by default) it is "within the noise", otherwise it has a sign.  :func:`noise_word` says
so with the words the sentence needs; :func:`relative_word` compares a ratio with a stated
tolerance where there is no standard deviation (a calibration against a published value).
"""

from __future__ import annotations

import numpy as np

__all__ = ["noise_word", "relative_word"]


def noise_word(diff: float, sd: float, k: float = 2.0,
               words: tuple[str, str, str] = ("below", "within the noise of", "above"),
               missing: str = "not measured") -> str:
    """``words[1]`` when ``|diff| <= k sd``, else ``words[0]`` (diff < 0) or ``words[2]``;
    ``missing`` for a NaN difference.  A NaN or non-positive ``sd`` counts as no noise."""
    if not np.isfinite(diff):
        return missing
    sd = float(sd) if np.isfinite(sd) and sd > 0 else 0.0
    if abs(diff) <= k * sd:
        return words[1]
    return words[0] if diff < 0 else words[2]


def relative_word(x: float, ref: float, tol: float = 0.10,
                  words: tuple[str, str, str] = ("smaller than", "close to", "larger than")) -> str:
    """``words[1]`` when ``x`` lies within ``tol`` (relative) of ``ref``, else ``words[0]`` or
    ``words[2]``; "not measured" when either is NaN or ``ref`` is 0."""
    if not (np.isfinite(x) and np.isfinite(ref)) or ref == 0:
        return "not measured"
    r = x / ref - 1
    return words[1] if abs(r) <= tol else (words[0] if r < 0 else words[2])
