"""Smoke tests of the benchmarks: ``python -m bench --quick`` (every runner, and each
alone) and ``python -m bench.engine_overhead`` run and report sane numbers.

It runs in a subprocess from the repository root, as a user would run it.  Speeds in
a --quick run mean nothing; only that they are positive is checked.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
QUICK = ["--quick", "--pages", "64", "--repeat", "1"]


def bench_env():
    env = dict(os.environ)
    # The bench's own default (auto): a GPU machine times the GPU too, and under
    # NUMBA_ENABLE_CUDASIM=1 auto leaves the (far too slow) simulator out.
    env.pop("GPUACOMP_DEVICE", None)
    return env


def run_bench(argv, tmp_path, prelude=None):
    out = tmp_path / "bench.json"
    argv = [*argv, "--json", str(out), "--out", str(tmp_path / "out")]
    if prelude is None:
        cmd = [sys.executable, "-m", "bench", *argv]
    else:
        # Run the module after ``prelude`` (e.g. to hide a package) in the same process.
        code = (f"{prelude}\nimport runpy, sys\n"
                f"sys.argv = ['bench', *{argv!r}]\n"
                "runpy.run_module('bench', run_name='__main__', alter_sys=True)")
        cmd = [sys.executable, "-c", code]
    proc = subprocess.run(cmd, cwd=REPO, env=bench_env(), capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, (f"{' '.join(cmd)} exited {proc.returncode}\n"
                                  f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return json.loads(out.read_text()), proc


def positive_speed(stat):
    return stat["median"] > 0 and stat["min"] > 0 and all(s > 0 for s in stat["samples"])


def test_quick_run_reports_sane_numbers(tmp_path):
    report, proc = run_bench(QUICK, tmp_path)
    assert report["ok"] is True
    assert report["gpu_errors"] == []
    default = report["sources"][0]
    assert 0 < default["pages"] <= 64
    assert default["page_size"] == 4096
    ours = default["ours"]
    assert {"cpu_1t", "cpu_all"} <= set(ours)
    for key, result in ours.items():
        assert "error" not in result, f"{key}: {result}"
        assert result["ratio"] > 1, f"{key}: default pages should compress"
        assert result["failed_pages"] == 0
        assert positive_speed(result["compress_mb_s"]), key
        assert positive_speed(result["decompress_mb_s"]), key
    # Every backend writes the same bytes, so the same ratio.
    assert len({round(r["ratio"], 9) for r in ours.values()}) == 1
    assert all(default["checks"].values()), default["checks"]
    if report["liblz4_skipped"] is None:
        lib = default["liblz4"]
        assert lib["ratio"] > 1
        assert positive_speed(lib["compress_mb_s"])
        assert positive_speed(lib["decompress_mb_s"])
        assert default["vs_liblz4"]["ratio"] > 0
        assert default["checks"]["liblz4_decodes_ours"]
        assert default["checks"]["ours_decodes_liblz4"]
        assert [t["target"] for t in report["targets"]] == [
            "ratio", "compress_1t", "compress_all", "decompress_1t"]
    for times in report["first_call_s"].values():
        assert times["compress_s"] >= 0 and times["decompress_s"] >= 0
    header = report["header"]
    assert header["cores"] >= 1 and header["python"] and header["numba"]
    assert "summary:" in proc.stdout
    # A CPU-only run says loudly that it fell back.
    if not any(e["key"].startswith("gpu") for e in report["engines"]) \
            and report["options"]["device"] == "auto":
        assert "*** GPU" in proc.stdout


def test_corpus_file_is_its_own_source(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "text.txt").write_bytes(b"the quick brown fox jumps over the lazy dog\n" * 400)
    report, _ = run_bench([*QUICK, "--device", "cpu", "--corpus", str(corpus)], tmp_path)
    names = [s["name"] for s in report["sources"]]
    assert names[1:] == ["text.txt"]
    text = report["sources"][1]
    assert text["pages"] == 5  # 17600 bytes, the last page zero-padded
    assert text["ours"]["cpu_1t"]["ratio"] > 10
    assert report["gpu_status"] == "not run (--device cpu)"


def test_runs_without_lz4(tmp_path):
    # A fresh machine without the test extra has no lz4: the liblz4 columns are skipped.
    prelude = "import sys; sys.modules['lz4'] = None; sys.modules['lz4.block'] = None"
    report, proc = run_bench([*QUICK, "--device", "cpu"], tmp_path, prelude)
    assert report["liblz4_skipped"] and "lz4" in report["liblz4_skipped"]
    default = report["sources"][0]
    assert default["liblz4"] is None
    assert default["ours"]["cpu_1t"]["ratio"] > 1
    assert all(t["met"] is None for t in report["targets"])
    assert "liblz4" in proc.stdout


@pytest.mark.parametrize("argv", [["--pages", "0"], ["--repeat", "0"],
                                  ["--corpus", "/nonexistent/corpus"], ["--only", "speed"]])
def test_bad_options_exit_with_usage_error(argv):
    proc = subprocess.run([sys.executable, "-m", "bench", *argv], cwd=REPO, env=bench_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "python -m bench: error:" in proc.stderr


def test_engine_overhead_runs(tmp_path):
    out = tmp_path / "engine.json"
    cmd = [sys.executable, "-m", "bench.engine_overhead", "--device", "cpu", "--batches", "2",
           "--rounds", "2", "--stream", "64", "--json", str(out)]
    proc = subprocess.run(cmd, cwd=REPO, env=bench_env(), capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "batch / Compressor (verify off)" in proc.stdout
    result = json.loads(out.read_text())
    assert result["backend"] == "cpu"
    for name in ("codec", "Compressor", "batch", "sequential", "batch+verify"):
        samples = result["us_per_batch"][name]
        assert len(samples) == 2 and all(s > 0 for s in samples), name
    assert result["streaming"]["pages"] == 64 and result["streaming"]["facade_MBps"] > 0


def test_every_runner_reports_and_draws(tmp_path):
    report, proc = run_bench([*QUICK, "--device", "cpu"], tmp_path)
    runners = report["runners"]
    assert list(runners) == ["throughput", "sweep", "baselines", "deflate", "levels", "latency",
                             "nvcomp"]
    assert not any("error" in r for r in runners.values()), runners
    sweep = runners["sweep"]["compress_mb_s"]["cpu_all"]
    assert set(sweep) == {"1", "8", "64"} and all(v["median"] > 0 for v in sweep.values())
    assert runners["sweep"]["crossover_pages"] is None  # no GPU ran
    latency = runners["latency"]["modes"]
    assert len(latency) == 4 and all(0 < m["p50_us"] <= m["p99_us"] for m in latency.values())
    rows = runners["baselines"]["sources"]["live-workload"] if "live-workload" in \
        runners["baselines"]["sources"] else next(iter(runners["baselines"]["sources"].values()))
    assert {"liblz4 default", "zlib -1 (raw)", "zlib -6 (raw)"} <= set(rows)
    assert all(r["ratio"] > 1 and r["compress_mb_s"]["median"] > 0 for r in rows.values())
    assert "skipped" in runners["nvcomp"]
    deflate = next(iter(runners["deflate"]["sources"].values()))
    assert {"deflate-iaa (cpu, 1 thread)", "deflate-iaa-dynamic (cpu, all threads)",
            "zlib -1 fixed, 4 KiB window"} <= set(deflate["rows"])
    assert all(r["ratio"] > 1 and r["compress_mb_s"]["median"] > 0
               for r in deflate["rows"].values())
    assert [t["target"] for t in deflate["targets"]][0].startswith("deflate-iaa ratio")
    levels = next(iter(runners["levels"]["sources"].values()))
    assert len(levels) == 20 and {r["codec"] for r in levels} == {"lz4", "deflate-iaa"}
    assert all(r["ratio"] > 1 and r["cpu_1t_mb_s"]["median"] > 0 for r in levels)
    names = sorted(os.path.basename(p) for p in report["plots"])
    assert names == ["baselines.png", "deflate.png", "latency.png", "levels.png", "sweep.png",
                     "throughput.png"]
    for path in report["plots"]:
        assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "out" / "results.json").exists()
    assert "[" in proc.stderr and "/" in proc.stderr  # the progress bar


@pytest.mark.parametrize("runner", ["sweep", "latency", "baselines", "deflate", "levels",
                                    "nvcomp"])
def test_each_runner_alone(tmp_path, runner):
    report, _ = run_bench([*QUICK, "--device", "cpu", "--only", runner], tmp_path)
    assert list(report["runners"]) == [runner]
    assert "error" not in report["runners"][runner]
    assert report["ok"] is True


def test_fuzz_runs(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "bench.fuzz", "--cases", "500", "--seed", "3"],
                          cwd=REPO, env=bench_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert "500 cases, seed 3: ours and zlib agree on every one" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "bench.fuzz", "--codec", "lz4", "--cases",
                           "500", "--seed", "3"],
                          cwd=REPO, env=bench_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert "lz4: 500 cases, seed 3: ours and liblz4 agree on every one" in proc.stdout
