"""The benchmark's runners, by name, in the order a full run takes them (``latency``
near the end: its async mode runs work on the engine's thread, and on numba's OpenMP
layer a second thread's parallel regions slow the ones after them, see RESULTS.md).

A runner is a module with ``TITLE``, ``steps(ctx)`` (how many progress steps it takes),
``run(ctx) -> dict`` (prints its table, returns its numbers for the JSON) and
``plot(result, axes)`` (draws its figure, when it has one).
"""

from dataclasses import dataclass, field

from bench.runners import baselines, deflate, latency, levels, nvcomp, sweep, throughput

RUNNERS = {"throughput": throughput, "sweep": sweep, "baselines": baselines,
           "deflate": deflate, "levels": levels, "latency": latency, "nvcomp": nvcomp}


@dataclass
class Context:
    """What every runner may use: the options, the progress line, the engines (ways of
    running gpuacomp), the page sources, liblz4's module (or None)."""

    args: object
    progress: object
    engines: list
    sources: list
    lz4_block: object
    gpu_errors: list = field(default_factory=list)

    def engine(self, key):
        return next((e for e in self.engines if e.key == key), None)
