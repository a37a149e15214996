// The WordPiece tokenizer: loading a vocab.txt and encoding arbitrary text. The input is
// "vocab.txt\n====\ntext". The text is encoded with the vocabulary of the input (when it
// loads) and with the fixture vocabularies, uncased and cased. Laws: every id lies in the
// vocabulary, decode accepts what encode returns, and truncating to k tokens gives a prefix.
#include "fuzz_support.hpp"

#include <autopeft/data/wordpiece_tokenizer.hpp>

#include <algorithm>

using namespace autopeft;
using namespace autopeft::data;

namespace {

const wordpiece_tokenizer& fixture(bool cased) {
  static const auto uncased = wordpiece_tokenizer::from_file(
      std::filesystem::path(AUTOPEFT_FIXTURES_DIR) / "tokenizers/wordpiece/vocab.txt");
  static const auto with_case = wordpiece_tokenizer::from_file(
      std::filesystem::path(AUTOPEFT_FIXTURES_DIR) / "tokenizers/wordpiece_cased/vocab.txt",
      {.normalizer = {.lowercase = false}});
  return cased ? with_case : uncased;
}

void exercise(const wordpiece_tokenizer& tok, std::string_view text) {
  const auto ids = tok.encode(text);
  for (auto id : ids) fuzz::check(id >= 0 && static_cast<std::size_t>(id) < tok.vocab_size(), "ids lie in the vocabulary");
  (void)tok.decode(ids, false);
  (void)tok.decode(ids, true);
  (void)tok.tokenize(text);
  const std::size_t k = text.size() % 7;
  const auto cut = tok.encode(text, k);
  fuzz::check(cut.size() <= ids.size() && std::equal(cut.begin(), cut.end(), ids.begin()),
              "encode(text, k) is a prefix of encode(text)");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = fuzz::split(data, size, 2);
  const auto text = parts[1];
  exercise(fixture(false), text);
  exercise(fixture(true), text);
  const auto file = fuzz::write_file("vocab.txt", parts[0]);
  fuzz::accepts([&] {
    const auto own = wordpiece_tokenizer::from_file(file, {.split_special_tokens = (size % 2) == 1});
    exercise(own, text);
  });
  return 0;
}
