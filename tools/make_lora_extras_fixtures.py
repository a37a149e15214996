#!/usr/bin/env python3
"""Makes the HF PEFT parity fixtures of LoRA's initialisations and of add_weighted_adapter.

Run on a machine with `torch`, `transformers` and `peft` (0.21), from the project root:
    python3 tools/make_lora_extras_fixtures.py [OUT]        # OUT defaults to tests/fixtures/peft
No network: the base model is the small fixture classifier tests/fixtures/hf/bert-seqcls.
Everything runs on the CPU, seeded, in a few seconds.

Outputs (each file a few KB):
  OUT/lora_init-bert/<init>/      for init in pissa, olora, gaussian (LoraConfig r=4, lora_alpha=8,
                                  target_modules query, value, intermediate.dense):
      state.safetensors           per LoRA site <path> (transformers' module path, e.g.
                                  "bert.encoder.layer.0.attention.self.query"): "<path>.weight" the
                                  base weight after the initialisation (PiSSA's and OLoRA's residual),
                                  "<path>.lora_A", "<path>.lora_B"; and "logits" of the PEFT model on
                                  the fixture inputs (eval mode).
      adapter/                    save_pretrained's files (adapter_config.json as HF writes
                                  init_lora_weights).
  OUT/weighted-bert/
      inputs/<a|b|c>/             the input adapters (random A and B), save_pretrained's files.
      <combination>/              add_weighted_adapter's result, save_pretrained's files.
      manifest.json               per combination: adapters, weights, combination_type, density,
                                  svd_rank (null: HF's default); plus the library versions.
DARE is random in HF (torch.bernoulli on the global generator), so its fixtures use density 1.0,
where nothing is dropped.
"""
import json
import os
import sys

import peft
import torch
import transformers
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = os.path.join(HERE, "..", "tests", "fixtures", "hf", "bert-seqcls")
INIT_TARGETS = ["query", "value", "intermediate.dense"]

# name -> (adapters, weights, combination_type, density, svd_rank)
COMBINATIONS = {
    "linear": (["a", "b"], [0.7, -0.4], "linear", None, None),
    "linear_single": (["a"], [1.0], "linear", None, None),
    "cat": (["a", "c"], [0.6, 1.3], "cat", None, None),
    "svd": (["a", "b", "c"], [0.5, 0.8, -0.3], "svd", None, None),
    "svd_full": (["a", "b", "c"], [0.5, 0.8, -0.3], "svd", None, 10),
    "ties": (["a", "b"], [0.7, 0.5], "ties", 0.5, None),
    "ties_svd": (["a", "b", "c"], [0.7, 0.5, 0.9], "ties_svd", 0.6, None),
    "magnitude_prune": (["a", "b"], [0.9, -0.6], "magnitude_prune", 0.4, None),
    "dare_linear": (["a", "b"], [0.7, 0.5], "dare_linear", 1.0, None),
    "dare_ties": (["a", "b"], [0.7, -0.5], "dare_ties", 1.0, None),
}


def versions():
    return {"peft": peft.__version__, "transformers": transformers.__version__, "torch": torch.__version__}


def base_model():
    return transformers.AutoModelForSequenceClassification.from_pretrained(BASE, attn_implementation="eager").eval()


def inputs():
    io = load_file(os.path.join(BASE, "io.safetensors"))
    return {k: io[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in io}


def lora_sites(m):
    for name, module in m.named_modules():
        if isinstance(module, peft.tuners.lora.Linear):
            yield name.removeprefix("base_model.model."), module


def make_init(out):
    for init in ("pissa", "olora", "gaussian"):
        torch.manual_seed(5)
        cfg = peft.LoraConfig(r=4, lora_alpha=8, target_modules=INIT_TARGETS, init_lora_weights=init)
        m = peft.get_peft_model(base_model(), cfg).eval()
        state = {}
        for path, module in lora_sites(m):
            state[f"{path}.weight"] = module.base_layer.weight.detach().clone().contiguous()
            state[f"{path}.lora_A"] = module.lora_A["default"].weight.detach().clone().contiguous()
            state[f"{path}.lora_B"] = module.lora_B["default"].weight.detach().clone().contiguous()
        with torch.no_grad():
            state["logits"] = m(**inputs()).logits.contiguous()
        d = os.path.join(out, "lora_init-bert", init)
        os.makedirs(d, exist_ok=True)
        save_file(state, os.path.join(d, "state.safetensors"))
        m.save_pretrained(os.path.join(d, "adapter"))
        print("wrote", d, flush=True)


def make_weighted(out):
    torch.manual_seed(7)
    configs = {
        "a": peft.LoraConfig(r=4, lora_alpha=8, target_modules=["query", "value"]),
        "b": peft.LoraConfig(r=4, lora_alpha=16, target_modules=["query", "value"]),
        "c": peft.LoraConfig(r=2, lora_alpha=4, target_modules=["query", "key"]),
    }
    m = peft.get_peft_model(base_model(), configs["a"], adapter_name="a")
    for name in ("b", "c"):
        m.add_adapter(name, configs[name])
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "lora_" in n:
                p.copy_(0.5 * torch.randn_like(p))
    d = os.path.join(out, "weighted-bert")
    m.save_pretrained(os.path.join(d, "inputs"), selected_adapters=list(configs))
    manifest = {"versions": versions(), "combinations": {}}
    for name, (adapters, weights, kind, density, svd_rank) in COMBINATIONS.items():
        m.add_weighted_adapter(adapters, weights, name, combination_type=kind, density=density, svd_rank=svd_rank)
        m.save_pretrained(d, selected_adapters=[name])
        manifest["combinations"][name] = {"adapters": adapters, "weights": weights, "combination_type": kind,
                                          "density": density, "svd_rank": svd_rank}
        print("wrote", os.path.join(d, name), flush=True)
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


def main(out):
    make_init(out)
    make_weighted(out)
    with open(os.path.join(out, "lora_init-bert", "VERSIONS.json"), "w") as f:
        json.dump(versions(), f, indent=2)
        f.write("\n")
    print("done:", os.path.abspath(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "tests", "fixtures", "peft"))
