// HF's config.json (model::EncoderConfig::load, model::DecoderConfig::load) and a sharded
// checkpoint's index (io::checkpoint_shards): any bytes give a valid result or autopeft::error.
// An accepted config survives to_json -> from_json unchanged; an accepted index names only
// files beside it.
#include "fuzz_support.hpp"

#include <autopeft/io/checkpoint_index.hpp>
#include <autopeft/model/decoder_config.hpp>
#include <autopeft/model/encoder_config.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace autopeft;
  const std::string_view bytes{reinterpret_cast<const char*>(data), size};
  const auto file = fuzz::write_file("config.json", bytes);
  model::EncoderConfig c;
  if (fuzz::accepts([&] { c = model::EncoderConfig::load(file); })) {
    c.validate();
    // to_json writes one id2label entry per label: keep the round trip to sane label counts.
    if (c.num_labels <= 4096) {
      const auto j = c.to_json();
      fuzz::check(model::EncoderConfig::from_json(j).to_json() == j, "config survives a JSON round trip");
    }
  }
  model::DecoderConfig d;
  if (fuzz::accepts([&] { d = model::DecoderConfig::load(file); })) {
    d.validate();
    const auto j = d.to_json();
    fuzz::check(model::DecoderConfig::from_json(j).to_json() == j, "decoder config survives a JSON round trip");
  }
  const auto index = fuzz::write_file("model.safetensors.index.json", bytes);
  std::map<std::filesystem::path, std::set<std::string>> shards;
  if (fuzz::accepts([&] { shards = io::checkpoint_shards(index); }))
    for (const auto& [shard, names] : shards)
      fuzz::check(shard.parent_path() == index.parent_path() && !names.empty(), "every shard lies beside the index");
  return 0;
}
