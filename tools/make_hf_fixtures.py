#!/usr/bin/env python3
"""Makes the HF transformers parity fixtures of the model tests.

Run on a machine with `transformers` (the GPU machine):
    python3 tools/make_hf_fixtures.py tests/fixtures/hf
For BERT and RoBERTa it creates small random models (2 layers, hidden 32) of the base,
sequence-classification (3 labels), regression (1 label) and masked-LM classes, saves each with
save_pretrained (config.json + model.safetensors), and writes `io.safetensors` beside it: the
fixed inputs and the model's fp32 eval outputs on CPU.
"""
import json
import os
import sys

import torch
import transformers
from safetensors.torch import save_file

HIDDEN, LAYERS, HEADS, FFN, VOCAB = 32, 2, 4, 37, 99


def config(arch):
    common = dict(vocab_size=VOCAB, hidden_size=HIDDEN, num_hidden_layers=LAYERS,
                  num_attention_heads=HEADS, intermediate_size=FFN, hidden_act="gelu",
                  attn_implementation="eager")
    if arch == "bert":
        return transformers.BertConfig(max_position_embeddings=40, type_vocab_size=2,
                                       pad_token_id=0, **common)
    return transformers.RobertaConfig(max_position_embeddings=42, type_vocab_size=1,
                                      pad_token_id=1, bos_token_id=0, eos_token_id=2,
                                      layer_norm_eps=1e-5, **common)


def inputs(arch):
    g = torch.Generator().manual_seed(7)
    pad = 0 if arch == "bert" else 1
    ids = torch.randint(3, VOCAB, (3, 9), generator=g)
    mask = torch.ones(3, 9, dtype=torch.long)
    mask[1, 6:] = 0
    mask[2, 3:] = 0
    ids[mask == 0] = pad
    out = {"input_ids": ids, "attention_mask": mask}
    if arch == "bert":
        types = torch.zeros(3, 9, dtype=torch.long)
        types[:, 4:] = 1
        out["token_type_ids"] = types * mask
    return out


def main(root):
    torch.manual_seed(0)
    classes = {
        "bert": {"base": transformers.BertModel, "seqcls": transformers.BertForSequenceClassification,
                 "regression": transformers.BertForSequenceClassification,
                 "mlm": transformers.BertForMaskedLM},
        "roberta": {"base": transformers.RobertaModel,
                    "seqcls": transformers.RobertaForSequenceClassification,
                    "regression": transformers.RobertaForSequenceClassification,
                    "mlm": transformers.RobertaForMaskedLM},
    }
    for arch, kinds in classes.items():
        for kind, cls in kinds.items():
            cfg = config(arch)
            cfg.num_labels = 1 if kind == "regression" else 3
            model = cls(cfg).eval()
            # Random non-trivial LayerNorms and biases, so that a swapped weight cannot pass.
            with torch.no_grad():
                for name, p in model.named_parameters():
                    if name.endswith("bias") or "LayerNorm" in name or "layer_norm" in name:
                        p.add_(0.1 * torch.randn_like(p))
            path = os.path.join(root, f"{arch}-{kind}")
            model.save_pretrained(path, safe_serialization=True)
            x = inputs(arch)
            with torch.no_grad():
                out = model(**x)
            tensors = dict(x)
            if kind == "base":
                tensors["last_hidden_state"] = out.last_hidden_state
                tensors["pooler_output"] = out.pooler_output
            else:
                tensors["logits"] = out.logits
            save_file({k: v.contiguous() for k, v in tensors.items()},
                      os.path.join(path, "io.safetensors"))
            print(path, {k: list(v.shape) for k, v in tensors.items()})
    with open(os.path.join(root, "VERSIONS.json"), "w") as f:
        json.dump({"transformers": transformers.__version__, "torch": torch.__version__}, f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/hf")
