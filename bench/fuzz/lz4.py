"""LZ4 blocks: our decoder against liblz4's ``LZ4_decompress_safe``.

Each case is a block then, usually, mutated: blocks of pages from liblz4 (fast, default,
HC) and from our own compressor; mutations flip bits, edit bytes, truncate, extend, or
edit a sequence's token, offset or length; a fifth of the blocks are built from random
sequences (lengths, offsets and literal runs drawn near the format's limits) and a tenth
are random bytes.  Capacities: the page size, the exact decoded size, or random.

Ours must agree with liblz4 on every one: the same bytes where liblz4 decodes, an error
status where it fails.  One difference is by design: a match with offset 0, which the
format forbids and liblz4 accepts (copying output it has not written), is -EINVAL here.
"""

import numpy as np

PAGE = 4096
REFERENCE = "liblz4"
LZ4_MODES = ("fast", "default", "high_compression")


def verdict(block, capacity):
    """liblz4's decoding of ``block`` into ``capacity`` bytes: the bytes, or None."""
    import lz4.block
    try:
        return lz4.block.decompress(block, uncompressed_size=capacity)
    except lz4.block.LZ4BlockError:
        return None


def ours(block, capacity):
    from gpuacomp.backends.cpu import decode_block

    src = np.frombuffer(block, np.uint8) if block else np.zeros(1, np.uint8)
    dst = np.empty(max(capacity, 1), np.uint8)
    produced = int(decode_block(src, len(block), dst, capacity))
    return dst[:produced].tobytes() if produced >= 0 else produced


def agrees(block, capacity, expected, got):
    """True where ours and liblz4 agree; "zero offset" where they differ by design."""
    if expected is None:
        return isinstance(got, int)
    if got == expected:
        return True
    return "zero offset" if got == -22 and zero_offset_before_end(block) else False


def zero_offset_before_end(block):
    """Whether ``block``, which liblz4 accepts, has a match of offset 0.

    In a block liblz4 accepts, a sequence is the last exactly when its literals end the
    input (in its other paths it reads an offset after the literals, which needs more
    input), so the sequences can be walked without its rules.
    """
    ip, n = 0, len(block)
    while ip < n:
        token = block[ip]
        ip += 1
        literals, ip = _length(block, ip, token >> 4)
        ip += literals
        if ip >= n - 1:
            return False
        if block[ip] | block[ip + 1] << 8 == 0:
            return True
        _, ip = _length(block, ip + 2, token & 15)
    return False


def _length(block, ip, nibble):
    length = nibble
    if nibble == 15:
        while ip < len(block):
            length += block[ip]
            ip += 1
            if block[ip - 1] != 255:
                break
    return length, ip


def cases(rng, pages):
    """Endless ``(block, capacity)`` drawn as the module docstring says."""
    import lz4.block

    from gpuacomp import Compressor

    batch = np.stack([np.frombuffer(p, np.uint8) for p in pages])
    ours_batch = Compressor("lz4", device="cpu").compress(batch)
    own = [(ours_batch.page(i), len(p)) for i, p in enumerate(pages)]
    while True:
        draw = rng.random()
        if draw < 0.1:
            block, size = bytes(rng.randrange(256) for _ in range(rng.randrange(40))), PAGE
        elif draw < 0.3:
            block, size = random_sequences(rng)
        elif draw < 0.5:
            block, size = rng.choice(own)
        else:
            page = rng.choice(pages)
            block, size = lz4.block.compress(page, mode=rng.choice(LZ4_MODES),
                                             store_size=False), len(page)
        if draw >= 0.1 and rng.random() < 0.9:
            block = mutate(rng, bytearray(block))
        yield block, rng.choice((PAGE, size, size, rng.randrange(size + 64)))


def mutate(rng, block):
    for _ in range(rng.randrange(1, 4)):
        if not block:
            block = bytearray(b"\x00")
        kind = rng.randrange(6)
        at = rng.randrange(len(block))
        if kind == 0:
            block[at] ^= 1 << rng.randrange(8)
        elif kind == 1:
            block[at] = rng.randrange(256)
        elif kind == 2:
            del block[at:]
        elif kind == 3:
            block += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
        elif kind == 4:
            block[at] = (block[at] & 0x0F) | (rng.randrange(16) << 4)  # as if a token
        else:
            block[at] = rng.choice((0, 15, 255, 254))  # a length or offset byte's edge
    return bytes(block)


def random_sequences(rng):
    """A block of random sequences near the format's limits: ``(block, decoded size)``."""
    out_len = 0
    block = bytearray()
    for _ in range(rng.randrange(0, 6)):
        literals = rng.choice((0, 1, 4, 14, 15, 16, 270, rng.randrange(64)))
        match = rng.choice((4, 5, 18, 19, 20, 274, rng.randrange(4, 80)))
        offset = rng.choice((1, 2, 8, out_len + literals, out_len + literals + 1,
                             rng.randrange(0, out_len + literals + 2)))
        _sequence(block, bytes(rng.randrange(256) for _ in range(literals)), offset, match)
        out_len += literals + match
    last = rng.choice((0, 4, 5, 6, 12, 13, 15, 40))
    _sequence(block, bytes(rng.randrange(256) for _ in range(last)), None, 0)
    return bytes(block), out_len + last


def _sequence(block, literals, offset, match):
    lit, ml = len(literals), max(match - 4, 0)
    block.append((min(lit, 15) << 4) | (min(ml, 15) if offset is not None else 0))
    if lit >= 15:
        _extend(block, lit - 15)
    block += literals
    if offset is not None:
        block += bytes((offset & 0xFF, offset >> 8 & 0xFF))
        if ml >= 15:
            _extend(block, ml - 15)


def _extend(block, rest):
    while rest >= 255:
        block.append(255)
        rest -= 255
    block.append(rest)
