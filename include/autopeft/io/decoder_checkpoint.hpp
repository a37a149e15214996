#pragma once
// HuggingFace checkpoint directories (`config.json` + `model.safetensors`) of the Llama-family
// decoders: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM and their
// ...ForSequenceClassification variants. The modules carry HF's names, so a tensor goes to the
// parameter of the same name. A tied checkpoint's `lm_head.weight`, if it has one, is the
// embedding matrix again and is not used.
//
// Example:
//   io::save_decoder(lm, dir);
//   io::load_report report;
//   auto back = io::decoder_from_pretrained<model::CausalLM>(dir, &report);
#include <autopeft/error.hpp>
#include <autopeft/io/hf_checkpoint.hpp>
#include <autopeft/io/safetensors.hpp>
#include <autopeft/model/causal_lm.hpp>
#include <autopeft/model/decoder_config.hpp>
#include <autopeft/model/decoder_sequence_classifier.hpp>

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace autopeft::io {

/// Copies every parameter of `model` from the tensor of the same name in `file`. A missing or
/// mis-shaped tensor throws file_error naming it, except a classification head (`score.`) that
/// a causal-LM checkpoint lacks, which keeps its initialisation (reported newly_initialized).
/// Tensors the model has no parameter for are reported unused.
inline load_report load_decoder_weights(torch::nn::Module& model, const fs::path& file) {
  const auto content = load_safetensors(file);
  auto params = model.named_parameters(/*recurse=*/true);
  load_report report;
  std::set<std::string> in_file;
  for (const auto& [k, t] : content.tensors) {
    in_file.insert(k);
    if (!params.contains(k)) report.unused.push_back(k);
  }
  torch::NoGradGuard no_grad;
  for (auto& p : params) {
    const auto& k = p.key();
    if (!in_file.contains(k)) {
      const bool head = k.rfind("score.", 0) == 0;
      if (head || ("." + k).find(".peft.") != std::string::npos) {
        report.newly_initialized.push_back(k);
        continue;
      }
      throw file_error(file, "missing tensor '" + k + "': is this checkpoint for this config.json (model_type, " +
                                 "num_hidden_layers, tie_word_embeddings)?");
    }
    const auto& t = content.at(k);
    if (t.sizes() != p.value().sizes()) {
      std::ostringstream os;
      os << "tensor '" << k << "' has shape " << t.sizes() << " but the model's parameter has shape " << p.value().sizes()
         << ": does config.json match the weights?";
      throw file_error(file, os.str());
    }
    p.value().copy_(t.to(p.value().device(), p.value().scalar_type()));
    report.loaded.push_back(k);
  }
  return report;
}

/// HF's class name of a decoder model type: "LlamaForCausalLM", "Qwen2ForSequenceClassification".
template <class Impl>
std::string decoder_class_name(model::decoder_family f) {
  const std::string family = f == model::decoder_family::llama ? "Llama" : f == model::decoder_family::mistral ? "Mistral" : "Qwen2";
  return family + (std::is_same_v<Impl, model::CausalLMImpl> ? "ForCausalLM" : "ForSequenceClassification");
}

/// A model of type Holder (model::CausalLM or model::DecoderSequenceClassifier) from an HF
/// directory; `report`, when given, receives what the load did.
template <class Holder>
Holder decoder_from_pretrained(const fs::path& dir, load_report* report = nullptr) {
  const auto config = model::DecoderConfig::load(dir / "config.json");
  Holder m(config);
  auto r = load_decoder_weights(*m, dir / "model.safetensors");
  if (report != nullptr) *report = std::move(r);
  return m;
}

/// Writes `dir/config.json` and `dir/model.safetensors` (in `dtype`) as HF's save_pretrained does.
template <class Holder>
void save_decoder(const Holder& m, const fs::path& dir, torch::Dtype dtype = torch::kFloat32) {
  using Impl = typename Holder::ContainedType;
  const auto& config = m->model->config();
  fs::create_directories(dir);
  auto j = config.to_json();
  j["architectures"] = {decoder_class_name<Impl>(config.model_type)};
  j["torch_dtype"] = dtype == torch::kBFloat16 ? "bfloat16" : dtype == torch::kFloat16 ? "float16" : "float32";
  {
    const auto tmp = dir / "config.json.tmp";
    std::ofstream out(tmp);
    out << j.dump(2) << '\n';
    if (!out) throw file_error(tmp, "write failed");
    out.close();
    fs::rename(tmp, dir / "config.json");
  }
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& p : m->named_parameters(true))
    if (("." + p.key()).find(".peft.") == std::string::npos) tensors.emplace_back(p.key(), p.value().detach().to(torch::kCPU, dtype).contiguous());
  save_safetensors(dir / "model.safetensors", tensors, {{"format", "pt"}});
}

}  // namespace autopeft::io
