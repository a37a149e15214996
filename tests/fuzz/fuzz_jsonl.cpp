// The JSON Lines readers: read_superglue for every SuperGLUE task and read_jsonl under several
// column mappings. The first byte picks the reader and the bad-row policy; the rest is the
// file. Any bytes give examples or autopeft::error.
#include "fuzz_support.hpp"

#include <autopeft/data/read_jsonl.hpp>
#include <autopeft/data/read_superglue.hpp>

using namespace autopeft;
using namespace autopeft::data;

namespace {

std::vector<example> read_with(std::uint8_t pick, const std::filesystem::path& file, const read_options& o,
                               read_report* r) {
  const unsigned which = pick & 0x0F;
  if (which < 6) return read_superglue(static_cast<superglue_task>(which), file, o, r);
  switch (which) {
    case 6:
      return read_jsonl(file, {.text_a = "premise", .text_b = "hypothesis", .label = "label",
                               .labels = {"entailment", "neutral", "contradiction"}}, o, r);
    case 7: return read_jsonl(file, {.text_a = "text", .label = "score", .regression = true, .id = "id"}, o, r);
    case 8: return read_jsonl(file, {.text_a = "text", .label = "label"}, o, r);
    case 9: return read_jsonl(file, {.text_a = "text", .id = "idx"}, o, r);
    default: return read_jsonl(file, {.text_a = "a", .text_b = "b", .label = "label", .labels = {"no", "yes"}}, o, r);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t pick = data[0];
  const auto file = fuzz::write_file("data.jsonl", {reinterpret_cast<const char*>(data) + 1, size - 1});
  const read_options options{.bad_rows = (pick & 0x10) ? on_bad_row::skip : on_bad_row::error};
  read_report report;
  std::vector<example> rows;
  if (!fuzz::accepts([&] { rows = read_with(pick, file, options, &report); })) return 0;
  fuzz::check(report.examples == rows.size(), "the report counts every example");
  for (const auto& ex : rows) {
    fuzz::check(ex.line >= 1, "an example names its line");
    fuzz::check(ex.label >= -1, "a label is a class index or -1");
  }
  return 0;
}
