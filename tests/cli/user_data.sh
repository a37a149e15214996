#!/usr/bin/env bash
# The user's own data through the command line, at toy sizes (seconds): a search on CSV files
# (labels collected from train, the chance reference stored), `resume` raising its budget from
# another folder with the stored settings, a pair task in JSON Lines with integer labels and the
# F1 metric; then errors that name file:line (an unknown dev label, a short row), a missing
# column, and a mistyped flag that gets a "did you mean".
#   user_data.sh AUTOPEFT_BINARY BACKBONES_DIR WORK_DIR
set -euo pipefail
bin=$1
backbone=$(ls -d "$2"/tiny_long-* | head -n1)
work=$3
rm -rf "$work"
mkdir -p "$work/data" "$work/elsewhere"
export OMP_NUM_THREADS=1 AUTOPEFT_CACHE_DIR="$work/cache"
cd "$work"

# Sentiment of short reviews: 24 train rows, 8 dev rows, quoted fields with commas.
{
  echo 'id,review,stars'
  for i in $(seq 1 12); do
    echo "$i,\"good, really good film $i\",pos"
    echo "$((i + 100)),bad dull film $i,neg"
  done
} > data/train.csv
{
  echo 'id,review,stars'
  for i in $(seq 1 4); do
    echo "$((i + 200)),\"a good, fine film\",pos"
    echo "$((i + 300)),a bad film,neg"
  done
} > data/dev.csv

toy=(--backbone "$backbone" --initial 2 --batch 1 --train-samples 0 --epochs 1 --max-seq-length 16 --batch-size 8
     --initial-methods "" --retrain-seeds 0 --baselines false --threads 1 --seed 1)
"$bin" search --train-file data/train.csv --dev-file data/dev.csv --text-column review --label-column stars \
  --store runs/s.db --trials 2 "${toy[@]}" > search.out 2> search.log ||
  { echo "search on CSV files failed:"; cat search.log; exit 1; }
grep -q 'task train (24 train / 8 dev)' search.log || { echo "the task is not the train file's:"; cat search.log; exit 1; }
"$bin" status --store runs/s.db --study train > status.out
grep -q '2 trials: 2 complete' status.out || { echo "not 2 complete trials:"; cat status.out; exit 1; }
grep -q 'best accuracy' status.out || { echo "the metric is not accuracy:"; cat status.out; exit 1; }
sqlite3_json=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select config from studies where name=?", ("train",)).fetchone()[0])' runs/s.db 2>/dev/null || true)
if [ -n "$sqlite3_json" ]; then
  python3 - "$sqlite3_json" "$work/data/train.csv" <<'EOF'
import json, sys
s = json.loads(sys.argv[1])
assert s["ref_metric"] == 0.5, f"ref_metric: {s['ref_metric']} (chance for 2 classes is 0.5)"
assert s["train_file"] == sys.argv[2], f"train_file stored as {s['train_file']}"
assert s["label_column"] == "stars" and s["text_column"] == "review", s
EOF
fi

# resume from another folder: the stored (absolute) paths and columns are used.
(cd elsewhere && "$bin" resume --store ../runs/s.db --trials 3 > ../resume.out 2> ../resume.log) ||
  { echo "resume failed:"; cat resume.log; exit 1; }
"$bin" status --store runs/s.db --study train > status.out
grep -q '3 trials: 3 complete' status.out || { echo "resume did not finish a third trial:"; cat status.out resume.log; exit 1; }

# export: the native files, and in exp/hf the base model and an HF PEFT adapter per module kind HF
# has (tools/check_export_hf.py checks them against HF PEFT on a machine that has it).
data_flags=(--train-file data/train.csv --dev-file data/dev.csv --text-column review --label-column stars
            --backbone "$backbone" --final-epochs 1 --batch-size 8 --max-seq-length 16 --threads 1)
"$bin" export --params '{"sa": 0, "pa": 0, "pt": 0, "lora_r": 4, "ia3": 0, "lr": 0.001, "layers": [true, false]}' \
  "${data_flags[@]}" --out exp_lora > export.out 2> export.log || { echo "export failed:"; cat export.log; exit 1; }
"$bin" export --params '{"sa": 12, "pa": 0, "pt": 3, "lora_r": 0, "ia3": 1, "lr": 0.001, "layers": [false, true]}' \
  "${data_flags[@]}" --out exp_mixed >> export.out 2>> export.log || { echo "export failed:"; cat export.log; exit 1; }
python3 - <<'EOF2' || { cat export.out; exit 1; }
import json, os
lora = json.load(open("exp_lora/adapter_config.json"))["hf"]
assert lora["adapters"] == ["lora"] and lora["without_hf"] == {}, lora
c = json.load(open("exp_lora/hf/lora/adapter_config.json"))
assert c["peft_type"] == "LORA" and c["r"] == 4 and c["layers_to_transform"] == [0], c
assert c["task_type"] == "SEQ_CLS" and c["modules_to_save"] == ["classifier", "score"], c
assert json.load(open("exp_lora/hf/base/config.json"))["architectures"] == ["BertForSequenceClassification"]
assert os.path.getsize("exp_lora/hf/reference.safetensors") > 0
mixed = json.load(open("exp_mixed/adapter_config.json"))["hf"]
assert mixed["adapters"] == ["ia3"], mixed
assert sorted(mixed["without_hf"]) == ["prefix_tuning", "serial_adapter"], mixed
assert "HF PEFT has no serial_adapter method" in mixed["without_hf"]["serial_adapter"], mixed
ia3 = json.load(open("exp_mixed/hf/ia3/adapter_config.json"))
assert ia3["peft_type"] == "IA3" and "layer\\.(1)\\." in ia3["target_modules"], ia3  # layer 1 only, as a regex
EOF2
grep -q 'hf/lora: HF PEFT adapter' export.out || { echo "export did not name its HF adapter:"; cat export.out; exit 1; }

# A pair task in JSON Lines, integer labels, F1.
for split in train dev; do
  n=$([ "$split" = train ] && echo 10 || echo 4)
  for i in $(seq 1 "$n"); do
    echo "{\"premise\": \"a dog runs $i\", \"hypothesis\": \"an animal moves\", \"label\": 1}"
    echo "{\"premise\": \"a cat sleeps $i\", \"hypothesis\": \"a car races\", \"label\": 0}"
  done > "data/$split.jsonl"
done
"$bin" search --train-file data/train.jsonl --dev-file data/dev.jsonl --text-column premise \
  --text-pair-column hypothesis --metric f1 --task nli --store runs/s.db --trials 1 "${toy[@]}" \
  > nli.out 2> nli.log || { echo "search on JSON Lines failed:"; cat nli.log; exit 1; }
grep -q 'f1' nli.out || { echo "the front is not in F1:"; cat nli.out; exit 1; }

# Errors: exit status 1 and the message names the place.
expect_error() {
  local pattern=$1
  shift
  local rc=0
  "$bin" "$@" > err.out 2> err.log || rc=$?
  if [ "$rc" = 0 ] || ! grep -q -- "$pattern" err.log; then
    echo "expected an error saying '$pattern' (exit status $rc):"; cat err.log; exit 1
  fi
  echo "error ok: $(head -n3 err.log | tr '\n' ' ')"
}
cp data/dev.csv data/dev_bad.csv
echo '999,so so film,meh' >> data/dev_bad.csv
expect_error "dev_bad.csv:10: unknown label 'meh'.*the classes are the labels of" search --train-file data/train.csv --dev-file data/dev_bad.csv \
  --text-column review --label-column stars --store runs/bad.db --trials 1 "${toy[@]}"
cp data/train.csv data/train_bad.csv
echo '998,missing a field' >> data/train_bad.csv
expect_error 'train_bad.csv:26:' search --train-file data/train_bad.csv --dev-file data/dev.csv \
  --text-column review --label-column stars --store runs/bad.db --trials 1 "${toy[@]}"
expect_error "train.csv:1: the header has no column 'sentiment'.*--label-column" search --train-file data/train.csv --dev-file data/dev.csv \
  --text-column review --label-column sentiment --store runs/bad.db --trials 1 "${toy[@]}"
expect_error 'did you mean --trials' search --trails 3
expect_error 'did you mean --train-file' search --train_fiel data/train.csv
echo "user data: ok"
