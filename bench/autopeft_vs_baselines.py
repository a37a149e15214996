#!/usr/bin/env python3
"""Tables, plots and the dominance check of bench/autopeft_vs_baselines.sh (standard library only).

  autopeft_vs_baselines.py configs WORK --source TASK   > WORK/configs.jsonl
      the configurations to re-train: each study's Pareto set (WORK/fronts/<task>.json, from
      `autopeft pareto --format json`) on its own task, and SOURCE's on every other task.
  autopeft_vs_baselines.py report WORK --out DIR [--source TASK]
      reads WORK/runs/*.jsonl (autopeft_vs_baselines' lines), writes DIR/<task>.svg (metric
      against % parameters: the re-trained AutoPEFT configurations and their front, the
      baselines, the transferred configurations, the low-fidelity search trials) and prints the
      markdown tables and, task by task, whether the AutoPEFT front dominates every baseline: a
      found configuration with no more parameters and a mean metric no lower. A baseline whose
      mean is within two standard errors of the majority-class rate is "at chance": it is
      reported as such and never counted as dominated.
  autopeft_vs_baselines.py rules WORK
      the task rules, per task, over WORK/runs: learnable (full fine-tuning's mean reaches the
      majority-class rate + 10 points) and discriminating (the best and the worst of the
      hand-designed baselines are more than 4 standard errors of their difference apart).
      Exit status 1 when a task fails a rule.
"""
import argparse
import glob
import json
import math
import os
import statistics
import sys

METHOD_LABELS = {
    "lora8": "LoRA r=8", "lora16": "LoRA r=16", "pfeiffer": "Pfeiffer adapter", "parallel": "parallel adapter",
    "prefix": "prefix tuning", "mam": "MAM adapter", "unipelt": "UniPELT", "ia3": "(IA)3", "bitfit": "BitFit",
    "full": "full fine-tuning",
}


def brief(params):
    out = []
    for k, v in params.items():
        if k.startswith("_"):
            continue
        if isinstance(v, list):
            v = "".join("1" if b else "0" for b in v)
        out.append(f"{k}={v}")
    return " ".join(out)


STUDY_SUFFIXES = {"-paper": "paper", "-sf": "single fidelity"}


def task_of(study):
    """The task of a study name: <task>, <task>-paper or <task>-sf."""
    for suffix in STUDY_SUFFIXES:
        if study.endswith(suffix):
            return study[: -len(suffix)]
    return study


def space_of(label):
    """'default' or 'paper', from a re-trained configuration's label <study>#<trial>."""
    return "paper" if label.split("#")[0].endswith("-paper") else "default"


def fronts(work):
    """The Pareto sets of the studies, by study name (WORK/fronts/<study>.json)."""
    result = {}
    for path in sorted(glob.glob(os.path.join(work, "fronts", "*.json"))):
        name = os.path.basename(path)[:-5]
        if name.endswith("-trials"):
            continue
        with open(path) as f:
            result[name] = json.load(f)
    return result


def cmd_configs(args):
    fr = fronts(args.work)
    if args.source not in fr:
        sys.exit(f"{args.work}/fronts/{args.source}.json: no front for the source task {args.source}")
    lines = []
    for study, rows in fr.items():  # every front on its own task first ...
        for r in rows:
            lines.append({"label": f"{study}#{r['trial']}", "source_task": task_of(study), "task": task_of(study),
                          "params": r["params"]})
    for study in fr:  # ... then the source's default-space configurations on the other tasks
        if study == args.source or study in STUDY_SUFFIXES or task_of(study) != study:
            continue
        for r in fr[args.source]:
            lines.append({"label": f"{args.source}#{r['trial']}", "source_task": args.source, "task": study,
                          "params": r["params"]})
    for line in lines:
        print(json.dumps(line))


def iter_runs(work):
    """Every finished run of WORK/runs/*.jsonl; a process stopped while writing leaves an
    unfinished last line, which is skipped."""
    for path in sorted(glob.glob(os.path.join(work, "runs", "*.jsonl"))):
        with open(path) as f:
            lines = f.read().split("\n")
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as e:
                if n == len(lines):
                    print(f"{path}:{n}: an unfinished last line, skipped", file=sys.stderr)
                    continue
                sys.exit(f"{path}:{n}: not a JSON line ({e})")


def chosen_rate(tried, grid):
    """The rate the program chose from {learning_rate: {seed: best_metric}}: the best mean over the
    probe seeds; a rate that diverged on a seed is out; ties go to the first in grid order."""
    seeds = set().union(*(set(by_seed) for by_seed in tried.values()))
    ok = [lr for lr in grid if lr in tried and set(tried[lr]) == seeds and None not in tried[lr].values()]
    return max(ok, key=lambda lr: (statistics.fmean(tried[lr].values()), -grid.index(lr)), default=None)


def load_runs(work, probes=None):
    """Groups of runs by (task, label); the --lr-grid probe runs go to `probes` instead, as
    {(task, label): {learning_rate: {seed: best_metric}}} (None: the probe diverged). A baseline
    run at a rate the probes no longer choose (more probe seeds changed the choice) is left out."""
    groups, tried = {}, {}
    for r in iter_runs(work):
        if r["kind"] == "lr_probe":
            tried.setdefault((r["task"], r["label"]), {}).setdefault(r["learning_rate"], {})[r["seed"]] = r["best_metric"]
    if probes is not None:
        probes.update(tried)
    for r in iter_runs(work):
        key = (r["task"], r["label"])
        if r["kind"] == "lr_probe":
            continue
        if r["kind"] == "baseline" and r.get("lr_grid") and key in tried and \
                r["learning_rate"] != chosen_rate(tried[key], r["lr_grid"]):
            continue
        g = groups.setdefault(key, {"task": r["task"], "label": r["label"], "kind": r["kind"],
                                    "source_task": r.get("source_task", ""), "params_pct": r["params_pct"],
                                    "metric": r["metric"], "params": r.get("params"), "runs": {}, "diverged": 0,
                                    "majority": r.get("majority_rate"), "lr": r.get("learning_rate")})
        if r["best_metric"] is None:  # the run diverged: counted apart, without a metric
            g["diverged"] += 1
            print(f"{r['task']} {r['label']} seed {r['seed']}: diverged ({r.get('diverged', '')})", file=sys.stderr)
            continue
        g["runs"][r["seed"]] = r
    groups = {k: g for k, g in groups.items() if g["runs"]}
    for g in groups.values():
        values = [r["best_metric"] for r in g["runs"].values()]
        g["n"] = len(values)
        g["mean"] = statistics.fmean(values)
        g["std"] = statistics.stdev(values) if len(values) > 1 else 0.0
        g["se"] = g["std"] / math.sqrt(len(values))
        g["seconds"] = sum(r["seconds"] for r in g["runs"].values())
    return groups


def pareto(points):
    """Points (pct, mean) not weakly dominated by another (fewer or equal params, higher or equal metric, one strictly)."""
    front = []
    for p in points:
        if not any((q["params_pct"] <= p["params_pct"] and q["mean"] >= p["mean"]) and
                   (q["params_pct"] < p["params_pct"] or q["mean"] > p["mean"]) for q in points):
            front.append(p)
    return sorted(front, key=lambda p: p["params_pct"])


def dominator(candidates, b):
    """The candidate with no more parameters and no lower mean metric than b, fewest parameters first."""
    ok = [a for a in candidates if a["params_pct"] <= b["params_pct"] and a["mean"] >= b["mean"]]
    return min(ok, key=lambda a: (a["params_pct"], -a["mean"])) if ok else None


def spearman(pairs):
    """Spearman's rank correlation of (x, y) pairs (average ranks for ties); nan below 3 pairs."""
    if len(pairs) < 3:
        return float("nan")

    def ranks(v):
        order = sorted(range(len(v)), key=lambda i: v[i])
        r = [0.0] * len(v)
        i = 0
        while i < len(v):
            j = i
            while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for k in range(i, j + 1):
                r[order[k]] = (i + j) / 2
            i = j + 1
        return r

    rx, ry = ranks([p[0] for p in pairs]), ranks([p[1] for p in pairs])
    mx, my = statistics.fmean(rx), statistics.fmean(ry)
    num = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    den = math.sqrt(sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry))
    return num / den if den else float("nan")


def fmt(g):
    return f"{g['mean']:.4f} ± {g['std']:.4f}"


def at_chance(g):
    """A run group whose mean is within two standard errors of its task's majority-class rate
    (unknown for runs that did not record it: then never)."""
    return g.get("majority") is not None and g["mean"] - g["majority"] <= 2 * max(g["se"], 1e-12)


def rules(groups):
    """Per task: majority rate, full fine-tuning, best and worst baseline, and the two rules."""
    out = []
    for task in dict.fromkeys(g["task"] for g in groups.values()):
        base = [g for g in groups.values() if g["task"] == task and g["kind"] == "baseline"]
        if not base:
            continue
        full = next((g for g in base if g["label"] == "full"), None)
        peft = [g for g in base if g["label"] != "full"]
        best, worst = max(base, key=lambda g: g["mean"]), min(base, key=lambda g: g["mean"])
        best_peft = max(peft, key=lambda g: g["mean"]) if peft else None
        majority = base[0]["majority"]
        se = math.sqrt(best["se"] ** 2 + worst["se"] ** 2)
        spread = (best["mean"] - worst["mean"]) / se if se > 0 else float("inf")
        out.append({"task": task, "majority": majority, "full": full, "best": best, "worst": worst, "best_peft": best_peft,
                    "spread_se": spread, "n_baselines": len(base),
                    "learnable": full is not None and majority is not None and full["mean"] >= majority + 0.10,
                    "discriminating": len(base) >= 2 and spread > 4})
    return out


def cmd_rules(args):
    groups = load_runs(args.work)
    rows = rules(groups)
    if not rows:
        sys.exit(f"{args.work}/runs: no baseline runs yet")
    name = lambda g: METHOD_LABELS.get(g["label"], g["label"])
    print("| task | majority rate | full fine-tuning | best PEFT baseline | worst baseline | best - worst | learnable | discriminating |")
    print("|---|---:|---:|---|---|---:|---|---|")
    for r in rows:
        maj = f"{r['majority']:.4f}" if r["majority"] is not None else "?"
        full = f"{r['full']['mean']:.4f} ± {r['full']['se']:.4f}" if r["full"] else "not run"
        bp = f"{name(r['best_peft'])} {r['best_peft']['mean']:.4f} ± {r['best_peft']['se']:.4f}" if r["best_peft"] else "-"
        w = f"{name(r['worst'])} {r['worst']['mean']:.4f} ± {r['worst']['se']:.4f}"
        gap = f"{r['best']['mean'] - r['worst']['mean']:+.4f} = {r['spread_se']:.1f} se"
        print(f"| {r['task']} | {maj} | {full} | {bp} | {w} | {gap} | {'yes' if r['learnable'] else '**no**'} | "
              f"{'yes' if r['discriminating'] else '**no**'} |")
    print("\n(mean ± standard error over seeds; learnable: full fine-tuning >= majority + 0.10; discriminating: "
          "best - worst baseline > 4 standard errors of the difference)")
    failed = [r["task"] for r in rows if not (r["learnable"] and r["discriminating"])]
    print(f"\n{len(rows) - len(failed)} of {len(rows)} tasks pass both rules" + (f"; failing: {', '.join(failed)}" if failed else ""))
    sys.exit(1 if failed else 0)


def svg_plot(path, task, metric, own, front, baselines, transferred, search_trials):
    W, H, L, R, T, B = 760, 460, 70, 180, 30, 50
    pts = own + baselines + transferred + search_trials
    xs = [max(p["params_pct"], 1e-4) for p in pts]
    ys = [p["mean"] - p.get("std", 0) for p in pts] + [p["mean"] + p.get("std", 0) for p in pts]
    x0, x1 = math.floor(math.log10(min(xs))), math.ceil(math.log10(max(xs)))
    if x1 == x0:
        x1 += 1
    y0, y1 = min(ys), max(ys)
    pad = (y1 - y0) * 0.05 or 0.01
    y0, y1 = y0 - pad, y1 + pad

    def X(v):
        return L + (math.log10(max(v, 1e-4)) - x0) / (x1 - x0) * (W - L - R)

    def Y(v):
        return T + (y1 - v) / (y1 - y0) * (H - T - B)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="11">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{L}" y="18" font-size="13">{task}: {metric} (mean ± sd over seeds) against % trainable parameters</text>',
           f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="black"/>',
           f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="black"/>']
    for e in range(x0, x1 + 1):
        x = X(10 ** e)
        out.append(f'<line x1="{x:.1f}" y1="{H - B}" x2="{x:.1f}" y2="{H - B + 4}" stroke="black"/>')
        out.append(f'<text x="{x:.1f}" y="{H - B + 16}" text-anchor="middle">{10 ** e:g}%</text>')
    for i in range(6):
        v = y0 + (y1 - y0) * i / 5
        out.append(f'<line x1="{L - 4}" y1="{Y(v):.1f}" x2="{L}" y2="{Y(v):.1f}" stroke="black"/>')
        out.append(f'<text x="{L - 6}" y="{Y(v) + 4:.1f}" text-anchor="end">{v:.3f}</text>')
    out.append(f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">% trainable parameters of the backbone (log scale)</text>')
    for p in search_trials:
        out.append(f'<circle cx="{X(p["params_pct"]):.1f}" cy="{Y(p["mean"]):.1f}" r="2" fill="#bbbbbb"/>')
    if front:
        d = " ".join(f'{"M" if i == 0 else "L"}{X(p["params_pct"]):.1f},{Y(p["mean"]):.1f}' for i, p in enumerate(front))
        out.append(f'<path d="{d}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>')

    def with_bar(p, color, shape):
        x, y = X(p["params_pct"]), Y(p["mean"])
        out.append(f'<line x1="{x:.1f}" y1="{Y(p["mean"] - p["std"]):.1f}" x2="{x:.1f}" y2="{Y(p["mean"] + p["std"]):.1f}" stroke="{color}"/>')
        if shape == "circle":
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"/>')
        elif shape == "square":
            out.append(f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{color}"/>')
        else:
            out.append(f'<path d="M{x:.1f},{y - 5:.1f} L{x - 5:.1f},{y + 4:.1f} L{x + 5:.1f},{y + 4:.1f} Z" fill="{color}"/>')
        return x, y

    for p in own:
        with_bar(p, "#1f77b4", "circle")
    for p in transferred:
        with_bar(p, "#2ca02c", "triangle")
    for p in baselines:
        x, y = with_bar(p, "#d62728", "square")
        out.append(f'<text x="{x + 7:.1f}" y="{y + 4:.1f}" fill="#d62728">{METHOD_LABELS.get(p["label"], p["label"])}</text>')
    lx, ly = W - R + 10, T + 10
    legend = [("#1f77b4", "AutoPEFT (re-trained)"), ("#d62728", "hand-designed"), ("#2ca02c", "transferred"),
              ("#bbbbbb", "search trials (low fidelity)")]
    for i, (c, name) in enumerate(legend):
        out.append(f'<circle cx="{lx}" cy="{ly + 16 * i}" r="4" fill="{c}"/><text x="{lx + 8}" y="{ly + 16 * i + 4}">{name}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def hypervolume_2d(points, ref_metric, ref_params):
    """Area dominated by (metric up, params_pct down) points and bounded by the reference point."""
    pts = sorted((p, m) for m, p in points if m > ref_metric and p < ref_params)
    area, best = 0.0, ref_metric
    for i, (p, m) in enumerate(pts):
        nxt = pts[i + 1][0] if i + 1 < len(pts) else ref_params
        best = max(best, m)
        area += (nxt - p) * (best - ref_metric)
    return area


def hv_curve(trials, ref_metric=0.0, ref_params=26.0):
    """[(cumulative trial seconds, hypervolume)] over a study's complete trials in the order they
    finished; a configuration counts once, at the highest fidelity rung it has reached."""
    done = [t for t in trials if t.get("state") == "complete" and t.get("objectives")]
    done.sort(key=lambda t: (t.get("finished") or "", t["number"]))
    best, seconds, curve = {}, 0.0, []
    for t in done:
        key = json.dumps({k: v for k, v in t["params"].items() if not k.startswith("_")}, sort_keys=True)
        level = (t.get("fidelity") or {}).get("level", 0)
        if key not in best or level >= best[key][0]:
            best[key] = (level, t["objectives"][0], t["objectives"][1])
        seconds += t.get("duration_s") or 0.0
        curve.append((seconds, hypervolume_2d([(m, p) for _, m, p in best.values()], ref_metric, ref_params)))
    return curve


def load_trials(work, study):
    path = os.path.join(work, "fronts", f"{study}-trials.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f).get("trials", [])


def hv_at(curve, seconds):
    """The hypervolume reached within `seconds` of trial time."""
    reached = [h for s, h in curve if s <= seconds]
    return reached[-1] if reached else 0.0


def svg_hv(path, task, curves):
    W, H, L, R, T, B = 640, 360, 70, 150, 30, 50
    xs = [s for c in curves.values() for s, _ in c] or [1.0]
    ys = [h for c in curves.values() for _, h in c] or [1.0]
    x1, y0, y1 = max(xs), min(ys), max(ys)
    y0 = y0 - (y1 - y0) * 0.05
    y1 = y1 + (y1 - y0) * 0.05 or 1.0

    def X(v):
        return L + v / x1 * (W - L - R)

    def Y(v):
        return T + (y1 - v) / ((y1 - y0) or 1.0) * (H - T - B)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="11">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{L}" y="18" font-size="13">{task}: hypervolume against trial seconds</text>',
           f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="black"/>',
           f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="black"/>',
           f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">trial seconds (summed; processes shared one GPU)</text>']
    for i in range(6):
        v, s = y0 + (y1 - y0) * i / 5, x1 * i / 5
        out.append(f'<text x="{L - 6}" y="{Y(v) + 4:.1f}" text-anchor="end">{v:.2f}</text>')
        out.append(f'<text x="{X(s):.1f}" y="{H - B + 16}" text-anchor="middle">{s:.0f}</text>')
    colors = ["#1f77b4", "#d62728", "#2ca02c"]
    for i, (name, c) in enumerate(curves.items()):
        if c:
            d = " ".join(f'{"M" if j == 0 else "L"}{X(s):.1f},{Y(h):.1f}' for j, (s, h) in enumerate(c))
            out.append(f'<path d="{d}" fill="none" stroke="{colors[i % 3]}" stroke-width="1.5"/>')
        out.append(f'<line x1="{W - R + 10}" y1="{T + 10 + 16 * i}" x2="{W - R + 30}" y2="{T + 10 + 16 * i}" '
                   f'stroke="{colors[i % 3]}" stroke-width="2"/><text x="{W - R + 34}" y="{T + 14 + 16 * i}">{name}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def hv_section(work, out_dir, tasks):
    """Hypervolume against trial seconds: multi-fidelity (<task>) against single fidelity (<task>-sf)."""
    rows = []
    for task in tasks:
        mf, sf = load_trials(work, task), load_trials(work, f"{task}-sf")
        if mf is None or sf is None:
            continue
        curves = {"multi-fidelity": hv_curve(mf), "single fidelity": hv_curve(sf)}
        paper = load_trials(work, f"{task}-paper")
        if paper is not None:
            curves["paper's space (multi-fidelity)"] = hv_curve(paper)
        svg_hv(os.path.join(out_dir, f"{task}-hv.svg"), task, curves)
        cm, cs = curves["multi-fidelity"], curves["single fidelity"]
        if not cm or not cs:
            continue
        budget = min(cm[-1][0], cs[-1][0])
        rows.append((task, len(cm), cm[-1][0], cm[-1][1], len(cs), cs[-1][0], cs[-1][1], budget,
                     hv_at(cm, budget), hv_at(cs, budget)))
    if not rows:
        return
    print("### Hypervolume against trial seconds: multi-fidelity against single fidelity\n")
    print("| task | MF trials | MF seconds | MF hypervolume | SF trials | SF seconds | SF hypervolume | "
          "at equal seconds | MF there | SF there |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]:.0f} | {r[3]:.3f} | {r[4]} | {r[5]:.0f} | {r[6]:.3f} | {r[7]:.0f} | "
              f"{r[8]:.3f} | {r[9]:.3f} |")
    print("\n(hypervolume of (dev metric, stored % params) with the reference (0, 26 %), each configuration at "
          "the highest rung it reached; seconds are the trials' own, summed, while all processes shared the GPU)\n")


def cmd_report(args):
    probes = {}
    groups = load_runs(args.work, probes)
    fr = fronts(args.work)
    if not groups:
        sys.exit(f"{args.work}/runs: no runs yet")
    os.makedirs(args.out, exist_ok=True)
    tasks = [t for t in dict.fromkeys(g["task"] for g in groups.values())]
    verdicts = []
    for task in tasks:
        rows = [g for g in groups.values() if g["task"] == task]
        metric = rows[0]["metric"]
        baselines = sorted([g for g in rows if g["kind"] == "baseline"], key=lambda g: g["params_pct"])
        own = [g for g in rows if g["kind"] == "autopeft" and g["source_task"] == task]
        transferred = [g for g in rows if g["kind"] == "autopeft" and g["source_task"] != task]
        front = pareto(own)
        low = {f"{study}#{r['trial']}": r for study, rows_ in fr.items() if task_of(study) == task for r in rows_}
        search_trials = []
        for study in (task, f"{task}-paper"):
            for t in load_trials(args.work, study) or []:
                obj = t.get("objectives")
                if t.get("state") == "complete" and obj:
                    search_trials.append({"params_pct": obj[1], "mean": obj[0], "std": 0.0})
        print(f"### {task} ({metric}, dev; mean ± sd over seeds)\n")
        print("| configuration | kind | % params | metric | seeds | search (low fidelity) | dominated by |")
        print("|---|---|---:|---:|---:|---:|---|")
        for g in sorted(baselines + own, key=lambda g: g["params_pct"]):
            if g["kind"] == "baseline":
                d = dominator(own, g)
                dom = f"{d['label']} ({d['params_pct']:.3f} %, {d['mean']:.4f})" if d else "**none**"
                if at_chance(g):
                    dom = "at chance (not counted)"
                name, kind, lowf = METHOD_LABELS.get(g["label"], g["label"]), "hand-designed", ""
                tried = probes.get((task, g["label"]))
                if tried:
                    name += f" (lr {g['lr']:g} of " + ", ".join(
                        f"{lr:g}: " + ("diverged" if None in by_seed.values() else f"{statistics.fmean(by_seed.values()):.3f}")
                        for lr, by_seed in sorted(tried.items())) + ")"
            else:
                on_front = any(g is p for p in front)
                name = f"{g['label']}: {brief(g['params'] or {})}"
                kind = f"AutoPEFT, {space_of(g['label'])} space" + (" (front)" if on_front else "")
                lowf = f"{low[g['label']][metric]:.4f}" if g["label"] in low and metric in low[g["label"]] else ""
                dom = ""
            print(f"| {name} | {kind} | {g['params_pct']:.4f} | {fmt(g)} | {g['n']} | {lowf} | {dom} |")
        chance = [b for b in baselines if at_chance(b)]
        baselines = [b for b in baselines if not at_chance(b)]
        undominated = [b for b in baselines if dominator(own, b) is None]
        if chance:
            print(f"\nAt chance (within 2 se of the majority rate {chance[0]['majority']:.4f}), not counted: "
                  + ", ".join(f"{METHOD_LABELS.get(b['label'], b['label'])} {fmt(b)}" for b in chance) + ".")
        retrained_low = [(low[g["label"]][metric], g["mean"]) for g in own if g["label"] in low and metric in low[g["label"]]]
        by_space = {sp: len([b for b in baselines if dominator([a for a in own if space_of(a["label"]) == sp], b)])
                    for sp in ("default", "paper")}
        full = next((b for b in baselines + chance if b["label"] == "full"), None)
        cheap = [a for a in own if a["params_pct"] <= 1.0 and full is not None and a["mean"] >= full["mean"]]
        verdicts.append((task, len(baselines) + len(chance), undominated, front, own, retrained_low, search_trials, len(chance),
                         by_space, max(cheap, key=lambda a: a["mean"]) if cheap else None))
        print()
        if transferred:
            print(f"Configurations of {transferred[0]['source_task']} on {task}:\n")
            print("| configuration | % params | metric | seeds | baselines it dominates |")
            print("|---|---:|---:|---:|---|")
            for g in sorted(transferred, key=lambda g: g["params_pct"]):
                beats = [METHOD_LABELS.get(b["label"], b["label"]) for b in baselines
                         if g["params_pct"] <= b["params_pct"] and g["mean"] >= b["mean"]]
                print(f"| {g['label']}: {brief(g['params'] or {})} | {g['params_pct']:.4f} | {fmt(g)} | {g['n']} | {', '.join(beats) or '-'} |")
            t_undominated = [b for b in baselines if dominator(transferred, b) is None]
            print(f"\nTransferred configurations dominate {len(baselines) - len(t_undominated)} of {len(baselines)} baselines"
                  + (f"; not: {', '.join(METHOD_LABELS.get(b['label'], b['label']) for b in t_undominated)}" if t_undominated else "") + ".\n")
        svg_plot(os.path.join(args.out, f"{task}.svg"), task, metric, own, front, baselines, transferred, search_trials)
    print("### Does the AutoPEFT front dominate every baseline?\n")
    print("| task | baselines | at chance (not counted) | dominated | by the default space | by the paper's space | not dominated |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for task, n, undominated, front, own, _, _, n_chance, by_space, _ in verdicts:
        names = []
        for b in undominated:
            # The best found configuration within the baseline's budget, and how far below it is
            # in standard errors of the difference of the two means.
            within = [a for a in own if a["params_pct"] <= b["params_pct"]]
            best = max(within, key=lambda a: a["mean"]) if within else None
            gap = ""
            if best:
                se = math.sqrt(best["std"] ** 2 / max(best["n"], 1) + b["std"] ** 2 / max(b["n"], 1))
                gap = f"; best within budget {best['label']} {best['mean']:.4f}, {best['mean'] - b['mean']:+.4f}" + \
                      (f" = {(best['mean'] - b['mean']) / se:+.1f} se" if se > 0 else "")
            names.append(f"{METHOD_LABELS.get(b['label'], b['label'])} ({b['params_pct']:.3f} %, {fmt(b)}{gap})")
        print(f"| {task} | {n} | {n_chance} | {n - n_chance - len(undominated)} | {by_space['default']} | {by_space['paper']} | "
              f"{'; '.join(names) or '-'} |")
    print("\nFound configurations at <= 1 % stored parameters with a mean no lower than full fine-tuning's:\n")
    for task, *_, cheap in verdicts:
        print(f"- {task}: " + (f"{cheap['label']} ({brief(cheap['params'] or {})}), {cheap['params_pct']:.3f} %, {fmt(cheap)}"
                               if cheap else "none"))
    print("\n### Low fidelity against re-training\n")
    print("| task | re-trained configurations | Spearman (search metric, re-trained mean) | search trials in 0.1-2 % params | best search metric there |")
    print("|---|---:|---:|---:|---:|")
    for task, n, undominated, front, own, pairs, trials, *_ in verdicts:
        mid = [t for t in trials if 0.1 <= t["params_pct"] <= 2.0]
        best_mid = f"{max(t['mean'] for t in mid):.4f}" if mid else "-"
        print(f"| {task} | {len(pairs)} | {spearman(pairs):+.2f} | {len(mid)} of {len(trials)} | {best_mid} |")
    total = sum(g["seconds"] for g in groups.values())
    print(f"\n{sum(g['n'] for g in groups.values())} runs, {total:.0f} s of training in all (summed over processes).\n")
    hv_section(args.work, args.out, tasks)
    print("### GPU-seconds\n")
    print("| what | trials or runs | seconds (summed over processes) |")
    print("|---|---:|---:|")
    for path in sorted(glob.glob(os.path.join(args.work, "fronts", "*-trials.json"))):
        study = os.path.basename(path)[: -len("-trials.json")]
        done = [t for t in load_trials(args.work, study) if t.get("state") == "complete"]
        print(f"| search {study} | {len(done)} | {sum(t.get('duration_s') or 0 for t in done):.0f} |")
    probe_runs = [r for r in iter_runs(args.work) if r["kind"] == "lr_probe"]
    print(f"| baseline rate probes (final fidelity, seeds {sorted({r['seed'] for r in probe_runs})}) | {len(probe_runs)} | {sum(r['seconds'] for r in probe_runs):.0f} |")
    for kind in ("baseline", "autopeft"):
        gs = [g for g in groups.values() if g["kind"] == kind]
        print(f"| {kind} runs (final fidelity) | {sum(g['n'] for g in gs)} | {sum(g['seconds'] for g in gs):.0f} |")
    timings = os.path.join(args.work, "timings.env")
    if os.path.exists(timings):
        wall = {}
        for line in open(timings):
            k, _, v = line.strip().partition("=")
            if v:
                wall[k] = wall.get(k, 0) + int(v)
        print("\nWall-clock seconds per phase (summed over slices): " + ", ".join(f"{k} {v}" for k, v in wall.items()) + ".")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("configs")
    c.add_argument("work")
    c.add_argument("--source", required=True)
    r = sub.add_parser("report")
    r.add_argument("work")
    r.add_argument("--out", required=True)
    u = sub.add_parser("rules")
    u.add_argument("work")
    args = ap.parse_args()
    {"configs": cmd_configs, "report": cmd_report, "rules": cmd_rules}[args.cmd](args)


if __name__ == "__main__":
    main()
