"""The algorithms gpuacomp can run, by name and driver, with the kernel's priorities."""

from dataclasses import dataclass

from gpuacomp.kernels import lz4 as lz4_codec

ACCELERATOR_PRIORITY = 300  # as hardware drivers register above the software ones (100)


@dataclass(frozen=True)
class Algorithm:
    """One driver of an algorithm: ``name`` is the crypto API's cra_name ("lz4"),
    ``driver`` the cra_driver_name; the highest ``priority`` wins a lookup by name."""

    name: str
    driver: str
    priority: int
    backends: tuple
    description: str


ALGORITHMS = (
    Algorithm("lz4", "lz4-gpuacomp", ACCELERATOR_PRIORITY, ("gpu", "cpu"),
              "per-page LZ4 block, GPU batches or the same bytes on the CPU "
              f"(default {lz4_codec.DEFAULT_CANDIDATES} candidates per position)"),
)


def available_algorithms():
    """Every registered driver, highest priority first, as a list of ``Algorithm``."""
    return sorted(ALGORITHMS, key=lambda a: (a.name, -a.priority))


def lookup(name):
    """The driver for an algorithm or driver name (the algorithm's highest priority)."""
    if not isinstance(name, str):
        raise TypeError(f"algorithm must be a str, got {type(name).__name__}")
    for algorithm in available_algorithms():
        if name in (algorithm.name, algorithm.driver):
            return algorithm
    known = sorted({a.name for a in ALGORITHMS} | {a.driver for a in ALGORITHMS})
    raise ValueError(f"unknown algorithm {name!r}; available: {', '.join(known)}")
