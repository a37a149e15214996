#!/usr/bin/env bash
# Trials per hour of one study with 1 and with 2 GPU workers (autopeft-mpi), on a machine with two
# GPUs. Builds autopeft-mpi and autopeft against the machine's LibTorch (CUDA) with the Debian
# dependencies that ../shared/tools/gpu-deps.sh unpacked into .gpu-deps/, then evaluates the
# same fixed set of configurations (the study's Sobol design, same seeds) with 1 worker and with
# 2, and prints trials/hour and the ratio. While the searches run, nvidia-smi records which
# process computes on which GPU. With DIAG=1 it also runs two independent single-process
# searches at once (one per GPU, no MPI) against one alone, to tell a cost of sharing the host
# from a cost of the coordination.
#   bash bench/mpi_gpu_scaling.sh OUT_DIR BACKBONE_DIR [TRIALS=16]
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1
backbone=$2
trials=${3:-16}
mkdir -p "$out"
deps=$PWD/.gpu-deps/usr
export LD_LIBRARY_PATH=$deps/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
# The embedded benchmark reads WordNet and fortunes where Debian installs them.
[ -e /usr/share/wordnet ] || ln -sfn "$deps/share/wordnet" /usr/share/wordnet
mkdir -p /usr/share/games
[ -e /usr/share/games/fortunes ] || ln -sfn "$deps/share/games/fortunes" /usr/share/games/fortunes
torch_prefix=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
cmake -S . -B build-gpu -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$deps" -DCMAKE_LIBRARY_PATH="$deps/lib/x86_64-linux-gnu" \
  -DCMAKE_INCLUDE_PATH="$deps/include" -DAUTOPEFT_BUILD_TESTS=OFF > "$out/configure.log" 2>&1 ||
  { tail -30 "$out/configure.log"; exit 1; }
cmake --build build-gpu -j "$(nproc)" --target autopeft_mpi autopeft_cli > "$out/build.log" 2>&1 ||
  { grep -E "error" -A3 "$out/build.log" | head -30; exit 1; }
nvidia-smi --query-gpu=index,name --format=csv,noheader
nproc
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
common=(--backbone "$backbone" --task wn_pos --trials "$trials" --initial "$trials" --train-samples 4000 --epochs 2
        --baselines false --retrain-seeds 0 --device cuda --threads 4 --seed 1)
nvidia-smi --query-compute-apps=timestamp,pid,gpu_uuid,used_memory --format=csv,noheader -lms 500 > "$out/gpu_apps.log" 2>&1 &
smi=$!
trap 'kill $smi 2>/dev/null || true' EXIT
for w in 1 2; do
  # --bind-to none: OpenMPI otherwise binds each rank to one core when it starts 2 ranks, and to a
  # socket when it starts more, so the two runs would not get the same host.
  mpirun --oversubscribe --enable-recovery --bind-to none -np $((w + 1)) build-gpu/examples/autopeft-mpi search \
    "${common[@]}" --store "$out/workers$w.db" --study scaling > "$out/workers$w.out" 2> "$out/workers$w.log" ||
    { tail -20 "$out/workers$w.log"; exit 1; }
  grep "^search:" "$out/workers$w.log"
  build-gpu/examples/autopeft status --store "$out/workers$w.db" --export "$out/workers$w.json" > /dev/null
done
if [ "${DIAG:-0}" = 1 ]; then
  solo() {  # GPU, store
    CUDA_VISIBLE_DEVICES=$1 build-gpu/examples/autopeft search "${common[@]}" --store "$2" --study solo > "$2.out" 2> "$2.log"
    build-gpu/examples/autopeft status --store "$2" --export "$2.json" > /dev/null
  }
  solo 0 "$out/alone.db"
  solo 0 "$out/pair0.db" & p0=$!
  solo 1 "$out/pair1.db" & p1=$!
  wait $p0 $p1
fi
kill $smi 2>/dev/null || true
python3 - "$out" "${DIAG:-0}" <<'PY'
import json, re, sys
from datetime import datetime
out, diag = sys.argv[1], sys.argv[2] == "1"
def trials(path):
    t = json.load(open(path))
    t = t["trials"] if isinstance(t, dict) and "trials" in t else t
    return [x for x in t if x.get("state") == "complete"]
def span(ts):
    fmt = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))
    starts = [fmt(x["started"]) for x in ts if x.get("started")]
    ends = [fmt(x["finished"]) for x in ts if x.get("finished")]
    return (max(ends) - min(starts)).total_seconds() if starts and ends else float("nan")
rate = {}
for w in (1, 2):
    line = [l for l in open(f"{out}/workers{w}.log") if l.startswith("search:")][-1]
    done, secs = int(re.search(r"(\d+) complete", line).group(1)), float(re.search(r"; (\d+) s$", line.strip()).group(1))
    ts = trials(f"{out}/workers{w}.json")
    busy = sum((x.get("duration_s") or 0) for x in ts)
    rate[w] = done / secs * 3600
    print(f"{w} GPU worker(s): {done} trials in {secs:.0f} s = {rate[w]:.0f} trials/hour; "
          f"sum of trial durations {busy:.1f} s; first start -> last finish {span(ts):.1f} s")
print(f"ratio 2 GPUs / 1 GPU = {rate[2] / rate[1]:.2f}")
if diag:
    for name in ("alone", "pair0", "pair1"):
        ts = trials(f"{out}/{name}.db.json")
        print(f"single process {name}: {len(ts)} trials, sum of durations {sum(x.get('seconds', 0) for x in ts):.1f} s, "
              f"span {span(ts):.1f} s")
pids = {}
for line in open(f"{out}/gpu_apps.log"):
    parts = [p.strip() for p in line.split(",")]
    if len(parts) >= 3 and parts[1].isdigit():
        pids.setdefault(parts[1], set()).add(parts[2][-8:])
print("processes seen computing, by GPU (uuid tail):", {p: sorted(g) for p, g in pids.items()})
PY
