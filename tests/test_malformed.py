"""Malformed compressed pages: a per-page error status, never a crash, hang or wrong page
(DESIGN.md contract 4); ``decompress`` raises ``DecompressionError`` naming the page.

For mutated blocks, liblz4 is the second opinion: whatever liblz4 decodes to exactly
``page_size`` bytes we must decode to the same bytes, and whatever we accept must equal
liblz4's output when liblz4 accepts too.  (liblz4 enforces extra end-of-block rules, so
"liblz4 rejects, we accept" is allowed for now.)  One exception the other way: liblz4
(1.9/1.10) decodes a match of offset 0, which the block format calls invalid; we reject it.
"""

import errno

import lz4.block
import numpy as np
import pytest
from hypothesis import given, strategies as st

import gpuacomp

PAGE = 4096
EINVAL, EOVERFLOW = -errno.EINVAL, -errno.EOVERFLOW
STATUSES = {0, EINVAL, EOVERFLOW}


@pytest.fixture(scope="module")
def real_block(cpu, corpus):
    """A compressed real page with matches, long lengths and a final literal run."""
    page = corpus.memory(corpus.memory_files()[0])[5]
    return page, cpu.compress(page).page(0)


@pytest.fixture(scope="module")
def sample_blocks(cpu, corpus):
    """(page, block) pairs: ours and liblz4's, of real and synthetic pages."""
    pages = list(corpus.sample(corpus.all_pages, 6, seed=3))
    pages += [np.zeros(PAGE, np.uint8),
              np.resize(np.arange(7, dtype=np.uint8), PAGE),
              np.random.default_rng(0).integers(0, 256, PAGE, dtype=np.uint8)]
    pairs = []
    for page in pages:
        pairs.append((page.tobytes(), cpu.compress(page).page(0)))
        pairs.append((page.tobytes(), lz4.block.compress(page.tobytes(), store_size=False)))
        pairs.append((page.tobytes(), lz4.block.compress(page.tobytes(), store_size=False,
                                                         mode="high_compression")))
    return pairs


def statuses(cpu, blocks, page_size=PAGE):
    out, status = cpu.decompress_batch(blocks, page_size=page_size)
    assert out.shape == (len(blocks), page_size)
    assert set(status.tolist()) <= STATUSES
    return out, status


def liblz4_decode(block, page_size=PAGE):
    """liblz4's output when it decodes ``block`` to exactly ``page_size`` bytes, else None."""
    try:
        out = lz4.block.decompress(bytes(block), uncompressed_size=page_size)
    except lz4.block.LZ4BlockError:
        return None
    return out if len(out) == page_size else None


def has_zero_offset(lz4ref, block):
    """True when walking ``block`` reaches a match of offset 0 (before any other error)."""
    try:
        lz4ref.sequences(block)
    except ValueError as exc:
        return str(exc).startswith("offset 0 ")
    return False


def check_against_liblz4(cpu, lz4ref, blocks, page_size=PAGE):
    out, status = statuses(cpu, blocks, page_size)
    for i, block in enumerate(blocks):
        theirs = liblz4_decode(block, page_size)
        if theirs is not None and has_zero_offset(lz4ref, block):
            assert status[i] == EINVAL, f"block {i} has offset 0, ours gives {status[i]}"
        elif theirs is not None:
            assert status[i] == 0, f"liblz4 decodes block {i}, ours gives {status[i]}"
        if status[i] == 0 and theirs is not None:
            assert out[i].tobytes() == theirs, f"block {i} decodes differently from liblz4"
    return out, status


def test_valid_blocks_decode(cpu, sample_blocks):
    out, status = statuses(cpu, [b for _, b in sample_blocks])
    assert (status == 0).all()
    assert [row.tobytes() for row in out] == [p for p, _ in sample_blocks]


def test_empty_block(cpu):
    _, status = statuses(cpu, [b""])
    assert status[0] == EINVAL
    # The empty page's block is one zero token; no bytes at all is still malformed.
    _, status = statuses(cpu, [b"", b"\x00"], page_size=0)
    assert status.tolist() == [EINVAL, 0]


def test_every_truncation_of_a_real_block(cpu, real_block):
    page, block = real_block
    prefixes = [block[:k] for k in range(len(block))]
    out, status = statuses(cpu, prefixes + [block])
    assert (status[:-1] == EINVAL).all(), np.flatnonzero(status[:-1] != EINVAL)
    assert status[-1] == 0 and out[-1].tobytes() == page.tobytes()


def test_every_truncation_of_a_liblz4_block(cpu, real_block):
    page, _ = real_block
    block = lz4.block.compress(page.tobytes(), store_size=False)
    _, status = statuses(cpu, [block[:k] for k in range(len(block))])
    assert (status == EINVAL).all()


def literal_block(lz4ref, n):
    return lz4ref.make_block([], bytes(range(256)) * (n // 256) + bytes(range(n % 256)))


@pytest.mark.parametrize("case,expected", [
    ("offset 0", EINVAL),
    ("offset beyond output", EINVAL),
    ("offset far beyond output", EINVAL),
    ("literal length past input", EINVAL),
    ("literal length field cut", EINVAL),
    ("offset cut", EINVAL),
    ("match length field cut", EINVAL),
    ("ends with a match", EINVAL),
    ("trailing byte", EINVAL),
    ("match past page size", EOVERFLOW),
    ("literals past page size", EOVERFLOW),
    ("decodes to fewer bytes", EINVAL),
    ("huge literal length", EINVAL),
    ("huge match length", EOVERFLOW),
])
def test_malformed_block(cpu, lz4ref, case, expected):
    make = lz4ref.make_block
    head = bytes(range(64))
    tail = bytes(range(100, 164))
    fill = PAGE - len(head) - len(tail)
    valid = make([(head, 64, fill)], tail)
    assert lz4ref.decode(valid) == head + head * (fill // 64) + tail
    block = {
        "offset 0": make([(head, 0, fill)], tail),
        "offset beyond output": make([(head, 65, fill)], tail),
        "offset far beyond output": make([(head, 0xFFFF, fill)], tail),
        "literal length past input": valid[:1] + b"\xff" * 3 + valid[4:-100],
        "literal length field cut": bytes([0xF0]) + b"\xff" * 5,
        "offset cut": make([(head, 64, fill)], tail)[:1 + 1 + 64 + 1],
        "match length field cut": make([(head, 64, fill)], tail)[:1 + 1 + 64 + 2 + 3],
        "ends with a match": make([(head, 64, fill)], b"")[:-1],
        "trailing byte": valid + b"\x01",
        "match past page size": make([(head, 64, fill + 1)], tail),
        "literals past page size": literal_block(lz4ref, PAGE + 1),
        "decodes to fewer bytes": make([(head, 64, fill - 1)], tail),
        "huge literal length": bytes([0xF0]) + b"\xff" * 20000 + b"\x00" + b"x" * 100,
        "huge match length": make([(head, 64, 4 + 15 + 255 * 20000)], tail),
    }[case]
    _, status = statuses(cpu, [valid, block])
    assert status.tolist() == [0, expected]
    if case == "offset 0":
        # liblz4 decodes offset 0 (the block format calls it invalid); we must not.
        assert has_zero_offset(lz4ref, block)
    else:
        assert liblz4_decode(block) is None


def test_decompress_raises_naming_the_page(cpu, lz4ref):
    page = np.resize(np.arange(50, dtype=np.uint8), PAGE)
    good = cpu.compress(page).page(0)
    blocks = [good] * 3 + [good[:-1]] + [good, b"", good]
    with pytest.raises(gpuacomp.DecompressionError) as info:
        cpu.decompress(blocks, page_size=PAGE)
    err = info.value
    assert isinstance(err, ValueError)
    assert str(err).startswith("page 3: "), str(err)
    assert err.page == 3 and err.status == EINVAL
    assert "2 of 7" in str(err)
    out, status = cpu.decompress_batch(blocks, page_size=PAGE)
    assert status.tolist() == [0, 0, 0, EINVAL, 0, EINVAL, 0]
    assert all(out[i].tobytes() == page.tobytes() for i in (0, 1, 2, 4, 6))


def test_decompress_overflow_raises_with_status(cpu):
    block = cpu.compress(np.zeros(PAGE, np.uint8)).page(0)
    with pytest.raises(gpuacomp.DecompressionError) as info:
        cpu.decompress([block, block], page_size=PAGE - 1)
    assert info.value.page == 0 and info.value.status == EOVERFLOW
    assert str(info.value).startswith("page 0: ")
    _, status = statuses(cpu, [block], page_size=PAGE + 1)
    assert status.tolist() == [EINVAL]


def test_batch_with_a_corrupted_page(cpu, corpus):
    # A PageBatch's data corrupted in one slot: that page fails, the others decode.
    pages = corpus.sample(corpus.all_pages, 8, seed=4)
    batch = cpu.compress(pages)
    data = batch.data.copy()
    data[batch.offsets[5]] = 0xFF  # literal length 15 + continuation from the literals
    data[batch.offsets[5] + 1:batch.offsets[5] + 4] = 0xFF
    bad = gpuacomp.PageBatch(data, batch.offsets, batch.lengths, batch.status,
                             batch.page_size, batch.algorithm, batch.backend)
    out, status = cpu.decompress_batch(bad)
    assert status[5] < 0 and (np.delete(status, 5) == 0).all()
    np.testing.assert_array_equal(np.delete(out, 5, axis=0), np.delete(pages, 5, axis=0))
    with pytest.raises(gpuacomp.DecompressionError, match=r"^page 5: ") as info:
        cpu.decompress(bad)
    assert info.value.page == 5


# --- fuzzing -------------------------------------------------------------------------

@given(blocks=st.lists(st.binary(max_size=300), min_size=1, max_size=20))
def test_random_bytes(cpu, lz4ref, blocks):
    check_against_liblz4(cpu, lz4ref, blocks)
    check_against_liblz4(cpu, lz4ref, blocks, page_size=64)


@given(data=st.data())
def test_random_token_streams(cpu, lz4ref, data):
    # Structured garbage: plausible sequences with random lengths and offsets.
    sequences = data.draw(st.lists(st.tuples(st.binary(max_size=20), st.integers(0, 300),
                                             st.integers(4, 400)), max_size=8))
    block = lz4ref.make_block(sequences, data.draw(st.binary(max_size=20)))
    for page_size in (256, 1024):
        _, status = check_against_liblz4(cpu, lz4ref, [block], page_size)
        try:
            expected = lz4ref.decode(block)
        except ValueError:
            expected = None
        if expected is not None and len(expected) == page_size:
            assert status[0] == 0
        else:
            assert status[0] < 0


@given(data=st.data())
def test_bit_flips(cpu, lz4ref, sample_blocks, data):
    page, block = sample_blocks[data.draw(st.integers(0, len(sample_blocks) - 1), label="block")]
    mutated = bytearray(block)
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(block) - 1))
        mutated[pos] ^= 1 << data.draw(st.integers(0, 7))
    check_against_liblz4(cpu, lz4ref, [bytes(mutated)])


@given(data=st.data())
def test_byte_edits(cpu, lz4ref, sample_blocks, data):
    # Replaced, inserted and deleted bytes; cut or extended blocks.
    page, block = sample_blocks[data.draw(st.integers(0, len(sample_blocks) - 1), label="block")]
    mutated = bytearray(block)
    for _ in range(data.draw(st.integers(1, 3))):
        op = data.draw(st.sampled_from(["set", "insert", "delete", "cut", "extend"]))
        pos = data.draw(st.integers(0, max(len(mutated) - 1, 0)))
        if op == "set" and mutated:
            mutated[pos] = data.draw(st.integers(0, 255))
        elif op == "insert":
            mutated[pos:pos] = data.draw(st.binary(min_size=1, max_size=4))
        elif op == "delete" and mutated:
            del mutated[pos]
        elif op == "cut":
            del mutated[pos:]
        elif op == "extend":
            mutated += data.draw(st.binary(min_size=1, max_size=8))
    check_against_liblz4(cpu, lz4ref, [bytes(mutated)])


# --- the decoder's short path ---------------------------------------------------------

def test_fast_sequence_agrees_with_parse_sequence(cpu):
    """``lz4.fast_sequence`` (the GPU warp decoder's short path) gives what
    ``parse_sequence`` gives in liblz4's fast loop wherever it answers, at every input
    position of valid and damaged blocks, with the output position and the capacity
    around each of its limits."""
    from gpuacomp.backends.cpu import lz4 as codec
    from gpuacomp.kernels.lz4 import SEQUENCE_CAREFUL, SEQUENCE_MATCH

    rng = np.random.default_rng(8)
    pages = [np.zeros(PAGE, np.uint8), np.resize(np.arange(7, dtype=np.uint8), PAGE),
             np.frombuffer((b"a fox, a box, a fix; " * 200)[:PAGE], np.uint8),
             rng.integers(0, 4, PAGE, dtype=np.uint8)]
    blocks = [cpu.compress(page).page(0) for page in pages]
    blocks += [lz4.block.compress(page.tobytes(), store_size=False, mode="high_compression")
               for page in pages]
    # A match length's last byte where the input's end allows it, and one byte later.
    blocks += [b"\xef" + b"x" * 14 + b"\x01\x00" + b"\x00" + b"tail",
               b"\xef" + b"x" * 14 + b"\x01\x00" + b"\xff\x00" + b"end"]
    damaged = []
    for block in blocks:
        for _ in range(3):
            mutated = np.frombuffer(block, np.uint8).copy()
            positions = rng.integers(0, len(block), 6)
            mutated[positions[:3]] = rng.integers(0, 256, 3)
            mutated[positions[3:]] = (0xFF, 0x00, 0x0F)  # long lengths, offsets of 0
            damaged.append(mutated.tobytes())
    seen = set()
    for block in blocks + damaged:
        src = np.frombuffer(block, np.uint8)
        slen = len(src)
        for ip in range(slen):
            for op, cap in ((ip, PAGE), (4 * ip, PAGE), (rng.integers(0, 200), 300),
                            (rng.integers(0, 70), 100), (PAGE - 90 - rng.integers(0, 60), PAGE)):
                fast = codec.fast_sequence(src, slen, ip, op, cap)
                if fast[0] == SEQUENCE_CAREFUL:
                    seen.add("careful")
                    continue
                full = codec.parse_sequence(src, slen, ip, op, cap, True)
                where = f"block of {slen} bytes, ip {ip}, op {op}, cap {cap}"
                if fast[0] < 0:
                    assert full[0] == fast[0], where
                    seen.add("error")
                else:
                    assert fast[0] == SEQUENCE_MATCH, where
                    assert full == (fast[0], fast[1], ip + 1, *fast[2:], True), where
                    seen.add("match")
    assert seen == {"careful", "error", "match"}
