#!/usr/bin/env bash
# Fault injection through the command line. Next to a store that holds a finished study, each
# fault below is met by `autopeft search` (or `resume`), and each must give a clear error that
# names the file (exit status 1, no crash, no signal), while the store passes `status --check`
# and the finished study is unchanged:
#   - a corrupted backbone checkpoint: model.safetensors truncated, its header bit-flipped, a
#     bit flipped in its tensor data; config.json truncated, bit-flipped, missing;
#   - an unreadable dataset: train.tsv missing, a directory, binary garbage, empty; dev.tsv
#     unreadable (a directory);
#   - a full disk under the store (a 1 MiB tmpfs, when this machine lets us mount one): the
#     search stops with "the disk is full" naming the store; with space freed the store passes
#     its check and `resume` finishes the study with every finished trial kept;
#   - an unknown extra objective, and a resume with other objectives than the study's.
# Prints one line per fault with its outcome.
#   fault_inputs.sh AUTOPEFT_BINARY WORK_DIR
set -euo pipefail
bin=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
export OMP_NUM_THREADS=1 AUTOPEFT_CACHE_DIR="$work/cache"
faults=0

"$bin" pretrain --config "$here/micro_recipe.json" --out "$work/backbone" --threads 1 > /dev/null 2> "$work/pretrain.log"
small=(--task wn_pos --initial 2 --batch 2 --train-samples 200 --epochs 1 --max-seq-length 24 --retrain-seeds 0
       --baselines false --threads 1 --seed 3)
"$bin" search --backbone "$work/backbone" --store "$work/s.db" --study good --trials 4 "${small[@]}" \
  > /dev/null 2> "$work/good.log"
"$bin" status --store "$work/s.db" --study good --export "$work/good.json" > /dev/null

# Runs `autopeft ARGS...`, which must fail with status 1 and a message matching each further
# pattern; then the store must be sound and the finished study unchanged.
expect_error() {
  local name=$1 patterns=$2
  shift 2
  local rc=0
  "$bin" "$@" > "$work/fault.out" 2> "$work/fault.log" || rc=$?
  if [ "$rc" != 1 ]; then
    echo "fault '$name': exit status $rc, expected 1 (a clear error, not a crash):"; cat "$work/fault.log"; exit 1
  fi
  local IFS='|'
  for p in $patterns; do
    if ! grep -q -- "$p" "$work/fault.log"; then
      echo "fault '$name': the error does not say '$p':"; cat "$work/fault.log"; exit 1
    fi
  done
  "$bin" status --store "$work/s.db" --check --study good --export "$work/now.json" > "$work/check.out" ||
    { echo "fault '$name': the store fails its check:"; cat "$work/check.out"; exit 1; }
  cmp -s "$work/good.json" "$work/now.json" || { echo "fault '$name': the finished study changed"; exit 1; }
  "$bin" status --store "$work/s.db" > "$work/studies.out"
  if [ "$(grep -c '^study "' "$work/studies.out")" != 1 ]; then
    echo "fault '$name': the failed run left a study behind:"; cat "$work/studies.out"; exit 1
  fi
  faults=$((faults + 1))
  echo "fault $faults, $name: $(head -c 300 "$work/fault.log" | tr '\n' ' ')"
}

# --- corrupted checkpoints ---------------------------------------------------------------------
# Twice: as `autopeft pretrain` writes a backbone (autopeft.json lists each file's size and
# CRC-32, so the damage is found before parsing), and as an older directory without that list
# (the parsers of safetensors and config.json meet the damage themselves).
st="$work/bad/model.safetensors"
search_bad=(search --backbone "$work/bad" --store "$work/s.db" --study bad --trials 4 "${small[@]}")
for listed in yes no; do
  corrupt_copy() {  # a fresh copy of the backbone to damage
    rm -rf "$work/bad"
    cp -r "$work/backbone" "$work/bad"
    if [ "$listed" = no ]; then
      python3 -c 'import json,sys; p=sys.argv[1]; j=json.load(open(p)); j.pop("files"); json.dump(j, open(p, "w"))' \
        "$work/bad/autopeft.json"
    fi
  }
  how="files listed: $listed"
  corrupt_copy; truncate -s $(($(stat -c %s "$work/backbone/model.safetensors") / 2)) "$st"
  expect_error "model.safetensors truncated to half ($how)" "model.safetensors" "${search_bad[@]}"
  corrupt_copy; truncate -s 5 "$st"
  expect_error "model.safetensors truncated to 5 bytes ($how)" "model.safetensors" "${search_bad[@]}"
  corrupt_copy; printf '\x7b' | dd of="$st" bs=1 seek=12 conv=notrunc status=none  # inside the JSON header
  expect_error "model.safetensors header byte flipped ($how)" "model.safetensors" "${search_bad[@]}"
  corrupt_copy; printf '\xff\xff\xff\xff' | dd of="$st" bs=1 seek=3 conv=notrunc status=none  # header length
  expect_error "model.safetensors header length flipped ($how)" "model.safetensors" "${search_bad[@]}"
  corrupt_copy; truncate -s 20 "$work/bad/config.json"
  expect_error "config.json truncated ($how)" "config.json" "${search_bad[@]}"
  corrupt_copy; sed -i 's/"hidden_size": *32/"hidden_size": 3\x02/' "$work/bad/config.json"
  expect_error "config.json bit-flipped ($how)" "config.json" "${search_bad[@]}"
  corrupt_copy; rm "$work/bad/config.json"
  expect_error "config.json missing ($how)" "config.json" "${search_bad[@]}"
done
# A bit flipped in the tensor data parses fine: only the listed CRC-32 can tell.
corrupt_copy() { rm -rf "$work/bad"; cp -r "$work/backbone" "$work/bad"; }
corrupt_copy; size=$(stat -c %s "$st")
printf '\xff\xff\xff\x7f' | dd of="$st" bs=1 seek=$((size - 4096)) conv=notrunc status=none
expect_error "model.safetensors tensor data bit-flipped" "model.safetensors|is damaged" "${search_bad[@]}"

# --- unreadable datasets ------------------------------------------------------------------------
glue=(search --backbone "$work/backbone" --store "$work/s.db" --study glue --task sst2 --data-dir "$work/sst2"
      --trials 2 --initial 2 --batch 2 --train-samples 50 --epochs 1 --max-seq-length 24 --retrain-seeds 0
      --baselines false --threads 1)
fresh_glue() {
  rm -rf "$work/sst2"
  mkdir -p "$work/sst2"
  printf 'sentence\tlabel\na fine film\t1\na dull film\t0\n' > "$work/sst2/train.tsv"
  cp "$work/sst2/train.tsv" "$work/sst2/dev.tsv"
}
fresh_glue; rm "$work/sst2/train.tsv"
expect_error "train.tsv missing" "train.tsv" "${glue[@]}"
fresh_glue; rm "$work/sst2/train.tsv"; mkdir "$work/sst2/train.tsv"
expect_error "train.tsv is a directory" "train.tsv" "${glue[@]}"
fresh_glue; head -c 4096 /dev/urandom > "$work/sst2/train.tsv"
expect_error "train.tsv is binary garbage" "train.tsv" "${glue[@]}"
fresh_glue; : > "$work/sst2/train.tsv"
expect_error "train.tsv is empty" "train.tsv" "${glue[@]}"
fresh_glue; rm "$work/sst2/dev.tsv"; mkdir "$work/sst2/dev.tsv"
expect_error "dev.tsv is a directory" "dev.tsv" "${glue[@]}"

# --- a full disk under the store ----------------------------------------------------------------
mkdir -p "$work/disk"
if mount -t tmpfs -o size=1m tmpfs "$work/disk" 2> /dev/null; then
  trap 'umount "$work/disk" 2> /dev/null || true' EXIT
  "$bin" search --backbone "$work/backbone" --store "$work/disk/d.db" --study d --trials 3 "${small[@]}" \
    > /dev/null 2> "$work/d.log"
  "$bin" status --store "$work/disk/d.db" --study d --export "$work/d-before.json" > /dev/null
  # Leave less room than the next trials need (the -shm file takes 32 KiB of it).
  avail=$(($(stat -f -c '%a*%S' "$work/disk")))
  head -c $((avail - 48 * 1024)) /dev/zero > "$work/disk/filler" 2> /dev/null || true
  rc=0
  "$bin" resume --store "$work/disk/d.db" --study d --trials 40 > /dev/null 2> "$work/full.log" || rc=$?
  if [ "$rc" != 1 ] || ! grep -q "disk is full" "$work/full.log" || ! grep -q "d.db" "$work/full.log"; then
    echo "full disk: status $rc, expected 1 and a message naming the store and the full disk:"; cat "$work/full.log"; exit 1
  fi
  rm "$work/disk/filler"
  "$bin" status --store "$work/disk/d.db" --check > /dev/null
  "$bin" resume --store "$work/disk/d.db" --study d --trials 8 > /dev/null 2> "$work/after-full.log" ||
    { echo "resume after the full disk failed:"; cat "$work/after-full.log"; exit 1; }
  "$bin" status --store "$work/disk/d.db" --check --study d --export "$work/d-after.json" > /dev/null
  python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
before = [t for t in json.load(open(f"{work}/d-before.json"))["trials"] if t["state"] == "complete"]
after = {t["number"]: t for t in json.load(open(f"{work}/d-after.json"))["trials"]}
for t in before:
    assert after[t["number"]] == t, ("a finished trial changed after the full disk", t, after[t["number"]])
retried = {t["retry_of"] for t in after.values()}
done = [t for t in after.values() if t["state"] == "complete" and t["number"] not in retried]
assert len(done) == 8, len(done)
PY
  faults=$((faults + 1))
  echo "fault $faults, full disk (tmpfs): $(grep -o 'autopeft resume: .*' "$work/full.log" | head -c 300)"
  umount "$work/disk"
  trap - EXIT
else
  echo "full disk: skipped (cannot mount a tmpfs here; the [faults] unit test covers it with a size cap)"
fi
# --- extra objectives -------------------------------------------------------------------------
# An unknown name is refused before anything is created; a study with step_ms runs end to end
# with it as its third objective, and resuming it with other objectives is refused.
expect_error "objectives: unknown name" "setting 'objectives'|'latency'|step_ms, peak_memory_mb" \
  search --backbone "$work/backbone" --store "$work/s.db" --study x --trials 2 --objectives latency "${small[@]}"
expect_error "resume with other objectives" "keeps its objectives|step_ms" resume --store "$work/s.db" --study good --objectives step_ms
"$bin" search --backbone "$work/backbone" --store "$work/x.db" --study fast --trials 4 --objectives step_ms "${small[@]}" \
  > "$work/x.out" 2> "$work/x.log" || { echo "a search with --objectives step_ms failed:"; cat "$work/x.log"; exit 1; }
"$bin" pareto --store "$work/x.db" --format json > "$work/x.json"
python3 - "$work/x.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
assert rows and all(r["step_ms"] > 0 and "params_pct" in r for r in rows), rows
PY
rc=0
"$bin" resume --store "$work/x.db" --objectives peak_memory_mb > /dev/null 2> "$work/x-resume.log" || rc=$?
if [ "$rc" != 1 ] || ! grep -q "keeps its objectives" "$work/x-resume.log"; then
  echo "resuming a step_ms study with peak_memory_mb: status $rc, expected 1 and a refusal:"; cat "$work/x-resume.log"; exit 1
fi
echo "extra objectives: a study with step_ms ran ($(grep -c . "$work/x.json") lines of Pareto JSON); other objectives on resume refused: ok"

echo "cli fault injection: $faults faults, each a clear error, the store sound: ok"
