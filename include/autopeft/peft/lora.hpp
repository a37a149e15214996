#pragma once
// LoRA (Hu et al., 2021, "LoRA: Low-Rank Adaptation of Large Language Models"), with rsLoRA
// scaling (Kalajdzievski, 2023) and DoRA (Liu et al., 2024, "Weight-Decomposed Low-Rank
// Adaptation").
//
//   LoRA:  y = W x + b + s · B A dropout(x),  A ∈ R^{r×in} (kaiming-uniform), B ∈ R^{out×r} (zero),
//          s = lora_alpha / r, or lora_alpha / √r with use_rslora. init_lora_weights chooses HF's
//          other initialisations (gaussian, PiSSA, OLoRA; peft/lora_init.hpp).
//   DoRA:  y = m ⊙ (W + s B A) x / ‖W + s B A‖_row + b, with the norm detached from the graph
//          (as the paper and HF PEFT do) and m initialised to ‖W + s B A‖_row (‖W‖_row for B = 0).
// Trainable parameters per site: r (in + out), plus out for DoRA's magnitude.
// Options and their defaults are HF PEFT's LoraConfig. rank_pattern (HF's) gives some sites their
// own r: a site's module path ("encoder.layer.3.attention.self.query") takes the entry whose key
// equals it or, failing that, the first key (in the map's order) that matches it as HF does,
// the regex (.*\.)?(key) over the whole path; other sites take r. The scaling of a site uses its
// own r. An r of 0 from the pattern leaves the site without LoRA (HF would refuse 0).
#include <autopeft/error.hpp>
#include <autopeft/peft/adapter_config.hpp>
#include <autopeft/peft/detail/adapter_fields.hpp>
#include <autopeft/peft/linear_sites.hpp>
#include <autopeft/peft/lora_init.hpp>
#include <autopeft/peft/size_member.hpp>

#include <torch/torch.h>

#include <cmath>
#include <map>
#include <regex>
#include <string>
#include <utility>

namespace autopeft::peft {

class lora_site : public torch::nn::Module {
 public:
  struct options {
    std::int64_t in, out, r;
    double scaling = 1, dropout = 0;
    /// HF's init_lora_weights; the default (true) makes B = 0, so the update starts at zero.
    lora_init init = true;
    bool dora = false;
  };

  /// `base`: the Linear the site adapts (DoRA's magnitude starts at its row norms; PiSSA and
  /// OLoRA replace its weight by the residual).
  lora_site(const options& o, torch::nn::LinearImpl& base) : scaling_(o.scaling), dropout_(o.dropout) {
    lora_A = register_module("lora_A", torch::nn::Linear(torch::nn::LinearOptions(o.in, o.r).bias(false)));
    lora_B = register_module("lora_B", torch::nn::Linear(torch::nn::LinearOptions(o.r, o.out).bias(false)));
    o.init.apply(lora_A->weight, lora_B->weight, base.weight, o.scaling);
    torch::NoGradGuard ng;
    if (o.dora) {
      // As HF: the row norms of W + s B A: W's for B = 0, the original W's after PiSSA or OLoRA.
      magnitude = register_parameter("lora_magnitude_vector", weight_norm(base.weight + delta_weight()).clone());
    }
  }

  /// s · B A, the low-rank update of the base weight [out, in].
  [[nodiscard]] torch::Tensor delta_weight() const {
    return torch::matmul(lora_B->weight, lora_A->weight) * scaling_;
  }

  torch::Tensor output(const torch::Tensor& x, torch::Tensor y, torch::nn::LinearImpl& base) {
    if (merged_) return y;
    auto xd = dropout_ > 0 && is_training() ? torch::dropout(x, dropout_, true) : x;
    auto low = lora_B->forward(lora_A->forward(xd));
    if (!magnitude.defined()) return torch::add(y, low, scaling_);  // one kernel for y + s·low
    auto norm = weight_norm(base.weight.to(low.scalar_type()) + delta_weight().detach().to(low.scalar_type())).detach();
    auto scale = magnitude / norm;
    auto base_out = base.bias.defined() ? y - base.bias : y;
    if (dropout_ > 0 && is_training()) base_out = torch::linear(xd, base.weight);
    return y + (scale - 1) * base_out + scale * low * scaling_;
  }

  /// The weight and bias of the one Linear that computes base-then-this-site, differentiable in
  /// the site's parameters (peft::linear_parametrization uses it to adapt a plain
  /// torch::nn::Linear): LoRA (W + sBA, b); DoRA (m / ||W + sBA|| ⊙ (W + sBA), b), the norm
  /// detached as in output(). (w, b) unchanged while merged. lora_dropout acts on the LoRA path's
  /// input, which no weight can express: an error while training with it.
  [[nodiscard]] std::pair<torch::Tensor, torch::Tensor> reparametrize(const torch::Tensor& w,
                                                                      const torch::Tensor& b) const {
    if (merged_) return {w, b};
    if (dropout_ > 0 && is_training())
      throw error("lora: lora_dropout " + std::to_string(dropout_) + " acts on the input of the LoRA path, "
                  "which a reparametrised plain torch::nn::Linear cannot express; set lora_dropout(0) for "
                  "plain Linear targets, or declare the layer autopeft::peft::Linear");
    auto updated = w + delta_weight().to(w.scalar_type());
    if (magnitude.defined()) updated = updated * (magnitude / weight_norm(updated).detach()).unsqueeze(1);
    return {updated, b};
  }

  /// Folds the update into the base weight (outputs unchanged); unmerge() undoes it.
  void merge(torch::nn::LinearImpl& base) {
    if (merged_) return;
    torch::NoGradGuard ng;
    auto updated = base.weight + delta_weight().to(base.weight.scalar_type());
    if (magnitude.defined()) {
      merged_norm_ = weight_norm(updated);
      updated = updated * (magnitude / merged_norm_).unsqueeze(1);
    }
    base.weight.copy_(updated);
    merged_ = true;
  }
  void unmerge(torch::nn::LinearImpl& base) {
    if (!merged_) return;
    torch::NoGradGuard ng;
    auto w = base.weight.clone();
    if (magnitude.defined()) w = w / (magnitude / merged_norm_).unsqueeze(1);
    base.weight.copy_(w - delta_weight().to(w.scalar_type()));
    merged_ = false;
  }
  [[nodiscard]] bool merged() const { return merged_; }
  [[nodiscard]] double scaling() const { return scaling_; }

  torch::nn::Linear lora_A{nullptr}, lora_B{nullptr};
  torch::Tensor magnitude;  ///< DoRA's m [out]; undefined for LoRA

 private:
  static torch::Tensor weight_norm(const torch::Tensor& w) { return w.norm(2, {1}); }
  double scaling_, dropout_;
  bool merged_ = false;
  torch::Tensor merged_norm_;
};

/// Example:
///   auto p = peft::lora{}.r(8).lora_alpha(16).target_modules({"query", "value"});
///   auto dora = peft::lora{}.r(4).use_dora(true).target_modules({"query", "key", "value"});
///   auto per_site = peft::lora{}.r(8).rank_pattern({{"encoder.layer.0.attention.self.query", 0}});
struct lora : linear_policy<lora> {
  using rank_map = std::map<std::string, std::int64_t>;
  static constexpr std::string_view name = "lora";
  using site_module = lora_site;
  using layer_module = linear_sites_module<lora_site>;
  using model_module = void;

  TORCH_ARG(std::int64_t, r) = 8;
  TORCH_ARG(double, lora_alpha) = 8;
  TORCH_ARG(double, lora_dropout) = 0.0;
  TORCH_ARG(targets, target_modules) = targets{"query", "value"};
  TORCH_ARG(std::vector<std::int64_t>, layers_to_transform) = {};
  TORCH_ARG(bool, use_rslora) = false;
  TORCH_ARG(bool, use_dora) = false;
  /// HF's init_lora_weights (peft/lora_init.hpp): true (B = 0), "gaussian", "pissa", "olora", or
  /// false (B kaiming-uniform as A, for tests).
  TORCH_ARG(lora_init, init_lora_weights) = true;
  /// Per-site ranks, keyed by a module-path pattern (see the header comment); empty: r everywhere.
  TORCH_ARG(rank_map, rank_pattern) = {};

 public:  // TORCH_ARG leaves the access private
  /// The size a search space's size_of<lora, D> sets.
  using size_option = size_member<&lora::r_>;

  // HF PEFT's adapter format (LoraConfig; peft/adapter_io.hpp).
  static constexpr std::string_view peft_type = "LORA";
  static constexpr std::string_view hf_tensor_prefix = "lora_";
  [[nodiscard]] nlohmann::json to_adapter_config(const model::EncoderConfig&) const {
    const auto& p = *this;
    using detail::json;
    return {{"alora_invocation_tokens", nullptr}, {"alpha_pattern", json::object()}, {"arrow_config", nullptr},
            {"bias", "none"}, {"corda_config", nullptr}, {"ensure_weight_tying", false}, {"eva_config", nullptr},
            {"exclude_modules", nullptr}, {"fan_in_fan_out", false}, {"init_lora_weights", p.init_lora_weights().to_json()},
            {"kasa_config", nullptr}, {"layer_replication", nullptr}, {"layers_pattern", nullptr},
            {"layers_to_transform", detail::layers_json(p.layers_to_transform())}, {"loftq_config", json::object()},
            {"lora_alpha", detail::number(p.lora_alpha())}, {"lora_bias", false},
            {"lora_dropout", p.lora_dropout()}, {"lora_ga_config", nullptr}, {"megatron_config", nullptr},
            {"megatron_core", "megatron.core"}, {"monteclora_config", nullptr}, {"qalora_group_size", 16},
            {"r", p.r()}, {"rank_pattern", json::object()}, {"target_modules", detail::targets_json(p.target_modules())},
            {"target_parameters", nullptr}, {"trainable_token_indices", nullptr}, {"use_bdlora", nullptr},
            {"use_dora", p.use_dora()}, {"use_qalora", false}, {"use_rslora", p.use_rslora()},
            {"velora_config", nullptr}};
  }
  static lora from_adapter_config(const nlohmann::json& j, const std::filesystem::path& file) {
    using detail::field, detail::require;
    require(j, "bias", "none", file, "LoRA here trains no biases");
    require(j, "lora_bias", false, file, "LoRA here has no bias on lora_B");
    require(j, "fan_in_fan_out", false, file, "BERT and RoBERTa use nn.Linear");
    require(j, "rank_pattern", nullptr, file, "one r for every site");
    require(j, "alpha_pattern", nullptr, file, "one lora_alpha for every site");
    require(j, "exclude_modules", nullptr, file, "select sites with target_modules");
    require(j, "layers_pattern", nullptr, file, "BERT and RoBERTa layers are found without it");
    require(j, "layer_replication", nullptr, file, "layers are not replicated");
    require(j, "use_qalora", false, file, "no quantisation");
    lora p;
    p.r(field<std::int64_t>(j, "r", 8, file))
        .lora_alpha(field<double>(j, "lora_alpha", 8, file))
        .lora_dropout(field<double>(j, "lora_dropout", 0.0, file))
        .target_modules(detail::targets_field(j, "target_modules", p.target_modules(), file))
        .layers_to_transform(detail::layers_field(j, file))
        .use_rslora(field<bool>(j, "use_rslora", false, file))
        .use_dora(field<bool>(j, "use_dora", false, file))
        .init_lora_weights(j.contains("init_lora_weights") ? lora_init::from_json(j["init_lora_weights"], file) : true);
    return p;
  }

  [[nodiscard]] double scaling() const {
    return use_rslora_ ? lora_alpha_ / std::sqrt(static_cast<double>(r_)) : lora_alpha_ / static_cast<double>(r_);
  }

  [[nodiscard]] double scaling(std::int64_t r) const {
    return use_rslora_ ? lora_alpha_ / std::sqrt(static_cast<double>(r)) : lora_alpha_ / static_cast<double>(r);
  }

  /// The rank of the site at module path `path`: rank_pattern's entry for it, else r.
  [[nodiscard]] std::int64_t rank_for(const std::string& path) const {
    if (rank_pattern_.empty()) return r_;
    if (auto it = rank_pattern_.find(path); it != rank_pattern_.end()) return checked_rank(it->first, it->second);
    for (const auto& [key, r] : rank_pattern_)
      if (std::regex_match(path, std::regex("(.*\\.)?(" + key + ")"))) return checked_rank(key, r);
    return r_;
  }

  /// Whether layer `layer`'s site `s` carries LoRA: selected by target_modules and
  /// layers_to_transform, and a rank above 0.
  [[nodiscard]] bool selects(std::int64_t layer, model::site s) const {
    return linear_policy<lora>::selects(layer, s) && (rank_pattern_.empty() || rank_for(site_path(layer, s)) > 0);
  }

  std::shared_ptr<linear_sites_module<lora_site>> build_layer(const model::layer_context& ctx) const {
    if (rank_pattern_.empty()) return linear_policy<lora>::build_layer(ctx);
    // Narrow target_modules to the sites whose rank is above 0; build_site reads each rank.
    std::vector<std::string> paths;
    for (auto s : model::linear_sites)
      if (selects(ctx.index, s)) paths.push_back(site_path(ctx.index, s));
    auto narrowed = *this;
    narrowed.target_modules(targets(std::move(paths)));
    return narrowed.linear_policy<lora>::build_layer(ctx);
  }

  std::shared_ptr<lora_site> build_site(const model::layer_context& ctx, model::site s,
                                        torch::nn::LinearImpl& base) const {
    if (r_ <= 0) throw error("lora: option 'r' must be positive, got " + std::to_string(r_));
    const auto r = rank_for(site_path(ctx.index, s));
    return std::make_shared<lora_site>(lora_site::options{base.options.in_features(), base.options.out_features(), r,
                                                          scaling(r), lora_dropout_, init_lora_weights_, use_dora_},
                                       base);
  }
  [[nodiscard]] std::int64_t trainable_parameters(const model::EncoderConfig& c) const {
    if (rank_pattern_.empty()) return linear_policy<lora>::trainable_parameters(c);
    std::int64_t n = 0;
    for (std::int64_t l = 0; l < c.num_hidden_layers; ++l)
      for (auto s : model::linear_sites)
        if (selects(l, s)) {
          auto [in, out] = linear_shape(c, s);
          n += rank_for(site_path(l, s)) * (in + out) + (use_dora_ ? out : 0);
        }
    return n;
  }
  [[nodiscard]] std::int64_t site_parameters(std::int64_t in, std::int64_t out) const {
    return r_ * (in + out) + (use_dora_ ? out : 0);
  }

 private:
  static std::int64_t checked_rank(const std::string& key, std::int64_t r) {
    if (r < 0) throw error("lora: rank_pattern['" + key + "'] is " + std::to_string(r) + "; give 0 (no LoRA there) or more");
    return r;
  }
};

/// policy_from_config<lora>: the LoRA policy an adapter_config.json describes.
inline lora lora_from_config(const nlohmann::json& j, const std::filesystem::path& file = "adapter_config.json") {
  return policy_from_config<lora>(j, file);
}

}  // namespace autopeft::peft
