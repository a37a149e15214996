#pragma once
// Reading and writing HuggingFace checkpoint directories (`config.json` + `model.safetensors`)
// for the encoder and its heads. The model's module tree already carries HF's names, so the
// mapping only deals with what differs between checkpoints of one family:
//  - the base-model prefix (`bert.` / `roberta.`), present in task checkpoints and absent in
//    base ones: added or stripped as the target model needs;
//  - old LayerNorm names `gamma` / `beta`;
//  - buffers (`embeddings.position_ids`, `embeddings.token_type_ids`) and the MLM decoder, which
//    is tied to the word embeddings: ignored on load, not written on save.
#include <autopeft/detail/json_file.hpp>
#include <autopeft/error.hpp>
#include <autopeft/io/safetensors.hpp>
#include <autopeft/model/encoder_config.hpp>
#include <autopeft/model/encoder_model.hpp>
#include <autopeft/model/masked_lm.hpp>
#include <autopeft/model/sequence_classifier.hpp>

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace autopeft::io {

namespace fs = std::filesystem;

/// What a load did: tensors copied, parameters left at their initialisation (a head the
/// checkpoint lacks), and checkpoint tensors the model does not use.
struct load_report {
  std::vector<std::string> loaded, newly_initialized, unused;
};

namespace detail {

inline bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

inline bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

inline bool is_backbone_key(const std::string& k) {
  return starts_with(k, "embeddings.") || starts_with(k, "encoder.") || starts_with(k, "pooler.");
}

inline bool is_ignored_key(const std::string& k) {
  return ends_with(k, "embeddings.position_ids") || ends_with(k, "embeddings.token_type_ids") ||
         ends_with(k, "predictions.decoder.weight") || ends_with(k, "predictions.decoder.bias") ||
         ends_with(k, "lm_head.decoder.weight") || ends_with(k, "lm_head.decoder.bias");
}

inline std::string modern_layer_norm_name(std::string k) {
  if (ends_with(k, "LayerNorm.gamma")) k.replace(k.size() - 5, 5, "weight");
  else if (ends_with(k, "LayerNorm.beta")) k.replace(k.size() - 4, 4, "bias");
  return k;
}

/// The HF base-model prefix ("bert." / "roberta.") the model's keys carry, or "".
inline std::string model_prefix(const std::vector<std::string>& keys) {
  for (const auto* p : {"bert.", "roberta."})
    for (const auto& k : keys)
      if (starts_with(k, p)) return p;
  return "";
}

}  // namespace detail

/// Copies the tensors of a safetensors file into `model`'s parameters, mapping HF names.
/// Throws autopeft::file_error naming the tensor when a backbone tensor is missing or a shape
/// disagrees. Heads absent from the checkpoint keep their initialisation (see the report).
inline load_report load_weights(torch::nn::Module& model, const fs::path& file) {
  auto content = load_safetensors(file);
  auto params = model.named_parameters(/*recurse=*/true);
  std::vector<std::string> our_keys;
  for (const auto& p : params) our_keys.push_back(p.key());
  const auto our_prefix = detail::model_prefix(our_keys);

  std::vector<std::string> file_keys;
  for (const auto& [k, t] : content.tensors) file_keys.push_back(k);
  const auto file_prefix = detail::model_prefix(file_keys);

  std::map<std::string, std::string> source;  // our key -> file key
  load_report report;
  for (const auto& fk : file_keys) {
    if (detail::is_ignored_key(fk)) continue;
    auto k = detail::modern_layer_norm_name(fk);
    if (!file_prefix.empty() && our_prefix.empty()) {
      if (!detail::starts_with(k, file_prefix)) {
        report.unused.push_back(fk);  // a task head, for a base model
        continue;
      }
      k = k.substr(file_prefix.size());
    } else if (file_prefix.empty() && !our_prefix.empty() && detail::is_backbone_key(k)) {
      k = our_prefix + k;
    } else if (!file_prefix.empty() && !our_prefix.empty() && file_prefix != our_prefix &&
               detail::starts_with(k, file_prefix)) {
      throw file_error(file, "holds a '" + file_prefix.substr(0, file_prefix.size() - 1) +
                                 "' checkpoint but the model is '" +
                                 our_prefix.substr(0, our_prefix.size() - 1) +
                                 "': set model_type in config.json to match the weights");
    }
    if (params.contains(k)) source[k] = fk;
    else report.unused.push_back(fk);
  }

  torch::NoGradGuard no_grad;
  for (auto& p : params) {
    const auto& k = p.key();
    auto it = source.find(k);
    if (it == source.end() && ("." + k).find(".peft.") != std::string::npos) {
      report.newly_initialized.push_back(k);  // PEFT modules are not part of a base checkpoint
      continue;
    }
    if (it == source.end()) {
      auto bare = k.substr(our_prefix.size());
      if (detail::is_backbone_key(bare) && !detail::starts_with(bare, "pooler."))
        throw file_error(file, "missing tensor '" + (file_prefix.empty() ? bare : our_prefix + bare) +
                                   "' that the model's parameter '" + k +
                                   "' needs: is this checkpoint for this config?");
      report.newly_initialized.push_back(k);
      continue;
    }
    const auto& t = content.at(it->second);
    if (t.sizes() != p.value().sizes()) {
      std::ostringstream os;
      os << "tensor '" << it->second << "' has shape " << t.sizes() << " but the model's '" << k
         << "' has shape " << p.value().sizes() << ": does config.json match the weights?";
      throw file_error(file, os.str());
    }
    p.value().copy_(t.to(p.value().device(), p.value().scalar_type()));
    report.loaded.push_back(k);
  }
  return report;
}

/// HF's class name for a model type, written to config.json's "architectures".
template <class Impl>
struct hf_class_name;
template <class P>
struct hf_class_name<model::EncoderModelImpl<P>> {
  static std::string get(model::architecture a) { return a == model::architecture::bert ? "BertModel" : "RobertaModel"; }
};
template <class P>
struct hf_class_name<model::SequenceClassifierImpl<P>> {
  static std::string get(model::architecture a) {
    return a == model::architecture::bert ? "BertForSequenceClassification" : "RobertaForSequenceClassification";
  }
};
template <class P>
struct hf_class_name<model::MaskedLMImpl<P>> {
  static std::string get(model::architecture a) { return a == model::architecture::bert ? "BertForMaskedLM" : "RobertaForMaskedLM"; }
};

/// Writes `dir/config.json` and `dir/model.safetensors` (fp32 unless `dtype` says otherwise)
/// in the layout HF transformers' from_pretrained reads. PEFT parameters, which live in modules
/// named "peft" (see model::hook_holder), are not written unless `keep` says otherwise.
template <class Holder>
void save_pretrained(const Holder& model, const fs::path& dir, torch::Dtype dtype = torch::kFloat32,
                     const std::function<bool(const std::string&)>& keep = {}) {
  using Impl = typename Holder::ContainedType;
  const auto& config = model->config();
  fs::create_directories(dir);
  auto j = config.to_json();
  j["architectures"] = {hf_class_name<Impl>::get(config.model_type)};
  j["torch_dtype"] = dtype == torch::kBFloat16 ? "bfloat16" : dtype == torch::kFloat16 ? "float16" : "float32";
  autopeft::detail::write_json_file(dir / "config.json", j);
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& p : model->named_parameters(true)) {
    const bool peft = ("." + p.key()).find(".peft.") != std::string::npos;
    if (keep ? !keep(p.key()) : peft) continue;
    tensors.emplace_back(p.key(), p.value().detach().to(torch::kCPU, dtype).contiguous());
  }
  save_safetensors(dir / "model.safetensors", tensors, {{"format", "pt"}});
}

/// Builds a model of type Holder (e.g. model::SequenceClassifier<>) from an HF checkpoint
/// directory. `report`, when given, receives what the load did. With a PEFT plan, its modules
/// are built after the weights are loaded (DoRA's magnitudes start from the pretrained norms).
template <class Holder, class Plan = std::decay_t<decltype(std::declval<Holder&>()->peft())>>
Holder from_pretrained(const fs::path& dir, load_report* report = nullptr, const Plan& plan = {}) {
  if (!fs::is_directory(dir)) throw file_error(dir, "is not a checkpoint directory");
  auto config = model::EncoderConfig::load(dir / "config.json");
  Holder model(config, plan);
  const auto weights = dir / "model.safetensors";
  if (!fs::exists(weights))
    throw file_error(weights, "not found: the directory needs model.safetensors (pytorch_model.bin "
                              "is not read; convert it with safetensors' save_file)");
  auto r = load_weights(*model, weights);
  model->reset_peft(plan);
  if (report) *report = std::move(r);
  return model;
}

}  // namespace autopeft::io
