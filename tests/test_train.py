"""Tests of the training engine (galbias.methods.engine) and of chapter 4's train_model: learning,
resume after kill -9, early stopping, reuse, predictions, and 2-process DDP on the CPU (gloo).

Everything runs on tiny synthetic images (16 x 16 PNG files in tmp_path) and a tiny compact
ResNet, on the CPU.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from galbias.data.catalog import CatalogError
from galbias.compendium.config import ConfigError, get_profile
from galbias.data.cache import build_cache
from galbias.methods.models import load_model
from galbias.methods import engine
from galbias.methods.train import predict, train_model

S = 16


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    """Tiny networks gain nothing from a second thread, and one thread is not slowed down
    tenfold when another process is busy on the machine (see galbias.methods.train.usable_cores)."""
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


def history(res):
    return res.history_frame()


def test_ce_learns_a_separable_set(clean, tmp_path):
    df, cache = clean
    res = train_model(cfg_for(epochs=4), "ce_gz2b", df, "gz2b", "ce", cache=cache, out_dir=tmp_path, progress=False)
    assert not res.reused and res.epochs_run == 4
    h = history(res)
    assert list(h["epoch"]) == [1, 2, 3, 4]
    assert h["val_acc"].iloc[-1] >= 0.95 and h["val_acc_truth"].iloc[-1] >= 0.95
    assert h["train_loss"].iloc[0] > h["train_loss"].iloc[-1]
    test = df[df.split == "test"]
    p = predict(res.model, cache, cache.rows(test.id))
    assert np.mean((p > 0.5) == test.truth.to_numpy(bool)) >= 0.95
    # the saved model is the best-validation one, and the CSV log holds the learning curves
    model, meta = load_model(tmp_path / "models" / "ce_gz2b.pt")
    assert meta["best_epoch"] == 1 + int(np.argmin([r["val_loss"] for r in meta["history"]]))
    np.testing.assert_allclose(predict(model, cache, cache.rows(test.id)), p, rtol=1e-5, atol=1e-6)
    assert list((tmp_path / "models" / "ce_gz2b" / "logs").glob("attempt_*/metrics.csv"))
    assert (tmp_path / "models" / "ce_gz2b" / "last.ckpt").exists()


KILL_SCRIPT = """
import os, signal, sys
import lightning as L
import pandas as pd
from galbias.compendium.config import get_profile
from galbias.data.cache import ImageCache
from galbias.methods.train import train_model

class KillAt(L.Callback):
    # kill -9 in the middle of epoch 3 (after epoch 2's checkpoint was written)
    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if trainer.current_epoch == 2 and batch_idx == 3:
            os.kill(os.getpid(), signal.SIGKILL)

df = pd.read_parquet(sys.argv[1])
cfg = get_profile("smoke", **{TINY})
train_model(cfg, "m", df, "gz2b", "ddb", theta=10.0, cache=ImageCache.open(sys.argv[2]), out_dir=sys.argv[3],
            predictions=False, progress=False, callbacks=[KillAt()])
"""


def test_resume_after_kill_9_gives_identical_weights(clean, tmp_path):
    df, cache = clean
    cfg = cfg_for(epochs=4)
    full = train_model(cfg, "m", df, "gz2b", "ddb", theta=10.0, cache=cache, out_dir=tmp_path / "a",
                       predictions=False, progress=False)
    # a separate process is killed with SIGKILL in the middle of epoch 3 ...
    df.to_parquet(tmp_path / "labels.parquet")
    script = tmp_path / "kill.py"
    script.write_text(KILL_SCRIPT.replace("{TINY}", repr({**TINY, "epochs": 4})))
    proc = subprocess.run([sys.executable, str(script), str(tmp_path / "labels.parquet"), str(cache.path),
                           str(tmp_path / "b")], env={**os.environ, "GALBIAS_THREADS": "1"}, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == -9, proc.stderr[-2000:]
    run = tmp_path / "b" / "models" / "m"
    assert torch.load(run / "last.ckpt", weights_only=False)["epoch"] == 1   # 0-based: two epochs finished
    assert not (tmp_path / "b" / "models" / "m.pt").exists()
    assert not [p for p in run.iterdir() if p.name.startswith(".")]   # no half-written checkpoint left
    # ... and the next call resumes from its last checkpoint and ends with the same weights and history
    resumed = train_model(cfg, "m", df, "gz2b", "ddb", theta=10.0, cache=cache, out_dir=tmp_path / "b",
                          predictions=False, progress=False)
    assert resumed.epochs_run == 4 and resumed.best_epoch == full.best_epoch
    assert_same_weights(weights(full.model), weights(resumed.model))
    pd.testing.assert_frame_equal(history(full), history(resumed))


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
    df, cache = clean
    # labels unrelated to the images: the network can only memorise, the validation loss rises
    noisy = df.assign(gz2b=np.random.default_rng(3).integers(0, 2, len(df)))
    cfg = cfg_for(epochs=15, patience=2, lr=1e-2, model_width=8, head_width=32)
    res = train_model(cfg, "noisy", noisy, "gz2b", "ce", cache=cache, out_dir=tmp_path, progress=False)
    assert res.stopped_early and res.epochs_run < 15
    losses = history(res)["val_loss"].to_numpy()
    assert res.best_epoch == 1 + int(np.argmin(losses)) == res.epochs_run - 2
    assert res.best_val_loss == pytest.approx(losses.min(), rel=1e-6)
    # the returned weights are those of the best epoch: their validation loss is the best one
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
    np.testing.assert_allclose(history(ce)["val_loss"], history(ddb)["val_loss"], rtol=1e-5)


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


def test_schedule_warms_up_then_decays_to_zero():
    s = engine.Schedule(total=100, warmup=10, kind="cosine")
    assert s(0) == pytest.approx(1 / 11) and s(9) == pytest.approx(10 / 11)
    assert s(10) == pytest.approx(1.0) and s(100) == pytest.approx(0.0, abs=1e-12)
    assert all(s(k) >= s(k + 1) for k in range(10, 100))
    assert engine.Schedule(100, 0, "constant")(50) == 1.0
    with pytest.raises(ValueError, match="schedule"):
        engine.Schedule(10, 0, "linear")


DDP_SCRIPT = """
import sys
import numpy as np, torch
from galbias.data.cache import CachedImages, ImageCache
from galbias.methods import engine

devices = int(sys.argv[2])
cache = ImageCache.open(sys.argv[1])
rng = np.random.default_rng(0)
y = rng.integers(0, 2, len(cache))
ds = lambda rows: CachedImages(cache, rows, y[rows], np.full(len(rows), 5.0, np.float32))
train, val = ds(np.arange(0, 480)), ds(np.arange(480, 560))
spec = {"model": "dsnet", "in_px": 16, "width": 4, "dense": 16}
s = engine.FitSettings(epochs=2, batch_size=32, lr=1e-3, patience=0, seed=3, accelerator="cpu", devices=devices,
                       strategy="ddp" if devices > 1 else "auto", checkpoints=False, optimizer="adam",
                       weight_decay=0.0, channels_last=False)
res = engine.fit("d", spec, "bce", train, val, s, progress=False)
p = engine.predict(res.model, ds(np.arange(480, 600)), s)
if res.is_global_zero:
    np.save(sys.argv[3], np.concatenate([p, torch.cat([v.flatten() for v in res.model.state_dict().values()]).numpy()]))
"""


def test_two_cpu_processes_with_ddp_equal_one(clean, tmp_path):
    """DDP on 2 CPU processes (gloo) with the global batch split in halves gives the 1-process result.

    The network (Dhar & Shamir's, no BatchNorm) sees the same permutation, the same augmentation
    and the same averaged gradients either way, so weights and predictions agree to float32
    round-off (tolerance 1e-5); networks with BatchNorm differ more on the CPU, where each process
    normalises its half batch (SyncBatchNorm needs GPUs): see the pipeline test.
    """
    _, cache = clean
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    out = {}
    for n in (1, 2):
        proc = subprocess.run([sys.executable, str(script), str(cache.path), str(n), str(tmp_path / f"r{n}.npy")],
                              env={**os.environ, "GALBIAS_THREADS": "1", "OMP_NUM_THREADS": "1"}, capture_output=True,
                              text=True, timeout=600, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr[-3000:]
        out[n] = np.load(tmp_path / f"r{n}.npy")
    np.testing.assert_allclose(out[2], out[1], rtol=1e-4, atol=1e-5)


def test_thread_count_override(monkeypatch):
    from galbias.methods.train import usable_cores

    monkeypatch.setenv("GALBIAS_THREADS", "1")
    assert usable_cores() == 1
    monkeypatch.setenv("GALBIAS_THREADS", "zero")
    with pytest.raises(ConfigError, match="GALBIAS_THREADS"):
        usable_cores()
    monkeypatch.delenv("GALBIAS_THREADS")
    assert usable_cores() >= 1
