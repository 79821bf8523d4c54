"""The demo behind ``python -m sklearn_losses`` runs and shows what it promises."""

import pytest

from sklearn_losses.__main__ import main


def test_demo_prints_tables_and_writes_plots(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["--plots", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for text in ("test MSE", "huber (delta=20)", "quantile (q=0.5)", "modified_huber",
                 "zero weights", "cross-entropy"):
        assert text in out
    assert (tmp_path / "regression_predictions.png").stat().st_size > 10_000
    assert (tmp_path / "classification_zero_weights.png").stat().st_size > 10_000
    # the robust losses beat squared error on the clean test set (outliers in training)
    rows = {line.split("  ")[0]: line.split() for line in out.splitlines()}
    mae = {name: float(rows[name][-2]) for name in ("squared_error", "absolute_error")}
    assert mae["absolute_error"] < mae["squared_error"]


def test_demo_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "--plots DIR" in capsys.readouterr().out
