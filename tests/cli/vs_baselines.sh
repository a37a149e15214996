#!/usr/bin/env bash
# The AutoPEFT-against-baselines experiment (bench/autopeft_vs_baselines.sh) end to end on the
# CPU, at a toy budget on a micro backbone: the same programs and steps as on the GPU. Checks:
#   - every method and configuration ran with every seed, on the right tasks (own front, and the
#     source task's front on the other task), and nothing twice;
#   - fair rates: each method has one probe per rate of LR_GRID and probe seed (LR_SEEDS) and its
#     reported runs use the rate whose probes were best on dev in the mean; every run records its
#     task's majority-class rate;
#   - parameter counts: full fine-tuning is 100 %, LoRA r=8 and the Pfeiffer adapter have their
#     closed-form counts, and a re-trained configuration has the % parameters its search trial had;
#   - a run depends on its seed alone: runs removed from a file and done again give the same metric;
#   - resumption: an unfinished last line is dropped, finished runs are not repeated;
#   - the report prints the tables and the verdict, and writes one SVG per task;
#   - bad input gets an error that names it.
#   vs_baselines.sh AUTOPEFT_BINARY AUTOPEFT_VS_BASELINES_BINARY WORK_DIR
set -euo pipefail
cli=$1
vs=$2
work=$3
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
rm -rf "$work"
mkdir -p "$work/bin/examples" "$work/run"
export OMP_NUM_THREADS=1 AUTOPEFT_CACHE_DIR="$work/cache"
ln -s "$cli" "$work/bin/examples/autopeft"
ln -s "$vs" "$work/bin/examples/autopeft_vs_baselines"

"$cli" pretrain --config "$here/micro_recipe.json" --out "$work/backbone" --threads 1 > /dev/null 2> "$work/pretrain.log"

touch "$work/run/build.done"  # the binaries under test, not a build of the script's own
settings=(BUILD_DIR="$work/bin" BACKBONE="$work/backbone" DEVICE=cpu TASKS="wn_pos fortune_category" SOURCE=wn_pos
          TRIALS=6 INITIAL=4 BATCH=2 FIDELITIES=100x1,200x1 INITIAL_AT_TOP=true SF_TRIALS=4 SEARCH_SAMPLES=200 SEARCH_EPOCHS=1
          FINAL_SAMPLES=150 FINAL_EPOCHS=1 SEEDS=2 SHARDS=2 SEARCH_SHARDS=2 MAX_SEQ=32 LR_GRID=0.0003,0.003,1e30 LR_SEEDS=0,7)
env "${settings[@]}" bash "$repo/bench/autopeft_vs_baselines.sh" "$work/run" > "$work/pipeline.log" 2>&1 ||
  { echo "the pipeline failed:"; cat "$work/pipeline.log"; tail -5 "$work"/run/logs/*; exit 1; }

python3 - "$work" <<'PY'
import glob, json, os, sys
work = sys.argv[1]
run = os.path.join(work, "run")
cfg = json.load(open(os.path.join(work, "backbone", "config.json")))
H, L = cfg["hidden_size"], cfg["num_hidden_layers"]
lines = [json.loads(l) for p in sorted(glob.glob(f"{run}/runs/*.jsonl")) for l in open(p)]
probes = [r for r in lines if r["kind"] == "lr_probe"]
lines = [r for r in lines if r["kind"] != "lr_probe"]
keys = [(r["task"], r["label"], r["seed"]) for r in lines]
assert len(keys) == len(set(keys)), "a run was done twice"
pkeys = [(r["task"], r["label"], r["learning_rate"], r["seed"]) for r in probes]
assert len(pkeys) == len(set(pkeys)), "a probe was done twice"
assert {r["seed"] for r in probes} == {0, 7}, "probes use the seeds of LR_SEEDS"
for r in lines + probes:
    assert 0 < r["majority_rate"] < 1, r
methods = ["lora8", "lora16", "pfeiffer", "parallel", "prefix", "mam", "unipelt", "ia3", "bitfit", "full"]
tasks = ["wn_pos", "fortune_category"]
grid = (0.0003, 0.003, 1e30)
diverged = [r for r in probes if r["best_metric"] is None]
assert diverged and all(r["learning_rate"] == 1e30 and "diverged" in r["diverged"] for r in diverged), diverged
for t in tasks:
    for m in methods:
        for s in (1, 2):
            assert (t, m, s) in keys, f"baseline {m} seed {s} on {t} missing"
        mine = {}
        for r in probes:
            if (r["task"], r["label"]) == (t, m):
                mine.setdefault(r["learning_rate"], []).append(r["best_metric"])
        assert sorted(mine) == sorted(grid) and all(len(v) == 2 for v in mine.values()), (t, m, mine)
        ok = [lr for lr in grid if None not in mine[lr]]  # a diverged probe's rate is never chosen
        best = max(ok, key=lambda lr: (sum(mine[lr]) / 2, -grid.index(lr)))
        for r in lines:
            if (r["task"], r["label"], r["kind"]) == (t, m, "baseline"):
                assert r["learning_rate"] == best and r["lr_grid"] == list(grid), (t, m, r["learning_rate"], mine)
                assert r["lr_probe_seeds"] == [0, 7], r
configs = [json.loads(l) for l in open(f"{run}/configs.jsonl")]
studies = tasks + [f"{t}-paper" for t in tasks]  # the default and the paper's space
fronts = {s: json.load(open(f"{run}/fronts/{s}.json")) for s in studies}
assert all(fronts.values()), "every study has a front"
assert not os.path.exists(f"{run}/fronts/wn_pos-sf.json"), "the single-fidelity study is not re-trained"
assert os.path.exists(f"{run}/fronts/wn_pos-sf-trials.json")
assert len(configs) == sum(map(len, fronts.values())) + len(fronts["wn_pos"]), "configs: own fronts + wn_pos's on fortune_category"
trials = json.load(open(f"{run}/fronts/wn_pos-trials.json"))["trials"]
assert {(t.get("fidelity") or {}).get("level", 0) for t in trials if t["state"] == "complete"} == {0, 1}, "two rungs"
# INITIAL_AT_TOP: the hand-designed initial configurations (the first ones) run at the top rung.
anchors = [t for t in trials if t["origin"] == "initial"][:2]
assert [t["fidelity"]["level"] for t in anchors] == [1, 1], [t["fidelity"] for t in anchors]
assert anchors[0]["params"]["lora_r"] > 0, anchors[0]["params"]  # LoRA r=8's nearest configuration first
for c in configs:
    for s in (1, 2):
        assert (c["task"], c["label"], s) in keys, f"{c['label']} seed {s} on {c['task']} missing"
by = {(r["task"], r["label"], r["seed"]): r for r in lines}
# Counts.
for t in tasks:
    full = by[(t, "full", 1)]
    assert abs(full["params_pct"] - 100.0) < 1e-9, full["params_pct"]
    assert by[(t, "lora8", 1)]["peft_parameters"] == L * 2 * 8 * 2 * H
    b = max(1, H // 16)
    assert by[(t, "pfeiffer", 1)]["peft_parameters"] == L * (H * b + b + b * H + H)
# A re-trained configuration costs what its search trial cost.
for study in studies:
    t = study.removesuffix("-paper")
    for row in fronts[study]:
        r = by[(t, f"{study}#{row['trial']}", 1)]
        assert abs(r["params_pct"] - row["params_pct"]) < 1e-9, (r["params_pct"], row["params_pct"])
print(f"{len(lines)} runs and {len(probes)} rate probes, counts, coverage and rates ok")
PY

# Determinism and resumption: drop the last three runs of a file, leave half a line behind,
# run that shard again.
f=$work/run/runs/baselines-1.jsonl
head -n -3 "$f" > "$work/kept.jsonl"
tail -n 3 "$f" > "$work/dropped.jsonl"
cp "$work/kept.jsonl" "$f"
printf '{"task": "wn_pos", "label": "lora' >> "$f"
"$vs" --backbone "$work/backbone" --device cpu --threads 1 --max-seq-length 32 --seeds 2 --train-samples 150 --epochs 1 \
  --tasks wn_pos,fortune_category --methods all --shard 1/2 --lr-grid 0.0003,0.003,1e30 --lr-seed 0,7 --lr-runs "$work/run/runs" --out "$f" \
  2> "$work/redo.log"
grep -q "dropping an unfinished last line" "$work/redo.log" || { cat "$work/redo.log"; exit 1; }
grep -q "3 of them still to do" "$work/redo.log" || { cat "$work/redo.log"; exit 1; }
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
now = [json.loads(l) for l in open(f"{work}/run/runs/baselines-1.jsonl")]
kept = [json.loads(l) for l in open(f"{work}/kept.jsonl")]
dropped = [json.loads(l) for l in open(f"{work}/dropped.jsonl")]
assert now[:len(kept)] == kept, "finished runs changed"
redone = now[len(kept):]
assert len(redone) == 3, len(redone)
for a, b in zip(dropped, redone):
    assert (a["task"], a["label"], a["seed"]) == (b["task"], b["label"], b["seed"])
    assert a["best_metric"] == b["best_metric"] and a["params_pct"] == b["params_pct"], (a, b)
print("resumed: 3 runs redone with the same results")
PY

python3 "$repo/bench/autopeft_vs_baselines.py" report "$work/run" --out "$work/plots" > "$work/report.md"
grep -q "Does the AutoPEFT front dominate every baseline" "$work/report.md"
# The at-chance column counts the baselines within two standard errors of the majority rate.
python3 - "$work" <<'PY'
import glob, json, math, statistics, sys
work = sys.argv[1]
runs = [json.loads(l) for p in glob.glob(f"{work}/run/runs/*.jsonl") for l in open(p)]
report = open(f"{work}/report.md").read()
for t in ("wn_pos", "fortune_category"):
    chance = 0
    for m in {r["label"] for r in runs if r["task"] == t and r["kind"] == "baseline"}:
        v = [r["best_metric"] for r in runs if (r["task"], r["label"], r["kind"]) == (t, m, "baseline")]
        maj = next(r["majority_rate"] for r in runs if r["task"] == t)
        chance += statistics.fmean(v) - maj <= 2 * max(statistics.stdev(v) / math.sqrt(len(v)), 1e-12)
    assert f"| {t} | 10 | {chance} |" in report, (t, chance)
print("at-chance counts ok")
PY
python3 "$repo/bench/autopeft_vs_baselines.py" rules "$work/run" > "$work/rules.md" || true
grep -q "^| wn_pos | 0\.[0-9]* |" "$work/rules.md" || { cat "$work/rules.md"; exit 1; }
grep -q "tasks pass both rules" "$work/rules.md" || { cat "$work/rules.md"; exit 1; }
grep -q "^| wn_pos | 10 |" "$work/report.md"
grep -q "^| fortune_category | 10 |" "$work/report.md"
grep -q "Configurations of wn_pos on fortune_category" "$work/report.md"
grep -q "^| wn_pos | 6 | [0-9]* | [0-9.]* | 4 |" "$work/report.md" || { grep -A6 "multi-fidelity against" "$work/report.md"; exit 1; }
python3 -c "import sys, xml.dom.minidom as m; [m.parse(p) for p in sys.argv[1:]]" "$work/plots/wn_pos.svg" "$work/plots/fortune_category.svg" \
  "$work/plots/wn_pos-hv.svg"
# The hypervolume curve against a brute-force oracle: the area dominated by the points, by grid counting.
python3 - "$repo" <<'PY'
import random, sys
sys.path.insert(0, f"{sys.argv[1]}/bench")
from autopeft_vs_baselines import hypervolume_2d
rng = random.Random(3)
for _ in range(20):
    pts = [(rng.randint(0, 20) / 20, rng.randint(0, 26)) for _ in range(rng.randint(1, 6))]
    area = sum(1 for i in range(26) for j in range(20)  # unit cells [i, i+1] x [j/20, (j+1)/20]
               if any(p <= i and m >= (j + 1) / 20 for m, p in pts)) / 20
    assert abs(hypervolume_2d(pts, 0.0, 26.0) - area) < 1e-9, (pts, hypervolume_2d(pts, 0.0, 26.0), area)
print("hypervolume_2d equals the grid count")
PY

# Bad input.
expect_error() {  # expect_error PATTERN ARGS...: exit status 1 and PATTERN on stderr
  local pattern=$1; shift
  if "$vs" --backbone "$work/backbone" --out "$work/bad.jsonl" "$@" 2> "$work/err.log"; then
    echo "no error for: $*"; exit 1
  fi
  grep -q -- "$pattern" "$work/err.log" || { echo "expected '$pattern' for: $*"; cat "$work/err.log"; exit 1; }
}
expect_error "unknown hand-designed method 'houlsby'" --methods houlsby
expect_error "shard '3/2'" --shard 3/2
expect_error "lr-grid: every rate must be positive" --lr-grid 0.001,-1
expect_error "lr-seed 2 is one of the reported seeds" --lr-grid 0.001 --lr-seed 2 --seeds 3
expect_error "lr-seed 7 is one of the reported seeds" --lr-grid 0.001 --lr-seed 0,7 --seeds 8
expect_error "lr-seed: a seed is repeated" --lr-grid 0.001 --lr-seed 0,0
printf '{"label": "x", "params": {"sa": 3}}\nnot json\n' > "$work/bad-configs.jsonl"
expect_error "bad-configs.jsonl:2: not valid JSON" --methods none --configs "$work/bad-configs.jsonl"
echo '{"params": {}}' > "$work/bad-configs.jsonl"
expect_error 'bad-configs.jsonl:1: expected {"label"' --methods none --configs "$work/bad-configs.jsonl"
echo "oops" > "$work/bad.jsonl"
expect_error "bad.jsonl:1: not a run record" --methods lora8 --tasks wn_pos
echo "vs_baselines: ok"
