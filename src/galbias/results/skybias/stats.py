"""Chapter 9's statistics: confusion counts, Dhar & Shamir's binomial test, summaries over
repeats, the within-network anisotropy and the swap contrast, region dependence of any classifier.

:data:`SIGNIFICANCE` (from :mod:`galbias.methods.metrics`, the one level of the book) is used by every test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ...methods.metrics import SIGNIFICANCE
from ...reference import DS_CONFUSION, DS_TABLE16
from .design import favoured

__all__ = ["SIGNIFICANCE", "add_binomial_tests", "anisotropy", "binom_pvalue", "class_region_pvalue", "confusion",
           "dependence_verdict",
           "paper_summary", "region_dependence", "summarize", "summary_table", "swap_contrast"]



def confusion(y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray) -> dict[str, int]:
    """Confusion counts with *spiral* (1) as the positive class: ``tn`` ellipticals called
    elliptical, ``fp`` ellipticals called spiral, ``fn`` spirals called elliptical, ``tp``
    spirals called spiral."""
    t = np.asarray(y_true).astype(int)
    p = np.asarray(y_pred).astype(int)
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred differ in shape: {t.shape} vs {p.shape}")
    bad = ~np.isin(t, (0, 1)) | ~np.isin(p, (0, 1))
    if bad.any():
        raise ValueError("classes must be 0 (elliptical) or 1 (spiral)")
    return {"tn": int(np.sum((t == 0) & (p == 0))), "fp": int(np.sum((t == 0) & (p == 1))),
            "fn": int(np.sum((t == 1) & (p == 0))), "tp": int(np.sum((t == 1) & (p == 1)))}


def binom_pvalue(k: int, n: int, p: float, alternative: str = "two-sided") -> float:
    """P-value of ``k`` successes in ``n`` trials under a binomial with success probability
    ``p`` (``scipy.stats.binomtest``): Dhar & Shamir's test of a count of galaxies predicted
    spiral (or of misclassified ellipticals) against the rate of a reference experiment.
    ``alternative="less"`` is their one-sided "probability of k or fewer".  NaN when ``p``
    is not a probability or ``n`` is 0."""
    if n <= 0 or not np.isfinite(p) or not 0 <= p <= 1:
        return float("nan")
    return float(stats.binomtest(int(k), int(n), float(p), alternative=alternative).pvalue)


def _rates(row: Mapping[str, Any]) -> dict[str, float]:
    n_e = row["tn"] + row["fp"]
    n_s = row["fn"] + row["tp"]
    n = n_e + n_s
    return {"p_spiral": (row["fp"] + row["tp"]) / n if n else np.nan,
            "fp_rate": row["fp"] / n_e if n_e else np.nan, "fn_rate": row["fn"] / n_s if n_s else np.nan}


def add_binomial_tests(df: pd.DataFrame) -> pd.DataFrame:
    """Add, for each experiment, its reference's rates (same repeat) and the binomial tests.

    ``p_value``: the number of test galaxies predicted spiral against a binomial with the
    reference's predicted-spiral fraction (Dhar & Shamir's test, two-sided);
    ``p_value_fp`` / ``p_value_fn``: the misclassified ellipticals / spirals against the
    reference's rates (their Table 7 and Table 15 variants); ``delta_p_spiral``: the
    experiment's predicted-spiral fraction minus the reference's.  NaN for experiments
    without a reference (the baselines themselves).
    """
    out = df.copy()
    key = out.set_index(["repeat", "experiment"])
    refs = []
    for _, r in out.iterrows():
        ref = r.get("reference")
        if isinstance(ref, str) and ref and (r["repeat"], ref) in key.index:
            q = key.loc[(r["repeat"], ref)]
            refs.append(_rates(q))
        else:
            refs.append({"p_spiral": np.nan, "fp_rate": np.nan, "fn_rate": np.nan})
    out["ref_p_spiral"] = [x["p_spiral"] for x in refs]
    out["ref_fp_rate"] = [x["fp_rate"] for x in refs]
    out["ref_fn_rate"] = [x["fn_rate"] for x in refs]
    n_e = out["tn"] + out["fp"]
    n_s = out["fn"] + out["tp"]
    out["delta_p_spiral"] = out["p_spiral"] - out["ref_p_spiral"]
    out["p_value"] = [binom_pvalue(k, n, p) for k, n, p in zip(out["fp"] + out["tp"], n_e + n_s, out["ref_p_spiral"])]
    out["p_value_fp"] = [binom_pvalue(k, n, p) for k, n, p in zip(out["fp"], n_e, out["ref_fp_rate"])]
    out["p_value_fn"] = [binom_pvalue(k, n, p) for k, n, p in zip(out["fn"], n_s, out["ref_fn_rate"])]
    return out


def summarize(df: pd.DataFrame) -> pd.DataFrame:
    """One row per experiment (design order): mean and standard deviation over the repeats
    of the predicted-spiral fraction, its shift from the reference and the accuracy; the
    mean misclassified ellipticals (fp) and spirals (fn) with their maxima; the binomial
    p-value of the first repeat and the share of repeats with p < :data:`SIGNIFICANCE` (over the repeats
    that have a reference)."""
    order = list(dict.fromkeys(df["experiment"]))
    g = df.groupby("experiment", sort=False)
    first = df.sort_values("repeat").groupby("experiment", sort=False).first()
    out = pd.DataFrame({
        "table": first["table"], "group": first["group"], "train_spiral": first["train_spiral"],
        "train_elliptical": first["train_elliptical"], "test_region": first["test_region"],
        "favoured": first["favoured"], "reference": first["reference"],
        "n_test": first["tn"] + first["fp"] + first["fn"] + first["tp"],
        "n_repeats": g.size(),
        "p_spiral": g["p_spiral"].mean(), "p_spiral_sd": g["p_spiral"].std(ddof=1),
        "delta": g["delta_p_spiral"].mean(), "delta_sd": g["delta_p_spiral"].std(ddof=1),
        "accuracy": g["accuracy"].mean(), "accuracy_sd": g["accuracy"].std(ddof=1),
        "fp_mean": g["fp"].mean(), "fp_max": g["fp"].max(), "fn_mean": g["fn"].mean(), "fn_max": g["fn"].max(),
        "p_value_first": first["p_value"],
        "frac_significant": g["p_value"].apply(
            lambda s: float((s.dropna() < SIGNIFICANCE).mean()) if s.notna().any() else np.nan),
    })
    return out.loc[order]


def anisotropy(df: pd.DataFrame) -> pd.DataFrame:
    """The apparent difference between two sky regions seen by *one* network.

    For every training applied to two single-region test sets a < b, per repeat:
    ``delta = p_spiral(test a) - p_spiral(test b)`` -- both test sets hold equal numbers of
    true spirals and ellipticals, so a classifier that looks only at the galaxies and sees
    them equally well in both regions gives 0 -- and the chi-squared test (2 x 2, no
    continuity correction) of predicted class against test region.  This is what a
    catalog made by that network would show as an anisotropy.
    """
    rows = []
    single = df[~df["test_region"].astype(str).str.contains(r"\+")]
    for (rep, tr), sub in single.groupby(["repeat", "training"], sort=False):
        sub = sub.drop_duplicates("test_region").set_index("test_region")
        regs = sorted(sub.index, key=int)
        for i in range(len(regs)):
            for j in range(i + 1, len(regs)):
                a, b = regs[i], regs[j]
                ra, rb = sub.loc[a], sub.loc[b]
                ka, na = ra["fp"] + ra["tp"], ra["tn"] + ra["fp"] + ra["fn"] + ra["tp"]
                kb, nb = rb["fp"] + rb["tp"], rb["tn"] + rb["fp"] + rb["fn"] + rb["tp"]
                tab = np.array([[ka, na - ka], [kb, nb - kb]])
                # a network that calls every galaxy of both regions the same class shows no dependence: p = 1
                p = float(stats.chi2_contingency(tab, correction=False)[1]) if tab.sum(axis=0).min() > 0 else 1.0
                rows.append({"repeat": rep, "training": tr, "group": ra["group"], "train_mode": ra["train_mode"],
                             "train_spiral": ra["train_spiral"], "train_elliptical": ra["train_elliptical"],
                             "region_a": a, "region_b": b, "p_spiral_a": ka / na, "p_spiral_b": kb / nb,
                             "delta": ka / na - kb / nb, "p_value": p})
    return pd.DataFrame(rows)


def swap_contrast(anis: pd.DataFrame) -> pd.DataFrame:
    """Separate the sky-location bias from real differences between two regions.

    For each region pair a < b and repeat with both swapped trainings (spirals from a and
    ellipticals from b, and the reverse), with ``delta`` from :func:`anisotropy`:

    - ``contrast`` = (delta[S a, E b] - delta[S b, E a]) / 2: how much the apparent excess of
      spirals in a grows when the training spirals, rather than the ellipticals, come from
      a.  Zero if the network ignores where the training images were taken; positive if it
      favours the class whose training images share the test galaxies' region.
    - ``region_effect`` = (delta[S a, E b] + delta[S b, E a]) / 2: what remains when the two
      confounded trainings are averaged -- differences in how well the galaxies can be
      classified in the two regions' images.
    - ``delta_balanced`` / ``delta_combined``: delta of the region-balanced network (both
      classes from both regions) and of the combined 1+2+3 network, where there is one.
    """
    rows = []
    single = anis[anis["train_spiral"].str.fullmatch(r"\d") & anis["train_elliptical"].str.fullmatch(r"\d")]
    for (rep, a, b), sub in anis.groupby(["repeat", "region_a", "region_b"], sort=False):
        s1 = single[(single["repeat"] == rep) & (single["region_a"] == a) & (single["region_b"] == b)]
        ab = s1[(s1["train_spiral"] == a) & (s1["train_elliptical"] == b)]
        ba = s1[(s1["train_spiral"] == b) & (s1["train_elliptical"] == a)]
        if ab.empty or ba.empty:
            continue
        d_ab, d_ba = float(ab["delta"].iloc[0]), float(ba["delta"].iloc[0])
        bal = sub[(sub["train_mode"] == "mix")]
        comb = sub[(sub["group"] == "combined")]
        rows.append({"repeat": rep, "region_a": a, "region_b": b, "delta_SaEb": d_ab, "delta_SbEa": d_ba,
                     "contrast": (d_ab - d_ba) / 2, "region_effect": (d_ab + d_ba) / 2,
                     "delta_balanced": float(bal["delta"].iloc[0]) if len(bal) else np.nan,
                     "delta_combined": float(comb["delta"].iloc[0]) if len(comb) else np.nan})
    return pd.DataFrame(rows)


def region_dependence(y_true: np.ndarray, y_pred: np.ndarray, region: np.ndarray
                      ) -> tuple[pd.DataFrame, dict[str, float]]:
    """Does a classifier call a different share of galaxies disk/spiral in different regions?

    Per region: ``n``, the true and the predicted disk fraction, the recall of disks, the
    rate of smooth galaxies called disk, and the binomial p-value of the region's
    predicted-disk count against the pooled predicted-disk fraction of all regions.  The
    tests (dict): chi-squared of predicted class against region for all galaxies
    (``chi2_all``), and separately for the true disks (``chi2_disk``) and the true smooth
    galaxies (``chi2_smooth``): the last two compare like with like, since the regions'
    true class mix may differ slightly.
    """
    t = np.asarray(y_true).astype(int)
    p = np.asarray(y_pred).astype(int)
    reg = np.asarray(region)
    pooled = p.mean() if len(p) else np.nan
    rows = []
    for r in sorted(np.unique(reg)):
        m = reg == r
        k = int(p[m].sum())
        rows.append({"region": r, "n": int(m.sum()), "true_disk": float(t[m].mean()), "pred_disk": float(p[m].mean()),
                     "recall_disk": float(p[m & (t == 1)].mean()) if (m & (t == 1)).any() else np.nan,
                     "smooth_called_disk": float(p[m & (t == 0)].mean()) if (m & (t == 0)).any() else np.nan,
                     "p_value": binom_pvalue(k, int(m.sum()), pooled)})
    tests = {}
    for name, sel in (("chi2_all", np.ones(len(t), bool)), ("chi2_disk", t == 1), ("chi2_smooth", t == 0)):
        tests[name] = class_region_pvalue(p[sel], reg[sel])
    return pd.DataFrame(rows).set_index("region"), tests


def class_region_pvalue(pred: np.ndarray, region: np.ndarray) -> float:
    """Chi-squared p-value (no continuity correction) of predicted class (0/1) against region.

    When every galaxy gets the same predicted class the share called disk is identical (0 or 1)
    in every region: the statistic is 0 and the p-value 1 -- the classifier cannot depend on the
    region (``scipy`` would return NaN for the empty column).  NaN only when the test is
    undefined: no galaxy, or galaxies from a single region.
    """
    pred = np.asarray(pred).astype(int)
    region = np.asarray(region)
    if len(pred) == 0 or len(np.unique(region)) < 2:
        return float("nan")
    tab = pd.crosstab(region, pred).reindex(columns=[0, 1], fill_value=0).to_numpy()
    if (tab.sum(axis=0) == 0).any():
        return 1.0
    return float(stats.chi2_contingency(tab, correction=False)[1])


def dependence_verdict(p_labels: float, p_ce: float, p_ddb: float, level: float = SIGNIFICANCE,
                       p_labels_smooth: float = float("nan"), p_ce_smooth: float = float("nan"),
                       p_ddb_smooth: float = float("nan"), constant: tuple[str, ...] = ()) -> str:
    """One sentence on the region dependence of the volunteer labels, the cross-entropy network
    and DDB at significance ``level``: chi-squared p-values of :func:`region_dependence` among
    the true disks (``p_labels``, ``p_ce``, ``p_ddb``) and, where given, among the true smooth
    galaxies (``*_smooth``).  A classifier depends on the region when either class does.
    ``constant`` names (``"ce"``, ``"ddb"``) the networks that give every galaxy the same class,
    which the sentence says (they cannot depend on the region).  NaN p-values among the true disks
    are reported as "not measured"."""
    def part(name: str, p_disk: float, p_smooth: float, plural: bool = False) -> tuple[str, bool | None]:
        if not np.isfinite(p_disk):
            return f"{name} could not be measured", None
        where = [c for c, pv in (("true disks", p_disk), ("true smooth galaxies", p_smooth))
                 if np.isfinite(pv) and pv < level]
        if where:
            return f"{name} depend{'' if plural else 's'} on the region among the {' and the '.join(where)}", True
        return f"{name} show{'' if plural else 's'} no significant region dependence", False

    lab, lab_sig = part("the volunteer labels", p_labels, p_labels_smooth, plural=True)
    if lab_sig and np.isfinite(p_labels) and p_labels < level:
        lab = ("the volunteer labels recognise a different share of the true disks in different regions, so the "
               "resolution bias becomes an apparent anisotropy where the seeing differs")
    elif lab_sig is False:
        lab += " at this sample size"
    ce, ce_sig = part("the cross-entropy network", p_ce, p_ce_smooth)
    ddb, ddb_sig = part("DDB", p_ddb, p_ddb_smooth)
    if ce_sig is None and ddb_sig is None:
        net = "chapter 4's networks were not measured"
    elif ce_sig is False and ddb_sig is False:
        net = "neither network of chapter 4 depends significantly on the region"
    elif ce_sig and ddb_sig is False:
        inherits = ", so it inherits the labels' region dependence" if lab_sig else ""
        net = f"{ce}{inherits}, and DDB does not"
    else:
        net = f"{ce}; {ddb}"
    notes = {"ce": "the cross-entropy network", "ddb": "DDB"}
    same = [notes[c] for c in constant if c in notes]
    if same:
        net += (f"; {' and '.join(same)} {'gives' if len(same) == 1 else 'give'} every galaxy the same class, so "
                f"{'it' if len(same) == 1 else 'they'} cannot depend on the region")
    return f"{lab}; {net} (χ² of predicted class against region within each true class, p < {level:g})"


def paper_summary() -> pd.DataFrame:
    """Dhar & Shamir's experiments with p(spiral) from their confusion matrices, the class
    favoured by the training set, and the shift of p(spiral) from their same-region
    experiment on the same test set where they had one (Tables 3 and 4 for tests on data
    sets 1 and 2)."""
    t = DS_CONFUSION.copy()
    n = t[["tn", "fp", "fn", "tp"]].sum(axis=1)
    t["p_spiral"] = (t["fp"] + t["tp"]) / n
    t["favoured"] = [favoured(s.split("+"), e.split("+"), te.split("+"))
                     for s, e, te in zip(t["train_spiral"], t["train_elliptical"], t["test"])]
    base = {"1": t.loc[3, "p_spiral"], "2": t.loc[4, "p_spiral"]}
    t["delta"] = [p - base[te] if te in base and tab not in (3, 4) else np.nan
                  for tab, te, p in zip(t.index, t["test"], t["p_spiral"])]
    t["p_spiral_table16"] = DS_TABLE16["p_spiral"]
    return t


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Table 16 side by side: for each experiment reproducing one of Dhar & Shamir's tables,
    their data sets and p(spiral) beside the mock regions and p(spiral) here (mean ± sd over
    the repeats) and both shifts from the same-region reference."""
    paper = paper_summary()
    rows = []
    for name, r in summary[summary["table"].notna()].iterrows():
        tab = int(r["table"])
        pp = paper.loc[tab]
        rows.append({
            "table": tab, "D&S train spiral": pp["train_spiral"], "D&S train elliptical": pp["train_elliptical"],
            "D&S test": pp["test"], "D&S p(spiral)": pp["p_spiral"], "D&S shift": pp["delta"],
            "train spiral": r["train_spiral"], "train elliptical": r["train_elliptical"], "test": r["test_region"],
            "favoured": r["favoured"], "p(spiral)": r["p_spiral"], "p(spiral) sd": r["p_spiral_sd"],
            "shift": r["delta"], "shift sd": r["delta_sd"], "binomial p (repeat 0)": r["p_value_first"],
        })
    return pd.DataFrame(rows).set_index("table")
