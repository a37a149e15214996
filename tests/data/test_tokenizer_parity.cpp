// Parity with HF transformers' BertTokenizerFast and RobertaTokenizerFast on vocabularies trained
// by tools/make_tokenizer_fixtures.py (tests/fixtures/tokenizers/): the ids of ~3000 strings
// without special tokens, and batches of pairs and single texts under every truncation strategy,
// max_length and padding, with token types, attention masks and the cases HF refuses.
// Without the fixtures the tests warn and pass.
#include <autopeft/data/tokenizers.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace autopeft;
using namespace autopeft::data;
using nlohmann::json;

namespace {

const fs::path fixtures = fs::path(AUTOPEFT_FIXTURES_DIR) / "tokenizers";

bool have(const std::vector<fs::path>& files) {
  for (const auto& f : files)
    if (!fs::exists(f)) {
      WARN("skipped: " << f.string() << " is missing; generate it with "
                          "python3 tools/make_tokenizer_fixtures.py CORPUS.txt tests/fixtures/tokenizers");
      return false;
    }
  return true;
}

json read_json(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

// The special token `content` as the fixture's tokenizer has it (lstrip / rstrip).
added_token special(const json& meta, const std::string& content) {
  added_token t{content};
  const auto& added = meta.at("added_tokens");
  if (added.contains(content)) {
    const auto& a = added.at(content);
    t.lstrip = a.at("lstrip").get<bool>();
    t.rstrip = a.at("rstrip").get<bool>();
  }
  return t;
}

// HF matches tokens marked normalized=true after normalisation, which these tokenizers do not
// implement; none of BERT's or RoBERTa's special tokens is.
void require_raw_special_tokens(const json& meta) {
  for (const auto& [content, a] : meta.at("added_tokens").items()) {
    INFO("added token " << content);
    CHECK_FALSE(a.at("normalized").get<bool>());
    CHECK_FALSE(a.at("single_word").get<bool>());
  }
}

// Whether the fixture's tokenizers is 0.23 or later (its truncation tokenizes up to max_length).
bool truncates_while_tokenizing(const json& meta) {
  const auto v = meta.value("tokenizers", std::string{});
  const auto at = v.find_first_of("0123456789");
  int major = 0, minor = 0;
  if (at == std::string::npos || std::sscanf(v.c_str() + at, "%d.%d", &major, &minor) != 2) return true;
  return major > 0 || minor >= 23;
}

std::string show(const std::vector<std::int64_t>& ids) {
  std::ostringstream s;
  s << '[';
  for (std::size_t i = 0; i < ids.size(); ++i) s << (i ? "," : "") << ids[i];
  return s.str() + ']';
}

template <class Tok>
void check_single(const Tok& tok, const json& texts, const json& cases) {
  const auto& single = cases.at("single");
  REQUIRE(single.size() <= texts.size());
  std::size_t bad = 0;
  for (std::size_t i = 0; i < single.size(); ++i) {
    const auto text = texts[i].get<std::string>();
    const auto want = single[i].get<std::vector<std::int64_t>>();
    const auto got = tok.encode(text);
    if (got == want) continue;
    if (++bad <= 10)
      UNSCOPED_INFO("string " << i << " " << json(text).dump() << "\n  HF:  " << show(want) << "\n  C++: " << show(got));
  }
  INFO(single.size() << " strings");
  CHECK(bad == 0);
}

template <class Tok>
void check_batches(const Tok& tok, const json& strings, const json& cases) {
  std::size_t index = 0;
  for (const auto& b : cases.at("batches")) {
    encode_options o;
    o.truncate_while_tokenizing = truncates_while_tokenizing(cases.at("meta"));
    o.max_length = b.at("max_length").get<std::size_t>();
    o.truncation = truncation_from_string(b.at("truncation").get<std::string>());
    o.padding = padding_from_string(b.at("padding").get<std::string>());
    o.pad_to_multiple_of = b.at("pad_to_multiple_of").get<std::size_t>();
    const auto rows = b.at("rows").get<std::vector<std::size_t>>();
    const bool pairs = b.at("pairs").get<bool>();
    INFO("batch " << index++ << ": " << (pairs ? "pairs" : "texts") << " " << json(rows).dump() << ", truncation "
                  << to_string(o.truncation) << ", max_length " << o.max_length << ", padding "
                  << to_string(o.padding) << ", pad_to_multiple_of " << o.pad_to_multiple_of);
    auto run = [&] {
      if (pairs) {
        std::vector<std::pair<std::string, std::string>> p;
        for (auto r : rows) p.emplace_back(strings.at("pairs")[r][0], strings.at("pairs")[r][1]);
        return encode_batch(tok, p, o);
      }
      std::vector<std::string> t;
      for (auto r : rows) t.push_back(strings.at("texts")[r]);
      return encode_batch(tok, t, o);
    };
    if (b.contains("error")) {
      INFO("HF: " << b.at("error").get<std::string>());
      CHECK_THROWS_AS(run(), autopeft::error);
      continue;
    }
    const auto got = run();
    using rows_t = std::vector<std::vector<std::int64_t>>;
    CHECK(got.input_ids == b.at("input_ids").get<rows_t>());
    CHECK(got.token_type_ids == b.at("token_type_ids").get<rows_t>());
    CHECK(got.attention_mask == b.at("attention_mask").get<rows_t>());
  }
}

}  // namespace

TEST_CASE("WordPiece matches HF BertTokenizerFast (uncased and cased)", "[data][tokenizer][parity]") {
  for (const char* kind : {"wordpiece", "wordpiece_cased"}) {
    const auto dir = fixtures / kind;
    if (!have({fixtures / "strings.json", dir / "vocab.txt", dir / "cases.json"})) return;
    const auto strings = read_json(fixtures / "strings.json");
    const auto cases = read_json(dir / "cases.json");
    const auto& meta = cases.at("meta");
    INFO(kind << ": tokenizers " << meta.value("tokenizers", "?") << ", transformers " << meta.value("transformers", "?"));
    require_raw_special_tokens(meta);
    wordpiece_options o;
    o.normalizer.lowercase = meta.at("lowercase").get<bool>();
    o.normalizer.strip_accents = meta.at("strip_accents").get<bool>();
    o.unk_token = special(meta, "[UNK]");
    o.cls_token = special(meta, "[CLS]");
    o.sep_token = special(meta, "[SEP]");
    o.pad_token = special(meta, "[PAD]");
    o.mask_token = special(meta, "[MASK]");
    const auto tok = wordpiece_tokenizer::from_file(dir / "vocab.txt", o);
    check_single(tok, strings.at("texts"), cases);
    check_batches(tok, strings, cases);
  }
}

TEST_CASE("byte-level BPE matches HF RobertaTokenizerFast", "[data][tokenizer][parity]") {
  const auto dir = fixtures / "bpe";
  if (!have({fixtures / "strings.json", dir / "vocab.json", dir / "merges.txt", dir / "cases.json"})) return;
  const auto strings = read_json(fixtures / "strings.json");
  const auto cases = read_json(dir / "cases.json");
  const auto& meta = cases.at("meta");
  INFO("tokenizers " << meta.value("tokenizers", "?") << ", transformers " << meta.value("transformers", "?"));
  require_raw_special_tokens(meta);
  byte_level_bpe_options o;
  o.add_prefix_space = meta.at("add_prefix_space").get<bool>();
  o.cls_token = special(meta, "<s>");
  o.sep_token = special(meta, "</s>");
  o.pad_token = special(meta, "<pad>");
  o.unk_token = special(meta, "<unk>");
  o.mask_token = special(meta, "<mask>");
  const auto tok = byte_level_bpe_tokenizer::from_files(dir / "vocab.json", dir / "merges.txt", o);
  check_single(tok, strings.at("texts"), cases);
  check_batches(tok, strings, cases);
}
