"""Command line: ``python -m galbias run|book|data|train|bench|timings|list``.

Examples::

    python -m galbias run --profile smoke                  # every chapter
    python -m galbias run --profile demo --only 01_labeling  # one chapter from existing artifacts
    python -m galbias run --profile demo --from 02         # chapter 02 onwards
    python -m galbias run --profile demo --set n_galaxies=5000
    python -m galbias book --profile demo                  # run the chapters, then build the HTML
    python -m galbias book --profile demo --student        # the student edition: no solutions
    python -m galbias timings --save demo                  # the demo run's times become the reference
    python -m galbias data --profile demo                  # only the data step (simulate or download)
"""

from __future__ import annotations

import argparse
import errno
import os
import subprocess
import sys
import time

from . import config
from ..core.errors import ConfigError, GalbiasError


def _sets(items: list[str]) -> dict:
    from .runner import parse_value

    out = {}
    for item in items or []:
        if "=" not in item:
            raise ConfigError(f"--set expects key=value, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = parse_value(v)
    return out


def cmd_run(args: argparse.Namespace) -> None:
    from . import runner

    runner.run(args.profile, only=args.only, start=args.start, sets=_sets(args.set), log_output=args.verbose)


def cmd_book(args: argparse.Namespace) -> None:
    from . import build, runner

    t0 = time.perf_counter()
    if not args.no_run:
        runner.run(args.profile, sets=_sets(args.set), log_output=args.verbose)
    fields = {f for f in config.Profile.__dataclass_fields__}
    cfg = config.get_profile(args.profile, **{k: v for k, v in _sets(args.set).items() if k in fields})
    index = build.build(cfg, dest=args.dest, strict=args.strict, student=args.student)
    edition = "student edition (no solutions)" if args.student else "book"
    print(f"[galbias] {edition} built in {time.perf_counter() - t0:.0f} s: {index}")


def cmd_data(args: argparse.Namespace) -> None:
    from .steps import prepare

    cfg = config.get_profile(args.profile, **_sets(args.set))
    cat = prepare(cfg)
    print(f"[galbias] {cfg.name}: catalog with {len(cat)} objects at {config.paths(cfg).catalog}")


def cmd_train(args: argparse.Namespace) -> None:
    """Chapter 4's trainings outside the book, e.g. on several GPUs or a cluster (the notebook
    then reuses the finished models, whose fingerprints match)."""
    from ..core import artifacts
    from ..results import networks
    from . import steps

    sets = _sets(args.set)
    for k in ("devices", "strategy", "accelerator", "precision"):
        if getattr(args, k) is not None:
            sets[k] = getattr(args, k)
    cfg = config.get_profile(args.profile, **sets)
    p = config.paths(cfg)
    labels = steps.load_labels(cfg)
    theta = float(artifacts.read_json(p.artifact("theta.json"))["theta"])
    cache = steps.image_cache(cfg, labels, progress=True)
    t0 = time.perf_counter()
    results = networks.train_all(cfg, labels, theta, cache, p.root, progress=True, only=args.network)
    if int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0"))) != 0:
        return  # the other processes of a multi-process run say nothing
    for name, r in results.items():
        print(f"[galbias] {cfg.name}: {name} {'reused' if r.reused else 'trained'} "
              f"(best epoch {r.best_epoch} of {r.epochs_run})", flush=True)
    print(f"[galbias] trainings done in {time.perf_counter() - t0:.0f} s", flush=True)


def cmd_bench(args: argparse.Namespace) -> None:
    """Run every ``benchmarks/bench_*.py``, show their output and keep it, with the machine
    it ran on, in ``book/_static/bench.md`` (the Performance page includes that file)."""
    from pathlib import Path

    bench = config.repo_root() / "benchmarks"
    scripts = sorted(Path(bench).glob("bench_*.py"))
    sections = []
    for s in scripts:
        print(f"\n=== {s.name} ===", flush=True)
        cmd = [sys.executable, str(s)] + (["--quick"] if args.quick else [])
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, bufsize=1)
        lines = []
        for line in proc.stdout:
            print(line, end="", flush=True)
            lines.append(line)
        if proc.wait():
            raise subprocess.CalledProcessError(proc.returncode, cmd)
        sections.append((s.name, "".join(lines).rstrip()))
    out = Path(args.output) if args.output else config.repo_root() / "book" / "_static" / "bench.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(bench_markdown(sections, machine_description(), quick=args.quick))
    print(f"\n[galbias] benchmark results written to {out}", flush=True)


def bench_markdown(sections: list[tuple[str, str]], machine: str, quick: bool = False) -> str:
    """The benchmarks' output as a Markdown fragment: the machine, the date, the command and
    each script's table in a code block."""
    when = time.strftime("%Y-%m-%d")
    cmd = "python -m galbias bench" + (" --quick" if quick else "")
    parts = [f"Measured on {when} on **{machine}** with `{cmd}` (`make bench`).", ""]
    for name, text in sections:
        parts += [f"**`benchmarks/{name}`**", "", "```text", text, "```", ""]
    return "\n".join(parts)


def machine_description() -> str:
    """E.g. ``2 CPU cores, no GPU`` or ``16 CPU cores, 1 GPU (NVIDIA H200)``."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    text = f"{cores} CPU core{'s' if cores != 1 else ''}"
    try:
        import torch

        n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    except Exception:  # torch missing or broken: say nothing about GPUs we cannot see
        n = 0
    if not n:
        return text + ", no GPU"
    names = sorted({torch.cuda.get_device_name(i) for i in range(n)})
    return text + f", {n} GPU{'s' if n != 1 else ''} ({', '.join(names)})"


def cmd_timings(args: argparse.Namespace) -> None:
    """Show a run's chapter times, or save them as the committed reference."""
    from . import timings

    profile = args.save or args.profile
    cfg = config.get_profile(profile)
    run_dir = config.paths(cfg).root
    if args.save:
        path = timings.save_reference(run_dir, profile, args.machine or machine_description())
        print(f"[galbias] {profile}: chapter times of {timings.run_file(run_dir)} saved as the reference in {path}")
        return
    ref = timings.load()
    measured = {}
    if timings.run_file(run_dir).exists():
        from ..core import artifacts

        measured = artifacts.read_json(timings.run_file(run_dir)).get("chapters", {})
    from .runner import chapters

    print(f"{'chapter':<28}{'this run':>12}{'reference':>12}   ({profile}; reference: {ref.get('machine') or 'none'})")
    for c in chapters():
        print(f"{c:<28}{timings.fmt_duration(measured.get(c)):>12}"
              f"{timings.fmt_duration(timings.expected(c, profile, ref)):>12}")


def cmd_list(args: argparse.Namespace) -> None:
    from . import runner

    print("profiles:", ", ".join(sorted(config.PROFILES)))
    print("chapters:", ", ".join(runner.chapters()))
    for name in sorted(config.PROFILES):
        for folder, overrides in config.list_variants(name).items():
            sets = " ".join(f"--set {k}={v}" for k, v in overrides.items())
            print(f"variant of {name}: {config.runs_root() / name / 'variants' / folder}  ({sets})")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="galbias", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp):
        sp.add_argument("--profile", default="demo", help="run profile (demo, smoke, paper)")
        sp.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="override a profile or chapter parameter (repeatable)")
        sp.add_argument("-v", "--verbose", action="store_true", help="stream the notebooks' output")

    sp = sub.add_parser("run", help="execute chapters with papermill")
    common(sp)
    sp.add_argument("--only", nargs="+", help="run only these chapters (names or numbers)")
    sp.add_argument("--from", dest="start", help="run from this chapter onwards")
    sp.set_defaults(func=cmd_run)

    sp = sub.add_parser("book", help="run every chapter and build the HTML book")
    common(sp)
    sp.add_argument("--no-run", action="store_true", help="build from the already executed chapters")
    sp.add_argument("--strict", action="store_true", help="treat Sphinx warnings as errors")
    sp.add_argument("--dest", help="folder that receives _build/ (default: book/; student edition: "
                    "book/_build/student/)")
    sp.add_argument("--student", action="store_true",
                    help="the student edition: exercises without their solutions")
    sp.set_defaults(func=cmd_book)

    sp = sub.add_parser("data", help="only the data step: simulate the mock survey or fetch GZ2")
    common(sp)
    sp.set_defaults(func=cmd_data)

    sp = sub.add_parser("train", help="train chapter 4's networks (one GPU, several, or a cluster)")
    common(sp)
    sp.add_argument("--network", nargs="+", help="only these networks (ce_gz2b, ce_gz2d, ddb)")
    sp.add_argument("--devices", type=int, help="devices per node (GPUs, or CPU processes with --accelerator cpu)")
    sp.add_argument("--strategy", help="Lightning strategy, e.g. ddp")
    sp.add_argument("--accelerator", help="cpu, gpu or auto")
    sp.add_argument("--precision", help="32-true or bf16-mixed")
    sp.set_defaults(func=cmd_train)

    sp = sub.add_parser("bench", help="run the throughput benchmarks")
    sp.add_argument("--quick", action="store_true")
    sp.add_argument("--output", help="Markdown file for the results (default: book/_static/bench.md)")
    sp.set_defaults(func=cmd_bench)

    sp = sub.add_parser("timings", help="show a run's chapter times, or save them as the reference")
    sp.add_argument("--profile", default="demo", help="run profile whose times are shown")
    sp.add_argument("--save", metavar="PROFILE",
                    help="copy this profile's complete run times into the committed reference")
    sp.add_argument("--machine", help='machine of the run (default: e.g. "2 CPU cores, no GPU")')
    sp.set_defaults(func=cmd_timings)

    sp = sub.add_parser("list", help="list profiles and chapters")
    sp.set_defaults(func=cmd_list)

    for sp_ in sub.choices.values():
        sp_.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    args = p.parse_args(argv)
    try:
        args.func(args)
    except KeyboardInterrupt:
        print("galbias: interrupted; finished artifacts are kept and the next run resumes", file=sys.stderr)
        return 130
    except Exception as exc:  # every error a user can cause or fix: one clear line (--debug: the traceback)
        code = _exit_code(exc)
        if code is None or getattr(args, "debug", False):
            raise
        print(f"galbias: error: {_one_line(exc)}", file=sys.stderr)
        return code
    return 0


def _exit_code(exc: BaseException) -> int | None:
    """2 for a bad parameter, 1 for any other error the user can fix, None for a bug."""
    if isinstance(exc, ConfigError):
        return 2
    if isinstance(exc, (GalbiasError, FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)):
        return 1
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EACCES, errno.EROFS, errno.EDQUOT):
        return 1
    return None


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, PermissionError):
        return f"permission denied: {exc.filename or exc}; check that you may write the run folder (GALBIAS_RUNS)"
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC and not isinstance(exc, GalbiasError):
        return f"the disk is full while writing {exc.filename or 'a file'}; free some space"
    return " ".join(str(exc).split())


if __name__ == "__main__":
    sys.exit(main())
