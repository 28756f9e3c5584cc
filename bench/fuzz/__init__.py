"""Differential fuzzing of our decoders against the reference libraries: raw DEFLATE
against zlib (``bench.fuzz.deflate``), LZ4 blocks against liblz4 (``bench.fuzz.lz4``).

``python -m bench.fuzz --codec lz4 --cases 1000000`` runs one codec's cases until the
count, or stops at the first disagreement and prints the input in hex, to become a
regression test.  ``run`` is the same loop for tests (the short mode CI runs).
"""

import random
import time

import numpy as np

PAGE = 4096


def codec_module(name):
    if name == "deflate":
        from bench.fuzz import deflate
        return deflate
    if name == "lz4":
        from bench.fuzz import lz4
        return lz4
    raise ValueError(f"unknown codec {name!r}: deflate or lz4")


def wide_header_page(size=PAGE):
    """``size`` bytes whose dynamic DEFLATE block sends nearly every code length there
    is: literals of every value, a run that takes the longest length code (258), and
    repeats from each distance code's range up to 32 KiB (as far as ``size`` allows).
    At 4 KiB zlib and ``deflate-iaa-dynamic`` send 286 + 24 lengths; at 64 KiB zlib's
    first block sends all 286 + 30."""
    rng = np.random.default_rng(7)
    page = bytearray(rng.integers(0, 256, 1024, dtype=np.uint8).tobytes()) + bytes(300)
    distance = 1
    while len(page) < size:
        start = len(page) - distance
        page += page[start:start + 6] + rng.integers(0, 256, 3, dtype=np.uint8).tobytes()
        distance = distance * 5 // 4 + 1
        if distance >= min(1 << 15, len(page)):
            distance = 1
    return bytes(page[:size])


def start_pages(seed, corpus=None):
    """The pages the cases start from: zeros, a fill, text, random bytes, a page with a
    wide DEFLATE header (``wide_header_page``), and up to 64 pages of ``corpus`` (a file
    of pages)."""
    pages = [bytes(PAGE), b"\xa5" * PAGE, (b"the quick brown fox " * 205)[:PAGE],
             np.random.default_rng(seed).integers(0, 256, PAGE, dtype=np.uint8).tobytes(),
             wide_header_page()]
    if corpus:
        with open(corpus, "rb") as f:
            raw = f.read(64 * PAGE)
        pages += [raw[i:i + PAGE] for i in range(0, len(raw) - PAGE + 1, PAGE)]
    return pages


def run(codec, cases, seed=0, corpus=None, progress=None, allowed=None):
    """Run ``cases`` cases of ``codec``: ``None`` if ours agrees with the reference on
    every one, else ``(case number, block, capacity, reference's result, ours)``.
    ``allowed`` (a dict) counts the cases that differ in an allowed way, by reason."""
    module = codec_module(codec)
    rng = random.Random(seed)
    start = time.perf_counter()
    for n, (block, capacity) in enumerate(module.cases(rng, start_pages(seed, corpus)), 1):
        expected = module.verdict(block, capacity)
        try:
            got = module.ours(block, capacity)
        except Exception as exc:  # (an index out of bounds, with --boundscheck)
            return n, block, capacity, expected, f"raised {type(exc).__name__}: {exc}"
        verdict = module.agrees(block, capacity, expected, got)
        if not verdict:
            return n, block, capacity, expected, got
        if isinstance(verdict, str) and allowed is not None:
            allowed[verdict] = allowed.get(verdict, 0) + 1
        if progress and n % 100000 == 0:
            progress(f"[fuzz {time.perf_counter() - start:6.1f}s] {n} cases agree")
        if n == cases:
            return None
