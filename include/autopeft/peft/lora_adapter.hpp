#pragma once
// One LoRA adapter as HF PEFT saves it, held apart from any model: its options (LoraConfig, as a
// peft::lora) and its tensors under HF's keys ("<module path>.lora_A.weight" [r, in] and
// "<module path>.lora_B.weight" [out, r]). It is what add_weighted_adapter combines, so adapters
// are combined whatever model (or none) holds them.
//
// Example:
//   auto a = peft::lora_adapter::read(dir_a);   // HF's adapter_config.json + adapter_model.safetensors
//   const auto& a0 = a.lora_A("base_model.model.bert.encoder.layer.0.attention.self.query");
#include <autopeft/error.hpp>
#include <autopeft/io/safetensors.hpp>
#include <autopeft/peft/adapter_config.hpp>
#include <autopeft/peft/lora.hpp>

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>

namespace autopeft::peft {

struct lora_adapter {
  lora config;
  /// HF's keys -> tensors, e.g. "base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight".
  std::map<std::string, torch::Tensor> tensors;

  /// A [r, in] and B [out, r] of the LoRA module at `module_path` (the key without
  /// ".lora_A.weight"); throws naming the path when the adapter has no such tensor.
  [[nodiscard]] const torch::Tensor& lora_A(const std::string& module_path) const { return at(module_path + ".lora_A.weight"); }
  [[nodiscard]] const torch::Tensor& lora_B(const std::string& module_path) const { return at(module_path + ".lora_B.weight"); }

  /// Reads HF PEFT's adapter directory (adapter_config.json with peft_type LORA, and
  /// adapter_model.safetensors); throws autopeft::file_error for another method or a field
  /// peft::lora cannot honour.
  static lora_adapter read(const std::filesystem::path& dir) {
    const auto file = dir / "adapter_config.json";
    lora_adapter a{policy_from_config<lora>(read_adapter_config(file), file), {}};
    for (auto& [k, t] : io::load_safetensors(dir / "adapter_model.safetensors").tensors) a.tensors.emplace(k, t);
    return a;
  }

 private:
  [[nodiscard]] const torch::Tensor& at(const std::string& key) const {
    if (auto it = tensors.find(key); it != tensors.end()) return it->second;
    throw error("lora_adapter: no tensor '" + key + "' (is the module path HF's, with its 'base_model.model.' prefix?)");
  }
};

}  // namespace autopeft::peft
