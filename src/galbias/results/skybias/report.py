"""Chapter 9 section by section: the tables and the numbers its text quotes.

Each function serves one section of the chapter and returns its table(s) (DataFrames) and a
dict of numbers (and short sentences) for the notebook to glue, under the names the text uses.

- :func:`chapter_sample` - the galaxies of the chapter, with the label source.
- :func:`region_overview` - Table 9.1: observing conditions and corner background per region.
- :func:`population_checks` - Tables 9.2 and 9.3: are the regions' galaxies the same?
- :func:`experiment_setup` - design, set sizes, network settings and Table 9.4.
- :func:`run_or_reuse` - train the design or reuse a fresh ``skybias.csv``.
- :func:`confusion_panels` - which experiments the confusion-matrix figure shows; accuracies.
- :func:`binomial_summary` - what Dhar & Shamir's binomial test says, with its verdict.
- :func:`table16` - Table 9.5 (their Table 16 beside this run).
- :func:`repeat_spread` - Table 9.6, the spread over repeated splits.

The swap contrast and balancing (Table 9.7) and the region dependence of chapter 4's networks
(Tables 9.8, 9.9) are in :mod:`.beyond`.  Every test uses :data:`SIGNIFICANCE`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...core import artifacts
from ...data.catalog import has_truth
from ...reference import DS_CONFUSION, DS_REPEATS, DS_SETUP, DS_TABLE1
from .design import (
    PAPER_REGION,
    Experiment,
    Training,
    core_trainings,
    design,
    experiment_label,
    galaxy_sample,
    repeat_seeds,
    scaled_counts,
)
from .network import CNNSettings, DSNet, auto_epochs
from .population import background_stats, population_table, population_tests
from .run import read_results, run_experiments, write_results
from .stats import (
    SIGNIFICANCE,
    add_binomial_tests,
    binom_pvalue,
    paper_summary,
    summary_table,
)

__all__ = ["ACCURATE", "FALSE_ALARM_LIMIT", "GUESS_ACCURACY", "LABEL_SOURCES", "REPEAT_TABLES", "STRICT_LEVEL",
           "ExperimentSetup", "accuracy_word", "binomial_summary", "chapter_sample", "confusion_panels", "control_verdict",
           "direction_word", "experiment_setup", "level_text", "paper_accuracy", "population_checks", "region_overview",
           "repeat_spread", "run_or_reuse", "scale_word", "table16"]

#: Share of the *control* comparisons (networks whose training set favours no class) that
#: Dhar & Shamir's binomial test may call significant before the chapter says it flags "far
#: more than" the nominal :data:`SIGNIFICANCE` rate: three times that rate (0.15).  A sound
#: test flags about :data:`SIGNIFICANCE` of them; a rate above this limit means the test
#: cannot tell a sky-location effect from the noise of training a network.
FALSE_ALARM_LIMIT = 3 * SIGNIFICANCE

#: Dhar & Shamir's own threshold (their "P < 10^-5"), quoted beside :data:`SIGNIFICANCE`
STRICT_LEVEL = DS_SETUP["p_threshold"]

#: the text for each way of choosing the labels of :func:`galaxy_sample`; without the truth the
#: votes are cut at Dhar & Shamir's annotation certainty (:data:`galbias.reference.DS_SETUP`)
LABEL_SOURCES = {"truth": "the true classes of the simulated survey",
                 "votes": f"galaxies with a weighted vote fraction of at least {DS_SETUP['certainty']:g} for one "
                          "answer (real data: no truth)"}


def _mean(v: pd.Series | np.ndarray) -> float:
    v = np.asarray(v, dtype=float)
    return float(v.mean()) if len(v) else float("nan")


def _sd(v: pd.Series | np.ndarray) -> float:
    v = np.asarray(v, dtype=float)
    return float(v.std(ddof=1)) if len(v) > 1 else float("nan")


# --- the sample and the regions -----------------------------------------------------------------

def chapter_sample(catalog: pd.DataFrame) -> tuple[pd.DataFrame, str, dict[str, Any]]:
    """The chapter's galaxies: ``(sample, label, numbers)``.

    ``label`` is "truth" when the catalog has the true class (the simulated survey) and "votes"
    otherwise; ``sample`` is :func:`galaxy_sample` with that label (votes cut at Dhar & Shamir's
    certainty, ``DS_SETUP["certainty"]``).  ``numbers``:
    ``label_source`` (a phrase for the text), ``n_sample``, and ``region_A`` / ``region_B``
    (the regions that play Dhar & Shamir's SDSS data sets A and B).

    The simulated survey's evaluation sample (``eval_sample``) is left out: it is held back for
    scoring chapters 4, 5 and 10, and leaving it out keeps this chapter's cost independent of
    its size.
    """
    label = "truth" if has_truth(catalog) else "votes"
    if "eval_sample" in catalog.columns:
        catalog = catalog[~catalog["eval_sample"].fillna(False).to_numpy(bool)]
    sample = galaxy_sample(catalog, label=label, min_fraction=DS_SETUP["certainty"])
    return sample, label, {"label_source": LABEL_SOURCES[label], "n_sample": len(sample),
                           "region_A": PAPER_REGION["A"], "region_B": PAPER_REGION["B"]}


def region_overview(sample: pd.DataFrame, images: np.ndarray, conditions: pd.DataFrame
                    ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Table 9.1 and its numbers.

    ``conditions`` is the region table of the survey (:func:`galbias.mock.regions.region_table`,
    indexed by region, with ``sky_r``, ``noise_factor``, ``seeing_median``, ``star_density``,
    ``ebv``); ``images`` are aligned with ``sample``.  The table has, per region, the Dhar &
    Shamir data set it stands for, the conditions, the galaxies of each class and the corner
    background of the images (:func:`background_stats`).  Numbers: ``noise_ratio`` (noisiest
    over quietest corner noise), ``noisiest``, ``quietest``, ``n_gal``.
    """
    bg = background_stats(images, sample["region"].to_numpy())
    counts = sample.groupby(["region", "y"]).size().unstack(fill_value=0).reindex(
        index=conditions.index, columns=[0, 1], fill_value=0)
    names: dict[int, list[str]] = {}
    for name, r in PAPER_REGION.items():
        names.setdefault(r, []).append(name)
    paper_name = {r: v[0] if len(v) == 1 else f"{v[0]} (and {', '.join(v[1:])})" for r, v in names.items()}
    tab = pd.DataFrame({
        "Dhar & Shamir data set": [paper_name.get(r, "") for r in conditions.index],
        "sky r (mag/″²)": conditions["sky_r"], "noise factor": conditions["noise_factor"],
        "seeing FWHM (″)": conditions["seeing_median"],
        "stars / deg²": conditions["star_density"].round().astype(int), "E(B−V)": conditions["ebv"],
        "ellipticals": counts[0].astype(int), "spirals": counts[1].astype(int),
    }, index=conditions.index).join(bg)
    tab.index.name = "region"
    noise = bg["corner noise"]
    return tab, {"noise_ratio": float(noise.max() / noise.min()), "noisiest": int(noise.idxmax()),
                 "quietest": int(noise.idxmin()), "n_gal": len(sample)}


def population_checks(catalog: pd.DataFrame, sample: pd.DataFrame
                      ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Tables 9.2 (:func:`population_table`) and 9.3 (:func:`population_tests`) and their
    numbers: ``ks_min`` (smallest Kolmogorov-Smirnov p-value), ``n_ks`` (how many there are)
    and ``chi2_class`` (the chi-squared p-value of class against region)."""
    pop = population_table(catalog, sample)
    pop["galaxies"] = pop["galaxies"].astype(int)
    tests = population_tests(catalog, sample)
    ks = tests.drop(index="class mix (χ²)").to_numpy(dtype=float)
    ok = np.isfinite(ks)
    return pop, tests, {"ks_min": float(ks[ok].min()) if ok.any() else float("nan"), "n_ks": int(ok.sum()),
                        "chi2_class": float(tests.loc["class mix (χ²)", "all regions"])}


# --- the experiment ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExperimentSetup:
    """Everything that defines one run of the chapter's experiments (see :func:`experiment_setup`)."""

    regions: list[int]
    label: str
    trainings: list[Training]
    experiments: list[Experiment]
    n_train: int
    n_test: int
    settings: CNNSettings
    core: list[str]
    n_repeats: int
    a: int = PAPER_REGION["A"]
    b: int = PAPER_REGION["B"]

    def params(self, seed: int, image_crop: int | None) -> dict[str, Any]:
        """The parameters recorded in ``skybias.csv``'s manifest (a change means a re-run),
        including the seeds each repeat derives from ``seed`` (:func:`repeat_seeds`)."""
        return {"seed": int(seed), "n_repeats": int(self.n_repeats), "core": list(self.core),
                "cnn": self.settings.to_dict(), "n_train": int(self.n_train), "n_test": int(self.n_test),
                "regions_AB": [self.a, self.b], "label": self.label, "image_crop": image_crop,
                "trainings": [t.key for t in self.trainings],
                "repeat_seeds": [repeat_seeds(seed, r) for r in range(int(self.n_repeats))]}


def experiment_setup(sample: pd.DataFrame, image_px: int, label: str = "truth", n_repeats: int = 3,
                     repeat_all: bool = False, epochs: int | None = None, cnn_px: int | None = 32,
                     max_per_class: int | None = None) -> tuple[ExperimentSetup, pd.DataFrame, dict[str, Any]]:
    """The design, set sizes and network settings of a run; Table 9.4; the numbers of the text.

    ``image_px`` is the side of the stored images; ``cnn_px`` the network's input side (None:
    as stored); ``epochs`` None picks :func:`auto_epochs` for a training set of two classes;
    ``repeat_all`` repeats every training instead of the core ones.  Table 9.4 stacks this
    run's per-region counts over Dhar & Shamir's Table 1 (:data:`galbias.reference.DS_TABLE1`).
    Numbers: set sizes, epochs, input and image sides, parameter count, batch, learning rate,
    network widths, trainings, experiments, repeats, and Dhar & Shamir's setup (``paper_*``).
    """
    regions = sorted(int(r) for r in sample["region"].unique())
    a, b = PAPER_REGION["A"], PAPER_REGION["B"]
    trainings, experiments = design(a=a, b=b)
    n_train, n_test = scaled_counts(sample, regions, max_per_class=max_per_class)
    settings = CNNSettings(px=cnn_px, epochs=int(epochs) if epochs is not None else auto_epochs(2 * n_train))
    core = [t.key for t in trainings] if repeat_all else core_trainings(trainings, a=a)
    setup = ExperimentSetup(regions, label, trainings, experiments, n_train, n_test, settings, core,
                            int(n_repeats), a, b)
    in_px = int(image_px) if cnn_px is None else min(int(cnn_px), int(image_px))
    n_params = sum(q.numel() for q in DSNet(in_px, settings.width, settings.dense).parameters())
    cols = ["train elliptical", "train spiral", "test elliptical", "test spiral"]
    mine = pd.DataFrame({c: n_train if c.startswith("train") else n_test for c in cols},
                        index=pd.Index([str(r) for r in regions], name="region"))
    table = pd.concat({"this survey (per region)": mine, "Dhar & Shamir (Table 1)": DS_TABLE1[cols]}).astype(int)
    return setup, table, {
        "n_train": n_train, "n_test": n_test, "n_epochs": settings.epochs, "in_px": in_px, "image_px": int(image_px),
        "n_params": int(n_params), "batch": settings.batch_size, "lr": settings.lr, "n_trainings": len(trainings),
        "n_experiments": len(experiments), "n_repeats": int(n_repeats), "n_core": len(core),
        "width": settings.width, "width_last": 8 * settings.width, "dense": settings.dense,
        "paper_n_train": int(DS_TABLE1.loc["1", "train spiral"]), "paper_n_test": int(DS_TABLE1.loc["1", "test spiral"]),
        "paper_epochs": DS_SETUP["epochs"], "paper_px": DS_SETUP["image_px"],
        "paper_saturation": DS_SETUP["saturation_per_class"], "paper_certainty": DS_SETUP["certainty"],
        "paper_agreement": DS_SETUP["agreement"], "paper_n_rep": DS_SETUP["n_repeats"],
    }


def run_or_reuse(path: str | Path, setup: ExperimentSetup, images: np.ndarray, sample: pd.DataFrame, seed: int,
                 image_crop: int | None = None, inputs: Mapping[str, str | Path] | None = None,
                 threads: int | None = None, log: Any = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The results of ``setup`` (one row per repeat and experiment, as ``skybias.csv``).

    ``log``: called with one line per training (e.g. :func:`galbias.core.progress.say`).

    ``threads``: torch threads for the trainings (None: the process's count, all usable cores
    when nothing else runs).  The count is part of the manifest, because CPU results depend on it.

    Reuses ``path`` when its manifest matches ``setup.params(seed, image_crop)`` and the hashes
    of ``inputs`` (:func:`galbias.core.artifacts.is_fresh`); otherwise trains every network
    (:func:`run_experiments`), adds the binomial tests and writes the file
    (:func:`write_results`).  Either way the table is read back from the file, so a fresh run
    and a reused one look the same.  Numbers: ``run_minutes`` and ``reused`` (a phrase).
    """
    import torch

    params = {**setup.params(seed, image_crop), "threads": int(threads or torch.get_num_threads())}
    t0 = time.perf_counter()
    reused = artifacts.is_fresh(path, params, inputs, code="skybias")
    if not reused:
        raw = run_experiments(images, sample, setup.trainings, setup.experiments, setup.n_train, setup.n_test,
                              setup.settings, n_repeats=setup.n_repeats, seed=seed, threads=threads,
                              repeat_trainings=setup.core, log=log)
        write_results(path, add_binomial_tests(raw), params, inputs)
    results = read_results(path)
    return results, {"run_minutes": (time.perf_counter() - t0) / 60,
                     "reused": "reused from an earlier run" if reused else "trained in this run"}


# --- what the experiments show --------------------------------------------------------------------------

def _title(r: Mapping[str, Any]) -> str:
    tab = r.get("table")
    prefix = f"T{int(tab)}: " if tab is not None and not pd.isna(tab) else ""
    return prefix + experiment_label(r["train_spiral"], r["train_elliptical"], r["test_region"])


def paper_accuracy(table: int) -> float:
    """The accuracy of Dhar & Shamir's experiment of Table ``table`` (from its confusion matrix)."""
    c = DS_CONFUSION.loc[table]
    return float((c["tn"] + c["tp"]) / (c["tn"] + c["fp"] + c["fn"] + c["tp"]))


def confusion_panels(results: pd.DataFrame, regions: Sequence[int]
                     ) -> tuple[pd.DataFrame, dict[str, str], dict[str, Any]]:
    """The experiments of the confusion-matrix figure, their panel titles, and the accuracies.

    Panels: the first repeat's experiments that reproduce one of Dhar & Shamir's tables, then
    the same-region networks they did not have.  Titles read "T6: S1 E2 → 1".  Numbers:
    ``acc_base_<r>`` (the same-region network of each region), ``acc_min``, ``acc_max`` (over
    all experiments of the first repeat), the error rates ``err_lo`` / ``err_hi``,
    ``acc_word`` (:func:`accuracy_word`), ``n_constant`` (experiments of the first repeat whose
    network gives every test galaxy the same class) of ``n_first``, and ``paper_acc_t3`` /
    ``paper_acc_t4`` (their Tables 3 and 4, from :data:`galbias.reference.DS_CONFUSION`).
    """
    r0 = results[results["repeat"] == 0]
    extra = r0[(r0["group"] == "baseline") & r0["table"].isna()]
    show = pd.concat([r0[r0["table"].notna()], extra], ignore_index=True)
    titles = {r["experiment"]: _title(r) for _, r in show.iterrows()}
    numbers: dict[str, Any] = {}
    for r in regions:
        base = r0[(r0["train_spiral"] == str(r)) & (r0["train_elliptical"] == str(r)) & (r0["test_region"] == str(r))]
        numbers[f"acc_base_{r}"] = float(base["accuracy"].iloc[0]) if len(base) else float("nan")
    acc_min, acc_max = float(r0["accuracy"].min()), float(r0["accuracy"].max())
    n_const = int(((r0["p_spiral"] <= 0) | (r0["p_spiral"] >= 1)).sum())
    numbers.update(acc_min=acc_min, acc_max=acc_max, err_lo=1 - acc_max, err_hi=1 - acc_min,
                   paper_acc_t3=paper_accuracy(3), paper_acc_t4=paper_accuracy(4), n_constant=n_const,
                   n_first=len(r0), acc_word=accuracy_word(acc_min, acc_max))
    return show, titles, numbers


#: accuracy above which chapter 9 calls its networks "accurate" (Dhar & Shamir's were about
#: 0.95); below :data:`GUESS_ACCURACY` a network is "barely better than guessing"
ACCURATE = 0.85
GUESS_ACCURACY = 0.6


def accuracy_word(acc_min: float, acc_max: float) -> str:
    """How good the first repeat's networks are, for the text: "accurate" when even the worst
    reaches :data:`ACCURATE`, "barely better than guessing" when even the best stays below
    :data:`GUESS_ACCURACY`, "of mixed accuracy" otherwise."""
    if not (np.isfinite(acc_min) and np.isfinite(acc_max)):
        return "not measured"
    if acc_min >= ACCURATE:
        return "accurate"
    if acc_max < GUESS_ACCURACY:
        return "barely better than guessing"
    return "of mixed accuracy"


def level_text(level: float) -> str:
    """A significance level for the text: ``0.05`` as "0.05", ``1e-5`` as "10⁻⁵"."""
    exp = np.log10(level)
    if level < 1e-3 and abs(exp - round(exp)) < 1e-9:
        sup = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
        return "10" + str(round(exp)).translate(sup)
    return f"{level:g}"


def direction_word(n_match: int, n_dir: int, p: float, level: float = SIGNIFICANCE) -> str:
    """Do the shifts go the way the favoured class predicts more often than chance (sign test
    ``p``)?  "significantly more often than chance", "significantly less often than chance" or
    "about as often as chance would"; "not measured" without experiments."""
    if n_dir == 0 or not np.isfinite(p):
        return "not measured"
    if p < level:
        return "significantly more often than chance" if n_match > n_dir / 2 else "significantly less often than chance"
    return "about as often as chance would"


def control_verdict(frac_significant: float, n_control: int) -> str:
    """The sentence on the binomial test's false alarms: ``frac_significant`` of ``n_control``
    control comparisons were called significant at :data:`SIGNIFICANCE`; above
    :data:`FALSE_ALARM_LIMIT` that is "far more" than a sound test would flag."""
    nominal = f"{100 * SIGNIFICANCE:g} %"
    if n_control == 0 or not np.isfinite(frac_significant):
        return "There are no control comparisons in this run."
    if frac_significant > FALSE_ALARM_LIMIT:
        return (f"That is far more than {nominal}: the test cannot tell a sky-location effect from the noise of "
                "training.")
    return f"In this run that rate is not far above {nominal}."


def binomial_summary(results: pd.DataFrame, summary: pd.DataFrame) -> dict[str, Any]:
    """The numbers of the binomial-test section.

    Experiments with a reference and a favoured class: how many (``n_dir``), how many shift
    the way the favoured class predicts (``n_match``, sign test ``match_p``), the share the
    binomial test calls significant at :data:`SIGNIFICANCE` (``frac_sig_conf``) and at
    :data:`STRICT_LEVEL` (``frac_p5_conf``), and their mean absolute shift (``shift_abs``).
    ``match_word`` (:func:`direction_word`), ``strict_text`` (:data:`STRICT_LEVEL` as text).
    The same shares for the controls (reference but no favoured class: ``frac_sig_ctrl``,
    ``frac_p5_ctrl``, ``n_ctrl``) with :func:`control_verdict` (``ctrl_verdict``); the range of
    the same-region networks' repeat-to-repeat sd of p(spiral) (``base_sd_min``/``_max``); the
    level (``significance``); and Dhar & Shamir's counts quoted in the text (``paper_*``).
    """
    has_ref = results["reference"].fillna("") != ""
    dirn = results[has_ref & results["favoured"].isin(["spiral", "elliptical"])]
    match = np.sign(dirn["delta_p_spiral"]) == np.where(dirn["favoured"] == "spiral", 1, -1)
    ctrl = results[has_ref & (results["favoured"] == "neither")]
    frac_ctrl = _mean(ctrl["p_value"] < SIGNIFICANCE)
    base_sd = summary.loc[summary["group"] == "baseline", "p_spiral_sd"]
    ps = paper_summary()
    n_spiral = ps["fp"] + ps["tp"]
    return {
        "significance": SIGNIFICANCE, "strict_level": STRICT_LEVEL, "strict_text": level_text(STRICT_LEVEL),
        "n_dir": len(dirn), "n_match": int(match.sum()),
        "match_p": binom_pvalue(int(match.sum()), len(dirn), 0.5),
        "match_word": direction_word(int(match.sum()), len(dirn), binom_pvalue(int(match.sum()), len(dirn), 0.5)),
        "frac_sig_conf": _mean(dirn["p_value"] < SIGNIFICANCE), "n_conf": len(dirn),
        "frac_sig_ctrl": frac_ctrl, "n_ctrl": len(ctrl),
        "frac_p5_conf": _mean(dirn["p_value"] < STRICT_LEVEL), "frac_p5_ctrl": _mean(ctrl["p_value"] < STRICT_LEVEL),
        "base_sd_min": float(base_sd.min()), "base_sd_max": float(base_sd.max()),
        "shift_abs": _mean(dirn["delta_p_spiral"].abs()), "ctrl_verdict": control_verdict(frac_ctrl, len(ctrl)),
        "paper_t3_spiral": int(n_spiral[3]), "paper_t6_p": float(ps.loc[6, "p_spiral"]),
        "paper_t4_fp": int(ps.loc[4, "fp"]), "paper_t7_fp": int(ps.loc[7, "fp"]),
        "paper_t8_spiral": int(n_spiral[8]), "paper_t9_spiral": int(n_spiral[9]),
        "paper_t89_diff": float(ps.loc[9, "p_spiral"] - ps.loc[8, "p_spiral"]),
        "paper_n_test6": int(ps.loc[6, ["tn", "fp", "fn", "tp"]].sum()),
    }


def table16(summary: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Table 9.5: :func:`summary_table` with the first repeat's binomial p-value written out
    (two significant digits; "–" where there is none); numbers: ``n_t16`` (rows)."""
    t16 = summary_table(summary)
    t16["binomial p (repeat 0)"] = [f"{v:.2g}" if np.isfinite(v) else "–" for v in t16["binomial p (repeat 0)"]]
    return t16, {"n_t16": len(t16)}


#: the experiments of Table 9.6, by the Dhar & Shamir table they reproduce: the Table 6/7
#: training (spirals from 1, ellipticals from 2) on both test sets, then the same-region
#: networks of regions 1 and 2 (Tables 3 and 4)
REPEAT_TABLES = (6, 7, 3, 4)


def repeat_spread(results: pd.DataFrame, summary: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Table 9.6 and the numbers of the repeat section.

    Per experiment of :data:`REPEAT_TABLES`: repeats, test galaxies, mean, sd and maximum of
    the misclassified ellipticals ("ellipticals missed"), mean and sd of the misclassified
    spirals ("spirals missed"), and the sd of p(spiral).  Numbers: Dhar & Shamir's 100-fold repeat of Table 6
    (:data:`galbias.reference.DS_REPEATS`): means, their "±" (``paper_*_pm``), the run-to-run
    sd implied if "±" is a standard error (``paper_fp6_sd``, ``paper_fn6_sd``) and as a
    percentage of their test set (``paper_sd_frac``, ``paper_sd_frac2``); the largest sd
    of p(spiral) here (``rep_sd_max``) and :func:`scale_word` of it against the mean absolute
    shift of the experiments with a favoured class (``rep_vs_shift``).
    """
    rows = {}
    for tab in REPEAT_TABLES:
        hit = summary.index[summary["table"] == tab]
        if not len(hit):
            continue
        name = hit[0]
        s, runs = summary.loc[name], results[results["experiment"] == name]
        rows[experiment_label(s["train_spiral"], s["train_elliptical"], s["test_region"])] = {
            "repeats": int(s["n_repeats"]), "test galaxies": int(s["n_test"]),
            "ellipticals missed: mean": float(s["fp_mean"]), "ellipticals missed: sd": _sd(runs["fp"]),
            "ellipticals missed: max": int(s["fp_max"]), "spirals missed: mean": float(s["fn_mean"]),
            "spirals missed: sd": _sd(runs["fn"]), "p(spiral) sd": float(s["p_spiral_sd"])}
    rep = pd.DataFrame.from_dict(rows, orient="index")
    pr, root_n = DS_REPEATS[6], float(np.sqrt(DS_SETUP["n_repeats"]))
    n_t6 = float(DS_CONFUSION.loc[6, ["tn", "fp", "fn", "tp"]].sum())
    has_ref = results["reference"].fillna("") != ""
    shifts = results.loc[has_ref & results["favoured"].isin(["spiral", "elliptical"]), "delta_p_spiral"].abs()
    rep_sd_max = float(rep["p(spiral) sd"].max()) if len(rep) else float("nan")
    return rep, {
        "rep_vs_shift": scale_word(rep_sd_max, _mean(shifts)),
        "paper_fp6": pr["fp_mean"], "paper_fp6_pm": pr["fp_pm"], "paper_fn6": pr["fn_mean"],
        "paper_fn6_pm": pr["fn_pm"], "paper_fp6_sd": pr["fp_pm"] * root_n, "paper_fn6_sd": pr["fn_pm"] * root_n,
        "paper_sd_frac": 100 * pr["fp_pm"] * root_n / n_t6, "paper_sd_frac2": 100 * pr["fn_pm"] * root_n / n_t6,
        "rep_sd_max": rep_sd_max,
    }


def scale_word(a: float, b: float) -> str:
    """``a`` against ``b`` in orders of magnitude: "the same order as" within a factor of 3,
    "larger than" or "smaller than" beyond it; "not comparable with" when either is not a
    positive number."""
    if not (np.isfinite(a) and np.isfinite(b)) or a <= 0 or b <= 0:
        return "not comparable with"
    r = a / b
    return "the same order as" if 1 / 3 <= r <= 3 else ("larger than" if r > 3 else "smaller than")
