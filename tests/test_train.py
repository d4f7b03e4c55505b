"""Tests of galbias.train: learning, resume after a kill, early stopping, reuse, predictions.

Everything runs on tiny synthetic images (16 x 16 PNG files in tmp_path) and a tiny compact
ResNet, on the CPU.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from galbias.catalog import CatalogError
from galbias.config import ConfigError, get_profile
from galbias.images import build_cache
from galbias.models import load_model
from galbias.train import EpochBatchSampler, predict, train_model

S = 16


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    """Tiny networks gain nothing from a second thread, and one thread is not slowed down
    tenfold when another process is busy on the machine (see galbias.train.usable_cores)."""
    before = torch.get_num_threads()
    monkeypatch.setenv("GALBIAS_THREADS", "1")
    yield
    torch.set_num_threads(before)

TINY = dict(model_width=8, model_stages=2, head_width=16, batch_size=32, lr=3e-3, weight_decay=1e-4, patience=0)


def make_dataset(root, n=600, seed=0, theta=None, random_labels=False, n_val=100, n_test=100):
    """Disks are blue blobs, smooth galaxies red ones; the blob's size grows with alpha (so the
    network can see alpha, as it can see resolution in real images).  With ``theta``, disks
    are relabelled smooth with probability b(alpha; theta), as the bias model says."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, n)
    alpha = rng.uniform(2.0, 30.0, n)
    (root / "survey" / "images").mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[:S, :S] - (S - 1) / 2
    r2 = xx**2 + yy**2
    locs = []
    for i in range(n):
        width = 1.0 + 4.0 * alpha[i] / 30.0
        colour = np.array([80.0, 140.0, 230.0]) if truth[i] else np.array([230.0, 140.0, 80.0])
        img = colour * np.exp(-r2 / (2 * width**2))[..., None] + rng.normal(0, 12, (S, S, 3))
        loc = f"images/{i}.png"
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(root / "survey" / loc)
        locs.append(loc)
    observed = truth.copy()
    if theta is not None:
        flip = (truth == 1) & (rng.random(n) < np.exp(-alpha**2 / (2 * theta**2)))
        observed[flip] = 0
    if random_labels:
        observed = rng.integers(0, 2, n)
    n_train = n - n_val - n_test
    split = np.array(["train"] * n_train + ["val"] * n_val + ["test"] * n_test)
    df = pd.DataFrame({"id": np.arange(1000, 1000 + n, dtype=np.int64), "split": split, "alpha": alpha,
                       "gz2b": observed, "gz2d": truth, "truth": pd.array(truth, dtype="Int64"), "file_loc": locs})
    cache = build_cache(df, root / "survey", root / "cache" / "images.npy", progress=False)
    return df, cache


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    return make_dataset(root, n=600)


@pytest.fixture(scope="module")
def biased(tmp_path_factory):
    root = tmp_path_factory.mktemp("biased")
    return make_dataset(root, n=1400, seed=1, theta=12.0, n_val=200, n_test=200)


def cfg_for(**kw):
    return get_profile("smoke", **{**TINY, **kw})


def weights(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_ce_learns_a_separable_set(clean, tmp_path):
    df, cache = clean
    res = train_model(cfg_for(epochs=4), "ce_gz2b", df, "gz2b", "ce", cache=cache, out_dir=tmp_path, progress=False)
    assert res.complete and not res.reused and res.epochs_run == 4
    assert res.history[-1]["val_acc"] >= 0.95
    assert res.history[-1]["val_acc_truth"] >= 0.95
    assert res.history[0]["train_loss"] > res.history[-1]["train_loss"]
    test = df[df.split == "test"]
    p = predict(res.model, cache, cache.rows(test.id))
    assert np.mean((p > 0.5) == test.truth.to_numpy(bool)) >= 0.95
    # the saved model is the best-validation one
    model, meta = load_model(tmp_path / "models" / "ce_gz2b.pt")
    assert meta["best_epoch"] == 1 + int(np.argmin([h["val_loss"] for h in meta["history"]]))
    np.testing.assert_allclose(predict(model, cache, cache.rows(test.id)), p, rtol=1e-5, atol=1e-6)


def test_resume_after_kill_gives_identical_weights(clean, tmp_path):
    df, cache = clean
    cfg = cfg_for(epochs=4)
    full = train_model(cfg, "m", df, "gz2b", "ddb", theta=10.0, cache=cache, out_dir=tmp_path / "a",
                       predictions=False, progress=False)
    ckpt_a = torch.load(tmp_path / "a" / "models" / "m.ckpt", weights_only=False)

    # stop after one epoch as if the budget ran out ...
    part = train_model(cfg, "m", df, "gz2b", "ddb", theta=10.0, cache=cache, out_dir=tmp_path / "b",
                       max_epochs=1, predictions=False, progress=False)
    assert not part.complete and part.epochs_run == 1
    assert not (tmp_path / "b" / "models" / "m.pt").exists()

    # ... then get killed during epoch 3 (after epoch 2's checkpoint was written) ...
    def kill(epoch, row):
        if epoch == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_model(cfg, "m", df, "gz2b", "ddb", theta=10.0, cache=cache, out_dir=tmp_path / "b",
                    predictions=False, progress=False, callbacks=[kill])
    ckpt = torch.load(tmp_path / "b" / "models" / "m.ckpt", weights_only=False)
    assert ckpt["epoch"] == 2 and len(ckpt["history"]) == 2

    # ... and resume to the end: the same weights, history and best state as without interruption
    resumed = train_model(cfg, "m", df, "gz2b", "ddb", theta=10.0, cache=cache, out_dir=tmp_path / "b",
                          predictions=False, progress=False)
    assert resumed.complete and resumed.epochs_run == 4
    ckpt_b = torch.load(tmp_path / "b" / "models" / "m.ckpt", weights_only=False)
    assert_same_weights(ckpt_a["model"], ckpt_b["model"])
    assert_same_weights(ckpt_a["best_state"], ckpt_b["best_state"])
    assert_same_weights(weights(full.model), weights(resumed.model))
    strip = lambda h: [{k: v for k, v in r.items() if k != "seconds"} for r in h]  # noqa: E731
    assert strip(full.history) == strip(resumed.history)


def test_reuse_and_stale_checkpoint(clean, tmp_path):
    df, cache = clean
    cfg = cfg_for(epochs=2)
    first = train_model(cfg, "ce", df, "gz2b", "ce", cache=cache, out_dir=tmp_path, progress=False)
    again = train_model(cfg, "ce", df, "gz2b", "ce", cache=cache, out_dir=tmp_path, progress=False)
    assert again.reused and again.history == first.history
    assert_same_weights(weights(first.model), weights(again.model))
    # other settings: the model is retrained, the old checkpoint is not resumed from
    with pytest.warns(UserWarning, match="other settings or data"):
        train_model(cfg_for(epochs=3), "ce", df, "gz2b", "ce", cache=cache, out_dir=tmp_path, max_epochs=1,
                    progress=False)
    with pytest.warns(UserWarning, match="other settings or data"):
        res = train_model(cfg_for(epochs=3, lr=1e-3), "ce", df, "gz2b", "ce", cache=cache, out_dir=tmp_path,
                          progress=False)
    assert not res.reused and res.epochs_run == 3


def test_early_stopping_keeps_best_weights(clean, tmp_path):
    root = tmp_path / "data"
    df, cache = clean
    # labels unrelated to the images: the network can only memorise, the validation loss rises
    noisy = df.assign(gz2b=np.random.default_rng(3).integers(0, 2, len(df)))
    cfg = cfg_for(epochs=15, patience=2, lr=1e-2, model_width=8, head_width=32)
    res = train_model(cfg, "noisy", noisy, "gz2b", "ce", cache=cache, out_dir=root, progress=False)
    assert res.stopped_early and res.complete
    assert res.epochs_run < 15
    losses = [h["val_loss"] for h in res.history]
    assert res.best_epoch == 1 + int(np.argmin(losses)) == res.epochs_run - 2
    assert res.best_val_loss == min(losses)
    # the returned and the saved weights are those of the best epoch
    val = noisy[noisy.split == "val"]
    p = predict(res.model, cache, cache.rows(val.id))
    y = val.gz2b.to_numpy()
    nll = -np.mean(np.log(np.where(y == 1, p, 1 - p)))
    assert nll == pytest.approx(res.best_val_loss, rel=1e-4)


def test_ddb_with_tiny_theta_is_ce(clean, tmp_path):
    df, cache = clean
    cfg = cfg_for(epochs=2)
    ce = train_model(cfg, "ce", df, "gz2b", "ce", cache=cache, out_dir=tmp_path, progress=False)
    ddb = train_model(cfg, "ddb", df, "gz2b", "ddb", theta=1e-3, cache=cache, out_dir=tmp_path, progress=False)
    a, b = weights(ce.model), weights(ddb.model)
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6)
    for ra, rb in zip(ce.history, ddb.history):
        assert ra["val_loss"] == pytest.approx(rb["val_loss"], rel=1e-5)


def test_predictions_parquet_merges_models(clean, tmp_path):
    df, cache = clean
    cfg = cfg_for(epochs=1)
    for name, loss, col in (("ce_gz2b", "ce", "gz2b"), ("ce_gz2d", "ce", "gz2d"), ("ddb", "ddb", "gz2b")):
        train_model(cfg, name, df, col, loss, theta=10.0 if loss == "ddb" else None, cache=cache, out_dir=tmp_path,
                    progress=False)
    pred = pd.read_parquet(tmp_path / "predictions.parquet")
    assert list(pred.columns) == ["id", "split", "p_disk_ce_gz2b", "p_disk_ce_gz2d", "p_disk_ddb"]
    expected = df[df.split.isin(["val", "test"])]
    np.testing.assert_array_equal(pred.id, expected.id)
    np.testing.assert_array_equal(pred.split, expected.split)
    for c in pred.columns[2:]:
        assert pred[c].between(0, 1).all()
    manifest = json.loads((tmp_path / "predictions.manifest.json").read_text())
    assert set(manifest["params"]["models"]) == {"ce_gz2b", "ce_gz2d", "ddb"}
    # other galaxies: the file starts afresh
    fewer = df[df.id != expected.id.iloc[0]]
    with pytest.warns(UserWarning) as record:
        train_model(cfg, "ce_gz2b", fewer, "gz2b", "ce", cache=cache, out_dir=tmp_path, progress=False)
    messages = " ".join(str(w.message) for w in record)
    assert "other galaxies" in messages and "other settings or data" in messages
    pred = pd.read_parquet(tmp_path / "predictions.parquet")
    assert list(pred.columns) == ["id", "split", "p_disk_ce_gz2b"] and len(pred) == len(expected) - 1


def test_ddb_recovers_disks_that_ce_calls_smooth(biased, tmp_path):
    """Low-alpha disks are mostly labelled smooth; CE learns the bias, DDB undoes it."""
    df, cache = biased
    cfg = cfg_for(epochs=8, model_width=8, head_width=16)
    test = df[(df.split != "train") & (df.truth == 1)]
    low = test[test.alpha < 9.0]  # b(alpha; 12) > 0.75: three in four such disks are labelled smooth
    assert len(low) > 40
    frac = {}
    for name, loss in (("ce", "ce"), ("ddb", "ddb")):
        res = train_model(cfg, name, df, "gz2b", loss, theta=12.0, cache=cache, out_dir=tmp_path, progress=False,
                          predictions=False)
        frac[name] = np.mean(predict(res.model, cache, cache.rows(low.id)) > 0.5)
    assert frac["ce"] < 0.4
    assert frac["ddb"] > 0.7
    assert frac["ddb"] - frac["ce"] > 0.4


def test_bad_inputs_are_named(clean, tmp_path):
    df, cache = clean
    cfg = cfg_for(epochs=1)
    kw = dict(cache=cache, out_dir=tmp_path, progress=False)
    with pytest.raises(ConfigError, match="needs theta"):
        train_model(cfg, "x", df, "gz2b", "ddb", **kw)
    with pytest.raises(ValueError, match="unknown loss"):
        train_model(cfg, "x", df, "gz2b", "focal", **kw)
    with pytest.raises(CatalogError, match="no column 'gz2x'"):
        train_model(cfg, "x", df, "gz2x", "ce", **kw)
    with pytest.raises(CatalogError, match="0 \\(smooth\\) or 1 \\(disk\\)"):
        train_model(cfg, "x", df.assign(gz2b=2), "gz2b", "ce", **kw)
    with pytest.raises(CatalogError, match="non-positive"):
        train_model(cfg, "x", df.assign(alpha=-1.0), "gz2b", "ddb", theta=10.0, **kw)
    with pytest.raises(CatalogError, match="split == 'val'"):
        train_model(cfg, "x", df[df.split != "val"], "gz2b", "ce", **kw)
    with pytest.raises(KeyError, match="not in the image cache"):
        train_model(cfg, "x", df.assign(id=df.id + 10**6), "gz2b", "ce", **kw)


def test_epoch_batch_sampler():
    s = EpochBatchSampler(10, 4, seed=1)
    s.set_epoch(0)
    e0 = list(s)
    assert [len(b) for b in e0] == [4, 4, 2] and len(s) == 3
    assert sorted(sum(e0, [])) == list(range(10))
    s.set_epoch(0)
    assert list(s) == e0
    s.set_epoch(1)
    assert list(s) != e0
    assert len(EpochBatchSampler(10, 4, drop_last=True)) == 2
    # two ranks see disjoint halves of the same epoch permutation
    r0, r1 = (EpochBatchSampler(10, 3, seed=1, rank=r, world_size=2) for r in (0, 1))
    for r in (r0, r1):
        r.set_epoch(4)
    a, b = sum(list(r0), []), sum(list(r1), [])
    assert len(a) == len(b) == 5 and not set(a) & set(b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sorted(a + b) == list(range(10))


def test_thread_count_override(monkeypatch):
    from galbias.train import usable_cores

    monkeypatch.setenv("GALBIAS_THREADS", "1")
    assert usable_cores() == 1
    monkeypatch.setenv("GALBIAS_THREADS", "zero")
    with pytest.raises(ConfigError, match="GALBIAS_THREADS"):
        usable_cores()
    monkeypatch.delenv("GALBIAS_THREADS")
    assert usable_cores() >= 1
