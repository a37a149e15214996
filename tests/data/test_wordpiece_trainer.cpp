// The WordPiece trainer: its merges on a corpus worked out by hand, the layout and size of the
// vocabulary, agreement with the pair-merging core run naively, determinism, the vocab.txt round
// trip, and on the installed wordnet-base and fortunes packages (warns and passes without them)
// a 4000-piece vocabulary that covers held-out text.
#include <autopeft/data/detail/pair_merger.hpp>
#include <autopeft/data/embedded_benchmark.hpp>
#include <autopeft/data/wordpiece_tokenizer.hpp>
#include <autopeft/data/wordpiece_trainer.hpp>
#include <autopeft/error.hpp>

#include "../support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

using autopeft::data::train_wordpiece;
using autopeft::data::wordpiece_tokenizer;
using autopeft::data::wordpiece_trainer_options;
using autopeft::data::write_vocab;
using strings = std::vector<std::string>;

// "low" x5, "lower" x2, "newest" x6, "widest" x3 (Sennrich et al.'s example), spread over
// documents with mixed case and white space to exercise normalisation.
strings toy_corpus() {
  return {"low LOW low\tlow", "Low lower newest newest", "NEWEST newest\nnewest newest",
          "widest lower  widest widest"};
}

// Specials 0-4; characters d e i l n o r s t w = 5-14; ##d ##e ##i ##o ##r ##s ##t ##w = 15-22.
const strings toy_base = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "d",   "e",   "i",
                          "l",     "n",     "o",     "r",     "s",      "t",   "w",   "##d",
                          "##e",   "##i",   "##o",   "##r",   "##s",    "##t", "##w"};

// Worked by hand. Pair counts: (##e ##s) 9, (##s ##t) 9, (##w ##e) 8, (l ##o) 7, (##o ##w) 7,
// (n ##e) 6, (##e ##w) 6, (w ##i) (##i ##d) (##d ##e) 3, (##e ##r) 2. Ties go to the smaller
// (left id, right id): ##es (16,20) before (20,21); then ##est 9; lo (8,18) before ##ow
// (18,22); low 7; ne (9,16) 6; ##west (22,24) before (ne ##w) (27,22); newest 6; wi (14,17)
// 3; ##dest (15,24) before (wi ##d) (30,15); widest 3; ##er (16,19) before (low ##e) (26,16)
// 2; lower 2.
const strings toy_merges = {"##es", "##est", "lo",     "low",  "ne",  "##west",
                            "newest", "wi",  "##dest", "widest", "##er", "lower"};

bool contains(const strings& v, const std::string& s) { return std::ranges::find(v, s) != v.end(); }

strings concat(strings a, const strings& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Most frequent pair found by recounting every word, for comparison with pair_merger.
struct naive_merger {
  std::vector<std::vector<std::uint32_t>> words;
  std::vector<std::uint64_t> counts;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> pair_counts() const {
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> m;
    for (std::size_t w = 0; w < words.size(); ++w)
      for (std::size_t i = 0; i + 1 < words[w].size(); ++i) m[{words[w][i], words[w][i + 1]}] += counts[w];
    return m;
  }
  void merge(std::uint32_t a, std::uint32_t b, std::uint32_t r) {
    for (auto& s : words) {
      std::vector<std::uint32_t> t;
      for (std::size_t i = 0; i < s.size();) {
        if (i + 1 < s.size() && s[i] == a && s[i + 1] == b) {
          t.push_back(r);
          i += 2;
        } else {
          t.push_back(s[i++]);
        }
      }
      s = t;
    }
  }
};

}  // namespace

TEST_CASE("train_wordpiece: merges a hand-worked corpus in the expected order", "[data][wordpiece_trainer]") {
  const auto corpus = toy_corpus();
  CHECK(train_wordpiece(corpus, {.vocab_size = 1000}) == concat(toy_base, toy_merges));

  // vocab_size counts specials and alphabet and stops the merges exactly there.
  CHECK(train_wordpiece(corpus, {.vocab_size = 25}) == concat(toy_base, {"##es", "##est"}));
  CHECK(train_wordpiece(corpus, {.vocab_size = 23}) == toy_base);
  // Specials and alphabet are never dropped, even when they alone exceed vocab_size.
  CHECK(train_wordpiece(corpus, {.vocab_size = 3}) == toy_base);

  // min_frequency 3 stops before the two merges that occur twice; 10 before all of them.
  CHECK(train_wordpiece(corpus, {.vocab_size = 1000, .min_frequency = 3}) ==
        concat(toy_base, strings(toy_merges.begin(), toy_merges.end() - 2)));
  CHECK(train_wordpiece(corpus, {.vocab_size = 1000, .min_frequency = 10}) == toy_base);
}

TEST_CASE("train_wordpiece: options shape the vocabulary", "[data][wordpiece_trainer]") {
  const auto corpus = toy_corpus();
  SECTION("special tokens come first, in the order given") {
    const auto v = train_wordpiece(corpus, {.special_tokens = {"<s>", "[UNK]", "</s>"}});
    REQUIRE(v.size() >= 3);
    CHECK(strings(v.begin(), v.begin() + 3) == strings{"<s>", "[UNK]", "</s>"});
    CHECK(v[3] == "d");
  }
  SECTION("limit_alphabet keeps the most frequent characters") {
    // Counts: e 17, w 16, s t 9, l o 7, n 6, d i 3, r 2: six kept.
    const auto v = train_wordpiece(corpus, {.vocab_size = 1000, .limit_alphabet = 6});
    CHECK(strings(v.begin() + 5, v.begin() + 11) == strings{"e", "l", "o", "s", "t", "w"});
    CHECK(!contains(v, "n"));
    CHECK(!contains(v, "##d"));
  }
  SECTION("another continuing prefix, and none") {
    const auto v = train_wordpiece(corpus, {.continuing_subword_prefix = "@@"});
    CHECK(contains(v, "@@est"));
    CHECK(!contains(v, "##est"));
    const auto bare = train_wordpiece(corpus, {.continuing_subword_prefix = ""});
    CHECK(contains(bare, "est"));
    CHECK(contains(bare, "widest"));
  }
  SECTION("the normaliser is the tokenizer's: a cased one keeps capitals") {
    const auto v = train_wordpiece(corpus, {.normalizer = {.lowercase = false}});
    CHECK(contains(v, "L"));
    CHECK(contains(v, "newest"));
    CHECK_FALSE(contains(train_wordpiece(corpus), "L"));
  }
  SECTION("punctuation and CJK ideographs are words of their own") {
    const strings c = {"a,b a,b 中文 中文"};
    const auto v = train_wordpiece(c, {.special_tokens = {}});
    CHECK(v == strings{",", "a", "b", "中", "文"});  // no word has two characters
  }
  SECTION("an empty corpus gives the special tokens") {
    CHECK(train_wordpiece(strings{}, {}) == strings{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"});
  }
}

TEST_CASE("pair_merger: agrees with a naive recount on random words", "[data][wordpiece_trainer]") {
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    naive_merger naive;
    std::uniform_int_distribution<std::uint32_t> sym(0, 3), len(1, 9), cnt(1, 5);
    for (int w = 0; w < 40; ++w) {
      std::vector<std::uint32_t> s(len(rng));
      for (auto& x : s) x = sym(rng);  // small alphabet: repeats like "a a a" are common
      naive.words.push_back(s);
      naive.counts.push_back(cnt(rng));
    }
    autopeft::data::detail::pair_merger fast(naive.words, naive.counts);
    for (std::uint32_t next = 100;; ++next) {
      const auto counts = naive.pair_counts();
      const auto best = fast.best();
      if (counts.empty()) {
        CHECK_FALSE(best.has_value());
        break;
      }
      REQUIRE(best.has_value());
      // Highest count; ties to the smallest pair (std::map's order).
      auto top = counts.begin();
      for (auto it = counts.begin(); it != counts.end(); ++it)
        if (it->second > top->second) top = it;
      CHECK(best->count == top->second);
      CHECK(std::pair{best->left, best->right} == top->first);
      fast.merge(top->first.first, top->first.second, next);
      naive.merge(top->first.first, top->first.second, next);
    }
  }
}

TEST_CASE("train_wordpiece: is deterministic and covers every training word", "[data][wordpiece_trainer]") {
  strings corpus;
  std::mt19937 rng(11);
  const std::string letters = "abcdefghijklmnopqrstuvwxyz";
  std::uniform_int_distribution<int> len(1, 12), zipf(0, 9);
  std::size_t letter_count = 0;
  for (int d = 0; d < 300; ++d) {
    std::string doc;
    for (int w = 0; w < 20; ++w) {
      const int n = len(rng);
      letter_count += static_cast<std::size_t>(n);
      for (int i = 0; i < n; ++i) {
        // Skewed letters, so that some pairs are much more frequent than others.
        const int k = std::min(zipf(rng) * zipf(rng) / 3, 26);
        doc += k == 26 ? std::string("é") : std::string(1, letters[static_cast<std::size_t>(k)]);
      }
      doc += w % 7 == 6 ? ". " : " ";
    }
    corpus.push_back(doc);
  }
  const auto v1 = train_wordpiece(corpus, {.vocab_size = 300});
  const auto v2 = train_wordpiece(corpus, {.vocab_size = 300});
  CHECK(v1 == v2);
  CHECK(v1.size() == 300);
  CHECK(std::set<std::string>(v1.begin(), v1.end()).size() == v1.size());
  CHECK(contains(v1, "e"));  // é was stripped to e
  CHECK(!contains(v1, "é"));

  const wordpiece_tokenizer tok(v1);
  const auto unk = tok.special_ids().unk;
  std::size_t tokens = 0;
  for (const auto& doc : corpus) {
    const auto ids = tok.encode(doc);
    CHECK(std::ranges::count(ids, unk) == 0);
    tokens += ids.size();
  }
  // The merged pieces are used: far fewer tokens than letters.
  INFO(tokens << " tokens for " << letter_count << " letters");
  CHECK(static_cast<double>(tokens) < 0.7 * static_cast<double>(letter_count));
}

TEST_CASE("write_vocab: round-trips through wordpiece_tokenizer::from_file", "[data][wordpiece_trainer]") {
  autopeft::testing::scratch_dir d{"wpt"};
  const auto vocab = train_wordpiece(toy_corpus(), {.vocab_size = 1000});
  const auto file = d.path / "vocab.txt";
  write_vocab(file, vocab);
  CHECK_FALSE(std::filesystem::exists(d.path / "vocab.txt.tmp"));
  const auto tok = wordpiece_tokenizer::from_file(file);
  REQUIRE(tok.vocab_size() == vocab.size());
  for (std::size_t i = 0; i < vocab.size(); ++i) CHECK(tok.id_to_token(static_cast<std::int64_t>(i)) == vocab[i]);
  CHECK(tok.tokenize("Lowest newer WIDEST") == strings{"low", "##est", "ne", "##w", "##er", "widest"});

  // Overwrites an existing file whole.
  write_vocab(file, strings{"[PAD]", "[UNK]", "[CLS]", "[SEP]"});
  CHECK(wordpiece_tokenizer::from_file(file).vocab_size() == 4);

  CHECK_THROWS_AS(write_vocab(file, strings{"[UNK]", "a\nb"}), autopeft::file_error);
  CHECK_THROWS_AS(write_vocab(file, strings{"[UNK]", ""}), autopeft::file_error);
  CHECK(wordpiece_tokenizer::from_file(file).vocab_size() == 4);  // a failed write leaves it
  CHECK_THROWS_AS(write_vocab(d.path / "missing" / "vocab.txt", vocab), autopeft::file_error);
}

TEST_CASE("train_wordpiece: the embedded corpus gives a vocabulary that covers held-out text",
          "[data][wordpiece_trainer][embedded]") {
  if (!std::filesystem::exists("/usr/share/wordnet/data.noun") ||
      !std::filesystem::is_directory("/usr/share/games/fortunes")) {
    WARN("wordnet-base or fortunes is not installed (apt-get install wordnet-base fortunes): skipped");
    return;
  }
  const auto bench = autopeft::data::embedded_benchmark::build({.max_train = 500, .max_dev = 500, .max_test = 500});
  const auto vocab = train_wordpiece(bench.corpus, {.vocab_size = 4000});
  CHECK(vocab.size() == 4000);
  const wordpiece_tokenizer tok(vocab);
  // The corpus holds train-split text only; every task's test split is held out.
  std::size_t tokens = 0, unks = 0, words = 0;
  for (const auto& t : bench.tasks)
    for (const auto& e : t.test)
      for (const auto* text : {&e.text_a, e.text_b ? &*e.text_b : nullptr}) {
        if (!text) continue;
        const auto ids = tok.encode(*text);
        tokens += ids.size();
        unks += static_cast<std::size_t>(std::ranges::count(ids, tok.special_ids().unk));
        words += static_cast<std::size_t>(std::ranges::count(*text, ' ')) + 1;
      }
  REQUIRE(tokens > 10000);
  const double unk_rate = static_cast<double>(unks) / static_cast<double>(tokens);
  INFO("[UNK] rate " << unk_rate << " over " << tokens << " tokens");
  CHECK(unk_rate < 0.01);
  // Frequent words are whole pieces: under two tokens per space-separated word, punctuation included.
  CHECK(static_cast<double>(tokens) / static_cast<double>(words) < 2.0);
}
