"""``python -m bench.memory``: compress a memory-mapped file of pages far larger than a
batch (default 2^20 pages, 4 GiB) with ``Compressor.compress_stream`` and measure the
peak of the process's extra anonymous memory (``RssAnon``, sampled every 10 ms): what
it costs beyond the mapping of the input, whose pages the kernel may drop at will.

Without ``--file`` it writes the file first (the project's default pages, tiled) into
``--dir`` and removes it afterwards.  Prints one line of results; ``--json`` writes them.
"""

import argparse
import json
import os
import sys
import tempfile
import threading
import time

import numpy as np

from gpuacomp.compressor import STREAM_CHUNK_PAGES

PAGE = 4096
TARGET_MIB = 256  # issue 8: peak extra memory for the 4 GiB CPU run


def anonymous_kib():
    """This process's resident anonymous memory in KiB (Linux /proc/self/status)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    raise RuntimeError("no RssAnon in /proc/self/status (Linux only)")


class PeakSampler:
    """Samples ``anonymous_kib`` on a thread until stopped; ``peak`` is the highest seen."""

    def __init__(self, interval_s=0.01):
        self.interval_s = interval_s
        self.peak = anonymous_kib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, anonymous_kib())
            self._stop.wait(self.interval_s)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, anonymous_kib())


def write_page_file(path, pages, progress=None):
    """A file of ``pages`` pages: the project's default pages, repeated."""
    from gpuacomp.sources import default_pages

    base = np.ascontiguousarray(default_pages(min(pages, 4096)).pages)
    with open(path, "wb") as f:
        written = 0
        while written < pages:
            take = min(len(base), pages - written)
            f.write(base[:take].tobytes())
            written += take
            if progress and written % (64 * len(base)) == 0:
                progress(f"wrote {written} of {pages} pages")
    return path


def measure(path, algorithm="lz4", chunk_pages=STREAM_CHUNK_PAGES, device="cpu", verify_every=0,
            progress=None):
    """Stream-compress the page file at ``path``; returns the figures as a dict."""
    import gpuacomp

    pages = np.memmap(path, np.uint8, mode="r")
    pages = pages[:len(pages) // PAGE * PAGE].reshape(-1, PAGE)
    c = gpuacomp.Compressor(algorithm, device=device)
    c.decompress(c.compress(pages[:8]))  # compile and warm up before the baseline
    baseline = anonymous_kib()
    compressed = failed = 0
    start = time.perf_counter()
    with PeakSampler() as sampler:
        for k, (first, batch) in enumerate(c.compress_stream(pages, chunk_pages)):
            compressed += int(np.minimum(batch.lengths, PAGE).sum())
            failed += int((batch.status != 0).sum())
            if verify_every and k % verify_every == 0:
                if not (c.decompress(batch) == pages[first:first + len(batch)]).all():
                    raise RuntimeError(f"pages {first}.. did not round-trip")
            if progress and k % 16 == 0:
                progress(f"{first + len(batch)} of {len(pages)} pages, "
                         f"{(sampler.peak - baseline) / 1024:.0f} MiB extra at most so far")
            del batch
    seconds = time.perf_counter() - start
    extra_mib = (sampler.peak - baseline) / 1024
    return {"pages": len(pages), "gib": pages.nbytes / 2**30, "algorithm": c.algorithm.driver,
            "backend": c.backend, "chunk_pages": chunk_pages, "seconds": seconds,
            "mb_s": pages.nbytes / seconds / 1e6, "ratio": pages.nbytes / max(compressed, 1),
            "failed_pages": failed, "baseline_anon_mib": baseline / 1024,
            "peak_extra_anon_mib": extra_mib, "target_mib": TARGET_MIB,
            "met": extra_mib <= TARGET_MIB}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.memory",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1 << 20)
    parser.add_argument("--file", help="an existing file of 4096-byte pages (not removed)")
    parser.add_argument("--dir", default=tempfile.gettempdir(),
                        help="where to write the file when --file is not given")
    parser.add_argument("--algorithm", default="lz4")
    parser.add_argument("--chunk", type=int, default=STREAM_CHUNK_PAGES,
                        help=f"pages per chunk (default {STREAM_CHUNK_PAGES})")
    parser.add_argument("--device", choices=("auto", "cpu", "gpu"), default="cpu")
    parser.add_argument("--verify-every", type=int, default=0, metavar="K",
                        help="decompress and compare every K-th chunk (default: none)")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    say = lambda message: print(f"[memory] {message}", file=sys.stderr, flush=True)  # noqa: E731
    path = args.file
    if path is None:
        path = os.path.join(args.dir, f"gpuacomp-memory-{os.getpid()}.pages")
        say(f"writing {args.pages} pages ({args.pages * PAGE / 2**30:.2f} GiB) to {path}")
        write_page_file(path, args.pages, say)
    try:
        result = measure(path, args.algorithm, args.chunk, args.device, args.verify_every,
                         say)
    finally:
        if args.file is None:
            os.unlink(path)
    print(f"{result['pages']} pages ({result['gib']:.2f} GiB) through {result['algorithm']} "
          f"on {result['backend']} in chunks of {result['chunk_pages']}: "
          f"{result['seconds']:.1f} s, {result['mb_s']:.0f} MB/s, ratio {result['ratio']:.3f}, "
          f"{result['failed_pages']} failed; peak extra anonymous memory "
          f"{result['peak_extra_anon_mib']:.1f} MiB (target <= {TARGET_MIB}: "
          f"{'met' if result['met'] else 'MISSED'})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return 0 if result["met"] and not result["failed_pages"] else 1


if __name__ == "__main__":
    sys.exit(main())
