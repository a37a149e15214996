// The delimited-text readers: read_glue for every GLUE task and read_csv under several
// dialects and column mappings. The first byte picks the reader and the bad-row policy; the
// rest is the file. Any bytes give examples or autopeft::error; with on_bad_row::skip only
// file-level problems throw, and every row is either an example or a counted skip.
#include "fuzz_support.hpp"

#include <autopeft/data/read_csv.hpp>
#include <autopeft/data/read_glue.hpp>

#include <cmath>

using namespace autopeft;
using namespace autopeft::data;

namespace {

std::vector<example> read_with(std::uint8_t pick, const std::filesystem::path& file, const read_options& o,
                               read_report* r) {
  const unsigned which = pick & 0x0F;
  if (which < 9) return read_glue(static_cast<glue_task>(which), file, o, r);
  switch (which) {
    case 9: return read_csv(file, {.text_a = "text", .label = "label", .labels = {"neg", "pos"}}, {}, o, r);
    case 10:
      return read_csv(file, {.text_a = "a", .text_b = "b", .label = "score", .regression = true, .id = "id"},
                      {.delimiter = '\t'}, o, r);
    case 11: return read_csv(file, {.text_a = "0", .label = "1"}, {.header = false}, o, r);
    case 12:
      return read_csv(file, {.text_a = "sentence", .label = "label"}, {.delimiter = '\t', .quote = '\0'}, o, r);
    case 13: return read_csv(file, {.text_a = "1", .text_b = "2"}, {.delimiter = ';', .header = false}, o, r);
    default: return read_csv(file, {.text_a = "text", .label = "label", .labels = {"a", "b", "c"}}, {}, o, r);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t pick = data[0];
  const auto file = fuzz::write_file("data.tsv", {reinterpret_cast<const char*>(data) + 1, size - 1});
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
