#pragma once
// HuggingFace checkpoint directories (`config.json` + `model.safetensors`, or shards and their
// `model.safetensors.index.json`) of the Llama-family
// decoders: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM and their
// ...ForSequenceClassification variants. The modules carry HF's names, so a tensor goes to the
// parameter of the same name. A tied checkpoint's `lm_head.weight`, if it has one, is the
// embedding matrix again and is not used.
//
// Example:
//   io::save_decoder(lm, dir);
//   io::load_report report;
//   auto back = io::decoder_from_pretrained<model::CausalLM>(dir, &report);
#include <autopeft/detail/json_file.hpp>
#include <autopeft/error.hpp>
#include <autopeft/io/checkpoint_index.hpp>
#include <autopeft/io/hf_checkpoint.hpp>
#include <autopeft/io/safetensors.hpp>
#include <autopeft/model/causal_lm.hpp>
#include <autopeft/model/decoder_config.hpp>
#include <autopeft/model/decoder_sequence_classifier.hpp>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace autopeft::io {


/// Copies every parameter of `model` from the tensor of the same name in `file`: one
/// safetensors file, or HF's index of a sharded checkpoint (`model.safetensors.index.json`),
/// read one shard at a time. Tensors are read in `dtype` when given (a bf16 checkpoint read
/// as bf16 is copied as it is). A missing or mis-shaped tensor throws file_error naming it,
/// except a classification head (`score.`) that a causal-LM checkpoint lacks, which keeps its
/// initialisation (reported newly_initialized). Tensors the model has no parameter for are
/// reported unused.
inline load_report load_decoder_weights(torch::nn::Module& model, const fs::path& file,
                                        std::optional<torch::Dtype> dtype = std::nullopt) {
  auto params = model.named_parameters(/*recurse=*/true);
  load_report report;
  std::set<std::string> done;
  torch::NoGradGuard no_grad;
  for (const auto& [shard, listed] : checkpoint_shards(file)) {
    if (shard != file && !fs::exists(shard))
      throw file_error(file, "names the shard '" + shard.filename().string() + "', which is not in " +
                                 shard.parent_path().string() + ": copy every shard beside the index");
    const auto content = load_safetensors(shard, dtype);
    std::set<std::string> held;
    for (const auto& [k, t] : content.tensors) {
      held.insert(k);
      if (!params.contains(k)) {
        report.unused.push_back(k);
        continue;
      }
      auto& p = params[k];
      if (t.sizes() != p.sizes()) {
        std::ostringstream os;
        os << "tensor '" << k << "' has shape " << t.sizes() << " but the model's parameter has shape " << p.sizes()
           << ": does config.json match the weights?";
        throw file_error(shard, os.str());
      }
      p.copy_(t.to(p.device(), p.scalar_type()));
      done.insert(k);
      report.loaded.push_back(k);
    }
    for (const auto& k : listed)
      if (!held.contains(k))
        throw file_error(file, "puts tensor '" + k + "' in the shard '" + shard.filename().string() +
                                   "', which does not hold it: the index and the shards are of different checkpoints");
  }
  for (const auto& p : params) {
    const auto& k = p.key();
    if (done.contains(k)) continue;
    if (k.rfind("score.", 0) == 0 || ("." + k).find(".peft.") != std::string::npos) {
      report.newly_initialized.push_back(k);
      continue;
    }
    throw file_error(file, "missing tensor '" + k + "': is this checkpoint for this config.json (model_type, " +
                               "num_hidden_layers, tie_word_embeddings)?");
  }
  return report;
}

/// HF's class name of a decoder model type: "LlamaForCausalLM", "Qwen2ForSequenceClassification".
template <class Impl>
std::string decoder_class_name(model::decoder_family f) {
  const std::string family = f == model::decoder_family::llama ? "Llama" : f == model::decoder_family::mistral ? "Mistral" : "Qwen2";
  return family + (std::is_same_v<Impl, model::CausalLMImpl> ? "ForCausalLM" : "ForSequenceClassification");
}

/// Sets the default floating dtype for its lifetime: a model built inside is created in it.
class default_dtype_guard {
 public:
  explicit default_dtype_guard(torch::Dtype dtype) : saved_(torch::get_default_dtype()) {
    torch::set_default_dtype(c10::scalarTypeToTypeMeta(dtype));
  }
  ~default_dtype_guard() { torch::set_default_dtype(saved_); }
  default_dtype_guard(const default_dtype_guard&) = delete;
  default_dtype_guard& operator=(const default_dtype_guard&) = delete;

 private:
  caffe2::TypeMeta saved_;
};

/// A model of type Holder (model::CausalLM or model::DecoderSequenceClassifier) from an HF
/// directory: `config.json`, and `model.safetensors` or the shards that
/// `model.safetensors.index.json` lists. With `dtype` (e.g. torch::kBFloat16) the model is built
/// in it and the tensors are read in it, so a bf16 checkpoint never passes through fp32.
/// `report`, when given, receives what the load did.
template <class Holder>
Holder decoder_from_pretrained(const fs::path& dir, load_report* report = nullptr, std::optional<torch::Dtype> dtype = std::nullopt) {
  const auto config = model::DecoderConfig::load(dir / "config.json");
  const auto index = dir / "model.safetensors.index.json";
  const auto weights = fs::exists(index) ? index : dir / "model.safetensors";
  std::optional<default_dtype_guard> in_dtype;
  if (dtype) in_dtype.emplace(*dtype);
  Holder m(config);
  in_dtype.reset();
  auto r = load_decoder_weights(*m, weights, dtype);
  if (report != nullptr) *report = std::move(r);
  return m;
}

/// Writes `dir/config.json` and the weights (in `dtype`) as HF's save_pretrained does: one
/// `model.safetensors`, or, when they exceed `max_shard_bytes` (> 0), shards
/// `model-0000k-of-0000n.safetensors` of at most that size (a larger tensor alone) and the
/// index `model.safetensors.index.json`.
template <class Holder>
void save_decoder(const Holder& m, const fs::path& dir, torch::Dtype dtype = torch::kFloat32, std::int64_t max_shard_bytes = 0) {
  using Impl = typename Holder::ContainedType;
  const auto& config = m->model->config();
  fs::create_directories(dir);
  auto j = config.to_json();
  j["architectures"] = {decoder_class_name<Impl>(config.model_type)};
  j["torch_dtype"] = dtype == torch::kBFloat16 ? "bfloat16" : dtype == torch::kFloat16 ? "float16" : "float32";
  autopeft::detail::write_json_file(dir / "config.json", j);
  std::vector<std::vector<std::pair<std::string, torch::Tensor>>> shards(1);
  std::int64_t in_shard = 0, total = 0;
  for (const auto& p : m->named_parameters(true)) {
    if (("." + p.key()).find(".peft.") != std::string::npos) continue;
    auto t = p.value().detach().to(torch::kCPU, dtype).contiguous();
    const auto bytes = t.numel() * static_cast<std::int64_t>(t.element_size());
    if (max_shard_bytes > 0 && in_shard > 0 && in_shard + bytes > max_shard_bytes) shards.emplace_back(), in_shard = 0;
    shards.back().emplace_back(p.key(), std::move(t));
    in_shard += bytes;
    total += bytes;
  }
  std::error_code ec;
  if (shards.size() == 1) {
    save_safetensors(dir / "model.safetensors", shards[0], {{"format", "pt"}});
    fs::remove(dir / "model.safetensors.index.json", ec);  // a stale index would win on load
    return;
  }
  nlohmann::json weight_map = nlohmann::json::object();
  const auto n = shards.size();
  for (std::size_t i = 0; i < n; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", i + 1, n);
    save_safetensors(dir / name, shards[i], {{"format", "pt"}});
    for (const auto& [k, t] : shards[i]) weight_map[k] = name;
  }
  autopeft::detail::write_json_file(dir / "model.safetensors.index.json", {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}});
  fs::remove(dir / "model.safetensors", ec);
}

}  // namespace autopeft::io
