// HF's config.json (model::EncoderConfig::load): any bytes give a valid config or
// autopeft::error. An accepted config survives to_json -> from_json unchanged.
#include "fuzz_support.hpp"

#include <autopeft/model/encoder_config.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace autopeft;
  const auto file = fuzz::write_file("config.json", {reinterpret_cast<const char*>(data), size});
  model::EncoderConfig c;
  if (!fuzz::accepts([&] { c = model::EncoderConfig::load(file); })) return 0;
  c.validate();
  // to_json writes one id2label entry per label: keep the round trip to sane label counts.
  if (c.num_labels <= 4096) {
    const auto j = c.to_json();
    fuzz::check(model::EncoderConfig::from_json(j).to_json() == j, "config survives a JSON round trip");
  }
  return 0;
}
