"""Laws of bench/fair_throughput.py's torch-free parts: the padding both sides share, the shape
rows are keyed by, the ratio table against HF's best mode, and the kernel breakdown of a trace.

    python3 tests/bench/fair_throughput_test.py
"""
import argparse
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import fair_throughput as ft  # noqa: E402


def shape(*flags):
    ap = argparse.ArgumentParser()
    ft.add_shape_args(ap)
    return ft.shape_of(ap.parse_args(list(flags)))


def row(side, method, mode, s, tokens, **more):
    r = {"side": side, "method": method, "mode": mode, "shape": s, "tokens_per_s": tokens,
         "step_ms": 1e3 * s["batch"] * s["seq"] / tokens, "issue_ms": 0.1, "peak_mib": 100.0, "trainable": 10,
         "trainable_tensors": 2, "tensors_without_grad": 0, "first_step_s": 1.0}
    r.update(more)
    return r


class Padding(unittest.TestCase):
    def test_lengths_are_those_ours_draws(self):
        # gpu_throughput --device cpu --batch 4 --seq 16 --mask padded (seed 0) reports
        # real_tokens 48, read off its mask tensor.
        self.assertEqual(sum(ft.padded_lengths(4, 16, 0)), 48)

    def test_lengths_lie_between_half_and_whole(self):
        for seq in (2, 3, 128, 255):
            for n in ft.padded_lengths(64, seq, 7):
                self.assertTrue(seq // 2 <= n <= seq, (seq, n))

    def test_seed_changes_lengths(self):
        self.assertNotEqual(ft.padded_lengths(32, 128, 0), ft.padded_lengths(32, 128, 1))

    def test_splitmix64_reference_value(self):
        # The first output of splitmix64 seeded with 0 (Vigna's reference implementation).
        self.assertEqual(ft.splitmix64(0), 0xE220A8397B1DCDAF)


class Shape(unittest.TestCase):
    def test_keys_are_those_ours_writes(self):
        self.assertEqual(set(shape()), {"preset", "layers", "hidden", "heads", "ffn", "batch", "seq", "mask", "dtype",
                                        "real_tokens"})

    def test_flags_override_the_preset(self):
        s = shape("--preset", "roberta-large", "--layers", "2")
        self.assertEqual((s["layers"], s["hidden"], s["heads"], s["ffn"]), (2, 1024, 16, 4096))

    def test_unpadded_tokens_count_only_padded_masks(self):
        self.assertEqual(shape("--batch", "4", "--seq", "16")["real_tokens"], 64)
        self.assertEqual(shape("--batch", "4", "--seq", "16", "--mask", "padded")["real_tokens"], 48)


class Table(unittest.TestCase):
    def test_ratios_are_against_the_fastest_hf_mode(self):
        s = shape()
        rows = [row("ours", "lora", "graph", s, 300e3), row("ours", "lora", "eager", s, 150e3),
                row("hf", "lora", "eager", s, 100e3), row("hf", "lora", "default", s, 200e3),
                row("hf", "lora", "reduce-overhead", s, 250e3),
                {"side": "hf", "method": "lora", "mode": "max-autotune", "shape": s, "error": "skipped: time budget spent"}]
        text = ft.table_text(rows)
        line = next(l for l in text.splitlines() if l.startswith("| LoRA"))
        cells = [c.strip() for c in line.split("|")[1:-1]]
        self.assertEqual(cells[6], "skipped")
        self.assertEqual(cells[7], "250k (reduce-overhead)")
        self.assertEqual(cells[8:11], ["1.20", "1.20", "0.60"])
        self.assertIn("lora HF max-autotune", text.split("not measured")[1])

    def test_targets_count_the_measured_pairs(self):
        s = shape()
        rows = [row("ours", "lora", "graph", s, 300e3, peak_mib=90.0), row("hf", "lora", "default", s, 200e3),
                row("ours", "full", "graph", s, 100e3), row("hf", "full", "reduce-overhead", s, 200e3),
                row("ours", "frozen", "graph", s, 330e3)]
        text = ft.table_text(rows)
        self.assertIn("- tokens/s, ours best / HF best >= 1.2 (below 1.0 is a failure to explain): met 1 of 2; "
                      "not met: full fine-tuning at bert-base 32x128 (0.50)", text)
        self.assertIn("peak memory, ours graph / HF best mode <= 1.0: met 2 of 2", text)
        self.assertIn("PEFT step / frozen step, graph <= 1.10: met 1 of 1", text)

    def test_repeats_give_the_median(self):
        s = shape()
        rows = [row("hf", "full", "eager", s, t) for t in (100e3, 300e3, 110e3)] + [row("ours", "full", "graph", s, 220e3)]
        line = next(l for l in ft.table_text(rows).splitlines() if l.startswith("| full"))
        self.assertIn("| 110k (eager) | 2.00 |", line)

    def test_sides_that_padded_differently_are_flagged(self):
        a, b = shape("--mask", "padded"), shape("--mask", "padded")
        b["real_tokens"] -= 1
        text = ft.table_text([row("ours", "lora", "graph", a, 1e5), row("hf", "lora", "eager", b, 1e5)])
        self.assertIn("padded differently", text)

    def test_shapes_get_their_own_tables(self):
        text = ft.table_text([row("ours", "lora", "graph", shape(), 1e5),
                              row("ours", "lora", "graph", shape("--seq", "256"), 1e5)])
        self.assertEqual(text.count("### bert-base"), 2)


class Kernels(unittest.TestCase):
    def test_groups(self):
        cases = {
            "sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64_cublas": "GEMM",
            "nvjet_hsh_128x256_64x4_1x2_h_bz_coopA_NTN": "GEMM",
            "triton_tem_fused_mm_3": "GEMM",
            "void pytorch_flash::flash_bwd_dq_dk_dv_loop_kernel<...>": "attention",
            "fmha_cutlassF_bf16_aligned_64x64_rf_sm80": "attention",
            "triton_per_fused_native_layer_norm_0": "layernorm",
            "void at::native::(anonymous namespace)::vectorized_layer_norm_kernel<float, float>": "layernorm",
            "void at::native::multi_tensor_apply_kernel<TensorListMetadata<4>, FusedAdamMathFunctor<float>>": "optimizer",
            "void at::native::vectorized_elementwise_kernel<4, CUDAFunctor_add<float>>": "elementwise",
            "triton_poi_fused_add_gelu_1": "elementwise",
            "Memcpy DtoD (Device -> Device)": "other",
        }
        for name, group in cases.items():
            self.assertEqual(ft.classify(name), group, name)

    def test_trace_summary_is_per_step(self):
        events = []
        for _ in range(3):
            events += [{"ph": "X", "cat": "kernel", "name": "cutlass_gemm", "dur": 100},
                       {"ph": "X", "cat": "kernel", "name": "vectorized_elementwise_kernel", "dur": 10},
                       {"ph": "X", "cat": "kernel", "name": "vectorized_elementwise_kernel", "dur": 10},
                       {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "dur": 2},
                       {"ph": "X", "cat": "cuda_driver", "name": "cuLaunchKernelEx", "dur": 2},
                       {"ph": "X", "cat": "cuda_runtime", "name": "cudaMemcpyAsync", "dur": 2},
                       {"ph": "i", "cat": "kernel", "name": "not a span", "dur": 999}]
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"traceEvents": events}, f)
        try:
            s = ft.summarise_trace(f.name, 3)
        finally:
            os.unlink(f.name)
        self.assertAlmostEqual(s["gpu_ms_per_step"], 0.12)
        self.assertAlmostEqual(s["groups_ms_per_step"]["GEMM"], 0.1)
        self.assertAlmostEqual(s["groups_ms_per_step"]["elementwise"], 0.02)
        self.assertEqual((s["kernels_per_step"], s["launch_calls_per_step"]), (3, 2))
        self.assertEqual(s["top"][0]["kernel"], "cutlass_gemm")


if __name__ == "__main__":
    unittest.main()
