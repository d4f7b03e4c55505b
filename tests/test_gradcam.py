"""GradCAM maps, class averages and radial profiles (galbias.methods.gradcam and galbias.results.gradcam, chapter 8)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from galbias.compendium.config import get_profile
from galbias.core import artifacts
from galbias.methods import gradcam as mgradcam
from galbias.methods.models import build_model, target_layer
from galbias.compendium import gradcamplots
from galbias.results import gradcam as rgradcam

# --- radial profiles and averages ------------------------------------------------------------

def gaussian_map(size: int, sigma: float) -> np.ndarray:
    r = rgradcam.radius_grid((size, size))
    return np.exp(-r**2 / (2 * sigma**2))


def annulus_mean_gaussian(a: np.ndarray, b: np.ndarray, sigma: float) -> np.ndarray:
    """Exact mean of exp(-r^2 / 2 s^2) over the annulus a <= r < b (continuous)."""
    return 2 * sigma**2 * (np.exp(-a**2 / (2 * sigma**2)) - np.exp(-b**2 / (2 * sigma**2))) / (b**2 - a**2)


def test_radial_profile_of_gaussian_is_monotone_and_matches_the_analytic_values():
    sigma = 60.0
    prof = rgradcam.radial_profile(gaussian_map(401, sigma), n_bins=10)
    assert len(prof) == 10
    assert np.all(np.diff(prof["mean"].to_numpy()) < 0)
    expected = annulus_mean_gaussian(prof["r_lo"].to_numpy(), prof["r_hi"].to_numpy(), sigma)
    np.testing.assert_allclose(prof["mean"], expected, rtol=0.01)
    assert prof["r_hi"].iloc[-1] == pytest.approx(200.5)
    np.testing.assert_allclose(prof["r_frac"], (np.arange(10) + 0.5) / 10)


def test_radial_profile_of_a_constant_map_and_pixel_counts():
    img = np.full((32, 32), 0.7)
    prof = rgradcam.radial_profile(img, n_bins=4)
    np.testing.assert_allclose(prof["mean"], 0.7)
    r = rgradcam.radius_grid((32, 32))
    assert prof["n_pix"].sum() == int((r <= 16).sum())   # corners outside the inscribed circle left out
    # the centre of an even-sized image lies between four pixels
    assert r.min() == pytest.approx(np.sqrt(0.5))


def test_radial_profile_rejects_bad_input():
    with pytest.raises(ValueError, match="2-d"):
        rgradcam.radial_profile(np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match="n_bins"):
        rgradcam.radial_profile(np.zeros((4, 4)), n_bins=0)


def test_radial_profile_with_more_bins_than_pixels_gives_nan_for_empty_annuli():
    prof = rgradcam.radial_profile(np.ones((4, 4)), n_bins=20)
    assert prof["mean"].isna().any()
    assert np.nanmax(prof["mean"]) == 1.0


def test_average_maps_of_a_known_set():
    maps = np.stack([np.full((3, 3), v, dtype=np.float16) for v in (0.0, 0.25, 0.5, 1.0)])
    np.testing.assert_allclose(rgradcam.average_maps(maps), 0.4375)
    mask = np.array([False, True, False, True])
    np.testing.assert_allclose(rgradcam.average_maps(maps, mask), 0.625)
    np.testing.assert_allclose(rgradcam.average_maps(maps, mask, chunk=1), 0.625)  # chunking does not matter
    assert rgradcam.average_maps(maps, mask).dtype == np.float64
    assert np.isnan(rgradcam.average_maps(maps, np.zeros(4, bool))).all()
    with pytest.raises(ValueError, match="mask"):
        rgradcam.average_maps(maps, np.ones(3, bool))


def test_mean_radius_extremes():
    size = 41
    centre = np.zeros((size, size))
    centre[20, 20] = 1.0
    assert rgradcam.mean_radius(centre) == pytest.approx(0.0)
    r = rgradcam.radius_grid((size, size))
    uniform = (r <= size / 2).astype(float)
    assert rgradcam.mean_radius(uniform) == pytest.approx(2 / 3, abs=0.02)
    ring = ((r > 15) & (r <= 16)).astype(float)
    assert rgradcam.mean_radius(ring) == pytest.approx(15.5 / 20.5, abs=0.02)
    out = rgradcam.mean_radius(np.stack([centre, uniform, np.zeros_like(centre)]))
    assert out.shape == (3,) and np.isnan(out[2])


def test_summarise_reports_counts_and_empty_maps():
    maps = np.stack([gaussian_map(16, 3.0), gaussian_map(16, 6.0), np.zeros((16, 16))]).astype(np.float16)
    avg, prof, s = rgradcam.summarise(maps, np.array([True, True, True]), n_bins=4)
    assert s.n == 3 and s.n_empty == 1
    assert s.peak_r_frac == pytest.approx(prof["r_frac"].iloc[0])
    assert 0 < s.mean_radius_per_galaxy < 2 / 3
    _, _, s0 = rgradcam.summarise(maps, np.zeros(3, bool))
    assert s0.n == 0 and np.isnan(s0.mean_radius_of_average)


# --- GradCAM --------------------------------------------------------------------------------

class TinyCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 6, 3, stride=2, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(6, 2)

    def forward(self, x):
        x = torch.relu(self.conv2(torch.relu(self.conv1(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


class Brightness(nn.Module):
    """logit(disk) = mean grey level, logit(smooth) = -mean grey level: GradCAM is known exactly."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 1, 1, bias=False)
        self.fc = nn.Linear(1, 2, bias=False)
        with torch.no_grad():
            self.conv.weight.fill_(1 / 3)
            self.fc.weight.copy_(torch.tensor([[-1.0], [1.0]]))

    def forward(self, x):
        return self.fc(torch.flatten(self.conv(x).mean(dim=(2, 3), keepdim=True), 1))


def no_hooks(model: nn.Module) -> bool:
    return all(not m._forward_hooks and not m._backward_hooks and not getattr(m, "_forward_pre_hooks", {})
               for m in model.modules())


def random_images(n: int, size: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, size, size, 3), dtype=np.uint8)


def test_gradcam_on_a_tiny_cnn_gives_image_sized_maps_in_unit_range_and_releases_hooks():
    torch.manual_seed(0)
    model = TinyCNN()
    model.train()
    imgs = random_images(7, 16)
    maps = mgradcam.gradcam_maps(model, imgs, np.array([0, 1, 1, 0, 1, 0, 1]), batch_size=3, layer=model.conv2)
    assert maps.shape == (7, 16, 16) and maps.dtype == np.float32
    assert np.all(np.isfinite(maps)) and maps.min() >= 0 and maps.max() <= 1 + 1e-6
    assert no_hooks(model)
    assert all(p.requires_grad for p in model.parameters())   # flags restored
    assert model.training                                       # mode restored
    assert all(p.grad is None for p in model.parameters())
    # the batch size does not change the maps (eval mode: images are independent)
    again = mgradcam.gradcam_maps(model, imgs, np.array([0, 1, 1, 0, 1, 0, 1]), batch_size=7, layer=model.conv2)
    np.testing.assert_allclose(maps, again, atol=1e-5)


def test_gradcam_hooks_are_released_when_it_fails():
    model = TinyCNN()
    with pytest.raises(RuntimeError, match="GradCAM stopped"):
        mgradcam.gradcam_maps(model, random_images(2, 8), np.array([0, 5]), layer=model.conv2)  # no class 5
    assert no_hooks(model)
    assert all(p.requires_grad for p in model.parameters())
    with pytest.raises(ValueError, match=">= 0"):
        mgradcam.gradcam_maps(model, random_images(2, 8), np.array([0, -1]), layer=model.conv2)
    with pytest.raises(ValueError, match="one entry per image"):
        mgradcam.gradcam_maps(model, random_images(2, 8), np.array([0]), layer=model.conv2)
    assert no_hooks(model)


def test_gradcam_of_a_linear_brightness_model_is_the_normalised_image():
    model = Brightness()
    imgs = random_images(3, 12, seed=1)
    maps = mgradcam.gradcam_maps(model, imgs, np.array([1, 1, 0]), layer=model.conv)
    grey = imgs.astype(np.float64).mean(axis=3) / 255
    for i in range(2):   # class disk: weights > 0, the map is the min-max normalised grey image
        g = grey[i]
        np.testing.assert_allclose(maps[i], (g - g.min()) / (g.max() - g.min()), atol=1e-4)
    # class smooth: every weighted activation is negative, the ReLU leaves nothing
    np.testing.assert_allclose(maps[2], 0.0, atol=1e-6)
    # target None = the predicted class (disk here, since the logit of disk = +brightness > 0)
    np.testing.assert_allclose(mgradcam.gradcam_maps(model, imgs[:2], None, layer=model.conv), maps[:2], atol=1e-6)


def test_gradcam_accepts_float_images_and_fills_a_float16_out_array(tmp_path):
    model = Brightness()
    imgs = random_images(4, 10)
    x = torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 255
    out = np.lib.format.open_memmap(tmp_path / "m.npy", mode="w+", dtype=np.float16, shape=(4, 10, 10))
    res = mgradcam.gradcam_maps(model, x, np.ones(4, int), layer=model.conv, out=out)
    assert res is out
    ref = mgradcam.gradcam_maps(model, imgs, np.ones(4, int), layer=model.conv)
    np.testing.assert_allclose(np.asarray(out, np.float32), ref, atol=1e-3)
    with pytest.raises(ValueError, match="shape"):
        mgradcam.gradcam_maps(model, imgs, np.ones(4, int), layer=model.conv, out=np.zeros((3, 10, 10)))


def test_gradcam_on_the_compact_resnet_uses_its_last_block():
    torch.manual_seed(0)
    model = build_model(get_profile("smoke")).eval()
    maps = mgradcam.gradcam_maps(model, random_images(5, 32), np.array([0, 1, 0, 1, 1]), batch_size=2)
    assert maps.shape == (5, 32, 32)
    assert maps.min() >= 0 and maps.max() <= 1 + 1e-6
    assert no_hooks(model)
    assert target_layer(model) is model.stages[-1][-1]


def test_write_gradcam_is_atomic_and_reused_while_fresh(tmp_path, monkeypatch):
    model = Brightness()
    imgs = random_images(5, 8)
    model_file = tmp_path / "model.pt"
    model_file.write_bytes(b"weights v1")
    path = tmp_path / "gradcam" / "brightness_maps.npy"
    ids = np.arange(5)
    tc = np.array([1, 1, 0, 1, 0])
    calls = []
    real = mgradcam.gradcam_maps

    def counting(*a, **k):
        calls.append(1)
        return real(*a, layer=model.conv, **{kk: v for kk, v in k.items() if kk != "layer"})

    monkeypatch.setattr(mgradcam, "gradcam_maps", counting)
    maps = mgradcam.write_gradcam(path, model, imgs, tc, ids, model_path=model_file)
    assert maps.dtype == np.float16 and maps.shape == (5, 8, 8)
    assert artifacts.manifest_path(path).exists()
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]   # no temporary files left
    mgradcam.write_gradcam(path, model, imgs, tc, ids, model_path=model_file)
    assert len(calls) == 1                       # reused
    mgradcam.write_gradcam(path, model, imgs, 1 - tc, ids, model_path=model_file)
    assert len(calls) == 2                       # other targets: recomputed
    model_file.write_bytes(b"weights v2")
    mgradcam.write_gradcam(path, model, imgs, 1 - tc, ids, model_path=model_file)
    assert len(calls) == 3                       # another model file: recomputed


def test_gradcam_rows_select_images_without_copying_the_cache(tmp_path):
    model = Brightness()
    imgs = random_images(10, 8, seed=4)
    mm = np.lib.format.open_memmap(tmp_path / "c.npy", mode="w+", dtype=np.uint8, shape=imgs.shape)
    mm[:] = imgs
    mm.flush()
    ro = np.load(tmp_path / "c.npy", mmap_mode="r")                 # read-only, like the image cache
    rows = np.array([7, 2, 9, 0])
    got = mgradcam.gradcam_maps(model, ro, np.ones(4, int), batch_size=3, layer=model.conv, rows=rows)
    ref = mgradcam.gradcam_maps(model, imgs[rows], np.ones(4, int), layer=model.conv)
    np.testing.assert_allclose(got, ref, atol=1e-6)
    with pytest.raises(IndexError):
        mgradcam.gradcam_maps(model, ro, None, layer=model.conv, rows=np.array([10]))


def test_feature_size_overlay_and_compare_spread():
    torch.manual_seed(0)
    model = build_model(get_profile("smoke"))
    model.train()
    assert mgradcam.feature_size(model, (32, 32)) == (4, 4)
    assert model.training and no_hooks(model)
    img = random_images(1, 6)[0]
    ov = rgradcam.overlay(img, np.zeros((6, 6)), weight=0.0)
    np.testing.assert_array_equal(ov, img)
    assert rgradcam.overlay(img, np.ones((6, 6))).dtype == np.uint8
    with pytest.raises(ValueError, match="differ"):
        rgradcam.overlay(img, np.ones((5, 6)))
    S = rgradcam.MapSummary
    wide, narrow = S(50, 0.5, 0.50, 0.01, 0.4, 0), S(50, 0.3, 0.30, 0.01, 0.0, 0)
    assert rgradcam.compare_spread(wide, narrow) == "more extended than"
    assert rgradcam.compare_spread(narrow, wide) == "more concentrated than"
    assert rgradcam.compare_spread(wide, S(50, 0.5, 0.51, 0.01, 0.4, 0)) == "about as extended as"
    assert rgradcam.compare_spread(wide, S(0, np.nan, np.nan, np.nan, np.nan, 0)) == "not comparable with"
    # a seed-to-seed spread larger than the difference makes it "about as extended as"
    assert rgradcam.compare_spread(wide, narrow, extra_sd=0.15) == "about as extended as"
    assert rgradcam.compare_spread(wide, narrow, extra_sd=np.nan) == "more extended than"


def test_mean_image_is_the_mean_grey_level():
    imgs = random_images(5, 4, seed=2)
    np.testing.assert_allclose(rgradcam.mean_image(imgs, chunk=2), imgs.mean(axis=(0, 3)) / 255)
    np.testing.assert_allclose(rgradcam.mean_image(imgs, rows=np.array([4, 1])), imgs[[4, 1]].mean(axis=(0, 3)) / 255)
    with pytest.raises(ValueError):
        rgradcam.mean_image(imgs[:0])


# --- placing the cells: receptive-field alignment ------------------------------------------------

def test_receptive_field_geometry_of_the_book_networks():
    from galbias.methods.models import paper_resnet50

    model = build_model(get_profile("smoke"))
    assert mgradcam.receptive_field_geometry(model) == (8.0, 0.0)
    assert mgradcam.library_offset(model, (32, 32)) == pytest.approx(3.5)
    r50 = paper_resnet50()
    assert mgradcam.receptive_field_geometry(r50) == (32.0, 0.0)
    assert mgradcam.feature_size(r50, (207, 207)) == (7, 7)
    assert mgradcam.library_offset(r50, (207, 207)) == pytest.approx(7.0)
    with pytest.raises(ValueError, match="sub-module"):
        mgradcam.receptive_field_geometry(model, nn.Conv2d(1, 1, 1))


def test_receptive_field_geometry_matches_the_gradient_centroid():
    """With uniform positive weights the network is linear and symmetric: the centroid of the
    input gradient of one interior cell is its receptive-field centre."""
    torch.manual_seed(0)
    model = build_model(get_profile("smoke")).eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.fill_(1.0 / m.weight[0].numel())
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.fill_(1.0)
                m.bias.zero_()
    layer = target_layer(model)
    feats = {}
    h = layer.register_forward_hook(lambda mod, i, o: feats.setdefault("o", o))
    x = torch.full((1, 3, 128, 128), 0.5, requires_grad=True)
    model(x)
    h.remove()
    j = 8
    feats["o"][0, :, j, j].sum().backward()
    g = x.grad[0].abs().sum(0).numpy()
    yy, xx = np.mgrid[:128, :128]
    cy, cx = (g * yy).sum() / g.sum(), (g * xx).sum() / g.sum()
    S, O = mgradcam.receptive_field_geometry(model)
    assert cy == pytest.approx(S * j + O, abs=0.5) and cx == pytest.approx(S * j + O, abs=0.5)


class Spot(nn.Module):
    """Two padded stride-2 convolutions with positive weights (S = 4, O = 0), then the mean."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 1, 3, stride=2, padding=1, bias=False)
        self.c2 = nn.Conv2d(1, 1, 3, stride=2, padding=1, bias=False)
        self.fc = nn.Linear(1, 2, bias=False)
        with torch.no_grad():
            self.c1.weight.fill_(1.0)
            self.c2.weight.fill_(1.0)
            self.fc.weight.copy_(torch.tensor([[-1.0], [1.0]]))

    def forward(self, x):
        return self.fc(self.c2(self.c1(x)).mean(dim=(2, 3))[:, None, 0])


def test_aligned_maps_peak_on_the_feature_and_the_library_maps_are_shifted():
    model = Spot()
    img = np.zeros((1, 32, 32, 3), np.uint8)
    img[0, 16, 16] = 255          # only cell (4, 4) of the 8 x 8 layer output sees it
    aligned = mgradcam.gradcam_maps(model, img, [1], layer=model.c2)[0]
    lib = mgradcam.gradcam_maps(model, img, [1], layer=model.c2, align="library")[0]
    assert np.unravel_index(aligned.argmax(), aligned.shape) == (16, 16)
    peak = np.array(np.unravel_index(lib.argmax(), lib.shape))
    assert np.all(peak >= 17) and np.all(peak <= 18)            # 1.5 px down/right, as predicted
    assert mgradcam.library_offset(model, (32, 32), model.c2) == pytest.approx(1.5)
    assert aligned.max() == pytest.approx(1.0, abs=1e-5) and aligned.min() >= 0
    with pytest.raises(ValueError, match="align"):
        mgradcam.gradcam_maps(model, img, [1], layer=model.c2, align="nearest")


def test_library_alignment_reproduces_pytorch_grad_cam():
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    torch.manual_seed(1)
    model = build_model(get_profile("smoke")).eval()
    imgs = random_images(4, 32, seed=3)
    ours = mgradcam.gradcam_maps(model, imgs, [0, 1, 1, 0], batch_size=3, align="library")
    x = torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 255
    with GradCAM(model=model, target_layers=[target_layer(model)]) as cam:
        ref = cam(input_tensor=x, targets=[ClassifierOutputTarget(c) for c in (0, 1, 1, 0)])
    np.testing.assert_allclose(ours, ref, atol=1e-5)
    assert no_hooks(model)


def test_upsample_aligned_edges_and_single_cell():
    cams = np.array([[[0.0, 1.0], [0.0, 1.0]]])
    up = mgradcam.upsample_aligned(cams, (8, 8), stride=4, offset=1.5)   # cells at pixels 1.5 and 5.5
    np.testing.assert_allclose(up[0, :, 0], 0.0, atol=1e-6)           # left of the first centre: edge value
    np.testing.assert_allclose(up[0, :, 7], 1.0, atol=1e-6)
    np.testing.assert_allclose(up[0, 0, 2:6], [0.125, 0.375, 0.625, 0.875], atol=1e-5)
    one = mgradcam.upsample_aligned(np.array([[[0.3]]]), (4, 4), stride=4, offset=1.5)
    assert one.shape == (1, 4, 4) and np.all(one == 0)                # constant map: nothing stands out


def test_paper_agreement():
    more, less, same = "more extended than", "more concentrated than", "about as extended as"
    assert rgradcam.paper_agreement([more, more]) == "as in the paper"
    assert rgradcam.paper_agreement([less, same]) == "unlike the paper"
    assert rgradcam.paper_agreement([more, same]) == "partly as in the paper"
    none = "not comparable with"
    assert rgradcam.paper_agreement([none, none]) == "not testable in this run"
    assert rgradcam.paper_agreement([more, none]) == "as in the paper"
    with pytest.raises(ValueError):
        rgradcam.paper_agreement([])


# --- threads ----------------------------------------------------------------------------------

class ThreadProbe(Brightness):
    """Records torch's thread count at every forward pass."""

    seen: list[int]

    def forward(self, x):
        self.seen.append(torch.get_num_threads())
        return super().forward(x)


def test_gradcam_uses_the_training_thread_count_on_the_cpu_and_restores_it(monkeypatch):
    old = torch.get_num_threads()
    model = ThreadProbe()
    model.seen = []
    try:
        torch.set_num_threads(2)
        monkeypatch.setenv("GALBIAS_THREADS", "1")
        mgradcam.gradcam_maps(model, random_images(2, 8), [1, 1], layer=model.conv, batch_size=1)
        assert model.seen == [1, 1]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(old)


# --- what chapter 8 shows ----------------------------------------------------------------------

def test_predicted_class_is_the_strict_threshold_of_p_disk():
    import pandas as pd

    frame = pd.DataFrame({"p_disk_ddb": [0.2, 0.5, 0.51, np.nan, 0.99]})
    t = rgradcam.predicted_class(frame, "ddb")
    assert t.dtype == np.int64 and t.tolist() == [0, 0, 1, 0, 1]
    assert rgradcam.predicted_class(frame, "ddb", threshold=0.9).tolist() == [0, 0, 0, 0, 1]


def class_maps_fixture():
    maps = {"ce_gz2b": np.stack([gaussian_map(16, s) for s in (2.0, 2.5, 6.0, 7.0)]).astype(np.float16),
            "ddb": np.stack([gaussian_map(16, s) for s in (6.0, 7.0, 2.0, 2.5)]).astype(np.float16)}
    targets = {"ce_gz2b": np.array([1, 1, 0, 0]), "ddb": np.array([1, 1, 0, 0])}
    return maps, targets


def test_class_maps_summarise_every_network_and_class_and_write_the_means(tmp_path):
    maps, targets = class_maps_fixture()
    res = rgradcam.class_maps(maps, targets, n_bins=4)
    assert list(res) == [("ce_gz2b", "disk"), ("ce_gz2b", "smooth"), ("ddb", "disk"), ("ddb", "smooth")]
    np.testing.assert_allclose(res["ddb", "smooth"].mean, rgradcam.average_maps(maps["ddb"], targets["ddb"] == 0))
    assert res["ce_gz2b", "disk"].summary.n == 2 and len(res["ce_gz2b", "disk"].profile) == 4
    mean, profile, summary = res["ddb", "disk"]                            # unpacks like summarise()
    assert profile is res["ddb", "disk"].profile
    assert summary.mean_radius_per_galaxy > res["ce_gz2b", "disk"].summary.mean_radius_per_galaxy
    with pytest.raises(ValueError, match="targets"):
        rgradcam.class_maps(maps, {"ce_gz2b": np.ones(3, int), "ddb": targets["ddb"]})
    paths = rgradcam.write_means(tmp_path, res)
    assert sorted(p.name for p in paths) == ["ce_gz2b_mean_disk.npy", "ce_gz2b_mean_smooth.npy",
                                             "ddb_mean_disk.npy", "ddb_mean_smooth.npy"]
    got = np.load(tmp_path / "ddb_mean_disk.npy")
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, mean, rtol=1e-6)


def test_spread_table_and_numbers_compare_ddb_with_the_other_networks():
    maps, targets = class_maps_fixture()
    res = rgradcam.class_maps(maps, targets, n_bins=4)
    tab = rgradcam.spread_table(res)
    assert list(tab.index) == [("CE on GZ2B", "disk"), ("CE on GZ2B", "smooth"), ("DDB on GZ2B", "disk"),
                               ("DDB on GZ2B", "smooth")]
    assert tab.loc[("DDB on GZ2B", "disk"), "r̄ per galaxy"] == res["ddb", "disk"].summary.mean_radius_per_galaxy
    assert tab["galaxies"].tolist() == [2, 2, 2, 2] and tab["empty"].sum() == 0 and "seed sd" not in tab
    n = rgradcam.spread_numbers(res)
    assert n["cmp_disk_ce_gz2b"] == "more extended than" and n["agree_disk"] == "as in the paper"
    assert n["cmp_smooth_ce_gz2b"] == "more concentrated than" and n["agree_smooth"] == "unlike the paper"
    assert n["n_disk_ddb"] == 2 and n["mr_smooth_ddb"] == res["ddb", "smooth"].summary.mean_radius_per_galaxy
    assert n["peak_disk_ce_gz2b"] == res["ce_gz2b", "disk"].summary.peak_r_frac
    assert "cmp_disk_ddb" not in n
    alone = rgradcam.spread_numbers({k: v for k, v in res.items() if k[0] == "ddb"})
    assert "agree_disk" not in alone and alone["n_smooth_ddb"] == 2


def test_geometry_numbers_of_the_compact_network():
    model = build_model(get_profile("smoke"))
    g = rgradcam.geometry_numbers(model, (32, 32))
    assert g == {"feat_px": 4, "image_px": 32, "rf_stride": 8.0, "lib_offset_px": pytest.approx(3.5)}


def test_light_radii_follow_the_field_of_view_and_the_concentration():
    import pandas as pd

    frame = pd.DataFrame({"petroR50_r": [1.0, 2.0, 3.0], "petroR90_r": [4.0, 4.0, 4.0]})
    r = rgradcam.light_radii(frame, image_fov_r90=4.0, image_size=64)
    assert r["r90_frac"] == pytest.approx(0.5) and r["r50_frac"] == pytest.approx(0.25)
    # a centre crop to half the pixels keeps half the field: R90 moves out to the edge
    assert rgradcam.light_radii(frame, 4.0, 64, image_crop=32)["r90_frac"] == pytest.approx(1.0)
    assert np.isnan(rgradcam.light_radii(frame[["petroR90_r"]], 4.0, 64)["r50_frac"])


def test_light_profile_subtracts_the_sky_of_the_corners():
    size = 33
    img = np.full((3, size, size, 3), 40, np.uint8)       # a flat sky ...
    r = rgradcam.radius_grid((size, size))
    img[:, r <= 4] = 240                                  # ... and a bright central disk
    prof, mr = rgradcam.light_profile(img, n_bins=4)
    assert prof["mean"].iloc[0] > 0.5 and np.allclose(prof["mean"].iloc[1:], 0.0)
    assert 0 < mr < 4 / 16.5
    _, flat = rgradcam.light_profile(np.full((2, 8, 8, 3), 90, np.uint8), n_bins=2)
    assert np.isnan(flat)                                 # nothing above the sky


def test_changed_examples_are_a_reproducible_sorted_sample_of_the_changed_galaxies():
    import pandas as pd

    frame = pd.DataFrame({"gz2b": [0, 0, 1, 0, 0, 0, 1, 0], "p_disk_ddb": [0.9, 0.1, 0.9, 0.8, 0.7, 0.6, 0.2, 0.95]})
    changed = {0, 3, 4, 5, 7}
    pick = rgradcam.changed_examples(frame, 3, seed=1)
    assert len(pick) == 3 and set(pick) <= changed and np.all(np.diff(pick) > 0)
    np.testing.assert_array_equal(pick, rgradcam.changed_examples(frame, 3, seed=1))
    assert set(rgradcam.changed_examples(frame, 10, seed=1)) == changed
    assert len(rgradcam.changed_examples(frame.assign(p_disk_ddb=0.1), 3, seed=1)) == 0


def test_example_tiles_put_each_network_in_its_own_row():
    import pandas as pd

    imgs = random_images(6, 8, seed=5)
    rows = np.array([5, 4, 3, 2, 1, 0])                    # galaxy i is image 5 - i
    frame = pd.DataFrame({"alpha": np.arange(6) + 2.0, "truth_class": [0, 1, 1, 0, 2, 1],
                          "p_disk_ce_gz2b": np.linspace(0, 1, 6), "p_disk_ddb": np.linspace(1, 0, 6)})
    maps = {n: np.zeros((6, 8, 8), np.float16) for n in ("ce_gz2b", "ddb")}
    targets = {"ce_gz2b": np.array([0, 0, 0, 1, 1, 1]), "ddb": np.array([1, 1, 1, 0, 0, 0])}
    tiles, titles, row_labels = rgradcam.example_tiles(imgs, rows, frame, maps, targets, np.array([1, 4]))
    assert len(tiles) == len(titles) == 6
    np.testing.assert_array_equal(tiles[0], imgs[4])
    np.testing.assert_array_equal(tiles[1], imgs[1])
    assert titles[:2] == ["α=3.0\ndisk", "α=6.0\nstar/artifact"]
    assert titles[2] == "→ smooth\np=0.20" and titles[5] == "→ smooth\np=0.20"
    assert row_labels == ["survey image", "CE on GZ2B", "DDB on GZ2B"]
    assert all(t.dtype == np.uint8 and t.shape == (8, 8, 3) for t in tiles)


def test_seed_spread_and_its_use_in_the_comparison():
    maps, targets = class_maps_fixture()
    res = rgradcam.class_maps(maps, targets, n_bins=4)
    S = rgradcam.MapSummary

    def one(mr):
        return rgradcam.ClassMaps(np.zeros((2, 2)), None, S(10, mr, mr, 0.001, 0.0, 0))

    seeds = {("ddb", "disk"): one(0.50), ("ddb_s1", "disk"): one(0.60), ("ce_gz2b", "disk"): one(0.40),
             ("ce_gz2b_s1", "disk"): one(0.40), ("ddb", "smooth"): one(0.3)}
    sd = rgradcam.seed_spread(seeds, {"ddb": "ddb", "ddb_s1": "ddb", "ce_gz2b": "ce_gz2b", "ce_gz2b_s1": "ce_gz2b"})
    assert sd["ddb", "disk"] == pytest.approx(np.std([0.5, 0.6], ddof=1))
    assert sd["ce_gz2b", "disk"] == 0.0 and np.isnan(sd["ddb", "smooth"])
    n = rgradcam.spread_numbers(res, seed_sd=sd)
    assert n["sd_disk_ddb"] == pytest.approx(sd["ddb", "disk"]) and "seed-to-seed" in n["noise_kind"]
    assert "not included" in rgradcam.spread_numbers(res)["noise_kind"]
    tab = rgradcam.spread_table(res, seed_sd=sd)
    assert tab.loc[("DDB on GZ2B", "disk"), "seed sd"] == pytest.approx(sd["ddb", "disk"])


# --- chapter 8's figures ------------------------------------------------------------------------

def test_map_scale_is_the_largest_finite_average_value():
    maps, targets = class_maps_fixture()
    res = rgradcam.class_maps(maps, targets, n_bins=4)
    assert gradcamplots.map_scale(res) == pytest.approx(max(np.nanmax(r.mean) for r in res.values()))
    empty = rgradcam.ClassMaps(np.full((2, 2), np.nan), None, rgradcam.MapSummary(0, *[np.nan] * 4, 0))
    assert gradcamplots.map_scale({("ddb", "disk"): empty}) == 1.0


def test_mean_maps_and_radial_figures_have_a_panel_per_network_and_class():
    import matplotlib.pyplot as plt
    from galbias.results.networks import by_name

    maps, targets = class_maps_fixture()
    targets = {**targets, "ddb": np.ones(4, int)}                # DDB predicts no smooth galaxy
    res = rgradcam.class_maps(maps, targets, n_bins=4)
    nets = [by_name("ce_gz2b"), by_name("ddb")]
    radii = {"r50_frac": 0.2, "r90_frac": np.nan}
    fig = gradcamplots.mean_maps_figure(res, radii, 16, networks=nets)
    panels = fig.axes[:-1]                                      # the last axes is the colour bar
    assert len(panels) == 4 and panels[0].get_title() == "CE on GZ2B\ndisk, n = 2"
    assert len(panels[0].patches) == 1                          # only the finite R50 circle
    assert panels[3].texts[0].get_text() == "no galaxy\npredicted smooth" and not panels[3].images
    assert panels[0].images[0].get_clim() == (0, pytest.approx(gradcamplots.map_scale(res)))
    light, _ = rgradcam.light_profile(random_images(3, 16, seed=4), n_bins=4)
    fig2 = gradcamplots.radial_figure(res, light, radii, networks=nets)
    assert [ax.get_title() for ax in fig2.axes] == ["predicted disk", "predicted smooth"]
    assert len(fig2.axes[0].lines) == 3 + 1                     # two networks, the light, R50
    plt.close("all")


def test_examples_figure_shows_the_tiles_or_a_note():
    import matplotlib.pyplot as plt
    import pandas as pd

    imgs = random_images(4, 8, seed=6)
    frame = pd.DataFrame({"alpha": [1.0, 2.0, 3.0, 4.0], "p_disk_ce_gz2b": [0.1] * 4, "p_disk_ddb": [0.9] * 4})
    maps = {n: np.zeros((4, 8, 8), np.float16) for n in ("ce_gz2b", "ddb")}
    targets = {"ce_gz2b": np.zeros(4, int), "ddb": np.ones(4, int)}
    fig = gradcamplots.examples_figure(imgs, np.arange(4), frame, maps, targets, np.array([0, 2]))
    assert len(fig.axes) == 6 and fig.axes[0].get_title() == "α=1.0" and fig.axes[0].title.get_fontsize() == 8.5
    assert fig.axes[2].get_ylabel() == "CE on GZ2B"
    note = gradcamplots.examples_figure(imgs, np.arange(4), frame, maps, targets, np.array([], int))
    assert "changed no test galaxy" in note.axes[0].texts[0].get_text()
    plt.close("all")


def test_paper_geometry_numbers_and_the_table_caption():
    assert rgradcam.paper_geometry_numbers(207) == {"paper_crop_px": 207, "paper_lib_offset_px": pytest.approx(7.0),
                                                    "paper_feat_px": 7}
    assert rgradcam.SPREAD_CAPTION.startswith("Table 8.1.") and "peak at" in rgradcam.SPREAD_CAPTION
