"""Chapter 2, FERENGI section: real and simulated volunteers shown the same galaxies further away.

- :func:`real_table` - the real GZ:Hubble votes (:mod:`galbias.data.ferengi`) for the galaxies
  that were featured at SDSS resolution and were redshifted to every ``sim_redshift`` (one
  fixed set; the other sets start at higher redshift and are brighter, see that module).
- :func:`simulated_table` - the simulated volunteers' expected features share for nearby
  featured mock disks under the same treatment (:mod:`galbias.mock.ferengi`), on the real
  grid, for a mock set **matched in absolute magnitude** to the real set
  (:func:`match_magnitudes`): in the mock, faint disks lose their features much sooner than
  bright ones, and the real fixed set is fainter than the mock's nearby disks, so comparing
  unmatched sets would mostly compare luminosities.
- :func:`comparison` - both, summarised side by side (:func:`galbias.data.ferengi.summarize`).
- :func:`numbers` - the values the chapter's text quotes; :func:`relative_table` - its table;
  :func:`plot` - its figure.
- :func:`rel_median_sd` - the bootstrap spread (over galaxies) of one cell's relative median;
  :func:`verdict` - real against simulated volunteers in the cells the text quotes, in words
  computed against that spread.

The real galaxies' absolute magnitude is the file's ``R_0``, read as M_r (with WMAP9 it gives
apparent magnitudes r = 12.4-16.7 for these galaxies; its H0 convention is not stated); the
mock's is ``true_abs_mag`` (H0 = 70).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..data import ferengi as real
from ..mock import draw_population
from ..mock import ferengi as mock

__all__ = ["K_MATCH", "REAL", "SIM", "Comparison", "comparison", "match_count", "match_magnitudes", "numbers", "plot",
           "real_table", "rel_median_sd", "relative_table", "simulated_table", "verdict"]

REAL, SIM = "real", "sim"
TITLES = {REAL: "real volunteers (GZ:Hubble, FERENGI images)", SIM: "simulated volunteers (mock disks)"}
#: mock galaxies drawn per real galaxy when matching absolute magnitudes: at least K_MATCH, more
#: for large mock pools (up to POOL_SHARE of the pool's size in draws), for steadier medians
K_MATCH = 3
POOL_SHARE = 0.25


@dataclass(frozen=True)
class Comparison:
    """The two long tables and their summaries (``summary`` has a ``source`` column)."""

    real: pd.DataFrame
    sim: pd.DataFrame
    pool: pd.DataFrame        #: the simulated table for all nearby featured mock disks (unmatched)
    summary: pd.DataFrame
    baselines: dict[str, dict[str, float]]


def real_table(folder: Any = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(fixed, featured)``: real images of the galaxies featured at SDSS resolution, and of
    those among them seen at every sim_redshift (``fixed``, the set the chapter compares)."""
    feat = real.featured(real.join(real.load_galaxies(folder), real.load_images(folder)))
    return real.seen_at_every_redshift(feat), feat


def match_magnitudes(mock_mags: pd.Series, target_mags: Any, k: int = K_MATCH) -> np.ndarray:
    """Ids (the index of ``mock_mags``) of the ``k`` mock galaxies nearest in absolute magnitude
    to each target, one draw per (target, neighbour): a mock galaxy may be drawn for several
    targets, so the matched set has the targets' magnitude distribution."""
    ids, mags = mock_mags.index.to_numpy(), mock_mags.to_numpy(float)
    if len(ids) < k:
        raise ValueError(f"only {len(ids)} mock galaxies to match; need at least k={k}")
    order = np.argsort(np.abs(mags[None, :] - np.asarray(target_mags, float)[:, None]), axis=1, kind="stable")
    return ids[order[:, :k].ravel()]


def match_count(n_pool: int, n_targets: int) -> int:
    """Draws per real galaxy: :data:`K_MATCH`, or more when the pool holds many more galaxies
    (``POOL_SHARE * n_pool / n_targets``)."""
    return max(K_MATCH, int(POOL_SHARE * n_pool / max(n_targets, 1)))


def simulated_table(cfg: Any, real_rows: pd.DataFrame, k: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(matched, pool)``: the simulated volunteers on the real grid for the nearby featured
    mock disks of ``cfg``'s population (``pool``), and for ``k`` (default :func:`match_count`)
    magnitude-matched draws per real galaxy (``matched``; a galaxy drawn twice appears twice,
    with a ``draw`` column)."""
    pop = draw_population(cfg)
    pool = mock.simulate(pop, cfg.seed, sorted(real_rows["sim_redshift"].unique()),
                         sorted(real_rows["sim_evolution"].unique()))
    mags = pop.set_index("dr7objid")["true_abs_mag"]
    pool["abs_mag_r"] = pool["dr7objid"].map(mags).to_numpy(float)
    candidates = pool.groupby("dr7objid")["abs_mag_r"].first()
    targets = real_rows.groupby("sdss_id")["abs_mag_r"].first().to_numpy(float)
    k = match_count(len(candidates), len(targets)) if k is None else k
    draws = pd.DataFrame({"dr7objid": match_magnitudes(candidates, targets, k)})
    draws["draw"] = np.arange(len(draws))
    return draws.merge(pool, on="dr7objid", how="left"), pool


def comparison(cfg: Any, folder: Any = None, k: int | None = None) -> Comparison:
    """Real and (magnitude-matched) simulated volunteers, summarised per (sim_evolution, sim_redshift)."""
    r, feat = real_table(folder)
    s, pool = simulated_table(cfg, r, k)
    z_all = real.load_images(folder)["redshift"]
    summary = pd.concat([real.summarize(r).assign(source=REAL), real.summarize(s, galaxy="draw").assign(source=SIM)],
                        ignore_index=True)
    base = {REAL: real.sdss_baseline(r), SIM: real.sdss_baseline(s, galaxy="draw"),
            "pool": real.sdss_baseline(pool, galaxy="dr7objid")}
    for key, t, gal in ((REAL, r, "sdss_id"), (SIM, s, "draw"), ("pool", pool, "dr7objid")):
        base[key]["abs_mag_median"] = float(t.groupby(gal)["abs_mag_r"].first().median())
        base[key]["n_distinct"] = int(t[gal if key != SIM else "dr7objid"].nunique())
    base[REAL]["n_featured"] = int(feat["sdss_id"].nunique())
    base[REAL]["z0_min_all"], base[REAL]["z0_max_all"] = float(z_all.min()), float(z_all.max())
    starts = sorted(set(feat["min_sim_redshift"]) - set(r["min_sim_redshift"]))
    words = [f"{z:.1f}" for z in starts]
    base[REAL]["other_starts"] = " or ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else "".join(words)
    base[SIM]["k"] = int(s["draw"].nunique() // max(r["sdss_id"].nunique(), 1))
    return Comparison(r, s, pool, summary, base)


def _cell(summary: pd.DataFrame, source: str, z: float, e: float, col: str) -> float:
    row = summary[(summary["source"] == source) & np.isclose(summary["sim_redshift"], z)
                  & np.isclose(summary["sim_evolution"], e)]
    return float(row[col].iloc[0]) if len(row) else float("nan")


def numbers(comp: Comparison) -> dict[str, Any]:
    """Glue values: ``fer_{real,sim}_...`` medians at the nearest and farthest sim_redshift for no
    and the largest evolution, absolute and relative; set sizes and baselines; the camera."""
    s = comp.summary
    z_lo, z_hi = float(s["sim_redshift"].min()), float(s["sim_redshift"].max())
    e_hi = float(s["sim_evolution"].max())
    out: dict[str, Any] = {"fer_z_lo": z_lo, "fer_z_hi": z_hi, "fer_e_hi": e_hi, "fer_z_near": mock.Z_NEAR,
                           "fer_featured_min": real.FEATURED_MIN, "fer_k_match": comp.baselines[SIM]["k"]}
    for src in (REAL, SIM):
        for tag, z, e in (("lo_e0", z_lo, 0.0), ("hi_e0", z_hi, 0.0), ("hi_ehi", z_hi, e_hi)):
            out[f"fer_{src}_p_{tag}"] = _cell(s, src, z, e, "median")
            out[f"fer_{src}_rel_{tag}"] = _cell(s, src, z, e, "rel_median")
    pool = real.summarize(comp.pool, galaxy="dr7objid")
    out["fer_pool_rel_hi_e0"] = _cell(pool.assign(source="pool"), "pool", z_hi, 0.0, "rel_median")
    for key, b in comp.baselines.items():
        for name in ("n_distinct", "median", "z0_median", "abs_mag_median"):
            out[f"fer_{key}_{name}"] = b[name]
    for name in ("n_featured", "z0_min_all", "z0_max_all", "other_starts"):
        out[f"fer_real_{name}"] = comp.baselines[REAL][name]
    out.update({f"fer_{k}": v for k, v in mock.hst_settings().items()})
    return out


def relative_table(comp: Comparison, evolutions: Any = None) -> pd.DataFrame:
    """Median features share relative to each galaxy's own SDSS value, per sim_redshift (rows)
    for real and simulated volunteers at the given evolution values (default: none and the
    largest)."""
    s = comp.summary
    evolutions = evolutions if evolutions is not None else (0.0, float(s["sim_evolution"].max()))
    t = s[np.isin(s["sim_evolution"], evolutions)].copy()
    name = {REAL: "real", SIM: "simulated"}
    t["column"] = [f"{name[src]}, e = {e:g}" for src, e in zip(t["source"], t["sim_evolution"])]
    out = t.pivot(index="sim_redshift", columns="column", values="rel_median")
    out.index = [f"{z:.1f}" for z in out.index]
    out.index.name, out.columns.name = "sim_redshift", None
    return out[sorted(out.columns, key=lambda c: (not c.startswith("real"), c))]


def plot(axes: Any, comp: Comparison, cmap: Any = None) -> None:
    """Median features share against sim_redshift, one line per evolution value (quartiles shaded
    for no evolution), and the SDSS-resolution median with quartiles at the galaxies' median z."""
    import matplotlib.pyplot as plt

    cmap = cmap or plt.get_cmap("viridis")
    evos = sorted(comp.summary["sim_evolution"].unique())
    for ax, src in zip(axes, (REAL, SIM)):
        t = comp.summary[comp.summary["source"] == src]
        for i, e in enumerate(evos):
            c = t[np.isclose(t["sim_evolution"], e)]
            ax.plot(c["sim_redshift"], c["median"], "o-", ms=3, lw=1.3, color=cmap(i / max(len(evos) - 1, 1)),
                    label=f"e = {e:g}")
            if e == 0:
                ax.fill_between(c["sim_redshift"], c["q25"], c["q75"], color="0.6", alpha=0.25, lw=0)
        b = comp.baselines[src]
        ax.errorbar([b["z0_median"]], [b["median"]], yerr=[[b["median"] - b["q25"]], [b["q75"] - b["median"]]],
                    fmt="s", color="k", ms=5, capsize=3, label="SDSS image")
        ax.set_title(f"{TITLES[src]}: {b['n_distinct']} galaxies", fontsize=9)
        ax.set_xlabel("redshift of the image (sim_redshift)")
        ax.set_xlim(-0.02, 1.05)
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("features share (median, quartiles)")
    axes[1].legend(fontsize=7, ncol=2, loc="lower left")
    axes[0].figure.tight_layout()


#: how the simulated volunteers' relative median compares with the real one (less, within the noise, more)
VERDICT_WORDS = ("keep less of their votes than real ones", "keep about as much of their votes as real ones",
                 "keep more of their votes than real ones")
#: the cells the chapter's verdict compares: (key, nearest or farthest redshift, no or largest evolution)
VERDICT_CELLS = (("lo_e0", "lo", "none"), ("hi_e0", "hi", "none"), ("hi_ehi", "hi", "max"))


def rel_median_sd(table: pd.DataFrame, z: float, e: float, galaxy: str = "sdss_id", n_boot: int = 200,
                  seed: int = 0) -> float:
    """Bootstrap sd of the median ``p_rel`` in the cell (``sim_redshift`` = z, ``sim_evolution`` =
    e) of ``table``, resampling *galaxies* (column ``galaxy``) with all their rows; NaN for an
    empty cell or fewer than two galaxies."""
    cell = table[np.isclose(table["sim_redshift"], z) & np.isclose(table["sim_evolution"], e)]
    groups = [g.to_numpy(float) for _, g in cell.groupby(galaxy)["p_rel"]]
    groups = [g[np.isfinite(g)] for g in groups]
    groups = [g for g in groups if g.size]
    if len(groups) < 2 or n_boot < 2:
        return float("nan")
    rng = np.random.default_rng(seed)
    meds = [np.median(np.concatenate([groups[i] for i in rng.integers(0, len(groups), len(groups))]))
            for _ in range(n_boot)]
    return float(np.std(meds, ddof=1))


def verdict(comp: Comparison, n_boot: int = 200, seed: int = 0, k: float = 2.0) -> dict[str, Any]:
    """Real against simulated volunteers in :data:`VERDICT_CELLS`: for each cell ``key``, the
    difference of the relative medians (``fer_diff_<key>`` = simulated - real), its bootstrap sd
    (``fer_diff_sd_<key>``; real galaxies and distinct mock disks resampled) and a word
    (``fer_word_<key>``, one of :data:`VERDICT_WORDS`).

    Also the fan-out with evolution at the farthest redshift, ``fer_fan_real`` and ``fer_fan_sim``
    (relative median with the largest evolution minus without), with ``fer_word_fan`` ("fan out
    more than", "fan out about as much as", "fan out less than" the real ones) and
    ``fer_n_agree``, the number of the three cells within the noise."""
    from .words import noise_word

    s = comp.summary
    zs = {"lo": float(s["sim_redshift"].min()), "hi": float(s["sim_redshift"].max())}
    es = {"none": 0.0, "max": float(s["sim_evolution"].max())}
    out: dict[str, Any] = {}
    sds: dict[tuple[str, str], float] = {}
    for src, table, gal in ((REAL, comp.real, "sdss_id"), (SIM, comp.sim, "dr7objid")):
        for zk, z in zs.items():
            for ek, e in es.items():
                sds[(src, f"{zk}_{ek}")] = rel_median_sd(table, z, e, gal, n_boot, seed)
    n_agree = 0
    for key, zk, ek in VERDICT_CELLS:
        z, e = zs[zk], es[ek]
        diff = _cell(s, SIM, z, e, "rel_median") - _cell(s, REAL, z, e, "rel_median")
        sd = float(np.hypot(sds[(SIM, f"{zk}_{ek}")], sds[(REAL, f"{zk}_{ek}")]))
        word = noise_word(diff, sd, k, words=VERDICT_WORDS)
        n_agree += word == VERDICT_WORDS[1]
        out.update({f"fer_diff_{key}": diff, f"fer_diff_sd_{key}": sd, f"fer_word_{key}": word})
    fan = {}
    for src in (REAL, SIM):
        fan[src] = (_cell(s, src, zs["hi"], es["max"], "rel_median") - _cell(s, src, zs["hi"], 0.0, "rel_median"))
    fan_sd = float(np.sqrt(sum(sds[(src, c)] ** 2 for src in (REAL, SIM) for c in ("hi_none", "hi_max"))))
    out.update(fer_fan_real=fan[REAL], fer_fan_sim=fan[SIM], fer_fan_sd=fan_sd, fer_n_agree=int(n_agree),
               fer_word_fan=noise_word(fan[SIM] - fan[REAL], fan_sd, k,
                                       words=("fan out less than", "fan out about as much as", "fan out more than")))
    return out
