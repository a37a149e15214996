// The byte-level BPE tokenizer: loading vocab.json and merges.txt and encoding arbitrary text.
// The input is "vocab.json\n====\nmerges.txt\n====\ntext". The text is encoded with the files
// of the input (when they load) and with the fixture files. Laws: every id lies in the
// vocabulary, decode accepts what encode returns, truncating to k tokens gives a prefix, and
// with the fixture (every byte in the vocabulary, no specials in the text) decode inverts encode.
#include "fuzz_support.hpp"

#include <autopeft/data/byte_level_bpe_tokenizer.hpp>

#include <algorithm>

using namespace autopeft;
using namespace autopeft::data;

namespace {

const byte_level_bpe_tokenizer& fixture() {
  static const auto dir = std::filesystem::path(AUTOPEFT_FIXTURES_DIR) / "tokenizers/bpe";
  static const auto tok = byte_level_bpe_tokenizer::from_files(dir / "vocab.json", dir / "merges.txt");
  return tok;
}

void exercise(const byte_level_bpe_tokenizer& tok, std::string_view text, bool round_trip) {
  const auto ids = tok.encode(text);
  for (auto id : ids) fuzz::check(id >= 0 && static_cast<std::size_t>(id) < tok.vocab_size(), "ids lie in the vocabulary");
  const auto back = tok.decode(ids, false);
  if (round_trip && text.find('<') == std::string_view::npos) fuzz::check(back == text, "decode inverts encode");
  (void)tok.tokenize(text);
  const std::size_t k = text.size() % 7;
  const auto cut = tok.encode(text, k);
  fuzz::check(cut.size() <= ids.size() && std::equal(cut.begin(), cut.end(), ids.begin()),
              "encode(text, k) is a prefix of encode(text)");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = fuzz::split(data, size, 3);
  const auto text = parts[2];
  exercise(fixture(), text, true);
  const auto vocab = fuzz::write_file("vocab.json", parts[0]);
  const auto merges = fuzz::write_file("merges.txt", parts[1]);
  fuzz::accepts([&] {
    const auto own = byte_level_bpe_tokenizer::from_files(vocab, merges, {.add_prefix_space = (size % 2) == 1});
    exercise(own, text, false);
  });
  return 0;
}
