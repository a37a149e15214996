#!/usr/bin/env bash
# The acceptance test of crash safety through the command line: `autopeft search` is killed
# with SIGKILL while a trial runs; `autopeft resume` then completes the study, and every trial
# that had finished before the kill is unchanged (params, objectives, timestamps). Then the
# front, the report and the exports are checked.
#   kill_resume.sh AUTOPEFT_BINARY WORK_DIR
set -euo pipefail
bin=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
export OMP_NUM_THREADS=1 AUTOPEFT_CACHE_DIR="$work/cache"

"$bin" pretrain --config "$here/micro_recipe.json" --out "$work/backbone" --threads 1 > /dev/null 2> "$work/pretrain.log"

args=(--backbone "$work/backbone" --store "$work/s.db" --study killed --task wn_pos --trials 10 --initial 4 --batch 2
      --train-samples 600 --epochs 4 --max-seq-length 32 --retrain-seeds 2 --final-train-samples 200 --final-epochs 1
      --threads 1 --report "$work/report.html")
# The kill races the trial: it may finish between the status read and the signal, leaving no
# running trial to interrupt. Such an attempt starts over on a fresh store; at most 5 tries.
caught=0
for attempt in 1 2 3 4 5; do
  rm -f "$work/s.db" "$work/s.db-wal" "$work/s.db-shm"
  "$bin" search "${args[@]}" > "$work/search.out" 2> "$work/search.log" &
  pid=$!
  killed=0
  for _ in $(seq 1 1200); do
    if ! kill -0 "$pid" 2> /dev/null; then break; fi
    if "$bin" status --store "$work/s.db" --study killed 2> /dev/null |
        grep -Eq "trials: ([3-9]|[1-9][0-9]) complete, 0 failed, 1 running"; then
      kill -9 "$pid"
      killed=1
      break
    fi
    sleep 0.1
  done
  wait "$pid" || true
  if [ "$killed" != 1 ]; then
    echo "the search ended before it could be killed mid-trial:"; cat "$work/search.log"; exit 1
  fi
  "$bin" status --store "$work/s.db" --study killed --export "$work/before.json" > /dev/null
  if python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["trials"]; sys.exit(0 if any(x["state"]=="running" for x in t) else 1)' "$work/before.json"; then
    caught=1; break
  fi
  echo "attempt $attempt: the trial finished before the kill landed; trying again"
done
[ "$caught" = 1 ] || { echo "5 kills in a row landed between trials"; exit 1; }
"$bin" resume --store "$work/s.db" --study killed > "$work/resume.out" 2> "$work/resume.log" ||
  { echo "resume failed:"; cat "$work/resume.log"; exit 1; }
"$bin" status --store "$work/s.db" --study killed --export "$work/after.json" > /dev/null
"$bin" status --store "$work/s.db" --study killed --export "$work/after.csv" > /dev/null

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
before = json.load(open(f"{work}/before.json"))["trials"]
after = {t["number"]: t for t in json.load(open(f"{work}/after.json"))["trials"]}
done = [t for t in before if t["state"] == "complete"]
running = [t for t in before if t["state"] == "running"]
assert len(done) >= 3 and len(running) == 1, (len(done), len(running))
for t in done:
    assert after[t["number"]] == t, ("a finished trial changed", t, after[t["number"]])
r = after[running[0]["number"]]
assert r["state"] == "failed" and r["error"].startswith("interrupted"), r
retries = [t for t in after.values() if t["retry_of"] == r["number"]]
assert len(retries) == 1 and retries[0]["state"] == "complete" and retries[0]["params"] == r["params"], retries
finished = [t for t in after.values() if t["state"] in ("complete", "failed") and t is not r]
assert len(finished) == 10, len(finished)
assert all(t["state"] == "complete" for t in finished), [t["error"] for t in finished if t["state"] != "complete"]
print(f"kill/resume: {len(done)} finished trials intact, trial {r['number']} interrupted and re-run, 10 trials finished")
PY
grep -q "Pareto front of study \"killed\"" "$work/resume.out"
grep -q "re-trained" "$work/resume.out"
test -s "$work/report.html"
grep -q "<svg" "$work/report.html"
test "$(wc -l < "$work/after.csv")" -ge 12
# A second search under the same name is refused with the way forward.
if "$bin" search "${args[@]}" > /dev/null 2> "$work/again.log"; then echo "a duplicate study was accepted"; exit 1; fi
grep -q "autopeft resume" "$work/again.log"
"$bin" pareto --store "$work/s.db" --format json | python3 -c 'import json,sys; f=json.load(sys.stdin); assert f and all("retrained" in r for r in f), f'
# A config file with a misspelt setting is refused, naming the file and the setting.
echo '{"task": "wn_pos", "trails": 5}' > "$work/bad.json"
if "$bin" search --config "$work/bad.json" --store "$work/other.db" > /dev/null 2> "$work/bad.log"; then
  echo "a bad config was accepted"; exit 1
fi
grep -q "bad.json: unknown setting 'trails'" "$work/bad.log"
echo "cli kill/resume: ok"
