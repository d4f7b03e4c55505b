"""The intro page's scorecard: the paper's claims against what this run shows.

Built from a run folder's artifacts (``theta.json``, ``table1.csv``, ``sersic.csv``,
``ablation.csv``) when the book is assembled, so every number on the intro page comes from the
run being shown.  Each row has the paper's number, this run's number with its noise, and a
verdict word computed from them (:func:`compare`): differences within two standard deviations
are "within the noise".  A missing artifact gives a row that says which chapter to run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..reference import PAPER_SERSIC_SPLIT, PAPER_TABLE1, PAPER_THETA
from .words import noise_word

COLUMNS = ["claim", "paper (real GZ2)", "this run", "verdict", "chapter"]

#: a classifier that calls more than 1 - DEGENERATE (or fewer than DEGENERATE) of the galaxies
#: disks has learnt (almost) nothing; its CV18 is ~0 whatever the bias, so no verdict is drawn
DEGENERATE = 0.03


def degenerate(disk_fraction: float) -> bool:
    """True when a classifier calls (almost) every galaxy the same class."""
    return bool(np.isfinite(disk_fraction) and (disk_fraction < DEGENERATE or disk_fraction > 1 - DEGENERATE))


def _degenerate_word(disk_fraction: float) -> str:
    return f"no verdict: DDB calls {disk_fraction:.0%} of the galaxies disks (it has learnt one class)"


def ddb_disk_fraction(run: Path, sample: str) -> float:
    """Mean over seeds of the share of ``sample`` galaxies that DDB calls disks (NaN if unknown)."""
    path = run / "predictions.parquet"
    if not path.exists():
        return np.nan
    pred = pd.read_parquet(path)
    cols = [c for c in pred.columns if c == "p_disk_ddb" or c.startswith("p_disk_ddb_s")]
    sel = pred[pred["split"] == sample] if "split" in pred.columns else pred
    if not cols or sel.empty:
        return np.nan
    return float(np.mean([(sel[c] > 0.5).mean() for c in cols]))


def compare(diff: float, sd: float, expect: str = "negative") -> str:
    """Verdict on a difference that the paper's claim expects to be ``expect`` (negative or
    positive): "agrees" when it has that sign by more than 2 sd, "within the noise" when
    ``|diff| <= 2 sd``, "does not agree" when it has the other sign by more than 2 sd
    (:func:`galbias.results.words.noise_word`)."""
    words = ("agrees", "within the noise", "does not agree")
    return noise_word(diff, sd, words=words if expect == "negative" else words[::-1])


def _pm(m: float, s: float, digits: int = 3) -> str:
    if not np.isfinite(m):
        return "–"
    return f"{m:.{digits}f} ± {s:.{digits}f}" if np.isfinite(s) else f"{m:.{digits}f}"


def _link(chapter: str, n: int) -> str:
    return f"[{n}](chapters/{chapter}.ipynb)"


def _missing(claim: str, paper: str, chapter: str, n: int) -> dict[str, str]:
    return {"claim": claim, "paper (real GZ2)": paper, "this run": f"chapter {n} not run",
            "verdict": "not measured", "chapter": _link(chapter, n)}


def _theta_row(run: Path) -> dict[str, str]:
    claim = "θ can be estimated from how the label fractions change with α"
    paper = f"θ = {PAPER_THETA['ddb']:g} (no truth to check it)"
    path = run / "theta.json"
    if not path.exists():
        return _missing(claim, paper, "03_theta_fit", 3)
    import json

    from .theta import recovery_word

    d = json.loads(path.read_text())
    fit, sd = float(d["theta"]), float(d.get("theta_std", np.nan))
    true, tsd = float(d.get("theta_volunteers", np.nan)), float(d.get("theta_volunteers_std", np.nan))
    if np.isfinite(true):
        word = recovery_word(fit, sd, true, tsd)
        ours = f"θ = {_pm(fit, sd, 2)}; the simulated volunteers' own θ: {_pm(true, tsd, 2)}"
    else:
        word, ours = "no truth to check", f"θ = {_pm(fit, sd, 2)}"
    return {"claim": claim, "paper (real GZ2)": paper, "this run": ours, "verdict": word,
            "chapter": _link("03_theta_fit", 3)}


def table1_rows(run: Path) -> list[dict[str, str]]:
    from .table1 import summarise

    claims = [("GZ2B labels depend on α (CV18 above the metric's floor)", "a"),
              ("DDB labels are less biased than GZ2B (CV18)", "f-a"),
              ("DDB labels are less biased than DCV14 (CV18)", "f-e"),
              ("DDB recovers the true classes better than CE on GZ2B", "acc")]
    pa = PAPER_TABLE1
    papers = {"a": f"CV18 = {pa['a'][1]:.3f} ± {pa['a'][2]:.3f}",
              "f-a": f"{pa['f'][1]:.3f} vs {pa['a'][1]:.3f}",
              "f-e": f"{pa['f'][1]:.3f} vs {pa['e'][1]:.3f} (difference within their ±)",
              "acc": "not measurable without truth"}
    path = run / "table1.csv"
    if not path.exists():
        return [_missing(c, papers[k], "05_table1", 5) for c, k in claims]
    summary = summarise(pd.read_csv(path))
    sample = "eval" if (summary["sample"] == "eval").any() else "test"
    T = summary[summary["sample"] == sample].set_index("row")
    where = "random evaluation sample" if sample == "eval" else "test split"

    def g(r: str, c: str) -> float:
        return float(T.loc[r, c]) if r in T.index and c in T.columns else np.nan

    def seed_sd(r: str, c: str) -> float:
        v = g(r, f"{c}_seed_sd")
        return v if np.isfinite(v) else 0.0

    ddb_frac = ddb_disk_fraction(run, sample)
    rows = []
    # (a) GZ2B above its within-cell floor
    a, a_sd, floor = g("a", "cv18"), g("a", "cv18_std"), g("a", "cv18_floor")
    rows.append({"claim": claims[0][0], "paper (real GZ2)": papers["a"],
                 "this run": f"CV18 = {_pm(a, a_sd)} ({where}); floor {floor:.3f}",
                 "verdict": compare(a - floor, a_sd, "positive")})
    # DDB - GZ2B, paired on the same resamples (d_a), seed spread added
    d, dsd = g("f", "d_a"), float(np.hypot(g("f", "d_a_std"), seed_sd("f", "d_a")))
    rows.append({"claim": claims[1][0], "paper (real GZ2)": papers["f-a"],
                 "this run": f"{g('f', 'cv18'):.3f} vs {a:.3f}: difference {_pm(d, dsd)}",
                 "verdict": compare(d, dsd, "negative")})
    # DDB - DCV14: both relative to GZ2B on the same resamples
    d2 = g("f", "d_a") - g("e", "d_a")
    d2sd = float(np.hypot(np.hypot(g("f", "d_a_std"), g("e", "d_a_std")), seed_sd("f", "d_a")))
    rows.append({"claim": claims[2][0], "paper (real GZ2)": papers["f-e"],
                 "this run": f"{g('f', 'cv18'):.3f} vs {g('e', 'cv18'):.3f}: difference {_pm(d2, d2sd)}",
                 "verdict": compare(d2, d2sd, "negative")})
    # accuracy against the truth, DDB - CE on GZ2B, seed spreads
    acc = g("f", "accuracy_truth") - g("c", "accuracy_truth")
    acc_sd = float(np.hypot(seed_sd("f", "accuracy_truth"), seed_sd("c", "accuracy_truth")))
    rows.append({"claim": claims[3][0], "paper (real GZ2)": papers["acc"],
                 "this run": (f"accuracy {g('f', 'accuracy_truth'):.3f} vs {g('c', 'accuracy_truth'):.3f}: "
                              f"difference {_pm(acc, acc_sd)} (seeds)"),
                 "verdict": compare(acc, acc_sd, "positive")})
    # a CV18 below the truth's is not "less biased": the labels then vary less with alpha than
    # the true classes do (DDB over-corrects); say so where the truth is known
    t, dt, dtsd = g("truth", "cv18"), g("f", "d_truth"), float(np.hypot(g("f", "d_truth_std"), seed_sd("f", "d_truth")))
    if np.isfinite(t) and np.isfinite(dt) and dt < -2 * dtsd:
        for r in rows[1:3]:
            r["this run"] += f"; the truth's CV18 is {t:.3f}"
            r["verdict"] += ", but DDB is below the truth: it over-corrects"
    if degenerate(ddb_frac):
        for r in rows[1:]:
            r["verdict"] = _degenerate_word(ddb_frac)
    for r in rows:
        r["chapter"] = _link("05_table1", 5)
    return rows


def _sersic_row(run: Path) -> dict[str, str]:
    claim = f"Galaxies DDB turns from smooth to disk have disk-like profiles (few with n > {PAPER_SERSIC_SPLIT:g})"
    paper = f"< 30% with n > {PAPER_SERSIC_SPLIT:g}"
    path = run / "sersic.csv"
    if not path.exists():
        return _missing(claim, paper, "06_sersic", 6)
    s = pd.read_csv(path).set_index("name")
    if "changed_ddb" not in s.index or not s.loc["changed_ddb", "n_measured"]:
        return _missing(claim, paper, "06_sersic", 6)
    p, n = float(s.loc["changed_ddb", "frac_n_gt_3"]), int(s.loc["changed_ddb", "n_measured"])
    sd = float(np.sqrt(max(p * (1 - p), 1e-12) / n))
    return {"claim": claim, "paper (real GZ2)": paper,
            "this run": f"{p:.0%} ± {sd:.0%} of {n:,} galaxies with n > {PAPER_SERSIC_SPLIT:g}",
            "verdict": compare(p - 0.30, sd, "negative"), "chapter": _link("06_sersic", 6)}


def _ablation_row(run: Path) -> dict[str, str]:
    claim = "Where the labels follow the paper's bias model, DDB beats CE on the same labels"
    paper = "assumed, not tested"
    path = run / "ablation.csv"
    if not path.exists():
        return _missing(claim, paper, "10_when_debiasing_works", 10)
    from .ablation import verdict_numbers

    table = pd.read_csv(path)
    v = verdict_numbers(table)
    s1 = table[(table["scenario"].str.startswith("S1")) & (table["method"] == "ddb") & (table["theta_factor"] == 1.0)
               & (table["selection"] == "val_loss")]
    frac = float(s1["disk_fraction"].mean()) if len(s1) else np.nan
    d, sd = float(v.get("S1_ddb_minus_ce", np.nan)), float(v.get("S1_ddb_minus_ce_sd", np.nan))
    d2, sd2 = float(v.get("S2_ddb_minus_ce", np.nan)), float(v.get("S2_ddb_minus_ce_sd", np.nan))
    return {"claim": claim, "paper (real GZ2)": paper,
            "this run": (f"accuracy gain {_pm(d, sd)} (paper's model); {_pm(d2, sd2)} with the simulated "
                         "volunteers"),
            "verdict": _degenerate_word(frac) if degenerate(frac) else compare(d, sd, "positive"),
            "chapter": _link("10_when_debiasing_works", 10)}


def scorecard(run: str | Path) -> pd.DataFrame:
    """One row per claim (:data:`COLUMNS`) from the artifacts of the run folder ``run``."""
    run = Path(run)
    rows = [_theta_row(run), *table1_rows(run), _sersic_row(run), _ablation_row(run)]
    return pd.DataFrame(rows, columns=COLUMNS)


def to_markdown(table: pd.DataFrame, profile: str) -> str:
    """The scorecard as a MyST markdown table with a one-line preface naming the run."""
    head = "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS) + "\n"
    body = "".join("| " + " | ".join(str(r[c]).replace("|", "/") for c in COLUMNS) + " |\n"
                   for _, r in table.iterrows())
    note = (f"Computed from the `{profile}` run shown in this book when it was built. Differences within two "
            "standard deviations (bootstrap and seed spreads combined) are called *within the noise*.\n\n")
    return note + head + body


def write(path: str | Path, run: str | Path, profile: str) -> Path:
    path = Path(path)
    path.write_text(to_markdown(scorecard(run), profile))
    return path


def numbers(table: pd.DataFrame) -> dict[str, Any]:
    """Verdict counts, for the text."""
    v = table["verdict"].str.split(":").str[0].value_counts()
    return {k: int(v.get(k, 0)) for k in ("agrees", "within the noise", "does not agree", "not measured",
                                          "no verdict")}
