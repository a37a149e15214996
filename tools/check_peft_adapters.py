#!/usr/bin/env python3
"""Loads every adapter examples/adapter_export wrote into HF PEFT and compares the logits.

    python3 tools/check_peft_adapters.py OUT_DIR [FIXTURES_DIR]

OUT_DIR/<method>-<arch>/ holds adapter_config.json + adapter_model.safetensors (peft::save_adapter)
and ours.safetensors (our logits on FIXTURES_DIR/hf/<arch>-seqcls/io.safetensors). Each adapter is
loaded with PeftModel.from_pretrained onto AutoModelForSequenceClassification of the fixture base;
the exit status is non-zero when any |HF logits - ours| exceeds 1e-5 or a load fails.
"""
import sys
import traceback
from pathlib import Path

import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import AutoModelForSequenceClassification

TOLERANCE = 1e-5


def check(adapter: Path, fixtures: Path) -> float:
    arch = adapter.name.rsplit("-", 1)[1]
    base_dir = fixtures / "hf" / f"{arch}-seqcls"
    base = AutoModelForSequenceClassification.from_pretrained(base_dir, attn_implementation="eager")
    model = PeftModel.from_pretrained(base, adapter).eval()
    io = load_file(str(base_dir / "io.safetensors"))
    kwargs = {"input_ids": io["input_ids"], "attention_mask": io["attention_mask"]}
    if "token_type_ids" in io:
        kwargs["token_type_ids"] = io["token_type_ids"]
    with torch.no_grad():
        hf = model(**kwargs).logits
    ours = load_file(str(adapter / "ours.safetensors"))["logits"]
    return (hf - ours).abs().max().item()


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__)
        return 2
    out = Path(sys.argv[1])
    fixtures = Path(sys.argv[2]) if len(sys.argv) == 3 else Path(__file__).resolve().parent.parent / "tests" / "fixtures"
    torch.manual_seed(0)
    adapters = sorted(p for p in out.iterdir() if (p / "adapter_config.json").exists())
    if not adapters:
        print(f"no adapters under {out}")
        return 1
    failed = 0
    for adapter in adapters:
        try:
            diff = check(adapter, fixtures)
            ok = diff <= TOLERANCE
            print(f"{'ok  ' if ok else 'FAIL'} {adapter.name}: max |HF PEFT logits - ours| = {diff:.3g}")
        except Exception:  # report every adapter, then fail
            ok = False
            print(f"FAIL {adapter.name}: HF PEFT could not load it:\n{traceback.format_exc(limit=3)}")
        failed += not ok
    print(f"{len(adapters) - failed}/{len(adapters)} adapters agree within {TOLERANCE}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
