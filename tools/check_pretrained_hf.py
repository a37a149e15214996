#!/usr/bin/env python3
"""Loads a backbone that `autopeft pretrain` wrote into HF transformers and checks that it is a
trained masked LM there.

    python3 tools/check_pretrained_hf.py BACKBONE_DIR [--text FILE] [--sentences N] [--seed S]
                                         [--device cpu|cuda]

BACKBONE_DIR holds config.json, model.safetensors, vocab.txt and autopeft.json (the manifest).
--text is a UTF-8 file of sentences, one a line, that the backbone did not see in pretraining
(default: out/heldout.txt; docs/results/pretrained_vs_random.md says how it is made from the
test-split WordNet glosses); the first N (default 200) lines are used.

What it does:
  1. BertForMaskedLM.from_pretrained(BACKBONE_DIR, output_loading_info=True); any missing,
     unexpected or mismatched key, or error message, fails the check, except keys that HF itself
     ignores on load (position_ids buffers, the class's _keys_to_ignore_on_load_*). Every tensor
     in model.safetensors must also equal the loaded parameter, and the MLM decoder must be tied
     to the word embeddings.
  2. A WordPiece tokenizer from BACKBONE_DIR/vocab.txt (BertTokenizerFast, with do_lower_case,
     strip_accents, tokenize_chinese_chars and clean_text as the manifest's tokenizer.normalizer
     says); its vocabulary and special-token ids must match vocab.txt and the manifest.
  3. The MLM loss on the sentences: each is encoded as [CLS] s [SEP] (at most the manifest's
     max_seq_length tokens), 15 % of its non-special tokens (at least one) are replaced by
     [MASK] (a seeded draw), and the cross-entropy and top-1 accuracy over the masked tokens
     are printed next to ln(vocab_size), the loss of a uniform guess.
  4. The top-5 fill-mask predictions for three sentences.

Exits 1 when loading reported a problem, the tokenizer does not match, or the loss is not below
0.8 * ln(vocab_size); 0 otherwise.
"""
import argparse
import inspect
import json
import math
import os
import re
import sys

import torch
import transformers
from safetensors.torch import load_file

FILL_MASK = [
    "the capital and largest city of [MASK]",
    "he drank a cup of hot [MASK] before breakfast",
    "a [MASK] is a small animal that barks",
]


def ignored_by_hf(cls, key):
    """Keys that HF transformers itself leaves out of its loading report."""
    if key.endswith("position_ids"):
        return True
    patterns = list(getattr(cls, "_keys_to_ignore_on_load_missing", None) or [])
    patterns += list(getattr(cls, "_keys_to_ignore_on_load_unexpected", None) or [])
    return any(re.search(p, key) for p in patterns)


def load_model(directory, device):
    cls = transformers.BertForMaskedLM
    model, info = cls.from_pretrained(directory, output_loading_info=True)
    problems = []
    print("HF loading info:")
    for what, entries in info.items():
        entries = list(entries or [])
        kept = [e for e in entries if not (isinstance(e, str) and ignored_by_hf(cls, e))]
        skipped = len(entries) - len(kept)
        note = f" (plus {skipped} that HF ignores: position_ids etc.)" if skipped else ""
        print(f"  {what}: {kept if kept else 'none'}{note}")
        problems += [f"{what}: {e}" for e in kept]

    # Independently of HF's report: every stored tensor arrived unchanged, and the tied decoder.
    stored = load_file(os.path.join(directory, "model.safetensors"))
    state = model.state_dict()
    differing = [k for k, v in stored.items() if k not in state or not torch.equal(state[k].cpu().to(v.dtype), v)]
    print(f"  tensors in model.safetensors: {len(stored)}, equal to the loaded model: {len(stored) - len(differing)}")
    problems += [f"tensor {k} differs from the file or is absent from the model" for k in differing]
    emb = model.get_input_embeddings().weight
    dec = model.get_output_embeddings()
    tied = dec.weight.data_ptr() == emb.data_ptr() or torch.equal(dec.weight, emb)
    print(f"  MLM decoder tied to the word embeddings: {tied}")
    if not tied:
        problems.append("cls.predictions.decoder.weight is not the word embedding matrix")
    return model.to(device).eval(), problems


def read_vocab(path):
    with open(path, encoding="utf-8") as f:
        return {line.rstrip("\n"): i for i, line in enumerate(f)}


def load_tokenizer(directory, manifest):
    norm = manifest["tokenizer"]["normalizer"]
    vocab_file = os.path.join(directory, manifest["tokenizer"].get("file", "vocab.txt"))
    vocab = read_vocab(vocab_file)
    kwargs = dict(do_lower_case=bool(norm.get("lowercase", True)), strip_accents=norm.get("strip_accents"),
                  tokenize_chinese_chars=bool(norm.get("handle_chinese_chars", True)))
    cls = transformers.BertTokenizerFast
    # transformers 4 takes vocab_file=; transformers 5 (BertTokenizerFast = BertTokenizer) takes
    # vocab= (a path or a dict) and would quietly build a 5-token vocabulary from vocab_file=.
    if "vocab_file" in inspect.signature(cls.__init__).parameters:
        tok = cls(vocab_file=vocab_file, **kwargs)
    else:
        tok = cls(vocab=vocab, **kwargs)
    # clean_text is not a constructor argument: set the whole normalizer as the manifest says.
    from tokenizers import normalizers
    tok.backend_tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=bool(norm.get("clean_text", True)), handle_chinese_chars=kwargs["tokenize_chinese_chars"],
        strip_accents=kwargs["strip_accents"], lowercase=kwargs["do_lower_case"])

    problems = []
    got = tok.get_vocab()
    if len(got) != len(vocab) or any(got.get(t) != i for t, i in vocab.items()):
        problems.append(f"tokenizer vocabulary ({len(got)} entries) differs from {vocab_file} ({len(vocab)} entries)")
    for name, want in manifest["tokenizer"].get("special_tokens", {}).items():
        have = getattr(tok, f"{name}_token_id", None)
        if have != want:
            problems.append(f"special token {name}: tokenizer id {have}, manifest id {want}")
    print(f"tokenizer: {type(tok).__name__}, {len(got)} tokens, normalizer {kwargs} clean_text={norm.get('clean_text')}; "
          f"special ids cls={tok.cls_token_id} sep={tok.sep_token_id} mask={tok.mask_token_id} pad={tok.pad_token_id} "
          f"unk={tok.unk_token_id}")
    return tok, problems


@torch.no_grad()
def mlm_loss(model, tok, sentences, max_len, seed, device, batch_size=50):
    gen = torch.Generator().manual_seed(seed)
    total_loss, hf_loss, correct, masked, tokens, unks = 0.0, 0.0, 0, 0, 0, 0
    for b in range(0, len(sentences), batch_size):
        enc = tok(sentences[b:b + batch_size], truncation=True, max_length=max_len, padding=True,
                  return_tensors="pt", return_special_tokens_mask=True)
        ids = enc["input_ids"]
        candidates = (enc["special_tokens_mask"] == 0) & (enc["attention_mask"] == 1)
        tokens += int(candidates.sum())
        unks += int(((ids == tok.unk_token_id) & candidates).sum())
        chosen = (torch.rand(ids.shape, generator=gen) < 0.15) & candidates
        for row in range(ids.size(0)):  # at least one masked token per sentence
            if not chosen[row].any():
                pos = candidates[row].nonzero().flatten()
                chosen[row, pos[torch.randint(len(pos), (1,), generator=gen)]] = True
        labels = torch.where(chosen, ids, torch.full_like(ids, -100))
        inputs = {k: v.to(device) for k, v in enc.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
        inputs["input_ids"] = torch.where(chosen, torch.full_like(ids, tok.mask_token_id), ids).to(device)
        out = model(**inputs, labels=labels.to(device))
        logits = out.logits.float()[chosen.to(device)]
        target = ids[chosen].to(device)
        n = int(chosen.sum())
        total_loss += float(torch.nn.functional.cross_entropy(logits, target, reduction="sum"))
        hf_loss += float(out.loss) * n
        correct += int((logits.argmax(-1) == target).sum())
        masked += n
    return total_loss / masked, hf_loss / masked, correct / masked, masked, tokens, unks


@torch.no_grad()
def fill_mask(model, tok, sentence, device, k=5):
    enc = tok(sentence, return_tensors="pt").to(device)
    pos = (enc["input_ids"][0] == tok.mask_token_id).nonzero().flatten()
    probs = model(**enc).logits[0, pos[0]].float().softmax(-1)
    p, i = probs.topk(k)
    return [(tok.convert_ids_to_tokens(int(t)), float(q)) for q, t in zip(p, i)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("backbone")
    ap.add_argument("--text", default="out/heldout.txt")
    ap.add_argument("--sentences", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = ap.parse_args()

    with open(os.path.join(a.backbone, "autopeft.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    print(f"backbone {a.backbone}: transformers {transformers.__version__}, torch {torch.__version__}, device {a.device}"
          + (f" ({torch.cuda.get_device_name()})" if a.device == "cuda" else ""))
    model, problems = load_model(a.backbone, a.device)
    tok, tok_problems = load_tokenizer(a.backbone, manifest)
    problems += tok_problems
    cfg = model.config
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {cfg.num_hidden_layers} layers, hidden {cfg.hidden_size}, {cfg.num_attention_heads} heads, "
          f"FFN {cfg.intermediate_size}, vocabulary {cfg.vocab_size}: {n_params / 1e6:.2f} M parameters; "
          f"pretraining: {manifest['pretraining'].get('steps')} steps, final training loss "
          f"{manifest['pretraining'].get('final_loss', float('nan')):.3f}")

    with open(a.text, encoding="utf-8") as f:
        sentences = [s.strip() for s in f if s.strip()][:a.sentences]
    max_len = int(manifest.get("max_seq_length", cfg.max_position_embeddings))
    loss, hf_loss, acc, masked, tokens, unks = mlm_loss(model, tok, sentences, max_len, a.seed, a.device)
    ln_v = math.log(cfg.vocab_size)
    print(f"held-out MLM on {len(sentences)} sentences of {a.text} ({tokens} tokens, {unks} [UNK]; "
          f"{masked} masked, seed {a.seed}, max {max_len} tokens):")
    print(f"  loss {loss:.3f} (HF's own loss {hf_loss:.3f}), ln(vocab_size) {ln_v:.3f}, ratio {loss / ln_v:.3f}; "
          f"perplexity {math.exp(loss):.1f} vs {cfg.vocab_size}; masked-token accuracy {acc:.3f}")
    for s in FILL_MASK:
        top = ", ".join(f"{t} {p:.3f}" for t, p in fill_mask(model, tok, s, a.device))
        print(f"  fill-mask '{s}': {top}")

    ok_loss = loss < 0.8 * ln_v
    if not ok_loss:
        problems.append(f"loss {loss:.3f} is not below 0.8 * ln(vocab_size) = {0.8 * ln_v:.3f}")
    for p in problems:
        print(f"PROBLEM: {p}")
    print("PASS" if not problems else "FAIL")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
