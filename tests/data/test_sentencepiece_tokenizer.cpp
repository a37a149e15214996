// SentencePiece through the library: training on a generated corpus, fixed special ids, round
// trips, saving and loading. Needs libsentencepiece (see data/sentencepiece_tokenizer.hpp); the
// file compiles to nothing where its headers are missing.
#if __has_include(<sentencepiece_processor.h>)
#include <autopeft/data/embedded_benchmark.hpp>
#include <autopeft/data/encode_batch.hpp>
#include <autopeft/data/sentencepiece_tokenizer.hpp>

#include "../support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <random>
#include <string>
#include <vector>

using namespace autopeft;
using namespace autopeft::data;

namespace {

// Sentences over a small lexicon, with punctuation, numbers and a few accented words.
std::vector<std::string> corpus(std::size_t n, unsigned seed) {
  static const std::vector<std::string> words = {
      "the", "a", "small", "river", "runs", "through", "green", "valley", "where", "farmers",
      "grow", "wheat", "and", "barley", "every", "summer", "children", "play", "near", "old",
      "stone", "bridge", "while", "birds", "sing", "in", "tall", "trees", "café", "naïve",
      "résumé", "morning", "evening", "quickly", "slowly", "under", "over", "bright", "dark", "sky"};
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    std::string s;
    const auto len = 4 + rng() % 9;
    for (std::size_t k = 0; k < len; ++k) {
      std::string w = words[rng() % words.size()];
      if (k == 0) w[0] = static_cast<char>(w[0] - 'a' + 'A');
      s += (k ? " " : "") + w;
    }
    s += rng() % 4 == 0 ? ", " + std::to_string(rng() % 1000) + " times." : ".";
    out.push_back(s);
  }
  return out;
}

}  // namespace

TEST_CASE("SentencePiece trains with fixed special ids and round-trips corpus-like text", "[data][tokenizer][sentencepiece]") {
  autopeft::testing::scratch_dir dir{"spm"};
  const auto sentences = corpus(2000, 1);
  {
    std::ofstream f(dir / "corpus.txt");
    for (const auto& s : sentences) f << s << '\n';
  }
  for (auto type : {sentencepiece_model_type::unigram, sentencepiece_model_type::bpe}) {
    INFO((type == sentencepiece_model_type::bpe ? "bpe" : "unigram"));
    const auto tok = sentencepiece_tokenizer::train(
        dir / "corpus.txt", dir / "spm", {.vocab_size = 300, .model_type = type, .character_coverage = 1.0});
    CHECK(tok.vocab_size() == 300);
    const auto s = tok.special_ids();
    CHECK(s.pad == 0);
    CHECK(s.unk == 1);
    CHECK(s.cls == 2);
    CHECK(s.sep == 3);
    CHECK(s.mask == 4);
    CHECK(tok.id_to_token(0) == "[PAD]");
    CHECK(tok.id_to_token(4) == "[MASK]");

    for (const auto& text : corpus(50, 2)) {  // unseen sentences over the same lexicon
      const auto ids = tok.encode(text);
      CHECK(std::ranges::none_of(ids, [](std::int64_t id) { return id == 1; }));  // no [UNK]
      CHECK(tok.decode(ids) == text);
    }
    const auto masked = tok.encode("The [MASK] runs.");
    CHECK(std::ranges::count(masked, 4) == 1);  // user-defined pieces are matched in text
    CHECK(tok.decode(masked) == "The [MASK] runs.");
    // Skipping [MASK] keeps the spaces around it (they belong to the neighbouring pieces).
    CHECK(tok.decode(masked, /*skip_special_tokens=*/true) == "The  runs.");

    const std::vector<std::pair<std::string, std::string>> pair = {{"Green valley.", "Old bridge."}};
    const auto b = encode_batch(tok, pair);
    REQUIRE(b.input_ids.size() == 1);
    CHECK(b.input_ids[0].front() == 2);
    CHECK(b.input_ids[0].back() == 3);
    CHECK(b.token_type_ids[0].back() == 1);
    CHECK(b.token_type_ids[0].front() == 0);

    const auto loaded = sentencepiece_tokenizer::load(dir / "spm.model");
    CHECK(loaded.encode(sentences[7]) == tok.encode(sentences[7]));
  }
}

TEST_CASE("SentencePiece trains in memory, saves, and reports errors", "[data][tokenizer][sentencepiece]") {
  autopeft::testing::scratch_dir dir{"spm-mem"};
  const auto sentences = corpus(1500, 3);
  const auto tok = sentencepiece_tokenizer::train(
      sentences, {.vocab_size = 250, .character_coverage = 1.0, .user_defined_symbols = {"<e1>", "</e1>"}});
  CHECK(tok.id_to_token(5) == "<e1>");
  CHECK(tok.id_to_token(6) == "</e1>");
  CHECK(tok.encode("<e1>").size() <= 2);  // the piece itself, perhaps after a "▁"
  tok.save(dir / "mem.model");
  CHECK(sentencepiece_tokenizer::load(dir / "mem.model").encode(sentences[0]) == tok.encode(sentences[0]));

  CHECK_THROWS_AS(sentencepiece_tokenizer::load(dir / "missing.model"), file_error);
  {
    std::ofstream f(dir / "bad.model");
    f << "not a model";
  }
  CHECK_THROWS_WITH(sentencepiece_tokenizer::load(dir / "bad.model"), Catch::Contains("bad.model"));
  CHECK_THROWS_WITH(sentencepiece_tokenizer::train(sentences, {.vocab_size = 100000}),
                    Catch::Contains("sentencepiece: training"));
  CHECK_THROWS_AS(tok.decode(std::vector<std::int64_t>{99999}), autopeft::error);
}
TEST_CASE("SentencePiece trains and applies a tokenizer on the embedded corpus",
          "[data][sentencepiece]") {
  if (!std::filesystem::exists("/usr/share/wordnet/data.noun") ||
      !std::filesystem::exists("/usr/share/games/fortunes")) {
    WARN("wordnet-base / fortunes not installed: skipped");
    return;
  }
  const auto bench = embedded_benchmark::build();
  const auto& corpus = bench.corpus;
  REQUIRE(corpus.size() > 20000);
  // Train on the first 20,000 documents, apply to the next 2,000.
  const std::vector<std::string> train(corpus.begin(), corpus.begin() + 20000);
  const auto tok = sentencepiece_tokenizer::train(
      std::span<const std::string>(train),
      {.vocab_size = 4000, .character_coverage = 1.0, .num_threads = 2});
  CHECK(tok.vocab_size() == 4000);
  std::size_t pieces = 0, unknown = 0, chars = 0;
  for (std::size_t i = 20000; i < 22000; ++i) {
    const auto& doc = corpus[i];
    const auto ids = tok.encode(doc);
    pieces += ids.size();
    chars += doc.size();
    std::size_t doc_unknown = 0;
    for (auto id : ids) doc_unknown += id == tok.special_ids().unk ? 1 : 0;
    unknown += doc_unknown;
    if (doc_unknown > 0) continue;  // a character never seen in training: not lossless
    // Lossless on held-out text, up to SentencePiece's whitespace normalisation (runs of
    // spaces become one).
    std::string collapsed;
    for (char ch : doc)
      if (!(ch == ' ' && (collapsed.empty() || collapsed.back() == ' '))) collapsed += ch;
    while (!collapsed.empty() && collapsed.back() == ' ') collapsed.pop_back();
    CHECK(tok.decode(ids) == collapsed);
  }
  // Subwords, not characters: a few characters per piece; almost nothing unknown.
  CHECK(static_cast<double>(chars) / static_cast<double>(pieces) > 2.5);
  CHECK(static_cast<double>(unknown) / static_cast<double>(pieces) < 0.005);
}

#endif
