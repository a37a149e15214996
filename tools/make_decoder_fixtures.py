#!/usr/bin/env python3
"""Makes the HF transformers parity fixtures of the Llama-family decoder (issue: decoder LLMs).

Run on a machine with `torch` and `transformers`, from the project root:
    python3 tools/make_decoder_fixtures.py [OUT]        # OUT defaults to tests/fixtures/decoder
No network: the models are small random ones, seeded, built and run on the CPU in fp32.

Outputs, per model NAME in llama (GQA, llama3 rope scaling, untied), qwen2 (q/k/v biases, tied
embeddings) and mistral (no sliding window):
  OUT/NAME/config.json, OUT/NAME/model.safetensors   save_pretrained's files (safetensors)
  OUT/NAME/expected.safetensors
      input_ids [2, 12]         two prompts, the first left-padded with 3 pad tokens (id 0)
      attention_mask [2, 12]
      logits [2, 12, V]         the model's logits on them (eval, fp32)
      generated [2, 12 + 32]    greedy generation of 32 new tokens (no eos), HF's generate
The C++ test reads them and compares logits within 1e-5 and the generated tokens exactly.
"""
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import (LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM, Qwen2Config,
                          Qwen2ForCausalLM)

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join("tests", "fixtures", "decoder")
COMMON = dict(vocab_size=96, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=128, rms_norm_eps=1e-6, pad_token_id=0, bos_token_id=1,
              eos_token_id=2)
MODELS = {
    "llama": (LlamaConfig, LlamaForCausalLM,
              dict(rope_theta=500000.0, tie_word_embeddings=False,
                   rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                 "original_max_position_embeddings": 32})),
    "qwen2": (Qwen2Config, Qwen2ForCausalLM, dict(rope_theta=1000000.0, tie_word_embeddings=True, use_sliding_window=False)),
    "mistral": (MistralConfig, MistralForCausalLM, dict(rope_theta=10000.0, tie_word_embeddings=False, sliding_window=None)),
}


def main():
    for i, (name, (config_cls, model_cls, extra)) in enumerate(MODELS.items()):
        torch.manual_seed(1000 + i)
        config = config_cls(**COMMON, **extra)
        model = model_cls(config).eval()
        with torch.no_grad():  # visible weights: the default init is small
            for p in model.parameters():
                p.copy_(torch.randn_like(p) * 0.3)
        ids = torch.randint(3, COMMON["vocab_size"], (2, 12))
        mask = torch.ones_like(ids)
        ids[0, :3] = 0
        mask[0, :3] = 0
        with torch.no_grad():
            position_ids = (mask.cumsum(-1) - 1).clamp_min(0)
            logits = model(input_ids=ids, attention_mask=mask, position_ids=position_ids).logits
            generated = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=32, min_new_tokens=32,
                                       do_sample=False, pad_token_id=0, eos_token_id=None)
        out = os.path.join(OUT, name)
        os.makedirs(out, exist_ok=True)
        model.save_pretrained(out, safe_serialization=True)
        save_file({"input_ids": ids.contiguous(), "attention_mask": mask.contiguous(), "logits": logits.contiguous(),
                   "generated": generated.contiguous()}, os.path.join(out, "expected.safetensors"))
        print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters -> {out}")


if __name__ == "__main__":
    main()
