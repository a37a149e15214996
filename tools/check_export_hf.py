#!/usr/bin/env python3
"""Checks that `autopeft export`'s HF files load in HF transformers + PEFT with equal outputs.

Run on a machine with `torch`, `transformers` and `peft` (the GPU machine), for one or more
export folders:
    python3 tools/check_export_hf.py EXPORT_DIR [EXPORT_DIR ...]

For each folder it reads EXPORT_DIR/adapter_config.json (autopeft's record; its "hf" field says
which HF adapters were written and which modules HF PEFT has no type for), loads EXPORT_DIR/hf/base
with AutoModelForSequenceClassification, and each adapter EXPORT_DIR/hf/<method> with
PeftModel.from_pretrained. When the configuration is that one adapter alone (nothing without an
HF type, one adapter), the PEFT model's logits on EXPORT_DIR/hf/reference.safetensors must equal
autopeft's within 1e-4 (fp32, eval mode, CPU). An adapter of a configuration with several
modules is checked to load and to move the logits; its outputs alone are not the configuration's.
Prints one line per adapter and exits 1 on any failure.
"""
import json
import os
import sys

import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import AutoModelForSequenceClassification

TOLERANCE = 1e-4


def check(export_dir):
    record = json.load(open(os.path.join(export_dir, "adapter_config.json")))
    hf = record.get("hf")
    if not hf:
        print(f"{export_dir}: no 'hf' record (exported before HF files were written)")
        return False
    ref = load_file(os.path.join(export_dir, hf["reference"]))
    inputs = {k: ref[k] for k in ("input_ids", "attention_mask", "token_type_ids")}
    ok = True
    alone = len(hf["adapters"]) == 1 and not hf["without_hf"]
    for method in hf["adapters"]:
        base = AutoModelForSequenceClassification.from_pretrained(os.path.join(export_dir, hf["base"])).eval()
        with torch.no_grad():
            base_logits = base(**inputs).logits
        model = PeftModel.from_pretrained(base, os.path.join(export_dir, "hf", method)).eval()
        with torch.no_grad():
            logits = model(**inputs).logits
        moved = (logits - base_logits).abs().max().item()
        if alone:
            diff = (logits - ref["logits"]).abs().max().item()
            good = diff <= TOLERANCE
            print(f"{export_dir}: hf/{method}: max |HF PEFT logits - autopeft logits| = {diff:.3g} "
                  f"(adapter moves the base logits by {moved:.3g}) {'ok' if good else 'FAILED'}")
        else:
            good = moved > 0
            print(f"{export_dir}: hf/{method}: loads in HF PEFT, moves the base logits by {moved:.3g} "
                  f"(one module of several: {', '.join(hf['adapters'] + list(hf['without_hf']))}) "
                  f"{'ok' if good else 'FAILED'}")
        ok = ok and good
    for method, why in hf["without_hf"].items():
        print(f"{export_dir}: {method}: no HF PEFT file ({why})")
    return ok


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    results = [check(d) for d in sys.argv[1:]]
    sys.exit(0 if all(results) else 1)
