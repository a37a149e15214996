// The safetensors reader (io::load_safetensors): any bytes give tensors or autopeft::file_error,
// and the reader never allocates more than the file could fill. Accepted files load again with
// floating tensors converted to float32, and survive save_safetensors -> load_safetensors.
#include "fuzz_support.hpp"

#include <autopeft/io/safetensors.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace autopeft;
  const auto file = fuzz::write_file("model.safetensors", {reinterpret_cast<const char*>(data), size});
  io::safetensors_content content;
  if (!fuzz::accepts([&] { content = io::load_safetensors(file); })) return 0;
  std::int64_t bytes = 0;
  for (const auto& [name, t] : content.tensors) bytes += t.numel() * static_cast<std::int64_t>(t.element_size());
  fuzz::check(bytes <= static_cast<std::int64_t>(size), "tensors hold no more bytes than the file");
  const auto as_float = io::load_safetensors(file, torch::kFloat);
  fuzz::check(as_float.tensors.size() == content.tensors.size(), "conversion keeps every tensor");

  const auto copy = fuzz::scratch_dir() / "copy.safetensors";
  io::save_safetensors(copy, content.tensors, content.metadata);
  const auto back = io::load_safetensors(copy);
  fuzz::check(back.tensors.size() == content.tensors.size() && back.metadata == content.metadata,
              "a saved file loads back");
  for (std::size_t i = 0; i < back.tensors.size(); ++i) {
    const auto& [name, t] = content.tensors[i];
    fuzz::check(back.tensors[i].first == name, "names survive");
    fuzz::check(back.tensors[i].second.sizes() == t.sizes() && back.tensors[i].second.dtype() == t.dtype(),
                "shapes and dtypes survive");
    // Bytes, not values: NaN payloads must survive too.
    fuzz::check(t.numel() == 0 || std::memcmp(back.tensors[i].second.data_ptr(), t.data_ptr(),
                                              static_cast<std::size_t>(t.numel()) * t.element_size()) == 0,
                "bytes survive");
  }
  return 0;
}
