"""Types and allowed values of every profile setting, and the parsing of ``--set`` values.

:data:`RULES` gives each :class:`~galbias.compendium.config.Profile` field its type and bounds;
:func:`coerce` turns a value from the command line or a notebook (a string, a Python literal,
a list where a tuple is expected) into that type and checks it, raising
:class:`~galbias.core.errors.ConfigError` with one line that names the setting, the value and
what is allowed.  Every profile is checked when it is made, so a bad value never reaches a
chapter.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..core.errors import ConfigError

__all__ = ["RULES", "Rule", "coerce", "parse_text"]


@dataclass(frozen=True)
class Rule:
    """``kind``: int, float, bool, str, floats (a tuple of ``length`` floats) or dict;
    ``lo``/``hi``: inclusive bounds (``lo_open``: lower bound excluded); ``choices`` for
    strings; ``nullable``: None allowed ("keep everything")."""

    kind: str
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    choices: tuple[str, ...] = ()
    nullable: bool = False
    length: int | None = None

    def describe(self) -> str:
        if self.choices:
            what = "one of " + ", ".join(repr(c) for c in self.choices)
        elif self.kind in ("int", "float"):
            noun = "an integer" if self.kind == "int" else "a number"
            parts = []
            if self.lo is not None:
                parts.append(f"{'>' if self.lo_open else '>='} {self.lo:g}")
            if self.hi is not None:
                parts.append(f"<= {self.hi:g}")
            what = noun + (" " + " and ".join(parts) if parts else "")
        elif self.kind == "floats":
            what = f"{self.length} numbers, e.g. 0.8,0.1,0.1"
        else:
            what = {"bool": "True or False", "str": "a string", "dict": "a dict"}[self.kind]
        return what + (", or None" if self.nullable else "")


def _int(lo=None, hi=None, nullable=False):
    return Rule("int", lo, hi, nullable=nullable)


def _float(lo=None, hi=None, lo_open=False):
    return Rule("float", lo, hi, lo_open)


#: every profile field with its type and allowed values
RULES: dict[str, Rule] = {
    "name": Rule("str"),
    "data_source": Rule("str", choices=("mock", "gz2")),
    "seed": _int(0, 2**63 - 1),
    "survey_realism": Rule("str", choices=("realistic", "idealised")),
    "n_galaxies": _int(100, 10_000_000),
    "n_eval": _int(0, 10_000_000),
    "star_fraction": _float(0.0, 0.49),
    "image_size": _int(16, 1024),
    "image_fov_r90": _float(0.5, 20.0),
    "hires_size": _int(0, 1024),
    "n_votes": _int(1, 1000),
    "shard_size": _int(10, 1_000_000),
    "n_workers": _int(0, 1024),
    "jpeg_quality": _int(10, 100),
    "sample_size": _int(20, 10_000_000, nullable=True),
    "split_fractions": Rule("floats", length=3),
    "debias_z_bins": _int(0, 100),
    "debias_mag_bins": _int(1, 100),
    "debias_size_bins": _int(1, 100),
    "theta_bins": _int(2, 1_000_000),
    "cv_alpha_bins": _int(1, 1000),
    "cv_depth": _int(0, 16),
    "cv14_bins": _int(1, 1000),
    "n_bootstrap": _int(0, 100_000),
    "model": Rule("str", choices=("compact", "resnet50")),
    "model_width": _int(1, 1024),
    "model_stages": _int(1, 8),
    "model_blocks": _int(1, 16),
    "head_width": _int(1, 65536),
    "image_crop": _int(8, 1024, nullable=True),
    "epochs": _int(1, 10_000),
    "batch_size": _int(2, 65536),
    "optimizer": Rule("str", choices=("adamw", "adam")),
    "lr": _float(0.0, 10.0, lo_open=True),
    "weight_decay": _float(0.0, 10.0),
    "schedule": Rule("str", choices=("cosine", "constant")),
    "precision": Rule("str", choices=("32-true", "bf16-mixed", "16-mixed", "bf16-true", "64-true")),
    "accelerator": Rule("str", choices=("auto", "cpu", "gpu", "cuda", "mps")),
    "devices": _int(1, 1024),
    "strategy": Rule("str", choices=("auto", "ddp", "ddp_spawn", "ddp_notebook", "ddp_fork", "fsdp")),
    "num_nodes": _int(1, 100_000),
    "compile_model": Rule("bool"),
    "patience": _int(0, 10_000),
    "n_seeds": _int(1, 100),
    "train_subsample": _int(2, 10_000_000, nullable=True),
    "num_workers": _int(-1, 256),
    "extra": Rule("dict"),
}


def parse_text(text: str) -> Any:
    """A ``--set`` value as typed: a Python literal where it parses as one, else the string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _fail(name: str, value: Any, rule: Rule) -> ConfigError:
    return ConfigError(f"parameter {name!r}: {value!r} is not allowed; it must be {rule.describe()}")


def _number(name: str, value: Any, rule: Rule) -> float | int:
    if isinstance(value, bool):
        raise _fail(name, value, rule)
    if isinstance(value, str):
        value = parse_text(value.strip())
    if rule.kind == "int":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int):
            raise _fail(name, value, rule)
    else:
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise _fail(name, value, rule)
        value = float(value)
    if rule.lo is not None and (value < rule.lo or (rule.lo_open and value == rule.lo)):
        raise _fail(name, value, rule)
    if rule.hi is not None and value > rule.hi:
        raise _fail(name, value, rule)
    return value


def coerce(name: str, value: Any) -> Any:
    """``value`` as the type of setting ``name``, checked against its rule (see module docstring)."""
    rule = RULES.get(name)
    if rule is None:
        raise ConfigError(f"unknown parameter {name!r}; valid parameters are: {', '.join(sorted(RULES))}")
    if rule.nullable and (value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null"))):
        return None
    if rule.kind in ("int", "float"):
        return _number(name, value, rule)
    if rule.kind == "bool":
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.strip().lower() in ("true", "1", "yes")
        if isinstance(value, bool):
            return value
        raise _fail(name, value, rule)
    if rule.kind == "str":
        if not isinstance(value, str) or (rule.choices and value not in rule.choices):
            raise _fail(name, value, rule)
        return value
    if rule.kind == "floats":
        if isinstance(value, str):
            text = value.strip().strip("()[]")
            value = [v for v in text.split(",") if v.strip()]
        if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != rule.length:
            raise _fail(name, value, rule)
        try:
            out = tuple(float(v) for v in value)
        except (TypeError, ValueError):
            raise _fail(name, value, rule) from None
        if name == "split_fractions" and (abs(sum(out) - 1) > 1e-6 or min(out) <= 0):
            raise ConfigError(f"parameter 'split_fractions': {value!r} is not allowed; it must be three positive "
                              "numbers that sum to 1, e.g. 0.8,0.1,0.1")
        return out
    if rule.kind == "dict":
        if not isinstance(value, dict):
            raise _fail(name, value, rule)
        return dict(value)
    raise AssertionError(rule.kind)  # pragma: no cover


def check_chapter_value(name: str, value: Any, default: Any, chapter: str) -> Any:
    """A notebook parameter (not a profile setting): the value must have the type of the
    notebook's default (a number where it is a number, a list where it is a list, ...)."""
    if default is None or value is None:
        return value
    if isinstance(value, str) and not isinstance(default, str):
        value = parse_text(value)
    ok = (isinstance(default, bool) and isinstance(value, bool)) or (
        not isinstance(default, bool) and isinstance(default, (int, float)) and isinstance(value, (int, float))
        and not isinstance(value, bool)) or (isinstance(default, str) and isinstance(value, str)) or (
        isinstance(default, (list, tuple)) and isinstance(value, (list, tuple)))
    if not ok:
        raise ConfigError(f"parameter {name!r} of chapter {chapter}: {value!r} is not allowed; it must be "
                          f"{type(default).__name__} like its default {default!r}")
    return value
