// The SentencePiece tokenizer's encode and decode on arbitrary text, with unigram and BPE
// models trained once at start-up on a small generated corpus. Built without LibTorch: Debian's
// libsentencepiece and LibTorch bring two protobuf versions that cannot share a process (see
// tests/CMakeLists.txt). Laws: every id lies in the vocabulary and decode accepts what encode
// returns. Loading .model files is SentencePiece's own protobuf parsing and is not fuzzed here.
#include "fuzz_support.hpp"

#include <autopeft/data/sentencepiece_tokenizer.hpp>

#include <random>

using namespace autopeft;
using namespace autopeft::data;

namespace {

std::vector<std::string> corpus() {
  static const std::vector<std::string> words = {
      "the", "a", "small", "river", "runs", "through", "green", "valley", "where", "farmers",
      "grow", "wheat", "and", "barley", "every", "summer", "children", "play", "near", "old",
      "stone", "bridge", "while", "birds", "sing", "in", "tall", "trees", "café", "naïve",
      "résumé", "morning", "evening", "quickly", "slowly", "under", "over", "bright", "dark", "sky"};
  std::mt19937 rng(1);
  std::vector<std::string> out;
  for (int i = 0; i < 1500; ++i) {
    std::string s;
    const auto len = 4 + rng() % 9;
    for (std::size_t k = 0; k < len; ++k) s += (k ? " " : "") + words[rng() % words.size()];
    s += rng() % 4 == 0 ? ", " + std::to_string(rng() % 1000) + " times." : ".";
    out.push_back(s);
  }
  return out;
}

const sentencepiece_tokenizer& model(bool bpe) {
  static const auto sentences = corpus();
  static const auto unigram = sentencepiece_tokenizer::train(
      sentences, {.vocab_size = 200, .character_coverage = 1.0, .user_defined_symbols = {"<x>"}});
  static const auto byte_pairs = sentencepiece_tokenizer::train(
      sentences, {.vocab_size = 200, .model_type = sentencepiece_model_type::bpe, .character_coverage = 1.0});
  return bpe ? byte_pairs : unigram;
}

void exercise(const sentencepiece_tokenizer& tok, std::string_view text) {
  const auto ids = tok.encode(text);
  for (auto id : ids) fuzz::check(id >= 0 && static_cast<std::size_t>(id) < tok.vocab_size(), "ids lie in the vocabulary");
  (void)tok.decode(ids, false);
  (void)tok.decode(ids, true);
  (void)tok.tokenize(text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz::accepts([&] { exercise(model(false), text); });
  fuzz::accepts([&] { exercise(model(true), text); });
  return 0;
}
