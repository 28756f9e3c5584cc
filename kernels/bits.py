"""Bit scans of 32-bit words (lane masks, bitmap words) for the device code.

numba widens integer arithmetic to 64 bits (``uint32 & uint32`` is a uint64), and
``cuda.clz`` and ``cuda.brev`` work at their operand's width: a mask of lanes that
arithmetic has touched counts 32 more leading zeros than its lanes.  numba's CUDA
simulator counts 32 bits whatever it gets, so it cannot see the difference: the chain by
rows passed every simulator test and linked positions to the wrong lanes on an H100
(2026-11-27).  These take the word as 32 bits whatever its type; ``tests/test_ptx.py``
checks that no kernel counts bits of a 64-bit word.
"""

from numba import cuda, uint32


@cuda.jit(device=True)
def highest_bit(word):
    """The number of the highest set bit of a nonzero 32-bit ``word`` (31 - clz)."""
    return 31 - cuda.clz(uint32(word))


@cuda.jit(device=True)
def lowest_bit(word):
    """The number of the lowest set bit of a nonzero 32-bit ``word`` (trailing zeros)."""
    return cuda.clz(cuda.brev(uint32(word)))
