import pytest

from galbias.compendium import cli, runner
from galbias.compendium.config import ConfigError


def test_chapters_in_order():
    ch = runner.chapters()
    assert ch[:2] == ["00_survey", "01_labeling"]
    assert ch == sorted(ch)


def test_resolve_chapters_by_name_number_and_title():
    assert runner.resolve_chapters(["01_labeling"]) == ["01_labeling"]
    assert runner.resolve_chapters(["1"]) == ["01_labeling"]
    assert runner.resolve_chapters(["labeling"]) == ["01_labeling"]
    assert runner.resolve_chapters(start="01")[0] == "01_labeling"
    with pytest.raises(ConfigError, match="unknown chapter 'zz'; chapters are: 00_survey"):
        runner.resolve_chapters(["zz"])


def test_parse_value():
    assert runner.parse_value("5000") == 5000
    assert runner.parse_value("0.5") == 0.5
    assert runner.parse_value("[0.6, 0.2, 0.2]") == [0.6, 0.2, 0.2]
    assert runner.parse_value("None") is None
    assert runner.parse_value("hello") == "hello"


def test_split_overrides():
    ov, params = runner.split_overrides({"n_examples"}, {"n_galaxies": 10, "n_examples": 3})
    assert ov == {"n_galaxies": 10} and params == {"n_examples": 3}
    with pytest.raises(ConfigError, match="unknown parameter 'bogus'.*profile parameters:.*n_galaxies"):
        runner.split_overrides(set(), {"bogus": 1})


def test_declared_parameters_of_a_chapter():
    params = runner.declared_parameters(runner.notebooks_dir() / "01_labeling.py")
    assert {"profile", "overrides"} <= set(params) and params["profile"] == "demo" and params["overrides"] == {}


def test_sources_carry_no_outputs_or_injected_parameters():
    for src in runner.notebooks_dir().glob("[0-9][0-9]_*.py"):
        text = src.read_text()
        assert "injected-parameters" not in text, src
        assert 'tags=["parameters"]' in text, f"{src} has no papermill parameters cell"


def test_cli_errors_are_one_line(capsys, runs_root):
    assert cli.main(["run", "--profile", "nope"]) == 2
    assert "unknown profile 'nope'" in capsys.readouterr().err
    assert cli.main(["run", "--profile", "smoke", "--only", "01", "--set", "bogus=1"]) == 2
    assert "unknown parameter 'bogus'" in capsys.readouterr().err
    assert cli.main(["run", "--profile", "smoke", "--set", "novalue"]) == 2


def test_list(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "smoke" in out and "01_labeling" in out
