#pragma once
// HF's index of a sharded checkpoint (`model.safetensors.index.json`): which shard file holds
// which tensor. Needs no LibTorch.
#include <autopeft/detail/json_file.hpp>
#include <autopeft/error.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <string>

namespace autopeft::io {

/// The shards of the checkpoint `file`: shard file -> the tensor names the index puts there.
/// For HF's index (`*.index.json`: {"metadata": {...}, "weight_map": {tensor: shard}}) the
/// shards are files beside it; any other file is one shard whose names are read from the file
/// itself (an empty set here). Throws file_error naming the index and the field when the index
/// is malformed.
inline std::map<std::filesystem::path, std::set<std::string>> checkpoint_shards(const std::filesystem::path& file) {
  std::map<std::filesystem::path, std::set<std::string>> shards;
  if (!file.string().ends_with(".index.json")) {
    shards[file];
    return shards;
  }
  const auto j = autopeft::detail::read_json_file(file, "the checkpoint index");
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object() || j["weight_map"].empty())
    throw file_error(file, "field 'weight_map' must be a non-empty object (tensor name -> shard file), as "
                           "save_pretrained writes it");
  for (const auto& [name, shard] : j["weight_map"].items()) {
    if (!shard.is_string())
      throw file_error(file, "field 'weight_map' maps '" + name + "' to " + shard.dump() + ", not a file name");
    const std::filesystem::path rel = shard.get<std::string>();
    if (rel.empty() || rel.has_parent_path() || rel.is_absolute() || rel == "." || rel == "..")
      throw file_error(file, "field 'weight_map' maps '" + name + "' to '" + rel.string() +
                                 "': a shard must be a file name beside the index");
    shards[file.parent_path() / rel].insert(name);
  }
  return shards;
}


}  // namespace autopeft::io
