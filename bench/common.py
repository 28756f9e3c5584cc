"""Helpers shared by benchmarks: the machine header, timing statistics, progress lines.

Nothing here imports numba, CuPy or lz4 until asked, so a missing optional package
turns into a message, not a crash.
"""

import argparse
import datetime
import functools
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass


class Fatal(Exception):
    """Stops the benchmark with a message and exit status 1."""


class Progress:
    """One line per step on stderr, prefixed with the seconds since the start."""

    def __init__(self, stream=None):
        self.start = time.perf_counter()
        self.stream = stream or sys.stderr
        self.total = 0
        self.done = 0

    def expect(self, steps):
        """The run will take ``steps`` more steps (each ``step`` advances the bar)."""
        self.total += steps

    def step(self, message):
        self.done += 1
        width = 24
        filled = width * min(self.done, self.total) // max(self.total, 1)
        self(f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {message}")

    def elapsed(self):
        return time.perf_counter() - self.start

    def __call__(self, message):
        print(f"[bench {self.elapsed():6.1f}s] {message}", file=self.stream, flush=True)


def cpu_model():
    """The CPU model name from /proc/cpuinfo, else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Hardware", "Processor", "cpu model"):
                    if value.strip():
                        return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def load_average():
    """The 1-minute load average (other work on the machine skews timings), or None."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def git_revision():
    """``<short hash>`` of the checkout this package runs from, ``+dirty`` when tracked
    files have uncommitted changes; None outside a git checkout."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                              capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def machine_header():
    """Date, machine and package versions, as a dict of strings and ints."""
    import numba
    import numpy

    import gpuacomp

    header = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cores": os.cpu_count() or 1,
        "usable_cores": usable_cores(),
        "numba_threads": numba.config.NUMBA_NUM_THREADS,
        "load_average": load_average(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "numba": numba.__version__,
        "gpuacomp": gpuacomp.__version__,
        "git": git_revision(),
        "lz4": None,
        "liblz4": None,
    }
    try:
        import lz4
        import lz4.block  # noqa: F401  (the module the benchmark calls)
    except ImportError:
        pass
    else:
        header["lz4"] = lz4.__version__
        header["liblz4"] = lz4.library_version_string()
    return header


@dataclass
class Stat:
    """Throughput samples in MB/s (10**6 bytes of uncompressed data per second)."""

    median: float
    min: float
    max: float
    samples: list
    calls_per_sample: int
    first_call_s: float

    def to_json(self):
        return asdict(self)

    def cell(self):
        """``median (min-max)``, or just the median when there is one sample."""
        if len(self.samples) == 1:
            return f"{self.median:.0f}"
        return f"{self.median:.0f} ({self.min:.0f}-{self.max:.0f})"


def throughput(fn, nbytes, repeat, min_sample_s, sync=None):
    """Time ``fn`` (which processes ``nbytes``) ``repeat`` times; returns a ``Stat``.

    One untimed call first (its time is ``first_call_s``) warms caches and sizes the
    samples: a sample runs ``fn`` enough times to last about ``min_sample_s``, so that
    small inputs are not timed at the clock's resolution.  ``sync`` (if given) runs
    after each sample's calls, before the clock stops (a GPU stream synchronize).
    """
    sync = sync or (lambda: None)
    t0 = time.perf_counter()
    fn()
    sync()
    first = time.perf_counter() - t0
    calls = 1
    if min_sample_s > 0:
        calls = max(1, min(10000, math.ceil(min_sample_s / max(first, 1e-9))))
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        sync()
        dt = time.perf_counter() - t0
        samples.append(calls * nbytes / max(dt, 1e-12) / 1e6)
    return Stat(statistics.median(samples), min(samples), max(samples), samples, calls, first)


def codec_figures(args, nbytes, compressed, compress, decompress):
    """Ratio (``nbytes`` over ``compressed``) and compress / decompress throughput of one
    codec on ``nbytes`` of pages, as the runners report them."""
    c = throughput(compress, nbytes, args.repeat, args.min_sample_s)
    d = throughput(decompress, nbytes, args.repeat, args.min_sample_s)
    return {"ratio": nbytes / compressed, "compress_mb_s": c.to_json(),
            "decompress_mb_s": d.to_json()}


def timed_call(fn):
    """``(seconds, result)`` of one call."""
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def markdown_table(headers, rows, align=None):
    """A pipe table whose columns line up in a terminal too; ``align``: 'l'/'r' per column."""
    align = align or ["l"] + ["r"] * (len(headers) - 1)
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row):
        return "| " + " | ".join(c.ljust(w) if a == "l" else c.rjust(w)
                                 for c, w, a in zip(row, widths, align)) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2))
                          for w, a in zip(widths, align)) + "|"
    return "\n".join([line(cells[0]), rule] + [line(r) for r in cells[1:]])


def plural(count, noun):
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def fmt_x(value, digits=2):
    if value is None:
        return "—"
    return f"{value:.{digits}f}x" if value >= 0.01 else f"{value:.2g}x"


def fmt_rate(value):
    """MB/s: whole numbers, but three significant digits below 100 (simulator, tiny runs)."""
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def fmt_stat(stat):
    if stat is None:
        return "—"
    if len(stat["samples"]) == 1:
        return fmt_rate(stat["median"])
    return f"{fmt_rate(stat['median'])} ({fmt_rate(stat['min'])}-{fmt_rate(stat['max'])})"


def add_corpus_option(parser):
    parser.add_argument("--corpus", nargs="*", default=[],
                        help="page files or directories (default: the project's pages)")


def side_by_side_parser(module, doc, rounds):
    """The options of a script that times variants side by side (``python -m
    bench.<module>``): its corpus, and how many alternating rounds it times."""
    parser = argparse.ArgumentParser(prog=f"python -m bench.{module}",
                                     description=doc.split("\n\n")[0])
    add_corpus_option(parser)
    parser.add_argument("--rounds", type=int, default=rounds,
                        help=f"timed rounds (default {rounds})")
    return parser


def corpus_sources(paths):
    """The page sources of the ``--corpus`` paths, or the project's default pages."""
    from gpuacomp.sources import default_pages, file_pages

    return [s for path in paths for s in file_pages(path)] or [default_pages()]


def device_time(cp, fn, repeat=5, warmup=1, hold_us=0):
    """``(median, min, max)`` seconds of ``fn`` between CUDA events on the current stream.

    An idle GPU runs the start event at once and then waits for the host to launch
    ``fn``'s work, so the events also time the launch (some 40 us a numba launch, run
    14: most of what an 8-page batch's kernel seemed to take).  ``hold_us`` > 0 queues a
    kernel that keeps the stream busy that long before the start event, so that ``fn``'s
    launches are queued behind it and the events time the device's work alone (``fn``
    must launch within the hold, and not wait for the stream)."""
    hold = _stream_hold() if hold_us else None
    for _ in range(warmup):
        fn()
    cp.cuda.get_current_stream().synchronize()
    times = []
    for _ in range(repeat):
        start, stop = cp.cuda.Event(), cp.cuda.Event()
        if hold:
            hold(cp, hold_us)
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(cp.cuda.get_elapsed_time(start, stop) / 1e3)
    return statistics.median(times), min(times), max(times)


@functools.lru_cache(maxsize=None)
def _stream_hold():
    """``hold(cp, us)``: a one-thread kernel on CuPy's current stream that sleeps some
    ``us`` microseconds (each ``nanosleep`` of 1 us sleeps between 0 and 2)."""
    from numba import cuda

    @cuda.jit
    def sleep(steps):
        for _ in range(steps):
            cuda.nanosleep(1000)

    def hold(cp, us):
        stream = cuda.external_stream(cp.cuda.get_current_stream().ptr)
        sleep[1, 1, stream](max(1, int(us)))
    return hold
