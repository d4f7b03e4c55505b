"""How long each chapter takes: measured per run, and a committed reference for readers.

Every run records the wall time of each chapter in ``<run>/timings.json`` (the runner calls
:func:`record`).  ``timings.json`` next to this module is the *reference*: the times of one
whole run of each profile on the project machine, copied there with
``python -m galbias timings --save <profile>`` after a complete run.  The chapters' "time to
run" lines, the runner's "expected" times and the teaching page all read the reference, so no
time in the book is typed by hand.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ..core import artifacts

REFERENCE = Path(__file__).with_name("timings.json")


def run_file(run_dir: str | Path) -> Path:
    return Path(run_dir) / "timings.json"


def record(run_dir: str | Path, chapter: str, seconds: float) -> Path:
    """Add (or replace) one chapter's wall time in the run's ``timings.json``, atomically."""
    path = run_file(run_dir)
    data = artifacts.read_json(path) if path.exists() else {}
    data.setdefault("chapters", {})[chapter] = round(float(seconds), 1)
    data["updated"] = time.strftime("%Y-%m-%d %H:%M:%S")
    return artifacts.write_json(path, data)


def load(path: str | Path | None = None) -> dict[str, Any]:
    """The reference timings (``{"machine": ..., "profiles": {profile: {chapter: s}}}``)."""
    path = Path(path) if path is not None else REFERENCE
    if not path.exists():
        return {"machine": "", "profiles": {}}
    return json.loads(path.read_text())


def expected(chapter: str, profile: str, reference: dict[str, Any] | None = None) -> float | None:
    """Reference seconds for one chapter of one profile (None when never measured)."""
    ref = reference if reference is not None else load()
    return ref.get("profiles", {}).get(profile, {}).get(chapter)


def total(profile: str, reference: dict[str, Any] | None = None) -> float | None:
    ref = reference if reference is not None else load()
    times = ref.get("profiles", {}).get(profile)
    return float(sum(times.values())) if times else None


def fmt_duration(seconds: float | None) -> str:
    """``14 s``, ``2.5 min``, ``1 h 05 min``; ``not measured`` for None."""
    if seconds is None:
        return "not measured"
    s = float(seconds)
    if s < 90:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{s / 60:.1f} min"
    h, m = divmod(int(round(s / 60)), 60)
    return f"{h} h {m:02d} min"


def note(chapter: str, reference: dict[str, Any] | None = None) -> str:
    """One line for a chapter's header: its measured time on the demo and smoke profiles."""
    ref = reference if reference is not None else load()
    parts = []
    for profile in ("demo", "smoke"):
        t = expected(chapter, profile, ref)
        if t is not None:
            parts.append(f"{fmt_duration(t)} on the {profile} profile")
    if not parts:
        return "not measured yet"
    machine = ref.get("machine") or "the project machine"
    return " and ".join(parts) + f" ({machine})"


def save_reference(run_dir: str | Path, profile: str, machine: str,
                   path: str | Path | None = None) -> Path:
    """Copy a complete run's chapter times into the committed reference file."""
    from .runner import chapters

    measured = artifacts.read_json(run_file(run_dir)).get("chapters", {})
    missing = [c for c in chapters() if c not in measured]
    if missing:
        raise ValueError(f"{run_file(run_dir)} has no time for {', '.join(missing)}: run every chapter first")
    path = Path(path) if path is not None else REFERENCE
    ref = load(path)
    ref["machine"] = machine
    ref.setdefault("profiles", {})[profile] = {c: measured[c] for c in chapters()}
    ref.setdefault("measured", {})[profile] = time.strftime("%Y-%m-%d")
    path.write_text(json.dumps(ref, indent=2, sort_keys=True) + "\n")
    return path


#: the course plan of the teaching page: (lesson, chapters, what students do)
LESSONS = [
    ("1. Labels and their bias", ["00_survey", "01_labeling", "02_bias_model"],
     "how resolution hides disks; GZ2B and GZ2D labels; the bias model against FERENGI"),
    ("2. Estimating θ", ["03_theta_fit"], "the binned fit, bin counts and χ²; DCV14's EM"),
    ("3. Training through a bias model", ["04_ddb_training"],
     "the DDB likelihood; seeds; scoring against the truth bin by bin"),
    ("4. Measuring bias and its noise", ["05_table1"], "CV14 and CV18, their floors and conventions"),
    ("5. Independent checks", ["06_sersic", "07_hst_inspection", "08_gradcam"],
     "light profiles, sharper images, where the networks look"),
    ("6. Sky-location bias", ["09_sky_location_bias"], "a second bias a network can learn from survey data"),
    ("7. When does de-biasing work?", ["10_when_debiasing_works"],
     "one change at a time: scenarios, θ, bias shape, selection rules, degraded images"),
]


def lesson_table(reference: dict[str, Any] | None = None) -> str:
    """The course plan as a markdown table, with each lesson's run time on the demo and smoke
    profiles summed from the reference timings (so the teaching page is never out of date
    with the measurements)."""
    ref = reference if reference is not None else load()
    rows = ["| lesson | chapters | students work on | demo run | smoke run |", "|---|---|---|---|---|"]
    for title, chapters, focus in LESSONS:
        times = {}
        for profile in ("demo", "smoke"):
            ts = [expected(c, profile, ref) for c in chapters]
            times[profile] = fmt_duration(sum(ts)) if all(t is not None for t in ts) else "not measured"
        links = ", ".join(f"[{int(c[:2])}](chapters/{c}.ipynb)" for c in chapters)
        rows.append(f"| {title} | {links} | {focus} | {times['demo']} | {times['smoke']} |")
    tot = {p: fmt_duration(total(p, ref)) for p in ("demo", "smoke")}
    rows.append(f"| **whole book** | 0–10 | | **{tot['demo']}** | **{tot['smoke']}** |")
    machine = ref.get("machine") or "the project machine"
    return (f"Run times measured on {machine} ({', '.join(f'{p}: {d}' for p, d in ref.get('measured', {}).items())}).\n\n"
            + "\n".join(rows) + "\n")


def write_lessons(path: str | Path, run: str | Path, profile: str) -> Path:
    """The teaching page's course-plan table (``_lessons.md``), written when the book is
    assembled (``run`` and ``profile`` are unused: the plan reads the reference timings)."""
    path = Path(path)
    path.write_text(lesson_table())
    return path
