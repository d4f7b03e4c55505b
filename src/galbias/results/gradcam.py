r"""Chapter 8: class averages and radial profiles of the GradCAM maps (paper §5.4.4, Figs 12-14).

The paper averages the GradCAM maps (:mod:`galbias.methods.gradcam`) of each network over all
test galaxies *predicted* disk (and, separately, smooth) and plots the mean intensity against
the distance from the image centre; it reads them as "the cross-entropy networks look at the
bulge, DDB at the whole galaxy".

- :func:`average_maps` - the mean map over a boolean selection (chunked, float64).
- :func:`radial_profile` - the mean intensity in annuli about the image centre.
- :func:`mean_radius` - the intensity-weighted mean distance from the centre of each map,
  a one-number summary of how spread out a map is.
- :func:`summarise` - average map, radial profile and those summaries for one model and
  one predicted class; :func:`compare_spread` / :func:`paper_agreement` put the comparison
  of DDB with the cross-entropy networks into words for the text.
- :func:`overlay` - an image blended with its map, for the example figure.

What chapter 8 shows, as arrays, tables and numbers to glue:

- :func:`predicted_class` - the GradCAM target of every galaxy (the class a network predicts).
- :func:`class_maps` - :func:`summarise` for every network and predicted class (:data:`CLASSES`);
  :func:`write_means` writes the averages to ``gradcam/<network>_mean_<class>.npy``.
- :func:`spread_table` (Table 8.1) and :func:`spread_numbers` - the extent of the maps and the
  comparison of DDB with the cross-entropy networks in words.
- :func:`geometry_numbers` - feature-grid size, receptive-field stride and the library's offset.
- :func:`light_radii`, :func:`light_profile` - where the galaxies' light is, for comparison.
- :func:`changed_examples`, :func:`example_tiles` - a few galaxies DDB changed, with their maps.
- :data:`SPREAD_CAPTION` - Table 8.1's caption (the chapter's figures are
  :mod:`galbias.compendium.gradcamplots`);
  :func:`paper_geometry_numbers` - the paper's ResNet50 grid and offset.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..core import artifacts
from ..methods.gradcam import (
    _Rows,
    feature_size,
    library_offset,
    receptive_field_geometry,
)
from ..reference import PAPER_GRADCAM_CLAIM
from .hires import changed_mask, describe
from .networks import by_name

__all__ = ["CLASSES", "RADIAL_DEFAULT_BINS", "ClassMaps", "MapSummary", "average_maps", "changed_examples",
           "class_maps", "compare_spread", "example_tiles", "geometry_numbers", "light_profile", "light_radii",
           "mean_image", "mean_radius", "overlay", "paper_agreement", "predicted_class", "radial_profile",
           "radius_grid", "seed_spread", "spread_numbers", "spread_table", "summarise", "write_means",
           "SPREAD_CAPTION", "paper_geometry_numbers"]

#: the predicted classes the maps are averaged over (target index -> name), in the figures' order
CLASSES = {1: "disk", 0: "smooth"}

#: annuli of the radial profiles
RADIAL_DEFAULT_BINS = 12


def average_maps(maps: np.ndarray, mask: np.ndarray | None = None, chunk: int = 1024) -> np.ndarray:
    """Mean (H, W) map (float64) of the ``maps`` selected by boolean ``mask`` (all when None).

    Works chunk by chunk, so a float16 memory map of any size can be averaged.  An empty
    selection gives a map of NaN (no galaxy was predicted in that class).
    """
    n, h, w = maps.shape
    sel = np.arange(n) if mask is None else np.flatnonzero(np.asarray(mask, bool))
    if mask is not None and len(np.asarray(mask)) != n:
        raise ValueError(f"mask has {len(np.asarray(mask))} entries for {n} maps")
    if sel.size == 0:
        return np.full((h, w), np.nan)
    total = np.zeros((h, w), dtype=np.float64)
    for s in range(0, sel.size, chunk):
        total += np.asarray(maps[sel[s:s + chunk]], dtype=np.float64).sum(axis=0)
    return total / sel.size


def mean_image(images: Any, rows: np.ndarray | None = None, chunk: int = 1024) -> np.ndarray:
    """Mean grey level (H, W), in [0, 1], of uint8 (N, H, W, 3) ``images`` (or ``images[rows]``), chunked."""
    src = images if rows is None else _Rows(images, rows)
    n = len(src)
    if n == 0:
        raise ValueError("mean_image needs at least one image")
    total = np.zeros(tuple(src.shape[1:3]), dtype=np.float64)
    for s in range(0, n, chunk):
        total += np.asarray(src[s:s + chunk], dtype=np.float64).mean(axis=3).sum(axis=0)
    return total / (255.0 * n)


def radius_grid(shape: tuple[int, int]) -> np.ndarray:
    """Distance (pixels) of every pixel centre from the image centre ((H-1)/2, (W-1)/2)."""
    h, w = shape
    y = np.arange(h) - (h - 1) / 2
    x = np.arange(w) - (w - 1) / 2
    return np.hypot(y[:, None], x[None, :])


def radial_profile(image: np.ndarray, n_bins: int = RADIAL_DEFAULT_BINS, r_max: float | None = None) -> pd.DataFrame:
    """Mean value of a 2-d map in ``n_bins`` equal-width annuli about the image centre.

    ``r_max`` defaults to half the smaller side (the inscribed circle: beyond it the annuli
    are cut by the image edges, and the corners are left out).  Returns one row per annulus:
    ``r_lo``, ``r_hi``, ``r_mid`` (pixels), ``r_frac`` (``r_mid / r_max``), ``mean``
    (NaN for an annulus without pixel centres) and ``n_pix``.
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2:
        raise ValueError(f"radial_profile needs a 2-d map, got shape {image.shape}")
    n_bins = int(n_bins)
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    r = radius_grid(image.shape)
    r_max = float(min(image.shape) / 2 if r_max is None else r_max)
    edges = np.linspace(0.0, r_max, n_bins + 1)
    idx = np.digitize(r, edges[1:-1], right=False)  # 0..n_bins-1 for r < r_max
    inside = r <= r_max
    idx, vals = idx[inside], image[inside]
    count = np.bincount(idx, minlength=n_bins)[:n_bins]
    total = np.bincount(idx, weights=vals, minlength=n_bins)[:n_bins]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    mid = 0.5 * (edges[:-1] + edges[1:])
    return pd.DataFrame({"r_lo": edges[:-1], "r_hi": edges[1:], "r_mid": mid, "r_frac": mid / r_max,
                         "mean": mean, "n_pix": count})


def mean_radius(maps: np.ndarray, r_max: float | None = None, chunk: int = 1024) -> np.ndarray:
    """Intensity-weighted mean distance from the centre, in units of ``r_max``, of each map.

    ``maps`` is (N, H, W) (or one (H, W) map, giving a 0-d array); only pixels within
    ``r_max`` (default: half the smaller side) count.  0 = all intensity at the centre; a
    uniform map over the disk of radius ``r_max`` gives 2/3.  NaN for an all-zero map.
    """
    arr = maps if hasattr(maps, "shape") else np.asarray(maps)
    single = arr.ndim == 2
    if single:
        arr = arr[None]
    n, h, w = arr.shape
    r_max = float(min(h, w) / 2 if r_max is None else r_max)
    r = radius_grid((h, w))
    inside = (r <= r_max).ravel()
    rr = (r.ravel()[inside] / r_max)
    out = np.empty(n, dtype=np.float64)
    for s in range(0, n, chunk):
        m = np.asarray(arr[s:s + chunk], dtype=np.float64).reshape(-1, h * w)[:, inside]
        tot = m.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[s:s + chunk] = np.where(tot > 0, (m @ rr) / np.where(tot > 0, tot, 1), np.nan)
    return out[0] if single else out


@dataclass(frozen=True)
class MapSummary:
    """Summary of the maps of one model and one predicted class (chapter 8's table)."""

    n: int
    mean_radius_of_average: float
    mean_radius_per_galaxy: float
    mean_radius_per_galaxy_se: float
    peak_r_frac: float
    n_empty: int


def summarise(maps: np.ndarray, mask: np.ndarray,
              n_bins: int = RADIAL_DEFAULT_BINS) -> tuple[np.ndarray, pd.DataFrame, MapSummary]:
    """Average map, its radial profile and :class:`MapSummary` for the maps selected by ``mask``."""
    mask = np.asarray(mask, bool)
    avg = average_maps(maps, mask)
    prof = radial_profile(avg, n_bins)
    sel = np.flatnonzero(mask)
    per = np.concatenate([mean_radius(maps[sel[s:s + 1024]]) for s in range(0, sel.size, 1024)]) \
        if sel.size else np.zeros(0)
    ok = np.isfinite(per)
    n_ok = int(ok.sum())
    summary = MapSummary(
        n=int(sel.size),
        mean_radius_of_average=float(mean_radius(avg)) if sel.size else float("nan"),
        mean_radius_per_galaxy=float(per[ok].mean()) if n_ok else float("nan"),
        mean_radius_per_galaxy_se=float(per[ok].std(ddof=1) / np.sqrt(n_ok)) if n_ok > 1 else float("nan"),
        peak_r_frac=(float(prof["r_frac"].iloc[int(np.nanargmax(prof["mean"].to_numpy()))]) if sel.size
                     else float("nan")),
        n_empty=int((~ok).sum()),
    )
    return avg, prof, summary


def compare_spread(a: MapSummary, b: MapSummary, z: float = 2.0, extra_sd: float = 0.0) -> str:
    """Words for how the maps summarised by ``a`` compare in extent with those of ``b``.

    Compares the mean per-galaxy :func:`mean_radius`; the difference counts only when it
    exceeds ``z`` times its noise: the two standard errors (the sets treated as independent
    samples) combined with ``extra_sd`` (for instance the seed-to-seed spread of the two
    networks, :func:`seed_spread`; NaN counts as 0).  Returns "more extended than", "more
    concentrated than", "about as extended as", or "not comparable with" when either set is
    empty.
    """
    d = a.mean_radius_per_galaxy - b.mean_radius_per_galaxy
    extra = float(extra_sd) if np.isfinite(extra_sd) else 0.0
    se = float(np.sqrt(a.mean_radius_per_galaxy_se ** 2 + b.mean_radius_per_galaxy_se ** 2 + extra ** 2))
    if not np.isfinite(d):
        return "not comparable with"
    if not np.isfinite(se) or abs(d) <= z * se:
        return "about as extended as"
    return "more extended than" if d > 0 else "more concentrated than"


def overlay(image: np.ndarray, cam: np.ndarray, weight: float = 0.5, cmap: str = "jet") -> np.ndarray:
    """A uint8 RGB picture: ``image`` (H, W, 3 uint8) blended with a colour-mapped ``cam`` in [0, 1]."""
    import matplotlib

    img = np.asarray(image, dtype=np.float64) / 255
    c = np.clip(np.nan_to_num(np.asarray(cam, dtype=np.float64)), 0, 1)
    if c.shape != img.shape[:2]:
        raise ValueError(f"map {c.shape} and image {img.shape[:2]} differ in size")
    heat = matplotlib.colormaps[cmap](c)[..., :3]
    return np.round(255 * ((1 - weight) * img + weight * heat)).astype(np.uint8)


def paper_agreement(comparisons: Sequence[str]) -> str:
    """"as in the paper" when every :func:`compare_spread` result says DDB's maps are more
    extended, "unlike the paper" when none does, "partly as in the paper" otherwise; results
    "not comparable with" (an empty set of maps) are left out, and "not testable in this run"
    when nothing is left."""
    if not comparisons:
        raise ValueError("no comparisons given")
    hits = [c == PAPER_GRADCAM_CLAIM for c in comparisons if c != "not comparable with"]
    if not hits:
        return "not testable in this run"
    return "as in the paper" if all(hits) else ("unlike the paper" if not any(hits) else "partly as in the paper")


# --- what chapter 8 shows -----------------------------------------------------------------------

def predicted_class(frame: pd.DataFrame, name: str, threshold: float = 0.5) -> np.ndarray:
    """GradCAM's target per galaxy: 1 (disk) where ``p_disk_<name> > threshold``, else 0 (int64)."""
    p = pd.to_numeric(frame[f"p_disk_{name}"], errors="coerce").astype(float).to_numpy()
    return (p > threshold).astype(np.int64)


class ClassMaps(NamedTuple):
    """The maps of one network and one predicted class: average map, its radial profile, summary."""

    mean: np.ndarray
    profile: pd.DataFrame
    summary: MapSummary


def class_maps(maps: Mapping[str, np.ndarray], targets: Mapping[str, np.ndarray],
               n_bins: int = RADIAL_DEFAULT_BINS) -> dict[tuple[str, str], ClassMaps]:
    """:func:`summarise` for every network of ``maps`` and every class of :data:`CLASSES`.

    Keys ``(network, class name)``, in the order of ``maps`` and then of :data:`CLASSES`.
    """
    out = {}
    for name, m in maps.items():
        t = np.asarray(targets[name])
        if t.shape != (len(m),):
            raise ValueError(f"{name}: {t.shape[0] if t.ndim else 0} targets for {len(m)} maps")
        for k, cls in CLASSES.items():
            out[name, cls] = ClassMaps(*summarise(m, t == k, n_bins))
    return out


def write_means(gdir: str | os.PathLike, results: Mapping[tuple[str, str], ClassMaps]) -> list[Path]:
    """Write each average map to ``gdir/<network>_mean_<class>.npy`` (float32); return the paths."""
    paths = []
    for (name, cls), r in results.items():
        paths.append(artifacts.write_npy(Path(gdir) / f"{name}_mean_{cls}.npy", r.mean.astype(np.float32)))
    return paths


def _title(name: str) -> str:
    try:
        return by_name(name).title
    except KeyError:
        return name


def spread_table(results: Mapping[tuple[str, str], ClassMaps],
                 seed_sd: Mapping[tuple[str, str], float] | None = None) -> pd.DataFrame:
    """Table 8.1: one row per (network title, predicted class) with the :class:`MapSummary`
    numbers (``r̄ mean map``: mean radius of the average map; ``r̄ per galaxy`` with its
    standard error; ``peak at``: the brightest annulus; ``empty``: maps that are zero everywhere)
    and, with ``seed_sd`` (:func:`seed_spread`), the seed-to-seed sd of ``r̄ per galaxy``."""
    rows = []
    for (name, cls), r in results.items():
        s = r.summary
        row = {"network": _title(name), "predicted": cls, "galaxies": s.n, "r̄ mean map": s.mean_radius_of_average,
               "r̄ per galaxy": s.mean_radius_per_galaxy, "± s.e.": s.mean_radius_per_galaxy_se}
        if seed_sd is not None:
            row["seed sd"] = seed_sd.get((name, cls), float("nan"))
        row.update({"peak at": s.peak_r_frac, "empty": s.n_empty})
        rows.append(row)
    return pd.DataFrame(rows).set_index(["network", "predicted"])


def seed_spread(results: Mapping[tuple[str, str], ClassMaps], network_of: Mapping[str, str]
                ) -> dict[tuple[str, str], float]:
    """Seed-to-seed standard deviation of the mean per-galaxy radius, per (network, class).

    ``results`` is :func:`class_maps` over every training (keys ``(training name, class)``);
    ``network_of`` maps a training's name (``ddb``, ``ddb_s1``, ...) to its network's
    (:class:`galbias.results.networks.Member`).  NaN where fewer than two trainings have maps
    of that class.
    """
    vals: dict[tuple[str, str], list[float]] = {}
    for (name, cls), r in results.items():
        v = r.summary.mean_radius_per_galaxy
        if name in network_of and np.isfinite(v):
            vals.setdefault((network_of[name], cls), []).append(float(v))
    out = {k: float(np.std(v, ddof=1)) if len(v) > 1 else float("nan") for k, v in vals.items()}
    for name, cls in results:
        out.setdefault((network_of.get(name, name), cls), float("nan"))
    return out


def spread_numbers(results: Mapping[tuple[str, str], ClassMaps], reference: str = "ddb",
                   seed_sd: Mapping[tuple[str, str], float] | None = None) -> dict[str, Any]:
    """Numbers and words of the text, per network ``<n>`` and class ``<c>``.

    ``n_<c>_<n>`` (galaxies), ``mr_<c>_<n>`` (mean per-galaxy radius), ``peak_<c>_<n>`` (brightest
    annulus), ``sd_<c>_<n>`` (seed-to-seed sd, NaN without ``seed_sd``); for every other
    network, ``cmp_<c>_<n>`` (:func:`compare_spread` of ``reference``'s maps with that
    network's, with the two networks' seed spreads added to the noise) and per class
    ``agree_<c>`` (:func:`paper_agreement` of those); ``classes_agree``, ``classes_unlike``,
    ``classes_partly``, ``classes_untestable`` (the classes with each verdict, as text: "the disk
    maps", "the disk maps and the smooth maps", "no class"); ``noise_kind`` says what the noise
    includes.
    """
    sd = dict(seed_sd or {})
    out: dict[str, Any] = {}
    for (name, cls), r in results.items():
        out.update({f"n_{cls}_{name}": r.summary.n, f"mr_{cls}_{name}": r.summary.mean_radius_per_galaxy,
                    f"peak_{cls}_{name}": r.summary.peak_r_frac, f"sd_{cls}_{name}": sd.get((name, cls), float("nan"))})
    for cls in CLASSES.values():
        others = [n for (n, c) in results if c == cls and n != reference]
        if (reference, cls) not in results or not others:
            continue
        cmps = {n: compare_spread(results[reference, cls].summary, results[n, cls].summary,
                                  extra_sd=float(np.sqrt(np.nansum([sd.get((reference, cls), np.nan) ** 2,
                                                                     sd.get((n, cls), np.nan) ** 2]))))
                for n in others}
        out.update({f"cmp_{cls}_{n}": c for n, c in cmps.items()})
        out[f"agree_{cls}"] = paper_agreement(list(cmps.values()))
    for key, word in (("classes_agree", "as in the paper"), ("classes_unlike", "unlike the paper"),
                      ("classes_partly", "partly as in the paper"), ("classes_untestable", "not testable in this run")):
        hit = [c for c in CLASSES.values() if out.get(f"agree_{c}") == word]
        out[key] = " and ".join(f"the {c} maps" for c in hit) if hit else "no class"
    has_sd = any(np.isfinite(v) for v in sd.values())
    out["noise_kind"] = ("twice the combined standard error over galaxies and seed-to-seed spread of the two "
                         "networks" if has_sd else "twice its standard error over galaxies (one training per network: "
                         "the seed-to-seed spread is not included)")
    return out


def geometry_numbers(model: Any, image_hw: tuple[int, int]) -> dict[str, float]:
    """``feat_px`` (side of the explained layer's output), ``image_px``, ``rf_stride`` (pixels between
    cell centres) and ``lib_offset_px`` (:func:`~galbias.methods.gradcam.library_offset`)."""
    return {"feat_px": int(feature_size(model, image_hw)[0]), "image_px": int(image_hw[0]),
            "rf_stride": receptive_field_geometry(model)[0], "lib_offset_px": library_offset(model, image_hw)}


def light_radii(frame: pd.DataFrame, image_fov_r90: float, image_size: int,
                image_crop: int | None = None) -> dict[str, float]:
    """Where the light is, in units of half the image width: ``r90_frac`` and ``r50_frac``.

    The survey images span ``image_fov_r90`` x ``petroR90_r`` across ``image_size`` pixels, and
    a centre crop to ``image_crop`` pixels keeps that share of the field, so R90 lies at
    ``2 / fov`` half-widths; ``r50_frac`` scales it by the median ``petroR50_r / petroR90_r``
    of ``frame`` (NaN without those columns).
    """
    fov = image_fov_r90 * (image_crop or image_size) / image_size
    r90 = 2.0 / fov
    if {"petroR50_r", "petroR90_r"} <= set(frame.columns) and len(frame):
        ratio = frame["petroR50_r"].to_numpy(float) / frame["petroR90_r"].to_numpy(float)
        r50 = float(np.nanmedian(ratio)) * r90
    else:
        r50 = float("nan")
    return {"r50_frac": float(r50), "r90_frac": float(r90)}


def light_profile(images: Any, rows: np.ndarray | None = None,
                  n_bins: int = RADIAL_DEFAULT_BINS) -> tuple[pd.DataFrame, float]:
    """Radial profile and :func:`mean_radius` of the mean image, sky subtracted.

    The sky is the median of the mean image beyond its inscribed circle (the corners); the
    result is clipped at 0.  Returns (:func:`radial_profile` table, mean radius).
    """
    light = mean_image(images, rows)
    corners = radius_grid(light.shape) > min(light.shape) / 2
    sky = float(np.median(light[corners])) if corners.any() else 0.0
    light = np.clip(light - sky, 0, None)
    return radial_profile(light, n_bins), float(mean_radius(light))


def changed_examples(frame: pd.DataFrame, n: int, seed: int, model: str = "ddb",
                     from_col: str = "gz2b") -> np.ndarray:
    """Positions in ``frame`` of ``n`` random galaxies that ``model`` changed from smooth to disk (sorted)."""
    changed = np.flatnonzero(changed_mask(frame, model, from_col))
    k = min(int(n), changed.size)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(changed, k, replace=False)) if k else changed


def example_tiles(images: Any, rows: np.ndarray, frame: pd.DataFrame, maps: Mapping[str, np.ndarray],
                  targets: Mapping[str, np.ndarray], pick: np.ndarray,
                  networks: Sequence[str] = ("ce_gz2b", "ddb")) -> tuple[list[np.ndarray], list[str], list[str]]:
    """Tiles, titles and row labels for :func:`galbias.compendium.plots.image_grid`.

    First row: the survey images of the galaxies at positions ``pick`` of ``frame`` (image
    ``images[rows[i]]``) with alpha and the true class; then one row per network with the image
    overlaid by its map (:func:`overlay`) and the predicted class with its p(disk).  Titles have
    two short lines, so that they stay readable in narrow tiles.
    """
    imgs = [np.asarray(images[rows[i]]) for i in pick]
    tiles = list(imgs)
    titles = [f"α={frame['alpha'].iloc[i]:.1f}" + (f"\n{d.replace('true ', '')}" if (d := describe(frame.iloc[i]))
                                                  else "") for i in pick]
    for name in networks:
        for img, i in zip(imgs, pick):
            tiles.append(overlay(img, np.asarray(maps[name][i], dtype=np.float32)))
            titles.append(f"→ {CLASSES[int(targets[name][i])]}\np={frame[f'p_disk_{name}'].iloc[i]:.2f}")
    return tiles, titles, ["survey image", *[_title(n) for n in networks]]


# --- chapter 8's tables ---------------------------------------------------------------------------

#: caption of Table 8.1 (:func:`spread_table`)
SPREAD_CAPTION = (
    "Table 8.1. Extent of the GradCAM maps (seed-0 networks): r̄ is the intensity-weighted mean distance "
    "from the centre, in units of half the image width (0 = all at the centre, 0.67 = uniform over the "
    "image's inscribed circle), of the average map (\"r̄ mean map\") and, averaged over galaxies, of the "
    "individual maps (\"r̄ per galaxy\", with its standard error over galaxies and its standard deviation "
    "over chapter 4's seeds); \"peak at\" is the radius of the brightest annulus of the average map and "
    "\"empty\" the number of galaxies whose map is zero everywhere (every weighted feature map negative).")


def paper_geometry_numbers(crop_px: int) -> dict[str, float]:
    """``paper_crop_px``, ``paper_lib_offset_px`` and ``paper_feat_px``: the paper's ResNet50 on
    ``crop_px``-pixel crops (:func:`~galbias.methods.gradcam.library_offset`, ``feature_size``)."""
    from ..methods.models import paper_resnet50

    rn50 = paper_resnet50()
    return {"paper_crop_px": crop_px, "paper_lib_offset_px": library_offset(rn50, (crop_px, crop_px)),
            "paper_feat_px": feature_size(rn50, (crop_px, crop_px))[0]}
