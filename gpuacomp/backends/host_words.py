"""Byte comparisons and copies eight bytes at a time for the CPU codecs.

``lz4._common_length`` compares a byte a step, and the decoder's copies move a byte a
step.  Here a step loads eight bytes at any offset (an unaligned load, which x86-64 and
AArch64 take at the cost of an aligned one).  A comparison finds the first differing
byte as the lowest set bit of the two words' XOR (the bytes of a little-endian word),
as ``kernels/page_words.py`` does four bytes at a time on the GPU; ``same_key`` loads
each 4-byte key as one word.  A copy stores whole words, up to seven bytes past its
end where the array has room (as liblz4's decoder does), and bytewise otherwise.

``FUNCTIONS`` stands in for ``lz4._same_key``, ``lz4._common_length``,
``lz4._copy_literals`` and ``lz4._copy_match`` when the CPU backends compile the
codecs (``REPLACED`` names them).  They give the bytewise versions' results; the
comparisons read no byte those would not (a word is loaded only where all eight of its
bytes are compared), and the copies touch nothing outside their arrays.  On a
big-endian host ``FUNCTIONS`` is None and the bytewise versions stay.
"""

import sys
import types

from llvmlite import ir
from numba import int64, uint32, uint64
from numba.core.types import none
from numba.extending import intrinsic

from gpuacomp.backends.numba_cache import njit

REPLACED = ("_same_key", "_common_length", "_copy_literals", "_copy_match")


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
def store_u64(typingctx, array, index, value):
    """Write ``value`` over the 8 bytes ``array[index:]``, little-endian (the caller
    keeps them within the array)."""
    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        address = builder.bitcast(builder.gep(data, [args[1]]), ir.IntType(64).as_pointer())
        builder.store(args[2], address, align=1)
        return context.get_dummy_value()
    return none(array, index, uint64), codegen


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


def copy_literals(dst, at, src, start, count):
    """``lz4._copy_literals``, eight bytes a step where a whole last step fits both
    arrays.  It may write up to seven bytes past ``at + count``: the decoder writes
    them again with what follows, or leaves them past what it reports decoded."""
    end = (count + 7) & ~7
    if at + end > dst.shape[0] or start + end > src.shape[0]:
        at, start = uint64(at), uint64(start)
        for k in range(uint64(count)):
            dst[at + k] = src[start + k]
        return
    for k in range(0, end, 8):
        store_u64(dst, at + k, load_u64(src, start + k))


def copy_match(dst, at, offset, count):
    """``lz4._copy_match``, eight bytes a step where the match is eight or more bytes
    back (a step then reads only bytes already final) and a whole last step fits; it
    may write past ``at + count`` as ``copy_literals`` does."""
    end = (count + 7) & ~7
    if offset < 8 or at + end > dst.shape[0]:
        at, start = uint64(at), uint64(at - offset)
        for k in range(uint64(count)):
            dst[at + k] = dst[start + k]
        return
    for k in range(0, end, 8):
        store_u64(dst, at + k, load_u64(dst, at - offset + k))


def _compiled():
    if sys.byteorder != "little":
        return None
    compile_inline = njit(cache=True, nogil=True, inline="always")
    return types.SimpleNamespace(_same_key=compile_inline(same_key),
                                 _common_length=compile_inline(common_length),
                                 _copy_literals=compile_inline(copy_literals),
                                 _copy_match=compile_inline(copy_match))


FUNCTIONS = _compiled()
