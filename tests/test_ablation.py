"""Tests of chapter 10's machinery (galbias.results.ablation): selection rules, scores, a tiny run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from galbias.methods.bias import bias_probability
from galbias.results import ablation


def _frame(n, rng, part):
    alpha = rng.lognormal(np.log(10), 0.5, n)
    truth = (rng.random(n) < 0.6).astype(int)
    label = np.where((truth == 1) & (rng.random(n) < bias_probability(alpha, 9.0)), 0, truth)
    return pd.DataFrame({"id": np.arange(n), "part": part, "alpha": alpha, "label": label, "label_d": label,
                         "truth": truth, "petroRad_kpc": rng.lognormal(1.5, 0.4, n), "abs_mag_r": rng.normal(-21, 1, n),
                         "z": rng.uniform(0.02, 0.2, n), "sersic_n": np.where(truth == 1, 1.5, 4.0) + rng.normal(0, 0.5, n),
                         "sersic_e": rng.uniform(0, 0.7, n), "sersic_re_kpc": rng.lognormal(1.2, 0.3, n),
                         "psf_px": np.full(n, 1.2)})


def test_selection_rules_pick_the_epochs_that_fit_the_labels_best():
    rng = np.random.default_rng(0)
    f = _frame(2000, rng, "val")
    y, a = f["label"].to_numpy(), f["alpha"].to_numpy()
    b = bias_probability(a, 9.0)
    truth = f["truth"].to_numpy()
    good = np.where(truth == 1, 0.95, 0.05)  # the true classes: what DDB should learn
    flat = np.full(len(f), 0.5)
    # a network that learnt the bias as a function of alpha (what cross-entropy learns)
    learnt = np.where(truth == 1, 0.95 * (1 - b) + 0.05 * b, 0.05)
    s = ablation.AblationSettings(n_check_bins=5, cv_depth=1)
    X = f[ablation.INTRINSIC].to_numpy()
    picks = ablation.select_epochs([flat, learnt, good], y, a, b, X, s)
    assert picks["val_loss"] == 2 and picks["predictive"] == 2 and picks["last"] == 2
    # the learnt bias changes with alpha: CV14 of its labels is larger than that of the truth
    assert picks["val_cv14"] != 1
    # with b = 0 (cross-entropy), the network that learnt the bias fits the labels best
    assert ablation.select_epochs([flat, good, learnt], y, a, np.zeros_like(a), X, s)["val_loss"] == 2


def test_scores_against_the_truth():
    rng = np.random.default_rng(1)
    f = _frame(3000, rng, "score")
    s = ablation.AblationSettings(cv_depth=1, n_boot=3)
    perfect = ablation.score(f["truth"].to_numpy(float), f, s, 0)
    assert perfect["accuracy_truth"] == 1.0 and perfect["recall_truth_lowalpha"] == 1.0
    biased = ablation.score(f["label"].to_numpy(float), f, s, 0)
    assert biased["recall_a1"] < biased["recall_a5"] and biased["cv18"] > perfect["cv18"]
    assert biased["cv18_lowref"] > 0 and 0 < biased["disk_fraction"] < perfect["disk_fraction"]


def test_a_tiny_ablation_runs_every_method_and_rule(tmp_path):
    rng = np.random.default_rng(2)
    f = pd.concat([_frame(160, rng, "train"), _frame(80, rng, "val"), _frame(120, rng, "score")], ignore_index=True)
    f["id"] = np.arange(len(f))
    images = rng.integers(0, 255, (len(f), 16, 16, 3), dtype=np.uint8)
    d = ablation.ScenarioData("S2", f, images, 9.0, "test", (9.0, 1.5))
    s = ablation.AblationSettings(px=16, width=4, head_width=8, epochs=2, batch_size=32, n_seeds=1,
                                  theta_factors=(1.0, 2.0), cv_depth=1, n_boot=2, n_check_bins=4)
    t = ablation.run_ablation({"S2": d}, s, seed=0)
    assert list(t.columns) == ablation.COLUMNS
    assert set(t["method"]) == {"ce_gz2b", "ce_gz2d", "ddb", "ddb_shape", "degrade", "degrade+ddb", "dcv14"}
    assert set(t.loc[t["method"] == "ddb", "theta_factor"]) == {1.0, 2.0}
    assert set(t.loc[t["method"] == "ddb", "selection"]) == set(ablation.SELECTIONS)
    assert t["scenario"].str.startswith("S2").all() and t["accuracy_truth"].between(0, 1).all()
    # the degraded copies double the resolved part of the training set
    n_deg = t.loc[t["method"] == "degrade", "n_train"].iloc[0]
    assert n_deg == 2 * int((f.loc[f["part"] == "train", "alpha"] >= np.quantile(
        f.loc[f["part"] == "train", "alpha"], s.resolved_quantile)).sum())
    v = ablation.verdict_numbers(t)
    assert "S2_ddb_minus_ce" in v and v["S2_best"] in set(t["method"])
    assert "ema" in ablation.selection_table(t).index
    ablation.write_ablation(tmp_path / "ablation.csv", t, s, {})
    assert (tmp_path / "ablation.manifest.json").exists()
    with pytest.raises(KeyError, match="unknown CNN method"):
        ablation.experiment._training_set(d, "nope", 0)


def _verdict_table(s2_gain: float, frac_ddb: float = 0.6) -> pd.DataFrame:
    """A hand-made ablation table: three seeds, S1 and S2, DDB and CE, theta factors 0.5/1/2."""
    rows = []
    for key, gain in (("S1", 0.30), ("S2", s2_gain)):
        for seed in range(3):
            jitter = 0.002 * seed
            base = {"scenario": ablation.SCENARIOS[key], "seed": seed, "epoch": 1, "selection": "val_loss"}
            rows.append(base | {"method": "ce_gz2b", "theta_factor": 1.0, "accuracy_truth": 0.6 + jitter,
                                "disk_fraction": 0.3})
            for f, acc in ((0.5, 0.6 + gain / 2), (1.0, 0.6 + gain), (2.0, 0.55)):
                rows.append(base | {"method": "ddb", "theta_factor": f, "accuracy_truth": acc + jitter,
                                    "disk_fraction": frac_ddb})
            rows.append(base | {"method": "ddb", "theta_factor": 1.0, "selection": "ema",
                                "accuracy_truth": 0.6 + gain + jitter, "disk_fraction": frac_ddb})
    t = pd.DataFrame(rows)
    for c in ("recall_truth_lowalpha",):
        t[c] = 0.5
    return t


def test_verdict_words_follow_the_numbers():
    w = ablation.verdict_words(_verdict_table(0.10))
    assert w["S1_gain_word"] == "beats" and w["S2_gain_word"] == "beats"
    assert w["s2_vs_s1_word"] == "keeps part of its S1 advantage"
    assert w["theta_word"].startswith("changes the truth accuracy by more than")
    assert w["S1_degenerate"] == "" and w["ema_word"] == "does as well as"
    assert w["shape_word"] == "was not compared with"
    w = ablation.verdict_words(_verdict_table(0.0))
    assert w["S2_gain_word"] == "ties with" and w["s2_vs_s1_word"].startswith("loses its S1 advantage")
    w = ablation.verdict_words(_verdict_table(0.30, frac_ddb=1.0))
    assert w["s2_vs_s1_word"] == "keeps its S1 advantage" and "learnt one class" in w["S2_degenerate"]
