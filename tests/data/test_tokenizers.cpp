// Tokenizers on hand-made vocabularies whose expected outputs are worked out by hand; parity with
// HF on trained vocabularies is test_tokenizer_parity.cpp's.
#include <autopeft/data/detail/byte_level.hpp>
#include <autopeft/data/tokenizers.hpp>

#include "../support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace autopeft;
using namespace autopeft::data;

namespace {

using ids_t = std::vector<std::int64_t>;
using strings = std::vector<std::string>;

// The model implementation of data/concepts.hpp, verbatim.
struct word_tokenizer {
  std::vector<std::string> words;  // id = index; 0..3 are [PAD] [UNK] [CLS] [SEP]
  std::vector<std::int64_t> encode(std::string_view text) const {
    std::vector<std::int64_t> ids;
    std::istringstream in{std::string(text)};
    for (std::string w; in >> w;) {
      auto it = std::ranges::find(words, w);
      ids.push_back(it == words.end() ? 1 : it - words.begin());
    }
    return ids;
  }
  data::special_token_ids special_ids() const { return {.cls = 2, .sep = 3, .pad = 0, .unk = 1}; }
  data::sequence_template post_processor() const { return data::sequence_template::bert(special_ids()); }
};

struct only_encodes {
  std::vector<std::int64_t> encode(std::string_view) const { return {}; }
};

static_assert(tokenizer<wordpiece_tokenizer>);
static_assert(tokenizer<byte_level_bpe_tokenizer>);
static_assert(tokenizer<word_tokenizer>);
static_assert(!tokenizer<only_encodes>);
static_assert(!tokenizer<int>);

wordpiece_tokenizer tiny_wordpiece(wordpiece_options o = {}) {
  return wordpiece_tokenizer(
      {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "want", "##want", "##ed", "wa", "un", "runn", "##ing", ",",
       "low", "lowest", "##aff", "##able", "hello", "!", "?", "how", "are", "you", "\u535A", "\u63A8", "ah", "zz",
       "a", "##a", "$", "5", "+", "3", "\u00AB", "\u00BB", "hi", "[", "]", "mask", "H\u00E9llo", "creme",
       "brulee", "\u0435\u043B\u043A\u0430", "\u03B1\u03BB\u03C6\u03B1", "##\u0301"},
      std::move(o));
}

strings tokens(const wordpiece_tokenizer& t, std::string_view s) { return t.tokenize(s); }

// A byte-level BPE whose vocabulary is <s> <pad> </s> <unk> <mask>, the 256 byte characters and
// the results of `merges` (given as pairs of byte-character strings), in that order.
byte_level_bpe_tokenizer tiny_bpe(const std::vector<std::pair<std::string, std::string>>& merges,
                                  byte_level_bpe_options o = {}) {
  std::vector<std::pair<std::string, std::int64_t>> vocab;
  for (const char* s : {"<s>", "<pad>", "</s>", "<unk>", "<mask>"})
    vocab.emplace_back(s, static_cast<std::int64_t>(vocab.size()));
  for (char32_t c : data::detail::byte_to_unicode()) {
    std::string u;
    data::detail::append_utf8(u, c);
    vocab.emplace_back(u, static_cast<std::int64_t>(vocab.size()));
  }
  for (const auto& [a, b] : merges)
    if (std::ranges::none_of(vocab, [&](const auto& v) { return v.first == a + b; }))
      vocab.emplace_back(a + b, static_cast<std::int64_t>(vocab.size()));
  return byte_level_bpe_tokenizer(std::move(vocab), merges, std::move(o));
}

const std::vector<std::pair<std::string, std::string>> hello_merges = {
    {"H", "e"}, {"l", "l"}, {"He", "ll"}, {"Hell", "o"}, {"\u0120", "w"},
    {"o", "r"}, {"\u0120w", "or"}, {"l", "d"}, {"\u0120wor", "ld"}};

strings split_gpt2(std::string_view s) {
  strings out;
  data::detail::gpt2_split(s, [&](std::string_view p) {
    out.emplace_back(p);
    return true;
  });
  return out;
}

}  // namespace

TEST_CASE("bert_normalizer cleans control characters and maps White_Space to spaces", "[data][tokenizer]") {
  const bert_normalizer n{.lowercase = false};
  CHECK(n(std::string("a\0b", 3) + "\uFFFDc\u200Bd\x01" "e\x7F" "f\uE000g") == "abcdefg");
  CHECK(n("a\tb\nc\rd\u00A0e\u3000f\u2028g") == "a b c d e f g");
  CHECK(n("a\x0B" "b\x0C" "c\u0085d") == "abcd");  // VT, FF, NEL are Cc: dropped before the mapping
  CHECK(n("\xFF\xFEok") == "ok");                     // ill-formed UTF-8 decodes as U+FFFD: dropped
  CHECK(bert_normalizer{.clean_text = false, .lowercase = false}("a\tb") == "a\tb");
}

TEST_CASE("bert_normalizer spaces HF's CJK ideograph blocks", "[data][tokenizer]") {
  const bert_normalizer n{.lowercase = false};
  CHECK(n("\u4E2D\u56FDx") == " \u4E2D  \u56FD x");
  CHECK(n("\U0002B920") == " \U0002B920 ");  // HF's sixth block starts here ...
  CHECK(n("\U0002B820") == "\U0002B820");    // ... where Google BERT's starts
  CHECK(n("\u3042") == "\u3042");            // hiragana is not an ideograph
  CHECK(bert_normalizer{.handle_chinese_chars = false, .lowercase = false}("\u4E2D") == "\u4E2D");
}

TEST_CASE("bert_normalizer strips accents through NFD and lowercases per character", "[data][tokenizer]") {
  const bert_normalizer uncased{};
  CHECK(uncased("\u0401\u043B\u043A\u0430 \u0386\u03BB\u03C6\u03B1 Cr\u00E8me Br\u00FBl\u00E9e") ==
        "\u0435\u043B\u043A\u0430 \u03B1\u03BB\u03C6\u03B1 creme brulee");
  CHECK(uncased("\u0439") == "\u0438");                      // й = и + breve (Mn)
  CHECK(uncased("\uD55C") == "\u1112\u1161\u11AB");          // Hangul syllable -> jamo
  CHECK(uncased("\u212A") == "k");                           // Kelvin sign -> K -> k
  CHECK(uncased("\u0130") == "i");                           // İ: NFD strips the dot first
  CHECK(uncased("\u1F82") == "\u03B1");                      // three marks under one letter
  CHECK(uncased("e\u0301\u0323x") == "ex");                  // combining marks after a letter
  CHECK(uncased("\u00C5\u212B") == "aa");                    // Å and the Angstrom sign

  const bert_normalizer keep_accents{.strip_accents = false};
  CHECK(keep_accents("H\u00C9LLO") == "h\u00E9llo");
  CHECK(keep_accents("\u0130") == "i\u0307");                // Rust's full lowercase mapping
  CHECK(keep_accents("\u039F\u0394\u039F\u03A3") == "\u03BF\u03B4\u03BF\u03C3");  // no final sigma

  const bert_normalizer cased{.lowercase = false};
  CHECK_FALSE(cased.strips_accents());
  CHECK(cased("H\u00E9llo") == "H\u00E9llo");
  CHECK(bert_normalizer{.strip_accents = true, .lowercase = false}("H\u00E9llo") == "Hello");
}

TEST_CASE("canonical ordering sorts each run of combining marks by class", "[data][tokenizer]") {
  std::u32string s = U"a\u0301\u0323b\u0308\u0327";
  data::detail::canonical_order(s.begin(), s.end());
  CHECK(s == U"a\u0323\u0301b\u0327\u0308");
  std::u32string d;
  data::detail::append_decomposition(d, U'\u1E69');  // ṩ: s + dot below + dot above
  CHECK(d == U"s\u0323\u0307");
}

TEST_CASE("wordpiece splits greedily, longest match first, with ## continuations", "[data][tokenizer]") {
  const auto tok = tiny_wordpiece();
  CHECK(tokens(tok, "unaffable") == strings{"un", "##aff", "##able"});
  CHECK(tokens(tok, "UNwant\u00E9d,running") == strings{"un", "##want", "##ed", ",", "runn", "##ing"});
  CHECK(tokens(tok, " \tHeLLo!how  \n Are yoU?  ") == strings{"hello", "!", "how", "are", "you", "?"});
  CHECK(tokens(tok, "ah\u535A\u63A8zz") == strings{"ah", "\u535A", "\u63A8", "zz"});
  CHECK(tokens(tok, "\u0401\u043B\u043A\u0430 \u0386\u03BB\u03C6\u03B1 Cr\u00E8me") ==
        strings{"\u0435\u043B\u043A\u0430", "\u03B1\u03BB\u03C6\u03B1", "creme"});
  CHECK(tokens(tok, "$5+3") == strings{"$", "5", "+", "3"});                // ASCII symbols split too
  CHECK(tokens(tok, "\u00ABhi\u00BB") == strings{"\u00AB", "hi", "\u00BB"});  // Unicode P*
  CHECK(tokens(tok, "unwantedx lowest") == strings{"[UNK]", "lowest"});      // no cover: one [UNK]
  CHECK(tok.encode("").empty());
  CHECK(tok.encode(" \t\n").empty());
}

TEST_CASE("wordpiece maps words over max_input_chars_per_word to [UNK]", "[data][tokenizer]") {
  const auto tok = tiny_wordpiece();
  const auto at_limit = tok.tokenize(std::string(100, 'a'));
  REQUIRE(at_limit.size() == 100);
  CHECK(at_limit.front() == "a");
  CHECK(at_limit.back() == "##a");
  CHECK(tokens(tok, std::string(101, 'a')) == strings{"[UNK]"});
  CHECK(tokens(tok, "hi " + std::string(101, 'a') + " hi") == strings{"hi", "[UNK]", "hi"});
  const auto tok_short = tiny_wordpiece({.max_input_chars_per_word = 2});
  CHECK(tokens(tok_short, "aaa aa") == strings{"[UNK]", "a", "##a"});
  // The limit counts code points: "αλφα" is 4 of them in 8 bytes.
  CHECK(tokens(tiny_wordpiece({.max_input_chars_per_word = 4}), "\u0391\u03BB\u03C6\u03B1") ==
        strings{"\u03B1\u03BB\u03C6\u03B1"});
}

TEST_CASE("wordpiece recognises special tokens in raw text, before normalisation", "[data][tokenizer]") {
  const auto tok = tiny_wordpiece();
  const auto s = tok.special_ids();
  CHECK(s.pad == 0);
  CHECK(s.unk == 1);
  CHECK(s.cls == 2);
  CHECK(s.sep == 3);
  CHECK(s.mask == 4);
  CHECK(tok.encode("hello [MASK] you") == ids_t{17, 4, 22});
  CHECK(tok.encode("hello[MASK]you") == ids_t{17, 4, 22});
  CHECK(tokens(tok, "[mask]") == strings{"[", "mask", "]"});  // case matters: not special
  CHECK(tokens(tok, "[CLS]hi[SEP]") == strings{"[CLS]", "hi", "[SEP]"});
  const auto plain = tiny_wordpiece({.split_special_tokens = true});
  CHECK(tokens(plain, "[MASK]") == strings{"[", "mask", "]"});
}

TEST_CASE("cased wordpiece keeps case and accents", "[data][tokenizer]") {
  const auto tok = tiny_wordpiece({.normalizer = {.lowercase = false}});
  CHECK(tokens(tok, "H\u00E9llo hello") == strings{"H\u00E9llo", "hello"});
  CHECK(tokens(tok, "Hello") == strings{"[UNK]"});
}

TEST_CASE("wordpiece decode glues continuations and skips special tokens", "[data][tokenizer]") {
  const auto tok = tiny_wordpiece();
  CHECK(tok.decode(tok.encode("unaffable, running!")) == "unaffable , running !");
  const ids_t with_specials{2, 9, 15, 16, 3};
  CHECK(tok.decode(with_specials) == "unaffable");
  CHECK(tok.decode(with_specials, false) == "[CLS] unaffable [SEP]");
  CHECK(tok.token_to_id("##aff") == 15);
  CHECK_FALSE(tok.token_to_id("nope").has_value());
  CHECK_THROWS_AS(tok.id_to_token(999), autopeft::error);
}

TEST_CASE("wordpiece reads vocab.txt as HF does and names what is missing", "[data][tokenizer]") {
  autopeft::testing::scratch_dir dir{"wordpiece"};
  {
    std::ofstream f(dir / "vocab.txt", std::ios::binary);
    f << "[PAD]\n[UNK]\r\n[CLS]  \n[SEP]\n[MASK]\nhello\n##s\n";
  }
  const auto tok = wordpiece_tokenizer::from_file(dir / "vocab.txt");
  CHECK(tok.vocab_size() == 7);
  CHECK(tok.special_ids().cls == 2);  // trailing whitespace and \r trimmed
  CHECK(tok.encode("Hellos") == ids_t{5, 6});

  {
    std::ofstream f(dir / "no_unk.txt");
    f << "[PAD]\n[CLS]\n[SEP]\nhello\n";
  }
  try {
    (void)wordpiece_tokenizer::from_file(dir / "no_unk.txt");
    FAIL("a vocabulary without [UNK] was accepted");
  } catch (const file_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("no_unk.txt") && Catch::Contains("'[UNK]'") &&
                             Catch::Contains("unk_token"));
  }
  CHECK_THROWS_AS(wordpiece_tokenizer::from_file(dir / "missing.txt"), file_error);
}

TEST_CASE("GPT-2 byte characters: printable bytes stand for themselves, others from U+0100", "[data][tokenizer]") {
  const auto& t = data::detail::byte_to_unicode();
  CHECK(t[' '] == U'\u0120');   // Ġ
  CHECK(t['\n'] == U'\u010A');  // Ċ
  CHECK(t['\t'] == U'\u0109');  // ĉ
  CHECK(t['A'] == U'A');
  CHECK(t[0] == U'\u0100');
  CHECK(t[0x7F] == U'\u0121');
  CHECK(t[0xAD] == U'\u0143');  // soft hyphen, the one unprintable Latin-1 letter-range byte
  CHECK(t[0xE9] == U'\u00E9');
  std::vector<char32_t> sorted(t.begin(), t.end());
  std::ranges::sort(sorted);
  CHECK(std::ranges::adjacent_find(sorted) == sorted.end());  // a bijection
}

TEST_CASE("the GPT-2 pre-tokenisation regex, by hand", "[data][tokenizer]") {
  CHECK(split_gpt2("Hello world") == strings{"Hello", " world"});
  CHECK(split_gpt2("I'm here's they'll we've you'd it't 're") ==
        strings{"I", "'m", " here", "'s", " they", "'ll", " we", "'ve", " you", "'d", " it", "'t", " '", "re"});
  CHECK(split_gpt2("I'M") == strings{"I", "'", "M"});  // contractions are case-sensitive
  CHECK(split_gpt2("a   b") == strings{"a", "  ", " b"});
  CHECK(split_gpt2("a\n\nb") == strings{"a", "\n", "\n", "b"});
  CHECK(split_gpt2("a \n b") == strings{"a", " \n", " b"});
  CHECK(split_gpt2("a  ") == strings{"a", "  "});
  CHECK(split_gpt2("  a") == strings{" ", " a"});
  CHECK(split_gpt2("x2024 and 3.5%!!") == strings{"x", "2024", " and", " 3", ".", "5", "%!!"});
  CHECK(split_gpt2("''s !'s") == strings{"''", "s", " !'", "s"});
  CHECK(split_gpt2("caf\u00E9 \u00BD\u2162") == strings{"caf\u00E9", " \u00BD\u2162"});  // No, Nl are \p{N}
  CHECK(split_gpt2("a\u00A0b") == strings{"a", "\u00A0", "b"});  // NBSP is \s, not ' '
  CHECK(split_gpt2("\U0001F600\U0001F600 x") == strings{"\U0001F600\U0001F600", " x"});
  CHECK(split_gpt2("").empty());
}

TEST_CASE("byte-level BPE merges by rank over byte characters", "[data][tokenizer]") {
  const auto tok = tiny_bpe(hello_merges);
  CHECK(tok.tokenize("Hello world") == strings{"Hello", "\u0120world"});
  CHECK(tok.tokenize("Hello  world") == strings{"Hello", "\u0120", "\u0120world"});
  CHECK(tok.tokenize("Hello\nworld") == strings{"Hello", "\u010A", "w", "or", "ld"});
  CHECK(tok.tokenize("\u00E9") == strings{"\u00C3", "\u00A9"});  // é is bytes C3 A9
  CHECK(tok.encode("") == ids_t{});

  // Rank decides: the same word under two orders of the same merges.
  CHECK(tiny_bpe({{"b", "c"}, {"a", "b"}}).tokenize("abc") == strings{"a", "bc"});
  CHECK(tiny_bpe({{"a", "b"}, {"b", "c"}}).tokenize("abc") == strings{"ab", "c"});
  // On equal rank the leftmost pair merges first.
  CHECK(tiny_bpe({{"a", "a"}}).tokenize("aaa") == strings{"aa", "a"});
  CHECK(tiny_bpe({{"a", "a"}, {"aa", "aa"}}).tokenize("aaaaa") == strings{"aaaa", "a"});
  // The cache returns what a fresh merge gives.
  CHECK(tok.tokenize("Hello world") == strings{"Hello", "\u0120world"});
}

TEST_CASE("byte-level BPE special tokens and add_prefix_space", "[data][tokenizer]") {
  const auto tok = tiny_bpe(hello_merges);
  const auto s = tok.special_ids();
  CHECK(s.cls == 0);
  CHECK(s.pad == 1);
  CHECK(s.sep == 2);
  CHECK(s.unk == 3);
  CHECK(s.mask == 4);
  CHECK(s.bos() == 0);
  CHECK(s.eos() == 2);
  CHECK(tok.tokenize("<s>Hello</s>") == strings{"<s>", "Hello", "</s>"});
  CHECK(tok.tokenize("Hello <mask> world") == strings{"Hello", "<mask>", "\u0120world"});  // lstrip
  const auto no_lstrip = tiny_bpe(hello_merges, {.mask_token = {"<mask>"}});
  CHECK(no_lstrip.tokenize("Hello <mask>") == strings{"Hello", "\u0120", "<mask>"});
  const auto prefixed = tiny_bpe(hello_merges, {.add_prefix_space = true});
  CHECK(prefixed.tokenize("world") == strings{"\u0120world"});
  CHECK(prefixed.tokenize(" world") == strings{"\u0120world"});
  CHECK(prefixed.tokenize("<s>world") == strings{"<s>", "\u0120world"});
}

TEST_CASE("byte-level BPE decode inverts encode on any bytes", "[data][tokenizer]") {
  const auto tok = tiny_bpe(hello_merges);
  std::mt19937 rng(3);
  const std::vector<std::string> alphabet = {"a", " ", "H", "e", "l", "o", "\n", "\u00E9", "\u4E2D", "\U0001F600",
                                             "'s", "\t", "\xFF", "\xC3", "1", "!", "\u00A0", "<s>", "<mask>"};
  for (int trial = 0; trial < 200; ++trial) {
    std::string s;
    const int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) s += alphabet[rng() % alphabet.size()];
    INFO(s);
    const auto ids = tok.encode(s);
    if (s.find("<mask>") == std::string::npos) CHECK(tok.decode(ids, false) == s);
  }
  CHECK(tok.decode(tok.encode("<s>Hello</s>")) == "Hello");
}

TEST_CASE("the tokenizers take any bytes", "[data][tokenizer]") {
  const auto wp = tiny_wordpiece();
  const auto bpe = tiny_bpe(hello_merges);
  std::mt19937 rng(11);
  for (int trial = 0; trial < 500; ++trial) {
    std::string s(rng() % 24, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 256);
    INFO(trial);
    for (auto id : wp.encode(s)) CHECK(id < static_cast<std::int64_t>(wp.vocab_size()));
    CHECK(bpe.decode(bpe.encode(s), false) == s);  // no special token can form by chance here
  }
}

TEST_CASE("byte-level BPE refuses a deeply nested vocab.json with an error, not a stack overflow", "[data][tokenizer]") {
  // Found by fuzzing: the error message dumped the nested id, recursing once per level.
  autopeft::testing::scratch_dir dir{"bpe-deep"};
  {
    std::ofstream v(dir / "vocab.json");
    v << R"({"a": )" << std::string(200000, '[') << std::string(200000, ']') << "}";
    std::ofstream m(dir / "merges.txt");
  }
  CHECK_THROWS_WITH(byte_level_bpe_tokenizer::from_files(dir / "vocab.json", dir / "merges.txt"),
                    Catch::Contains("vocab.json") && Catch::Contains("nest deeper than 64 levels"));
}

TEST_CASE("byte-level BPE reads vocab.json and merges.txt and names a bad merge line", "[data][tokenizer]") {
  autopeft::testing::scratch_dir dir{"bpe"};
  {
    std::ofstream v(dir / "vocab.json");
    v << R"({"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<mask>": 4, "h": 5, "i": 6, "hi": 7, "\u0120": 8,)"
      << R"( "\u0120hi": 9})";
    std::ofstream m(dir / "merges.txt");
    m << "#version: 0.2\nh i\n\u0120 hi\n";
  }
  const auto tok = byte_level_bpe_tokenizer::from_files(dir / "vocab.json", dir / "merges.txt");
  CHECK(tok.merges_size() == 2);
  CHECK(tok.encode("hi hi") == ids_t{7, 9});
  CHECK(tok.encode("hx") == ids_t{5});  // 'x' has no entry: dropped, as HF without unk

  {
    std::ofstream m(dir / "bad.txt");
    m << "#version: 0.2\nh i\nhi\n";
  }
  try {
    (void)byte_level_bpe_tokenizer::from_files(dir / "vocab.json", dir / "bad.txt");
    FAIL("a merge line without a pair was accepted");
  } catch (const file_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("bad.txt") && Catch::Contains("line 3"));
  }
  {
    std::ofstream m(dir / "oov.txt");
    m << "h x\n";
  }
  CHECK_THROWS_WITH(byte_level_bpe_tokenizer::from_files(dir / "vocab.json", dir / "oov.txt"),
                    Catch::Contains("line 1") && Catch::Contains("'x'"));
}

TEST_CASE("encode_batch frames BERT and RoBERTa inputs with their templates", "[data][tokenizer]") {
  const auto bert = tiny_wordpiece();
  const std::vector<std::pair<std::string, std::string>> pair = {{"hello", "how are you"}};
  const auto b = encode_batch(bert, pair);
  CHECK(b.input_ids == std::vector<ids_t>{{2, 17, 3, 20, 21, 22, 3}});
  CHECK(b.token_type_ids == std::vector<ids_t>{{0, 0, 0, 1, 1, 1, 1}});
  CHECK(b.attention_mask == std::vector<ids_t>{{1, 1, 1, 1, 1, 1, 1}});

  const auto roberta = tiny_bpe(hello_merges);
  const std::vector<std::pair<std::string, std::string>> rpair = {{"Hello", " world"}};
  const auto r = encode_batch(roberta, rpair);
  const auto hello = *roberta.token_to_id("Hello"), world = *roberta.token_to_id("\u0120world");
  CHECK(r.input_ids == std::vector<ids_t>{{0, hello, 2, 2, world, 2}});
  CHECK(r.token_type_ids == std::vector<ids_t>{{0, 0, 0, 0, 0, 0}});

  const strings single = {"Hello"};
  CHECK(encode_batch(roberta, single).input_ids == std::vector<ids_t>{{0, hello, 2}});
  CHECK(encode_batch(roberta, single, {.add_special_tokens = false}).input_ids == std::vector<ids_t>{{hello}});
  const auto nospecial = encode_batch(bert, pair, {.add_special_tokens = false});
  CHECK(nospecial.input_ids == std::vector<ids_t>{{17, 20, 21, 22}});
  CHECK(nospecial.token_type_ids == std::vector<ids_t>{{0, 1, 1, 1}});
}

namespace {
word_tokenizer counting() {  // words "w0" ... "w39" have ids 4 ... 43
  word_tokenizer t{{"[PAD]", "[UNK]", "[CLS]", "[SEP]"}};
  for (int i = 0; i < 40; ++i) t.words.push_back("w" + std::to_string(i));
  return t;
}
std::string words(int n, int from = 0) {
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? " w" : "w") + std::to_string(from + i);
  return s;
}
// Lengths of A and B after encoding the pair (na, nb) words at max_length.
std::pair<std::size_t, std::size_t> kept(int na, int nb, std::size_t max_length,
                                         truncation_strategy t = truncation_strategy::longest_first) {
  const std::vector<std::pair<std::string, std::string>> p = {{words(na), words(nb, 20)}};
  const auto row = encode_batch(counting(), p, {.max_length = max_length, .truncation = t}).input_ids[0];
  const auto sep = std::ranges::find(row, 3) - row.begin();
  return {static_cast<std::size_t>(sep - 1), row.size() - static_cast<std::size_t>(sep) - 2};
}
}  // namespace

TEST_CASE("the concept's model implementation encodes", "[data][tokenizer]") {
  CHECK(counting().encode("w0 x  w2") == ids_t{4, 1, 6});
}

TEST_CASE("longest_first truncation follows HF tokenizers", "[data][tokenizer]") {
  using P = std::pair<std::size_t, std::size_t>;
  // budget = max_length - 3 ([CLS] A [SEP] B [SEP])
  CHECK(kept(10, 10, 12) == P{4, 5});   // both cut: budget 9 split 4 / 5, the odd token to B on a tie
  CHECK(kept(12, 10, 12) == P{5, 4});   // the longer keeps the odd token
  CHECK(kept(10, 12, 12) == P{4, 5});
  CHECK(kept(3, 20, 12) == P{3, 6});    // the short one fits in half: only the long one is cut
  CHECK(kept(20, 3, 12) == P{6, 3});
  CHECK(kept(4, 6, 12) == P{4, 5});     // 4 <= 9 / 2 + ..: B keeps 9 - 4
  CHECK(kept(5, 5, 12) == P{4, 5});
  CHECK(kept(4, 4, 12) == P{4, 4});     // fits: untouched
  CHECK(kept(15, 12, 3) == P{0, 0});    // budget 0 empties both
  const strings single = {words(20)};
  CHECK(encode_batch(counting(), single, {.max_length = 8}).input_ids[0].size() == 8);
}

TEST_CASE("only_first and only_second cut one side or fail as HF", "[data][tokenizer]") {
  using P = std::pair<std::size_t, std::size_t>;
  CHECK(kept(10, 4, 12, truncation_strategy::only_first) == P{5, 4});
  CHECK(kept(4, 10, 12, truncation_strategy::only_second) == P{4, 5});
  CHECK(kept(15, 12, 3, truncation_strategy::only_second) == P{0, 0});  // budget 0: both, as HF
  CHECK_THROWS_WITH(kept(4, 10, 12, truncation_strategy::only_first),
                    Catch::Contains("only_first must remove 5 tokens") && Catch::Contains("has only 4"));
  CHECK_THROWS_WITH(kept(3, 10, 12, truncation_strategy::only_first), Catch::Contains("text 0"));
  const strings single = {words(20)};
  CHECK_THROWS_WITH(encode_batch(counting(), single, {.max_length = 8, .truncation = truncation_strategy::only_second}),
                    Catch::Contains("only_second needs a second sequence"));
  const strings fits = {words(3)};
  CHECK(encode_batch(counting(), fits, {.max_length = 8, .truncation = truncation_strategy::only_second})
            .input_ids[0].size() == 5);
  CHECK(kept(20, 20, 12, truncation_strategy::do_not_truncate) == P{20, 20});
  CHECK_THROWS_WITH(kept(2, 2, 2), Catch::Contains("max_length 2 is less than the 3 special tokens"));
}

TEST_CASE("encode_batch pads on the right to the longest row, max_length or a multiple", "[data][tokenizer]") {
  const strings texts = {words(2), words(5), words(1)};
  const auto tok = counting();
  const auto longest = encode_batch(tok, texts);
  CHECK(longest.rectangular());
  CHECK(longest.max_row_length() == 7);
  CHECK(longest.input_ids[0] == ids_t{2, 4, 5, 3, 0, 0, 0});
  CHECK(longest.attention_mask[0] == ids_t{1, 1, 1, 1, 0, 0, 0});
  CHECK(longest.token_type_ids[0] == ids_t{0, 0, 0, 0, 0, 0, 0});
  CHECK(encode_batch(tok, texts, {.pad_to_multiple_of = 4}).max_row_length() == 8);
  CHECK(encode_batch(tok, texts, {.max_length = 10, .padding = padding_strategy::max_length}).input_ids[2].size() == 10);
  CHECK_THROWS_WITH(encode_batch(tok, texts, {.max_length = 10, .pad_to_multiple_of = 4}),
                    Catch::Contains("make max_length a multiple of pad_to_multiple_of"));
  CHECK(encode_batch(tok, texts, {.max_length = 10, .truncation = truncation_strategy::do_not_truncate,
                                  .padding = padding_strategy::max_length, .pad_to_multiple_of = 4})
            .input_ids[2].size() == 12);
  const auto ragged = encode_batch(tok, texts, {.padding = padding_strategy::do_not_pad});
  CHECK_FALSE(ragged.rectangular());
  CHECK(ragged.input_ids[2] == ids_t{2, 4, 3});
  // max_length padding without truncation leaves a longer row as it is (HF too).
  const auto over = encode_batch(tok, texts, {.max_length = 4, .truncation = truncation_strategy::do_not_truncate,
                                              .padding = padding_strategy::max_length});
  CHECK(over.input_ids[1].size() == 7);
  CHECK(over.input_ids[2].size() == 4);
  CHECK(encode_batch(tok, strings{}).empty());
}

TEST_CASE("encode_batch takes examples and names them in errors", "[data][tokenizer]") {
  std::vector<example> xs(2);
  xs[0].text_a = words(3);
  xs[1].text_a = words(30);
  xs[1].text_b = words(2);
  xs[1].line = 17;
  xs[1].id = "q7";
  const auto b = encode_batch(counting(), xs, {.max_length = 12});
  CHECK(b.input_ids[0].size() == 12);
  CHECK(b.token_type_ids[1] == ids_t{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1});
  CHECK_THROWS_WITH(encode_batch(counting(), xs, {.max_length = 12, .truncation = truncation_strategy::only_second}),
                    Catch::Contains("example 1 (line 17) (id q7)"));
}

TEST_CASE("encode(text, max_tokens) stops after the word that reaches the count", "[data][tokenizer]") {
  const auto tok = tiny_wordpiece();
  CHECK(tok.encode("unaffable unaffable you", 2) == ids_t{9, 15, 16});
  CHECK(tok.encode("unaffable unaffable you", 3) == ids_t{9, 15, 16});
  CHECK(tok.encode("unaffable unaffable you", 4).size() == 6);
  CHECK(tok.encode("[MASK] [MASK] hi hi", 1) == ids_t{4, 4, 35});  // special tokens never end it
  const auto bpe = tiny_bpe(hello_merges);
  CHECK(bpe.tokenize("Hello world") == strings{"Hello", "\u0120world"});
  CHECK(bpe.encode("Hello world Hello", 1).size() == 1);
  CHECK(bpe.encode("\u00E9\u00E9 x", 1).size() == 4);  // the first piece is four byte tokens
}

TEST_CASE("truncate_while_tokenizing reproduces tokenizers 0.23's longest_first", "[data][tokenizer]") {
  // Words of one token each: "hi" x 9 and "you" x 8 at max_length 8 (budget 5).
  const auto tok = tiny_wordpiece();
  std::string a, b;
  for (int i = 0; i < 9; ++i) a += "hi ";
  for (int i = 0; i < 8; ++i) b += "you ";
  const std::vector<std::pair<std::string, std::string>> p = {{a, b}};
  auto count = [&](bool limited) {
    const auto row = encode_batch(tok, p, {.max_length = 8, .truncate_while_tokenizing = limited}).input_ids[0];
    return std::pair{std::ranges::count(row, 35), std::ranges::count(row, 22)};
  };
  using P = std::pair<std::ptrdiff_t, std::ptrdiff_t>;
  CHECK(count(false) == P{3, 2});  // 9 > 8: the longer first text keeps the odd token
  CHECK(count(true) == P{2, 3});   // both read as 8 tokens: a tie, the odd token to the second
}

TEST_CASE("encode options read from their HF names", "[data][tokenizer]") {
  CHECK(truncation_from_string("only_second") == truncation_strategy::only_second);
  CHECK(padding_from_string("max_length") == padding_strategy::max_length);
  CHECK_THROWS_WITH(padding_from_string("none"), Catch::Contains("do_not_pad"));
}
