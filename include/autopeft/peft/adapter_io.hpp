#pragma once
// Saving and loading adapters in HF PEFT's format: a directory with adapter_config.json and
// adapter_model.safetensors, as PeftModel.save_pretrained writes and PeftModel.from_pretrained
// reads (PEFT 0.21). The tensors carry HF's key names (peft/hf_names.hpp), and the task head
// is saved as HF saves its modules_to_save ("base_model.model.classifier.weight").
//
// Example:
//   using family = peft::plan<peft::lora>;
//   auto cfg = peft::read_adapter_config("adapter");
//   auto m = io::from_pretrained<model::SequenceClassifier<family>>("base", nullptr,
//                                                                  family{peft::policy_from_config<peft::lora>(cfg)});
//   peft::load_adapter(m, "adapter");      // HF's files -> our model
//   peft::save_adapter(m, "out");          // our model -> files HF PEFT loads
//
// One method per adapter, as in HF: the model's plan must hold exactly one policy, and that
// policy must carry HF's format (peft::hf_adapter_policy, see peft/adapter_config.hpp).
//
// What is written is the stored form (stored_state): a prefix trained with its reparametrisation
// MLP is saved as the prefix it computes, [P, 2·L·H], under `prompt_embeddings`, with
// prefix_projection false, as HF PEFT saves it; it loads into a prefix without projection
// (policy_from_config gives one) and reproduces the trained model's outputs.
#include <autopeft/error.hpp>
#include <autopeft/io/safetensors.hpp>
#include <autopeft/model/sequence_classifier.hpp>
#include <autopeft/peft/adapter_config.hpp>
#include <autopeft/peft/hf_names.hpp>
#include <autopeft/peft/plan.hpp>
#include <autopeft/peft/stored_state.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace autopeft::peft {

/// What save_adapter writes besides the method's fields.
struct adapter_save_options {
  /// HF's base_model_name_or_path (null when empty): where PeftModel finds the base model.
  std::string base_model_name_or_path;
  /// HF's task_type; SEQ_CLS also sets modules_to_save ["classifier", "score"], as HF does.
  std::string task_type = "SEQ_CLS";
  /// inference_mode as HF writes it after save_pretrained (true).
  bool inference_mode = true;
};

namespace detail {

template <class Plan>
struct single_policy {
  static_assert(dependent_false<Plan>,
                "autopeft::peft::save_adapter/load_adapter: the model's PEFT plan must be peft::plan<P> with "
                "exactly one policy P, as an HF adapter holds one method");
};
template <class P>
struct single_policy<plan<P>> {
  using type = P;
};

inline bool is_peft_name(const std::string& k) { return ("." + k).find(".peft.") != std::string::npos; }

/// Sorted copies of the target lists, so that HF's set order does not count as a difference.
inline nlohmann::json normalised(nlohmann::json j) {
  for (auto& [k, v] : j.items())
    if (v.is_array() && !v.empty() && v.front().is_string()) std::sort(v.begin(), v.end());
  return j;
}

inline const std::string& arch_name(const model::EncoderConfig& c) {
  static const std::string bert = "bert", roberta = "roberta";
  return c.model_type == model::architecture::bert ? bert : roberta;
}

template <class P>
P stored_policy(const P& p) {
  if constexpr (requires { { p.folded() } -> std::convertible_to<P>; }) return p.folded();
  else return p;
}


template <class P, class Holder>
void save_adapter_checked(const Holder& model, const std::filesystem::path& dir, const adapter_save_options& opt) {
  const auto& policy = model->peft().template get<P>();
  const auto& config = model->config();

  auto j = detail::stored_policy(policy).to_adapter_config(config);
  j["auto_mapping"] = nullptr;
  j["base_model_name_or_path"] =
      opt.base_model_name_or_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(opt.base_model_name_or_path);
  j["inference_mode"] = opt.inference_mode;
  j["modules_to_save"] = opt.task_type == "SEQ_CLS" ? nlohmann::json{"classifier", "score"} : nlohmann::json(nullptr);
  j["peft_type"] = P::peft_type;
  j["peft_version"] = "0.21.0";  // the format written here is PEFT 0.21's
  j["revision"] = nullptr;
  j["task_type"] = opt.task_type;

  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  auto add = [&](const std::string& ours, const torch::Tensor& t, bool trainable) {
    auto hf = to_hf_name<P>(ours);
    if (hf.empty()) {
      if (trainable)
        throw error("save_adapter: PEFT parameter '" + ours + "' has no key in HF PEFT's adapter format");
      return;
    }
    // Prompt learning's PeftModel holds the transformers model itself: no ".model" level.
    if (detail::hf_prompt_learning_policy<P> && hf.rfind(hf_model_prefix, 0) == 0) hf = "base_model." + hf.substr(hf_model_prefix.size());
    tensors.emplace_back(hf, t.detach().to(torch::kCPU, torch::kFloat32).contiguous());
  };
  const bool seq_cls = opt.task_type == "SEQ_CLS";
  for (const auto& t : stored_state(model)) {
    if (detail::is_peft_name(t.name)) add(t.name, t.value, true);
    else if (seq_cls && t.name.rfind("classifier.", 0) == 0) add(t.name, t.value, true);
  }
  if constexpr (requires { policy.hf_saves_buffers(); })
    if (policy.hf_saves_buffers())
      for (const auto& b : model->named_buffers(true))
        if (detail::is_peft_name(b.key())) add(b.key(), b.value(), false);

  std::filesystem::create_directories(dir);
  io::save_safetensors(dir / "adapter_model.safetensors", tensors, {{"format", "pt"}});
  const auto file = dir / "adapter_config.json";
  const auto tmp = dir / "adapter_config.json.tmp";
  {
    std::ofstream out(tmp);
    out << j.dump(2) << '\n';
    if (!out) throw file_error(tmp, "write failed");
  }
  std::filesystem::rename(tmp, file);
}
}  // namespace detail

/// Writes `dir/adapter_config.json` and `dir/adapter_model.safetensors` (float32) for a
/// SequenceClassifier<plan<P>>: P's stored tensors (stored_state) under HF PEFT's keys plus the
/// classifier head, and the config of P's stored form (prefix_tuning::folded).
/// Throws autopeft::error when a trainable PEFT tensor has no HF key.
template <class Holder>
void save_adapter(const Holder& model, const std::filesystem::path& dir, const adapter_save_options& opt = {}) {
  using Plan = std::decay_t<decltype(model->peft())>;
  using P = typename detail::single_policy<Plan>::type;
  if constexpr (check_hf_adapter_policy<P>()) detail::save_adapter_checked<P>(model, dir, opt);
}

namespace detail {
template <class P, class Holder>
void load_adapter_checked(Holder& model, const std::filesystem::path& dir) {
  const auto config_file = dir / "adapter_config.json";
  const auto j = read_adapter_config(config_file);
  const auto theirs = policy_from_config<P>(j, config_file);
  const auto& config = model->config();
  const auto want = detail::normalised(model->peft().template get<P>().to_adapter_config(config));
  const auto got = detail::normalised(theirs.to_adapter_config(config));
  for (const auto& [k, v] : want.items())
    if (got.at(k) != v)
      throw file_error(config_file, "field '" + k + "' is " + got.at(k).dump() + " but the model's " +
                                        std::string(P::name) + " policy has " + k + " = " + v.dump() +
                                        ": build the model with peft::policy_from_config<peft::" +
                                        std::string(P::name) + ">(read_adapter_config(dir)) or use a matching adapter");

  const auto weights = dir / "adapter_model.safetensors";
  const auto content = io::load_safetensors(weights);
  const auto& arch = detail::arch_name(config);
  auto params = model->named_parameters(true);
  auto buffers = model->named_buffers(true);
  std::set<std::string> written;
  torch::NoGradGuard ng;
  for (const auto& [hf, t] : content.tensors) {
    const auto ours = from_hf_name<P>(hf, arch);
    torch::Tensor* target = ours.empty() ? nullptr : params.find(ours);
    if (!target && !ours.empty() && detail::is_peft_name(ours)) target = buffers.find(ours);
    if (!target || (!detail::is_peft_name(ours) && ours.rfind("classifier.", 0) != 0))
      throw file_error(weights, "tensor '" + hf + "' has no place in the model (mapped to '" + ours +
                                    "'): is the adapter for this base model and method?");
    if (target->sizes() != t.sizes()) {
      std::ostringstream os;
      os << "tensor '" << hf << "' has shape " << t.sizes() << " but the model's '" << ours << "' has shape "
         << target->sizes() << ": does adapter_config.json match the base model?";
      throw file_error(weights, os.str());
    }
    target->copy_(t.to(target->device(), target->scalar_type()));
    written.insert(ours);
  }
  const auto mts = j.contains("modules_to_save") && j["modules_to_save"].is_array() ? j["modules_to_save"]
                                                                                    : nlohmann::json::array();
  const bool head = std::find(mts.begin(), mts.end(), "classifier") != mts.end();
  for (const auto& p : params) {
    const auto& k = p.key();
    if ((detail::is_peft_name(k) || (head && k.rfind("classifier.", 0) == 0)) && !written.contains(k))
      throw file_error(weights, "missing tensor '" + to_hf_name<P>(k) + "' for the model's parameter '" + k + "'");
  }
}
}  // namespace detail

/// Reads HF PEFT's adapter directory into `model` (a SequenceClassifier<plan<P>> built with the
/// adapter's options, e.g. from policy_from_config<P>). Throws autopeft::file_error when:
///  - adapter_config.json's peft_type is not P's, or one of its fields disagrees with the
///    model's policy (the message names the field and both values);
///  - a tensor of the file has no place in the model, or a shape disagrees;
///  - the file lacks a PEFT tensor of the model, or the head that modules_to_save lists.
template <class Holder>
void load_adapter(Holder& model, const std::filesystem::path& dir) {
  using Plan = std::decay_t<decltype(model->peft())>;
  using P = typename detail::single_policy<Plan>::type;
  if constexpr (check_hf_adapter_policy<P>()) detail::load_adapter_checked<P>(model, dir);
}

}  // namespace autopeft::peft
