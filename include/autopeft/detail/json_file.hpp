#pragma once
// A JSON file read whole, with the nesting limit of parse_json and errors that name the file, and
// written whole: to a temporary sibling first, then renamed over the target, so that a crash
// leaves the old file or the new one, never half of one.
#include <autopeft/detail/parse_json.hpp>
#include <autopeft/error.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

namespace autopeft::detail {

/// The JSON value in `file`; `what` names the file's role in the errors ("the config file").
inline nlohmann::json read_json_file(const std::filesystem::path& file, const std::string& what = "the config file") {
  std::ifstream in(file);
  if (!in) throw file_error(file, "cannot open " + what);
  try {
    return parse_json(in);
  } catch (const nlohmann::json::exception& e) {
    throw file_error(file, std::string("is not valid JSON: ") + e.what());
  }
}

/// Writes `j` to `file` (indented by 2, a final newline) through a temporary sibling.
inline void write_json_file(const std::filesystem::path& file, const nlohmann::json& j) {
  const auto tmp = std::filesystem::path(file.string() + ".tmp");
  {
    std::ofstream out(tmp);
    if (!out) throw file_error(tmp, "cannot write the file");
    out << j.dump(2) << '\n';
    if (!out) throw file_error(tmp, "write failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) throw file_error(file, "cannot replace the file: " + ec.message());
}

}  // namespace autopeft::detail
