import json

import numpy as np
import pandas as pd
import pytest

from galbias.core import artifacts


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "a.parquet"
    with pytest.raises(RuntimeError):
        with artifacts.atomic_path(target) as tmp:
            tmp.write_text("partial")
            raise RuntimeError("killed")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_replaces_existing(tmp_path):
    target = tmp_path / "x.json"
    artifacts.write_json(target, {"a": 1})
    artifacts.write_json(target, {"a": np.int64(2), "b": np.arange(2)})
    assert json.loads(target.read_text()) == {"a": 2, "b": [0, 1]}


def test_parquet_roundtrip(tmp_path):
    df = pd.DataFrame({"id": [1, 2], "x": [0.5, 1.5]})
    artifacts.write_parquet(tmp_path / "d.parquet", df)
    pd.testing.assert_frame_equal(artifacts.read_parquet(tmp_path / "d.parquet"), df)


def test_missing_artifact_message(tmp_path):
    with pytest.raises(FileNotFoundError, match="run the chapter that writes it first"):
        artifacts.read_parquet(tmp_path / "labels.parquet")


def test_manifest_detects_stale_params_and_inputs(tmp_path):
    inp = tmp_path / "in.txt"
    inp.write_text("v1")
    art = tmp_path / "labels.parquet"
    artifacts.write_parquet(art, pd.DataFrame({"a": [1]}))
    artifacts.write_manifest(art, {"seed": 1}, {"catalog": inp})
    assert artifacts.manifest_path(art).name == "labels.manifest.json"
    assert artifacts.is_fresh(art, {"seed": 1}, {"catalog": inp})
    assert not artifacts.is_fresh(art, {"seed": 2}, {"catalog": inp})
    inp.write_text("v2")
    assert not artifacts.is_fresh(art, {"seed": 1}, {"catalog": inp})
    assert not artifacts.is_fresh(tmp_path / "other.parquet", {"seed": 1})


def test_write_csv_selects_columns_and_names_missing(tmp_path):
    df = pd.DataFrame({"a": [1], "b": [2], "c": [3]})
    out = artifacts.write_csv(tmp_path / "t.csv", df, ["c", "a"])
    assert out.read_text().splitlines()[0] == "c,a"
    with pytest.raises(KeyError, match=r"t\.csv lacks column\(s\) \['z'\]"):
        artifacts.write_csv(tmp_path / "t.csv", df, ["z"])
