"""Shared test setup: hypothesis profiles, the page corpus, CPU compressors.

Hypothesis profile: ``HYPOTHESIS_PROFILE=default|ci|expensive`` (default ``default``).

The corpus lives beside the repository, at ``../shared/corpus`` (see its README):
``memory/*.pages`` are flat 4096-byte pages; ``snappy-testdata/*`` are files cut into
4096-byte pages here (the last partial page zero-padded).  Tests that need it use the
``corpus`` fixture, which skips them when it is absent; a test that takes a
``memory_file`` or ``snappy_file`` argument runs once per file of that kind.
"""

import functools
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

PAGE = 4096

settings.register_profile("default", max_examples=50, deadline=None)
settings.register_profile("ci", max_examples=20, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("expensive", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_configure(config):
    """Under numba's CUDA simulator, keep the tests on one CPU.

    The simulator runs a thread per CUDA thread, and every barrier hands the GIL from
    thread to thread; across two cores each handoff also wakes the other core, which
    made its slowest test 2.4 times slower on a 2-core machine (the tier: 11 minutes
    against 3), with times that varied from run to run.  One core loses little: the GIL
    lets one Python thread run at a time.
    """
    simulator = os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")
    if simulator and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def corpus_dir():
    """The shared page corpus: ``<repo>/../shared/corpus``."""
    return Path(__file__).resolve().parents[2] / "shared" / "corpus"


def memory_files():
    """Names of the memory/*.pages files (empty when the corpus is absent)."""
    return sorted(p.name for p in (corpus_dir() / "memory").glob("*.pages"))


def snappy_files():
    """Names of the snappy-testdata files, COPYING left out (empty when absent)."""
    directory = corpus_dir() / "snappy-testdata"
    if not directory.is_dir():
        return []
    return sorted(p.name for p in directory.iterdir() if p.is_file() and p.name != "COPYING")


def cut_pages(raw, page_size=PAGE):
    """``raw`` bytes as an (n, page_size) uint8 array, the last partial page zero-padded."""
    n = -(-len(raw) // page_size)
    pages = np.zeros(n * page_size, np.uint8)
    pages[:len(raw)] = np.frombuffer(raw, np.uint8)
    return pages.reshape(n, page_size)


@functools.lru_cache(maxsize=None)
def load_memory(name):
    """memory/<name> as a read-only (n, 4096) uint8 array (cached per session)."""
    raw = (corpus_dir() / "memory" / name).read_bytes()
    if len(raw) % PAGE:
        raise ValueError(f"memory/{name}: {len(raw)} bytes is not a whole number of pages")
    pages = np.frombuffer(raw, np.uint8).reshape(-1, PAGE)
    return pages


@functools.lru_cache(maxsize=None)
def load_snappy(name):
    """snappy-testdata/<name> cut into (n, 4096) pages (cached per session)."""
    pages = cut_pages((corpus_dir() / "snappy-testdata" / name).read_bytes())
    pages.flags.writeable = False
    return pages


class Corpus:
    """Loader of corpus pages; every array is cached for the session."""

    dir = property(lambda self: corpus_dir())
    memory_files = staticmethod(memory_files)
    snappy_files = staticmethod(snappy_files)
    memory = staticmethod(load_memory)
    snappy = staticmethod(load_snappy)

    @functools.cached_property
    def all_pages(self):
        """Every memory and snappy page in one (n, 4096) array."""
        parts = [load_memory(f) for f in memory_files()] + [load_snappy(f) for f in snappy_files()]
        return np.concatenate(parts)

    cut_pages = staticmethod(cut_pages)

    def sample(self, pages, count, seed=0):
        """``count`` pages of ``pages`` (all of them if fewer), chosen by ``seed``."""
        if len(pages) <= count:
            return pages
        rows = np.sort(np.random.default_rng(seed).choice(len(pages), count, replace=False))
        return pages[rows]


_CORPUS = Corpus()


def corpus_available():
    return bool(memory_files()) and bool(snappy_files())


@pytest.fixture(scope="session")
def corpus():
    """The page corpus loader; skips the test when ../shared/corpus is absent."""
    if not corpus_available():
        pytest.skip(f"page corpus not found at {corpus_dir()}")
    return _CORPUS


def pytest_generate_tests(metafunc):
    # One test per corpus file for tests that take memory_file / snappy_file.
    for arg, names in (("memory_file", memory_files), ("snappy_file", snappy_files)):
        if arg in metafunc.fixturenames:
            found = names()
            if found:
                metafunc.parametrize(arg, found)
            else:
                metafunc.parametrize(arg, [pytest.param(None, marks=pytest.mark.skip(
                    reason=f"page corpus not found at {corpus_dir()}"))])


@pytest.fixture
def memory_path_or_none():
    """The path of the first memory corpus file, or None without the corpus."""
    names = memory_files()
    return corpus_dir() / "memory" / names[0] if names else None


@pytest.fixture
def corpus_page_or_none():
    """A page of the memory corpus with many matches, or None without the corpus."""
    names = memory_files()
    if not names:
        return None
    pages = load_memory(names[0])
    return np.array(pages[len(pages) // 3])


@pytest.fixture(scope="module")
def cpu():
    """A CPU Compressor with the default options."""
    import gpuacomp
    with gpuacomp.Compressor("lz4", device="cpu") as compressor:
        yield compressor


# --- small pure-Python LZ4 block tools, independent of the library ---------------------


def _continued_length(block, ip, length, what):
    """Add a 15-valued nibble's continuation bytes (255 means another follows)."""
    while True:
        if ip >= len(block):
            raise ValueError(f"block ends inside {what}")
        length += block[ip]
        ip += 1
        if block[ip - 1] != 255:
            return length, ip

def lz4_sequences(block):
    """Parse a raw LZ4 block into ``[(literals, offset, match_length)]``.

    The last sequence has ``offset == match_length == 0``.  Raises ``ValueError`` on a
    malformed block (a reference walker for the tests, not a fast decoder).
    """
    block = bytes(block)
    ip, out_len, seqs = 0, 0, []
    while True:
        if ip >= len(block):
            raise ValueError("block ends before a token")
        token = block[ip]
        ip += 1
        lit = token >> 4
        if lit == 15:
            lit, ip = _continued_length(block, ip, lit, "a literal length")
        if ip + lit > len(block):
            raise ValueError("literals run past the block")
        literals = block[ip:ip + lit]
        ip += lit
        out_len += lit
        if ip == len(block):
            seqs.append((literals, 0, 0))
            return seqs
        if ip + 2 > len(block):
            raise ValueError("block ends inside an offset")
        offset = block[ip] | block[ip + 1] << 8
        ip += 2
        if offset == 0 or offset > out_len:
            raise ValueError(f"offset {offset} at output {out_len}")
        mlen = token & 15
        if mlen == 15:
            mlen, ip = _continued_length(block, ip, mlen, "a match length")
        mlen += 4
        seqs.append((literals, offset, mlen))
        out_len += mlen


def lz4_reference_decode(block):
    """Decode a raw LZ4 block with ``lz4_sequences`` (pure Python)."""
    out = bytearray()
    for literals, offset, mlen in lz4_sequences(block):
        out += literals
        for _ in range(mlen):
            out.append(out[-offset])
    return bytes(out)


def lz4_make_block(sequences, last_literals):
    """Build a raw LZ4 block from ``[(literals, offset, match_length)]`` and final literals.

    No validation: used to write malformed blocks on purpose.
    """
    out = bytearray()

    def length_bytes(rest):
        while rest >= 255:
            out.append(255)
            rest -= 255
        out.append(rest)

    for literals, offset, mlen in sequences:
        m = mlen - 4
        out.append(min(len(literals), 15) << 4 | min(m, 15))
        if len(literals) >= 15:
            length_bytes(len(literals) - 15)
        out += literals
        out += bytes([offset & 0xFF, (offset >> 8) & 0xFF])
        if m >= 15:
            length_bytes(m - 15)
    out.append(min(len(last_literals), 15) << 4)
    if len(last_literals) >= 15:
        length_bytes(len(last_literals) - 15)
    out += last_literals
    return bytes(out)


def lz4_reference_encode(page, candidates=4, lazy=False):
    """The parse of ``kernels/lz4.py``'s docstring, written naively from its text.

    Candidates at ``i``: the earlier positions ``j`` with the same 4 bytes, most recent
    first, at most ``candidates``; compared on their first 64 bytes, the longest wins
    (ties: most recent) and then takes its full length; matches start at ``i < n - 12``
    and end by ``n - 5``; greedy from ``i = 0``; with ``lazy``, a position whose
    compared length is below the next position's is a literal.
    """
    select_cap = 64
    src = bytes(page)
    n = len(src)
    start_end, end_limit = n - 12, n - 5
    earlier = {}  # key -> positions so far, in order
    rank = []  # rank[i]: how many earlier positions share i's key
    for i in range(max(start_end, 0)):
        positions = earlier.setdefault(src[i:i + 4], [])
        rank.append(len(positions))
        positions.append(i)

    def best(i):
        """(compared length, full length, offset) of i's best candidate; 0s for none."""
        positions = earlier[src[i:i + 4]]
        r = rank[i]
        best_length, best_offset = 0, 0
        for j in reversed(positions[max(0, r - candidates):r]):
            length = 0
            while i + length < end_limit and src[j + length] == src[i + length]:
                length += 1
            if min(length, select_cap) > min(best_length, select_cap):
                best_length, best_offset = length, i - j
        return min(best_length, select_cap), best_length, best_offset

    sequences, anchor, i = [], 0, 0
    while i < start_end:
        compared, best_length, best_offset = best(i)
        if best_length == 0:
            i += 1
            continue
        if lazy and i + 1 < start_end and best(i + 1)[0] > compared:
            i += 1
            continue
        sequences.append((src[anchor:i], best_offset, best_length))
        i += best_length
        anchor = i
    return lz4_make_block(sequences, src[anchor:])


@pytest.fixture(scope="session")
def lz4ref():
    """The pure-Python LZ4 tools above: ``.sequences``, ``.decode``, ``.make_block``,
    ``.encode`` (the reference parse).

    (A fixture, so that test modules need not import conftest.)
    """
    import types
    return types.SimpleNamespace(sequences=lz4_sequences, decode=lz4_reference_decode,
                                 make_block=lz4_make_block, encode=lz4_reference_encode)
