"""Everything worth knowing about the GPU backend, in one call of a few minutes.

    python bench/gpu_check.py [--corpus DIR] [--quick] [--stages A,B] [--budget SECONDS]

Sections: environment; correctness (GPU bytes == CPU bytes at several batch sizes, round
trips, liblz4 decodes ours); ceilings (pinned copies, empty launches); latency (an
8-page batch: the compress kernels such a batch could get, alone and phase by phase, the
chain linked by warp 0 or by the whole block, 256 to 1024 threads a page, LZ4's and IAA
deflate's; then layer by layer, from the default kernel alone to ``Compressor.compress``
of host pages); our speed (device-resident and host-to-host; the parse's levels, its
candidates and lazy step, with their ratios and the lazy ones' bytes against the CPU's;
the compress kernel's variants side by side: threads per page, the chain's hash bits,
how it is linked and whether its links carry tags, a register cap, with phase times;
one chunk of the host-to-host pipeline step by step); the LZ4 decoders (a thread per
page, lanes of a warp per page in their variants); the acomp facade streaming against a
direct batch; the zswap workload batched and sequential; nvCOMP LZ4 on the same pages;
IAA's deflate (both drivers: GPU bytes == CPU bytes, speed, and their lazy levels)
beside nvCOMP's Deflate; the deflate kernels' variants (the fixed-code kernel by positions, bytewise and
by segments; each mode's block and thread per page).
Prints a short table last; writes details as JSON to $OUT/gpu_check.json when $OUT is set.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script
from bench.common import device_time  # noqa: E402

RESULTS = {}


def section(name):
    print(f"== {name}", flush=True)
    RESULTS.setdefault(name, {})
    return RESULTS[name]


def report(*items):
    """Print a figure as soon as it is measured, and save what there is so far: a run
    that its time limit cuts short keeps everything measured before."""
    print(*items, flush=True)
    save()


def median_ms(samples):
    return statistics.median(samples) * 1e3


def wall_times(fn, repeat):
    """Host seconds of ``repeat`` calls of ``fn`` after one warm-up call."""
    fn()
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return samples


def load_pages(corpus, count):
    """``count`` pages: corpus heap pages tiled, else the project's synthetic pages."""
    from gpuacomp import sources

    if corpus and Path(corpus).exists():
        found = sources.file_pages(corpus)
        base = np.concatenate([s.pages for s in found]) if found else None
        origin = f"corpus {corpus}: {', '.join(s.name for s in found)}"
    else:
        base = None
    if base is None:
        src = sources.synthetic_pages(min(count, 16384), seed=1)
        base, origin = src.pages, src.origin
    reps = -(-count // len(base))
    return np.ascontiguousarray(np.tile(base, (reps, 1))[:count]), origin


def same_bytes(a, b):
    """True when two PageBatches hold identical lengths, statuses and compressed bytes."""
    a, b = a.to_host(), b.to_host()
    if not (np.array_equal(a.lengths, b.lengths) and np.array_equal(a.status, b.status)):
        return False
    slot = int(a.offsets[1] - a.offsets[0]) if len(a) > 1 else len(a.data)
    da = a.data.reshape(len(a), slot)
    db = b.data.reshape(len(b), slot)
    valid = np.arange(slot)[None, :] < a.lengths[:, None]
    return bool(np.array_equal(da[valid], db[valid]))


def check_environment(cp):
    out = section("environment")
    import numba

    props = cp.cuda.runtime.getDeviceProperties(0)
    out.update(
        gpu=props["name"].decode(), sms=props["multiProcessorCount"],
        driver=cp.cuda.runtime.driverGetVersion(), runtime=cp.cuda.runtime.runtimeGetVersion(),
        cupy=cp.__version__, numba=numba.__version__,
        numba_cuda=getattr(sys.modules.get("numba_cuda"), "__version__", "?"),
        python=platform.python_version(), cpu_cores=os.cpu_count())
    print(out, flush=True)


def check_correctness(cp, gpu, cpu, pages, quick):
    out = section("correctness")
    rng = np.random.default_rng(7)
    random_pages = rng.integers(0, 256, (256, 4096), dtype=np.uint8)
    mixed = pages.copy()
    mixed[::17] = random_pages[np.arange(len(mixed[::17])) % len(random_pages)]  # incompressible
    mixed[5::31] = 0
    mixed[7::29] = 0xA5
    sizes = [1, 8, 64, 4096] if quick else [1, 8, 64, 4096, 65536]
    all_ok = True
    for n in sizes:
        batch = mixed[:n]
        g = gpu.compress(batch)
        c = cpu.compress(batch)
        resident = gpu.compress(cp.asarray(batch))
        back = gpu.decompress(g)
        back_resident = gpu.decompress(resident).get()
        cross = gpu.decompress(c)  # CPU blocks through the GPU decoder
        row = dict(identical=same_bytes(g, c), resident_identical=same_bytes(resident, c),
                   round_trip=bool(np.array_equal(back, batch)),
                   round_trip_resident=bool(np.array_equal(back_resident, batch)),
                   gpu_decodes_cpu=bool(np.array_equal(cross, batch)), ratio=round(c.ratio, 4))
        out[str(n)] = row
        all_ok &= all(v for k, v in row.items() if k != "ratio")
        report(n, row)
    try:
        import lz4.block
        sample = range(0, 4096, 7)
        ref = gpu.compress(mixed[:4096])
        out["liblz4_decodes_gpu"] = all(
            lz4.block.decompress(ref.page(i), uncompressed_size=4096) == mixed[i].tobytes()
            for i in sample)
        all_ok &= out["liblz4_decodes_gpu"]
    except ImportError:
        out["liblz4_decodes_gpu"] = "lz4 not installed"
    truncated = gpu.compress(mixed[:1]).page(0)[:-3]
    _, status = gpu.decompress_batch([truncated, b"", b"\xf0"], page_size=4096)
    out["malformed_status"] = status.get().tolist() if hasattr(status, "get") else status.tolist()
    all_ok &= all(s < 0 for s in out["malformed_status"])
    out["all_ok"] = bool(all_ok)
    return all_ok


def check_ceilings(cp):
    out = section("ceilings")
    import cupyx
    from numba import cuda

    nbytes = 256 << 20
    host = cupyx.empty_pinned(nbytes, np.uint8)
    host[:] = 1
    dev = cp.empty(nbytes, cp.uint8)
    h2d, _, _ = device_time(cp, lambda: dev.set(host), repeat=5)
    d2h, _, _ = device_time(cp, lambda: dev.get(out=host), repeat=5)
    other = cp.empty_like(dev)
    d2d, _, _ = device_time(cp, lambda: other.__setitem__(slice(None), dev), repeat=5)
    pageable = np.ones(nbytes, np.uint8)
    t = time.perf_counter()
    for _ in range(3):
        np.copyto(host, pageable)
    host_copy = 3 * nbytes / (time.perf_counter() - t)
    out.update(pinned_h2d_GBps=nbytes / h2d / 1e9, pinned_d2h_GBps=nbytes / d2h / 1e9,
               d2d_GBps_read_plus_write=2 * nbytes / d2d / 1e9,
               host_memcpy_GBps=host_copy / 1e9)

    @cuda.jit
    def empty_numba():
        pass

    empty_cupy = cp.RawKernel('extern "C" __global__ void empty() {}', "empty")
    empty_numba[1, 1]()
    empty_cupy((1,), (1,), ())
    cp.cuda.Device().synchronize()
    for name, launch in (("numba", lambda: empty_numba[1, 1]()),
                         ("cupy", lambda: empty_cupy((1,), (1,), ()))):
        samples = []
        for _ in range(2000):
            t = time.perf_counter()
            launch()
            samples.append(time.perf_counter() - t)
        cp.cuda.Device().synchronize()
        out[f"empty_launch_{name}_us"] = statistics.median(samples) * 1e6
    print(out, flush=True)
    return out


def check_speed(cp, gpu, cpu, pages, quick):
    out = section("speed")
    sizes = [1 << 14] if quick else [1 << 16, 1 << 18]
    for n in sizes:
        host = pages[:n] if n <= len(pages) else np.tile(pages, (-(-n // len(pages)), 1))[:n]
        dev = cp.asarray(host)
        batch = gpu.compress(dev)
        comp, lo, hi = device_time(cp, lambda: gpu.compress(dev), repeat=5)
        decomp, dlo, dhi = device_time(cp, lambda: gpu.decompress(batch), repeat=5)
        out[f"resident_{n}"] = dict(
            compress_GBps=host.nbytes / comp / 1e9, compress_range_ms=(lo * 1e3, hi * 1e3),
            decompress_GBps=host.nbytes / decomp / 1e9, decompress_range_ms=(dlo * 1e3, dhi * 1e3),
            ratio=batch.to_host().ratio)
        report(n, out[f"resident_{n}"])
        del dev, batch
    # The parse's levels trade ratio for speed (the default is 4 candidates, greedy;
    # nvCOMP's ratio is the floor): each level's ratio and speed, from the same run, and
    # the lazy levels' bytes against the CPU's.
    dev = cp.asarray(pages[:sizes[0]])
    backend = gpu.accelerator._backend
    cpu_backend = cpu.accelerator._backend
    for candidates, lazy in ((1, False), (1, True), (2, False), (2, True), (3, False),
                             (3, True), (4, True), (16, False)):
        seconds, _, _ = device_time(
            cp, lambda: backend.compress(dev, gpu._slot, candidates, lazy))
        data, lengths = backend.compress(dev, gpu._slot, candidates, lazy)
        row = dict(GBps=dev.nbytes / seconds / 1e9,
                   ratio=dev.nbytes / float(cp.maximum(lengths, 0).sum()))
        if lazy:
            expected = cpu_backend.compress(pages[:sizes[0]], gpu._slot, candidates, lazy)
            row["same_bytes_as_cpu"] = resident_bytes_equal(
                cp, (data, lengths), tuple(cp.asarray(a) for a in expected), gpu._slot)
            out["all_ok"] = out.get("all_ok", True) and row["same_bytes_as_cpu"]
        out[f"resident_{sizes[0]}_candidates_{candidates}{'_lazy' if lazy else ''}"] = row
        del data, lengths
    n = sizes[0]
    host = np.ascontiguousarray(np.tile(pages, (-(-n // len(pages)), 1))[:n])
    walls = wall_times(lambda: gpu.compress(host), 5)
    out[f"host_to_host_{n}_GBps"] = host.nbytes / statistics.median(walls) / 1e9
    walls = wall_times(lambda: backend.compress(host, gpu._slot, gpu.candidates), 5)
    out[f"backend_host_to_host_{n}_GBps"] = host.nbytes / statistics.median(walls) / 1e9
    # One chunk of that pipeline, step by step (run 14: 7.2 GB/s host to host against
    # a 21 GB/s kernel; which step the two streams fail to hide is not measured).
    chunk = host[:backend.chunk_pages]
    out[f"host_steps_{len(chunk)}_us"] = host_steps(cp, gpu, chunk, samples=10)
    walls = wall_times(lambda: cpu.compress(host), 3)
    out[f"cpu_all_cores_{n}_GBps"] = host.nbytes / statistics.median(walls) / 1e9
    eight = np.ascontiguousarray(pages[:8])
    samples = wall_times(lambda: gpu.compress(eight), 50 if quick else 300)
    out["latency_8_pages_us"] = dict(p50=np.percentile(samples, 50) * 1e6,
                                     p99=np.percentile(samples, 99) * 1e6)
    report(out)
    # The default, then each of its options changed: no register cap (the compiler's
    # choice: 48 registers in run 11, 5 blocks of 256 threads an SM against 8 at the
    # default 32), the chain's 13-bit hash, 128 threads a page, the chain by rows of the
    # whole block, 512 threads a page (what a batch of few pages gets).  (Runs 11 to 14
    # timed the others, all slower: a cap of 40, lz4.best_match's search, bytes one at a
    # time, segments, 1024 threads a page.)
    compress_variants(cp, gpu, dev, out, (
        dict(), dict(max_registers=None), dict(hash_bits=13), dict(threads_per_block=128),
        dict(parallel_chain=True), dict(threads_per_block=512)))
    return out


def check_tagged_links(cp, gpu, pages, quick):
    """The compress kernel with the chain's links tagged with their keys, against the
    default: a stage of its own, as it took the GPU down in run 13 (where the chain
    itself was wrong)."""
    out = section("tagged_links")
    dev = cp.asarray(pages[:1 << 14 if quick else 1 << 16])
    compress_variants(cp, gpu, dev, out, (dict(), dict(tagged_links=True)))
    return out


def compress_variants(cp, gpu, dev, out, variants):
    """Each LZ4 compress kernel of ``variants`` (``LZ4Kernels`` options; 256 threads a
    page unless they say) on ``dev``: GB/s, its bytes against the default's, resources
    and phase times."""
    from gpuacomp.backends.gpu import GPUBackend, LZ4Kernels

    reference = gpu.accelerator._backend.compress(dev, gpu._slot, gpu.candidates)
    for options in variants:
        options = {"threads_per_block": 256, **options}
        name = f"resident_{len(dev)}" + "".join(
            f"_{key}_{value}" for key, value in options.items())
        try:
            variant = GPUBackend(kernels=LZ4Kernels(**options))
            seconds, _, _ = device_time(
                cp, lambda: variant.compress(dev, gpu._slot, gpu.candidates))
            data, lengths = variant.compress(dev, gpu._slot, gpu.candidates)
            same = resident_bytes_equal(cp, (data, lengths), reference, gpu._slot)
            out[name] = dict(GBps=dev.nbytes / seconds / 1e9, same_bytes_as_default=same,
                             **kernel_usage(variant.kernels.compress_kernel))
            if options["threads_per_block"] == 256:
                phases = phase_times(cp, variant, dev, gpu._slot, gpu.candidates, gpu.lazy)
                out.update({f"{name}_phase_1_to_{k}_ms": ms for k, ms in phases.items()})
        except Exception as exc:  # one broken variant must not hide the others' figures
            out[name] = dict(error=repr(exc)[:300])
            same = False
        out["all_ok"] = out.get("all_ok", True) and same
        report(name, out[name])


# The compress kernels an 8-page batch could get: (name, kernel set, threads a page).
# The chain by warp 0 (the default) or by rows of the whole block, at 256 threads a page
# (a large batch's) to 1024 (GPUBackend's few_pages gives 512).
LATENCY_KERNELS = (("lz4_chain_by_warp_0_256", ("lz4", {}), 256),
                   ("lz4_chain_by_warp_0_512", ("lz4", {}), 512),
                   ("lz4_chain_by_warp_0_1024", ("lz4", {}), 1024),
                   ("lz4_chain_by_rows_512", ("lz4", dict(parallel_chain=True)), 512),
                   ("deflate_iaa_256", ("fixed", {}), 256),
                   ("deflate_iaa_512", ("fixed", {}), 512))


def check_latency(cp, gpu, pages):
    """An 8-page batch: each candidate kernel alone, phase by phase (CUDA events, a block
    alone on its SM: a page's critical path, and a numba launch), its bytes against the
    CPU's, then the default's layers up to ``Compressor.compress`` of host pages."""
    import gpuacomp
    from gpuacomp.backends.gpu import DeflateKernels, GPUBackend, LZ4Kernels

    out = section("latency")
    eight = np.ascontiguousarray(pages[:8])
    dev = cp.asarray(eight)
    all_ok = True
    expected = {}  # the CPU's bytes, by codec
    for name, (codec, options), threads in LATENCY_KERNELS:
        try:
            if codec == "lz4":
                kernels = LZ4Kernels(256, **options)
            else:
                kernels = DeflateKernels(codec, 256, per_page_threads=False, **options)
            if codec not in expected:
                cpu = gpuacomp.Compressor("lz4" if codec == "lz4" else "deflate-iaa",
                                          device="cpu")
                expected[codec] = cpu, cpu.compress(eight)
            cpu, reference = expected[codec]
            slot, candidates = cpu._slot, cpu.candidates
            backend = GPUBackend(kernels=kernels, few_pages=(threads, len(eight)))
            data, lengths = backend.compress(dev, slot, candidates)
            lengths = lengths.get()
            data = data.get().reshape(len(eight), slot)
            same = (np.array_equal(lengths, reference.lengths)
                    and all(data[i, :lengths[i]].tobytes() == reference.page(i)
                            for i in range(len(eight))))
            phases = phase_times(cp, backend, dev, slot, candidates, False, threads,
                                 repeat=21)
            out[name] = dict(same_bytes_as_cpu=same,
                             **{f"phase_1_to_{k}_us": ms * 1e3 for k, ms in phases.items()},
                             **kernel_usage(kernels.compress_kernel_for(threads)[0]))
        except Exception as exc:  # one broken variant must not hide the others' figures
            out[name] = dict(error=repr(exc)[:300])
            same = False
        all_ok &= same
        report(name, out[name])
    out.update(latency_breakdown(cp, gpu, eight))
    out["host_steps_us"] = host_steps(cp, gpu, eight)
    report(out["host_steps_us"])
    # Where the Compressor's time above its backend goes (run 14: 95 us of host pages,
    # 380 of device pages), function by function.
    out["profile_compressor_host"] = profile_calls(lambda: gpu.compress(eight))
    out["profile_compressor_resident"] = profile_calls(
        lambda: (gpu.compress(dev), cp.cuda.get_current_stream().synchronize()))
    out["all_ok"] = bool(all_ok)
    return out


def profile_calls(fn, calls=300, top=20):
    """cProfile of ``calls`` calls of ``fn``: the ``top`` functions by their own time,
    as ``"us a call (own) / us a call (with callees) / calls a call: function"``."""
    import cProfile
    import pstats

    fn()
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(calls):
        fn()
    profile.disable()
    stats = pstats.Stats(profile).stats  # {(file, line, name): (cc, nc, tt, ct, callers)}
    rows = sorted(stats.items(), key=lambda item: -item[1][2])[:top]
    return [f"{tt / calls * 1e6:.1f} / {ct / calls * 1e6:.1f} / {nc / calls:g}: "
            f"{Path(file).name}:{line}({name})"
            for (file, line, name), (_, nc, tt, ct, _) in rows]


def host_steps(cp, gpu, host_pages, samples=200):
    """The host's part of a batch, step by step as ``GPUBackend`` takes them (wall
    clock, p50 of ``samples``, microseconds): for 8 pages, what the latency pays above
    the kernel; for a chunk of a large batch, what the pipeline has to overlap."""
    from gpuacomp.backends.gpu import copy_pages

    backend = gpu.accelerator._backend
    n, page_size = host_pages.shape
    slot, candidates = gpu._slot, gpu.candidates
    stream = backend._streams[0]
    staged, d_pages, d_data, d_lengths, prefixes = backend._chunk_buffers(0, n, page_size, slot)
    nb_stream = backend._numba_stream(stream)
    kernel, threads = backend.kernels.compress_kernel_for(backend._threads_for(n))
    views = tuple(backend._as_numba(a) for a in (d_pages, d_data, d_lengths))
    sliced = prefixes(n)
    pinned_data = backend._cupyx.empty_pinned(n * slot, np.uint8)
    pinned_lengths = backend._cupyx.empty_pinned(n, np.int32)

    def launch():
        kernel[n, threads, nb_stream](sliced[0], page_size, sliced[1], slot, sliced[2],
                                      candidates, int(gpu.lazy), 4)

    def copies_back():
        d_data[:n * slot].get(stream=stream, out=pinned_data)
        d_lengths[:n].get(stream=stream, out=pinned_lengths)
        stream.synchronize()

    steps = (("empty_pinned_x2", lambda: (backend._cupyx.empty_pinned(n * slot, np.uint8),
                                          backend._cupyx.empty_pinned(n, np.int32))),
             ("synchronize_idle_stream", stream.synchronize),
             ("copy_pages_to_staging", lambda: copy_pages(staged[:n], host_pages)),
             ("set_host_to_device_synced", lambda: (d_pages[:n].set(staged[:n], stream=stream),
                                                    stream.synchronize())),
             ("slice_numba_views_x3", lambda: (views[0][:n], views[1][:n * slot],
                                               views[2][:n])),
             ("kept_numba_views", lambda: prefixes(n)),
             ("as_cuda_array_x3", lambda: [backend._as_numba(a)
                                           for a in (d_pages, d_data, d_lengths)]),
             ("cupy_empty_x2", lambda: (cp.empty(n * slot, cp.uint8), cp.empty(n, cp.int32))),
             ("launch_no_sync", launch),
             ("launch_synced", lambda: (launch(), stream.synchronize())),
             ("get_device_to_host_x2_synced", copies_back),
             ("backend_compress_host", lambda: backend.compress(host_pages, slot, candidates)))
    out = {}
    for name, fn in steps:
        out[name] = float(np.percentile(wall_times(fn, samples), 50) * 1e6)
    return out


# The LZ4 decoders: a thread per page, and lanes of a warp per page with
# lz4_cuda.build_warp_decoder's options (a warp, parse_sequence alone, reading global
# memory, is run 11's warp decoder but for its copy loops).
DECODERS = (("thread", False),
            ("warp_parse_global", dict(lean=False, stage_input=False)),
            ("warp_lean_global", dict(stage_input=False)),
            ("warp_lean_staged", True),
            ("warp_lean_staged_48_registers", dict(max_registers=48)),
            ("warp_lean_staged_2_warps", dict(warps=2)),
            ("warp_lean_global_8_warps", dict(warps=8, stage_input=False)),
            # Fewer lanes a page, several pages a warp, decoding into global memory (a
            # warp's store: a sector a page, where a thread per page stores to 32).
            ("lanes_16_global", dict(lanes=16, shared_output=False, stage_input=False)),
            ("lanes_8_global", dict(lanes=8, shared_output=False, stage_input=False)),
            ("lanes_4_global", dict(lanes=4, shared_output=False, stage_input=False)),
            ("lanes_8_staged_input", dict(lanes=8, warps=2, shared_output=False)),
            ("lanes_8_global_8_warps", dict(lanes=8, warps=8, shared_output=False,
                                            stage_input=False)),
            ("warp_lean_global_output", dict(shared_output=False, stage_input=False)),
            # A thread a page, as the default, but reading with lz4.next_sequence (the
            # short path that took the warp decoder from 37.4 to 41.0 GB/s in run 12).
            ("thread_lean", dict(lanes=1, shared_output=False, stage_input=False)))


def check_decoders(cp, gpu, pages, quick):
    """The LZ4 decoders side by side on device-resident pages: their kernels alone, and
    ``Compressor.decompress`` (which also checks the block table)."""
    from gpuacomp.backends.gpu import GPUBackend, LZ4Kernels

    out = section("decoders")
    all_ok = True
    for n in [1 << 14] if quick else [1 << 16, 1 << 18]:
        host = pages[:n] if n <= len(pages) else np.tile(pages, (-(-n // len(pages)), 1))[:n]
        dev = cp.asarray(host)
        batch = gpu.compress(dev)
        blocks = (batch.data, batch.offsets.astype(cp.int64), batch.lengths.astype(cp.int64))
        seconds, _, _ = device_time(cp, lambda: gpu.decompress(batch), repeat=5)
        out[f"compressor_{n}_GBps"] = host.nbytes / seconds / 1e9
        for name, warp_decoder in DECODERS:
            key = f"{name}_{n}"
            try:
                variant = GPUBackend(kernels=LZ4Kernels(256, warp_decoder=warp_decoder))
                decoded, produced = variant.decompress(*blocks, dev.shape[1])
                same = (bool(cp.array_equal(decoded, dev))
                        and bool((produced == dev.shape[1]).all()))
                del decoded, produced
                seconds, lo, hi = device_time(
                    cp, lambda: variant.decompress(*blocks, dev.shape[1]), repeat=5)
                out[key] = dict(GBps=host.nbytes / seconds / 1e9, round_trip=same,
                                range_ms=(lo * 1e3, hi * 1e3),
                                **kernel_usage(variant.kernels.decompress_kernel))
            except Exception as exc:  # one broken variant must not hide the others' figures
                out[key] = dict(error=repr(exc)[:300])
                same = False
            all_ok &= same
            report(key, out[key])
        del dev, batch, blocks
    out["all_ok"] = bool(all_ok)
    return out


def kernel_usage(kernel):
    """Registers, local and shared memory of a compiled kernel (reporting only)."""
    usage = {}
    for what in ("regs_per_thread", "local_mem_per_thread", "shared_mem_per_block"):
        try:
            value = getattr(kernel, f"get_{what}")()  # {signature: value}
            usage[what] = next(iter(value.values())) if isinstance(value, dict) else value
        except Exception as exc:  # reporting only
            usage[what] = repr(exc)[:60]
    return usage


# Microseconds the stream is held before timing a small batch (device_time's hold_us):
# ten numba launches' worth.
HOLD_US = 500


def phase_times(cp, backend, dev, slot, candidates, lazy=False, threads=None, repeat=5):
    """Milliseconds of the compress kernel (of blocks of ``threads``; None: the kernel
    set's own) stopped after each phase (1 to 4), launched directly on device arrays:
    where a batch spends its time, without a profiler.  The launches queue behind a
    hold (``device_time``), so that a small batch's figures are the device's alone:
    run 14's, without it, each held some 40-50 us of launch."""
    from gpuacomp.backends.gpu import ALL_PHASES
    n = len(dev)
    d_out = cp.empty(n * slot, cp.uint8)
    d_len = cp.empty(n, cp.int32)
    nb = [backend._as_numba(a) for a in (dev, d_out, d_len)]
    stream = backend._numba_stream(cp.cuda.get_current_stream())
    kernel, threads = backend.kernels.compress_kernel_for(threads)
    launch = kernel[n, threads, stream]
    times = {}
    for last_phase in range(1, ALL_PHASES + 1):
        seconds, _, _ = device_time(cp, lambda: launch(nb[0], dev.shape[1], nb[1], slot, nb[2],
                                                       candidates, int(lazy), last_phase), repeat,
                                    hold_us=HOLD_US)
        times[last_phase] = seconds * 1e3
    return times


def latency_breakdown(cp, gpu, host_pages):
    """Where the time of a small batch goes, layer by layer (microseconds, medians):
    the kernel alone (CUDA events around a direct launch, with the threads a page the
    backend gives such a batch), the backend and the ``Compressor`` on device-resident
    pages, then on host pages (wall clock)."""
    backend = gpu.accelerator._backend
    n = len(host_pages)
    dev = cp.asarray(host_pages)
    slot, candidates = gpu._slot, gpu.candidates
    d_out = cp.empty(n * slot, cp.uint8)
    d_len = cp.empty(n, cp.int32)
    nb = [backend._as_numba(a) for a in (dev, d_out, d_len)]
    stream = backend._numba_stream(cp.cuda.get_current_stream())
    threads = backend._threads_for(n)
    kernel, block = backend.kernels.compress_kernel_for(threads)
    launch = kernel[n, block, stream]

    def synced(fn):
        def call():
            fn()
            cp.cuda.get_current_stream().synchronize()
        return call

    out = {f"latency_{n}_threads_a_page": block}
    seconds, _, _ = device_time(cp, lambda: launch(nb[0], dev.shape[1], nb[1], slot, nb[2],
                                                   candidates, int(gpu.lazy), 4), repeat=50)
    out[f"latency_{n}_kernel_events_us"] = seconds * 1e6  # (with the launch: run 14's)
    seconds, _, _ = device_time(cp, lambda: launch(nb[0], dev.shape[1], nb[1], slot, nb[2],
                                                   candidates, int(gpu.lazy), 4), repeat=50,
                                hold_us=HOLD_US)
    out[f"latency_{n}_kernel_alone_us"] = seconds * 1e6
    # A page's critical path, phase by phase: each block alone on its SM.
    for k, ms in phase_times(cp, backend, dev, slot, candidates, gpu.lazy, threads).items():
        out[f"latency_{n}_kernel_phase_1_to_{k}_us"] = ms * 1e3
    for name, fn in (("kernel_launch_wall", lambda: launch(nb[0], dev.shape[1], nb[1], slot,
                                                           nb[2], candidates, int(gpu.lazy), 4)),
                     ("backend_resident_wall", lambda: backend.compress(dev, slot, candidates)),
                     ("compressor_resident_wall", lambda: gpu.compress(dev)),
                     ("backend_host_wall", lambda: backend.compress(host_pages, slot,
                                                                    candidates)),
                     ("compressor_host_wall", lambda: gpu.compress(host_pages))):
        samples = wall_times(synced(fn), 200)
        out[f"latency_{n}_{name}_us"] = dict(p50=np.percentile(samples, 50) * 1e6,
                                            p99=np.percentile(samples, 99) * 1e6)
    # the device-resident figure of earlier runs: events around the whole call
    seconds, _, _ = device_time(cp, lambda: gpu.compress(dev), repeat=50)
    out[f"resident_{n}_pages_us"] = seconds * 1e6
    return out


def check_prepared_launches(cp, gpu, pages):
    """``GPUBackend``'s prepared launches (its default) against numba's usual ones on
    host pages: the same bytes (batches of 1 to 300 pages, each twice: the second
    reuses the marshalled launch), then small batches' wall time, the two alternating
    (p50 of 300, microseconds), and a launch alone."""
    out = section("prepared_launches")
    backend = gpu.accelerator._backend
    held = backend.prepared_launches
    try:
        return compare_launches(out, gpu, backend, pages)
    finally:
        backend.prepared_launches = held


def compare_launches(out, gpu, backend, pages):
    slot, candidates = gpu._slot, gpu.candidates
    all_ok = True
    for n in (1, 8, 64, 300, 8, 1):
        host = np.ascontiguousarray(pages[:n])
        backend.prepared_launches = False
        data, lengths = (np.array(a) for a in backend.compress(host, slot, candidates))
        backend.prepared_launches = True
        for _ in range(2):
            got, got_lengths = backend.compress(host, slot, candidates)
            same = bool(np.array_equal(got_lengths, lengths) and np.array_equal(
                got.reshape(n, slot)[np.arange(slot)[None, :] < lengths[:, None]],
                data.reshape(n, slot)[np.arange(slot)[None, :] < lengths[:, None]]))
            all_ok &= same
        out[f"same_bytes_{n}"] = same
    out["prepared"] = sum(held[0] is not None for held in backend._prepared.values())
    report(out)
    for n in (1, 8, 64):
        host = np.ascontiguousarray(pages[:n])
        usual, prepared, facade_usual, facade_prepared = [], [], [], []
        for _ in range(300):
            for flag, samples, call in (
                    (False, usual, lambda: backend.compress(host, slot, candidates)),
                    (True, prepared, lambda: backend.compress(host, slot, candidates)),
                    (False, facade_usual, lambda: gpu.compress(host)),
                    (True, facade_prepared, lambda: gpu.compress(host))):
                backend.prepared_launches = flag
                t = time.perf_counter()
                call()
                samples.append(time.perf_counter() - t)
        for name, samples in (("backend_usual", usual), ("backend_prepared", prepared),
                              ("compressor_usual", facade_usual),
                              ("compressor_prepared", facade_prepared)):
            out[f"{n}_pages_{name}_us"] = dict(p50=np.percentile(samples, 50) * 1e6,
                                               p99=np.percentile(samples, 99) * 1e6)
        report(n, {k: v for k, v in out.items() if k.startswith(f"{n}_")})
    out["launch_8_pages_us"] = launch_times(backend, pages.shape[1], slot, candidates)
    report(out["launch_8_pages_us"])
    out["all_ok"] = bool(all_ok)
    return out


def launch_times(backend, page_size, slot, candidates, n=8):
    """Host microseconds (p50 of 200) of a launch on the backend's kept buffers: numba's
    usual launch, and the prepared one, alternating (synchronised every 20 launches,
    untimed, so that the queue never fills)."""
    from gpuacomp.backends import prepared_launch

    stream = backend._numba_stream(backend._streams[0])
    *_, prefixes = backend._chunk_buffers(0, n, page_size, slot)
    pages, data, lengths = prefixes(n)
    kernel, grid, block, args = backend.kernels.compress_launch(
        pages, page_size, data, slot, lengths, candidates, 0, backend._threads_for(n))
    prepared = prepared_launch.prepare(kernel, grid, block, stream, args)
    if prepared is None:
        return {"prepared": "numba's internals differ: not prepared"}
    usual, fast = [], []
    for k in range(200):
        for samples, launch in ((usual, lambda: kernel[grid, block, stream](*args)),
                                (fast, prepared)):
            t = time.perf_counter()
            launch()
            samples.append(time.perf_counter() - t)
        if k % 20 == 19:
            backend._streams[0].synchronize()
    backend._streams[0].synchronize()
    return {"usual": float(np.percentile(usual, 50) * 1e6),
            "prepared": float(np.percentile(fast, 50) * 1e6)}


def check_facade(pages, quick):
    """Issue 4's target: 2^16 pages streamed through the acomp facade (queue full) against
    one direct batch of the same pages, host to host."""
    out = section("facade")
    from bench.engine_overhead import stream_through_facade
    n = 1 << 12 if quick else 1 << 16
    host = np.ascontiguousarray(np.tile(pages, (-(-n // len(pages)), 1))[:n])
    facade_s, direct_s = stream_through_facade("gpu", host)
    out[f"stream_{n}"] = dict(facade_GBps=host.nbytes / facade_s / 1e9,
                              direct_GBps=host.nbytes / direct_s / 1e9,
                              facade_over_direct=direct_s / facade_s)
    print(out, flush=True)
    return out


def check_zswap(pages, quick):
    """Issue 6's GPU run: the zswap workload on the GPU, batched against sequential."""
    out = section("zswap")
    from gpuacomp import acomp
    from gpuacomp.acomp import tfm as registry
    from gpuacomp.zswap.workload import run
    n = 1 << 10 if quick else 1 << 13
    host = np.ascontiguousarray(np.tile(pages, (-(-n // len(pages)), 1))[:n])
    registry.reset_configuration()
    acomp.configure(device="gpu")
    for batching in (True, False):
        run(host[:64], "lz4", folio="64K", nr_cpus=4, batching=batching)  # warm up
        result = run(host, "lz4", folio="64K", nr_cpus=4, batching=batching)
        out[result.mode] = dict(backend=result.backend, store_MBps=result.store_MBps,
                                load_MBps=result.load_MBps, ratio=result.ratio,
                                call_us_p50=result.latency_us(50),
                                call_us_p99=result.latency_us(99),
                                mismatches=result.mismatches)
    out["batched_over_sequential"] = (out["batched"]["store_MBps"]
                                      / out["sequential"]["store_MBps"])
    registry.reset_configuration()
    print(out, flush=True)
    return out


def check_nvcomp(cp, pages, quick):
    out = section("nvcomp")
    try:
        from nvidia import nvcomp
    except ImportError as exc:
        out["skipped"] = f"nvidia.nvcomp not importable: {exc}"
        print(out, flush=True)
        return out
    n = 1 << 14 if quick else 1 << 16
    host = np.ascontiguousarray(np.tile(pages, (-(-n // len(pages)), 1))[:n])
    dev = cp.asarray(host).reshape(-1)
    out["version"] = getattr(nvcomp, "__version__", "?")
    for chunk in (4096, 65536):
        out[f"chunk_{chunk}"] = nvcomp_figures(cp, nvcomp, "LZ4", chunk, dev)
        report(chunk, out[f"chunk_{chunk}"])
    return out


def nvcomp_figures(cp, nvcomp, algorithm, chunk, dev, **options):
    """nvCOMP's ``algorithm`` on the device array ``dev`` in chunks of ``chunk`` bytes
    (``options``: the codec's own, such as Deflate's ``algorithm_type``)."""
    stream = cp.cuda.Stream()  # events on the stream nvCOMP runs on, not its private one
    codec = nvcomp.Codec(algorithm=algorithm, uncomp_chunk_size=chunk, cuda_stream=stream.ptr,
                         bitstream_kind=nvcomp.BitstreamKind.NVCOMP_NATIVE, **options)
    src = nvcomp.as_array(dev)
    encoded = codec.encode(src)
    cp.cuda.Device().synchronize()
    with stream:
        enc, _, _ = device_time(cp, lambda: codec.encode(src), repeat=5)
        dec, _, _ = device_time(cp, lambda: codec.decode(encoded), repeat=5)
    decoded = cp.asarray(codec.decode(encoded)).view(cp.uint8)
    figures = dict(ratio=dev.nbytes / encoded.buffer_size, compress_GBps=dev.nbytes / enc / 1e9,
                   decompress_GBps=dev.nbytes / dec / 1e9,
                   round_trip=bool(cp.array_equal(decoded.reshape(-1), dev)))
    # Release nvCOMP's objects while its stream lives (a run that left them to the
    # interpreter's exit crashed).
    del codec, src, encoded, decoded
    cp.cuda.Device().synchronize()
    return figures


def resident_bytes_equal(cp, a, b, slot):
    """Two device-resident (data, lengths) results hold the same pages."""
    if not bool(cp.array_equal(a[1], b[1])):
        return False
    valid = cp.arange(slot)[None, :] < a[1][:, None]
    shape = (len(a[1]), slot)
    return bool(((a[0].reshape(shape) == b[0].reshape(shape)) | ~valid).all())


def check_deflate(cp, pages, quick):
    """Both IAA deflate drivers: GPU bytes == CPU bytes, zlib decodes them, speed;
    nvCOMP's Deflate at 4 KiB chunks."""
    import zlib

    import gpuacomp

    out = section("deflate")
    rng = np.random.default_rng(11)
    mixed = pages[:4096].copy()
    mixed[::17] = rng.integers(0, 256, (len(mixed[::17]), 4096), dtype=np.uint8)
    mixed[5::31] = 0
    mixed[9::37] = 0x5A
    n = 1 << 14 if quick else 1 << 16
    host = np.ascontiguousarray(np.tile(pages, (-(-n // len(pages)), 1))[:n])
    dev = cp.asarray(host)
    all_ok = True
    for driver in ("deflate-iaa", "deflate-iaa-dynamic"):
        gpu = gpuacomp.Compressor(driver, device="gpu")
        cpu = gpuacomp.Compressor(driver, device="cpu")
        row = {}
        for size in (1, 64, 4096):
            g, c = gpu.compress(mixed[:size]), cpu.compress(mixed[:size])
            row[f"identical_{size}"] = same_bytes(g, c)
            row[f"round_trip_{size}"] = bool(np.array_equal(gpu.decompress(g), mixed[:size]))
        resident = gpu.compress(cp.asarray(mixed))
        row["resident_identical_4096"] = same_bytes(resident, cpu.compress(mixed))
        ref = gpu.compress(mixed)
        row["zlib_decodes_gpu"] = all(zlib.decompress(ref.page(i), -12) == mixed[i].tobytes()
                                      for i in range(0, len(mixed), 7))
        decoded, _ = gpu.decompress_batch([zlib.compress(p, 1)[2:-4] for p in mixed[:256]],
                                          page_size=4096)
        decoded = decoded.get() if hasattr(decoded, "get") else decoded
        row["gpu_decodes_zlib"] = bool(np.array_equal(decoded, mixed[:256]))
        all_ok &= all(row.values())
        batch = gpu.compress(dev)
        comp, lo, hi = device_time(cp, lambda: gpu.compress(dev), repeat=5)
        decomp, _, _ = device_time(cp, lambda: gpu.decompress(batch), repeat=5)
        row.update(ratio=batch.to_host().ratio, resident_compress_GBps=host.nbytes / comp / 1e9,
                   compress_range_ms=(lo * 1e3, hi * 1e3),
                   resident_decompress_GBps=host.nbytes / decomp / 1e9)
        eight = cp.asarray(pages[:8])
        seconds, _, _ = device_time(cp, lambda: gpu.compress(eight), repeat=30)
        row["resident_8_pages_us"] = seconds * 1e6
        walls = wall_times(lambda: gpu.compress(host), 3)
        row["host_to_host_GBps"] = host.nbytes / statistics.median(walls) / 1e9
        walls = wall_times(lambda: cpu.compress(host[:8192]), 3)
        row["cpu_all_cores_GBps"] = host[:8192].nbytes / statistics.median(walls) / 1e9
        out[driver] = row
        report(driver, row)
        del batch
        # The lazy level (3 candidates and 4): speed, ratio, the CPU's bytes.
        for candidates in (3, 4):
            lazy_gpu = gpuacomp.Compressor(driver, device="gpu", candidates=candidates,
                                           lazy=True)
            lazy_cpu = gpuacomp.Compressor(driver, device="cpu", candidates=candidates,
                                           lazy=True)
            batch = lazy_gpu.compress(dev)
            comp, _, _ = device_time(cp, lambda: lazy_gpu.compress(dev), repeat=5)
            lazy_row = dict(ratio=batch.to_host().ratio,
                            resident_compress_GBps=host.nbytes / comp / 1e9,
                            identical_4096=same_bytes(lazy_gpu.compress(mixed),
                                                      lazy_cpu.compress(mixed)))
            all_ok &= lazy_row["identical_4096"]
            out[f"{driver}_{candidates}_lazy"] = lazy_row
            report(f"{driver} {candidates} lazy", lazy_row)
            del batch
    # The anchor before the variants: a run cut short keeps the comparison.
    try:
        from nvidia import nvcomp
        flat = dev.reshape(-1)
        for algorithm_type in (0, 1, 2):
            name = f"nvcomp_deflate_4096_type_{algorithm_type}"
            out[name] = nvcomp_figures(cp, nvcomp, "Deflate", 4096, flat,
                                       algorithm_type=algorithm_type)
            report(name, out[name])
    except ImportError as exc:
        out["nvcomp_deflate_4096_type_1"] = f"nvidia.nvcomp not importable: {exc}"
    except Exception as exc:  # the anchor must not hide our own figures
        out["nvcomp_error"] = repr(exc)
    out["all_ok"] = bool(all_ok)
    return out


def check_deflate_variants(cp, pages, quick):
    """The deflate compress kernels side by side, device-resident (compiling six
    kernels: the slowest stage)."""
    import gpuacomp
    from gpuacomp.backends.gpu import DeflateKernels, GPUBackend

    out = section("deflate_variants")
    n = 1 << 14 if quick else 1 << 16
    host = np.ascontiguousarray(np.tile(pages, (-(-n // len(pages)), 1))[:n])
    dev = cp.asarray(host)
    all_ok = True
    # Each mode's encoders: a block of 256 threads per page (phase 2 by single positions
    # or, fixed codes, by segments) and a thread per page; then where the fixed block
    # kernels' time goes.
    slot = gpuacomp.Compressor("deflate-iaa", device="cpu")._slot
    for mode in ("fixed", "dynamic"):
        reference = None
        variants = [("block_256", False, False, True), ("thread_per_page", True, False, True)]
        if mode == "fixed":
            variants[1:1] = [("block_256_bytewise", False, False, False),
                             ("block_256_segments", False, True, True)]
        for variant, per_page, segments, words in variants:
            try:
                kernels = DeflateKernels(mode, 256, per_page_threads=per_page,
                                         segments=segments, word_compare=words)
                backend = GPUBackend(kernels=kernels)
                result = backend.compress(dev, slot, 4)
                reference = reference or result
                seconds, _, _ = device_time(cp, lambda: backend.compress(dev, slot, 4))
                row = dict(GBps=host.nbytes / seconds / 1e9,
                           same_bytes=resident_bytes_equal(cp, result, reference, slot),
                           **kernel_usage(kernels.compress_kernel))
                if mode == "fixed" and not per_page:
                    phases = phase_times(cp, backend, dev, slot, 4)
                    row.update({f"phase_1_to_{k}_ms": ms for k, ms in phases.items()})
                del result
            except Exception as exc:  # one broken variant must not hide the others' figures
                row = dict(error=repr(exc)[:300], same_bytes=False)
            all_ok &= row["same_bytes"]
            out[f"{mode}_{variant}"] = row
            report(f"{mode}_{variant}", row)
    out["all_ok"] = bool(all_ok)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=".corpus", help="page files to tile (default .corpus)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--stages",
                        default="correctness,ceilings,latency,speed,decoders,facade,zswap,"
                                "nvcomp,deflate,deflate_variants,prepared_launches,tagged_links",
                        help="comma-separated stages to run, in this order (default: all)")
    parser.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                        help="start no stage after this many seconds, so that a run under "
                             "a time limit still ends with its table (default: no limit)")
    args = parser.parse_args(argv)

    import cupy as cp
    import gpuacomp

    t0 = time.perf_counter()
    check_environment(cp)
    pages, origin = load_pages(args.corpus, 1 << 16)
    RESULTS["pages"] = origin
    print("pages:", origin, flush=True)
    gpu = gpuacomp.Compressor(device="gpu")
    cpu = gpuacomp.Compressor(device="cpu")
    t = time.perf_counter()
    gpu.compress(pages[:8])
    RESULTS["gpu_first_call_s"] = time.perf_counter() - t
    stages = [("correctness", lambda: check_correctness(cp, gpu, cpu, pages, args.quick)),
              ("ceilings", lambda: check_ceilings(cp)),
              ("latency", lambda: check_latency(cp, gpu, pages)),
              ("speed", lambda: check_speed(cp, gpu, cpu, pages, args.quick)),
              ("decoders", lambda: check_decoders(cp, gpu, pages, args.quick)),
              ("facade", lambda: check_facade(pages, args.quick)),
              ("prepared_launches", lambda: check_prepared_launches(cp, gpu, pages)),
              ("tagged_links", lambda: check_tagged_links(cp, gpu, pages, args.quick)),
              ("zswap", lambda: check_zswap(pages, args.quick)),
              ("nvcomp", lambda: check_nvcomp(cp, pages, args.quick)),
              ("deflate", lambda: check_deflate(cp, pages, args.quick)),
              ("deflate_variants", lambda: check_deflate_variants(cp, pages, args.quick))]
    stages = dict(stages)
    chosen = args.stages.split(",")
    unknown = [name for name in chosen if name not in stages]
    if unknown:
        parser.error(f"unknown stages {unknown}; the stages: {', '.join(stages)}")
    for name in chosen:  # in the order given: a stage that may crash the GPU goes last
        stage = stages[name]
        started = time.perf_counter()
        if args.budget is not None and started - t0 > args.budget:
            RESULTS[name] = {"skipped": f"over the budget of {args.budget:.0f} s"}
            print(f"!! {name} skipped: {RESULTS[name]['skipped']}", flush=True)
            continue
        try:
            stage()
        except Exception as exc:  # keep going: one broken stage must not hide the others
            RESULTS.setdefault(name, {})["error"] = repr(exc)
            print(f"!! {name} failed: {exc!r}", flush=True)
        # (what each stage costs sizes the next device check)
        RESULTS.setdefault(name, {})["stage_s"] = time.perf_counter() - started
        save()  # after every stage: a crash later must not take the numbers with it
    RESULTS["wall_s"] = time.perf_counter() - t0
    save()
    print_table()
    correct = all(RESULTS.get(stage, {}).get("all_ok", True)
                  for stage in ("correctness", "latency", "speed", "decoders", "deflate",
                                "deflate_variants", "prepared_launches", "tagged_links"))
    return 0 if correct and "all_ok" in RESULTS.get("correctness", {}) else 1


def save():
    if os.environ.get("OUT"):
        Path(os.environ["OUT"], "gpu_check.json").write_text(
            json.dumps(RESULTS, indent=1, default=str, skipkeys=True))


def print_table():
    env = RESULTS.get("environment", {})
    ceil = RESULTS.get("ceilings", {})
    speed = RESULTS.get("speed", {})
    nv = RESULTS.get("nvcomp", {})
    facade = RESULTS.get("facade", {})
    zswap = RESULTS.get("zswap", {})
    print(f"\n# gpu_check: {env.get('gpu')} driver {env.get('driver')} runtime {env.get('runtime')}"
          f" cupy {env.get('cupy')} numba {env.get('numba')}; pages: {RESULTS.get('pages')}")
    print(f"correct: {RESULTS.get('correctness', {}).get('all_ok')}  "
          f"first GPU call {RESULTS.get('gpu_first_call_s', 0):.1f}s  wall {RESULTS.get('wall_s', 0):.0f}s")
    for key in ("pinned_h2d_GBps", "pinned_d2h_GBps", "d2d_GBps_read_plus_write", "host_memcpy_GBps",
                "empty_launch_numba_us", "empty_launch_cupy_us"):
        if key in ceil:
            print(f"{key:32s} {ceil[key]:10.1f}")
    for key, value in speed.items():
        if isinstance(value, dict):
            print(f"{key:32s} " + "  ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                                             for k, v in value.items()))
        elif isinstance(value, float):
            print(f"{key:32s} {value:10.2f}")
        else:  # all_ok, or a failed stage's error
            print(f"{key:32s} {value}")
    for key, value in facade.items():
        print(f"facade {key:25s} {value}")
    for key, value in zswap.items():
        print(f"zswap {key:26s} {value}")
    for key, value in nv.items():
        print(f"nvcomp {key:25s} {value}")
    for stage in ("latency", "decoders", "deflate", "deflate_variants", "prepared_launches",
                  "tagged_links"):
        for key, value in RESULTS.get(stage, {}).items():
            print(f"{stage} {key:24s} {value}")


if __name__ == "__main__":
    sys.exit(main())
