#!/usr/bin/env python3
"""Generates include/autopeft/data/detail/unicode_tables.hpp, the Unicode data of the tokenizers.

    python3 tools/gen_unicode_tables.py [OUT.hpp] [--derived-age /usr/share/unicode/DerivedAge.txt]

Categories, decompositions, combining classes and case mappings come from Python's `unicodedata`
(its version is written into the header), so the tables are reproducible without ICU; sets are
sorted, inclusive code point ranges, mappings are compressed where the data allows.

What BERT uses follows HF tokenizers rather than the current standard. Its BertNormalizer and
BertPreTokenizer take P*, Cc/Cf/Co and Mn from the `unicode_categories` crate 0.1.1, and its NFD
(`unicode-normalization-alignments`) has no decomposition or combining class for characters
newer than Unicode 8.0. Those tables are therefore the current data restricted to code points
assigned by Unicode 8.0 (DerivedAge.txt, Debian package unicode-data), with the category changes
since then undone:
  U+166D  Po in 8.0 (So since 12.0)        U+111C9  Po in 8.0 (Mn since 11.0)
  U+1734  Mn in 8.0 (Mc since 14.0)        U+1885, U+1886  Lo in 8.0 (Mn since 9.0)
  U+A9BD  Mc in 8.0 (Mn since 12.0)
The category sets equal that crate's. So about 100 punctuation marks, 13 format characters and
380 non-spacing marks of later scripts (U+2E43.., U+0890, U+1AC1..) are ordinary characters
for BERT, and later marks are not reordered, as in HF.

The GPT-2 regex's \\p{L} and \\p{N} are Unicode 14.0 here and Oniguruma 6.9.8's (Unicode 14.0)
in HF; the lowercase mapping is Unicode 14.0 here and the Rust release's in HF (characters
with case added in Unicode 15 and later stay unchanged here). Against tokenizers 0.23 the
normaliser, both pre-tokenisers and the NFD agreed on 60,000 random strings drawn from 20 script
and symbol pools.
"""
import sys
import unicodedata as ud

MAX = 0x110000

# The White_Space property (what Rust's char::is_whitespace and Oniguruma's \s test). It is not
# exposed by unicodedata and has not changed since Unicode 6.3 (U+180E left it).
WHITE_SPACE = [(0x09, 0x0D), (0x20, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680),
               (0x2000, 0x200A), (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F),
               (0x3000, 0x3000)]


# Categories as Unicode 8.0 had them, for code points whose category has changed since.
UNICODE_8_CATEGORY = {0x166D: "Po", 0x111C9: "Po", 0x1734: "Mn", 0x1885: "Lo", 0x1886: "Lo",
                      0xA9BD: "Mc"}


def read_ages(path):
    """Code point -> (major, minor) of the Unicode version that assigned it."""
    ages = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#")[0].strip()
            if not line:
                continue
            rng, version = (x.strip() for x in line.split(";"))
            lo, _, hi = rng.partition("..")
            v = tuple(int(x) for x in version.split("."))
            for c in range(int(lo, 16), int(hi or lo, 16) + 1):
                ages[c] = v
    return ages


def unicode_8_category(ages):
    def cat(c):
        if ages.get(c, (99, 0)) > (8, 0):
            return "Cn"
        return UNICODE_8_CATEGORY.get(c, ud.category(chr(c)))
    return cat


def category_ranges(pred, category=lambda c: ud.category(chr(c))):
    ranges, start = [], None
    for c in range(MAX + 1):
        inside = c < MAX and pred(category(c))
        if inside and start is None:
            start = c
        elif not inside and start is not None:
            ranges.append((start, c - 1))
            start = None
    return ranges


def fmt_ranges(name, ranges, doc):
    items = [f"{{0x{a:X}, 0x{b:X}}}" for a, b in ranges]
    lines = [", ".join(items[i:i + 6]) for i in range(0, len(items), 6)]
    body = ",\n    ".join(lines)
    return f"/// {doc} ({len(ranges)} ranges)\ninline constexpr range {name}[] = {{\n    {body}}};\n"


def lowercase_runs():
    """Runs (first, last, stride, delta): every stride-th code point of [first, last] maps to
    itself + delta. U+0130 (the only full mapping of more than one code point) is left out."""
    single = []
    for c in range(MAX):
        low = chr(c).lower()
        if low != chr(c) and len(low) == 1:
            single.append((c, ord(low) - c))
    runs = []
    i = 0
    while i < len(single):
        c, d = single[i]
        if i + 1 < len(single) and single[i + 1][1] == d and single[i + 1][0] - c in (1, 2):
            stride = single[i + 1][0] - c
            j = i + 1
            while j + 1 < len(single) and single[j + 1][1] == d and single[j + 1][0] - single[j][0] == stride:
                j += 1
            runs.append((c, single[j][0], stride, d))
            i = j + 1
        else:
            runs.append((c, c, 1, d))
            i += 1
    return runs


def canonical_decompositions(assigned):
    """(code point, first, second): the one-level canonical decomposition (second 0 for
    singletons); Hangul syllables are decomposed algorithmically and left out."""
    out = []
    for c in range(MAX):
        if not assigned(c):
            continue
        d = ud.decomposition(chr(c))
        if not d or d.startswith("<"):
            continue
        parts = [int(x, 16) for x in d.split()]
        assert 1 <= len(parts) <= 2, hex(c)
        out.append((c, parts[0], parts[1] if len(parts) == 2 else 0))
    return out


def combining_classes(assigned):
    runs = []
    for c in range(MAX):
        k = ud.combining(chr(c)) if assigned(c) else 0
        if not k:
            continue
        if runs and runs[-1][1] == c - 1 and runs[-1][2] == k:
            runs[-1] = (runs[-1][0], c, k)
        else:
            runs.append((c, c, k))
    return runs


def main(out_path, age_path):
    ages = read_ages(age_path)
    cat8 = unicode_8_category(ages)
    by_unicode_8 = lambda c: ages.get(c, (99, 0)) <= (8, 0)
    for a, b in WHITE_SPACE:
        for c in range(a, b + 1):
            assert chr(c).isspace(), hex(c)
    sets = [
        ("punctuation", category_ranges(lambda k: k.startswith("P"), cat8),
         "General category P* (Pc Pd Pe Pf Pi Po Ps) as of Unicode 8.0, as HF's BERT"),
        ("other", category_ranges(lambda k: k in ("Cc", "Cf", "Co"), cat8),
         "Cc, Cf, Co as of Unicode 8.0: what HF's BertNormalizer drops (not Cn, Cs)"),
        ("nonspacing_mark", category_ranges(lambda k: k == "Mn", cat8),
         "General category Mn as of Unicode 8.0, as HF's BERT"),
        ("letter", category_ranges(lambda k: k.startswith("L")), "General category L* (\\p{L})"),
        ("number", category_ranges(lambda k: k.startswith("N")), "General category N* (\\p{N})"),
        ("white_space", WHITE_SPACE, "The White_Space property (Rust char::is_whitespace, \\s)"),
    ]
    low = lowercase_runs()
    dec = canonical_decompositions(by_unicode_8)
    ccc = combining_classes(by_unicode_8)

    parts = []
    parts.append(f"""#pragma once
// Generated by tools/gen_unicode_tables.py from Python {sys.version.split()[0]}'s unicodedata,
// Unicode {ud.unidata_version}. Do not edit; rerun the script. punctuation, other,
// nonspacing_mark, canonical and combining_class are Unicode 8.0's, as HF's BERT components
// have them (the script's docstring says how and why); the rest is Unicode {ud.unidata_version}.
#include <cstdint>

namespace autopeft::data::detail::unicode_tables {{

inline constexpr const char* unicode_version = "{ud.unidata_version}";

/// An inclusive code point range.
struct range {{
  std::uint32_t lo, hi;
}};
""")
    for name, ranges, doc in sets:
        parts.append(fmt_ranges(name, ranges, doc))

    items = [f"{{0x{a:X}, 0x{b:X}, {s}, {d}}}" for a, b, s, d in low]
    lines = [", ".join(items[i:i + 4]) for i in range(0, len(items), 4)]
    parts.append("/// Simple lowercase mappings: every `stride`-th code point of [lo, hi] maps to itself +\n"
                 "/// delta. U+0130 maps to \"i\\u0307\" (full mapping) and is handled in code.\n"
                 "struct lowercase_run {\n  std::uint32_t lo, hi;\n  std::uint8_t stride;\n"
                 "  std::int32_t delta;\n};\n"
                 f"inline constexpr lowercase_run lowercase[] = {{\n    " + ",\n    ".join(lines) + "};\n")

    items = [f"{{0x{c:X}, 0x{a:X}, 0x{b:X}}}" for c, a, b in dec]
    lines = [", ".join(items[i:i + 5]) for i in range(0, len(items), 5)]
    parts.append("/// One-level canonical decompositions as of Unicode 8.0 (second = 0: a singleton), applied\n"
                 "/// recursively; Hangul syllables are decomposed algorithmically.\n"
                 "struct decomposition {\n  std::uint32_t cp, first, second;\n};\n"
                 f"inline constexpr decomposition canonical[] = {{\n    " + ",\n    ".join(lines) + "};\n")

    items = [f"{{0x{a:X}, 0x{b:X}, {k}}}" for a, b, k in ccc]
    lines = [", ".join(items[i:i + 6]) for i in range(0, len(items), 6)]
    parts.append("/// Non-zero canonical combining classes as of Unicode 8.0, by range.\n"
                 "struct combining_class_run {\n  std::uint32_t lo, hi;\n  std::uint8_t ccc;\n};\n"
                 f"inline constexpr combining_class_run combining_class[] = {{\n    " + ",\n    ".join(lines) + "};\n")

    parts.append("\n}  // namespace autopeft::data::detail::unicode_tables\n")
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(parts))


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", nargs="?", default="include/autopeft/data/detail/unicode_tables.hpp")
    ap.add_argument("--derived-age", default="/usr/share/unicode/DerivedAge.txt",
                    help="DerivedAge.txt of the UCD (apt-get install unicode-data)")
    args = ap.parse_args()
    main(args.out, args.derived_age)
