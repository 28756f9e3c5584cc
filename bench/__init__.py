"""Benchmarks of gpuacomp; run ``python -m bench`` from the repository root.

``python -m bench`` compares gpuacomp's LZ4 pages with liblz4 on the project's
default pages and on ``--corpus`` files: ratio, compress and decompress MB/s on one
CPU thread, on all cores and on the GPU when there is one.  See ``bench/__main__.py``
and ``bench/RESULTS.md``.
"""
