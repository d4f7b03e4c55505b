import pytest

from galbias.compendium import config
from galbias.compendium.config import ConfigError, get_profile


def test_profiles_exist_and_default_is_demo():
    assert {"demo", "smoke", "paper"} <= set(config.PROFILES)
    assert get_profile("demo").data_source == "mock"
    assert get_profile("paper").data_source == "gz2"


def test_unknown_profile_lists_valid_ones():
    with pytest.raises(ConfigError, match="valid profiles are: demo, mock-large, paper, smoke"):
        get_profile("nope")


def test_unknown_parameter_lists_valid_ones():
    with pytest.raises(ConfigError, match=r"unknown parameter\(s\) \['n_galaxy'\].*n_galaxies"):
        get_profile("demo", n_galaxy=10)


def test_overrides_apply_and_none_keeps_value():
    cfg = get_profile("smoke", n_galaxies=123, sample_size=None)
    assert cfg.n_galaxies == 123
    assert cfg.sample_size is None
    assert config.PROFILES["smoke"].n_galaxies != 123  # profiles are not mutated


def test_split_fractions_validated():
    with pytest.raises(ConfigError, match="split_fractions"):
        get_profile("demo", split_fractions=(0.5, 0.5, 0.5))
    assert get_profile("demo", split_fractions=[0.6, 0.2, 0.2]).split_fractions == (0.6, 0.2, 0.2)


def test_run_dir_layout(runs_root):
    p = config.paths("smoke")
    assert p.root == runs_root / "smoke"
    assert p.catalog == runs_root / "smoke" / "survey" / "catalog.parquet"
    assert p.labels.name == "labels.parquet"
    with pytest.raises(ConfigError):
        config.run_dir("bogus")


def test_paper_scale_profiles():
    paper, large = get_profile("paper"), get_profile("mock-large")
    for cfg in (paper, large):
        assert cfg.model == "resnet50" and cfg.head_width == 1024 and cfg.image_crop == 207
        assert cfg.image_size == 424 and cfg.optimizer == "adam" and cfg.lr == 1e-4 and cfg.batch_size == 32
        assert cfg.epochs == 10 and cfg.precision == "bf16-mixed"
    assert paper.data_source == "gz2" and large.data_source == "mock"
    assert large.sample_size == 121_984 and large.n_galaxies > large.sample_size
