#!/usr/bin/env python3
"""Makes the HF parity fixtures of the tokenizer tests (tests/data/test_tokenizer_parity.cpp).

Run where `transformers` (4.x or 5.x) and `tokenizers` are installed; nothing is downloaded:
    python3 tools/make_tokenizer_fixtures.py CORPUS.txt tests/fixtures/tokenizers

CORPUS.txt is any UTF-8 text, one sentence per line (the project uses WordNet glosses and
fortunes). The script
  1. builds ~3000 deterministic test strings (corpus lines, then generated: accented Latin, Greek,
     Cyrillic, CJK, Hangul, emoji with ZWJ sequences, words over 100 characters, runs of
     whitespace, control characters, punctuation, numbers, mixed case, contractions, literal
     special tokens) and ~300 pairs, written to strings.json;
  2. trains on the corpus plus those strings (so that their scripts are in the vocabularies)
     an uncased WordPiece (vocab 3000), a cased one (no lowercase, no accent stripping) and a
     byte-level BPE with RoBERTa's special tokens (vocab 3000), saving vocab.txt / vocab.json +
     merges.txt;
  3. loads them through transformers' BertTokenizerFast and RobertaTokenizerFast and records,
     in <kind>/cases.json: the ids of every string without special tokens, and batches of pairs
     and of single texts under each truncation strategy, max_length and padding, with their
     token_type_ids and attention masks (or the error HF raised).

`--strings-only FILE` writes step 1 alone (no HF needed).

cases.json: {"meta": {...versions, options, special tokens with their lstrip/rstrip...},
             "single": [[ids of strings[i]] ...],
             "batches": [{"pairs": bool, "rows": [indices into strings.json's pairs or texts],
                          "truncation": "longest_first" | "only_first" | "only_second" | "do_not_truncate",
                          "max_length": int, "padding": "longest" | "max_length" | "do_not_pad",
                          "pad_to_multiple_of": int, "input_ids": [[...]], "token_type_ids": [[...]],
                          "attention_mask": [[...]]} or {..., "error": "message"}]}
"""
import argparse
import json
import os
import random
import sys
import tempfile

SEED = 20261122
BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
ROBERTA_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]

ACCENTED = "àáâãäåāăąçćĉċčďđèéêëēĕėęěĝğġģĥħìíîïĩīĭįıĵķĺļľŀłñńņňŉòóôõöøōŏőœŕŗřśŝşšţťŧùúûüũūŭůűųŵýÿŷźżžßÀÉÎÕÜÇŒ"
GREEK = ["Αλφάβητο", "καλημέρα", "ΟΔΟΣ", "ἄνθρωπος", "Ἀθῆναι", "φιλοσοφία", "ΣΟΦΙΑ", "ψυχή", "ὁ λόγος", "ῥῆμα"]
CYRILLIC = ["Ёлка", "Москва", "ПРИВЕТ", "йогурт", "съёмка", "Україна", "ґанок", "Ђорђе", "щастье", "Љубљана"]
CJK = ["中国人民", "東京は日本の首都です", "我爱北京天安门。", "漢字かなカナ", "한국어 문장입니다", "서울특별시",
       "日本語のテキスト、句読点！", "𠀀𠀁𪜀", "丽乸", "囍"]
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇫🇷", "1️⃣", "❤️", "🧑‍💻", "🤷‍♀️", "🥰", "🫠", "✨", "🙏🏿", "👩🏻‍🔬"]
WHITESPACE = [" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2009", "\u200a", "\u2028", " \t \n ", "\u202f",
              "\x0b", "\x0c", "\u0085", "\u1680"]
CONTROL = ["\x00", "\x07", "\x1b", "\x7f", "\u200b", "\u200e", "\ufeff", "\ufffd", "\u00ad", "\u2060", "\ue000", "\x1f"]
PUNCT = ["!!!", "...", "?!?", "«»", "—", "…", "“quoted”", "‘single’", "(parens)", "[brackets]", "{braces}",
         "@#$%^&*", "~`|\\", "<>=+", "§¶†‡", "¿¡", "、。「」", "・", "‐‑‒–", "⸮", "※", "‼", ",;:"]
NUMBERS = ["0", "42", "3.14159", "1,234,567.89", "2024-05-01", "3rd", "1st", "½", "¾", "Ⅻ", "²³", "٣٤٥", "१२३",
           "１２３", "-17", "+1e10", "0x1F", "99%", "$5", "€20", "£3.50"]
CONTRACTIONS = ["don't", "I'm", "we'll", "they've", "she'd", "it's", "you're", "I'M", "DON'T", "y'all",
                "rock 'n' roll", "'s", "''", "o'clock", "l'avion", "it’s"]
MIXED = ["HeLLo WoRLD", "iPhone", "McDonald's", "eBay", "NASA", "CamelCaseWord", "snake_case_word", "ALLCAPS",
         "İstanbul", "straße", "ΣΊΣΥΦΟΣ", "ﬁnance", "ＡＢＣ", "𝐀𝐁𝐂", "Ⓐⓑ", "Å", "Å", "é", "é", "a\u0323\u0301"]
SPECIAL_LITERALS = ["[MASK]", "[CLS] x [SEP]", "hello [MASK] world", "hello[MASK]world", "[mask]", "[UNK]",
                    "<mask>", "hello <mask> world", "<s>hi</s>", " <pad> ", "a<mask>b", "[PAD][PAD]"]


def read_corpus(path):
    seen, lines = set(), []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.strip() and line not in seen:
                seen.add(line)
                lines.append(line)
    if len(lines) < 100:
        sys.exit(f"{path}: only {len(lines)} distinct non-empty lines; give a corpus of at least a few thousand")
    return lines


def make_strings(lines):
    r = random.Random(SEED)
    words = [w for line in r.sample(lines, min(len(lines), 2000)) for w in line.split()]

    def word():
        return r.choice(words)

    def accent(w):
        return "".join(r.choice(ACCENTED) if c.isalpha() and r.random() < 0.3 else c for c in w)

    texts = [lines[i] for i in sorted(r.sample(range(len(lines)), min(len(lines), 1400)))]
    gen = []
    gen += ["", " ", "\t\n", "a", "A", "é", "中", "😀"]
    for _ in range(120):
        gen.append(" ".join(accent(word()) for _ in range(r.randint(1, 8))))
    for _ in range(60):
        gen.append(" ".join(r.choice(GREEK) for _ in range(r.randint(1, 4))) + r.choice(["", ".", ";", " " + word()]))
    for _ in range(60):
        gen.append(" ".join(r.choice(CYRILLIC) for _ in range(r.randint(1, 4))) + r.choice(["", "!", " " + word()]))
    for _ in range(80):
        gen.append(r.choice(["", word() + " "]) + "".join(r.choice(CJK) for _ in range(r.randint(1, 3))) +
                   r.choice(["", " " + word(), "abc"]))
    for _ in range(80):
        gen.append(" ".join(r.choice([word(), r.choice(EMOJI), r.choice(EMOJI) + r.choice(EMOJI)])
                            for _ in range(r.randint(1, 6))))
    for _ in range(40):  # long words: around and over max_input_chars_per_word (100)
        n = r.choice([99, 100, 101, 150, 300])
        base = "".join(r.choice(words) for _ in range(60)).replace(" ", "")
        gen.append(r.choice(["", word() + " "]) + base[:n] + r.choice(["", " " + word(), "."]))
    for _ in range(120):
        gen.append("".join(r.choice([word(), r.choice(WHITESPACE), r.choice(WHITESPACE) * 3]) for _ in range(r.randint(2, 9))))
    for _ in range(80):
        gen.append("".join(r.choice([word(), " ", r.choice(CONTROL)]) for _ in range(r.randint(2, 8))))
    for _ in range(120):
        gen.append("".join(r.choice([word(), " ", r.choice(PUNCT), r.choice(PUNCT) * 2]) for _ in range(r.randint(2, 8))))
    for _ in range(100):
        gen.append(" ".join(r.choice([word(), r.choice(NUMBERS), r.choice(NUMBERS) + r.choice(NUMBERS)])
                            for _ in range(r.randint(1, 7))))
    for _ in range(100):
        w = [word() for _ in range(r.randint(1, 6))]
        gen.append(" ".join(x.upper() if r.random() < 0.3 else x.title() if r.random() < 0.3 else x for x in w) +
                   " " + r.choice(MIXED))
    for _ in range(100):
        gen.append(" ".join(r.choice([word(), r.choice(CONTRACTIONS)]) for _ in range(r.randint(1, 7))))
    for _ in range(60):
        gen.append(r.choice(SPECIAL_LITERALS) + r.choice(["", " " + word(), word()]))
    for _ in range(200):  # everything mixed
        pools = [lambda: word(), lambda: accent(word()), lambda: r.choice(GREEK), lambda: r.choice(CYRILLIC),
                 lambda: r.choice(CJK), lambda: r.choice(EMOJI), lambda: r.choice(WHITESPACE),
                 lambda: r.choice(CONTROL), lambda: r.choice(PUNCT), lambda: r.choice(NUMBERS),
                 lambda: r.choice(CONTRACTIONS), lambda: r.choice(MIXED)]
        gen.append("".join(r.choice(pools)() + r.choice(["", " "]) for _ in range(r.randint(1, 10))))
    while len(texts) + len(gen) < 3000:
        gen.append(accent(r.choice(lines)).upper() if r.random() < 0.5 else r.choice(lines) + " " + r.choice(EMOJI))
    texts += gen

    pairs = []
    for _ in range(220):
        i = r.randrange(len(lines) - 1)
        pairs.append([lines[i], lines[i + 1]])
    for _ in range(80):
        pairs.append([r.choice(texts), r.choice(texts)])
    for _ in range(60):  # a long side and a few words, both ways round
        long_side = max(r.sample(lines, 5), key=len)
        short = " ".join(word() for _ in range(r.randint(1, 2)))[:12]
        pairs.append([long_side, short] if r.random() < 0.5 else [short, long_side])
    pairs += [["", "b"], ["a", ""], ["short", " ".join(words[:80])], [" ".join(words[:80]), "short"]]
    return texts, pairs


def batch_plan(pairs, n_texts):
    """(pairs?, rows, truncation, max_length, padding, pad_to_multiple_of) for each batch.
    only_first / only_second fail (in HF and here) when the other side alone is over the budget,
    so their batches take pairs whose other side is a few words; one batch of each takes any."""
    r = random.Random(SEED + 1)
    n_pairs = len(pairs)
    short_b = [i for i, (a, b) in enumerate(pairs) if len(b.split()) <= 2 and len(b) <= 12 and len(a) > 40]
    short_a = [i for i, (a, b) in enumerate(pairs) if len(a.split()) <= 2 and len(a) <= 12 and len(b) > 40]
    paddings = ["longest", "max_length", "do_not_pad"]
    plan = []
    k = 0
    for t in ("longest_first", "only_first", "only_second", "do_not_truncate"):
        pool = short_b if t == "only_first" else short_a if t == "only_second" else range(n_pairs)
        for m in (8, 16, 32):
            for p in paddings:
                mult = [0, 0, 8][k % 3]
                k += 1
                plan.append((True, r.sample(pool, 5), t, m, p, mult))
    for t in ("only_first", "only_second"):
        plan.append((True, r.sample(range(n_pairs), 5), t, 16, "longest", 0))
    for t in ("longest_first", "only_first", "only_second", "do_not_truncate"):
        for m in (8, 16):
            for p in ("longest", "max_length"):
                plan.append((False, r.sample(range(n_texts), 5), t, m, p, 0))
    # the edge pairs (an empty side, a long side against a short one)
    plan.append((True, list(range(n_pairs - 4, n_pairs)), "longest_first", 12, "longest", 0))
    plan.append((True, list(range(n_pairs - 4, n_pairs)), "only_second", 12, "longest", 0))
    # transformers refuses to truncate to a length that padding would then round up
    plan.append((True, r.sample(range(n_pairs), 3), "longest_first", 12, "longest", 8))
    return plan


def load_checked(candidates, reference, probes):
    """The first transformers tokenizer built by `candidates` whose ids agree with the plain
    `tokenizers` pipeline `reference` on `probes`; transformers' loading API differs across
    4.x and 5.x, and a wrong one falls back silently to defaults (an empty vocabulary, no
    lowercasing)."""
    want = [e.ids for e in reference.encode_batch(probes, add_special_tokens=False)]
    errors = []
    for name, make in candidates:
        try:
            tok = make()
            got = tok(probes, add_special_tokens=False)["input_ids"]
        except Exception as e:  # noqa: BLE001 - try the next way of loading
            errors.append(f"{name}: {type(e).__name__}: {e}")
            continue
        if got == want:
            print(f"  loaded with {name}")
            return tok, name
        bad = sum(a != b for a, b in zip(got, want))
        errors.append(f"{name}: {bad} of {len(probes)} probes differ from the tokenizers pipeline")
    sys.exit("no way of loading agreed with the tokenizers pipeline:\n  " + "\n  ".join(errors))


def record(tok, texts, pairs, plan, meta, n_single=None):
    single = tok(texts[:n_single], add_special_tokens=False)["input_ids"]
    batches = []
    for is_pair, rows, trunc, max_length, padding, mult in plan:
        entry = {"pairs": is_pair, "rows": rows, "truncation": trunc, "max_length": max_length,
                 "padding": padding, "pad_to_multiple_of": mult}
        a = [pairs[i][0] for i in rows] if is_pair else [texts[i] for i in rows]
        b = [pairs[i][1] for i in rows] if is_pair else None
        kwargs = dict(truncation=False if trunc == "do_not_truncate" else trunc, max_length=max_length,
                      padding=False if padding == "do_not_pad" else padding,
                      return_token_type_ids=True, return_attention_mask=True)
        if mult:
            kwargs["pad_to_multiple_of"] = mult
        try:
            enc = tok(a, b, **kwargs)
            entry.update(input_ids=enc["input_ids"], token_type_ids=enc["token_type_ids"],
                         attention_mask=enc["attention_mask"])
        except Exception as e:  # noqa: BLE001 - HF refuses some truncations; the C++ must too
            entry["error"] = f"{type(e).__name__}: {e}"[:300]
        batches.append(entry)
    return {"meta": meta, "single": single, "batches": batches}


def added_tokens_meta(tok):
    out = {}
    for idx, t in sorted(tok.added_tokens_decoder.items()):
        out[str(t)] = {"id": int(idx), "lstrip": bool(t.lstrip), "rstrip": bool(t.rstrip),
                       "normalized": bool(t.normalized), "single_word": bool(t.single_word)}
    return out


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("out_dir", nargs="?", default="tests/fixtures/tokenizers")
    ap.add_argument("--strings-only", metavar="FILE", help="write the test strings and pairs to FILE and stop")
    ap.add_argument("--vocab-size", type=int, default=3000)
    args = ap.parse_args()

    lines = read_corpus(args.corpus)
    texts, pairs = make_strings(lines)
    strings = {"texts": texts, "pairs": pairs}
    if args.strings_only:
        write_json(args.strings_only, strings)
        print(f"{len(texts)} texts, {len(pairs)} pairs -> {args.strings_only}")
        return

    import tokenizers
    import transformers
    from tokenizers import AddedToken, Tokenizer, models, normalizers, pre_tokenizers, processors

    out = args.out_dir
    os.makedirs(out, exist_ok=True)
    write_json(os.path.join(out, "strings.json"), strings)
    plan = batch_plan(pairs, len(texts))
    versions = {"tokenizers": tokenizers.__version__, "transformers": transformers.__version__,
                "python": sys.version.split()[0]}
    probes = texts[::7][:400]

    with tempfile.TemporaryDirectory() as tmp:
        train_file = os.path.join(tmp, "train.txt")
        with open(train_file, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
            for _ in range(3):  # the generated scripts need some weight to enter a 3000 vocabulary
                f.write("\n".join(t.replace("\n", " ") for t in texts[1400:]) + "\n")

        for kind, lower in (("wordpiece", True), ("wordpiece_cased", False)):
            print(f"{kind}: training")
            d = os.path.join(out, kind)
            os.makedirs(d, exist_ok=True)
            wp = tokenizers.BertWordPieceTokenizer(clean_text=True, handle_chinese_chars=True,
                                                   strip_accents=None if lower else False, lowercase=lower)
            wp.train([train_file], vocab_size=args.vocab_size, min_frequency=2, special_tokens=BERT_SPECIALS,
                     limit_alphabet=1000, wordpieces_prefix="##", show_progress=False)
            wp.save_model(d)
            vocab_file = os.path.join(d, "vocab.txt")
            with open(vocab_file, encoding="utf-8") as f:
                vocab = {line.rstrip("\n"): i for i, line in enumerate(f)}

            ref = Tokenizer(models.WordPiece.from_file(vocab_file, unk_token="[UNK]"))
            ref.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                                        strip_accents=None if lower else False, lowercase=lower)
            ref.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
            ref.add_special_tokens(BERT_SPECIALS)
            kw = dict(do_lower_case=lower, strip_accents=None if lower else False, tokenize_chinese_chars=True)
            Bert = transformers.BertTokenizerFast
            tok, how = load_checked([
                ("BertTokenizerFast(vocab_file=...)", lambda: Bert(vocab_file=vocab_file, **kw)),
                ("BertTokenizerFast.from_pretrained(dir)", lambda: Bert.from_pretrained(d, **kw)),
                ("BertTokenizerFast(vocab=dict)", lambda: Bert(vocab=vocab, **kw)),
            ], ref, probes)
            meta = dict(versions, kind=kind, loaded_with=how, lowercase=lower,
                        strip_accents=lower, vocab_size=len(vocab), added_tokens=added_tokens_meta(tok))
            cases = record(tok, texts, pairs, plan if lower else plan[::4], meta, None if lower else 1000)
            write_json(os.path.join(d, "cases.json"), cases)

        print("bpe: training")
        d = os.path.join(out, "bpe")
        os.makedirs(d, exist_ok=True)
        bpe = tokenizers.ByteLevelBPETokenizer(add_prefix_space=False)
        bpe.train([train_file], vocab_size=args.vocab_size, min_frequency=2, special_tokens=ROBERTA_SPECIALS,
                  show_progress=False)
        bpe.save_model(d)
        vocab_file, merges_file = os.path.join(d, "vocab.json"), os.path.join(d, "merges.txt")
        with open(vocab_file, encoding="utf-8") as f:
            vocab = json.load(f)
        with open(merges_file, encoding="utf-8") as f:
            merges = [tuple(l.rstrip("\n").split(" ")) for l in f if l.strip() and not l.startswith("#version")]

        ref = Tokenizer(models.BPE.from_file(vocab_file, merges_file))
        ref.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        ref.add_special_tokens([AddedToken(t, lstrip=(t == "<mask>"), normalized=False) for t in ROBERTA_SPECIALS])
        Roberta = transformers.RobertaTokenizerFast
        tok, how = load_checked([
            ("RobertaTokenizerFast(vocab_file=..., merges_file=...)",
             lambda: Roberta(vocab_file=vocab_file, merges_file=merges_file)),
            ("RobertaTokenizerFast.from_pretrained(dir)", lambda: Roberta.from_pretrained(d)),
            ("RobertaTokenizerFast(vocab=dict, merges=list)", lambda: Roberta(vocab=vocab, merges=merges)),
        ], ref, [p for p in probes if "<" not in p])
        meta = dict(versions, kind="bpe", loaded_with=how, add_prefix_space=False, vocab_size=len(vocab),
                    merges=len(merges), added_tokens=added_tokens_meta(tok))
        write_json(os.path.join(d, "cases.json"), record(tok, texts, pairs, plan, meta))

    total = sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(out) for f in files)
    print(f"wrote {out}: {total / 1e6:.2f} MB; tokenizers {versions['tokenizers']}, "
          f"transformers {versions['transformers']}")


if __name__ == "__main__":
    main()
