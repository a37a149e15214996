#pragma once
// Shared machinery of the policies that attach to linear sites (LoRA, DoRA, LoHa, LoKr, VeRA,
// (IA)³, BitFit biases): the per-layer module that holds one site module per selected linear
// site and dispatches the linear hooks to it, and the CRTP base that selects sites with HF's
// `target_modules` / `layers_to_transform` and sums the closed-form counts.
#include <autopeft/model/encoder_config.hpp>
#include <autopeft/model/no_peft.hpp>
#include <autopeft/model/site.hpp>
#include <autopeft/peft/target.hpp>

#include <torch/torch.h>

#include <array>
#include <memory>

namespace autopeft::peft {

/// The identifier a site module is registered under inside its layer's policy module.
inline std::string site_key(model::site s) {
  switch (s) {
    case model::site::query: return "query";
    case model::site::key: return "key";
    case model::site::value: return "value";
    case model::site::attention_output: return "attention_output";
    case model::site::intermediate: return "intermediate";
    case model::site::output: return "output";
    default: return std::string(model::to_string(s));
  }
}

inline std::size_t linear_index(model::site s) {
  for (std::size_t i = 0; i < model::linear_sites.size(); ++i)
    if (model::linear_sites[i] == s) return i;
  return model::linear_sites.size();
}

/// (in_features, out_features) of a linear site for a config.
inline std::pair<std::int64_t, std::int64_t> linear_shape(const model::EncoderConfig& c, model::site s) {
  if (s == model::site::intermediate) return {c.hidden_size, c.intermediate_size};
  if (s == model::site::output) return {c.intermediate_size, c.hidden_size};
  return {c.hidden_size, c.hidden_size};
}

namespace detail {
/// The Linear at site `s` of an encoder layer module, found by its HF name inside the layer.
inline torch::nn::LinearImpl& site_linear(torch::nn::Module& layer, model::site s) {
  std::string path = site_path(0, s);
  path = path.substr(std::string("encoder.layer.0.").size());
  auto named = layer.named_modules("", false);
  if (!named.contains(path)) throw error("layer has no linear site '" + path + "'");
  return *named[path]->as<torch::nn::Linear>();
}
}  // namespace detail

/// Per-layer module of a linear-site policy: one `SiteModule` per selected site. A SiteModule
/// provides `torch::Tensor output(const Tensor& x, Tensor y, LinearImpl& base)` and optionally
/// `torch::Tensor input(const Tensor& x)` (applied before the base projection).
template <class SiteModule>
class linear_sites_module : public torch::nn::Module {
 public:
  void set(model::site s, std::shared_ptr<SiteModule> m) {
    sites_[linear_index(s)] = register_module(site_key(s), std::move(m));
  }
  std::shared_ptr<SiteModule> at(model::site s) const {
    const auto i = linear_index(s);
    return i < sites_.size() ? sites_[i] : nullptr;
  }

  torch::Tensor transform_input(model::site s, const torch::Tensor& x) {
    if constexpr (requires(SiteModule& m) { m.input(x); }) {
      if (auto m = at(s)) return m->input(x);
    }
    return x;
  }
  torch::Tensor transform_output(model::site s, const torch::Tensor& x, torch::Tensor y,
                                 torch::nn::LinearImpl& base) {
    if (auto m = at(s)) return m->output(x, std::move(y), base);
    return y;
  }

  template <class F>
  void for_each(F&& f) {
    for (std::size_t i = 0; i < sites_.size(); ++i)
      if (sites_[i]) f(model::linear_sites[i], *sites_[i]);
  }

  /// Folds every site's update into the Linear it adapts in `layer` (the encoder layer the module
  /// was built for); unmerge undoes it. Present where the site module merges (each linear-site
  /// policy's does), which is what makes the policy mergeable for peft::merge_adapter.
  void merge(torch::nn::Module& layer)
    requires requires(SiteModule& m, torch::nn::LinearImpl& base) { m.merge(base); }
  {
    for_each([&](model::site s, SiteModule& m) { m.merge(detail::site_linear(layer, s)); });
  }
  void unmerge(torch::nn::Module& layer)
    requires requires(SiteModule& m, torch::nn::LinearImpl& base) { m.unmerge(base); }
  {
    for_each([&](model::site s, SiteModule& m) { m.unmerge(detail::site_linear(layer, s)); });
  }
  [[nodiscard]] bool merged() const
    requires requires(const SiteModule& m) { m.merged(); }
  {
    for (const auto& m : sites_)
      if (m && m->merged()) return true;
    return false;
  }

 private:
  std::array<std::shared_ptr<SiteModule>, model::linear_sites.size()> sites_{};
};

/// CRTP base of linear-site policies. Derived provides:
///   using site_module = M;
///   std::shared_ptr<M> build_site(const model::layer_context&, model::site, torch::nn::LinearImpl&) const;
///   std::int64_t site_parameters(std::int64_t in, std::int64_t out) const;
/// and the options `target_modules()` (peft::targets) and `layers_to_transform()`.
template <class Derived>
struct linear_policy {
  [[nodiscard]] bool selects(std::int64_t layer, model::site s) const {
    const auto& d = static_cast<const Derived&>(*this);
    return layer_selected(d.layers_to_transform(), layer) && d.target_modules().matches(site_path(layer, s));
  }

  template <class D = Derived>
  auto build_layer(const model::layer_context& ctx) const
      -> std::shared_ptr<linear_sites_module<typename D::site_module>> {
    using Module = linear_sites_module<typename D::site_module>;
    const auto& d = static_cast<const D&>(*this);
    std::shared_ptr<Module> out;
    for (auto s : model::linear_sites) {
      if (!selects(ctx.index, s)) continue;
      if (!out) out = std::make_shared<Module>();
      out->set(s, d.build_site(ctx, s, detail::site_linear(ctx.layer, s)));
    }
    return out;
  }

  [[nodiscard]] std::int64_t trainable_parameters(const model::EncoderConfig& c) const {
    const auto& d = static_cast<const Derived&>(*this);
    std::int64_t n = 0;
    for (std::int64_t l = 0; l < c.num_hidden_layers; ++l)
      for (auto s : model::linear_sites)
        if (selects(l, s)) {
          auto [in, out] = linear_shape(c, s);
          n += d.site_parameters(in, out);
        }
    return n;
  }

};

}  // namespace autopeft::peft
