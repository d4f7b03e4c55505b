"""Run profiles and the run-folder layout.

A *profile* fixes every knob of a run (data source, sizes, seeds, fit settings).  Notebooks
take only ``profile`` as a required parameter; anything else may be overridden by name::

    cfg = get_profile("demo", n_galaxies=5000)

Unknown profile names and unknown parameter names raise :class:`ConfigError` listing the
valid ones.  Artifacts of a run live under ``data/runs/<profile>/`` (see :func:`run_dir`);
the environment variable ``GALBIAS_RUNS`` moves that root (the tests use it).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from ..core.errors import ConfigError
from ..core.paths import repo_root
from .params import coerce


@dataclass(frozen=True)
class Profile:
    """Every setting of a run.  Defaults are the ``demo`` profile's."""

    name: str = "demo"
    #: ``mock`` (simulated survey, truth known) or ``gz2`` (real Galaxy Zoo 2 data)
    data_source: str = "mock"
    seed: int = 20240101

    # --- mock survey (chapter 0) -------------------------------------------------------
    #: "realistic" (class mix, sizes, colours and shapes as in real samples; volunteers who are
    #: occasionally fooled by smooth galaxies too) or "idealised" (the earlier survey, built so
    #: that the true class mix does not depend on alpha); see chapter 0
    survey_realism: str = "realistic"
    #: galaxies + stars/artifacts in the final (selected) catalog, for the labelled sample
    n_galaxies: int = 25_000
    #: extra objects of the same survey and selection held out as the evaluation sample
    #: (never trained on, fitted or selected on; simulated survey only, 0 for real data)
    n_eval: int = 20_000
    #: fraction of catalog entries that are stars or image artifacts
    star_fraction: float = 0.03
    #: side of the survey JPEG in pixels.  Demo: 48 px over 4.14 R90, so the PSF's sigma spans
    #: about 1.5 px at the median alpha (~8) and the trainings fit the 15-minute book (a 64-px
    #: training step costs twice as much on 2 CPU cores; make bench)
    image_size: int = 48
    #: field of view of the survey JPEG in units of petroR90_r.  GZ2 cut-outs are 424 px at
    #: 0.02 petroR90_r per pixel (8.48 R90); the paper trains on the central 207 px (4.14 R90).
    #: The CPU profiles render the 207-px crop directly at ``image_size``.
    image_fov_r90: float = 4.14
    #: side of the high-resolution ("space telescope") view in pixels
    hires_size: int = 64
    #: volunteer classifications per object (GZ2: ~40 on average)
    n_votes: int = 40
    #: galaxies rendered per shard (the unit of resumption)
    shard_size: int = 2_500
    #: worker processes for rendering (0 = all cores)
    n_workers: int = 0
    #: JPEG quality of the survey images
    jpeg_quality: int = 90

    # --- labels (chapter 1) ---------------------------------------------------------------
    #: size of the balanced sample (None = the largest balanced sample available)
    sample_size: int | None = None
    #: train / validation / test fractions (paper: 97,600 / 12,192 / 12,192)
    split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
    #: redshift bins for the Willett13-style debiasing of vote fractions
    debias_z_bins: int = 8
    #: bins in absolute magnitude and in physical size for the debiasing
    debias_mag_bins: int = 6
    debias_size_bins: int = 6

    # --- bias model and metrics (chapters 2, 3, 5) ------------------------------------------
    #: equal-count alpha bins for the theta fit (paper: 1525 on 97,600 training galaxies)
    theta_bins: int = 200
    #: alpha bins per cell (B) and k-d tree depth (L) of CV18; alpha bins of CV14
    cv_alpha_bins: int = 8
    cv_depth: int = 3
    cv14_bins: int = 8
    n_bootstrap: int = 100

    # --- training (chapter 4) ---------------------------------------------------------------
    #: network: "compact" (small ResNet, CPU profiles) or "resnet50" (the paper's)
    model: str = "compact"
    #: channels of the compact ResNet's first stage (doubled at each later stage).  Demo: 8,
    #: so that nine trainings fit the 15-minute book on 2 CPU cores (twice the images per
    #: second of width 16 at 48 px; make bench)
    model_width: int = 8
    #: stages, and BasicBlocks per stage, of the compact ResNet
    model_stages: int = 3
    model_blocks: int = 1
    #: size of the dense ReLU layer between the pooled features and the two logits (paper: 1024)
    head_width: int = 128
    #: centre crop in pixels applied when the images are cached (paper: 207 of 424);
    #: None = whole image (the CPU profiles render the paper's crop directly)
    image_crop: int | None = None
    #: maximum epochs (the cosine learning-rate schedule spans them), minibatch size.  Demo: nine
    #: trainings (three networks x three seeds) of 3 epochs on ~11,800 galaxies at 48 px, to fit
    #: the 15-minute book; on the realistic survey the validation losses and the truth accuracy
    #: still improve slowly at the end (chapter 4's learning curves), so more epochs are a
    #: documented variant (--set epochs=8)
    epochs: int = 3
    batch_size: int = 128
    #: optimiser ("adamw": decoupled weight decay; "adam"), learning rate and weight decay; the
    #: learning rate is warmed up over 3% of the steps, then "cosine"-annealed or kept "constant"
    optimizer: str = "adamw"
    lr: float = 2e-3
    weight_decay: float = 1e-4
    schedule: str = "cosine"
    #: Lightning precision: "32-true" or "bf16-mixed" (autocast to bfloat16; channels-last either way)
    precision: str = "32-true"
    #: where and how to train: Lightning's accelerator ("auto", "cpu", "gpu"), devices per node
    #: and strategy ("auto"; "ddp" for several GPUs or CPU processes, also under torchrun / srun)
    accelerator: str = "auto"
    devices: int = 1
    strategy: str = "auto"
    #: machines of a multi-node run (SLURM / torchrun); devices is per node
    num_nodes: int = 1
    #: torch.compile the network before training (a measured option for GPUs; see make bench)
    compile_model: bool = False
    #: early stopping: epochs without a lower validation loss before stopping (0 = never stop)
    patience: int = 3
    #: trainings of every chapter-4 network with seeds seed, seed+1, ... (tables give mean ± sd)
    n_seeds: int = 3
    #: train on a random subset of this many training galaxies (None = all)
    train_subsample: int | None = None
    #: DataLoader worker processes (0 = load in the training process, best on 2 CPU cores;
    #: -1 = from the usable cores: min(8, cores - 1))
    num_workers: int = 0

    #: free-form extra settings for later chapters (read with ``cfg.extra.get(...)``)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # every setting is checked (and normalised: a list where a tuple is expected) when a
        # profile is made, so a bad value never reaches a chapter
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, coerce(f.name, getattr(self, f.name)))

    def replace(self, **overrides: Any) -> "Profile":
        """A copy with some settings changed (unknown names and bad values raise :class:`ConfigError`)."""
        _check_names(overrides, self.name)
        return dataclasses.replace(self, **overrides)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["split_fractions"] = list(self.split_fractions)
        return d

    def differences(self) -> dict[str, Any]:
        """The settings that differ from the named profile's (what ``--set`` changed), leaving
        out :data:`EXECUTION_PARAMS`, which change where and how fast a run goes, not its results."""
        base = PROFILES.get(self.name)
        if base is None:
            return {}
        a, b = self.to_dict(), base.to_dict()
        return {k: a[k] for k in a if k != "name" and k not in EXECUTION_PARAMS and a[k] != b[k]}


#: settings that say where and how fast a run goes (devices, processes, workers), not what it
#: computes: a run that changes only these is the named profile's run, in its folder
EXECUTION_PARAMS = ("accelerator", "devices", "strategy", "num_nodes", "num_workers", "compile_model", "n_workers")


def _check_names(overrides: dict[str, Any], profile: str) -> None:
    valid = {f.name for f in dataclasses.fields(Profile)}
    unknown = sorted(set(overrides) - valid)
    if unknown:
        raise ConfigError(
            f"unknown parameter(s) {unknown} for profile {profile!r}; "
            f"valid parameters are: {', '.join(sorted(valid))}"
        )


PROFILES: dict[str, Profile] = {
    "demo": Profile(),
    "smoke": Profile(
        name="smoke",
        seed=7,
        n_galaxies=2_400,
        n_eval=1_600,
        image_size=32,
        hires_size=32,
        shard_size=800,
        theta_bins=30,
        cv_alpha_bins=4,
        cv_depth=2,
        cv14_bins=6,
        n_bootstrap=10,
        debias_z_bins=4,
        debias_mag_bins=3,
        debias_size_bins=3,
        # training (chapter 4): ~1,600 galaxies at 32 px, the three trainings in ~15 s
        head_width=64,
        batch_size=64,
        n_seeds=2,  # enough to exercise the seed code; the demo uses 3
        # chapters 9 and 10 on a smoke budget: fewer epochs, seeds, factors and galaxies
        extra={"skybias_epochs": 6,
               "ablation": {"n_seeds": 2, "epochs": 2, "n_train": 400, "n_score": 800, "theta_factors": [0.5, 1.0, 2.0]}},
    ),
    "paper": Profile(
        name="paper",
        data_source="gz2",
        seed=20240101,
        n_galaxies=121_984,
        n_eval=0,  # real data: no evaluation sample
        image_size=424,
        image_fov_r90=8.48,
        hires_size=0,
        sample_size=121_984,
        theta_bins=1525,
        debias_z_bins=0,  # GZ2's published debiased fractions are used instead
        # training (chapter 4): the paper's network on its 207-px crops, inputs / 255, on a GPU.
        # Optimiser as in the paper group's public script (Adam, lr 1e-4, batch 32, 10 epochs,
        # best-validation weights) -- not confirmed as the paper's own settings.
        model="resnet50",
        head_width=1024,
        image_crop=207,
        epochs=10,
        batch_size=32,
        optimizer="adam",
        lr=1e-4,
        weight_decay=0.0,
        schedule="constant",
        patience=0,
        precision="bf16-mixed",
        num_workers=-1,
    ),
    # the simulated survey at the paper's size (424-px renders cropped to 207) for GPU users who
    # want ground truth at scale; the same network and training as the paper profile
    "mock-large": Profile(
        name="mock-large",
        seed=20240101,
        n_galaxies=142_000,
        sample_size=121_984,
        image_size=424,
        image_fov_r90=8.48,
        hires_size=128,
        shard_size=2_000,
        theta_bins=1525,
        model="resnet50",
        head_width=1024,
        image_crop=207,
        epochs=10,
        batch_size=32,
        optimizer="adam",
        lr=1e-4,
        weight_decay=0.0,
        schedule="constant",
        patience=0,
        precision="bf16-mixed",
        num_workers=-1,
    ),
}


def get_profile(name: str, **overrides: Any) -> Profile:
    """The profile called ``name`` with ``overrides`` applied.

    ``None`` values in ``overrides`` mean "keep the profile's value", so notebooks can pass
    their parameters through unchanged.
    """
    if name not in PROFILES:
        raise ConfigError(f"unknown profile {name!r}; valid profiles are: {', '.join(sorted(PROFILES))}")
    overrides = {k: v for k, v in overrides.items() if v is not None}
    return PROFILES[name].replace(**overrides) if overrides else PROFILES[name]


def runs_root() -> Path:
    env = os.environ.get("GALBIAS_RUNS")
    return Path(env) if env else repo_root() / "data" / "runs"


#: settings that change the survey catalog and images (chapter 0): a variant that keeps them
#: reads the named profile's survey instead of simulating (or downloading) its own
SURVEY_PARAMS = ("data_source", "survey_realism", "seed", "n_galaxies", "n_eval", "star_fraction", "image_size", "image_fov_r90", "hires_size",
                 "n_votes", "shard_size", "jpeg_quality", "debias_z_bins", "debias_mag_bins", "debias_size_bins")


def variant_name(cfg: Profile) -> str | None:
    """The folder name of a run whose settings differ from its named profile's (None if they
    do not): the changed settings as ``key=value`` joined by commas (``epochs=1``,
    ``split_fractions=0.7-0.15-0.15``), or a hash when that would be long."""
    diff = cfg.differences()
    if not diff:
        return None

    def text(v: Any) -> str:
        if isinstance(v, (list, tuple)):
            return "-".join(f"{x:g}" if isinstance(x, float) else str(x) for x in v)
        return f"{v:g}" if isinstance(v, float) else str(v)

    name = ",".join(f"{k}={text(diff[k])}" for k in sorted(diff))
    name = "".join(c if c.isalnum() or c in "._=,-" else "_" for c in name)
    if len(name) > 80:
        from ..core.artifacts import json_hash

        name = "v-" + json_hash(diff)[:12]
    return name


def run_dir(profile: str | Profile, create: bool = True) -> Path:
    """``data/runs/<profile>/`` (or ``$GALBIAS_RUNS/<profile>``); a profile with overrides gets
    its own ``variants/<variant_name>/`` inside it, so ``--set`` never replaces the default run."""
    name = profile.name if isinstance(profile, Profile) else profile
    if name not in PROFILES:
        raise ConfigError(f"unknown profile {name!r}; valid profiles are: {', '.join(sorted(PROFILES))}")
    d = runs_root() / name
    variant = variant_name(profile) if isinstance(profile, Profile) else None
    if variant is not None:
        d = d / "variants" / variant
    if create:
        d.mkdir(parents=True, exist_ok=True)
        if variant is not None and not (d / "variant.json").exists():
            from ..core.artifacts import write_json

            write_json(d / "variant.json", {"profile": name, "overrides": profile.differences()})
    return d


def list_variants(profile: str) -> dict[str, dict[str, Any]]:
    """``{folder name: overrides}`` of the variant runs of ``profile`` on disk."""
    import json

    out = {}
    for f in sorted((runs_root() / profile / "variants").glob("*/variant.json")):
        try:
            out[f.parent.name] = json.loads(f.read_text()).get("overrides", {})
        except (OSError, ValueError):
            out[f.parent.name] = {}
    return out


@dataclass(frozen=True)
class RunPaths:
    """Where each chapter's artifacts live inside a run folder.

    For a variant run ``base`` is the named profile's folder: :meth:`find` falls back to it for
    artifacts the variant has not made (the readers then check they fit the variant's
    settings), and ``survey`` is the base run's when the variant keeps :data:`SURVEY_PARAMS`.
    Writes always go to ``root``.
    """

    root: Path
    base: Path | None = None
    shared_survey: bool = False

    @property
    def survey(self) -> Path:
        return (self.base if self.shared_survey and self.base is not None else self.root) / "survey"

    @property
    def catalog(self) -> Path:
        return self.survey / "catalog.parquet"

    @property
    def images(self) -> Path:
        return self.survey / "images"

    @property
    def hires(self) -> Path:
        return self.survey / "hires"

    @property
    def labels(self) -> Path:
        return self.root / "labels.parquet"

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    def artifact(self, name: str) -> Path:
        return self.root / name

    def find(self, name: str) -> Path:
        """Where to read artifact ``name``: this run's, else the base run's, else this run's path."""
        mine = self.root / name
        if mine.exists() or self.base is None:
            return mine
        theirs = self.base / name
        return theirs if theirs.exists() else mine


def paths(profile: str | Profile) -> RunPaths:
    root = run_dir(profile)
    if isinstance(profile, Profile) and variant_name(profile) is not None:
        base = run_dir(profile.name)
        shared = not (set(profile.differences()) & set(SURVEY_PARAMS))
        return RunPaths(root, base, shared)
    return RunPaths(root)
