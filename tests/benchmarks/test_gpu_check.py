"""benchmarks/gpu_check.py: a CPU smoke run (--quick) gives every section with timings, and
--device cuda on a machine without CUDA stops at once with exit status 2 and one clear line."""
import json
import subprocess
import sys
from pathlib import Path

import torch

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_check.py"
TIMED = ("cnn_float32", "cnn_mixed_bfloat16", "cnn_mixed_float16", "vgg16_features")


def run(*args, timeout=300):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout)


def test_cpu_quick_run_reports_every_section(tmp_path):
    out = tmp_path / "gpu.json"
    proc = run("--device", "cpu", "--quick", "--skip-ddp", "--threads", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads(out.read_text())
    assert results["quick"] is True and results["env"]["device"] == "cpu"
    sections = results["sections"]
    assert set(sections) == {"placement", *TIMED, "ddp"}
    placement = sections["placement"]
    assert placement["ok"] is True
    for checks in placement["models"].values():
        assert checks["parameters_on_device"] and checks["buffers_on_device"] and checks["predict_is_numpy"]
    assert placement["bn_buffers"] > 0
    for name in TIMED:
        r = sections[name]
        for key in ("lamina_s", "torch_s", "ratio"):
            assert isinstance(r[key], float) and r[key] > 0, (name, key, r)
    for name in TIMED[:3]:
        assert 0 <= sections[name]["lamina_test_accuracy"] <= 1
    assert sections["vgg16_features"]["output_shape"] == [8, 4, 4, 512]
    assert sections["vgg16_features"]["max_rel_diff"] < 1e-4  # the torch twin holds lamina's weights
    assert sections["ddp"] == {"skipped": True, "reason": "DDP: skipped (--skip-ddp)"}
    # the table is printed at the end
    assert "ratio = lamina / plain torch" in proc.stdout
    for name in ("placement", *TIMED, "ddp"):
        assert f"\n{name} " in proc.stdout


def test_cuda_request_matches_this_machine(tmp_path):
    out = tmp_path / "gpu.json"
    proc = run("--device", "cuda", "--quick", "--skip-ddp", "--out", str(out))
    if torch.cuda.is_available():
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert json.loads(out.read_text())["sections"]["placement"]["device_seen"][0].startswith("cuda")
    else:
        assert proc.returncode == 2, proc.stdout + proc.stderr
        built = f"built with CUDA {torch.version.cuda}" if torch.version.cuda else "built without CUDA"
        assert proc.stderr.strip() == (f"gpu_check: no CUDA device here (torch {torch.__version__}, {built}); run it "
                                       f"on a GPU machine, or pass --device cpu for a smoke test")
        assert proc.stdout == "" and not out.exists()
