"""Page sources: realistic 4 KiB pages to compress, on any machine.

zswap compresses the resident anonymous memory of processes, so the most honest
benchmark input is exactly that: pages read out of a live process.  This module
captures them (:func:`capture_process_pages`, :func:`live_process_pages`),
generates a seeded synthetic stand-in where capture is impossible
(:func:`synthetic_pages`), and cuts files such as the project's page corpus into
pages (:func:`file_pages`).  :func:`default_pages` picks the best one available.

Every source returns pages as one C-contiguous ``(n, page_size)`` uint8 array,
ready for ``Compressor.compress``.
"""

import errno
import logging
import os
import select
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["PAGE_SIZE", "PageSource", "capture_process_pages", "default_pages",
           "file_pages", "live_process_pages", "synthetic_pages"]

PAGE_SIZE = 4096

logger = logging.getLogger("gpuacomp")

_PTRACE_HINT = ("needs ptrace access: same user and kernel.yama.ptrace_scope, "
                "or root / CAP_SYS_PTRACE")
# The workload child is ready in about a second; the margin is for loaded CI machines.
_READY_TIMEOUT_S = 60.0
# pagemap entries read per pread: 8 MiB of entries bounds memory for huge mappings.
_PAGEMAP_CHUNK = 1 << 20
_PM_PRESENT = np.uint64(1 << 63)
# Addresses at or above 2**63 (vsyscall, kernel space) do not fit a file offset.
_MAX_OFFSET = 1 << 63


@dataclass(frozen=True, eq=False)
class PageSource:
    """A named batch of pages and where it came from.

    Parameters
    ----------
    name : str
        Short label: a file name, ``"live-workload"``, ``"synthetic"``...
    pages : numpy.ndarray
        ``(n, page_size)`` uint8, C-contiguous.
    origin : str
        Human-readable provenance, e.g. ``"live process 1234 (gpuacomp workload,
        seed 0), 3000 of 5210 resident anonymous pages"``.

    Notes
    -----
    Equality and hashing are by identity (``eq=False``): element-wise comparison
    of page arrays has no single truth value.
    """

    name: str
    pages: np.ndarray
    origin: str

    def __post_init__(self):
        pages = self.pages
        if not isinstance(pages, np.ndarray) or pages.dtype != np.uint8 or pages.ndim != 2:
            desc = (f"{pages.ndim}-D {pages.dtype} array" if isinstance(pages, np.ndarray)
                    else type(pages).__name__)
            raise ValueError(f"PageSource {self.name!r}: pages must be a 2-D uint8 array "
                             f"(n, page_size), got {desc}")
        if not pages.flags.c_contiguous:
            object.__setattr__(self, "pages", np.ascontiguousarray(pages))

    def __len__(self):
        return self.pages.shape[0]

    @property
    def page_size(self):
        """Bytes per page (the second dimension of :attr:`pages`)."""
        return self.pages.shape[1]

    def __repr__(self):
        n, size = self.pages.shape
        return (f"PageSource(name={self.name!r}, pages=<{n} x {size} uint8>, "
                f"origin={self.origin!r})")


def _check_positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return int(value)


def _check_seed(seed):
    # numpy's SeedSequence takes non-negative ints only; say so in our terms.
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return int(seed)


def _check_max_pages(max_pages, allow_none=True):
    if max_pages is None and allow_none:
        return None
    if isinstance(max_pages, bool) or not isinstance(max_pages, (int, np.integer)):
        raise TypeError(f"max_pages must be an int{' or None' if allow_none else ''}, "
                        f"got {type(max_pages).__name__}")
    if max_pages < 0:
        raise ValueError(f"max_pages must be >= 0, got {max_pages}")
    return int(max_pages)


# --------------------------------------------------------------------------- live capture

def _require_proc():
    if not sys.platform.startswith("linux") or not os.path.exists("/proc/self/pagemap"):
        raise OSError(f"live page capture needs Linux /proc/PID/pagemap "
                      f"(platform {sys.platform!r})")


def _open_proc(pid, what):
    path = f"/proc/{pid}/{what}"
    try:
        return os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ProcessLookupError(f"cannot read {path}: no such process {pid}") from None
    except PermissionError:
        raise PermissionError(f"cannot read {path}: permission denied ({_PTRACE_HINT})") \
            from None


def _anonymous_mappings(pid):
    """(start, end) of the private writable anonymous mappings of ``pid``.

    These are what zswap can be handed: the heap, anonymous mmaps (malloc arenas,
    CPython's obmalloc arenas, JIT heaps), stacks and ``[anon:name]`` regions.
    Private pages of file mappings also become anonymous once written, but a
    file-backed mapping mostly holds clean file pages that reclaim drops instead of
    swapping, so those are left out, as are shared mappings and the vdso family.
    """
    fd = _open_proc(pid, "maps")
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    except PermissionError:
        # Since Linux 4.x the ptrace check on maps can happen on read, not open.
        raise PermissionError(f"cannot read /proc/{pid}/maps: permission denied "
                              f"({_PTRACE_HINT})") from None
    finally:
        os.close(fd)
    ranges = []
    for line in b"".join(chunks).decode("utf-8", "replace").splitlines():
        fields = line.split(None, 5)
        if len(fields) < 5:
            continue
        perms = fields[1]
        name = fields[5].strip() if len(fields) > 5 else ""
        if perms[:2] != "rw" or perms[3:4] != "p":
            continue
        if name and not (name == "[heap]" or name.startswith(("[stack", "[anon:"))):
            continue
        start, end = (int(x, 16) for x in fields[0].split("-"))
        if end <= _MAX_OFFSET:
            ranges.append((start, end))
    return ranges


def _present_pages(pagemap_fd, start, end, page_size, sys_page):
    """Addresses of the ``page_size`` pages in [start, end) whose memory is resident.

    pagemap has one 8-byte entry per system page; bit 63 says present (bit 62,
    swapped, is left out: those pages already went through swap).  When
    ``page_size`` is larger than the system page size, a page counts as present
    only if every system page under it is.  Work and memory scale with the
    resident pages, not the mapping's size: some runtimes map terabytes.
    """
    first = start // sys_page
    count = (end - start) // sys_page
    entries = np.empty(min(count, _PAGEMAP_CHUNK), np.uint64)
    found = []
    for off in range(0, count, _PAGEMAP_CHUNK):
        k = min(_PAGEMAP_CHUNK, count - off)
        try:
            got = os.preadv(pagemap_fd, [entries[:k]], (first + off) * 8) // 8
        except OSError:
            # A mapping that vanished mid-scan reads as absent, as it now is.
            continue
        found.append(np.flatnonzero(entries[:got] & _PM_PRESENT) + off)
    if not found:
        return np.empty(0, np.int64)
    addrs = start + np.concatenate(found).astype(np.int64) * sys_page
    if page_size < sys_page:
        return (addrs[:, None] + np.arange(0, sys_page, page_size)).reshape(-1)
    if page_size > sys_page:
        index, parts = np.unique(addrs // page_size, return_counts=True)
        return index[parts == page_size // sys_page] * page_size
    return addrs


def _read_pages(mem_fd, addrs, page_size):
    """Read the pages at sorted ``addrs``; returns (pages, mask of pages read).

    Adjacent pages are read with one pread per run.  A read that stops short (a
    page unmapped or unreadable since pagemap was read) keeps the whole pages it
    got; the page it stopped at is dropped, and reading resumes after it.
    """
    n = len(addrs)
    out = np.empty((n, page_size), np.uint8)
    flat = out.reshape(-1)
    ok = np.ones(n, bool)
    if n == 0:
        return out, ok
    breaks = np.flatnonzero(np.diff(addrs) != page_size) + 1
    starts = np.concatenate(([0], breaks))
    ends = np.concatenate((breaks, [n]))
    for i, j in zip(starts.tolist(), ends.tolist()):
        pos = i
        while pos < j:
            try:
                got = os.preadv(mem_fd, [flat[pos * page_size:j * page_size]],
                                int(addrs[pos])) // page_size
            except OSError:
                got = 0
            if got == 0:
                ok[pos] = False
                got = 1
            pos += got
    return out, ok


def _capture(pid, max_pages, page_size, seed):
    """Capture pages; returns (pages, number of resident anonymous pages found)."""
    _require_proc()
    pid = _check_positive("pid", pid)
    page_size = _check_positive("page_size", page_size)
    max_pages = _check_max_pages(max_pages)
    seed = _check_seed(seed)
    sys_page = os.sysconf("SC_PAGE_SIZE")
    if page_size % sys_page and sys_page % page_size:
        raise ValueError(f"page_size must be a multiple or a divisor of the system page "
                         f"size {sys_page}, got {page_size}")
    mappings = _anonymous_mappings(pid)
    pagemap_fd = _open_proc(pid, "pagemap")
    try:
        found = [_present_pages(pagemap_fd, s, e, page_size, sys_page) for s, e in mappings]
    finally:
        os.close(pagemap_fd)
    addrs = np.concatenate(found) if found else np.empty(0, np.int64)
    total = len(addrs)
    if max_pages is not None and total > max_pages:
        # Sorting the sample keeps address order: neighbouring pages stay neighbours.
        pick = np.random.default_rng(seed).choice(total, size=max_pages, replace=False)
        addrs = addrs[np.sort(pick)]
    mem_fd = _open_proc(pid, "mem")
    try:
        pages, ok = _read_pages(mem_fd, addrs, page_size)
    finally:
        os.close(mem_fd)
    if not ok.all():
        pages = pages[ok]
    return pages, total


def capture_process_pages(pid, max_pages=None, page_size=PAGE_SIZE, seed=0):
    """Read the resident anonymous memory of a process, as zswap would see it.

    Parameters
    ----------
    pid : int
        Process to read.  Needs ptrace read access to it: the same user (subject to
        ``kernel.yama.ptrace_scope``), or root.
    max_pages : int or None
        Upper bound on the pages returned.  When more pages are resident, a uniform
        random sample of ``max_pages`` of them is taken, kept in address order.
    page_size : int
        Bytes per returned page; a multiple or divisor of the system page size.
    seed : int
        Seed of the sample (``numpy.random.default_rng``).

    Returns
    -------
    numpy.ndarray
        ``(n, page_size)`` uint8, C-contiguous, in address order.

    Raises
    ------
    ProcessLookupError
        No such process.
    PermissionError
        The process's memory may not be read.
    OSError
        No ``/proc/PID/pagemap`` on this system (not Linux).

    Notes
    -----
    Mappings read: private and writable without a backing file (the heap,
    anonymous mmaps, stacks, ``[anon:name]`` regions).  Only pages that
    ``/proc/PID/pagemap`` marks present are read, through ``/proc/PID/mem``, so
    never-touched memory is not counted as zero pages and swapped-out pages are not
    faulted back in.  The process keeps running while it is read; pages that
    become unreadable in between are skipped, so fewer than ``max_pages`` may come
    back.  The bytes differ from run to run (addresses, timing): for reproducible
    input, use :func:`synthetic_pages` or :func:`file_pages`.
    """
    return _capture(pid, max_pages, page_size, seed)[0]


# The workload child: a CPython heap of the kinds of objects real services hold.
# Standard library only, deterministic from argv[1] (given PYTHONHASHSEED), ready in
# about a second at ~100 MB RSS.  It blocks on stdin so the heap holds still while
# it is read, and exits when the parent closes the pipe or dies.
WORKLOAD = r'''
import array, itertools, json, random, sys

def build(seed):
    rnd = random.Random(seed)
    syll = ["ka", "lo", "mi", "ne", "ra", "su", "ti", "vo", "ba", "de", "fi", "gu",
            "ho", "ji", "pe", "ze", "an", "er", "in", "on", "st", "th", "qu", "ch"]
    words = sorted({"".join(rnd.choices(syll, k=rnd.randint(1, 4))) for _ in range(3000)})
    # Word frequencies in text follow Zipf's law; uniform words compress unrealistically badly.
    zipf = list(itertools.accumulate(1.0 / (r + 1) for r in range(len(words))))
    pick = lambda k: rnd.choices(words, cum_weights=zipf, k=k)
    heap = {}
    heap["symbols"] = {f"{a}_{b}:{i}": rnd.randrange(1 << 20)
                       for i, (a, b) in enumerate(zip(pick(200_000), pick(200_000)))}
    heap["records"] = [{"id": i, "user": u, "email": f"{u}@{d}.org",
                        "score": round(rnd.random() * 100, 3), "visits": rnd.randrange(1000),
                        "active": rnd.random() < 0.7, "tags": pick(rnd.randint(0, 3))}
                       for i, (u, d) in enumerate(zip(pick(50_000), pick(50_000)))]
    # Freed objects leave holes, as in any long-running heap.
    for i in range(0, len(heap["records"]), 7):
        heap["records"][i] = None
    lines = []
    for n in (rnd.randint(3, 18) for _ in range(60_000)):
        lines.append(" ".join(pick(n)).capitalize() + ".")
    heap["document"] = "\n".join(lines)
    heap["lines"] = lines[::3]
    heap["json"] = json.dumps([r for r in heap["records"][:8000] if r])
    heap["blobs"] = [rnd.randbytes(rnd.randrange(256, 65536)) for _ in range(48)]
    heap["buffers"] = [bytearray(rnd.randrange(1, 16) * 4096) for _ in range(64)]
    for buf in heap["buffers"][::2]:
        n = len(buf) // 192 * 64
        buf[:n] = rnd.randbytes(64) * (n // 64)
    heap["floats"] = array.array("d", (round(rnd.gauss(50.0, 15.0), 2) for _ in range(200_000)))
    heap["ints"] = array.array("q", sorted(rnd.randrange(1 << 40) for _ in range(100_000)))
    try:
        import sqlite3
    except ImportError:
        pass
    else:
        db = sqlite3.connect(":memory:")
        db.execute("create table events (id integer primary key, user text, kind text, "
                   "value real)")
        db.executemany("insert into events values (?, ?, ?, ?)",
                       ((i, u, k, rnd.random()) for i, (u, k) in
                        enumerate(zip(pick(30_000), pick(30_000)))))
        db.commit()
        heap["db"] = db
    return heap

heap = build(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
sys.stdout.write("ready\n")
sys.stdout.flush()
sys.stdin.read()
'''


def _wait_ready(proc, errors, timeout):
    """Wait for the child's ``ready`` line; raise with its stderr if it fails."""
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    buf = b""
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"workload process {proc.pid} was not ready "
                               f"after {timeout:g} s")
        readable, _, _ = select.select([fd], [], [], left)
        if not readable:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buf += chunk
    if buf.strip() == b"ready":
        return
    if buf:
        # Alive but saying something else: nothing more to wait for.
        proc.kill()
    try:
        code = proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    errors.seek(0)
    lines = errors.read().decode("utf-8", "replace").strip().splitlines()
    detail = lines[-1] if lines else (f"printed {buf[:80]!r}" if buf else "")
    raise RuntimeError(f"workload process {proc.pid} failed (exit status {code})"
                       + (f": {detail}" if detail else ""))


def live_process_pages(pid=None, max_pages=4096, page_size=PAGE_SIZE, seed=0):
    """Pages captured from a live process: the given one, or our own workload.

    Parameters
    ----------
    pid : int or None
        Process to capture.  ``None`` starts a workload child (a CPython process
        that builds a heap of dicts, JSON-like records, text, byte buffers, float
        arrays and an in-memory sqlite table, deterministically from ``seed``),
        captures it once it is ready, and always ends it.
    max_pages, page_size, seed
        As for :func:`capture_process_pages`; ``seed`` also seeds the workload.

    Returns
    -------
    PageSource
        ``origin`` names the pid and how many of its resident anonymous pages were
        taken.

    Raises
    ------
    OSError
        Capture impossible here: see :func:`capture_process_pages`;
        ``TimeoutError`` if the workload is not ready within 60 s.
    RuntimeError
        The workload process failed.

    Notes
    -----
    The workload runs with ``PYTHONHASHSEED=0`` so its dict layouts repeat, but the
    captured bytes still differ between runs (addresses, allocator timing).
    """
    if pid is not None:
        pages, total = _capture(pid, max_pages, page_size, seed)
        comm = _process_name(pid)
        return PageSource(f"live-{comm}", pages,
                          f"live process {pid} ({comm}), "
                          f"{len(pages)} of {total} resident anonymous pages")
    _require_proc()
    # Check arguments before paying for a child process.
    _check_positive("page_size", page_size)
    _check_max_pages(max_pages)
    seed = _check_seed(seed)
    env = dict(os.environ, PYTHONHASHSEED="0")
    with tempfile.TemporaryFile() as errors:
        # -S: the workload needs only the standard library, and skipping site
        # imports keeps startup fast and the heap free of unrelated modules.
        proc = subprocess.Popen([sys.executable, "-S", "-c", WORKLOAD, str(seed)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=errors, env=env)
        try:
            _wait_ready(proc, errors, _READY_TIMEOUT_S)
            pages, total = _capture(proc.pid, max_pages, page_size, seed)
        finally:
            proc.stdin.close()
            proc.stdout.close()
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    return PageSource("live-workload", pages,
                      f"live process {proc.pid} (gpuacomp workload, seed {seed}), "
                      f"{len(pages)} of {total} resident anonymous pages")


def _process_name(pid):
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as f:
            return f.read().strip() or "unknown"
    except OSError:
        return "unknown"


# ------------------------------------------------------------------------------ synthetic

# (kind, share of pages).  Shares follow what anonymous memory looks like to zswap:
# mostly heap objects, a tenth zero pages (which swap's zeromap keeps from zswap)
# and same-filled pages, and a tenth that will not compress (compressed or
# encrypted data, hashes, random seeds).
SYNTHETIC_MIX = (("zero", 0.10), ("same", 0.10), ("heap", 0.45), ("text", 0.12),
                 ("repetitive", 0.13), ("random", 0.10))

# Generated in blocks, each from its own seed, so the first m pages are the same
# whatever n is, and temporaries stay a few MiB.
_BLOCK = 1024

_VOCABULARY = (
    "the of and to in is that for it as with was on be by at this are from or have an "
    "not which but they all were we when there can more one been would their has out "
    "if will so about what up its into them than only other new some time could these "
    "two may first then do any like now my over such our man me even most made after "
    "also did many before must through back years where much your way well down should "
    "because each just those people how too little state good very make world still "
    "own see men work long get here between both life being under never day same "
    "another know while last might us great old year off come since against go came "
    "right used take three error warning info debug request response user id value "
    "name type data file path http://example.org/ index.html 200 404 GET POST null "
    "true false 0 1 2 3 10 42 100 2024-05-01T12:00:00Z {\"id\": \"name\": [] {} ;"
).split()

# Heap cells are 16 bytes, the allocation granule of glibc malloc and obmalloc.
_ZERO_CELL, _OBJ_HEAD, _PTR_PAIR, _PTR_NULL, _INTS, _STRING, _FLOAT = range(7)
# Shares of the non-zero cells of a heap page: object headers (refcount, type
# pointer), pointer arrays (lists, dict entries, tree nodes), small integers
# (sizes, counters, malloc chunk headers), inline strings and floating point.
_CELL_MIX = np.array([0.20, 0.30, 0.10, 0.15, 0.17, 0.08])


def _text_corpus(rng, size):
    """``size`` bytes of Zipf-distributed words from a small vocabulary."""
    words = [w.encode() for w in _VOCABULARY]
    lens = np.array([len(w) + 1 for w in words])
    table = np.zeros((len(words), lens.max()), np.uint8)
    for i, w in enumerate(words):
        table[i, :len(w)] = np.frombuffer(w, np.uint8)
    weights = 1.0 / np.arange(1, len(words) + 1)
    # Words with their separator are at least 2 bytes: enough words for size bytes.
    count = size // 2 + 1
    idx = rng.choice(len(words), size=count, p=weights / weights.sum())
    wl = lens[idx]
    starts = np.cumsum(wl) - wl
    pos = np.arange(int(wl.sum())) - np.repeat(starts, wl)
    text = table[np.repeat(idx, wl), pos]
    # Each word ends in a separator: mostly spaces, some line breaks.
    ends = np.cumsum(wl) - 1
    text[ends] = rng.choice(np.frombuffer(b"        \n", np.uint8), size=count)
    return text[:size]


def _heap_pages(rng, k, width, corpus):
    cells = np.zeros((k, width // 16, 2), "<u8")
    as_bytes = cells.view(np.uint8).reshape(k, width // 16, 16)
    ncell = cells.shape[1]
    # Each page gets its own density: some are packed with objects, others half
    # free lists and padding.
    p_zero = rng.uniform(0.1, 0.6, size=k)
    kind = rng.choice(np.arange(1, 7), size=(k, ncell), p=_CELL_MIX)
    kind[rng.random((k, ncell)) < p_zero[:, None]] = _ZERO_CELL
    # Pointers share their upper bytes: each page points into one of a few arenas
    # (mmap region addresses), object types live in the executable's data segment.
    arenas = (0x7F << 40) + (rng.integers(0, 1 << 28, size=4, dtype=np.int64) << 12)
    exe = (0x55 << 40) + (int(rng.integers(0, 1 << 28)) << 12)
    types = exe + 16 * rng.integers(0, 1 << 12, size=8, dtype=np.int64)
    page_arena = arenas[rng.integers(0, 4, size=k)]

    def pointers(rows):
        return (page_arena[rows] + 16 * rng.integers(0, 1 << 16, size=len(rows))).astype("<u8")

    for cell in range(1, 7):
        where = kind == cell
        rows = np.nonzero(where)[0]
        c = len(rows)
        if cell == _OBJ_HEAD:
            cells[where, 0] = rng.integers(1, 64, size=c)
            cells[where, 1] = types[rng.integers(0, len(types), size=c)]
        elif cell == _PTR_PAIR:
            cells[where, 0] = pointers(rows)
            cells[where, 1] = pointers(rows)
        elif cell == _PTR_NULL:
            cells[where, 0] = pointers(rows)
        elif cell == _INTS:
            cells[where, 0] = rng.integers(0, 4096, size=c)
            cells[where, 1] = rng.integers(0, 64, size=c)
        elif cell == _STRING:
            windows = np.lib.stride_tricks.sliding_window_view(corpus, 16)
            as_bytes[where] = windows[rng.integers(0, len(windows), size=c)]
        else:
            values = np.round(rng.random(c) * 1000.0, 2).astype("<f8")
            cells[where, 0] = values.view("<u8")
            cells[where, 1] = rng.integers(0, 1 << 20, size=c)
    return cells.view(np.uint8).reshape(k, width)


def _repetitive_pages(rng, k, width):
    # Arrays of fixed-size records: a short pattern repeated, half of them with a
    # 4-byte little-endian counter per record, and a few bytes changed here and there.
    counted = rng.random(k) < 0.5
    period = rng.integers(2, 65, size=k)
    period = np.where(counted, np.maximum(period, 8), period)
    pattern = rng.integers(0, 256, size=(k, 64), dtype=np.uint8)
    j = np.arange(width)
    col = j[None, :] % period[:, None]
    pages = np.take_along_axis(pattern, col, axis=1)
    record = j[None, :] // period[:, None]
    counter = ((record >> (8 * np.minimum(col, 3))) & 0xFF).astype(np.uint8)
    np.copyto(pages, counter, where=counted[:, None] & (col < 4))
    nmut = rng.integers(0, 9, size=k)
    at = rng.integers(0, width, size=(k, 8))
    values = rng.integers(0, 256, size=(k, 8), dtype=np.uint8)
    live = np.arange(8)[None, :] < nmut[:, None]
    pages[np.nonzero(live)[0], at[live]] = values[live]
    return pages


def _same_pages(rng, k, width):
    # zswap's same-filled check works on machine words: one repeated byte, or one
    # repeated 8-byte word.
    words = rng.integers(1, np.iinfo(np.uint64).max, size=k, dtype=np.uint64, endpoint=True)
    byte_fill = rng.random(k) < 0.5
    bytes_ = rng.integers(1, 256, size=k, dtype=np.uint64)
    words = np.where(byte_fill, bytes_ * np.uint64(0x0101010101010101), words).astype("<u8")
    return np.repeat(words[:, None], width // 8, axis=1).view(np.uint8)


def _synthetic_block(seed, block, page_size, corpus):
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1 + block,)))
    width = -(-page_size // 16) * 16
    shares = np.array([share for _, share in SYNTHETIC_MIX])
    kinds = rng.choice(len(SYNTHETIC_MIX), size=_BLOCK, p=shares / shares.sum())
    out = np.zeros((_BLOCK, page_size), np.uint8)
    for code, (kind, _) in enumerate(SYNTHETIC_MIX):
        rows = np.flatnonzero(kinds == code)
        k = len(rows)
        if k == 0 or kind == "zero":
            continue
        if kind == "same":
            pages = _same_pages(rng, k, width)
        elif kind == "heap":
            pages = _heap_pages(rng, k, width, corpus)
        elif kind == "text":
            windows = np.lib.stride_tricks.sliding_window_view(corpus, width)
            pages = windows[rng.integers(0, len(windows), size=k)]
        elif kind == "repetitive":
            pages = _repetitive_pages(rng, k, width)
        else:
            pages = rng.integers(0, 256, size=(k, width), dtype=np.uint8)
        out[rows] = pages[:, :page_size]
    return out


def synthetic_pages(n, seed=0, page_size=PAGE_SIZE):
    """Seeded synthetic pages with the mix of kinds found in anonymous memory.

    Parameters
    ----------
    n : int
        Number of pages.
    seed : int
        Non-negative seed.  The same seed gives the same bytes on every machine,
        and the first ``m`` pages do not depend on ``n``.
    page_size : int
        Bytes per page.

    Returns
    -------
    PageSource

    Notes
    -----
    Kinds and their expected shares (:data:`SYNTHETIC_MIX`): zero-filled (10%);
    same-filled with one byte or one repeated 8-byte word (10%); heap-like (45%):
    16-byte cells of object headers, little-endian pointers into a few arenas,
    small integers, short strings and doubles, with a per-page share of zero cells;
    text (12%): Zipf-distributed words of a small vocabulary; repetitive (13%):
    short records repeated, some with a counter, with a few mutated bytes; random
    (10%): incompressible.  Pages of each kind are scattered through the batch.
    """
    n = _check_max_pages(n, allow_none=False)
    page_size = _check_positive("page_size", page_size)
    seed = _check_seed(seed)
    corpus_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    corpus = _text_corpus(corpus_rng, max(1 << 20, 4 * page_size))
    pages = np.empty((n, page_size), np.uint8)
    for block, lo in enumerate(range(0, n, _BLOCK)):
        hi = min(lo + _BLOCK, n)
        pages[lo:hi] = _synthetic_block(seed, block, page_size, corpus)[:hi - lo]
    return PageSource("synthetic", pages, f"synthetic (seed {seed})")


# ---------------------------------------------------------------------------------- files

_SKIP_PREFIXES = ("README", "COPYING", "LICENSE", "LICENCE")


def _file_source(path, page_size, max_pages):
    size = path.stat().st_size
    limit = size if max_pages is None else min(size, max_pages * page_size)
    npages = -(-limit // page_size)
    if npages == 0:
        return None
    data = np.fromfile(path, dtype=np.uint8, count=limit)
    if len(data) < limit:
        raise OSError(errno.EIO, f"{path}: read {len(data)} bytes, expected {limit}")
    if limit % page_size == 0:
        pages = data.reshape(npages, page_size)
        padded = ""
    else:
        pages = np.zeros((npages, page_size), np.uint8)
        pages.reshape(-1)[:limit] = data
        padded = ", last page zero-padded"
    taken = f"first {npages} of {-(-size // page_size)} pages" if limit < size \
        else f"{npages} pages"
    return PageSource(path.name, pages, f"file {path} ({size} bytes, {taken}{padded})")


def file_pages(path, page_size=PAGE_SIZE, max_pages=None):
    """Cut a file, or every file of a directory, into pages.

    Parameters
    ----------
    path : str or os.PathLike
        A file, or a directory: then each regular file directly in it, sorted by
        name, except hidden files and README*, COPYING*, LICENSE* (any case).
    page_size : int
        Bytes per page.
    max_pages : int or None
        Take at most the first ``max_pages`` pages of each file.

    Returns
    -------
    list of PageSource
        One per non-empty file, named by the file name.  A last partial page is
        padded with zero bytes up to ``page_size``.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    """
    page_size = _check_positive("page_size", page_size)
    max_pages = _check_max_pages(max_pages)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(errno.ENOENT, "page source not found", str(path))
    if path.is_dir():
        files = sorted((p for p in path.iterdir()
                        if p.is_file() and not p.name.startswith(".")
                        and not p.name.upper().startswith(_SKIP_PREFIXES)),
                       key=lambda p: p.name)
    elif path.is_file():
        files = [path]
    else:
        raise ValueError(f"{path}: not a regular file or a directory")
    sources = (_file_source(p, page_size, max_pages) for p in files)
    return [s for s in sources if s is not None]


# -------------------------------------------------------------------------------- default

def default_pages(max_pages=4096, page_size=PAGE_SIZE, seed=0):
    """The project's default pages: live anonymous memory, else synthetic pages.

    Parameters
    ----------
    max_pages : int
        Pages wanted; a live capture may return fewer if its workload has fewer
        resident pages.
    page_size : int
        Bytes per page.
    seed : int
        Seed of the live sample and workload, or of the synthetic pages.

    Returns
    -------
    PageSource
        :func:`live_process_pages` of the project's own workload child where this
        system allows it; otherwise :func:`synthetic_pages` of ``max_pages`` pages,
        whose ``origin`` ends with ``"; live capture unavailable: <reason>"``
        (the reason is also logged at WARNING on the ``gpuacomp`` logger).

    Notes
    -----
    Live pages differ from run to run.  For byte-reproducible input use
    :func:`synthetic_pages` or :func:`file_pages` on the corpus.
    """
    max_pages = _check_max_pages(max_pages, allow_none=False)
    page_size = _check_positive("page_size", page_size)
    try:
        source = live_process_pages(None, max_pages=max_pages, page_size=page_size,
                                    seed=seed)
        if len(source) or max_pages == 0:
            return source
        reason = "the capture found no resident anonymous pages"
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        reason = str(exc) or type(exc).__name__
    logger.warning("live page capture unavailable (%s); using synthetic pages", reason)
    synthetic = synthetic_pages(max_pages, seed=seed, page_size=page_size)
    return PageSource(synthetic.name, synthetic.pages,
                      f"{synthetic.origin}; live capture unavailable: {reason}")
