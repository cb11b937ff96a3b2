"""A fit figure drawn on the figure kept from the last one of its kind is the figure drawn on a new one, byte for byte
(issue 20 item 4: making the figure, its axes and their tick objects was about a fifth of drawing it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flopmine.analysis import figures as fig
from flopmine.analysis.report import run_analysis
from flopmine.analysis.synthetic import Truth, synthetic_frame

_truths = st.builds(Truth, intercept=st.floats(-1.2, -0.05), slope=st.floats(-0.4, -0.005),
                    noise=st.floats(0.005, 0.2))
_frames = st.tuples(st.integers(6, 400), _truths, st.floats(-3.0, 6.0), st.floats(0.2, 9.0), st.booleans())


def _fits(specs: list[tuple[int, Truth, float, float, bool]]):  # type: ignore[no-untyped-def]
    """Fits of one benchmark per spec (rows, truth, log10 compute range, imputed rows or not), with their points."""
    frames = []
    for i, (n, truth, low, width, imputed) in enumerate(specs):
        df = synthetic_frame(n, truth, seed=i, benchmark=("imagenet", "coco", "squad11", "wmt14_en_fr")[i],
                             log10_range=(low, low + width))
        if imputed:  # some rows' GFLOPs imputed from params (drawn as orange crosses, a legend entry more)
            half = np.arange(n) % 2 == 0
            df["gflops_imputed"] = df["gflops_per_pass"].where(half)
            df["gflops_imputed_flag"] = half
            df["gflops_per_pass"] = df["gflops_per_pass"].where(~half)
        frames.append(df)
    result = run_analysis(pd.concat(frames, ignore_index=True), sims=0)
    return [(result.drawn[f.benchmark, f.measure], f) for f in result.fits.fits]


def _draw_all(fits, out: Path, *, fresh: bool) -> list[bytes]:  # type: ignore[no-untyped-def]
    out.mkdir(parents=True, exist_ok=True)
    drawn = []
    for i, (points, f) in enumerate(fits):
        for draw in (fig.scatter_fits, fig.mean_vs_quantile):
            if fresh:
                fig.close_kept()  # the reference: every figure on a new figure and axes
            drawn.append(draw(points, f, out / f"{i}_{draw.__name__}.png").read_bytes())
    return drawn


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_frames, min_size=2, max_size=4))
def test_figures_drawn_on_kept_figures_are_the_figures_drawn_on_new_ones(
        tmp_path_factory: pytest.TempPathFactory, specs: list[tuple[int, Truth, float, float, bool]]) -> None:
    fits = _fits(specs)
    out = tmp_path_factory.mktemp("figures")
    reference = _draw_all(fits, out / "new", fresh=True)
    fig.close_kept()
    assert _draw_all(fits, out / "kept", fresh=False) == reference
    assert _draw_all(fits[::-1], out / "backwards", fresh=False) == _draw_all(fits[::-1], out / "b_new", fresh=True)


def test_a_kept_figure_is_reused_and_never_closed(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    fits = _fits([(50, Truth(), 0.0, 3.0, False), (80, Truth(slope=-0.2), 2.0, 4.0, True)])
    fig.close_kept()
    _draw_all(fits, tmp_path, fresh=False)
    assert set(fig._KEPT) == {"scatter_fits", "mean_vs_quantile"}
    kept = [f for f, _ in fig._KEPT.values()]
    assert all(plt.fignum_exists(f.number) for f in kept)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_frames, min_size=1, max_size=3), st.sampled_from([fig.DPI, 100]))
def test_figures_drawn_after_the_kept_figures_were_prepared_are_the_figures_drawn_on_new_ones(
        tmp_path_factory: pytest.TempPathFactory, specs: list[tuple[int, Truth, float, float, bool]], dpi: int) -> None:
    """analyze's helpers make and draw their kept figures, empty, while they wait for the first fit
    (``figures.prepare_kept``, at the run's resolution or another): what they draw after is unchanged."""
    fits = _fits(specs)
    out = tmp_path_factory.mktemp("figures")
    reference = _draw_all(fits, out / "new", fresh=True)
    fig.close_kept()
    fig.prepare_kept(dpi)
    assert _draw_all(fits, out / "prepared", fresh=False) == reference
    fig.close_kept()
