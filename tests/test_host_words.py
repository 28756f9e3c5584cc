"""``gpuacomp/backends/host_words.py`` (the CPU codecs' comparisons, eight bytes at a
time) gives ``lz4._same_key``'s and ``lz4._common_length``'s results: on the pages and
cases that check the GPU's four-byte version (``test_page_words``), and on arbitrary
short arrays by hypothesis, with caps and limits that end mid-word."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from gpuacomp.backends import host_words
from gpuacomp.kernels import lz4
from test_page_words import comparison_cases, pages_to_check

pytestmark = pytest.mark.skipif(host_words.FUNCTIONS is None,
                                reason="a big-endian host compares bytewise")
same_key = getattr(host_words.FUNCTIONS, "_same_key", None)
common_length = getattr(host_words.FUNCTIONS, "_common_length", None)


@njit(cache=False)
def run_words(page, cases, keys, lengths):
    for c in range(cases.shape[0]):
        i, j = cases[c, 0], cases[c, 1]
        if i + 4 <= page.shape[0]:  # (no key beyond the array: the codecs test none)
            keys[c] = same_key(page, i, j)
        lengths[c] = common_length(page, i, j, cases[c, 2], cases[c, 3], cases[c, 4])


def check(page, cases, what):
    keys = np.zeros(len(cases), np.int64)
    lengths = np.zeros(len(cases), np.int64)
    run_words(page, cases, keys, lengths)
    for c, (i, j, length, cap, limit) in enumerate(cases.tolist()):
        if i + 4 <= len(page):
            assert keys[c] == lz4._same_key(page, i, j), f"{what}: key at {i} and {j}"
        expected = lz4._common_length(page, i, j, length, cap, limit)
        assert lengths[c] == expected, (f"{what}: i={i} j={j} from {length}, cap {cap}, "
                                        f"limit {limit}: {lengths[c]} against {expected}")


def test_words_give_the_byte_results(corpus_page_or_none):
    rng = np.random.default_rng(11)
    for p, page in enumerate(pages_to_check(corpus_page_or_none)):
        cases = comparison_cases(page, rng)
        if len(cases):
            check(page, cases, f"page {p}")


@st.composite
def arrays_and_cases(draw):
    size = draw(st.integers(2, 80))
    alphabet = draw(st.integers(1, 256))
    page = np.array(draw(st.lists(st.integers(0, alphabet - 1), min_size=size,
                                  max_size=size)), np.uint8)
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        limit = draw(st.integers(1, size))  # every compared byte lies below it
        i = draw(st.integers(1, limit))
        j = draw(st.integers(0, i - 1))
        rows.append((i, j, draw(st.integers(0, 12)), draw(st.integers(0, 90)), limit))
    return page, np.array(rows, np.int64)


@settings(max_examples=300, deadline=None)
@given(arrays_and_cases())
def test_words_agree_on_arbitrary_arrays(case):
    page, cases = case
    check(page, cases, f"array {page.tolist()}")
