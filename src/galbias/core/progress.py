"""Progress lines of long loops, which the runner streams to the terminal while a chapter runs.

Inside a chapter executed by papermill, everything a cell prints goes into the notebook; the
runner (:mod:`galbias.compendium.runner`) additionally shows the lines that are *progress*
lines on the terminal, live, and nothing else.  A loop marks a line as progress with::

    from galbias.core import progress
    progress.say(f"ddb: epoch {k}/{n}: val loss {loss:.4f}")

which prints ``[progress] ddb: epoch 3/8: val loss 0.4123``.  Use it once per epoch, per
training or per scenario, never once per batch.  In Jupyter the line simply shows under the
cell.  :func:`is_progress` also accepts the two formats the package printed before this
module existed (the training engine's ``[name] epoch i/n: ...`` and
:func:`galbias.results.networks.train_all`'s ``[galbias] network i/n: ...``).
"""

from __future__ import annotations

import re

PREFIX = "[progress] "

# the package's older per-epoch / per-training lines (see the module docstring)
_LEGACY = re.compile(r"^\[[\w.\-]+\] epoch \d+/\d+\b|^\[galbias\] network \d+/\d+:")


def say(msg: str) -> None:
    """Print one progress line (flushed at once, so the runner shows it while the cell runs)."""
    print(PREFIX + str(msg), flush=True)


def is_progress(line: str) -> bool:
    return line.startswith(PREFIX) or bool(_LEGACY.match(line))


def strip(line: str) -> str:
    """The message of a progress line, without :data:`PREFIX` (or the older ``[galbias] ``)."""
    for prefix in (PREFIX, "[galbias] "):
        if line.startswith(prefix):
            return line[len(prefix):]
    return line
