"""galbias: a research compendium on training unbiased galaxy-morphology models on biased labels.

Reproduces Medina-Rosales, Cabrera-Vives & Miller (MNRAS 2024, "DDB") on a simulated
GZ2-like survey with known truth (default) or on the real Galaxy Zoo 2 data (``paper``
profile), and extends it with the sky-location bias experiment of Dhar & Shamir.
"""

__version__ = "0.1.0"

SMOOTH, DISK, STAR = 0, 1, 2
CLASS_NAMES = {SMOOTH: "smooth", DISK: "disk", STAR: "star/artifact"}
