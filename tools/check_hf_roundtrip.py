#!/usr/bin/env python3
"""Loads checkpoints that autopeft wrote back into HF transformers and compares their outputs
with the reference outputs of the fixtures they came from.

    python3 tools/check_hf_roundtrip.py OUR_DIR FIXTURE_DIR
OUR_DIR holds <arch>-<kind>/ directories written by examples/checkpoint_roundtrip; FIXTURE_DIR
the fixtures of tools/make_hf_fixtures.py. Exits non-zero when any output differs by > 1e-5.
"""
import os
import sys

import torch
import transformers
from safetensors.torch import load_file

CLASSES = {
    "base": transformers.AutoModel,
    "seqcls": transformers.AutoModelForSequenceClassification,
    "regression": transformers.AutoModelForSequenceClassification,
    "mlm": transformers.AutoModelForMaskedLM,
}


def main(ours, fixtures):
    worst = 0.0
    for name in sorted(os.listdir(ours)):
        path = os.path.join(ours, name)
        if not os.path.isdir(path):
            continue
        kind = name.split("-", 1)[1]
        model = CLASSES[kind].from_pretrained(path, attn_implementation="eager").eval()
        ref = load_file(os.path.join(fixtures, name, "io.safetensors"))
        x = {k: ref[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in ref}
        with torch.no_grad():
            out = model(**x)
        keys = ["last_hidden_state", "pooler_output"] if kind == "base" else ["logits"]
        for k in keys:
            got, want = getattr(out, k), ref[k]
            m = x["attention_mask"].bool()
            if k == "last_hidden_state":
                got, want = got[m], want[m]
            diff = (got - want).abs().max().item()
            worst = max(worst, diff)
            print(f"{name:20s} {k:18s} max|diff| = {diff:.3e}")
    print(f"worst max|diff| = {worst:.3e} ({'PASS' if worst <= 1e-5 else 'FAIL'} at 1e-5)")
    return 0 if worst <= 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
