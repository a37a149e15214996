"""The HF side of the fair GPU training-step comparison, and the tables of both sides (issue 20).

bench/gpu_throughput.cpp is ours; bench/run_fair_throughput.sh runs both in one call. Both sides
take the same shape, mask and dtype flags with the same meanings, and print the same `shape`
object in every row, so the table pairs rows by what they measured, not by the order they ran.

    python3 bench/fair_throughput.py hf [--preset bert-base|roberta-large] [--layers N --hidden N
        --heads N --ffn N] [--batch 32] [--seq 128] [--mask none|ones|padded]
        [--dtype fp32-autocast|bf16-weights] [--methods lora,prefix,ia3,full]
        [--modes eager,default,reduce-overhead,max-autotune] [--warmup 10] [--steps 50]
        [--profile-dir DIR --profile-methods lora] [--deadline UNIX_SECONDS]
        [--fill-missing RESULTS.jsonl --reason TEXT]   # rows for what a killed run left out
    python3 bench/fair_throughput.py table RESULTS.jsonl...       # the ratio table, both sides
    python3 bench/fair_throughput.py kernels RESULTS.jsonl... [--json OUT.json]
                                                                   # per-kernel GPU time, side by side

HF side: transformers' sequence classifier from a config (random weights, SDPA attention), HF PEFT
for LoRA r=8 on query and value (lora_alpha 16), prefix tuning with 32 virtual tokens, (IA)^3 with
PEFT's defaults; full fine-tuning on the plain model. AdamW (torch's default, foreach) over the
trainable parameters, cross-entropy on 2 labels, bf16 autocast. Modes: `eager`, and torch.compile
of the model in its `default`, `reduce-overhead` (CUDA graphs through cudagraph trees) and
`max-autotune` modes; a process compiling several modes resets dynamo between them.

--mask: `none` passes no mask (the default on both sides); `ones` an all-ones mask tensor;
`padded` gives row i the length seq/2 + splitmix64(seed * 1000003 + i) % (seq - seq/2 + 1), the
padding id after it and mask 0 there, the same lengths as ours draws. --dtype bf16-weights stores
the backbone in bf16 (the model cast with .to(bfloat16) before get_peft_model, as loading with
torch_dtype=bfloat16 does; PEFT keeps its adapter weights in fp32 by default) and still trains
under bf16 autocast, as HF's Trainer does with bf16=True; full fine-tuning then trains bf16 weights.

Each row: tokens_per_s (batch * seq / median step, padding counted on both sides), step_ms, issue_ms
(the host's time to enqueue a step), peak_mib (torch.cuda.max_memory_allocated over warm-up and
timed steps), trainable parameters, tensors_without_grad, first_step_s (compilation included).

torch is imported only by the `hf` command: `table` and `kernels` run anywhere.
"""
import argparse
import gc
import json
import os
import re
import statistics
import sys
import time
import traceback

PRESETS = {
    # HF's bert-base-uncased and roberta-large configs, as EncoderConfig's presets in ours.
    "bert-base": dict(model_type="bert", vocab_size=30522, layers=12, hidden=768, heads=12, ffn=3072,
                      max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12, pad_token_id=0),
    "roberta-large": dict(model_type="roberta", vocab_size=50265, layers=24, hidden=1024, heads=16, ffn=4096,
                          max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1),
}
HF_MODES = ["eager", "default", "reduce-overhead", "max-autotune"]
HF_METHODS = ["lora", "prefix", "ia3", "full"]
LABELS = 2
PROFILE_STEPS = 3  # as ours (gpu_throughput.cpp's profile_steps)


def add_shape_args(ap):
    ap.add_argument("--preset", choices=sorted(PRESETS), default="bert-base")
    for name in ("layers", "hidden", "heads", "ffn"):
        ap.add_argument("--" + name, type=int, default=0, help="0: the preset's")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--mask", choices=["none", "ones", "padded"], default="none")
    ap.add_argument("--dtype", choices=["fp32-autocast", "bf16-weights"], default="fp32-autocast")
    ap.add_argument("--seed", type=int, default=0)


def model_shape(args):
    """The preset with the explicit flags over it."""
    s = dict(PRESETS[args.preset])
    for name in ("layers", "hidden", "heads", "ffn"):
        if getattr(args, name) > 0:
            s[name] = getattr(args, name)
    if s["hidden"] % s["heads"]:
        sys.exit(f"--hidden ({s['hidden']}) must be a multiple of --heads ({s['heads']})")
    return s


def shape_of(args):
    """The `shape` object every row carries; gpu_throughput.cpp writes the same keys. real_tokens
    (the unpadded tokens) is not part of the key: the table checks that both sides agree on it."""
    s = model_shape(args)
    real = sum(padded_lengths(args.batch, args.seq, args.seed)) if args.mask == "padded" else args.batch * args.seq
    return {"preset": args.preset, "layers": s["layers"], "hidden": s["hidden"], "heads": s["heads"],
            "ffn": s["ffn"], "batch": args.batch, "seq": args.seq, "mask": args.mask, "dtype": args.dtype,
            "real_tokens": real}


def splitmix64(x):
    """Steele, Lea and Flood (2014); gpu_throughput.cpp has the same, so both sides pad alike."""
    m = (1 << 64) - 1
    x = (x + 0x9E3779B97F4A7C15) & m
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & m
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & m
    return x ^ (x >> 31)


def padded_lengths(batch, seq, seed):
    lo = seq // 2
    return [lo + splitmix64((seed * 1000003 + i) & ((1 << 64) - 1)) % (seq - lo + 1) for i in range(batch)]


# ---------------------------------------------------------------------------------------------
# HF side (needs torch, transformers, peft and a GPU)

def hf_config(args):
    s = model_shape(args)
    common = dict(vocab_size=s["vocab_size"], hidden_size=s["hidden"], num_hidden_layers=s["layers"],
                  num_attention_heads=s["heads"], intermediate_size=s["ffn"],
                  max_position_embeddings=s["max_position_embeddings"], type_vocab_size=s["type_vocab_size"],
                  layer_norm_eps=s["layer_norm_eps"], pad_token_id=s["pad_token_id"], num_labels=LABELS)
    if s["model_type"] == "roberta":
        from transformers import RobertaConfig
        return RobertaConfig(bos_token_id=0, eos_token_id=2, **common)
    from transformers import BertConfig
    return BertConfig(**common)


def build(method, args):
    import torch
    from transformers import AutoModelForSequenceClassification
    cfg = hf_config(args)
    try:
        model = AutoModelForSequenceClassification.from_config(cfg, attn_implementation="sdpa")
    except (TypeError, ValueError):
        model = AutoModelForSequenceClassification.from_config(cfg)
    if args.dtype == "bf16-weights":
        model = model.to(torch.bfloat16)
    if method == "full":
        return model
    from peft import IA3Config, LoraConfig, PrefixTuningConfig, TaskType, get_peft_model
    if method == "lora":
        pc = LoraConfig(task_type=TaskType.SEQ_CLS, r=8, lora_alpha=16, target_modules=["query", "value"])
    elif method == "prefix":
        pc = PrefixTuningConfig(task_type=TaskType.SEQ_CLS, num_virtual_tokens=32)
    elif method == "ia3":
        pc = IA3Config(task_type=TaskType.SEQ_CLS)
    else:
        raise ValueError(f"HF PEFT has no counterpart of '{method}' in this bench")
    return get_peft_model(model, pc)


def make_batch(args):
    """The same distribution as ours: ids above the padding id, padded rows as padded_lengths says."""
    import torch
    s = model_shape(args)
    g = torch.Generator().manual_seed(args.seed)
    ids = torch.randint(s["pad_token_id"] + 1, s["vocab_size"], (args.batch, args.seq), generator=g)
    labels = torch.randint(0, LABELS, (args.batch,), generator=g)
    mask = None
    if args.mask != "none":
        mask = torch.ones(args.batch, args.seq, dtype=torch.long)
        if args.mask == "padded":
            for i, n in enumerate(padded_lengths(args.batch, args.seq, args.seed)):
                mask[i, n:] = 0
                ids[i, n:] = s["pad_token_id"]
        mask = mask.cuda()
    return ids.cuda(), mask, labels.cuda()


def run_hf(method, mode, args, data, shape):
    import torch
    import torch.nn.functional as F
    ids, mask, labels = data
    torch.manual_seed(0)
    model = build(method, args).cuda().train()
    params = [p for p in model.parameters() if p.requires_grad]
    trainable = sum(p.numel() for p in params)
    opt = torch.optim.AdamW(params, lr=1e-4)
    fwd = model if mode == "eager" else torch.compile(model, mode=None if mode == "default" else mode)
    # reduce-overhead and max-autotune replay CUDA graphs (cudagraph trees), which need to be told
    # where a training step begins, or they may keep a replay's outputs alive across steps: a
    # user of those modes does the same.
    graphs = mode in ("reduce-overhead", "max-autotune")
    mark = getattr(getattr(torch, "compiler", None), "cudagraph_mark_step_begin", None) if graphs else None

    def step(check=False):
        if mark:
            mark()
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
        issue.append(time.perf_counter() - t)
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    peak = torch.cuda.max_memory_allocated()
    med = statistics.median(times)
    trace = None
    if args.profile_dir and method in args.profile_methods:
        trace = os.path.join(args.profile_dir, f"hf.{method}.{mode}.trace.json")
        profile_to(trace, step)
    return {"side": "hf", "method": method, "mode": mode, "shape": shape,
            "tokens_per_s": args.batch * args.seq / med, "step_ms": med * 1e3,
            "issue_ms": statistics.median(issue) * 1e3, "peak_mib": peak / 2**20, "trainable": trainable,
            "trainable_tensors": len(params), "tensors_without_grad": missing, "first_step_s": first_s,
            "profile_trace": trace, "profile_steps": PROFILE_STEPS}


def profile_to(path, step):
    """GPU activity of PROFILE_STEPS steps as a Chrome trace, the format ours saves too."""
    import torch
    from torch.profiler import ProfilerActivity, profile
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as p:
        for _ in range(PROFILE_STEPS):
            step()
        torch.cuda.synchronize()
    p.export_chrome_trace(path)


def missing_rows(args):
    """Rows for the methods and modes that a killed `hf` process left without one, so the table
    says why a cell is empty (the driver calls this after a timeout)."""
    shape = shape_of(args)
    done = {(r["method"], r["mode"]) for r in read_jsonl([args.fill_missing])
            if r.get("side") == "hf" and "shape" in r and shape_key(r["shape"]) == shape_key(shape)}
    return [{"side": "hf", "method": m, "mode": mode, "shape": shape, "error": args.reason}
            for mode in args.modes.split(",") for m in args.methods.split(",")
            if m in HF_METHODS and (m, mode) not in done]


def cmd_hf(args):
    if args.fill_missing:
        for r in missing_rows(args):
            print(json.dumps(r))
        return
    import torch
    import peft
    import transformers
    args.profile_methods = set(filter(None, args.profile_methods.split(",")))
    if args.profile_dir:
        os.makedirs(args.profile_dir, exist_ok=True)
    shape = shape_of(args)
    print(json.dumps({"side": "hf", "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                                                 "peft": peft.__version__, "gpu": torch.cuda.get_device_name()}}),
          flush=True)
    data = make_batch(args)
    for mode in args.modes.split(","):
        if mode not in HF_MODES:
            sys.exit(f"--modes: unknown mode '{mode}' ({', '.join(HF_MODES)})")
        for method in args.methods.split(","):
            if method not in HF_METHODS:
                continue  # ours-only methods (sa, autopeft, frozen) have no HF row
            if args.deadline and time.time() > args.deadline:
                res = {"side": "hf", "method": method, "mode": mode, "shape": shape,
                       "error": "skipped: time budget spent"}
            else:
                try:
                    res = run_hf(method, mode, args, data, shape)
                except Exception as e:  # one method's failure is a result too
                    traceback.print_exc(file=sys.stderr)
                    first = str(e).splitlines()[0][:300] if str(e) else ""
                    res = {"side": "hf", "method": method, "mode": mode, "shape": shape,
                           "error": f"{type(e).__name__}: {first}"}
            print(json.dumps(res), flush=True)
            gc.collect()
            torch.cuda.empty_cache()
            if mode != "eager":
                torch._dynamo.reset()


# ---------------------------------------------------------------------------------------------
# Tables (pure Python)

NAMES = {"lora": "LoRA r=8 q,v", "sa": "Pfeiffer adapter 48", "prefix": "prefix tuning 32", "ia3": "(IA)^3",
         "autopeft": "AutoPEFT SA48+PA48+PT24", "full": "full fine-tuning", "frozen": "frozen fwd+bwd (reference)"}
METHOD_ORDER = ["lora", "prefix", "ia3", "full", "sa", "autopeft", "frozen"]
COMPILE_MODES = HF_MODES[1:]


def read_jsonl(paths):
    rows = []
    for path in paths:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line.startswith("{"):
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    print(f"{path}:{n}: not JSON (a run cut off mid-line?); skipped", file=sys.stderr)
    return rows


def shape_key(s):
    return (s.get("preset"), s.get("layers"), s.get("hidden"), s.get("heads"), s.get("ffn"), s.get("batch"),
            s.get("seq"), s.get("mask"), s.get("dtype"))


def shape_title(s):
    return (f"{s['preset']} (L{s['layers']} H{s['hidden']} A{s['heads']} F{s['ffn']}), batch {s['batch']} x seq "
            f"{s['seq']}, mask {s['mask']}, {s['dtype']}")


def aggregate(rows):
    """One row from repeats of a (shape, side, method, mode): the median of each timing."""
    ok = [r for r in rows if "error" not in r]
    if not ok:
        return rows[-1]
    out = dict(ok[0])
    for k, v in ok[0].items():
        if isinstance(v, float):
            out[k] = statistics.median(r[k] for r in ok if isinstance(r.get(k), float))
    out["repeats"] = len(ok)
    return out


def grouped(rows):
    """{shape key: {(side, method, mode): row}} over the rows that measured a method."""
    groups = {}
    for r in rows:
        if "method" in r and "shape" in r and r.get("mode"):
            groups.setdefault(shape_key(r["shape"]), {}).setdefault((r["side"], r["method"], r["mode"]), []).append(r)
    return {k: {kk: aggregate(v) for kk, v in g.items()} for k, g in groups.items()}


def tok_cell(r):
    if not r:
        return "–"
    if "error" in r:
        e = r["error"]
        for word in ("unsupported", "skipped", "killed"):
            if e.startswith(word):
                return word
        return "failed"
    return f"{r['tokens_per_s'] / 1e3:,.0f}k"


def tps(r):
    return r.get("tokens_per_s") if r and "error" not in r else None


def ratio(a, b):
    return f"{a / b:.2f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else "–"


def mib(r):
    return f"{r['peak_mib']:,.0f}" if r and isinstance(r.get("peak_mib"), (int, float)) else "–"


def table_text(rows):
    out = []
    versions = []
    for r in rows:
        if "versions" in r and r["versions"] not in versions:
            versions.append(r["versions"])
    g = grouped(rows)
    header = ("| method | ours eager | ours graph | HF eager | HF compile default | HF reduce-overhead "
              "| HF max-autotune | HF best | ours best / HF best | graph / HF best | eager / HF best "
              "| peak MiB ours graph / eager / HF best | mem graph / HF best | step / frozen, graph "
              "| trainable ours / HF |")
    missing = []
    speed, memory, overhead = [], [], []  # (where, ratio) for the issue's three targets
    for key in sorted(g, key=lambda k: tuple(str(x) for x in k)):
        cells = g[key]
        shape = next(iter(cells.values()))["shape"]
        out += [f"### {shape_title(shape)}", "", header, "|" + "---|" * 15]
        frozen_graph = cells.get(("ours", "frozen", "graph"), {}).get("step_ms")
        methods = sorted({m for (_, m, _) in cells}, key=lambda m: METHOD_ORDER.index(m) if m in METHOD_ORDER else 99)
        for m in methods:
            oe, og = cells.get(("ours", m, "eager")), cells.get(("ours", m, "graph"))
            hf = {mode: cells.get(("hf", m, mode)) for mode in HF_MODES}
            measured = [(tps(r), mode) for mode, r in hf.items() if tps(r)]
            best_t, best_mode = max(measured) if measured else (None, None)
            best = hf.get(best_mode) if best_mode else None
            ours_best = max([t for t in (tps(oe), tps(og)) if t], default=None)
            if m in HF_METHODS:
                missing += [f"{shape['preset']} {shape['batch']}x{shape['seq']} {m} HF {mode}"
                            for mode, r in hf.items() if not r or r.get("error", "").startswith(("skipped", "killed"))]
            hf_trainable = next((r["trainable"] for r in hf.values() if r and "trainable" in r), "–")
            ours_trainable = (og or oe or {}).get("trainable", "–")
            step_frozen = ratio(og.get("step_ms"), frozen_graph) if og and "error" not in og else "–"
            where = f"{NAMES.get(m, m)} at {shape['preset']} {shape['batch']}x{shape['seq']}"
            if ours_best and best_t:
                speed.append((where, ours_best / best_t))
            # A zero peak is a LibTorch without the CUDA allocator's statistics, not a measurement.
            if tps(og) and og.get("peak_mib") and best and isinstance(best.get("peak_mib"), (int, float)) and best["peak_mib"]:
                memory.append((where, og["peak_mib"] / best["peak_mib"]))
            if step_frozen != "–" and m not in ("full", "frozen"):
                overhead.append((where, float(step_frozen)))
            out.append(f"| {NAMES.get(m, m)} | {tok_cell(oe)} | {tok_cell(og)} | {tok_cell(hf['eager'])} "
                       f"| {tok_cell(hf['default'])} | {tok_cell(hf['reduce-overhead'])} | {tok_cell(hf['max-autotune'])} "
                       f"| {tok_cell(best)}{f' ({best_mode})' if best_mode else ''} "
                       f"| {ratio(ours_best, best_t)} | {ratio(tps(og), best_t)} | {ratio(tps(oe), best_t)} "
                       f"| {mib(og)} / {mib(oe)} / {mib(best)} | {ratio((og or {}).get('peak_mib'), (best or {}).get('peak_mib'))} "
                       f"| {step_frozen} | {ours_trainable} / {hf_trainable} |")
        out.append("")
        notes = []
        real = {r["side"]: r["shape"].get("real_tokens") for r in cells.values()}
        if len(set(real.values())) > 1:
            notes.append(f"- **the sides padded differently** (unpadded tokens: {real}): this shape's rows do not compare")
        for (side, m, mode), r in sorted(cells.items()):
            who = f"{'ours' if side == 'ours' else 'HF'} {m} {mode}"
            if "error" in r:
                notes.append(f"- {who}: {r['error']}")
                continue
            if side == "hf" and mode != "eager":
                notes.append(f"- {who}: first step (compilation) {r['first_step_s']:.1f} s, step {r['step_ms']:.2f} ms "
                             f"(host issue {r['issue_ms']:.2f} ms)")
            if r.get("profile_error"):
                notes.append(f"- {who}: no profile ({r['profile_error']})")
            if r.get("tensors_without_grad"):
                notes.append(f"- {who}: {r['tensors_without_grad']} of {r['trainable_tensors']} trainable tensors "
                             "got no gradient in the checked first step")
        out += notes + ([""] if notes else [])
    out.append("tok/s: batch x seq (padding included) over the median of the timed steps; HF best: the fastest "
               "HF mode measured; ours best: the faster of our eager and CUDA-graph steps.")
    out.append("")
    out.append("targets of issue 20, as measured here (benchmarks, not tests):")
    for title, pairs, goal, better in (
            ("tokens/s, ours best / HF best >= 1.2 (below 1.0 is a failure to explain)", speed, 1.2, max),
            ("peak memory, ours graph / HF best mode <= 1.0", memory, 1.0, min),
            ("PEFT step / frozen step, graph <= 1.10", overhead, 1.10, min)):
        met = [w for w, r in pairs if (r >= goal if better is max else r <= goal)]
        miss = [f"{w} ({r:.2f})" for w, r in pairs if w not in met]
        out.append(f"- {title}: met {len(met)} of {len(pairs)}" + (f"; not met: {'; '.join(miss)}" if miss else ""))
    if missing:
        out.append("not measured (no row, or skipped for the time budget): " + "; ".join(missing))
    for r in rows:
        if r.get("method") == "graph-check" and "error" not in r:
            out.append(f"graph check: max |param diff| {r['max_abs_param_diff']:.3g}, max |loss diff| "
                       f"{r['max_abs_loss_diff']:.3g}, graphed {r['graphed']}")
        if r.get("method") == "setup" and "trial_setup_ms" in r:
            out.append(f"trial set-up (AutoPEFT configuration): {r['trial_setup_ms']:.1f} ms")
    out.append("versions: " + json.dumps(versions))
    return "\n".join(out)


# Kernel groups, matched in order on the lower-cased kernel name; the first match wins. The
# optimiser's multi-tensor kernels come first (their names hold "adam" and "elementwise"
# functors); Inductor's fused kernels are named after their ops (triton_per_fused_native_layer_norm_...,
# triton_tem_fused_mm_... for max-autotune's matmul templates).
KERNEL_GROUPS = [
    ("optimizer", r"multi_tensor_apply|adam|foreach"),
    ("attention", r"flash|fmha|attention|softmax|sdpa"),
    ("layernorm", r"layer_norm|layernorm"),
    ("GEMM", r"gemm|cutlass|xmma|cublas|nvjet|triton_tem|splitk|matmul|gemv|bmm|dot_kernel"),
    ("elementwise", r"elementwise|vectorized|unrolled|reduce_kernel|triton_|dropout|fused_|gelu|index|embedding|cat|copy"),
]
GROUP_ORDER = [g for g, _ in KERNEL_GROUPS] + ["other"]


def classify(name):
    low = name.lower()
    if low.startswith(("memcpy", "memset")):
        return "other"
    for group, pattern in KERNEL_GROUPS:
        if re.search(pattern, low):
            return group
    return "other"


def summarise_trace(path, steps, top=25):
    """Per-step GPU time by kernel and by group from a Chrome trace (kineto's, either side)."""
    with open(path) as f:
        trace = json.load(f)
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    kernels, launches = {}, 0
    for e in events:
        cat = str(e.get("cat", "")).lower()
        if e.get("ph") != "X":
            continue
        if cat in ("kernel", "gpu_memcpy", "gpu_memset"):
            k = kernels.setdefault(e.get("name", "?"), [0.0, 0])
            k[0] += float(e.get("dur", 0))
            k[1] += 1
        elif cat in ("cuda_runtime", "cuda_driver") and re.search(r"LaunchKernel|GraphLaunch", e.get("name", "")):
            # Triton's kernels (Inductor's) launch through the driver API, ATen's through the runtime
            launches += 1
    groups = {g: 0.0 for g in GROUP_ORDER}
    for name, (us, _) in kernels.items():
        groups[classify(name)] += us / steps / 1e3
    rows = sorted(kernels.items(), key=lambda kv: -kv[1][0])
    return {"gpu_ms_per_step": sum(v[0] for v in kernels.values()) / steps / 1e3,
            "kernels_per_step": sum(v[1] for v in kernels.values()) / steps,
            "launch_calls_per_step": launches / steps,
            "groups_ms_per_step": groups,
            "top": [{"kernel": n, "group": classify(n), "ms_per_step": us / steps / 1e3, "calls_per_step": c / steps}
                    for n, (us, c) in rows[:top]]}


def kernels_text(rows, json_path=None):
    profiled = [r for r in rows if r.get("profile_trace") and "error" not in r]
    by_shape = {}
    for r in profiled:
        by_shape.setdefault((shape_key(r["shape"]), r["method"]), []).append(r)
    out, dump = [], []
    for (_, method), rs in sorted(by_shape.items(), key=lambda kv: tuple(str(x) for x in kv[0][0]) + (kv[0][1],)):
        cols = []
        for r in sorted(rs, key=lambda r: (r["side"] != "ours", r["mode"])):
            try:
                s = summarise_trace(r["profile_trace"], r.get("profile_steps", PROFILE_STEPS))
            except (OSError, ValueError, KeyError) as e:
                out.append(f"{r['side']} {method} {r['mode']}: trace unreadable ({type(e).__name__}: {e})")
                continue
            cols.append((f"{'ours' if r['side'] == 'ours' else 'HF'} {r['mode']}", s, r))
            dump.append({"side": r["side"], "method": method, "mode": r["mode"], "shape": r["shape"],
                         "step_ms": r.get("step_ms"), **s})
        if not cols:
            continue
        out += [f"### kernels: {NAMES.get(method, method)}, {shape_title(rs[0]['shape'])}", "",
                "GPU ms per step (kernel time summed; a step's wall time also holds the gaps between kernels)", "",
                "| group | " + " | ".join(c[0] for c in cols) + " |", "|---|" + "---:|" * len(cols)]
        for grp in GROUP_ORDER:
            out.append(f"| {grp} | " + " | ".join(f"{c[1]['groups_ms_per_step'][grp]:.2f}" for c in cols) + " |")
        out.append("| **all kernels** | " + " | ".join(f"**{c[1]['gpu_ms_per_step']:.2f}**" for c in cols) + " |")
        out.append("| step (timed, wall) | " + " | ".join(
            f"{c[2]['step_ms']:.2f}" if isinstance(c[2].get("step_ms"), (int, float)) else "–" for c in cols) + " |")
        out.append("| kernels / step | " + " | ".join(f"{c[1]['kernels_per_step']:.0f}" for c in cols) + " |")
        out.append("| launch calls / step | " + " | ".join(f"{c[1]['launch_calls_per_step']:.0f}" for c in cols) + " |")
        out.append("")
        for label, s, _ in cols:
            out.append(f"top kernels, {label}:")
            for t in s["top"][:10]:
                out.append(f"  {t['ms_per_step']:7.3f} ms  x{t['calls_per_step']:<5.0f} {t['group']:<11} {t['kernel'][:110]}")
            out.append("")
    if json_path:
        with open(json_path, "w") as f:
            json.dump(dump, f, indent=1)
    return "\n".join(out) if out else "no profiled rows (no --profile-dir, or every profiled run failed)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    hf = sub.add_parser("hf", help="time the HF side; one JSON object per line")
    add_shape_args(hf)
    hf.add_argument("--methods", default=",".join(HF_METHODS))
    hf.add_argument("--modes", default="eager", help="comma list of " + ", ".join(HF_MODES))
    hf.add_argument("--warmup", type=int, default=10)
    hf.add_argument("--steps", type=int, default=50)
    hf.add_argument("--profile-dir", default="")
    hf.add_argument("--profile-methods", default="")
    hf.add_argument("--deadline", type=float, default=0, help="unix time after which no method starts")
    hf.add_argument("--fill-missing", default="", metavar="RESULTS.jsonl",
                    help="run nothing: print an error row (--reason) for each method and mode without a row there")
    hf.add_argument("--reason", default="no row: the process ended first")
    tb = sub.add_parser("table", help="the ratio table from both sides' JSON lines")
    tb.add_argument("files", nargs="+")
    kn = sub.add_parser("kernels", help="per-kernel GPU time of the profiled rows, side by side")
    kn.add_argument("files", nargs="+")
    kn.add_argument("--json", default="", help="also write the summaries here")
    args = ap.parse_args()
    if args.command == "hf":
        cmd_hf(args)
    elif args.command == "table":
        print(table_text(read_jsonl(args.files)))
    else:
        print(kernels_text(read_jsonl(args.files), args.json or None))


if __name__ == "__main__":
    main()
