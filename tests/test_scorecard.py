"""The intro page's scorecard: verdict words and rows built from a run folder's artifacts."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from galbias.results import scorecard
from galbias.results.table1 import COLUMNS


@pytest.mark.parametrize("diff, sd, expect, word", [
    (-0.10, 0.02, "negative", "agrees"),
    (-0.03, 0.02, "negative", "within the noise"),
    (0.10, 0.02, "negative", "does not agree"),
    (0.10, 0.02, "positive", "agrees"),
    (0.01, 0.0, "positive", "agrees"),
    (-0.01, np.nan, "positive", "does not agree"),
    (np.nan, 0.1, "positive", "not measured"),
])
def test_compare(diff, sd, expect, word):
    assert scorecard.compare(diff, sd, expect) == word


def test_degenerate():
    assert scorecard.degenerate(0.99) and scorecard.degenerate(0.0)
    assert not scorecard.degenerate(0.5) and not scorecard.degenerate(np.nan)


def test_empty_run_says_which_chapter(tmp_path):
    t = scorecard.scorecard(tmp_path)
    assert list(t.columns) == scorecard.COLUMNS and len(t) == 7
    assert (t["verdict"] == "not measured").all()
    assert t["this run"].str.contains("chapter").all()
    assert "| claim |" in scorecard.to_markdown(t, "demo")


def _table1(seed_rows: dict[str, list[dict]]) -> pd.DataFrame:
    rows = []
    for r, seeds in seed_rows.items():
        for k, vals in enumerate(seeds):
            rows.append({c: np.nan for c in COLUMNS} | {"sample": "eval", "row": r, "method": r, "seed": k,
                                                         "scored_against": "truth", "n": 1000} | vals)
    return pd.DataFrame(rows, columns=COLUMNS)


def test_rows_from_artifacts(tmp_path):
    (tmp_path / "theta.json").write_text(json.dumps(
        {"theta": 9.0, "theta_std": 0.1, "theta_volunteers": 9.1, "theta_volunteers_std": 0.1}))
    t1 = _table1({
        "a": [{"cv18": 0.34, "cv18_std": 0.01, "cv18_floor": 0.05}],
        "c": [{"cv18": 0.33, "d_a": -0.01, "d_a_std": 0.01, "accuracy_truth": 0.72},
              {"cv18": 0.33, "d_a": -0.01, "d_a_std": 0.01, "accuracy_truth": 0.73}],
        "e": [{"cv18": 0.11, "d_a": -0.23, "d_a_std": 0.01}],
        "f": [{"cv18": 0.09, "d_a": -0.25, "d_a_std": 0.01, "accuracy_truth": 0.92},
              {"cv18": 0.09, "d_a": -0.25, "d_a_std": 0.01, "accuracy_truth": 0.93}],
    })
    t1.to_csv(tmp_path / "table1.csv", index=False)
    pd.DataFrame({"id": range(4), "split": "eval", "p_disk_ddb": [0.9, 0.1, 0.8, 0.2]}).to_parquet(
        tmp_path / "predictions.parquet")
    pd.DataFrame({"name": ["changed_ddb"], "n_measured": [400], "frac_n_gt_3": [0.10]}).to_csv(
        tmp_path / "sersic.csv", index=False)
    t = scorecard.scorecard(tmp_path).set_index("claim")
    v = t["verdict"].tolist()
    assert v[0] == "recovered"                    # 9.0 vs 9.1, within 2 combined sd
    assert v[1] == "agrees"                       # GZ2B 0.34 far above the floor 0.05
    assert v[2] == "agrees"                       # DDB - GZ2B = -0.25
    assert v[3] == "within the noise"             # DDB - DCV14 = -0.02 ± 0.014
    assert v[4] == "agrees"                       # accuracy +0.20
    assert v[5] == "agrees"                       # 10% ± 1.5% < 30%
    assert v[6] == "not measured" and "chapter 10" in t["this run"].iloc[6]
    # with a truth row, a DDB below the truth's CV18 is flagged as over-correcting
    t1 = pd.concat([t1, _table1({"truth": [{"cv18": 0.15, "cv18_std": 0.01}]})])
    t1.loc[t1["row"] == "f", ["d_truth", "d_truth_std"]] = [-0.06, 0.01]
    t1.to_csv(tmp_path / "table1.csv", index=False)
    v = scorecard.scorecard(tmp_path)["verdict"].tolist()
    assert v[2] == "agrees, but DDB is below the truth: it over-corrects" and v[3].endswith("over-corrects")
    assert v[4] == "agrees"
    # a DDB that calls every galaxy a disk gets no verdict on the CV18 claims
    pd.DataFrame({"id": range(4), "split": "eval", "p_disk_ddb": [0.9] * 4}).to_parquet(
        tmp_path / "predictions.parquet")
    v = scorecard.scorecard(tmp_path)["verdict"].tolist()
    assert v[1] == "agrees" and all(w.startswith("no verdict") for w in v[2:5])
    assert scorecard.numbers(scorecard.scorecard(tmp_path))["no verdict"] == 3
