#pragma once
// (IA)³ (Liu et al., 2022, "Few-Shot Parameter-Efficient Fine-Tuning is Better and Cheaper than
// In-Context Learning"): learned vectors that rescale activations.
//
//   attention-type site:   y = l ⊙ (W x + b),        l ∈ R^{out}   (HF: ia3_l [out, 1])
//   feedforward site:      y = W (l ⊙ x) + b,        l ∈ R^{in}    (HF: ia3_l [1, in])
// l starts at ones (init_ia3_weights), so the backbone is unchanged until training moves it.
// Merging folds l into W (and, at attention-type sites, into b); unmerging divides it out.
//
// Options and defaults are HF PEFT's IA3Config with bert's default mapping:
//   target_modules      {"key", "value", "output.dense"}
//   feedforward_modules {"output.dense"}; as in HF, a list entry selects every targeted path that
//                       *ends with* it (plain suffix, no "." boundary), so "output.dense" also
//                       makes attention.output.dense a feedforward site; a regex must match the
//                       whole path. It must be a subset of target_modules (HF's check).
//   layers_to_transform {} (all layers)
//   init_ia3_weights    true: l = 1; false: l ~ N(0, 1) (HF's choice, for tests)
// Trainable parameters per site: out (attention-type) or in (feedforward). For bert-base with the
// defaults: 12 · (768 + 768 + 768 + 3072) = 64,512, HF PEFT's figure.
#include <autopeft/error.hpp>
#include <autopeft/peft/adapter_config.hpp>
#include <autopeft/peft/detail/adapter_fields.hpp>
#include <autopeft/peft/linear_sites.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <regex>
#include <utility>

namespace autopeft::peft {

class ia3_site : public torch::nn::Module {
 public:
  ia3_site(std::int64_t in, std::int64_t out, bool feedforward, bool init_ones) : feedforward_(feedforward) {
    auto shape = feedforward ? std::vector<std::int64_t>{1, in} : std::vector<std::int64_t>{out, 1};
    ia3_l = register_parameter("ia3_l", init_ones ? torch::ones(shape) : torch::randn(shape));
  }

  /// Feedforward sites scale the input x [.., in] before the base projection.
  torch::Tensor input(const torch::Tensor& x) {
    if (!feedforward_ || merged_) return x;
    return x * ia3_l.flatten();
  }
  /// Attention-type sites scale the output y [.., out] (base bias included, as in HF).
  torch::Tensor output(const torch::Tensor& /*x*/, torch::Tensor y, torch::nn::LinearImpl& /*base*/) {
    if (feedforward_ || merged_) return y;
    return y * ia3_l.flatten();
  }

  /// The weight and bias of the one Linear that computes base-then-this-site, differentiable in
  /// l (see peft::linear_parametrization): (W diag(l), b) at feedforward sites, (diag(l) W, l ⊙ b)
  /// otherwise; (w, b) unchanged while merged.
  [[nodiscard]] std::pair<torch::Tensor, torch::Tensor> reparametrize(const torch::Tensor& w,
                                                                      const torch::Tensor& b) const {
    if (merged_) return {w, b};
    auto l = ia3_l.to(w.scalar_type());
    if (feedforward_) return {w * l, b};
    return {w * l, b.defined() ? b * l.flatten() : b};
  }

  /// Folds l into the base weight (columns at feedforward sites, rows and bias otherwise).
  void merge(torch::nn::LinearImpl& base) {
    if (merged_) return;
    torch::NoGradGuard ng;
    auto l = ia3_l.to(base.weight.scalar_type());
    base.weight.mul_(l);
    if (!feedforward_ && base.bias.defined()) base.bias.mul_(l.flatten());
    merged_ = true;
  }
  /// Divides l back out. HF adds 1e-8 to l; here the division is exact, so a zero entry (which
  /// erased the base weights it scaled) cannot be undone and is an error.
  void unmerge(torch::nn::LinearImpl& base) {
    if (!merged_) return;
    torch::NoGradGuard ng;
    auto l = ia3_l.to(base.weight.scalar_type());
    if ((l == 0).any().item<bool>())
      throw error("ia3: cannot unmerge: ia3_l has zero entries, so the merged weights lost the base "
                  "weights they scaled; keep a copy of the base weights before merging such a vector");
    base.weight.div_(l);
    if (!feedforward_ && base.bias.defined()) base.bias.div_(l.flatten());
    merged_ = false;
  }
  [[nodiscard]] bool merged() const { return merged_; }
  [[nodiscard]] bool feedforward() const { return feedforward_; }

  torch::Tensor ia3_l;  ///< [out, 1] at attention-type sites, [1, in] at feedforward sites

 private:
  bool feedforward_;
  bool merged_ = false;
};

/// Example:
///   auto p = peft::ia3{};                                   // HF's bert defaults
///   auto q = peft::ia3{}.target_modules({"query", "value", "intermediate.dense"})
///                       .feedforward_modules({"intermediate.dense"});
struct ia3 : linear_policy<ia3> {
  static constexpr std::string_view name = "ia3";
  using site_module = ia3_site;
  using layer_module = linear_sites_module<ia3_site>;
  using model_module = void;

  TORCH_ARG(targets, target_modules) = targets{"key", "value", "output.dense"};
  TORCH_ARG(targets, feedforward_modules) = targets{"output.dense"};
  TORCH_ARG(std::vector<std::int64_t>, layers_to_transform) = {};
  TORCH_ARG(bool, init_ia3_weights) = true;

 public:  // TORCH_ARG leaves the access private
  /// (IA)³ has no size: a size_of<peft::ia3, ordinal<"ia3", 0, 1>> dimension switches it off (0)
  /// or on (1).
  struct size_option {
    static void set(ia3&, std::int64_t) {}
    static std::int64_t get(const ia3&) { return 1; }
  };

  // HF PEFT's adapter format (IA3Config; peft/adapter_io.hpp).
  static constexpr std::string_view peft_type = "IA3";
  static constexpr std::string_view hf_tensor_prefix = "ia3_";
  [[nodiscard]] nlohmann::json to_adapter_config(const model::EncoderConfig&) const {
    const auto& p = *this;
    detail::no_layers(p.layers_to_transform(), "ia3", peft_type);
    return {{"exclude_modules", nullptr}, {"fan_in_fan_out", false},
            {"feedforward_modules", detail::targets_json(p.feedforward_modules())},
            {"init_ia3_weights", p.init_ia3_weights()},
            {"target_modules", detail::targets_json(p.target_modules())}};
  }
  static ia3 from_adapter_config(const nlohmann::json& j, const std::filesystem::path& file) {
    using detail::require;
    require(j, "fan_in_fan_out", false, file, "BERT and RoBERTa use nn.Linear");
    require(j, "exclude_modules", nullptr, file, "select sites with target_modules");
    ia3 p;
    p.target_modules(detail::targets_field(j, "target_modules", p.target_modules(), file))
        .feedforward_modules(detail::targets_field(j, "feedforward_modules", p.feedforward_modules(), file))
        .init_ia3_weights(detail::field<bool>(j, "init_ia3_weights", true, file));
    return p;
  }

  /// HF's `_check_target_module_feedforward` on a module path: regex full match, or a plain suffix.
  [[nodiscard]] bool is_feedforward(const std::string& path) const {
    const auto& ff = feedforward_modules_;
    if (ff.regex) return std::regex_match(path, std::regex(*ff.regex));
    return std::any_of(ff.names.begin(), ff.names.end(), [&](const std::string& n) {
      return path.size() >= n.size() && path.compare(path.size() - n.size(), n.size(), n) == 0;
    });
  }
  [[nodiscard]] bool is_feedforward(std::int64_t layer, model::site s) const { return is_feedforward(site_path(layer, s)); }

  std::shared_ptr<ia3_site> build_site(const model::layer_context& ctx, model::site s,
                                       torch::nn::LinearImpl& base) const {
    return site_for(is_feedforward(ctx.index, s), base);
  }
  /// peft::inject's site for the module `module_name` of a user's tree: as HF does there, the
  /// module's own name decides whether it is a feedforward site.
  std::shared_ptr<ia3_site> build_injected_site(const model::layer_context&, const std::string& module_name,
                                                torch::nn::LinearImpl& base) const {
    return site_for(is_feedforward(module_name), base);
  }
  [[nodiscard]] static std::int64_t site_parameters(std::int64_t in, std::int64_t out, bool feedforward) {
    return feedforward ? in : out;
  }
  [[nodiscard]] std::int64_t trainable_parameters(const model::EncoderConfig& c) const {
    check();
    std::int64_t n = 0;
    for (std::int64_t l = 0; l < c.num_hidden_layers; ++l)
      for (auto s : model::linear_sites)
        if (selects(l, s)) {
          auto [in, out] = linear_shape(c, s);
          n += site_parameters(in, out, is_feedforward(l, s));
        }
    return n;
  }

 private:
  std::shared_ptr<ia3_site> site_for(bool feedforward, const torch::nn::LinearImpl& base) const {
    check();
    return std::make_shared<ia3_site>(base.options.in_features(), base.options.out_features(), feedforward,
                                      init_ia3_weights_);
  }
  void check() const {
    const auto& ff = feedforward_modules_;
    if (ff.regex || target_modules_.regex) return;  // HF checks only two lists
    for (const auto& n : ff.names)
      if (std::find(target_modules_.names.begin(), target_modules_.names.end(), n) == target_modules_.names.end())
        throw error("ia3: feedforward_modules entry '" + n +
                    "' is not in target_modules; feedforward_modules must be a subset of target_modules "
                    "(as in HF PEFT's IA3Config)");
  }
};

/// policy_from_config<ia3>: the (IA)³ policy an adapter_config.json describes.
inline ia3 ia3_from_config(const nlohmann::json& j, const std::filesystem::path& file = "adapter_config.json") {
  return policy_from_config<ia3>(j, file);
}

}  // namespace autopeft::peft
