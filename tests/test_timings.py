"""Chapter times: recorded per run, a committed reference, and the `timings` command."""

from __future__ import annotations

import json

import pytest

from galbias.compendium import cli, runner, timings


def test_record_replaces_one_chapter(tmp_path):
    timings.record(tmp_path, "00_survey", 12.34)
    timings.record(tmp_path, "01_labeling", 5)
    timings.record(tmp_path, "00_survey", 20.06)
    data = json.loads(timings.run_file(tmp_path).read_text())
    assert data["chapters"] == {"00_survey": 20.1, "01_labeling": 5.0} and data["updated"]


def test_expected_total_and_note():
    ref = {"machine": "2 CPU cores, no GPU",
           "profiles": {"demo": {"00_survey": 300.0, "01_labeling": 30.0}, "smoke": {"00_survey": 14.0}}}
    assert timings.expected("00_survey", "demo", ref) == 300.0
    assert timings.expected("00_survey", "paper", ref) is None
    assert timings.total("demo", ref) == 330.0 and timings.total("paper", ref) is None
    assert timings.note("00_survey", ref) == ("5.0 min on the demo profile and 14 s on the smoke profile "
                                              "(2 CPU cores, no GPU)")
    assert timings.note("09_sky", ref) == "not measured yet"


@pytest.mark.parametrize("s, text", [(None, "not measured"), (14.2, "14 s"), (89, "89 s"), (150, "2.5 min"),
                                     (3900, "1 h 05 min")])
def test_fmt_duration(s, text):
    assert timings.fmt_duration(s) == text


def test_the_committed_reference_is_well_formed():
    ref = timings.load()
    for profile, times in ref.get("profiles", {}).items():
        assert set(times) == set(runner.chapters()), profile
        assert all(t > 0 for t in times.values())


def test_save_reference_from_a_complete_run_only(tmp_path):
    run, ref = tmp_path / "run", tmp_path / "timings.json"
    for c in runner.chapters()[:-1]:
        timings.record(run, c, 10)
    with pytest.raises(ValueError, match="run every chapter first"):
        timings.save_reference(run, "smoke", "m", path=ref)
    timings.record(run, runner.chapters()[-1], 3)
    timings.save_reference(run, "smoke", "2 CPU cores, no GPU", path=ref)
    saved = timings.load(ref)
    assert saved["machine"] == "2 CPU cores, no GPU" and saved["profiles"]["smoke"][runner.chapters()[-1]] == 3


def test_cli_timings_save_and_show(runs_root, tmp_path, monkeypatch, capsys):
    from galbias.compendium import config

    ref = tmp_path / "reference.json"
    monkeypatch.setattr(timings, "REFERENCE", ref)  # never the committed file
    run = config.paths("smoke").root
    for c in runner.chapters():
        timings.record(run, c, 61)
    assert cli.main(["timings", "--save", "smoke", "--machine", "a test machine"]) == 0
    assert "saved as the reference" in capsys.readouterr().out
    assert timings.load(ref)["machine"] == "a test machine"
    assert cli.main(["timings", "--save", "smoke"]) == 0  # default machine: what this one has
    assert timings.load(ref)["machine"] == cli.machine_description()
    assert cli.main(["timings", "--profile", "smoke"]) == 0
    out = capsys.readouterr().out
    assert "00_survey" in out and "61 s" in out


def test_machine_description():
    text = cli.machine_description()
    assert "CPU core" in text and ("no GPU" in text or "GPU" in text)


def test_bench_markdown_names_the_machine():
    md = cli.bench_markdown([("bench_x.py", "a  b\n1  2")], "2 CPU cores, no GPU")
    assert "**2 CPU cores, no GPU**" in md and "`benchmarks/bench_x.py`" in md and "```text\na  b\n1  2\n```" in md


def test_bench_runs_every_script_and_keeps_its_output(tmp_path, monkeypatch, capsys):
    from galbias.compendium import config

    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "bench_a.py").write_text(
        "import sys\nprint('stage   us/galaxy')\nprint('render  120', '--quick' in sys.argv)\n")
    monkeypatch.setattr(config, "repo_root", lambda: tmp_path)
    out = tmp_path / "bench.md"
    assert cli.main(["bench", "--quick", "--output", str(out)]) == 0
    assert "render  120 True" in capsys.readouterr().out  # streamed as it runs
    md = out.read_text()
    assert "`benchmarks/bench_a.py`" in md and "render  120 True" in md and "bench --quick" in md
    assert cli.machine_description() in md
