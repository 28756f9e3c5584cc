"""Compressing more pages than fit in memory: ``Compressor.compress_stream`` in chunks,
from a memory-mapped file, in bounded extra memory (``bench.memory`` measures it)."""

import pytest

import gpuacomp
from gpuacomp.sources import synthetic_pages
from bench import memory


@pytest.fixture(scope="module")
def pages():
    return synthetic_pages(300, seed=3).pages


@pytest.mark.parametrize("algorithm", ["lz4", "deflate-iaa"])
def test_chunks_cover_the_pages_with_the_same_bytes(pages, algorithm):
    c = gpuacomp.Compressor(algorithm, device="cpu")
    whole = c.compress(pages)
    firsts, blocks = [], []
    for first, batch in c.compress_stream(pages, chunk_pages=128):
        firsts.append(first)
        blocks += [batch.page(i) for i in range(len(batch))]
    assert firsts == [0, 128, 256]
    assert blocks == [whole.page(i) for i in range(len(pages))]


def test_bad_arguments_are_named(pages):
    c = gpuacomp.Compressor(device="cpu")
    with pytest.raises(ValueError, match="chunk_pages"):
        next(c.compress_stream(pages, chunk_pages=0))
    with pytest.raises(ValueError, match="2-D"):
        next(c.compress_stream(pages[0]))


def test_a_file_larger_than_a_batch_streams_in_bounded_memory(tmp_path):
    # 2^15 pages (128 MiB): compressed whole, the output alone would take 146 MiB.
    path = memory.write_page_file(tmp_path / "pages", 1 << 15)
    result = memory.measure(path, chunk_pages=1024, verify_every=7)
    assert result["pages"] == 1 << 15 and result["failed_pages"] == 0
    assert result["peak_extra_anon_mib"] < 48, result
