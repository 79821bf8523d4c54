"""The demo behind ``python -m sklearn_losses`` runs and shows what it promises."""

import sys

import pytest

import sklearn_losses.__main__ as demo
from sklearn_losses.__main__ import main


def test_demo_prints_tables_and_writes_plots(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["--plots", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for text in ("test MSE", "alpha", "alpha * 2", "huber (delta=20)", "quantile (q=0.5)", "modified_huber",
                 "zero weights", "cross-entropy"):
        assert text in out
    assert (tmp_path / "regression_outliers.png").stat().st_size > 10_000
    assert (tmp_path / "classification_coefficients.png").stat().st_size > 10_000
    # the robust losses beat squared error on the clean test set (outliers in training)
    rows = {line.split("  ")[0]: line.split() for line in out.splitlines()}
    mae = {name: float(rows[name][-2]) for name in ("squared_error", "absolute_error")}
    assert mae["absolute_error"] < mae["squared_error"]


def test_demo_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "--plots DIR" in capsys.readouterr().out


def test_demo_plots_without_matplotlib_fail_before_the_work(monkeypatch, tmp_path):
    # --plots without matplotlib says so at once, not after the fits
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails

    def no_fits(*args, **kwargs):
        raise AssertionError("the demo ran before checking for matplotlib")

    monkeypatch.setattr(demo, "regression", no_fits)
    with pytest.raises(SystemExit, match="--plots needs matplotlib"):
        main(["--plots", str(tmp_path)])


def test_outlier_sweep_shows_the_robust_losses_flat():
    # the figure's claim: squared error's test error grows with the outliers, the
    # robust losses' stays within a few percent
    counts, errors = demo.outlier_sweep(counts=(0, 30))
    assert errors["squared_error"][1] > 1.1 * errors["squared_error"][0]
    for label in ("absolute_error", "huber (delta=20)", "quantile (q=0.5)"):
        assert errors[label][1] < 1.05 * errors[label][0]
