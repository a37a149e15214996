#!/usr/bin/env python3
"""autopeft's MOBO loop side by side with BoTorch's, from the same initial points.

Both sides run qNEHVI with a MAP-fitted GP (BoTorch: one SingleTaskGP per objective with its
default RBF kernel and dimension-scaled log-normal lengthscale prior, Standardize outcomes;
autopeft: mobo::ask_tell with the same kernel and prior), 128 quasi-MC samples, q = 4 picked
greedily one point at a time, in double precision on the CPU, one thread per run.

  loops   : BraninCurrin (d = 2, 6 initial points), ZDT1 (d = 6) and DTLZ2 (d = 6, 3 objectives)
            with 2 (d + 1) initial points; 20 batches of q = 4; 10 seeds. The initial points are
            BoTorch's draw_sobol_samples(seed) and are handed to our program in a file. The
            hypervolume of both sides' evaluations is computed by the same BoTorch code.
            Continuous acquisition optimisation on both sides: 10 restarts from 512 raw samples,
            L-BFGS-B, 200 iterations at most.
  timing  : AutoPEFT's SA/PA/PT space (15 encoded dims, 5,446,350 valid configurations) with
            n = 200 observations of the AutoPEFTSynthetic problem made by our program; one
            suggestion of q = 4 points (GP fit + acquisition + discrete local search) timed on
            both sides on exactly the same data. BoTorch: optimize_acqf_discrete_local_search
            with 20 restarts from 1,024 raw samples and the space's validity as inequality
            constraints; autopeft: local search from the Pareto set plus 20 random restarts.

Usage (on the GPU machine; its CPU is used):
  python3 bench/mobo_vs_botorch.py --loop build-gpu/bench/mobo_loop --out OUT \
      [--problems branin_currin,zdt1,dtlz2] [--seeds 10] [--batches 20] [--workers 16] [--timing]
  python3 bench/mobo_vs_botorch.py --report OUT [OUT2 ...] --doc docs/results/mobo_vs_botorch.md
The first form writes OUT/results.json (and the per-run files); the second merges result
directories into the Markdown document and an SVG plot beside it.
"""
import argparse
import concurrent.futures as cf
import json
import math
import os
import subprocess
import sys
import time

THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
PROBLEMS = {
    # name: (dim, objectives, initial points, max HV)
    "branin_currin": (2, 2, 6, 59.36011874867746),
    "zdt1": (6, 2, 14, 120.0 + 2.0 / 3.0),
    "dtlz2": (6, 3, 14, 1.1**3 - math.pi / 6.0),
}
MC, RESTARTS, RAW, MAXITER, Q = 128, 10, 512, 200, 4


def botorch_problem(name):
    from botorch.test_functions.multi_objective import DTLZ2, ZDT1, BraninCurrin
    import torch
    if name == "branin_currin":
        p = BraninCurrin(negate=True)
    elif name == "zdt1":
        p = ZDT1(dim=6, num_objectives=2, negate=True)
    else:
        p = DTLZ2(dim=6, num_objectives=3, negate=True)
    return p.to(dtype=torch.double)


def initial_points(name, seed):
    import torch
    from botorch.utils.sampling import draw_sobol_samples
    p = botorch_problem(name)
    return draw_sobol_samples(bounds=p.bounds, n=1, q=PROBLEMS[name][2], seed=seed).squeeze(0)


def fit_models(X01, Y):
    """One SingleTaskGP per objective (BoTorch's defaults), MAP by fit_gpytorch_mll."""
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import ModelListGP, SingleTaskGP
    from botorch.models.transforms.outcome import Standardize
    from gpytorch.mlls import SumMarginalLogLikelihood
    models = [SingleTaskGP(X01, Y[..., i:i + 1], outcome_transform=Standardize(m=1))
              for i in range(Y.shape[-1])]
    model = ModelListGP(*models)
    fit_gpytorch_mll(SumMarginalLogLikelihood(model.likelihood, model))
    return model


def qnehvi(model, ref, X_baseline):
    import torch
    from botorch.acquisition.multi_objective.monte_carlo import (
        qNoisyExpectedHypervolumeImprovement)
    from botorch.sampling.normal import SobolQMCNormalSampler
    return qNoisyExpectedHypervolumeImprovement(
        model=model, ref_point=ref.tolist(), X_baseline=X_baseline, prune_baseline=True,
        sampler=SobolQMCNormalSampler(sample_shape=torch.Size([MC])))


def botorch_loop(name, seed, batches, workdir=None):
    import torch
    from botorch.optim import optimize_acqf
    from botorch.utils.transforms import normalize, unnormalize
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    p = botorch_problem(name)
    X = initial_points(name, seed)
    Y = p(X)
    d = X.shape[-1]
    unit = torch.stack([torch.zeros(d), torch.ones(d)]).to(X)
    secs = []
    for _ in range(batches):
        t0 = time.perf_counter()
        X01 = normalize(X, p.bounds)
        model = fit_models(X01, Y)
        acq = qnehvi(model, p.ref_point, X01)
        cand, _ = optimize_acqf(acq, bounds=unit, q=Q, num_restarts=RESTARTS, raw_samples=RAW,
                                options={"batch_limit": 5, "maxiter": MAXITER}, sequential=True)
        secs.append(time.perf_counter() - t0)
        Xn = unnormalize(cand.detach(), p.bounds)
        X = torch.cat([X, Xn])
        Y = torch.cat([Y, p(Xn)])
        if workdir:  # progress, read back if the run is stopped at the deadline
            with open(os.path.join(workdir, f"botorch_{name}_{seed}.progress.json"), "w") as f:
                json.dump({"X": X.tolist(), "Y": (-Y).tolist(), "ask_seconds": secs}, f)
    # Back to the minimised outcomes our program reports.
    return {"X": X.tolist(), "Y": (-Y).tolist(), "ask_seconds": secs}


def ours_loop(loop, name, seed, batches, workdir):
    init = os.path.join(workdir, f"init_{name}_{seed}.json")
    out = os.path.join(workdir, f"ours_{name}_{seed}.json")
    with open(init, "w") as f:
        json.dump({"X": initial_points(name, seed).tolist()}, f)
    env = dict(os.environ, **THREAD_ENV)
    subprocess.run([loop, "run", "--problem", name, "--init", init, "--batches", str(batches),
                    "--q", str(Q), "--seed", str(seed), "--mc", str(MC), "--restarts",
                    str(RESTARTS), "--raw", str(RAW), "--max-iter", str(MAXITER), "--out", out],
                   check=True, env=env, stderr=subprocess.PIPE, text=True)
    with open(out) as f:
        return json.load(f)


def run_job(job):
    side, name, seed, batches, loop, workdir = job
    t0 = time.perf_counter()
    try:
        r = ours_loop(loop, name, seed, batches, workdir) if side == "ours" else \
            botorch_loop(name, seed, batches, workdir)
    except subprocess.CalledProcessError as e:  # recorded, and counted in the report
        return side, name, seed, {"error": (e.stderr or "")[-2000:]}
    except Exception as e:  # noqa: BLE001 - a failed run must not stop the others
        return side, name, seed, {"error": repr(e)}
    r["wall_seconds"] = time.perf_counter() - t0
    return side, name, seed, r


def hv_trace(name, Y_min, n_init):
    """Hypervolume after the initial design and after each batch, by BoTorch's code."""
    import torch
    from botorch.utils.multi_objective.box_decompositions.dominated import (
        DominatedPartitioning)
    p = botorch_problem(name)
    Y = -torch.tensor(Y_min, dtype=torch.double)
    out = []
    for n in range(n_init, Y.shape[0] + 1, Q):
        bd = DominatedPartitioning(ref_point=p.ref_point, Y=Y[:n])
        out.append(bd.compute_hypervolume().item())
    return out


def autopeft_timing(loop, workdir, repeats=3, sides=("botorch", "ours")):
    import torch
    from botorch.optim import optimize_acqf_discrete_local_search
    torch.set_num_threads(1)
    data = os.path.join(workdir, "autopeft_n200.json")
    env = dict(os.environ, **THREAD_ENV)
    subprocess.run([loop, "autopeft", "--n", "200", "--q", str(Q), "--repeats", str(repeats),
                    "--seed", "0", "--out", data], check=True, env=env)
    with open(data) as f:
        d = json.load(f)
    X = torch.tensor(d["X"], dtype=torch.double)
    Y = torch.tensor(d["Y"], dtype=torch.double)
    ref = torch.tensor(d["ref_point"], dtype=torch.double)
    choices = [torch.linspace(0, 1, 11, dtype=torch.double)] * 3 + \
        [torch.tensor([0.0, 1.0], dtype=torch.double)] * 12
    # Valid: at least one layer on, and at least one of SA, PA, PT on.
    constraints = [(torch.arange(3, 15), torch.ones(12, dtype=torch.double), 1.0),
                   (torch.arange(0, 3), torch.ones(3, dtype=torch.double), 0.1)]
    secs = []
    for r in range(repeats if "botorch" in sides else 0):
        torch.manual_seed(r)
        t0 = time.perf_counter()
        model = fit_models(X, Y)
        acq = qnehvi(model, ref, X)
        optimize_acqf_discrete_local_search(acq, discrete_choices=choices, q=Q, num_restarts=20,
                                            raw_samples=1024, inequality_constraints=constraints,
                                            X_avoid=X)
        secs.append(time.perf_counter() - t0)
        print(f"botorch autopeft n=200 q=4: {secs[-1]:.2f} s", flush=True)
    out = {"ours": d["ask_seconds"]}
    if secs:
        out["botorch"] = secs
    return out


def run(args):
    import torch
    os.makedirs(args.out, exist_ok=True)
    problems = [p for p in args.problems.split(",") if p]
    # Same problems on both sides: check our program's values against BoTorch's definitions.
    sides = ("botorch", "ours") if args.sides == "both" else (args.sides,)
    jobs = [(side, name, seed, args.batches, args.loop, args.out)
            for name in problems for seed in range(args.seeds) for side in sides]
    results = {"settings": {"mc_samples": MC, "restarts": RESTARTS, "raw_samples": RAW,
                            "maxiter": MAXITER, "q": Q, "batches": args.batches,
                            "seeds": args.seeds, "workers": args.workers},
               "versions": versions(), "runs": {}}
    path = os.path.join(args.out, "results.json")

    def record(side, name, seed, r, note=""):
        n_init = PROBLEMS[name][2]
        if "error" in r:
            results.setdefault("failures", []).append(
                {"side": side, "problem": name, "seed": seed, "error": r["error"]})
            print(f"{side:8s} {name:14s} seed {seed}: FAILED {r['error'][-300:]}", flush=True)
            return
        if side == "ours":
            # Same problems on both sides: our program's values against BoTorch's definitions.
            ours = torch.tensor(r["Y"][:n_init], dtype=torch.double)
            theirs = -botorch_problem(name)(initial_points(name, seed))
            err = (ours - theirs).abs().max().item()
            assert err < 1e-8, f"{name}: our problem differs from BoTorch's by {err}"
        r["hv"] = hv_trace(name, r["Y"], n_init)
        results["runs"].setdefault(name, {}).setdefault(side, {})[str(seed)] = {
            "hv": r["hv"], "ask_seconds": r["ask_seconds"],
            "wall_seconds": r.get("wall_seconds", 0.0)}
        print(f"{side:8s} {name:14s} seed {seed}: HV {r['hv'][-1]:.5f} after "
              f"{len(r['hv']) - 1} batches{note}", flush=True)
        with open(path, "w") as f:
            json.dump(results, f)

    t0 = time.perf_counter()
    if jobs:
        pool = cf.ProcessPoolExecutor(max_workers=args.workers)
        futures = {pool.submit(run_job, job): job for job in jobs}
        done, pending = cf.wait(futures, timeout=args.deadline)
        for fut in done:
            record(*fut.result())
        for fut in pending:  # stopped at the deadline: keep the batches finished so far
            side, name, seed = futures[fut][:3]
            progress = os.path.join(args.out, f"{side}_{name}_{seed}.progress.json")
            if os.path.exists(progress):
                with open(progress) as f:
                    record(side, name, seed, json.load(f), " (stopped at the deadline)")
            results.setdefault("stopped", []).append(
                {"side": side, "problem": name, "seed": seed})
        for p in pool._processes.values():
            p.kill()
        pool.shutdown(wait=False, cancel_futures=True)
    results["loops_seconds"] = time.perf_counter() - t0
    if args.timing:
        results["autopeft_timing"] = autopeft_timing(args.loop, args.out, sides=sides)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f)
    print(f"wrote {os.path.join(args.out, 'results.json')}")


def versions():
    import platform
    import botorch
    import gpytorch
    import torch
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"botorch": botorch.__version__, "gpytorch": gpytorch.__version__,
            "torch": torch.__version__, "python": platform.python_version(), "cpu": cpu,
            "cores": os.cpu_count()}


def quantiles(xs):
    s = sorted(xs)

    def q(p):
        i = p * (len(s) - 1)
        lo, hi = math.floor(i), math.ceil(i)
        return s[lo] + (s[hi] - s[lo]) * (i - lo)
    return q(0.25), q(0.5), q(0.75)


def svg_plot(runs, path):
    """One panel per problem: median hypervolume (fraction of the maximum) per batch, with the
    interquartile band, for both sides."""
    names = [n for n in PROBLEMS if n in runs]
    W, H, pad = 330, 250, 45
    colours = {"ours": "#1b6ca8", "botorch": "#d9541e"}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W * len(names)}" height="{H + 30}"'
             f' font-family="sans-serif" font-size="11">']
    for k, name in enumerate(names):
        ox = k * W
        max_hv = PROBLEMS[name][3]
        series = {}
        for side in ("ours", "botorch"):
            traces = list(runs[name].get(side, {}).values())
            if not traces:
                continue
            series[side] = [quantiles([t["hv"][b] / max_hv for t in traces])
                            for b in range(min(len(t["hv"]) for t in traces))]
        lo = min(min(q[0] for q in s) for s in series.values())
        lo = max(0.0, math.floor(lo * 10) / 10)
        nb = max(len(s) for s in series.values()) - 1

        def px(b):
            return ox + pad + b * (W - pad - 10) / max(nb, 1)

        def py(v):
            return 10 + (1.0 - (v - lo) / (1.0 - lo)) * (H - pad)
        parts.append(f'<text x="{ox + W / 2}" y="{H + 22}" text-anchor="middle">{name} '
                     f'(batches of q = {Q})</text>')
        parts.append(f'<line x1="{px(0)}" y1="{py(lo)}" x2="{px(nb)}" y2="{py(lo)}" stroke="#444"/>')
        parts.append(f'<line x1="{px(0)}" y1="{py(lo)}" x2="{px(0)}" y2="{py(1.0)}" stroke="#444"/>')
        for t in range(5):
            v = lo + (1.0 - lo) * t / 4
            parts.append(f'<text x="{px(0) - 4}" y="{py(v) + 4}" text-anchor="end">{v:.2f}</text>')
        for b in range(0, nb + 1, 5):
            parts.append(f'<text x="{px(b)}" y="{py(lo) + 14}" text-anchor="middle">{b}</text>')
        for side, s in series.items():
            band = [(px(b), py(q[2])) for b, q in enumerate(s)] + \
                   [(px(b), py(q[0])) for b, q in reversed(list(enumerate(s)))]
            parts.append('<polygon fill="%s" fill-opacity="0.18" points="%s"/>' % (
                colours[side], " ".join(f"{x:.1f},{y:.1f}" for x, y in band)))
            parts.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (
                colours[side], " ".join(f"{px(b):.1f},{py(q[1]):.1f}" for b, q in enumerate(s))))
        for i, side in enumerate(series):
            parts.append(f'<text x="{px(nb) - 4}" y="{py(lo) - 10 - 14 * i}" text-anchor="end" '
                         f'fill="{colours[side]}">{"autopeft" if side == "ours" else "BoTorch"}'
                         f'</text>')
        parts.append(f'<text x="{ox + 8}" y="{py(1.0) - 2}" font-size="10">HV / max HV</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def report(args):
    merged = {"runs": {}}
    for d in args.report:
        with open(os.path.join(d, "results.json")) as f:
            r = json.load(f)
        for name, sides in r["runs"].items():
            for side, seeds in sides.items():
                merged["runs"].setdefault(name, {}).setdefault(side, {}).update(seeds)
        merged.setdefault("failures", []).extend(r.get("failures", []))
        merged.setdefault("stopped", []).extend(r.get("stopped", []))
        for key in ("settings", "versions"):
            if key in r:
                merged[key] = r[key]
        for side, secs in r.get("autopeft_timing", {}).items():
            merged.setdefault("autopeft_timing", {})[side] = secs
    # A run that a later directory redid successfully no longer counts as failed or stopped.
    def superseded(x):
        run = merged["runs"].get(x["problem"], {}).get(x["side"], {}).get(str(x["seed"]))
        return run is not None and len(run["hv"]) - 1 >= merged["settings"]["batches"]
    merged["failures"] = [x for x in merged["failures"] if not superseded(x)]
    # Runs short of the full number of batches (stopped at a call's time limit, or never
    # started), read from the data itself.
    merged["stopped"] = [
        {"side": side, "problem": name, "seed": seed, "batches": len(run["hv"]) - 1}
        for name, sides in merged["runs"].items() for side, seeds in sides.items()
        for seed, run in sorted(seeds.items()) if len(run["hv"]) - 1 < merged["settings"]["batches"]]
    doc = args.doc
    svg = os.path.splitext(doc)[0] + ".svg"
    svg_plot(merged["runs"], svg)
    v, s = merged["versions"], merged["settings"]
    lines = []
    lines.append(f"Machine: {v['cpu']} ({v['cores']} cores), CPU only, one thread per run, "
                 f"{s['workers']} runs at a time. BoTorch {v['botorch']}, GPyTorch "
                 f"{v['gpytorch']}, torch {v['torch']}, Python {v['python']}.")
    lines.append("")
    lines.append(f"![hypervolume per batch]({os.path.basename(svg)})")
    lines.append("")
    lines.append("Hypervolume as a fraction of the problem's maximum: median [25th, 75th "
                 f"percentile] over {s['seeds']} seeds, after the initial design (batch 0) and "
                 "after batches 5, 10, 15 and 20. Wall time per suggestion: the median time of "
                 f"one ask of q = {s['q']} points (GP fit + acquisition optimisation).")
    lines.append("")
    lines.append("| problem | side | batch 0 | batch 5 | batch 10 | batch 15 | batch 20 "
                 "| s per ask of q = 4 |")
    lines.append("|---|---|---|---|---|---|---|---|")
    summary = []
    for name in PROBLEMS:
        if name not in merged["runs"]:
            continue
        max_hv = PROBLEMS[name][3]
        finals = {}
        for side in ("ours", "botorch"):
            traces = list(merged["runs"][name].get(side, {}).values())
            if not traces:
                continue
            cells = []
            common = min(len(t["hv"]) for t in traces)
            for b in (0, 5, 10, 15, 20):
                if b < common:
                    lo, med, hi = quantiles([t["hv"][b] / max_hv for t in traces])
                    cells.append(f"{med:.4f} [{lo:.4f}, {hi:.4f}]")
                else:
                    cells.append("")
            asks = quantiles([x for t in traces for x in t["ask_seconds"]])[1]
            finals[side] = ([t["hv"] for t in traces], asks)
            label = "autopeft" if side == "ours" else "BoTorch"
            lines.append(f"| {name} | {label} | " + " | ".join(cells) + f" | {asks:.2f} |")
        if len(finals) == 2:
            summary.append((name, finals["ours"], finals["botorch"]))
    lines.append("")
    if merged["stopped"]:
        lines.append("Runs stopped at the time limit of a call (batches finished): " +
                     ", ".join(f"{x['side']} {x['problem']} seed {x['seed']} ({x['batches']})"
                               for x in merged["stopped"]) + ". The columns and the comparison "
                     "below use the batches every such run finished; a seed with no finished "
                     "batch is left out of its side's statistics.")
        lines.append("")
    lines.append(f"Failed runs: {len(merged['failures'])}" + "".join(
        f"; {f['side']} {f['problem']} seed {f['seed']}" for f in merged["failures"]) + ".")
    lines.append("")
    lines.append("| problem | median final HV fraction, autopeft | BoTorch | at least BoTorch's? "
                 "| ask time ratio (BoTorch / autopeft) |")
    lines.append("|---|---|---|---|---|")
    for name, ours, theirs in summary:
        # Compared after the last batch every run of both sides finished.
        last = min(min(len(h) for h in ours[0]), min(len(h) for h in theirs[0])) - 1
        max_hv = PROBLEMS[name][3]
        o = quantiles([h[last] / max_hv for h in ours[0]])[1]
        t = quantiles([h[last] / max_hv for h in theirs[0]])[1]
        lines.append(f"| {name} (batch {last}) | {o:.4f} | {t:.4f} | "
                     f"{'yes' if o >= t else 'no'} | {theirs[1] / ours[1]:.1f}x |")
    if "autopeft_timing" in merged:
        t = merged["autopeft_timing"]
        o, b = quantiles(t["ours"])[1], quantiles(t["botorch"])[1]
        lines.append("")
        lines.append("Time per suggestion on AutoPEFT's SA/PA/PT space, n = 200 observations, "
                     "q = 4 (one ask: GP fit + qNEHVI + discrete local search), median of "
                     f"{len(t['ours'])} repeats on the same data:")
        lines.append("")
        lines.append("| autopeft (s) | BoTorch (s) | ratio |")
        lines.append("|---|---|---|")
        lines.append(f"| {o:.2f} | {b:.2f} | {b / o:.1f}x |")
    with open(doc) as f:
        text = f.read()
    begin, end = "<!-- results:begin -->", "<!-- results:end -->"
    head, rest = text.split(begin)
    _, tail = rest.split(end)
    with open(doc, "w") as f:
        f.write(head + begin + "\n" + "\n".join(lines) + "\n" + end + tail)
    print("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--loop", help="path to the mobo_loop program")
    ap.add_argument("--out", help="output directory of a run")
    ap.add_argument("--problems", default="branin_currin,zdt1,dtlz2",
                    help="comma-separated; empty for none (with --timing)")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--timing", action="store_true", help="also time AutoPEFT's space, n = 200")
    ap.add_argument("--sides", choices=("both", "ours", "botorch"), default="both")
    ap.add_argument("--deadline", type=float, default=None,
                    help="seconds; runs still going then keep the batches they finished")
    ap.add_argument("--report", nargs="+", help="result directories to merge into --doc")
    ap.add_argument("--doc", default="docs/results/mobo_vs_botorch.md")
    args = ap.parse_args()
    if args.report:
        report(args)
    elif args.loop and args.out:
        run(args)
    else:
        ap.error("give --loop and --out to run, or --report to write the document")


if __name__ == "__main__":
    sys.exit(main())
