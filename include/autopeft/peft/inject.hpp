#pragma once
// Injection of a linear-site policy (LoRA, DoRA, LoHa, LoKr, VeRA, (IA)³) into any LibTorch module
// tree, selected by HF PEFT's `target_modules` over the full module names, as HF's
// `get_peft_model` does for a model it did not write. The management verbs (peft::merge_adapter,
// unmerge_adapter, unload, merge_and_unload, disable_adapter) then work on the tree as on an
// encoder.
//
// Two kinds of layer are adapted:
//  - autopeft::peft::Linear (peft/linear.hpp), a torch::nn::Linear whose forward applies the
//    adapters as a side path: the fast way, for a model whose source declares its layers so;
//  - a plain torch::nn::Linear, in any model (a Sequential, a ModuleList, a user's struct), with no
//    edit to its source: LibTorch parents call their Linear members directly and
//    torch::nn::LinearImpl::forward is not virtual, so the adapters re-parametrise its `weight`
//    and `bias` instead, inside a peft::adapted_weights guard that the training loop holds
//    around each forward (peft/linear_parametrization.hpp, which gives the cost). Policies whose
//    update acts on the layer's input through dropout (lora_dropout, vera_dropout > 0) are
//    refused there, since no weight expresses them.
//
// Example:
//   Mlp net;                                              // fc1, fc2 are peft::Linear
//   auto r = peft::inject(*net, peft::lora{}.r(4).target_modules({"fc1", "fc2"}));
//   peft::freeze_except_adapters(*net);                   // train r.modules' adapters only
//   train(*net);
//   peft::merge_and_unload(*net);                         // fold the updates into fc1, fc2
// and for a model of plain torch::nn::Linear layers, the same calls plus the guard:
//   auto seq = torch::nn::Sequential(torch::nn::Linear(8, 32), torch::nn::ReLU(), torch::nn::Linear(32, 1));
//   peft::inject(*seq, peft::lora{}.r(4).target_modules({"0", "2"}));
//   { peft::adapted_weights adapted(*seq); auto y = seq->forward(torch::randn({2, 8})); }
//
// Matching (peft::targets): a list entry selects the module whose full name equals it or ends
// with "." + entry; `target_modules` given as a regex must match the whole name. Modules inside
// a Linear (an attached adapter's fc1.lora.lora_A) and inside a module named `peft` (an encoder
// plan's PEFT modules, the modules injected sites share) are never candidates. `layers_to_transform`, when not
// empty, keeps the modules whose name has a numeric component ("blocks.3.attn.qkv": layer 3) in
// the list, as HF's layer index.
//
// The layer_context a policy's build_site receives: `index` is that layer index (0 when the name
// has none); `layer` is the Linear's parent module; `config` is a shape-only EncoderConfig with
// hidden_size = in_features, intermediate_size = out_features and num_hidden_layers = index + 1
// (LoRA, LoHa and LoKr read only the Linear itself); `embeddings` is the root. The `site`
// argument is the encoder site whose HF name ends the module name ("attention.self.query" ->
// query), else model::site::intermediate. Two policies read encoder positions and are handled
// by the policies themselves: a policy with `build_injected_site(ctx, module_name, base)` builds
// its site from the module's own name ((IA)³ decides feedforward sites by HF's rule on it), and
// one with `build_injected_model(linears)` builds the module its sites share over the matched
// Linears, registered once at `peft.<name>` on the root (VeRA's frozen pair, as buffers at
// `peft.vera.{vera_A, vera_B}`).
#include <autopeft/error.hpp>
#include <autopeft/model/encoder_config.hpp>
#include <autopeft/model/no_peft.hpp>
#include <autopeft/model/site.hpp>
#include <autopeft/peft/concepts.hpp>
#include <autopeft/peft/adapted_weights.hpp>
#include <autopeft/peft/linear.hpp>
#include <autopeft/peft/linear_parametrization.hpp>
#include <autopeft/peft/target.hpp>
#include <autopeft/peft/trainable.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace autopeft::peft {

/// A policy that attaches one site module per selected linear layer (a linear_policy<P>): the
/// members inject needs are
///   static constexpr std::string_view name;     // the adapter's name inside the Linear
///   using site_module = M;                      // see peft::linear_site_module
///   const targets& target_modules() const;
///   std::shared_ptr<M> build_site(const model::layer_context&, model::site, torch::nn::LinearImpl&) const;
template <class P>
concept linear_site_policy =
    std::copy_constructible<P> && detail::has_name<P> && requires { typename P::site_module; } &&
    linear_site_module<typename P::site_module> &&
    requires(const P& p, const model::layer_context& c, model::site s, torch::nn::LinearImpl& base) {
      { p.target_modules() } -> std::convertible_to<const targets&>;
      { p.build_site(c, s, base) } -> std::convertible_to<std::shared_ptr<typename P::site_module>>;
    };

template <class P>
constexpr bool check_linear_site_policy() {
  if constexpr (!detail::has_name<P>) {
    static_assert(dependent_false<P>,
                  "peft::inject: the policy lacks `static constexpr std::string_view name` "
                  "(see include/autopeft/peft/inject.hpp)");
  } else if constexpr (!requires { typename P::site_module; }) {
    static_assert(dependent_false<P>,
                  "peft::inject: the policy lacks `using site_module = ...;`: only linear-site policies "
                  "(LoRA, (IA)3, LoHa, LoKr, VeRA, ...) can be injected into a module tree");
  } else if constexpr (!linear_site_module<typename P::site_module>) {
    static_assert(dependent_false<P>,
                  "peft::inject: the policy's site_module lacks output(x, y, base), merge(base), "
                  "unmerge(base) or merged() (see peft::linear_site_module in peft/linear.hpp)");
  } else if constexpr (!requires(const P& p) { { p.target_modules() } -> std::convertible_to<const targets&>; }) {
    static_assert(dependent_false<P>, "peft::inject: the policy lacks `target_modules()` (peft::targets)");
  } else if constexpr (!linear_site_policy<P>) {
    static_assert(dependent_false<P>,
                  "peft::inject: the policy lacks `std::shared_ptr<site_module> build_site(const "
                  "model::layer_context&, model::site, torch::nn::LinearImpl&) const` or is not copyable");
  }
  return linear_site_policy<P>;
}

/// What inject attached: the full module names (tree order) and the number of parameters their
/// new site modules hold (all trainable).
struct inject_report {
  std::vector<std::string> modules;
  std::int64_t trainable_parameters = 0;
};

namespace detail {

/// The first numeric component of a module name ("blocks.3.attn" -> 3).
inline std::optional<std::int64_t> layer_index(const std::string& name) {
  std::size_t start = 0;
  while (start <= name.size()) {
    auto end = name.find('.', start);
    if (end == std::string::npos) end = name.size();
    const auto part = std::string_view(name).substr(start, end - start);
    if (!part.empty() && part.size() < 18 &&
        std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isdigit(c); }))
      return std::stoll(std::string(part));
    start = end + 1;
  }
  return std::nullopt;
}

inline model::site site_of(const std::string& name) {
  for (auto s : model::linear_sites)
    if (targets{std::string(model::to_string(s))}.matches(name)) return s;
  return model::site::intermediate;
}

/// The policy's build_injected_site where it has one (a policy that reads the module's own name),
/// else its build_site at the encoder site the name ends with.
template <class P>
std::shared_ptr<typename P::site_module> build_injected(const P& p, const model::layer_context& ctx,
                                                        const std::string& name, torch::nn::LinearImpl& base) {
  if constexpr (requires { p.build_injected_site(ctx, name, base); }) return p.build_injected_site(ctx, name, base);
  else return p.build_site(ctx, site_of(name), base);
}

inline std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

inline std::string describe(const targets& t) {
  if (t.regex) return "target_modules regex '" + *t.regex + "'";
  return "target_modules {" + join(t.names) + "}";
}

inline std::string parent_name(const std::string& name) {
  const auto dot = name.rfind('.');
  return dot == std::string::npos ? std::string() : name.substr(0, dot);
}

/// The parametrisation a plain torch::nn::Linear carries once adapted, or null.
inline std::shared_ptr<linear_parametrization> parametrization_of(torch::nn::LinearImpl& l) {
  const auto children = l.named_children();
  const auto* c = children.find(linear_parametrization::key);
  return c ? std::dynamic_pointer_cast<linear_parametrization>(*c) : nullptr;
}

template <linear_site_policy P>
inject_report inject_checked(torch::nn::Module& root, const P& p, const std::string& adapter) {
  const std::string who = "peft::inject(" + std::string(P::name) + ")";
  check_adapter_name(adapter, who);
  const targets& t = p.target_modules();
  const std::string key = adapter_key(P::name, adapter);
  // The tree's active adapter: the one its adapters already follow, else the new one (HF:
  // get_peft_model activates its adapter, add_adapter leaves the active one).
  std::string active = adapter;
  if (auto* a = dynamic_cast<adapter_layer*>(&root); a && a->has_adapters()) active = a->active_adapter();
  else
    for (const auto& item : root.named_modules("", false))
      if (auto* l = dynamic_cast<adapter_layer*>(item.value().get()); l && l->has_adapters()) {
        active = l->active_adapter();
        break;
      }

  struct hit {
    std::string name;
    std::int64_t index;
    torch::nn::LinearImpl* linear;
    LinearImpl* ours;  ///< null for a plain torch::nn::Linear
  };
  constexpr bool reparametrizable = requires(typename P::site_module& m, const torch::Tensor& w) {
    { m.reparametrize(w, w) } -> std::convertible_to<std::pair<torch::Tensor, torch::Tensor>>;
  };
  std::vector<hit> hits;
  std::vector<std::string> linears, adapted;  // adapted: every Linear, whose subtree holds no candidate
  auto named = root.named_modules("", false);
  for (const auto& item : named) {
    const auto& name = item.key();
    if (std::any_of(adapted.begin(), adapted.end(),
                    [&](const std::string& a) { return name.rfind(a + ".", 0) == 0; }))
      continue;
    if (("." + name + ".").find(".peft.") != std::string::npos) continue;  // a plan's PEFT modules
    auto* linear = dynamic_cast<torch::nn::LinearImpl*>(item.value().get());
    if (!linear) continue;
    auto* mine = dynamic_cast<LinearImpl*>(linear);
    adapted.push_back(name);
    linears.push_back(name);
    if (!t.matches(name)) continue;
    const auto index = detail::layer_index(name);
    if constexpr (requires { p.layers_to_transform(); }) {
      if (!p.layers_to_transform().empty() && (!index || !layer_selected(p.layers_to_transform(), *index)))
        continue;
    }
    if (mine ? mine->has_adapter(key)
             : [&] { auto par = parametrization_of(*linear); return par && par->has_adapter(key); }())
      throw error(who + ": module '" + name + "' already has " + std::string(P::name) + " for the adapter '" + adapter +
                  "' (child '" + key + "'); delete it (peft::delete_adapter) or give this one another adapter name");
    if (!mine) {
      if constexpr (!reparametrizable) {
        throw error(who + ": module '" + name + "' is a plain torch::nn::Linear, and this policy's site module has "
                    "no reparametrize(w, b) to fold into its weight (peft/linear_parametrization.hpp); declare "
                    "the layer as autopeft::peft::Linear (same constructor, options and parameter names) in your "
                    "module, or narrow target_modules");
      }
      if constexpr (requires { p.lora_dropout(); }) {
        if (p.lora_dropout() > 0)
          throw error(who + ": module '" + name + "' is a plain torch::nn::Linear, adapted by re-parametrising "
                      "its weight, and lora_dropout acts on the LoRA path's input, which no weight expresses; "
                      "set lora_dropout(0), or declare the layer as autopeft::peft::Linear");
      }
      if constexpr (requires { p.vera_dropout(); }) {
        if (p.vera_dropout() > 0)
          throw error(who + ": module '" + name + "' is a plain torch::nn::Linear, adapted by re-parametrising "
                      "its weight, and vera_dropout acts on the update's input, which no weight expresses; "
                      "set vera_dropout(0), or declare the layer as autopeft::peft::Linear");
      }
      if (auto par = parametrization_of(*linear); par && par->active())
        throw error(who + ": module '" + name + "' is inside a live peft::adapted_weights guard; inject "
                    "after the guard's scope ends");
    }
    hits.push_back({name, index.value_or(0), linear, mine});
  }
  if (hits.empty())
    throw error(who + ": " + detail::describe(t) + " matched no Linear module; the Linear modules are: " +
                (linears.empty() ? std::string("none") : detail::join(linears)) +
                ". An entry matches a full name or its last dot-separated components (\"fc1\" matches "
                "\"mlp.fc1\")");

  // A policy whose sites share one model module (VeRA's frozen pair) builds it over the matched
  // Linears (build_injected_model); its sites find it at "peft.<name>" of ctx.embeddings. It is
  // staged in a scratch module and moved onto the root once every site is built.
  constexpr bool shares_model =
      requires(const P& q, const std::vector<const torch::nn::LinearImpl*>& v) { q.build_injected_model(v); };
  const std::string policy_name(P::name);
  torch::nn::Module staging;
  std::shared_ptr<torch::nn::Module> holder;
  if constexpr (shares_model) {
    std::vector<const torch::nn::LinearImpl*> linears;
    for (const auto& h : hits) linears.push_back(h.linear);
    if (auto* m = named.find("peft")) holder = *m;
    if (holder && holder->named_children().contains(key))
      throw error(who + ": the root already holds the module its " + policy_name + " sites share, at 'peft." + key +
                  "'; inject " + policy_name + " once per tree and adapter, with every target in one target_modules");
    staging.register_module("peft", std::make_shared<torch::nn::Module>("peft"))
        ->register_module(policy_name, p.build_injected_model(linears));
  }

  // Build every site first so that a throwing build_site leaves the tree untouched.
  std::vector<std::shared_ptr<typename P::site_module>> sites;
  for (const auto& h : hits) {
    model::EncoderConfig shape;
    shape.hidden_size = h.linear->options.in_features();
    shape.intermediate_size = h.linear->options.out_features();
    shape.num_hidden_layers = h.index + 1;
    const auto parent = detail::parent_name(h.name);
    torch::nn::Module& layer = parent.empty() ? root : *named[parent];
    const model::layer_context ctx{shape, h.index, layer, shares_model ? &staging : &root};
    sites.push_back(detail::build_injected(p, ctx, h.name, *h.linear));
  }
  if constexpr (shares_model) {
    if (!holder) holder = root.register_module("peft", std::make_shared<torch::nn::Module>("peft"));
    holder->register_module(key, staging.named_modules("", false)["peft." + policy_name]);
  }
  inject_report report;
  for (std::size_t i = 0; i < hits.size(); ++i) {
    adapter_layer* layer = hits[i].ours;
    if (hits[i].ours) {
      hits[i].ours->attach(key, sites[i], adapter);
    } else {
      auto par = parametrization_of(*hits[i].linear);
      if (!par)
        par = hits[i].linear->register_module(linear_parametrization::key,
                                              std::make_shared<linear_parametrization>(*hits[i].linear));
      par->attach(key, sites[i], adapter);
      layer = par.get();
    }
    layer->set_active_adapter(active);
    report.modules.push_back(hits[i].name);
    for (const auto& w : sites[i]->parameters(true)) report.trainable_parameters += w.numel();
  }
  return report;
}
}  // namespace detail

/// Attaches the policy's site module, registered under P::name, to every Linear of `root`
/// (autopeft::peft::Linear or plain torch::nn::Linear) whose full name the policy's
/// target_modules select (see the header comment).
/// Throws autopeft::error when nothing is selected (the message lists the Linear modules), when a
/// selected Linear already carries an adapter of that name, or when a selected plain Linear cannot
/// take the policy (no reparametrize, or input dropout). Nothing is attached when it throws.
/// `adapter` is HF's adapter_name: a tree may hold several adapters (several policies, or one
/// policy several times), one of them active (peft::set_adapter). The site modules of the adapter
/// "default" sit under the policy's name (`fc1.lora`), the others under "<policy>_<adapter>"
/// (`fc1.lora_b`). The first adapter of a tree becomes its active one; a later one stays inert
/// until set_adapter selects it, as HF's add_adapter.
template <class P>
inject_report inject(torch::nn::Module& root, const P& p, const std::string& adapter = detail::default_adapter) {
  // Checked once here, so an unfit policy gets one message and no instantiation below.
  if constexpr (check_linear_site_policy<P>()) return detail::inject_checked(root, p, adapter);
  else return {};
}

/// Freezes every parameter of `root` except those of the adapters attached to its Linear modules
/// (autopeft::peft::Linear and adapted plain torch::nn::Linear); returns the counts (HF's print_trainable_parameters figures).
inline parameter_counts freeze_except_adapters(torch::nn::Module& root) {
  for (auto& w : root.parameters(true)) w.set_requires_grad(false);
  auto thaw = [](const auto& adapters) {
    for (const auto& e : adapters)
      for (auto& w : e.site->module()->parameters(true)) w.set_requires_grad(true);
  };
  for (const auto& item : root.named_modules("", true)) {
    if (auto* l = dynamic_cast<LinearImpl*>(item.value().get())) thaw(l->adapters());
    else if (auto* p = dynamic_cast<linear_parametrization*>(item.value().get())) thaw(p->adapters());
  }
  return count_parameters(root);
}

}  // namespace autopeft::peft
