#!/usr/bin/env python3
"""Makes the HF PEFT parity fixtures of the PEFT tests.

Run on a machine with `transformers` and `peft` (the GPU machine), from the project root:
    python3 tools/make_peft_fixtures.py tests/fixtures/peft
Outputs:
  counts.json  HF PEFT's trainable-parameter counts (PEFT parameters only, the classifier
               excluded) for bert-base-shaped models and several configurations per method.
  <method>-<arch>/state.safetensors  every trainable PEFT tensor of the small fixture model
               tests/fixtures/hf/<arch>-seqcls after a random perturbation (so that no module is
               at its identity initialisation), under HF PEFT's names, plus `logits` for the
               fixture inputs (fp32, eval mode, CPU).
  <method>-<arch>/adapter/  HF PEFT's save_pretrained files (LoRA and IA3), for the load test.
"""
import json
import os
import sys

import peft
import torch
import transformers
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "tests", "fixtures", "hf")
ALL6 = ["query", "key", "value", "intermediate.dense", "output.dense"]  # output.dense matches both


def configs():
    """name -> (factory(task_type) , save adapter files?)"""
    C = peft
    return {
        "lora": (lambda t: C.LoraConfig(task_type=t, r=4, lora_alpha=8, target_modules=["query", "value"]), True),
        "lora_rs_all": (lambda t: C.LoraConfig(task_type=t, r=2, lora_alpha=4, use_rslora=True,
                                               target_modules=ALL6), False),
        "dora": (lambda t: C.LoraConfig(task_type=t, r=4, lora_alpha=8, use_dora=True,
                                        target_modules=["query", "value", "output.dense"],
                                        layers_to_transform=[1]), False),
        "ia3": (lambda t: C.IA3Config(task_type=t, target_modules=["key", "value", "output.dense"],
                                      feedforward_modules=["output.dense"]), True),
        "loha": (lambda t: C.LoHaConfig(task_type=t, r=4, alpha=8, target_modules=["query", "value"]), False),
        "lokr": (lambda t: C.LoKrConfig(task_type=t, r=4, alpha=8, target_modules=["query", "value", "intermediate.dense"]), False),
        "vera": (lambda t: C.VeraConfig(task_type=t, r=8, target_modules=["query", "value"]), False),
        "prefix": (lambda t: C.PrefixTuningConfig(task_type=t, num_virtual_tokens=5), False),
        "prefix_proj": (lambda t: C.PrefixTuningConfig(task_type=t, num_virtual_tokens=5, prefix_projection=True,
                                                       encoder_hidden_size=24), False),
        "prompt": (lambda t: C.PromptTuningConfig(task_type=t, num_virtual_tokens=4), False),
        "ln_tuning": (lambda t: C.LNTuningConfig(task_type=t, target_modules=["LayerNorm"]), False),
    }


def count_configs():
    C = peft
    t = "SEQ_CLS"
    return {
        "lora_r8_qv": C.LoraConfig(task_type=t, r=8, target_modules=["query", "value"]),
        "lora_r16_all": C.LoraConfig(task_type=t, r=16, target_modules=ALL6),
        "lora_r4_qv_layers_0_5": C.LoraConfig(task_type=t, r=4, target_modules=["query", "value"], layers_to_transform=[0, 5]),
        "dora_r8_qv": C.LoraConfig(task_type=t, r=8, use_dora=True, target_modules=["query", "value"]),
        "dora_r2_all": C.LoraConfig(task_type=t, r=2, use_dora=True, target_modules=ALL6),
        "loha_r8_qv": C.LoHaConfig(task_type=t, r=8, target_modules=["query", "value"]),
        "loha_r4_all": C.LoHaConfig(task_type=t, r=4, target_modules=ALL6),
        "lokr_r8_qv": C.LoKrConfig(task_type=t, r=8, target_modules=["query", "value"]),
        "lokr_r4_all": C.LoKrConfig(task_type=t, r=4, target_modules=ALL6),
        "lokr_r8_qv_decompose_both": C.LoKrConfig(task_type=t, r=8, decompose_both=True, target_modules=["query", "value"]),
        "vera_r256_qv": C.VeraConfig(task_type=t, r=256, target_modules=["query", "value"]),
        "vera_r16_all": C.VeraConfig(task_type=t, r=16, target_modules=ALL6),
        "ia3_kv_ff": C.IA3Config(task_type=t, target_modules=["key", "value", "output.dense"], feedforward_modules=["output.dense"]),
        "ia3_kv": C.IA3Config(task_type=t, target_modules=["key", "value"], feedforward_modules=[]),
        "prefix_20": C.PrefixTuningConfig(task_type=t, num_virtual_tokens=20),
        "prefix_20_proj": C.PrefixTuningConfig(task_type=t, num_virtual_tokens=20, prefix_projection=True),
        "prefix_10_proj800": C.PrefixTuningConfig(task_type=t, num_virtual_tokens=10, prefix_projection=True, encoder_hidden_size=800),
        "prompt_20": C.PromptTuningConfig(task_type=t, num_virtual_tokens=20),
        "prompt_100": C.PromptTuningConfig(task_type=t, num_virtual_tokens=100),
        "ln_tuning": C.LNTuningConfig(task_type=t, target_modules=["LayerNorm"]),
    }


def inputs(arch):
    io = load_file(os.path.join(FIXTURES, f"{arch}-seqcls", "io.safetensors"))
    return {k: io[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in io}


def main(out):
    os.makedirs(out, exist_ok=True)
    counts = {}
    for arch, cfg_cls, model_cls in (("bert", transformers.BertConfig, transformers.BertForSequenceClassification),
                                     ("roberta", transformers.RobertaConfig, transformers.RobertaForSequenceClassification)):
        for name, cfg in count_configs().items():
            base = model_cls(cfg_cls(num_labels=2))
            classifier = sum(p.numel() for n, p in base.named_parameters() if n.startswith("classifier"))
            m = peft.get_peft_model(base, cfg)
            trainable, _ = m.get_nb_trainable_parameters()
            counts[f"{arch}/{name}"] = trainable - classifier
            print(arch, name, trainable - classifier, flush=True)
    with open(os.path.join(out, "counts.json"), "w") as f:
        json.dump(counts, f, indent=1, sort_keys=True)

    for arch in ("bert", "roberta"):
        x = inputs(arch)
        for name, (factory, save_adapter) in configs().items():
            torch.manual_seed(11)
            base = transformers.AutoModelForSequenceClassification.from_pretrained(
                os.path.join(FIXTURES, f"{arch}-seqcls"), attn_implementation="eager")
            m = peft.get_peft_model(base, factory("SEQ_CLS")).eval()
            state = {}
            with torch.no_grad():
                for n, p in m.named_parameters():
                    if p.requires_grad and "classifier" not in n:
                        p.add_(0.2 * torch.randn_like(p))
                        state[n] = p.detach().clone().contiguous()
                for n, b in m.named_buffers():
                    if "vera_A" in n or "vera_B" in n:
                        state[n] = b.detach().clone().contiguous()
                logits = m(**x).logits
            state["logits"] = logits.contiguous()
            d = os.path.join(out, f"{name}-{arch}")
            os.makedirs(d, exist_ok=True)
            save_file(state, os.path.join(d, "state.safetensors"))
            if save_adapter:
                m.save_pretrained(os.path.join(d, "adapter"))
            print(name, arch, sorted(state)[:3], flush=True)
    with open(os.path.join(out, "VERSIONS.json"), "w") as f:
        json.dump({"peft": peft.__version__, "transformers": transformers.__version__,
                   "torch": torch.__version__}, f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "tests", "fixtures", "peft"))
