#!/usr/bin/env bash
# autopeft-mpi under mpirun -np 3 (rank 0 proposes, ranks 1 and 2 evaluate), on CPU:
#   mpi_search.sh AUTOPEFT_MPI AUTOPEFT WORK_DIR full     a whole small search; both workers got trials
#   mpi_search.sh AUTOPEFT_MPI AUTOPEFT WORK_DIR kill     rank 2 is killed (SIGKILL) midway: its trial
#                                                        is re-queued and the search finishes on rank 1
set -euo pipefail
mpi_bin=$1
bin=$2
work=$3
mode=$4
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
export OMP_NUM_THREADS=1 AUTOPEFT_CACHE_DIR="$work/cache" OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
"$bin" pretrain --config "$here/micro_recipe.json" --out "$work/backbone" --threads 1 > /dev/null 2> "$work/pretrain.log"

trials=8
# The silence after which rank 0 gives a worker up: short where a worker is killed (the test waits
# that long), long in the full run, where a live worker on a loaded machine (ctest -j, three ranks
# on two cores) can pause a few seconds between heartbeats.
timeout=$([ "$mode" = kill ] && echo 8 || echo 60)
args=(--backbone "$work/backbone" --store "$work/s.db" --study mpi --task wn_pos --trials $trials --initial 3 --batch 2
      --train-samples 600 --epochs 8 --max-seq-length 32 --retrain-seeds 1 --final-train-samples 200 --final-epochs 1
      --baseline-methods ia3 --lr-grid 1e-2 --threads 1 --report "$work/report.html" --worker-timeout "$timeout")
# Eight epochs keep each trial long enough (a second or more) for the kill to land mid-trial.
mpirun --oversubscribe --enable-recovery -np 3 "$mpi_bin" search "${args[@]}" > "$work/out.txt" 2> "$work/log.txt" &
launcher=$!
if [ "$mode" = kill ]; then
  killed=
  for _ in $(seq 1 1200); do
    if ! kill -0 "$launcher" 2> /dev/null; then break; fi
    if "$bin" status --store "$work/s.db" --study mpi 2> /dev/null | grep -Eq "trials: ([2-9]|[1-9][0-9]) complete, 0 failed, 2 running"; then
      # Only this run's rank 2: ctest may run the full mode beside this one, and its ranks are
      # also "autopeft-mpi search" processes; this run's store path is in their arguments.
      for p in $(pgrep -f "autopeft-mpi search .*--store $work/s.db" || true); do
        if tr '\0' '\n' < "/proc/$p/environ" 2> /dev/null | grep -qx "OMPI_COMM_WORLD_RANK=2"; then
          kill -9 "$p" && killed=$p
        fi
      done
      break
    fi
    sleep 0.1
  done
  [ -n "$killed" ] || { echo "could not kill rank 2 in the middle of a trial"; cat "$work/log.txt"; exit 1; }
fi
wait "$launcher" || { echo "mpirun failed:"; tail -30 "$work/log.txt"; exit 1; }
"$bin" status --store "$work/s.db" --study mpi --export "$work/trials.json" > /dev/null

python3 - "$work/trials.json" "$mode" "$trials" <<'PY'
import json, sys
trials = json.load(open(sys.argv[1]))["trials"]
mode, budget = sys.argv[2], int(sys.argv[3])
interrupted = [t for t in trials if t["state"] == "failed" and (t["error"] or "").startswith("interrupted")]
finished = [t for t in trials if t["state"] in ("complete", "failed") and t not in interrupted]
assert len(finished) == budget and all(t["state"] == "complete" for t in finished), [(t["number"], t["state"], t["error"]) for t in trials]
workers = {t["worker"] for t in finished}
if mode == "full":
    assert not interrupted, interrupted
    assert workers == {"rank 1", "rank 2"}, workers
else:
    assert len(interrupted) == 1 and "rank 2" in interrupted[0]["error"], interrupted
    r = interrupted[0]
    retry = [t for t in trials if t["retry_of"] == r["number"]]
    assert len(retry) == 1 and retry[0]["state"] == "complete" and retry[0]["worker"] == "rank 1", retry
    assert retry[0]["params"] == r["params"]
    later = [t for t in finished if t["number"] > r["number"]]
    assert later and all(t["worker"] == "rank 1" for t in later), [(t["number"], t["worker"]) for t in later]
print(f"mpi {mode}: {len(finished)} trials finished on {sorted(workers)}, {len(interrupted)} interrupted and re-run")
PY
grep -q "Pareto front of study \"mpi\"" "$work/out.txt"
test -s "$work/report.html"
echo "mpi $mode: ok"
