"""The runners' figures as PNG files (matplotlib, drawn off screen)."""

from pathlib import Path


def save_plots(results, runners, outdir):
    """One PNG per runner that draws one: ``(paths, why none)``."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        return [], f"matplotlib is not installed ({exc}); pip install matplotlib"
    paths = []
    for name, result in results.items():
        draw = getattr(runners[name], "plot", None)
        if draw is None or "error" in result:
            continue
        fig, axes = plt.subplots(figsize=(9, 5.5))
        try:
            if draw(result, axes) is False:
                continue
            fig.tight_layout()
            path = Path(outdir) / f"{name}.png"
            fig.savefig(path, dpi=110)
            paths.append(str(path))
        finally:
            plt.close(fig)
    return paths, None


def ratio_against_speed(axes, rows, title, ylabel="ratio"):
    """One labelled point per codec of ``rows`` ({name: {"ratio", "compress_mb_s"}})."""
    for codec, r in rows.items():
        axes.scatter(r["compress_mb_s"]["median"], r["ratio"], s=40)
        axes.annotate(codec, (r["compress_mb_s"]["median"], r["ratio"]), fontsize=7,
                      xytext=(4, 2), textcoords="offset points")
    axes.set_xscale("log")
    axes.set_xlabel("compress MB/s (median)")
    axes.set_ylabel(ylabel)
    axes.set_title(title)
