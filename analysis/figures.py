"""The report's figures (matplotlib, Agg backend, 150 dpi or print resolution): Figures 1, 3, 7 and 8 of the paper.

Each function draws one figure into a given path and returns it; nothing here reads the dataset
from disk. Kept cheap to draw (issue 14, item 8): fixed margins instead of a tight bounding box
(which draws every figure twice), powers of ten as Unicode superscripts instead of mathtext,
at most ``MAX_SCATTER`` points in a scatter, and a plain PNG encoder (``png_bytes``). A rerun skips a
figure whose inputs and drawing code are unchanged (``figcache``: a content hash beside the figures), and
analyze's helper processes (``workers.Helpers``) draw the rest, each through ``draw`` (issue 20 item 4).
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from flopmine.config import atomic_path  # noqa: E402

from .build import Conversion  # noqa: E402
from .figcache import DEFAULT_DPI, PRINT_DPI  # noqa: E402, F401
from .fit import MEASURE_LABELS, MeasureFits  # noqa: E402
from .simulate import MODELS, SimulationResult  # noqa: E402

DPI = DEFAULT_DPI  # figcache's (screen and the HTML report); PRINT_DPI with `flopmine analyze --dpi 300`
#: Scatter plots draw at most this many points (an evenly spaced sample, said in the legend): beyond
#: a few thousand the cloud looks the same and only costs rendering time. Fits always use every point.
MAX_SCATTER = 4000
SIZE = (5.5, 4.0)
#: Fixed margins (fractions of the figure) that fit the axis labels, ticks and title of a ``SIZE`` figure.
MARGINS = {"left": 0.125, "right": 0.97, "bottom": 0.13, "top": 0.92}
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
#: Minor ticks of a decade axis at 2 and 5 × 10^k: matplotlib's default (2…9 × 10^k) makes several times
#: more tick objects, and creating and laying them out was most of a figure's drawing time.
DECADE_MINOR_SUBS = (2.0, 5.0)


def _log_axis(axis: matplotlib.axis.Axis, *, percent: bool = False) -> None:
    """Readable log ticks: 1, 2, 5 × 10^k as plain numbers for error %, 10^k for compute."""
    if percent:
        axis.set_major_locator(matplotlib.ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
        axis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    else:
        axis.set_major_locator(matplotlib.ticker.LogLocator(base=10, numticks=12))
        axis.set_minor_locator(matplotlib.ticker.LogLocator(base=10, subs=DECADE_MINOR_SUBS, numticks=30))
        axis.set_major_formatter(matplotlib.ticker.FuncFormatter(_power_of_ten))


def _power_of_ten(value: float, _pos: int | None = None) -> str:
    """A decade tick as 10 with a Unicode superscript exponent (no mathtext: much cheaper to draw).

    >>> _power_of_ten(1e12), _power_of_ten(0.001), _power_of_ten(1.0)
    ('10¹²', '10⁻³', '10⁰')
    """
    if not value > 0:
        return ""
    exponent = math.log10(value)
    if abs(exponent - round(exponent)) > 1e-9:
        return f"{value:g}"
    return "10" + str(round(exponent)).translate(_SUPERSCRIPT)


def _split_imputed(points: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Masks of reported and imputed points, thinned to about ``MAX_SCATTER`` points in all."""
    n = len(points)
    imputed = points["_imputed"].to_numpy(bool) if "_imputed" in points.columns else np.zeros(n, bool)
    shown = np.zeros(n, bool)
    shown[:: max(1, math.ceil(n / MAX_SCATTER))] = True
    return ~imputed & shown, imputed & shown


def _shown(n_shown: int, n_all: int) -> str:
    return f"n = {n_all}" if n_shown == n_all else f"{n_shown} of {n_all} shown"


#: One figure per kind kept in this process for the next figure of that kind (``_figure``).
_KEPT: dict[str, tuple[plt.Figure, plt.Axes]] = {}


def _figure(kind: str | None = None, figsize: tuple[float, float] = SIZE) -> tuple[plt.Figure, plt.Axes]:
    """A new figure with one axes at ``MARGINS``; with ``kind``, the one kept from the last figure of that kind, emptied.

    Making a figure and its axes, and the axes' tick objects (each tick three lines and two texts, made again for every
    new axes), was about a fifth of drawing one of analyze's twenty fit figures. A kept figure keeps its axes and their
    ticks; everything a figure function adds (collections, lines, legend, titles, scales, limits) is removed or set
    again, so the pixels are those of a new figure (tested).
    """
    if kind is not None and kind in _KEPT:
        fig, ax = _KEPT[kind]
        _empty(ax)
    else:
        fig, ax = plt.subplots(figsize=figsize)
        if kind is not None:
            _KEPT[kind] = fig, ax
    fig.subplots_adjust(**MARGINS)
    return fig, ax


#: The kinds of figure kept for reuse (``_figure``): the fit figures, two per benchmark and measure.
KEPT_KINDS = ("scatter_fits", "mean_vs_quantile")


def prepare_kept(dpi: int = DPI) -> None:
    """Make the kept figures (``KEPT_KINDS``) and draw them once, empty, at ``dpi``.

    The first figure of a kind cost about twice the next ones (making the figure, its axes and tick objects, loading
    the fonts). analyze's helpers do this while they wait for the first fit; the figures drawn on them after are the
    same bytes (tested).
    """
    for kind in KEPT_KINDS:
        fig, _ = _figure(kind)
        fig.set_dpi(dpi)
        fig.canvas.draw()


def close_kept() -> None:
    """Close the figures kept for reuse (``_figure``)."""
    for kept, _ in _KEPT.values():
        plt.close(kept)
    _KEPT.clear()


def _empty(ax: plt.Axes) -> None:
    """The axes as ``plt.subplots`` made them, but for their tick objects: no artists, default scales and limits."""
    for artist in [*ax.collections, *ax.lines, *ax.patches, *ax.texts]:
        artist.remove()
    if ax.legend_ is not None:
        ax.legend_.remove()
    for axis, fresh in ((ax.xaxis, _FRESH), (ax.yaxis, _FRESH)):
        axis.set_label_text("")
        if axis.get_scale() != "linear":
            axis._set_axes_scale("linear")  # noqa: SLF001 - what Axes.set_xscale/set_yscale call
        axis.set_major_locator(fresh[0]())
        axis.set_minor_locator(fresh[1]())
        axis.set_major_formatter(fresh[2]())
        axis.set_minor_formatter(fresh[3]())
        axis.isDefault_majloc = axis.isDefault_minloc = axis.isDefault_majfmt = axis.isDefault_minfmt = True
        # the limits of new axes, not yet autoscaled: the legend's corner is chosen before the first draw, in these
        # (as Axes.clear sets them)
        axis._set_lim(0, 1, auto=True)  # noqa: SLF001
    ax.set_title("")
    ax.dataLim.set_points(matplotlib.transforms.Bbox.null().get_points())
    ax.ignore_existing_data_limits = True


#: A linear axis's locators and formatters (major, minor) as new axes have them.
_FRESH = (matplotlib.ticker.AutoLocator, matplotlib.ticker.NullLocator, matplotlib.ticker.ScalarFormatter,
          matplotlib.ticker.NullFormatter)

#: Space (fraction of the figure) kept between the outermost text and the figure's edge.
EDGE_PAD = 0.01


def _keep_text_inside(fig: plt.Figure) -> None:
    """Widen the fixed left margin when a y axis's label and tick labels reach past the figure's edge.

    A long tick label (−0.325 on a narrow log10-error axis) pushes the y-axis label left of the canvas,
    where the fixed ``MARGINS`` alone clipped it (issue 19). Only the y axes are measured (about a
    third of the cost of measuring the whole axes, and a quarter of a draw); the other sides' text
    has a fixed size.
    """
    renderer = fig.canvas.get_renderer()
    boxes = [b for b in (ax.yaxis.get_tightbbox(renderer) for ax in fig.axes) if b is not None]
    if not boxes:
        return
    overflow = EDGE_PAD - min(b.x0 for b in boxes) / fig.bbox.width
    if overflow > 0:
        fig.subplots_adjust(left=fig.subplotpars.left + overflow)


def _save(fig: plt.Figure, path: Path, dpi: int) -> Path:
    """Draw at ``dpi`` and write the figure as an opaque RGB PNG (``png_bytes``)."""
    fig.set_dpi(dpi)
    _keep_text_inside(fig)
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[:, :, :3]
    with atomic_path(path, suffix=".png") as tmp:
        tmp.write_bytes(png_bytes(rgb, dpi, software=f"Matplotlib version{matplotlib.__version__}, "
                                                     "https://matplotlib.org/"))
    if not any(fig is kept for kept, _ in _KEPT.values()):
        plt.close(fig)
    return path


def png_bytes(rgb: np.ndarray, dpi: float, *, software: str = "") -> bytes:
    """A lossless 8-bit RGB PNG of an (height, width, 3) uint8 array, ``dpi`` recorded (pHYs).

    Rows unfiltered and zlib level 1: a figure is mostly flat colour, so this is about three times
    faster than Pillow's encoder (which tries filters row by row) and no larger.

    >>> import io
    >>> from PIL import Image
    >>> pixels = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    >>> back = Image.open(io.BytesIO(png_bytes(pixels, 300)))
    >>> bool((np.asarray(back) == pixels).all()), round(back.info["dpi"][0])
    (True, 300)
    """
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    height, width, _ = rgb.shape
    rows = np.zeros((height, 1 + width * 3), np.uint8)  # first byte of each row: filter type 0 (none)
    rows[:, 1:] = rgb.reshape(height, width * 3)
    per_metre = round(dpi / 0.0254)
    text = chunk(b"tEXt", b"Software\0" + software.encode("latin-1")) if software else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)) + text
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)) + chunk(b"IEND", b""))


def _legend(ax: plt.Axes, x: np.ndarray, y: np.ndarray, **kwargs: object) -> None:
    """The legend in the corner of the axes with the fewest of the drawn points (x, y in data units).

    What ``loc="best"`` aims at, without testing every point against every candidate spot at draw time.
    """
    xy = np.column_stack([x, y])
    xy = xy[np.isfinite(xy).all(axis=1)]
    frac = (ax.transData - ax.transAxes).transform(xy) if len(xy) else np.empty((0, 2))
    left, right, low, high = frac[:, 0] < 0.55, frac[:, 0] > 0.45, frac[:, 1] < 0.25, frac[:, 1] > 0.75
    corners = {"upper right": right & high, "upper left": left & high, "lower left": left & low,
               "lower right": right & low}  # boxes about the size of a four-entry legend
    loc = min(corners, key=lambda c: int(corners[c].sum()))  # ties: the first, as matplotlib's order
    ax.legend(loc=loc, **kwargs)


def scatter_fits(points: pd.DataFrame, fits: MeasureFits, path: Path, *, dpi: int = DPI) -> Path:
    """Figure 3: error (log scale) against compute with the polynomial, the exponential (1/error, Table 4)
    and the error-linear (Table 1 (1)) fits."""
    fig, ax = _figure("scatter_fits")
    c = points["compute"].to_numpy(float)
    x = np.log10(c)
    err = points["error"].to_numpy(float)
    reported, imputed = _split_imputed(points)
    all_imputed = points["_imputed"].to_numpy(bool) if "_imputed" in points.columns else np.zeros(len(points), bool)
    ax.scatter(c[reported], err[reported] * 100, s=14, alpha=0.6, color="tab:blue",
               label=f"models ({_shown(int(reported.sum()), int((~all_imputed).sum()))})")
    if imputed.any():
        ax.scatter(c[imputed], err[imputed] * 100, s=22, marker="x", color="tab:orange",
                   label=f"GFLOPs imputed from params ({_shown(int(imputed.sum()), int(all_imputed.sum()))})")
    grid = np.linspace(x.min(), x.max(), 100)
    p = fits.polynomial
    a, b = p.coef("const").estimate, p.slope.estimate
    ax.plot(10**grid, 100 * 10 ** (a + b * grid), color="tab:red",
            label=f"polynomial: log10 err = {a:.2f} {b:+.3f}·log10 C (R² {p.r2:.2f})")
    x_perf = fits.exponential_perf  # the seed's exponential (Table 4, Figure 4): 1/error linear in log10 C
    pa, pb = x_perf.coef("const").estimate, x_perf.slope.estimate
    perf = pa + pb * grid
    ok = perf > 1  # 1/error > 1: an error below 100 %
    ax.plot(10 ** grid[ok], 100 / perf[ok], color="tab:purple", ls="-.",
            label=f"exponential: 1/err = {pa:.2f} {pb:+.3f}·log10 C (R² {x_perf.r2:.2f})")
    e = fits.exponential
    ea, eb = e.coef("const").estimate, e.slope.estimate
    yexp = ea + eb * grid
    ax.plot(10 ** grid[yexp > 0], 100 * yexp[yexp > 0], color="tab:green", ls=":",
            label=f"error-linear: err = {ea:.2f} {eb:+.3f}·log10 C (R² {e.r2:.2f})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _log_axis(ax.xaxis)
    _log_axis(ax.yaxis, percent=True)
    ax.set_xlabel(f"{MEASURE_LABELS[fits.measure]} (log scale)")
    ax.set_ylabel("error (%, log scale)")
    ax.set_title(f"{fits.benchmark}: error vs {MEASURE_LABELS[fits.measure]}")
    shown = reported | imputed
    _legend(ax, c[shown], err[shown] * 100, fontsize=7)
    return _save(fig, path, dpi)


def mean_vs_quantile(points: pd.DataFrame, fits: MeasureFits, path: Path, *, dpi: int = DPI) -> Path:
    """Figure 8: conditional-mean (OLS) against 10 % quantile regression lines."""
    fig, ax = _figure("mean_vs_quantile")
    x = np.log10(points["compute"].to_numpy(float))
    y = np.log10(points["error"].to_numpy(float))
    reported, imputed = _split_imputed(points)
    ax.scatter(x[reported], y[reported], s=14, alpha=0.6, color="tab:blue")
    if imputed.any():
        ax.scatter(x[imputed], y[imputed], s=22, marker="x", color="tab:orange", label="GFLOPs imputed from params")
    grid = np.linspace(x.min(), x.max(), 100)
    p = fits.polynomial
    ax.plot(grid, p.coef("const").estimate + p.slope.estimate * grid, color="tab:red",
            label=f"mean (OLS): slope {p.slope.estimate:.3f}, k ≈ {fits.exponent.k:.1f}")
    if fits.quantile is not None:
        q = fits.quantile
        k = fits.quantile_exponent.k if fits.quantile_exponent else math.nan
        ax.plot(grid, q.coefs[0].estimate + q.slope.estimate * grid, color="tab:purple", ls="--",
                label=f"{int(q.q * 100)} % quantile: slope {q.slope.estimate:.3f}, k ≈ {k:.1f}")
    ax.set_xlabel(f"log10 {MEASURE_LABELS[fits.measure]}")
    ax.set_ylabel("log10 error")
    ax.set_title(f"{fits.benchmark}: conditional mean vs 10 % quantile")
    _legend(ax, x[reported | imputed], y[reported | imputed], fontsize=7)
    return _save(fig, path, dpi)


def conversion(frame: pd.DataFrame, conv: Conversion | None, path: Path, *, dpi: int = DPI) -> Path | None:
    """Figure 7: GFLOPs per pass against params (log-log) with the conversion line."""
    pts = frame[(pd.to_numeric(frame.get("params"), errors="coerce") > 0)
                & (pd.to_numeric(frame.get("gflops_per_pass"), errors="coerce") > 0)]
    if conv is None or pts.empty:
        return None
    fig, ax = _figure()
    x = np.log10(pts["params"].to_numpy(float))
    step = max(1, math.ceil(len(x) / MAX_SCATTER))
    ax.scatter(x[::step], np.log10(pts["gflops_per_pass"].to_numpy(float))[::step], s=14, alpha=0.6,
               label=f"models ({_shown(len(x[::step]), len(x))})")
    grid = np.linspace(x.min(), x.max(), 50)
    ax.plot(grid, conv.intercept + conv.slope * grid, color="tab:red",
            label=f"log10 GFLOPs = {conv.intercept:.2f} {conv.slope:+.2f}·log10 params (R² {conv.r2:.2f}, n {conv.n})")
    ax.set_xlabel("log10 parameters")
    ax.set_ylabel("log10 GFLOPs per pass")
    ax.set_title("Conversion regression (network size → GFLOPs)")
    _legend(ax, x[::step], np.log10(pts["gflops_per_pass"].to_numpy(float))[::step], fontsize=7)
    return _save(fig, path, dpi)


def simulation(result: SimulationResult, path: Path, *, dpi: int = DPI) -> Path:
    """Figure 1: (a) performance vs n, (b) computation vs performance, per model."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.92, wspace=0.25)
    colors = dict(zip(MODELS, ("black", "tab:orange", "tab:blue", "tab:green"), strict=True))
    for m in MODELS:
        mean = np.array(result.mean[m])
        a.plot(result.n_grid, mean, marker="o", ms=3, color=colors[m], label=m)
        keep = mean > 0
        b.plot(mean[keep], np.log10(np.array(result.computation[m]))[keep], marker="o", ms=3, color=colors[m], label=m)
    a.set_xscale("log")
    a.set_xlabel("observations n")
    a.set_ylabel("performance: −log10 normalised MSE")
    a.set_title(f"(a) d = {result.d}, s = {result.s}, {result.sims} simulations")
    b.set_xlabel("performance: −log10 normalised MSE")
    b.set_ylabel("log10 computation (n × coefficients)")
    b.set_title("(b) computation needed")
    a.legend(fontsize=8)
    return _save(fig, path, dpi)



#: A figure to draw: the name of one of this module's figure functions, its positional arguments (the PNG's path
#: last) and the resolution.
FigureJob = tuple[str, tuple[object, ...], int]


def draw(job: FigureJob) -> Path | None:
    make, args, dpi = job
    return getattr(sys.modules[__name__], make)(*args, dpi=dpi)  # type: ignore[no-any-return]
