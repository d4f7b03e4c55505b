"""Chapter 10's experiment: the scenarios, the trainings of every method and seed, the selection
rules and the scores (described in :mod:`galbias.results.ablation`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import pandas as pd
import torch

from ...core import artifacts, seeds
from ...data import catalog as catalog_mod
from ...data.binning import equal_count_bins
from ...data.cache import CachedImages, build_cache, to_float
from ...data.labels import DEBIASED, WEIGHTED, majority_vote
from ...methods import engine
from ...methods.bias import bias_probability, bias_shape_probability, fit_bias_shape
from ...methods.dcv14 import fit_dcv14
from ...methods.degrade import degrade_images, psf_sigma_pixels
from ...methods.losses import p_disk as p_disk_of
from ...methods.metrics import cv14, cv18
from ..skybias.network import prepare_images, torch_threads

__all__ = ["AblationSettings", "COLUMNS", "FEATURES", "INTRINSIC", "METHODS", "SCENARIOS", "SELECTIONS",
           "ScenarioData", "load_scenarios", "run_ablation", "score", "select_epochs", "write_ablation"]


SCENARIOS = {"S1": "S1 paper's model", "S2": "S2 realistic volunteers", "S3": "S3 idealised volunteers"}


METHODS = ("ce_gz2b", "ce_gz2d", "ddb", "ddb_shape", "degrade", "degrade+ddb", "dcv14")


SELECTIONS = ("val_loss", "val_cv14", "val_cv18", "predictive", "last", "ema")


#: columns of ``ablation.csv``
COLUMNS = ["scenario", "method", "theta_factor", "selection", "seed", "epoch", "accuracy_truth",
           "recall_truth", "recall_truth_lowalpha", "cv18", "cv18_lowref", "cv14", "disk_fraction",
           "recall_a1", "recall_a2", "recall_a3", "recall_a4", "recall_a5", "bias_theta", "bias_k", "n_train",
           "n_score", "seconds"]


FEATURES = ["sersic_n", "sersic_e", "sersic_re_kpc"]


INTRINSIC = ["petroRad_kpc", "abs_mag_r", "z"]


@dataclass(frozen=True)
class AblationSettings:
    """The chapter's budget: small images, a small network, subsamples (see the chapter)."""

    px: int = 24
    width: int = 8
    head_width: int = 32
    epochs: int = 3
    batch_size: int = 64
    lr: float = 3e-3
    n_train: int = 1500
    n_val: int = 500
    n_score: int = 3000
    theta_factors: tuple[float, ...] = (0.5, 0.75, 1.0, 1.5, 2.0)
    n_seeds: int = 3
    ema_span_epochs: float = 1.0
    resolved_quantile: float = 0.6
    n_check_bins: int = 10
    cv_alpha_bins: int = 8
    cv_depth: int = 3
    n_boot: int = 20
    s3_objects: int = 0  # 0: n_train + n_val + n_score, with room for stars and the balancing-free cut

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["theta_factors"] = list(self.theta_factors)
        return d

    @classmethod
    def sized_for(cls, labels: pd.DataFrame, **overrides: Any) -> "AblationSettings":
        """Defaults scaled down to what ``labels`` can give (at most 60 % of the training split
        for training, 20 % for validation; at most the evaluation sample for scoring); keyword
        arguments (None = keep) override."""
        n_train_split = int((labels["split"] == "train").sum())
        n_eval = int((labels["split"] == "eval").sum())
        base = cls()
        sized = {"n_train": min(base.n_train, int(0.6 * n_train_split)),
                 "n_val": min(base.n_val, int(0.2 * n_train_split)),
                 "n_score": min(base.n_score, n_eval) if n_eval else base.n_score}
        sized.update({k: (tuple(v) if k == "theta_factors" else v) for k, v in overrides.items() if v is not None})
        return cls(**sized)


@dataclass
class ScenarioData:
    """One scenario's galaxies: ``frame`` (one row per galaxy with ``part`` = train/val/score,
    ``alpha``, ``label``, ``label_d`` (GZ2D, or missing), ``truth``, the intrinsic and Sérsic
    columns, ``psf_px``) and ``images`` (uint8, aligned with ``frame``)."""

    name: str
    frame: pd.DataFrame
    images: np.ndarray
    theta: float  #: theta of the half-Gaussian DDB uses (known in S1, fitted otherwise)
    theta_source: str
    shape: tuple[float, float]  #: (theta, k) of the two-parameter shape, fitted on the training labels
    extra: dict[str, Any] = field(default_factory=dict)

    def part(self, name: str) -> np.ndarray:
        return np.flatnonzero(self.frame["part"].to_numpy() == name)


def _pool(cat: pd.DataFrame, exclude_ids: set[int]) -> pd.DataFrame:
    """Catalog galaxies with a galaxy majority vote and a true galaxy class, minus ``exclude_ids``."""
    gz2b, gz2d = majority_vote(cat, WEIGHTED), majority_vote(cat, DEBIASED)
    t = cat["true_class"].to_numpy()
    keep = (gz2b != 2) & (gz2d != 2) & np.isin(t, (0, 1)) & ~cat["dr7objid"].isin(list(exclude_ids)).to_numpy()
    out = cat.loc[keep].copy()
    out["label"], out["label_d"] = gz2b[keep], gz2d[keep]
    return out


def _draw(pool: pd.DataFrame, held: pd.DataFrame, s: AblationSettings, seed: int) -> pd.DataFrame:
    """``n_train`` + ``n_val`` galaxies drawn at random (not balanced) from ``pool`` and ``n_score``
    from ``held`` (the evaluation sample), with a ``part`` column."""
    rng = seeds.rng(seed, 10)
    n_tv = min(len(pool), s.n_train + s.n_val)
    pick = pool.iloc[np.sort(rng.choice(len(pool), n_tv, replace=False))].copy()
    n_tr = int(round(n_tv * s.n_train / (s.n_train + s.n_val)))
    part = np.array(["val"] * n_tv, dtype=object)
    part[rng.permutation(n_tv)[:n_tr]] = "train"
    pick["part"] = part
    sc = held.iloc[np.sort(rng.choice(len(held), min(len(held), s.n_score), replace=False))].copy()
    sc["part"] = "score"
    return pd.concat([pick, sc], ignore_index=True)


def _frame(sample: pd.DataFrame, image_fov_r90: float, image_size: int) -> pd.DataFrame:
    f = pd.DataFrame({"id": sample["dr7objid"].to_numpy(np.int64), "part": sample["part"].to_numpy(),
                      "alpha": sample["alpha"].to_numpy(float), "label": sample["label"].to_numpy(int),
                      "label_d": sample["label_d"].to_numpy(int), "truth": sample["true_class"].to_numpy(int),
                      "file_loc": sample["file_loc"].to_numpy()})
    for c in INTRINSIC + FEATURES:
        f[c] = sample[c].to_numpy(float)
    f["psf_px"] = psf_sigma_pixels(sample, image_fov_r90, image_size)
    return f


def _images(frame: pd.DataFrame, survey_dir: Path, cache_path: Path, px: int, crop: int | None) -> np.ndarray:
    cache = build_cache(frame, survey_dir, cache_path, crop=crop, progress=False)
    return prepare_images(np.array(cache.images), px)


def _fit_thetas(frame: pd.DataFrame) -> tuple[float, tuple[float, float]]:
    tr = frame[frame["part"] == "train"]
    half = fit_bias_shape(tr["alpha"], tr["label"], n_boot=0, fixed_k=2.0)
    shape = fit_bias_shape(tr["alpha"], tr["label"], n_boot=0)
    return half.theta, (shape.theta, shape.k)


def load_scenarios(cfg: Any, paths: Any, labels: pd.DataFrame, theta_s1: float, s: AblationSettings,
                   scenarios: Sequence[str] = ("S1", "S2", "S3"), log: Callable[[str], None] | None = None
                   ) -> dict[str, ScenarioData]:
    """Build the galaxies and images of each scenario (see the module docstring).

    ``labels`` is chapter 1's ``labels.parquet`` (its val/test/eval ids are kept out of the
    training draw of S1 and S2, and its evaluation sample supplies their scoring galaxies);
    ``theta_s1`` is the bias scale of S1's labels.  S3 renders its own small idealised survey
    into ``<run>/ablation/survey_idealised`` (reused when fresh).
    """
    log = log or (lambda m: None)
    out: dict[str, ScenarioData] = {}
    cat = catalog_mod.add_derived(pd.read_parquet(paths.catalog))
    held_ids = set(labels.loc[labels["split"].isin(["val", "test", "eval"]), "id"].tolist())
    eval_ids = set(labels.loc[labels["split"] == "eval", "id"].tolist())
    base = None
    if {"S1", "S2"} & set(scenarios):
        pool = _pool(cat, held_ids)
        held = _pool(cat, set()).loc[lambda d: d["dr7objid"].isin(list(eval_ids))]
        sample = _draw(pool, held, s, int(cfg.seed))
        base = _frame(sample, cfg.image_fov_r90, cfg.image_size)
        images = _images(base, paths.survey, paths.root / "cache" / "ablation_realistic.npy", s.px, cfg.image_crop)
        log(f"realistic survey: {len(base)} galaxies, images {images.shape[1]} px")
    if "S2" in scenarios:
        th, shape = _fit_thetas(base)
        out["S2"] = ScenarioData("S2", base.copy(), images, th, "fitted (unbinned half-Gaussian, training labels)",
                                 shape)
    if "S1" in scenarios:
        f1 = base.copy()
        rng = seeds.rng(int(cfg.seed), 11)
        b = bias_probability(f1["alpha"].to_numpy(), float(theta_s1))
        f1["label"] = ((f1["truth"] == 1) & (rng.random(len(f1)) >= b)).astype(int)
        f1["label_d"] = -1  # no redshift-debiased labels in the paper's model
        _, shape = _fit_thetas(f1)
        out["S1"] = ScenarioData("S1", f1, images, float(theta_s1), "known (labels drawn with it)", shape)
    if "S3" in scenarios:
        out["S3"] = _idealised(cfg, paths, s, log)
    return {k: out[k] for k in scenarios if k in out}


def _idealised(cfg: Any, paths: Any, s: AblationSettings, log: Callable[[str], None]) -> ScenarioData:
    from ...mock.survey import simulate_survey

    n_all = s.s3_objects or int(1.25 * (s.n_train + s.n_val + s.n_score))
    n_eval = int(round(n_all * s.n_score / (s.n_train + s.n_val + s.n_score))) + 200
    px = max(int(s.px), 16)
    c3 = cfg.replace(survey_realism="idealised", n_galaxies=n_all - n_eval, n_eval=n_eval, image_size=px,
                     hires_size=0, shard_size=max(500, n_all // 4))
    t0 = time.perf_counter()
    cat = catalog_mod.add_derived(simulate_survey(c3, paths.root / "ablation" / "survey_idealised", progress=False))
    pool = _pool(cat, set())
    ev = pool["eval_sample"].to_numpy(bool)
    sample = _draw(pool.loc[~ev], pool.loc[ev], s, int(cfg.seed) + 3)
    f = _frame(sample, c3.image_fov_r90, c3.image_size)
    images = _images(f, paths.root / "ablation" / "survey_idealised",
                     paths.root / "cache" / "ablation_idealised.npy", s.px, None)
    log(f"idealised survey: {len(cat)} objects rendered or reused in {time.perf_counter() - t0:.0f} s")
    th, shape = _fit_thetas(f)
    return ScenarioData("S3", f, images, th, "fitted (unbinned half-Gaussian, training labels)", shape)


class _EpochPredictions(L.Callback):
    """After every training epoch: p(disk) of the validation and scoring galaxies, and an EMA of
    the weights (predicted once, after the last epoch)."""

    def __init__(self, images: np.ndarray, rows: np.ndarray, span_epochs: float, batch: int = 1024):
        self.x = torch.from_numpy(np.ascontiguousarray(images[rows]))
        self.span, self.batch = float(span_epochs), int(batch)
        self.decay = float("nan")
        self.per_epoch: list[np.ndarray] = []
        self.ema: torch.optim.swa_utils.AveragedModel | None = None
        self.ema_p: np.ndarray | None = None

    def _predict(self, net: torch.nn.Module) -> np.ndarray:
        was = net.training
        net.eval()
        out = []
        with torch.no_grad():
            for i in range(0, len(self.x), self.batch):
                out.append(p_disk_of(net(to_float(self.x[i:i + self.batch]))).double().numpy())
        net.train(was)
        return np.concatenate(out)

    def on_train_start(self, trainer, pl_module):
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

        # an EMA whose span is ``span`` epochs of steps: decay = 1 - 2 / (span_steps + 1), so the
        # random initial weights have long faded by the end (a fixed decay such as 0.98 would
        # keep a quarter of them after 70 steps)
        steps = max(1.0, self.span * float(trainer.num_training_batches))
        self.decay = 1.0 - 2.0 / (steps + 1.0)
        self.ema = AveragedModel(pl_module.net, multi_avg_fn=get_ema_multi_avg_fn(self.decay), use_buffers=True)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.ema.update_parameters(pl_module.net)

    def on_train_epoch_end(self, trainer, pl_module):
        self.per_epoch.append(self._predict(pl_module.net))

    def on_train_end(self, trainer, pl_module):
        self.ema_p = self._predict(self.ema.module)


def _spec(s: AblationSettings) -> dict[str, Any]:
    return {"model": "compact", "width": s.width, "n_blocks": 1, "n_stages": 3, "head_width": s.head_width,
            "n_classes": 2}


def _train(images: np.ndarray, y: np.ndarray, alpha: np.ndarray, loss: str, bias: Any, seed: int,
           s: AblationSettings, watch: np.ndarray, watch_images: np.ndarray) -> _EpochPredictions:
    data = CachedImages(np.ascontiguousarray(images), None, y, alpha.astype(np.float32))
    cb = _EpochPredictions(watch_images, watch, s.ema_span_epochs)
    fs = engine.FitSettings(epochs=s.epochs, batch_size=s.batch_size, lr=s.lr, patience=0, seed=int(seed),
                            accelerator="cpu", devices=1, checkpoints=False, channels_last=False)
    engine.fit("ablation", _spec(s), loss, data, None, fs, theta=bias, progress=False, callbacks=[cb])
    return cb


def _training_set(d: ScenarioData, method: str, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, str, Any]:
    """Images, labels, alpha for the loss, the loss name and its bias parameter, for one method."""
    f = d.frame
    tr = d.part("train")
    img, a = d.images[tr], f["alpha"].to_numpy()[tr]
    y = f["label"].to_numpy()[tr]
    if method == "ce_gz2b":
        return img, y, a, "ce", None
    if method == "ce_gz2d":
        return img, f["label_d"].to_numpy()[tr], a, "ce", None
    if method == "ddb":
        return img, y, a, "ddb", d.theta
    if method == "ddb_shape":
        return img, y, a, "ddb_shape", d.shape
    if method in ("degrade", "degrade+ddb"):
        cut = np.quantile(a, d.extra.get("resolved_quantile", 0.6))
        res = np.flatnonzero(a >= cut)
        low = a[a < cut]
        rng = seeds.rng(seed, 12)
        target = rng.choice(low, size=res.size, replace=True)
        deg = degrade_images(img[res], a[res], target, f["psf_px"].to_numpy()[tr][res], rng=rng)
        if method == "degrade":
            return (np.concatenate([img[res], deg]), np.concatenate([y[res], y[res]]),
                    np.concatenate([a[res], target]), "ce", None)
        # DDB on everything, the degraded copies with b = 0 (alpha = inf): their labels were made resolved
        return (np.concatenate([img, deg]), np.concatenate([y, y[res]]),
                np.concatenate([a, np.full(res.size, np.inf)]), "ddb_shape", (d.theta, 2.0))
    raise KeyError(f"unknown CNN method {method!r}")


def _nll(p: np.ndarray, y: np.ndarray, b: np.ndarray) -> float:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-np.mean(np.where(y == 1, np.log((1 - b) * p + 1e-12), np.log(1 - p + b * p))))


def select_epochs(per_epoch: Sequence[np.ndarray], y: np.ndarray, alpha: np.ndarray, b: np.ndarray,
                  intrinsic: np.ndarray, s: AblationSettings) -> dict[str, int]:
    """The epoch (0-based) each label-only rule picks from per-epoch validation p(disk).

    ``b`` is the bias probability the method's loss assumes for each validation galaxy (zeros for
    cross-entropy).  Ties go to the earliest epoch.
    """
    bins = equal_count_bins(alpha, s.n_check_bins)
    n = np.bincount(bins, minlength=s.n_check_bins)
    obs = np.bincount(bins, y.astype(float), s.n_check_bins) / n
    scores: dict[str, list[float]] = {k: [] for k in ("val_loss", "val_cv14", "val_cv18", "predictive")}
    for p in per_epoch:
        hard = (p > 0.5).astype(int)
        scores["val_loss"].append(_nll(p, y, b))
        scores["val_cv14"].append(cv14(alpha, hard, n_bins=s.cv_alpha_bins))
        depth = min(s.cv_depth, max(0, int(np.log2(max(len(y) // (s.cv_alpha_bins * 20), 1)))))
        scores["val_cv18"].append(cv18(alpha, hard, intrinsic, n_bins=s.cv_alpha_bins, depth=depth, n_boot=0).value)
        pred = np.bincount(bins, (1 - b) * p, s.n_check_bins) / n
        scores["predictive"].append(float(np.sum(n * (pred - obs) ** 2) / n.sum()))
    out = {k: int(np.argmin(v)) for k, v in scores.items()}
    out["last"] = len(per_epoch) - 1
    return out


def score(p: np.ndarray, frame: pd.DataFrame, s: AblationSettings, seed: int) -> dict[str, float]:
    """Scores against the truth of the scoring galaxies (``frame``): accuracy, recall of true
    disks (all, lowest alpha quintile, and per quintile ``recall_a1``-``a5``), CV18 in both
    conventions and CV14 of the hard labels, and the disk fraction."""
    hard = (p > 0.5).astype(int)
    t = frame["truth"].to_numpy()
    a = frame["alpha"].to_numpy(float)
    q = equal_count_bins(a, 5)
    disk = t == 1
    rec = [float(hard[disk & (q == k)].mean()) if (disk & (q == k)).any() else np.nan for k in range(5)]
    X = frame[INTRINSIC].to_numpy(float)
    kw = dict(n_bins=s.cv_alpha_bins, depth=s.cv_depth, n_boot=s.n_boot, seed=seed)
    return {"accuracy_truth": float((hard == t).mean()), "recall_truth": float(hard[disk].mean()),
            "recall_truth_lowalpha": rec[0], "cv18": cv18(a, hard, X, **kw).mean,
            "cv18_lowref": cv18(a, hard, X, reference="lowest", **kw).mean, "cv14": cv14(a, hard, s.cv_alpha_bins),
            "disk_fraction": float(hard.mean()), **{f"recall_a{k + 1}": rec[k] for k in range(5)}}


def _bias_of(loss: str, bias: Any, alpha: np.ndarray) -> np.ndarray:
    if loss == "ddb":
        return bias_probability(alpha, float(bias))
    if loss == "ddb_shape":
        return bias_shape_probability(alpha, bias[0], bias[1])
    return np.zeros_like(alpha)


def _configs(d: ScenarioData, s: AblationSettings) -> list[tuple[str, float]]:
    out = [("ce_gz2b", 1.0)]
    if d.name == "S2":  # the redshift-debiased labels of the volunteers of the default survey
        out.append(("ce_gz2d", 1.0))
    factors = s.theta_factors if d.name in ("S1", "S2") else (1.0,)
    out += [("ddb", f) for f in factors] + [("ddb_shape", 1.0)]
    if d.name in ("S1", "S2"):
        out += [("degrade", 1.0), ("degrade+ddb", 1.0)]
    return out


def run_ablation(data: dict[str, ScenarioData], s: AblationSettings, seed: int,
                 log: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Train and score every configuration of every scenario with ``s.n_seeds`` seeds; one row
    per (scenario, method, theta factor, selection rule, seed) with :data:`COLUMNS`."""
    log = log or (lambda m: None)
    rows = []
    with torch_threads(None):
        for name, d in data.items():
            d.extra["resolved_quantile"] = s.resolved_quantile
            f = d.frame
            va, sc = d.part("val"), d.part("score")
            watch = np.concatenate([va, sc])
            a_va, y_va = f["alpha"].to_numpy()[va], f["label"].to_numpy()[va]
            X_va = f[INTRINSIC].to_numpy(float)[va]
            f_sc = f.iloc[sc].reset_index(drop=True)
            for method, factor in _configs(d, s):
                for k in range(s.n_seeds):
                    t0 = time.perf_counter()
                    img, y, a, loss, bias = _training_set(d, method, int(seed) + k)
                    if method == "ddb":
                        loss, bias = "ddb", d.theta * factor
                    cb = _train(img, y, a, loss, bias, int(seed) + k, s, watch, d.images)
                    y_sel = f["label_d"].to_numpy()[va] if method == "ce_gz2d" else y_va
                    picks = select_epochs([p[: len(va)] for p in cb.per_epoch], y_sel, a_va,
                                          _bias_of(loss, bias, a_va), X_va, s)
                    dt = time.perf_counter() - t0
                    bt, bk = ((bias, 2.0) if loss == "ddb" else tuple(bias) if loss == "ddb_shape" else (np.nan, np.nan))
                    common = {"scenario": SCENARIOS[name], "method": method, "theta_factor": factor, "seed": k,
                              "bias_theta": float(bt), "bias_k": float(bk), "n_train": len(y),
                              "n_score": len(sc), "seconds": dt}
                    for rule in SELECTIONS:
                        if rule == "ema":
                            p, ep = cb.ema_p[len(va):], s.epochs - 1
                        else:
                            ep = picks[rule]
                            p = cb.per_epoch[ep][len(va):]
                        rows.append({**common, "selection": rule, "epoch": ep, **score(p, f_sc, s, int(seed))})
                    log(f"{name} {method} x{factor:g} seed {k}: {dt:.1f} s")
            # DCV14: EM on Sérsic features of the training galaxies, no network
            tr = d.part("train")
            ok = f.iloc[tr][FEATURES].notna().all(axis=1).to_numpy()
            ok_sc = f_sc[FEATURES].notna().all(axis=1).to_numpy()
            for k in range(s.n_seeds):
                t0 = time.perf_counter()
                dc = fit_dcv14(f.iloc[tr][FEATURES][ok], f["alpha"].to_numpy()[tr][ok], f["label"].to_numpy()[tr][ok],
                               theta0=d.theta, seed=int(seed) + k)
                p = np.full(len(f_sc), 0.0)
                p[ok_sc] = dc.predict_proba(f_sc.loc[ok_sc, FEATURES])
                rows.append({"scenario": SCENARIOS[name], "method": "dcv14", "theta_factor": 1.0, "selection": "em",
                             "seed": k, "epoch": -1, **score(p, f_sc, s, int(seed)), "bias_theta": float(dc.theta),
                             "bias_k": 2.0, "n_train": int(ok.sum()), "n_score": len(sc),
                             "seconds": time.perf_counter() - t0})
    return pd.DataFrame(rows, columns=COLUMNS)


def write_ablation(path: str | Path, table: pd.DataFrame, s: AblationSettings, inputs: dict[str, Any],
                   extra: dict[str, Any] | None = None) -> Path:
    """Write ``ablation.csv`` atomically with its manifest."""
    return artifacts.write_table(path, table, COLUMNS, {"settings": s.to_dict(), **(extra or {})}, inputs,
                                 code="ablation")
