"""The algorithms gpuacomp can run, by name and driver, with the kernel's priorities.

As in the kernel's crypto API, an algorithm name (cra_name, ``"lz4"``) has drivers
(cra_driver_name) with priorities; a lookup by name gets the highest-priority driver
that can run here (of equal priorities, the one registered first: ``"deflate"`` gets
``deflate-iaa``), a lookup by driver name gets exactly that driver.  The accelerator's
drivers are always registered: they run on the GPU or on their CPU path, with the same
bytes.  The kernel's software drivers are registered when their library is installed.
"""

import importlib.util
from dataclasses import dataclass

from gpuacomp.kernels import lz4 as lz4_codec

ACCELERATOR_PRIORITY = 300  # as iaa_crypto registers its drivers
SOFTWARE_PRIORITY = 100  # the kernel's generic drivers (crypto/lz4.c, crypto/deflate.c)


@dataclass(frozen=True)
class Algorithm:
    """One driver of an algorithm: ``name`` is the crypto API's cra_name ("lz4"),
    ``driver`` the cra_driver_name; the highest ``priority`` wins a lookup by name.
    ``accelerated`` drivers batch on the emulated device; the others are synchronous
    software.  ``requires`` names the Python module the driver needs, if any."""

    name: str
    driver: str
    priority: int
    backends: tuple
    description: str
    accelerated: bool = True
    requires: str = None

    def bound(self, n):
        """The most bytes a page of ``n`` bytes may compress to: the slot it is given."""
        if self.name == "deflate":
            # zlib's deflateBound for non-default parameters (a raw stream: no wrapper).
            return n + ((n + 7) >> 3) + ((n + 63) >> 6) + 5
        return lz4_codec.compress_bound(n)

    @property
    def format(self):
        """What one compressed page is, in words."""
        return "raw DEFLATE stream" if self.name == "deflate" else "LZ4 block"

    @property
    def unavailable_reason(self):
        """Why this driver cannot run here, or ``None`` when it can."""
        if self.requires and importlib.util.find_spec(self.requires) is None:
            return (f"{self.driver} needs the {self.requires!r} package "
                    f"(pip install {self.requires})")
        return None


ALGORITHMS = (
    Algorithm("lz4", "lz4-gpuacomp", ACCELERATOR_PRIORITY, ("gpu", "cpu"),
              "per-page LZ4 block, GPU batches or the same bytes on the CPU "
              f"(default {lz4_codec.DEFAULT_CANDIDATES} candidates per position)"),
    Algorithm("deflate", "deflate-iaa", ACCELERATOR_PRIORITY, ("gpu", "cpu"),
              "IAA's raw DEFLATE, 4 KiB window, fixed Huffman codes; GPU batches or the same "
              "bytes on the CPU"),
    Algorithm("deflate", "deflate-iaa-dynamic", ACCELERATOR_PRIORITY, ("gpu", "cpu"),
              "IAA's raw DEFLATE, 4 KiB window, each page's own Huffman codes (or a fixed "
              "or stored block where smaller); GPU batches or the same bytes on the CPU"),
    Algorithm("lz4", "lz4-generic", SOFTWARE_PRIORITY, ("cpu",),
              "liblz4's LZ4_compress_default, page by page (the kernel's software lz4)",
              accelerated=False, requires="lz4"),
    Algorithm("deflate", "deflate-generic", SOFTWARE_PRIORITY, ("cpu",),
              "zlib with the kernel's parameters (raw, 2^11 window, default level, "
              "memLevel 9), page by page (the kernel's software deflate)",
              accelerated=False),
)


def available_algorithms():
    """Every driver that can run here, by name, highest priority first (``Algorithm``s)."""
    return sorted((a for a in ALGORITHMS if a.unavailable_reason is None),
                  key=lambda a: (a.name, -a.priority))


def lookup(name):
    """The driver for an algorithm or driver name (an algorithm's highest priority)."""
    if not isinstance(name, str):
        raise TypeError(f"algorithm must be a str, got {type(name).__name__}")
    for algorithm in ALGORITHMS:
        if name == algorithm.driver:
            reason = algorithm.unavailable_reason
            if reason:
                raise ValueError(f"algorithm {name!r} cannot run here: {reason}")
            return algorithm
    for algorithm in available_algorithms():
        if name == algorithm.name:
            return algorithm
    known = sorted({a.name for a in ALGORITHMS} | {a.driver for a in ALGORITHMS})
    raise ValueError(f"unknown algorithm {name!r}; available: {', '.join(known)}")
