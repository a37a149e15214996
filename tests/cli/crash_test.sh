#!/usr/bin/env bash
# The crash test: a search is killed with SIGKILL at random moments, at least MIN_KILLS times
# (default 20), and resumed after each kill until it finishes. After every kill:
#   - the store passes `autopeft status --check` (SQLite's integrity_check and foreign_key_check);
#   - every trial that had finished before (complete or failed) is still there, unchanged
#     (compared field by field in the JSON export, timestamps included).
# At the end the study must equal an uninterrupted run with the same seed: the same trials in
# proposal order (configuration, seed, fidelity, objectives, final training loss, bit for bit)
# and so the same Pareto front. The search is multi-fidelity (two rungs), so promotions are
# killed and resumed too.
#
# The kill moments mix four kinds: a random delay after start (start-up, trials, bookkeeping), a
# random moment inside a MOBO proposal step (GP fit, qNEHVI, local search), the moment right
# after a trial's result was committed, and the final steps (front, report). The moments are
# drawn from CRASH_TEST_SEED (printed; set it to replay a run's schedule).
#   crash_test.sh AUTOPEFT_BINARY WORK_DIR [MIN_KILLS]
set -euo pipefail
bin=$1
work=$2
min_kills=${3:-20}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
export OMP_NUM_THREADS=1 AUTOPEFT_CACHE_DIR="$work/cache"

"$bin" pretrain --config "$here/micro_recipe.json" --out "$work/backbone" --threads 1 > /dev/null 2> "$work/pretrain.log"

python3 - "$bin" "$work" "$min_kills" <<'PY'
import collections, json, os, random, signal, subprocess, sys, time

bin, work, min_kills = sys.argv[1], sys.argv[2], int(sys.argv[3])
seed = int(os.environ.get("CRASH_TEST_SEED", random.SystemRandom().randrange(1 << 31)))
rng = random.Random(seed)
print(f"crash test: CRASH_TEST_SEED={seed}", flush=True)
budget = 24
settings = ["--backbone", f"{work}/backbone", "--study", "crash", "--task", "wn_pos", "--trials", str(budget),
            "--initial", "6", "--batch", "3", "--fidelities", "200x1,600x2", "--eta", "3",
            "--max-seq-length", "24", "--retrain-seeds", "0", "--baselines", "false", "--threads", "1", "--seed", "7"]

def fail(why):
    print(f"crash test FAILED (CRASH_TEST_SEED={seed}): {why}", flush=True)
    sys.exit(1)

def run(args, check=True):
    r = subprocess.run([bin] + args, capture_output=True, text=True)
    if check and r.returncode != 0:
        fail(f"autopeft {' '.join(args)} exited with {r.returncode}:\n{r.stderr}")
    return r

def export(store):
    """Checks the store's integrity (`status --check`), then returns the study's trials by
    number, or None while the store holds no study yet."""
    if not os.path.exists(store):
        return None
    r = run(["status", "--store", store, "--study", "crash", "--check", "--export", f"{work}/export.json"], check=False)
    if not r.stdout.startswith("integrity: ok"):
        fail(f"the store failed its integrity check:\n{r.stdout}{r.stderr}")
    if r.returncode != 0:
        if "no study named" in r.stderr:
            return None
        fail(f"status --export failed:\n{r.stderr}")
    return {t["number"]: t for t in json.load(open(f"{work}/export.json"))["trials"]}

def lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []

def logical_trials(trials):
    """The finished trials as an uninterrupted run holds them: interrupted attempts dropped,
    each re-run in the place of its original, without numbers, timestamps, worker or timings."""
    retried = {t["retry_of"] for t in trials.values() if t["retry_of"] is not None}
    def root(t):
        while t["retry_of"] is not None:
            t = trials[t["retry_of"]]
        return t["number"]
    order = [t for t in sorted(trials.values(), key=lambda t: (root(t), t["number"])) if t["number"] not in retried]
    place = {t["number"]: i for i, t in enumerate(order)}
    out = []
    for t in order:
        # Measurements of the machine (time per step, peak memory) differ between runs.
        extra = {k: v for k, v in t["extra"].items() if k not in ("step_seconds", "step_ms", "peak_memory_mb", "peak_memory_unavailable")}
        params = {"params": t["params"], "origin": t["origin"]}
        if t["source_trial"] is not None:  # a trial number, which interrupted attempts shift
            params["source"] = place[t["source_trial"]]
        out.append((t["state"], json.dumps(params, sort_keys=True), t["seed"], t["objectives"],
                    json.dumps(extra, sort_keys=True), t["error"], json.dumps(t.get("fidelity"), sort_keys=True)))
    return out

def front(store):
    f = json.loads(run(["pareto", "--store", store, "--study", "crash", "--format", "json"]).stdout)
    return sorted(json.dumps({k: v for k, v in p.items() if k != "trial"}, sort_keys=True) for p in f)

# 1. The uninterrupted reference run; its log timings set the kill schedule.
ref = f"{work}/reference.db"
log = open(f"{work}/reference.log", "w")
t0 = time.monotonic()
p = subprocess.Popen([bin, "search", "--store", ref, "--report", f"{work}/reference.html"] + settings,
                     stdout=log, stderr=log)
first_trial, proposals, proposing_since = None, [], None
while p.poll() is None:
    now = time.monotonic() - t0
    ls = lines(f"{work}/reference.log")
    if first_trial is None and any(l.startswith("[trial") for l in ls):
        first_trial = now
    if ls and "proposing" in ls[-1] and proposing_since is None:
        proposing_since = now
    if proposing_since is not None and ls and "proposing" not in ls[-1]:
        proposals.append(now - proposing_since)
        proposing_since = None
    time.sleep(0.01)
t_ref = time.monotonic() - t0
if p.returncode != 0:
    fail("the reference run failed:\n" + "\n".join(lines(f"{work}/reference.log")))
first_trial = first_trial or 1.0
t_proposal = max(0.05, sum(proposals) / len(proposals)) if proposals else 0.2
print(f"reference run: {t_ref:.1f} s, first trial after {first_trial:.1f} s, {len(proposals)} proposal steps "
      f"of {t_proposal:.2f} s on average", flush=True)
reference = export(ref)

# 2. The same search, killed and resumed until it finishes. Each attempt may progress about
# (trials left) / (kills still wanted) trials, so the kills spread over the whole search.
store = f"{work}/crashed.db"
per_trial = max(0.05, (t_ref - first_trial) / budget)
slack = 1.0
kills, phases, attempts = 0, collections.Counter(), 0
trials, finished_before = None, {}
def logical_finished(trials):
    retried = {t["retry_of"] for t in trials.values()}
    return sum(t["state"] in ("complete", "failed", "pruned") and t["number"] not in retried for t in trials.values())
while True:
    attempts += 1
    if attempts > 40 + 4 * min_kills:
        fail(f"no end after {attempts} attempts")
    left = budget - (logical_finished(trials) if trials else 0)
    window = slack * per_trial * max(left, 1) / max(min_kills + 4 - kills, 2)
    # However long an attempt waits, it is killed once it has finished `allowed` trials: so at
    # least min_kills kills happen before the budget is spent.
    allowed = max(1, left // max(min_kills + 4 - kills, 1))
    def progressed():
        return sum(1 for l in lines(alog) if l.startswith("[trial")) >= allowed
    alog = f"{work}/attempt-{attempts}.log"
    out = open(alog, "w")
    cmd = (["resume", "--store", store, "--study", "crash"] if trials is not None else
           ["search", "--store", store, "--report", f"{work}/crashed.html"] + settings)
    start = time.monotonic()
    seen_at = None
    p = subprocess.Popen([bin] + cmd, stdout=out, stderr=out)
    kind = attempts % 4
    proposed = sum(1 for t in (trials or {}).values() if t["retry_of"] is None)
    if kind == 2 and proposed >= budget:
        kind = 0  # no proposal step is left
    if kind in (0, 1):  # a random delay
        deadline = start + rng.uniform(0.05, first_trial + window)
        while p.poll() is None and time.monotonic() < deadline and not progressed():
            time.sleep(0.005)
    else:  # 2: inside a proposal step; 3: right after a trial's result was committed
        wait_for = "proposing" if kind == 2 else "[trial"
        while p.poll() is None and time.monotonic() - start < 4 * t_ref:
            ls = lines(alog)
            if any(wait_for in l for l in ls[-2:]):
                seen_at = time.monotonic()
                break
            if progressed():
                break
            time.sleep(0.002)
        if seen_at is not None:
            time.sleep(rng.uniform(0, t_proposal) if kind == 2 else rng.uniform(0, 0.01))
    if p.poll() is None:
        p.send_signal(signal.SIGKILL)
        p.wait()
        kills += 1
        done = False
    else:
        if p.returncode != 0:
            fail(f"attempt {attempts} exited with {p.returncode}:\n" + "\n".join(lines(alog)))
        done = True
    out.close()
    trials = export(store)
    if not done:
        ls = lines(alog)
        last = ls[-1] if ls else ""
        mine = f":{p.pid}"
        if trials is None:
            phase = "start-up, before the study existed"
        elif not any(l.startswith("study \"crash\"") for l in ls):
            phase = "start-up (loading the backbone, the data, the store)"
        elif "proposing" in last:
            phase = "during a MOBO proposal (GP fit, qNEHVI, local search)"
        elif logical_finished(trials) >= budget:
            phase = "after the search (front, report)"
        elif kind == 3 and seen_at is not None:
            phase = "just after a trial's result was committed"
        elif any(t["state"] == "running" and (t["worker"] or "").endswith(mine) for t in trials.values()):
            phase = "during a trial (training)"
        else:
            phase = "between trials (re-queueing, census, claim)"
        phases[phase] += 1
    for n, t in finished_before.items():
        if (trials or {}).get(n) != t:
            fail(f"finished trial {n} changed or vanished after attempt {attempts}:\nbefore {t}\nafter  {(trials or {}).get(n)}")
    finished = {n: t for n, t in (trials or {}).items() if t["state"] in ("complete", "failed", "pruned")}
    slack = 1.0 if len(finished) > len(finished_before) else slack * 1.5  # no progress: more time
    finished_before = finished
    if done:
        break
if kills < min_kills:
    fail(f"the search finished after only {kills} kills (want {min_kills})")

# 3. The killed study equals the uninterrupted one.
got, want = logical_trials(trials), logical_trials(reference)
if got != want:
    for i, (a, b) in enumerate(zip(got, want)):
        if a != b:
            fail(f"trial {i} in proposal order differs from the uninterrupted run:\n killed    {a}\n reference {b}")
    fail(f"{len(got)} trials after the kills, {len(want)} in the uninterrupted run")
if front(store) != front(ref):
    fail(f"the Pareto fronts differ:\n killed    {front(store)}\n reference {front(ref)}")
interrupted = sum(1 for t in trials.values() if (t["error"] or "").startswith("interrupted"))
print(f"crash test: {kills} SIGKILLs survived in {attempts} runs ({interrupted} trials interrupted and re-run); "
      f"the store passed integrity_check after each; no finished trial lost or changed; "
      f"{len(got)} trials and the front ({len(front(ref))} points) equal the uninterrupted run's", flush=True)
for phase, n in sorted(phases.items(), key=lambda kv: -kv[1]):
    print(f"  {n:3d} kills {phase}")
PY
echo "cli crash test: ok"
