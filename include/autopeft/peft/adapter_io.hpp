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
#include <autopeft/detail/json_file.hpp>
#include <autopeft/error.hpp>
#include <autopeft/io/safetensors.hpp>
#include <autopeft/model/sequence_classifier.hpp>
#include <autopeft/peft/adapter_config.hpp>
#include <autopeft/peft/delete_adapter.hpp>
#include <autopeft/peft/hf_names.hpp>
#include <autopeft/peft/inject.hpp>
#include <autopeft/peft/plan.hpp>
#include <autopeft/peft/stored_state.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cstring>
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
  /// Empty writes null, HF's task_type for a model of no task class (a masked LM, a user's
  /// module).
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


/// HF's adapter_config.json for P: the policy's fields `j` plus the fields every method carries.
template <class P>
nlohmann::json adapter_config_json(nlohmann::json j, const adapter_save_options& opt) {
  j["auto_mapping"] = nullptr;
  j["base_model_name_or_path"] =
      opt.base_model_name_or_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(opt.base_model_name_or_path);
  j["inference_mode"] = opt.inference_mode;
  j["modules_to_save"] = opt.task_type == "SEQ_CLS" ? nlohmann::json{"classifier", "score"} : nlohmann::json(nullptr);
  j["peft_type"] = P::peft_type;
  j["peft_version"] = "0.21.0";  // the format written here is PEFT 0.21's
  j["revision"] = nullptr;
  j["task_type"] = opt.task_type.empty() ? nlohmann::json(nullptr) : nlohmann::json(opt.task_type);
  return j;
}

/// Writes dir/adapter_model.safetensors and then dir/adapter_config.json (atomically renamed),
/// so a directory with a config always has its tensors.
inline void write_adapter_dir(const std::filesystem::path& dir, const nlohmann::json& config,
                              const std::vector<std::pair<std::string, torch::Tensor>>& tensors) {
  std::filesystem::create_directories(dir);
  io::save_safetensors(dir / "adapter_model.safetensors", tensors, {{"format", "pt"}});
  autopeft::detail::write_json_file(dir / "adapter_config.json", config);
}

template <class P, class Holder>
void save_adapter_checked(const Holder& model, const std::filesystem::path& dir, const adapter_save_options& opt,
                          const P* as = nullptr) {
  const auto& policy = as ? *as : model->peft().template get<P>();
  const auto& config = model->config();
  const auto j = adapter_config_json<P>(detail::stored_policy(policy).to_adapter_config(config), opt);

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
  // P's tensors only (a plan of several policies names each one's modules after it).
  const auto mine = [](const std::string& name) {
    return ("." + name).find(".peft." + std::string(P::name) + ".") != std::string::npos;
  };
  for (const auto& t : stored_state(model)) {
    if (mine(t.name)) add(t.name, t.value, true);
    else if (seq_cls && t.name.rfind("classifier.", 0) == 0) add(t.name, t.value, true);
  }
  if constexpr (requires { policy.hf_saves_buffers(); })
    if (policy.hf_saves_buffers())
      for (const auto& b : model->named_buffers(true))
        if (mine(b.key())) add(b.key(), b.value(), false);
  write_adapter_dir(dir, j, tensors);
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

/// What save_hf_adapters wrote, and what HF PEFT's format cannot hold.
struct hf_adapters_report {
  std::vector<std::string> written;                             ///< policy names, each in dir/<name>
  std::vector<std::pair<std::string, std::string>> without_hf;  ///< policy name, why it has no HF file
};

namespace detail {
template <class... Ps, class F>
void for_each_plan_policy(const plan<Ps...>*, F&& f) {
  (f.template operator()<Ps>(), ...);
}

/// A target_modules regex that selects what the names `t` select, on the layers `layers` only
/// ("(.*\.)?layer\.(1|3)\.(.*\.)?(key|output\.dense)"): how an HF config without
/// layers_to_transform ((IA)³'s) says "these layers".
inline std::string layer_regex(const targets& t, const std::vector<std::int64_t>& layers) {
  auto escaped = [](const std::string& n) {
    std::string out;
    for (char c : n) out += std::string(std::strchr(".[]{}()*+?^$|\\", c) ? "\\" : "") + c;
    return out;
  };
  std::string names, ls;
  for (const auto& n : t.names) names += (names.empty() ? "" : "|") + escaped(n);
  for (const auto l : layers) ls += (ls.empty() ? "" : "|") + std::to_string(l);
  return "(.*\\.)?layer\\.(" + ls + ")\\.(.*\\.)?(" + names + ")";
}

/// P as its HF file can say it: a policy whose HF config has no layers_to_transform, restricted
/// to some layers, gets its target_modules as a regex over those layers instead.
template <class P>
P hf_expressible(P policy, const model::EncoderConfig& config) {
  if constexpr (requires { policy.layers_to_transform(); policy.target_modules(); }) {
    if (policy.layers_to_transform().empty() || policy.target_modules().regex) return policy;
    try {
      (void)stored_policy(policy).to_adapter_config(config);
    } catch (const file_error&) {
      throw;
    } catch (const error&) {
      targets t;
      t.regex = layer_regex(policy.target_modules(), policy.layers_to_transform());
      policy.target_modules(t);
      policy.layers_to_transform({});
    }
  }
  return policy;
}
}  // namespace detail

/// HF PEFT holds one method per adapter. For a model whose plan holds several (an AutoPEFT
/// configuration: serial and parallel adapters, a prefix, LoRA, (IA)³), this writes each switched-on
/// policy that HF PEFT has, as HF's closest type, into `dir/<policy name>` (save_adapter of that
/// policy alone: its tensors, HF's keys, and the head when task_type is SEQ_CLS), and reports the
/// ones HF cannot hold and why: methods HF PEFT lacks (serial and parallel bottleneck adapters),
/// and settings its type cannot express (a prefix on some layers only: HF's prefix spans every
/// layer). A method whose HF config lacks layers_to_transform ((IA)³) says its layers with a
/// target_modules regex. Each file loads in HF PEFT alone; the configuration's outputs need all
/// of its modules.
template <class Holder>
hf_adapters_report save_hf_adapters(const Holder& model, const std::filesystem::path& dir,
                                    const adapter_save_options& opt = {}) {
  using Plan = std::decay_t<decltype(model->peft())>;
  hf_adapters_report report;
  const auto names = [&] {
    std::set<std::string> out;
    for (const auto& t : stored_state(model)) out.insert(t.name);
    return out;
  }();
  detail::for_each_plan_policy(static_cast<const Plan*>(nullptr), [&]<class P>() {
    const std::string name(P::name);
    if (!model->peft().template is_enabled<P>()) return;
    const bool built = std::any_of(names.begin(), names.end(), [&](const std::string& n) {
      return ("." + n).find(".peft." + name + ".") != std::string::npos;
    });
    if (!built) return;
    if constexpr (hf_adapter_policy<P>) {
      try {
        const auto as = detail::hf_expressible(model->peft().template get<P>(), model->config());
        detail::save_adapter_checked<P>(model, dir / name, opt, &as);
        report.written.push_back(name);
      } catch (const file_error&) {
        throw;
      } catch (const error& e) {
        report.without_hf.emplace_back(name, e.what());
      }
    } else {
      report.without_hf.emplace_back(name, "HF PEFT has no " + name + " method");
    }
  });
  return report;
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

// Adapters injected into a module tree (peft::inject: a user's module, or an encoder model
// whose Linears got injected adapters): HF's layout for a PeftModel around that module, keys
// "base_model.model.<module path>.<tensor>" ("base_model.model.fc1.lora_A.weight"), and the
// adapter "default" in `dir` itself, any other in `dir/<name>`, as save_pretrained writes
// several adapters.

namespace detail {

/// Where the adapter `name` lives under `dir`.
inline std::filesystem::path adapter_dir(const std::filesystem::path& dir, const std::string& name) {
  return name == default_adapter ? dir : dir / name;
}

/// (HF key, tensor) of every tensor of the injected sites under the child name `key`, in tree
/// order; with `shared_buffers`, the module the sites share on the root too ("peft.<key>",
/// VeRA's pair, HF's "base_model.vera_A").
inline std::vector<std::pair<std::string, torch::Tensor>> injected_tensors(torch::nn::Module& root,
                                                                            const std::string& key,
                                                                            bool shared_buffers) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  const std::string pre(hf_model_prefix);
  auto add_site = [&](const std::string& path, const std::vector<linear_adapter_entry>& entries) {
    for (const auto& e : entries)
      if (e.key == key)
        for (const auto& t : e.site->module()->named_parameters(true))
          out.emplace_back(pre + (path.empty() ? "" : path + ".") + t.key(), t.value());
  };
  if (auto* l = dynamic_cast<LinearImpl*>(&root)) add_site("", l->adapters());
  for (const auto& item : root.named_modules("", false)) {
    if (auto* l = dynamic_cast<LinearImpl*>(item.value().get())) add_site(item.key(), l->adapters());
    else if (auto* p = dynamic_cast<linear_parametrization*>(item.value().get()))
      add_site(parent_name(item.key()), p->adapters());
  }
  if (shared_buffers) {
    auto named = root.named_modules("", false);
    if (auto* shared = named.find("peft." + key))
      for (const auto& b : (*shared)->named_buffers(true)) out.emplace_back("base_model." + b.key(), b.value());
  }
  return out;
}

template <class P>
bool saves_shared_buffers(const P& policy) {
  if constexpr (requires { policy.hf_saves_buffers(); }) return policy.hf_saves_buffers();
  else return false;
}

}  // namespace detail

/// Writes the adapter `adapter` that peft::inject attached to `root` with `policy` as HF PEFT's
/// files: adapter_config.json (task_type null unless `opt` says otherwise) and
/// adapter_model.safetensors (float32), in `dir` for the adapter "default" and in `dir/<adapter>`
/// otherwise. With task_type "SEQ_CLS" (an encoder classifier), the head's parameters
/// (`classifier.*`) go too, as HF's modules_to_save. Throws autopeft::error when `root` holds no
/// such adapter.
template <class P, class Root>
  requires std::derived_from<Root, torch::nn::Module>
void save_adapter(Root& root, const P& policy, const std::filesystem::path& dir,
                  const std::string& adapter = detail::default_adapter,
                  const adapter_save_options& opt = {.task_type = ""}) {
  if constexpr (check_hf_adapter_policy<P>()) {
    const auto key = detail::adapter_key(P::name, adapter);
    auto tensors = detail::injected_tensors(root, key, detail::saves_shared_buffers(policy));
    if (tensors.empty())
      throw error("save_adapter: the module holds no " + std::string(P::name) + " sites of the adapter '" + adapter +
                  "' (children named '" + key + "'); inject it with peft::inject or peft::add_adapter first");
    if (opt.task_type == "SEQ_CLS")  // modules_to_save: HF saves the task head with the adapter
      for (const auto& p : root.named_parameters(true))
        if (p.key().rfind("classifier.", 0) == 0 || p.key().rfind("score.", 0) == 0)
          tensors.emplace_back(std::string(hf_model_prefix) + p.key(), p.value());
    for (auto& [k, t] : tensors) t = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    detail::write_adapter_dir(detail::adapter_dir(dir, adapter),
                              detail::adapter_config_json<P>(policy.to_adapter_config(model::EncoderConfig{}), opt),
                              tensors);
  }
}

/// Reads HF PEFT's files of a P adapter (`dir` for "default", `dir/<adapter>` otherwise) into
/// `root`: injects the policy that adapter_config.json describes as the adapter `adapter`, then
/// loads its tensors, and those of the modules its modules_to_save lists into the base module
/// (an HF classifier adapter's head: one copy per module, shared by the module's adapters, so a
/// later adapter must carry the same head); returns what was injected. Throws autopeft::file_error, leaving `root` as it
/// was, when the config is not P's or is malformed, when a tensor of the file has no place in
/// the module or has another shape, or when the file lacks a tensor of an injected site; throws
/// autopeft::error as peft::inject does (e.g. target_modules matching nothing in `root`).
template <class P, class Root>
  requires std::derived_from<Root, torch::nn::Module>
inject_report load_adapter(Root& root, const std::filesystem::path& dir,
                           const std::string& adapter = detail::default_adapter) {
  if constexpr (check_hf_adapter_policy<P>()) {
    const auto where = detail::adapter_dir(dir, adapter);
    const auto config_file = where / "adapter_config.json";
    const auto config = read_adapter_config(config_file);
    const auto policy = policy_from_config<P>(config, config_file);
    const auto weights = where / "adapter_model.safetensors";
    const auto content = io::load_safetensors(weights);
    std::vector<std::string> to_save;  // HF's modules_to_save: base modules the file replaces
    if (config.contains("modules_to_save") && config["modules_to_save"].is_array())
      for (const auto& m : config["modules_to_save"])
        if (m.is_string()) to_save.push_back(m.get<std::string>());
    bool held_before = false;  // other adapters share the base modules that modules_to_save replaces
    for (const auto& item : root.named_modules("", true))
      if (auto* l = dynamic_cast<adapter_layer*>(item.value().get()); l && l->has_adapters()) held_before = true;
    auto report = inject(root, policy, adapter);
    try {
      const auto key = detail::adapter_key(P::name, adapter);
      std::map<std::string, torch::Tensor> ours;
      for (auto& [k, t] : detail::injected_tensors(root, key, detail::saves_shared_buffers(policy))) ours[k] = t;
      auto base = root.named_parameters(true);
      const std::string pre(hf_model_prefix);
      // Every tensor is checked before any is copied, so a bad file changes nothing.
      std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;
      std::set<std::string> written;
      for (const auto& [hf, t] : content.tensors) {
        torch::Tensor target;
        if (const auto it = ours.find(hf); it != ours.end()) {
          target = it->second;
          written.insert(hf);
        } else if (hf.rfind(pre, 0) == 0) {
          const auto name = hf.substr(pre.size());
          const bool listed = std::any_of(to_save.begin(), to_save.end(),
                                          [&](const std::string& m) { return name.rfind(m + ".", 0) == 0; });
          if (auto* p = base.find(name); p && listed) {
            target = *p;
            if (held_before && !torch::equal(target, t.to(target.device(), target.scalar_type())))
              throw file_error(weights, "tensor '" + hf + "' of modules_to_save differs from the module's '" + name +
                                            "', which the adapters it already holds share (HF keeps a copy per "
                                            "adapter, autopeft one per module): load this adapter into a model of "
                                            "its own");
          }
        }
        if (!target.defined())
          throw file_error(weights, "tensor '" + hf + "' has no place in the module (neither a site of the injected " +
                                        std::string(P::name) + " nor a module that modules_to_save lists): is the "
                                        "adapter for this module and method?");
        if (target.sizes() != t.sizes()) {
          std::ostringstream os;
          os << "tensor '" << hf << "' has shape " << t.sizes() << " but the module's has shape " << target.sizes()
             << ": does adapter_config.json match the module?";
          throw file_error(weights, os.str());
        }
        copies.emplace_back(target, t);
      }
      for (const auto& [k, t] : ours)
        if (t.requires_grad() && !written.contains(k))
          throw file_error(weights, "missing tensor '" + k + "' of an injected " + std::string(P::name) + " site");
      torch::NoGradGuard ng;
      for (auto& [target, t] : copies) target.copy_(t.to(target.device(), target.scalar_type()));
    } catch (...) {
      delete_adapter(root, adapter);  // leave the module as it was
      throw;
    }
    return report;
  }
  return {};
}

}  // namespace autopeft::peft
