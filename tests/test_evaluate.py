import numpy as np
import pandas as pd
import pytest

from galbias.methods.metrics import classification_metrics, hard_labels


def test_metrics_by_hand():
    # 4 disks (1) and 4 smooth (0); predicted: TP=3, FN=1, FP=2, TN=2
    y = [1, 1, 1, 1, 0, 0, 0, 0]
    p = [1, 1, 1, 0, 1, 1, 0, 0]
    m = classification_metrics(y, p)
    assert m["accuracy"] == pytest.approx(5 / 8)
    assert m["precision"] == pytest.approx(3 / 5)
    assert m["recall"] == pytest.approx(3 / 4)
    assert m["f1"] == pytest.approx(2 * 0.6 * 0.75 / (0.6 + 0.75))
    assert m["n"] == 8


def test_metrics_skip_missing_and_validate():
    y = pd.array([1, 0, pd.NA, 1], dtype="Int8")
    m = classification_metrics(y, [1, 0, 1, np.nan])
    assert m["n"] == 2 and m["accuracy"] == 1.0
    with pytest.raises(ValueError, match="found \\[2\\]"):
        classification_metrics([0, 2], [0, 1])
    with pytest.raises(ValueError, match="3 entries"):
        classification_metrics([0, 1, 1], [0, 1])
    assert np.isnan(classification_metrics([np.nan], [1])["accuracy"])


def test_hard_labels():
    out = hard_labels([0.2, 0.7, np.nan, 0.5])
    assert out[0] == 0 and out[1] == 1 and out[3] == 0
    assert pd.isna(out[2])
