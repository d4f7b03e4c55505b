"""Tests of galbias.models: the paper's ResNet50 head, the compact ResNet, building from a profile."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from galbias.compendium.config import ConfigError, get_profile
from galbias.methods.models import (CompactResNet, build_model, compact_resnet, count_parameters, load_model,
                            model_from_spec, model_spec, paper_resnet50, target_layer)


def test_paper_resnet50_head_and_forward():
    torch.manual_seed(0)
    model = paper_resnet50()
    head = model.fc
    assert isinstance(head, nn.Sequential) and len(head) == 3
    assert (head[0].in_features, head[0].out_features) == (2048, 1024)
    assert isinstance(head[1], nn.ReLU)
    assert (head[2].in_features, head[2].out_features) == (1024, 2)
    assert isinstance(model.avgpool, nn.AdaptiveAvgPool2d)  # global pool before the head
    model.eval()
    with torch.no_grad():
        out = model(torch.rand(1, 3, 64, 64))
    assert out.shape == (1, 2) and torch.isfinite(out).all()
    assert target_layer(model) is model.layer4[-1]
    # ~23.5M convolutional + 2.1M head parameters
    assert 25_000_000 < count_parameters(model) < 26_000_000


@pytest.mark.parametrize("size", [16, 32, 64])
def test_compact_resnet_shapes(size):
    torch.manual_seed(0)
    model = compact_resnet(width=8, n_blocks=2, n_stages=3, head_width=32)
    out = model(torch.rand(5, 3, size, size))
    assert out.shape == (5, 2)
    assert model.n_features == 32
    assert (model.head[0].in_features, model.head[0].out_features, model.head[2].out_features) == (32, 32, 2)
    feats = model.features(torch.rand(2, 3, size, size))
    assert feats.shape == (2, 32, size // 8, size // 8)
    assert target_layer(model) is model.gradcam_layer is model.stages[-1][-1]
    assert not any(isinstance(m, nn.Dropout) for m in model.modules())


def test_compact_channels_last_matches_default_layout():
    torch.manual_seed(1)
    model = compact_resnet(width=4, head_width=8).eval()
    x = torch.rand(3, 3, 16, 16)
    with torch.no_grad():
        a = model(x)
        b = model.to(memory_format=torch.channels_last)(x.contiguous(memory_format=torch.channels_last))
    torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_build_model_from_profiles():
    for name in ("demo", "smoke"):
        cfg = get_profile(name)
        model = build_model(cfg)
        assert isinstance(model, CompactResNet)
        assert model.head[0].out_features == cfg.head_width
        assert model_spec(cfg)["model"] == "compact"
    paper = get_profile("paper")
    assert model_spec(paper) == {"model": "resnet50", "head_width": 1024, "n_classes": 2}
    with pytest.raises(ConfigError, match="'model': 'vgg' is not allowed; it must be one of 'compact', 'resnet50'"):
        get_profile("demo", model="vgg")
    with pytest.raises(ConfigError, match="unknown model 'vgg'"):
        model_from_spec({"model": "vgg"})
    with pytest.raises(ConfigError, match="width must be a positive"):
        compact_resnet(width=0)


def test_same_seed_same_initial_weights():
    cfg = get_profile("smoke")
    torch.manual_seed(5)
    a = build_model(cfg).state_dict()
    torch.manual_seed(5)
    b = build_model(cfg).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_load_model_roundtrip(tmp_path):
    cfg = get_profile("smoke", model_width=4, head_width=8)
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    path = tmp_path / "m.pt"
    torch.save({"state_dict": model.state_dict(), "spec": model_spec(cfg), "meta": {"name": "m"}}, path)
    loaded, meta = load_model(path)
    assert meta == {"name": "m"} and not loaded.training
    x = torch.rand(2, 3, 16, 16)
    torch.testing.assert_close(loaded(x), model(x))
    assert isinstance(model_from_spec(model_spec(cfg)), CompactResNet)
    with pytest.raises(FileNotFoundError, match="run the training chapter"):
        load_model(tmp_path / "missing.pt")
    torch.save({"x": 1}, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="not a model file"):
        load_model(tmp_path / "bad.pt")
