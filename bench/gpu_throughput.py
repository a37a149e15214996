"""HF side of the GPU training-step benchmark (bench/gpu_throughput.cpp is ours).

BERT-base shapes with random weights, batch 32 x 128 tokens, bf16 autocast, 2-label sequence
classification, AdamW over the trainable parameters. Methods through HF PEFT: LoRA r=8 on query
and value (lora_alpha 16), prefix tuning with 32 virtual tokens (PEFT's default, no projection),
(IA)^3 with PEFT's BERT defaults; full fine-tuning on the plain transformers model. Each method
is timed eagerly and, where it works, under torch.compile.

    python3 bench/gpu_throughput.py [--warmup 10] [--steps 50] [--methods lora,prefix,ia3,full]
                                    [--no-compile | --only-compile] [--compile-budget SECONDS]
                                    [--profile lora,...]
    python3 bench/gpu_throughput.py --table OURS.jsonl... -- HF.jsonl...    # the side-by-side table

Prints one JSON object per (method, mode) on stdout: tokens_per_s (batch * seq / median step),
step_ms (median), issue_ms (the host's time to enqueue a step), peak_mib (torch.cuda.max_memory_allocated over warm-up and timed steps, the
model and optimiser state included), trainable parameters, and a gradient check (how many
trainable tensors got no gradient at all in a first step: a method that is silently not wired
in shows up there).
"""
import argparse
import gc
import json
import statistics
import sys
import time
import traceback

import torch
import torch.nn.functional as F

BATCH, SEQ, LABELS = 32, 128, 2


def bert_config():
    from transformers import BertConfig
    return BertConfig(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                      intermediate_size=3072, max_position_embeddings=512, num_labels=LABELS)


def base_model():
    from transformers import AutoModelForSequenceClassification
    try:
        m = AutoModelForSequenceClassification.from_config(bert_config(), attn_implementation="sdpa")
    except (TypeError, ValueError):
        m = AutoModelForSequenceClassification.from_config(bert_config())
    return m


def build(method):
    from peft import IA3Config, LoraConfig, PrefixTuningConfig, TaskType, get_peft_model
    model = base_model()
    if method == "full":
        return model
    if method == "lora":
        cfg = LoraConfig(task_type=TaskType.SEQ_CLS, r=8, lora_alpha=16, target_modules=["query", "value"])
    elif method == "prefix":
        cfg = PrefixTuningConfig(task_type=TaskType.SEQ_CLS, num_virtual_tokens=32)
    elif method == "ia3":
        cfg = IA3Config(task_type=TaskType.SEQ_CLS)
    else:
        raise ValueError(method)
    return get_peft_model(model, cfg)


def run(method, mode, args, data):
    ids, mask, labels = data
    torch.manual_seed(0)
    model = build(method).cuda().train()
    params = [p for p in model.parameters() if p.requires_grad]
    trainable = sum(p.numel() for p in params)
    opt = torch.optim.AdamW(params, lr=1e-4)
    fwd = torch.compile(model) if mode == "compile" else model

    def step(check=False):
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = fwd(input_ids=ids, attention_mask=mask).logits
        loss = F.cross_entropy(logits.float(), labels)
        loss.backward()
        missing = sum(1 for p in params if p.grad is None) if check else 0
        opt.step()
        opt.zero_grad(set_to_none=True)
        return missing

    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    missing = step(check=True)
    torch.cuda.synchronize()
    first_s = time.perf_counter() - t0
    for _ in range(args.warmup):
        step()
    times, issue = [], []
    for _ in range(args.steps):
        torch.cuda.synchronize()
        t = time.perf_counter()
        step()
        issue.append(time.perf_counter() - t)  # the host's time to enqueue the step
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    peak = torch.cuda.max_memory_allocated()
    med = statistics.median(times)
    out = {"side": "hf", "method": method, "mode": mode, "tokens_per_s": BATCH * SEQ / med,
           "step_ms": med * 1e3, "issue_ms": statistics.median(issue) * 1e3, "peak_mib": peak / 2**20, "trainable": trainable,
           "trainable_tensors": len(params), "tensors_without_grad": missing,
           "first_step_s": first_s}
    if method in args.profile and mode == "eager":
        out["profile"] = profile(step)
    del fwd, model, opt, params
    return out


def profile(step):
    """Top CUDA-time operators and the launch count of three steps (for the report's explanation)."""
    from torch.profiler import ProfilerActivity, profile as prof
    torch.cuda.synchronize()
    with prof(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as p:
        for _ in range(3):
            step()
        torch.cuda.synchronize()
    events = p.key_averages()
    rows = sorted(events, key=lambda e: getattr(e, "device_time_total", getattr(e, "cuda_time_total", 0)), reverse=True)
    top = [{"op": e.key, "cuda_ms_per_step": getattr(e, "device_time_total", getattr(e, "cuda_time_total", 0)) / 3e3,
            "calls_per_step": e.count / 3} for e in rows[:8]]
    launches = sum(e.count for e in events if e.key in ("cudaLaunchKernel", "cuLaunchKernel", "cudaLaunchKernelExC")) / 3
    return {"top": top, "kernel_launches_per_step": launches}


NAMES = {"lora": "LoRA r=8 q,v", "sa": "Pfeiffer adapter 48", "prefix": "prefix tuning 32",
         "ia3": "(IA)^3", "autopeft": "AutoPEFT SA48+PA48+PT24", "full": "full fine-tuning",
         "frozen": "frozen fwd+bwd (reference)"}


def read_jsonl(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    return rows


def aggregate(rows):
    """One row from the repeats of a (side, method, mode): medians of the timings, with the
    spread of tokens/s across repeats."""
    ok = [r for r in rows if "error" not in r]
    if not ok:
        return rows[-1]
    out = dict(ok[0])
    for k, v in ok[0].items():
        if isinstance(v, float):
            out[k] = statistics.median(r[k] for r in ok if k in r)
    if "tokens_per_s" in out:
        out["tokens_min"] = min(r["tokens_per_s"] for r in ok)
        out["tokens_max"] = max(r["tokens_per_s"] for r in ok)
    out["repeats"] = len(ok)
    return out


def table(ours_paths, hf_paths):
    """Markdown table of JSON-lines files (repeats allowed), with the ratios ours / HF. Our rows
    come in two modes: `graph` (forward + backward replayed as a CUDA graph) and `eager`."""
    ours_rows = [r for p in ours_paths for r in read_jsonl(p)]
    hf_rows = [r for p in hf_paths for r in read_jsonl(p)]
    groups = {}
    for r in ours_rows:
        if "method" in r:
            groups.setdefault(("ours", r["method"], r.get("mode", "eager")), []).append(r)
    for r in hf_rows:
        if "method" in r:
            groups.setdefault(("hf", r["method"], r["mode"]), []).append(r)
    agg = {k: aggregate(v) for k, v in groups.items()}
    ours = {(m, mode): r for (side, m, mode), r in agg.items() if side == "ours"}
    hf = {(m, mode): r for (side, m, mode), r in agg.items() if side == "hf"}
    versions = []
    for r in hf_rows + ours_rows:
        if "versions" in r and r["versions"] not in versions:
            versions.append(r["versions"])

    def num(v, fmt):
        return format(v, fmt) if isinstance(v, (int, float)) else "n/a"

    def tok(r):
        if not r:
            return "n/a"
        if "error" in r:
            return "failed"
        t = f"{r['tokens_per_s'] / 1e3:,.0f}k"
        if r.get("repeats", 1) > 1:
            t += f" ({r['tokens_min'] / 1e3:.0f}-{r['tokens_max'] / 1e3:.0f}k)"
        return t

    def ratio(a, b):
        return f"{a / b:.2f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else "n/a"

    lines = ["| method | ours graph tok/s | ours eager tok/s | HF eager tok/s | HF compile tok/s "
             "| graph / HF eager | eager / HF eager | graph / HF compile "
             "| peak MiB ours graph / eager / HF eager | mem graph / HF eager | mem eager / HF eager "
             "| step ms graph / eager | step / frozen, graph | step / frozen, eager | trainable (ours / HF) |",
             "|" + "---|" * 15]
    fg = ours.get(("frozen", "graph"), {}).get("step_ms")
    fe = ours.get(("frozen", "eager"), {}).get("step_ms")
    for m in ["lora", "sa", "prefix", "ia3", "autopeft", "full", "frozen"]:
        g, e = ours.get((m, "graph"), {}), ours.get((m, "eager"), {})
        he, hc = hf.get((m, "eager"), {}), hf.get((m, "compile"), {})
        gt, ot, et, ct = g.get("tokens_per_s"), e.get("tokens_per_s"), he.get("tokens_per_s"), hc.get("tokens_per_s")
        gm, om, em = g.get("peak_mib"), e.get("peak_mib"), he.get("peak_mib")
        lines.append(f"| {NAMES[m]} | {tok(g)} | {tok(e)} | {tok(he)} | {tok(hc)} "
                     f"| {ratio(gt, et)} | {ratio(ot, et)} | {ratio(gt, ct)} "
                     f"| {num(gm, ',.0f')} / {num(om, ',.0f')} / {num(em, ',.0f')} | {ratio(gm, em)} | {ratio(om, em)} "
                     f"| {num(g.get('step_ms'), '.2f')} / {num(e.get('step_ms'), '.2f')} "
                     f"| {ratio(g.get('step_ms'), fg)} | {ratio(e.get('step_ms'), fe)} "
                     f"| {(g or e).get('trainable', 'n/a')} / {he.get('trainable', 'n/a')} |")
    out = ["\n".join(lines), "",
           "tok/s: median over repeats (each the median of its timed steps), range across repeats in brackets."]
    setups = [r for r in agg.values() if "trial_setup_ms" in r]
    setups += [v for r in ours_rows for v in r.get("variants", [])]
    for r in setups:
        out.append(f"trial set-up ({r['method']}; reset_peft + mark_trainable + AdamW, median of {r['trials']}"
                   f"{', median over repeats' if r.get('repeats', 1) > 1 else ''}): "
                   f"{r['trial_setup_ms']:.1f} ms (reset_peft {r['reset_peft_ms']:.1f}, mark_trainable "
                   f"{r['mark_trainable_ms']:.2f}, optimiser {r['optimiser_ms']:.2f})")
    for r in ours_rows:
        if r.get("method") == "graph-check" and "error" not in r:
            out.append(f"graph check (LoRA, no dropout, {r['steps']} steps, eager vs CUDA graph from the same weights): "
                       f"max |param diff| {r['max_abs_param_diff']:.3g}, max |loss diff| {r['max_abs_loss_diff']:.3g}, "
                       f"graphed {r['graphed']}")
    for (m, mode), r in sorted(ours.items()):
        if "error" in r:
            out.append(f"ours {m} {mode}: {r['error']}")
        elif "step_ms" in r:
            parts = [f"ours {m} {mode}: step {r['step_ms']:.2f} ms (host issue {r.get('issue_ms', float('nan')):.2f} ms)"]
            if r.get("forward_ms") is not None:
                parts.append(f"forward {r['forward_ms']:.2f} ms, backward {r['backward_ms']:.2f} ms")
            elif "forward_backward_ms" in r:
                parts.append(f"forward+backward {r['forward_backward_ms']:.2f} ms")
            parts.append(f"optimiser {r['optimiser_ms']:.2f} ms, tensors without grad {r['tensors_without_grad']}"
                         f"/{r['trainable_tensors']}, first step {r['first_step_s']:.2f} s")
            out.append(", ".join(parts))
    for (m, mode), r in sorted(hf.items()):
        if "error" in r:
            out.append(f"HF {m} {mode}: {r['error']}")
        else:
            out.append(f"HF {m} {mode}: step {r['step_ms']:.2f} ms (host issue {r.get('issue_ms', float('nan')):.2f} ms), "
                       f"tensors without grad {r['tensors_without_grad']}/{r['trainable_tensors']}, "
                       f"first step {r['first_step_s']:.2f} s")
    for r in hf_rows:
        if "profile" in r:
            p = r["profile"]
            out.append(f"HF {r['method']} {r['mode']} profile: {p['kernel_launches_per_step']:.0f} kernel launches/step; "
                       "top CUDA time: " + "; ".join(f"{t['op']} {t['cuda_ms_per_step']:.2f} ms x{t['calls_per_step']:.0f}"
                                                    for t in p["top"][:5]))
    out.append("versions: " + json.dumps(versions))
    print("\n".join(out))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--table":
        rest = sys.argv[2:]
        if "--" not in rest:
            sys.exit("usage: gpu_throughput.py --table OURS.jsonl... -- HF.jsonl...")
        cut = rest.index("--")
        table(rest[:cut], rest[cut + 1:])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--methods", default="lora,prefix,ia3,full")
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--only-compile", action="store_true")
    ap.add_argument("--compile-budget", type=float, default=1e9,
                    help="skip torch.compile runs that would start after this many seconds")
    ap.add_argument("--profile", default="", help="methods to profile (eager)")
    args = ap.parse_args()
    args.profile = set(filter(None, args.profile.split(",")))
    import peft
    import transformers
    print(json.dumps({"side": "hf", "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                                                 "peft": peft.__version__, "gpu": torch.cuda.get_device_name()}}),
          flush=True)
    g = torch.Generator(device="cuda").manual_seed(0)
    ids = torch.randint(0, 30522, (BATCH, SEQ), device="cuda", generator=g)
    mask = torch.ones(BATCH, SEQ, dtype=torch.long, device="cuda")
    labels = torch.randint(0, LABELS, (BATCH,), device="cuda", generator=g)
    modes = [] if args.only_compile else ["eager"]
    if not args.no_compile:
        modes.append("compile")
    start = time.perf_counter()
    for mode in modes:
        for method in args.methods.split(","):
            if mode == "compile" and time.perf_counter() - start > args.compile_budget:
                print(json.dumps({"side": "hf", "method": method, "mode": mode,
                                  "error": "skipped: compile budget spent"}), flush=True)
                continue
            try:
                res = run(method, mode, args, (ids, mask, labels))
            except Exception as e:  # report and go on: one method's failure is a result too
                traceback.print_exc(file=sys.stderr)
                res = {"side": "hf", "method": method, "mode": mode,
                       "error": f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"}
            print(json.dumps(res), flush=True)
            gc.collect()
            torch.cuda.empty_cache()
            if mode == "compile":
                torch._dynamo.reset()


if __name__ == "__main__":
    main()
