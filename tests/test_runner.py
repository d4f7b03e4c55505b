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


# --- progress lines, the kernel's transport, timings (a tiny chapter through the real runner) ---

TINY = '''# %% [markdown]
# # A tiny chapter

# %% tags=["parameters"]
profile = "demo"
overrides = {}
n = 3  # steps

# %%
import sys
from galbias.core import progress
for k in range(n):
    progress.say(f"step {k + 1}/{n}")
    print("a line for the notebook only")
print("[tiny] epoch 1/2: train loss 0.5000 (0.1 s)")
print("a warning for the notebook only", file=sys.stderr)
'''


@pytest.fixture
def tiny_chapter(tmp_path, monkeypatch, runs_root):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "00_tiny.py").write_text(TINY)
    monkeypatch.setattr(runner, "notebooks_dir", lambda: folder)
    return folder


def test_progress_stream_shows_only_progress_lines():
    import io

    out = io.StringIO()
    s = runner.ProgressStream("04_x", out=out, t0=0.0)
    s.write("noise\n[progress] ddb: epoch 1/")
    assert out.getvalue() == ""  # a partial line waits for its newline
    s.write("8: loss 0.3\n[ddb] epoch 2/8: train loss 0.2 (1.0 s)\n[galbias] network 1/3: ce (seed 0) trained in 5 s\n")
    s.write("loss at batch 17\r\n[progress] tail")
    s.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 4 and all(line.startswith("[galbias]   04_x ") for line in lines)
    assert lines[0].endswith("| ddb: epoch 1/8: loss 0.3") and lines[3].endswith("| tail")
    assert "[ddb] epoch 2/8" in lines[1] and lines[2].endswith("| network 1/3: ce (seed 0) trained in 5 s")
    assert "noise" not in out.getvalue() and "batch" not in out.getvalue()


def test_kernel_config_uses_ipc_in_a_short_private_folder(tmp_path):
    cfg = runner.kernel_config(tmp_path)
    assert cfg.KernelManager.transport == "ipc" and cfg.KernelManager.ip.startswith(str(tmp_path))
    assert "KernelManager" not in runner.kernel_config("/" + "x" * 120)  # too long for a socket: TCP


def test_run_prints_progress_and_times_and_a_clean_log(tiny_chapter, runs_root, capfd):
    import nbformat

    from galbias.compendium import timings

    [nb] = runner.run("smoke", only=["00"])
    out, err = capfd.readouterr()
    assert "[galbias] smoke: 00_tiny (1/1) ... expected time not measured yet" in out
    assert "| step 1/3" in out and "| step 3/3" in out and "| [tiny] epoch 1/2" in out
    assert "00_tiny done in" in out and "1 chapter done in" in out
    assert "for the notebook only" not in out + err
    # the kernel talks over IPC: ipykernel has no TCP warning to print
    assert "without encryption" not in out + err and "IPKernelApp" not in out + err
    times = timings.load(timings.run_file(runs_root / "smoke"))
    assert times["chapters"]["00_tiny"] > 0
    texts = "".join(o.get("text", "") for c in nbformat.read(nb, 4).cells for o in c.get("outputs", []))
    assert "a line for the notebook only" in texts and "[progress] step 2/3" in texts
    # --verbose streams everything the chapter prints
    runner.run("smoke", only=["00"], log_output=True)
    out, err = capfd.readouterr()
    assert "a line for the notebook only" in out and "a warning for the notebook only" in err


# --- the parameters cell shows once in the book ---

def _executed(params_source: str, injected: dict):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# t"),
                nbformat.v4.new_code_cell(params_source, metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("# Parameters\n" + "\n".join(f"{k} = {v!r}" for k, v in injected.items()),
                                          metadata={"tags": ["injected-parameters"]}),
                nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["remove-cell"]})]
    nb.metadata["papermill"] = {"parameters": injected}
    return nb


def test_tidy_parameters_keeps_one_cell_with_every_value_used():
    from galbias.compendium import build

    src = ('profile = "demo"\noverrides = {}\nbins = [25, 50,\n        100]  # bin counts (α bins)\n'
           '# a comment line\nrepeat = False  # True: all\n')
    nb = build.tidy_parameters(_executed(src, {"profile": "smoke", "bins": [10, 20], "extra": 1.5}))
    params, injected = nb.cells[1], nb.cells[2]
    assert "remove-cell" in params.metadata["tags"] and "parameters" in params.metadata["tags"]
    assert "remove-cell" not in injected.metadata["tags"]
    lines = injected.source.splitlines()
    assert lines[0].startswith("# Parameters of this run")
    assert lines[1:] == ['profile = "smoke"', "overrides = {}", "bins = [10, 20]  # bin counts (α bins)",
                         "# a comment line", "repeat = False  # True: all", "extra = 1.5"]
    ns: dict = {}
    exec(injected.source, ns)  # the cell is valid Python that assigns exactly the values used
    assert (ns["profile"], ns["bins"], ns["repeat"], ns["extra"]) == ("smoke", [10, 20], False, 1.5)
    # visible once: exactly one cell holding the parameters is not removed
    shown = [c for c in nb.cells if c.cell_type == "code" and "remove-cell" not in c.metadata.get("tags", [])]
    assert shown == [injected]


def test_tidy_parameters_leaves_a_notebook_without_injection_alone():
    import copy

    from galbias.compendium import build

    nb = _executed('profile = "demo"\n', {})
    nb.cells.pop(2)
    before = copy.deepcopy(nb)
    assert build.tidy_parameters(nb) == before


def test_assemble_student_edition_hides_solutions_and_tidies_parameters(runs_root):
    import nbformat
    import yaml

    from galbias.compendium import build, config

    nbs = config.paths("smoke").notebooks
    nbs.mkdir(parents=True)
    for ch in runner.chapters():
        nbformat.write(_executed('profile = "demo"\n', {"profile": "smoke"}), nbs / f"{ch}.ipynb")
    teacher, student = build.assemble("smoke"), build.assemble("smoke", student=True)
    assert teacher != student
    assert yaml.safe_load((student / "_config.yml").read_text())["sphinx"]["config"]["hide_solutions"] is True
    assert yaml.safe_load((teacher / "_config.yml").read_text())["sphinx"]["config"].get("hide_solutions") is False
    nb = nbformat.read(student / "chapters" / "05_table1.ipynb", 4)
    assert "remove-cell" in nb.cells[1].metadata["tags"] and 'profile = "smoke"' in nb.cells[2].source
    assert (student / "_scorecard.md").exists()  # written from the run's artifacts (build.GENERATED)
    # the executed notebooks themselves are never changed
    assert "remove-cell" not in nbformat.read(nbs / "05_table1.ipynb", 4).cells[1].metadata["tags"]


def test_book_config_has_the_teaching_settings():
    import yaml

    from galbias.compendium import build

    cfg = yaml.safe_load((build.book_dir() / "_config.yml").read_text())
    assert "sphinx_exercise" in cfg["sphinx"]["extra_extensions"]
    assert cfg["repository"]["url"].startswith("https://github.com/")
    assert cfg["launch_buttons"]["binderhub_url"] and cfg["launch_buttons"]["colab_url"]
    ext = build.book_dir() / cfg["sphinx"]["local_extensions"]["galbias_book"] / "galbias_book.py"
    assert "set_html_assets_policy" in ext.read_text()
    assert (build.book_dir() / "_static" / "galbias.css").exists()


def test_launch_buttons_open_the_chapter_notebooks():
    import importlib.util

    from galbias.compendium import build

    spec = importlib.util.spec_from_file_location("galbias_book", build.book_dir() / "_ext" / "galbias_book.py")
    ext = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ext)
    url = "https://mybinder.org/v2/gh/o/r/main?urlpath=lab/tree/book/chapters/05_table1.ipynb"
    assert ext.retarget(url, "book") == "https://mybinder.org/v2/gh/o/r/main?urlpath=lab/tree/notebooks/05_table1.ipynb"
    url = "https://colab.research.google.com/github/o/r/blob/main/book/chapters/05_table1.ipynb"
    assert ext.retarget(url, "book").endswith("/blob/main/notebooks/05_table1.ipynb")
