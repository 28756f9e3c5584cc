"""Byte comparisons eight bytes at a time for the CPU codecs.

``lz4._common_length`` compares a byte a step: the CPU encoders spent most of their
time there.  Here a step loads eight bytes of each side at any offset (an unaligned
load, which x86-64 and AArch64 take at the cost of an aligned one) and the first
differing byte is the lowest set bit of their XOR (the bytes of a little-endian word),
as ``kernels/page_words.py`` does four bytes at a time on the GPU.  ``same_key`` loads
each 4-byte key as one word.

``FUNCTIONS`` stands in for ``lz4._same_key`` and ``lz4._common_length`` when the CPU
backends compile the codecs (``REPLACED`` names them); both return what the bytewise
versions return, and read no byte they would not (a word is loaded only where all
eight of its bytes are compared).  On a big-endian host ``FUNCTIONS`` is None and the
bytewise versions stay.
"""

import sys
import types

from llvmlite import ir
from numba import int64, njit, uint32, uint64
from numba.extending import intrinsic

REPLACED = ("_same_key", "_common_length")


def _unaligned_load(bits, result_type):
    @intrinsic
    def load(typingctx, array, index):
        """The ``bits // 8`` bytes ``array[index:]`` as one little-endian integer (the
        caller keeps them within the array)."""
        def codegen(context, builder, signature, args):
            data = context.make_array(signature.args[0])(context, builder, args[0]).data
            address = builder.bitcast(builder.gep(data, [args[1]]),
                                      ir.IntType(bits).as_pointer())
            return builder.load(address, align=1)
        return result_type(array, index), codegen
    return load


load_u32 = _unaligned_load(32, uint32)
load_u64 = _unaligned_load(64, uint64)


@intrinsic
def trailing_zeros(typingctx, value):
    """The number of zero bits below the lowest set bit of a nonzero ``value``."""
    def codegen(context, builder, signature, args):
        return builder.cttz(args[0], ir.Constant(ir.IntType(1), 0))
    return value(value), codegen


def same_key(src, i, j):
    """``lz4._same_key``: the 4-byte keys at ``i`` and ``j`` are equal."""
    return load_u32(src, i) == load_u32(src, j)


def common_length(src, i, j, length, cap, match_end_limit):
    """``lz4._common_length``, eight bytes a step while eight remain below the limit."""
    limit = min(cap, match_end_limit - i)
    while length + 8 <= limit:
        difference = load_u64(src, i + length) ^ load_u64(src, j + length)
        if difference != 0:
            return length + int64(trailing_zeros(difference) >> uint64(3))
        length += 8
    while length < limit and src[j + length] == src[i + length]:
        length += 1
    return length


def _compiled():
    if sys.byteorder != "little":
        return None
    compile_inline = njit(cache=True, nogil=True, inline="always")
    return types.SimpleNamespace(_same_key=compile_inline(same_key),
                                 _common_length=compile_inline(common_length))


FUNCTIONS = _compiled()
