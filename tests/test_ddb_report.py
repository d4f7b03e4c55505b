"""Chapter 4's report numbers (results.ddb_report) and the chapter 4/5 figures (compendium.plots)."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from galbias.compendium import plots
from galbias.results import ddb_report, networks, table1


@pytest.fixture
def trained():
    trainings = networks.members(2)
    results, hist = {}, {}
    for i, m in enumerate(trainings):
        results[m.name] = SimpleNamespace(best_epoch=1 + (i % 2), seconds=30.0, epochs_run=3)
        acc = [0.80, 0.90, 0.88] if m.k == 0 else [0.82, 0.86, 0.91]
        hist[m.name] = pd.DataFrame({"epoch": [0, 1, 2], "train_loss": [0.7, 0.5, 0.4], "val_loss": [0.6, 0.5, 0.52],
                                     "val_acc_truth": acc})
    return trainings, results, hist


def test_training_and_stopping_numbers(trained):
    trainings, results, hist = trained
    cfg = SimpleNamespace(n_seeds=2, seed=10)
    t = ddb_report.training_numbers(cfg, trainings, results)
    assert t["n_trainings"] == 6 and t["train_minutes"] == pytest.approx(3.0) and t["seed_list"] == "10, 11"
    assert t["best_epoch_ddb_s1"] == results["ddb_s1"].best_epoch and t["epochs_ddb"] == 3
    s = ddb_report.stopping_numbers(trainings, hist, results)
    # ddb (index 4): kept epoch 1 -> 0.90, peak 0.90; ddb_s1 (index 5): kept epoch 2 -> 0.91, peak 0.91
    assert s["ddb_peak_acc"] == pytest.approx(0.905) and s["ddb_kept_acc"] == pytest.approx(0.905)
    assert s["ddb_peak_epochs"] == "1, 2" and s["ddb_kept_epochs"] == "1, 2"
    assert s["stop_cost_word"] == "costs little"


def test_curve_numbers_and_groups(trained):
    trainings, _, _ = trained
    g = ddb_report.curve_groups(trainings)
    assert g["ddb"] == ["ddb", "ddb_s1"] and g["gz2b"] == ["gz2b"]
    empty = ddb_report.curve_end_numbers(None)
    assert np.isnan(empty["rec_lo_ddb"]) and np.isnan(empty["alpha_hi_bin"])
    curves = pd.DataFrame({"key": ["ddb", "ddb", "gz2b", "gz2b"], "bin": [0, 1, 0, 1], "alpha_mid": [2.0, 20.0] * 2,
                           "recall": [0.9, 0.95, 0.3, 0.9], "recall_sd": [0.02] * 4, "excess": [0.1, 0.0, -0.4, 0.0]})
    n = ddb_report.curve_end_numbers(curves)
    assert n["rec_lo_ddb"] == 0.9 and n["exc_lo_gz2b"] == -0.4 and n["rec_hi_gz2b"] == 0.9
    assert n["alpha_lo_bin"] == 2.0 and n["alpha_hi_bin"] == 20.0


def test_implied_and_verdict_numbers():
    implied = pd.DataFrame({"implied true disk fraction": [1.4, 1.1, 0.6],
                            "DDB on GZ2B: disk fraction": [0.70, 0.55, 0.50],
                            "true disk fraction": [0.50, 0.52, 0.49]})
    n = ddb_report.implied_numbers(implied, 3000, {"f_s": 0.2, "theta_volunteers": 8.0}, truth_known=True)
    assert n["n_over_one"] == 2 and n["implied_argmax"] == 0 and n["ddb_dev_rest"] == pytest.approx(0.03)
    assert n["ddb_bin1_word"] == "overshoots" and np.isnan(n["theta_bal"]) and n["n_bins_implied"] == 3
    titles = [net.title for net in networks.NETWORKS]
    metrics = pd.DataFrame({"accuracy": [0.92, 0.90, 0.70], "accuracy (truth)": [0.72, 0.80, 0.92]}, index=titles)
    spread = pd.DataFrame({"accuracy": [0.005, 0.005, 0.01], "accuracy (truth)": [0.01, 0.01, 0.01]}, index=titles)
    v = ddb_report.verdict_numbers(metrics, spread, 1500, n_seeds=3)
    assert v["gain"] == pytest.approx(0.20) and v["gain_word"] == "agrees"
    assert v["word_c"] == "close to" and v["paper_acc_c"] == table1.paper_table1().loc["c", "accuracy"]
    assert np.isnan(ddb_report.verdict_numbers(metrics, spread, 1500, n_seeds=1)["acc_sd_ddb"])


def test_depth_numbers():
    scan = pd.DataFrame({"L": [0, 1, 2, 3, 4], "CV18 / floor": [9.0, 4.0, 3.0, 2.5, 2.8]})
    n = table1.depth_numbers(scan, "truth")
    assert n["scan_ratio_L3"] == 2.5 and n["scan_L_min"] == 3 and n["scan_L_max"] == 4
    assert n["scan_verdict"] == "no depth brings the truth down to its floor"
    scan["CV18 / floor"] = [9.0, 3.0, 1.2, 1.1, 1.3]
    assert table1.depth_numbers(scan, "truth")["scan_verdict"].startswith("a deeper tree")


def test_chapter_figures(trained):
    trainings, results, hist = trained
    fig = plots.learning_curves(trainings, hist, results)
    assert len(fig.axes) == 3 and len(fig.axes[0].lines) == 2 * 2 + 2  # 2 seeds x 2 curves + 2 kept-epoch lines
    plt.close(fig)
    fig = plots.truth_by_epoch(trainings, hist, truth_known=True)
    assert len(fig.axes[0].lines) == len(trainings)
    plt.close(fig)
    assert not plots.truth_by_epoch(trainings, hist, truth_known=False).axes[0].axison
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"alpha": rng.uniform(1, 30, 400)})
    for k in ("gz2b", "gz2d", "truth", "ce_gz2b", "ce_gz2d", "dcv14", "ddb"):
        frame[k] = rng.integers(0, 2, 400).astype(float)
    frame.loc[:9, "dcv14"] = np.nan
    fig = plots.table1_disk_vs_alpha(frame, 4)
    assert [a.get_title() for a in fig.axes] == ["labels", "trained methods (seed 0)"]
    plt.close(fig)
    test = pd.DataFrame({"cv18": [0.3, 0.1], "cv18_std": [0.01, 0.01], "cv18_lowref": [0.35, 0.12]},
                        index=pd.Index(["a", "truth"], name="row"))
    fig = plots.table1_cv18(test, table1.paper_table1(), np.linspace(0.05, 0.1, 20), 0.06, "this run")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == [table1.LABEL_NAMES["gz2b"],
                                                                      table1.LABEL_NAMES["truth"]]
    plt.close(fig)
