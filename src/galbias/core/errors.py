"""Errors a user can cause or fix, with one base class so the command line can catch them all.

Every error raised for bad input, a missing or stale artifact, a failed download or a full
disk derives from :class:`GalbiasError`; its message names the file, column, parameter or
chapter involved, and the command line prints it as one line (``--debug`` shows the
traceback).  Programming errors (bugs) are ordinary Python exceptions and keep theirs.
"""

from __future__ import annotations


class GalbiasError(Exception):
    """Base class of the errors whose message tells the user what to change."""


class ConfigError(GalbiasError, ValueError):
    """A profile or parameter that does not exist, or a value that cannot be used."""


class StaleArtifactError(GalbiasError, RuntimeError):
    """An artifact whose manifest does not match the current parameters, inputs or code."""


class DiskFullError(GalbiasError, OSError):
    """Not enough free disk space for an artifact (the message names the folder and the shortfall)."""
