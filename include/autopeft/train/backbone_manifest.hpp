#pragma once
// autopeft.json: what a pretrained backbone directory holds besides HF's config.json and
// model.safetensors, so that a later load knows which tokenizer to use and how the backbone was
// made:
//
//   {"format_version": 1,
//    "tokenizer": {"type": "wordpiece", "file": "vocab.txt",
//                  "normalizer": {"lowercase": true, "strip_accents": null,
//                                 "clean_text": true, "handle_chinese_chars": true},
//                  "special_tokens": {"pad": 0, "unk": 1, "cls": 2, "sep": 3, "mask": 4}},
//    "max_seq_length": 128,
//    "recipe": {...},          // backbone_recipe::to_json() of the run, when it came from one
//    "pretraining": {...},     // steps, final loss, time, throughput
//    "files": {"model.safetensors": {"bytes": 218112, "crc32": "9b1f03c2"}, ...}}
//
// "files" (absent in older directories) lets load() find a truncated or bit-flipped file before
// anything parses it: a search left running for days should stop at once, naming the file,
// rather than train on damaged weights.
#include <autopeft/data/bert_normalizer.hpp>
#include <autopeft/data/special_token_ids.hpp>
#include <autopeft/error.hpp>
#include <autopeft/io/crc32.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace autopeft::train {

struct backbone_manifest {
  static constexpr int format_version = 1;
  static constexpr const char* file_name = "autopeft.json";

  std::string tokenizer_type = "wordpiece";
  std::string tokenizer_file = "vocab.txt";
  data::bert_normalizer normalizer;
  data::special_token_ids special_tokens;
  std::int64_t max_seq_length = 128;
  nlohmann::json recipe = nlohmann::json::object();
  nlohmann::json pretraining = nlohmann::json::object();
  nlohmann::json files = nlohmann::json::object();  ///< name -> {bytes, crc32}; see record_files

  [[nodiscard]] nlohmann::json to_json() const {
    const auto& s = special_tokens;
    nlohmann::json j = {{"format_version", format_version},
            {"tokenizer",
             {{"type", tokenizer_type},
              {"file", tokenizer_file},
              {"normalizer",
               {{"lowercase", normalizer.lowercase},
                {"strip_accents", normalizer.strip_accents ? nlohmann::json(*normalizer.strip_accents) : nlohmann::json(nullptr)},
                {"clean_text", normalizer.clean_text},
                {"handle_chinese_chars", normalizer.handle_chinese_chars}}},
              {"special_tokens", {{"pad", s.pad}, {"unk", s.unk}, {"cls", s.cls}, {"sep", s.sep}, {"mask", s.mask}}}}},
            {"max_seq_length", max_seq_length},
            {"recipe", recipe},
            {"pretraining", pretraining}};
    if (!files.empty()) j["files"] = files;
    return j;
  }

  /// Records the size and CRC-32 of each of `names` in `dir` (call after writing them).
  void record_files(const std::filesystem::path& dir, const std::vector<std::string>& names) {
    for (const auto& n : names)
      files[n] = {{"bytes", std::filesystem::file_size(dir / n)}, {"crc32", hex(io::file_crc32(dir / n))}};
  }

  /// Checks each recorded file of `dir` against its size and CRC-32; throws a file_error naming
  /// the first file that is missing, truncated, grown or damaged.
  void verify_files(const std::filesystem::path& dir) const {
    const std::string advice = ". Copy the backbone directory again, or pretrain it again (`autopeft pretrain`)";
    for (const auto& [name, rec] : files.items()) {
      const auto file = dir / name;
      std::error_code ec;
      const auto bytes = std::filesystem::file_size(file, ec);
      if (ec) throw file_error(file, "is missing or unreadable, but autopeft.json lists it (" + ec.message() + ")" + advice);
      const auto want_bytes = rec.value("bytes", std::uintmax_t{0});
      if (bytes != want_bytes)
        throw file_error(file, "is " + std::to_string(bytes) + " bytes but was " + std::to_string(want_bytes) +
                                   " when the backbone was saved (autopeft.json): it is truncated or was replaced" + advice);
      const auto crc = hex(io::file_crc32(file));
      if (crc != rec.value("crc32", std::string()))
        throw file_error(file, "is damaged: its CRC-32 is " + crc + " but was " + rec.value("crc32", std::string("?")) +
                                   " when the backbone was saved (autopeft.json); a bit flipped on the disk or in a copy" +
                                   advice);
    }
  }

  static backbone_manifest from_json(const nlohmann::json& j, const std::string& where) {
    backbone_manifest m;
    try {
      const int version = j.at("format_version").get<int>();
      if (version != format_version)
        throw error(where + ": format_version is " + std::to_string(version) + " but this autopeft reads " +
                    std::to_string(format_version) + ": pretrain the backbone again with this version");
      const auto& t = j.at("tokenizer");
      m.tokenizer_type = t.at("type").get<std::string>();
      m.tokenizer_file = t.at("file").get<std::string>();
      const auto& n = t.at("normalizer");
      m.normalizer.lowercase = n.at("lowercase").get<bool>();
      m.normalizer.strip_accents = n.at("strip_accents").is_null() ? std::nullopt : std::optional<bool>(n.at("strip_accents").get<bool>());
      m.normalizer.clean_text = n.at("clean_text").get<bool>();
      m.normalizer.handle_chinese_chars = n.at("handle_chinese_chars").get<bool>();
      const auto& s = t.at("special_tokens");
      m.special_tokens.pad = s.at("pad").get<std::int64_t>();
      m.special_tokens.unk = s.at("unk").get<std::int64_t>();
      m.special_tokens.cls = s.at("cls").get<std::int64_t>();
      m.special_tokens.sep = s.at("sep").get<std::int64_t>();
      m.special_tokens.mask = s.at("mask").get<std::int64_t>();
      m.max_seq_length = j.at("max_seq_length").get<std::int64_t>();
      m.recipe = j.value("recipe", nlohmann::json::object());
      m.pretraining = j.value("pretraining", nlohmann::json::object());
      m.files = j.value("files", nlohmann::json::object());
      if (!m.files.is_object()) throw error(where + ": 'files' must be an object (file name -> {bytes, crc32})");
      for (const auto& [name, rec] : m.files.items())
        if (!rec.is_object() || !rec.contains("bytes") || !rec.contains("crc32") || !rec["bytes"].is_number_unsigned() ||
            !rec["crc32"].is_string() || name.empty() || name.find('/') != std::string::npos || name.find("..") != std::string::npos)
          throw error(where + ": files['" + name + "'] must be {\"bytes\": N, \"crc32\": \"8 hex digits\"} for a file of the directory");
    } catch (const nlohmann::json::exception& e) {
      throw error(where + ": " + e.what() + " (is this an autopeft backbone directory?)");
    }
    if (m.tokenizer_type != "wordpiece")
      throw error(where + ": tokenizer type '" + m.tokenizer_type + "' is not known; autopeft writes 'wordpiece'");
    return m;
  }

  /// Writes dir/autopeft.json (through a temporary file and a rename).
  void save(const std::filesystem::path& dir) const {
    const auto tmp = dir / (std::string(file_name) + ".tmp");
    {
      std::ofstream out(tmp);
      out << to_json().dump(2) << '\n';
      if (!out) throw file_error(tmp, "write failed (disk full?)");
    }
    std::filesystem::rename(tmp, dir / file_name);
  }

  static std::string hex(std::uint32_t v) {
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", v);
    return buf;
  }

  static backbone_manifest load(const std::filesystem::path& dir) {
    const auto file = dir / file_name;
    std::ifstream in(file);
    if (!in)
      throw file_error(file, "not found: the directory is not an autopeft backbone (run `autopeft pretrain`, "
                             "or load a plain HF checkpoint with io::from_pretrained)");
    nlohmann::json j;
    try {
      in >> j;
    } catch (const nlohmann::json::exception& e) {
      throw file_error(file, std::string("is not valid JSON: ") + e.what());
    }
    return from_json(j, file.string());
  }
};

}  // namespace autopeft::train
