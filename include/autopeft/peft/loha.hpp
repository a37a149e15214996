#pragma once
// LoHa (Hyeon-Woo et al., 2022, "FedPara: Low-Rank Hadamard Product for Communication-Efficient
// Federated Learning"; as in LyCORIS and HF PEFT): a low-rank Hadamard product update
//
//   y = W x + b + ΔW x,   ΔW = ((w1_a w1_b) ⊙ (w2_a w2_b)) · alpha / r,
//   w1_a, w2_a ∈ R^{out×r}, w1_b, w2_b ∈ R^{r×in}  (HF: hada_w1_a, hada_w1_b, hada_w2_a, hada_w2_b)
// whose rank reaches r² with 2r(in + out) parameters.
// Initialisation (init_weights, HF's): w1_a, w1_b, w2_a kaiming-uniform (a = √5), w2_b = 0, so
// ΔW = 0; init_weights(false) makes w2_b kaiming-uniform too (for tests).
// Training-time regularisers, as HF: rank_dropout zeroes rows of ΔW with probability p and
// rescales the kept rows by 1 / (kept fraction); module_dropout skips the whole update of a site
// with probability p.
//
// Options and defaults are HF PEFT's LoHaConfig (bert's default targets):
//   r 8, alpha 8, rank_dropout 0, module_dropout 0, target_modules {"query", "value"},
//   layers_to_transform {}, init_weights true.
// Trainable parameters per site: 2 r (in + out). bert-base, r = 8 on query and value:
// 12 · 2 · 2 · 8 · (768 + 768) = 589,824, HF PEFT's figure.
#include <autopeft/error.hpp>
#include <autopeft/peft/delta_weight_merge.hpp>
#include <autopeft/peft/detail/adapter_fields.hpp>
#include <autopeft/peft/linear_sites.hpp>

#include <torch/torch.h>

#include <cmath>

namespace autopeft::peft {

class loha_site : public torch::nn::Module, public delta_weight_merge<loha_site> {
 public:
  struct options {
    std::int64_t in, out, r;
    double scaling = 1, rank_dropout = 0, module_dropout = 0;
    bool init_weights = true;
  };

  explicit loha_site(const options& o)
      : scaling_(o.scaling), rank_dropout_(o.rank_dropout), module_dropout_(o.module_dropout) {
    hada_w1_a = register_parameter("hada_w1_a", torch::empty({o.out, o.r}));
    hada_w1_b = register_parameter("hada_w1_b", torch::empty({o.r, o.in}));
    hada_w2_a = register_parameter("hada_w2_a", torch::empty({o.out, o.r}));
    hada_w2_b = register_parameter("hada_w2_b", torch::empty({o.r, o.in}));
    torch::NoGradGuard ng;
    for (auto* t : {&hada_w1_a, &hada_w1_b, &hada_w2_a, &hada_w2_b})
      torch::nn::init::kaiming_uniform_(*t, std::sqrt(5.0));
    if (o.init_weights) hada_w2_b.zero_();
  }

  /// ((w1_a w1_b) ⊙ (w2_a w2_b)) · alpha / r, the update of the base weight [out, in].
  [[nodiscard]] torch::Tensor delta_weight() const {
    return torch::matmul(hada_w1_a, hada_w1_b) * torch::matmul(hada_w2_a, hada_w2_b) * scaling_;
  }

  /// ΔW as this training step applies it: rows dropped (rank_dropout, rescaled by the kept
  /// fraction) and, with probability module_dropout, no update at all (undefined tensor).
  [[nodiscard]] torch::Tensor sampled_delta_weight() const {
    if (is_training() && module_dropout_ > 0 && torch::rand({1}).item<double>() <= module_dropout_) return {};
    auto w = delta_weight();
    if (is_training() && rank_dropout_ > 0) {
      auto keep = (torch::rand({w.size(0)}, w.options()) > rank_dropout_).to(w.scalar_type());
      w = w * (keep / keep.mean()).unsqueeze(1);
    }
    return w;
  }

  torch::Tensor output(const torch::Tensor& x, torch::Tensor y, torch::nn::LinearImpl& /*base*/) {
    if (merged()) return y;
    auto w = sampled_delta_weight();
    if (!w.defined()) return y;
    return y + torch::linear(x.to(w.scalar_type()), w).to(y.scalar_type());
  }

  [[nodiscard]] double scaling() const { return scaling_; }

  torch::Tensor hada_w1_a, hada_w1_b, hada_w2_a, hada_w2_b;

 private:
  double scaling_, rank_dropout_, module_dropout_;
};

/// Example:
///   auto p = peft::loha{}.r(8).alpha(16).target_modules({"query", "value"});
struct loha : linear_policy<loha> {
  static constexpr std::string_view name = "loha";
  using site_module = loha_site;
  using layer_module = linear_sites_module<loha_site>;
  using model_module = void;

  TORCH_ARG(std::int64_t, r) = 8;
  TORCH_ARG(double, alpha) = 8;
  TORCH_ARG(double, rank_dropout) = 0.0;
  TORCH_ARG(double, module_dropout) = 0.0;
  TORCH_ARG(targets, target_modules) = targets{"query", "value"};
  TORCH_ARG(std::vector<std::int64_t>, layers_to_transform) = {};
  /// true: w2_b = 0 (the update starts at zero); false: every factor kaiming-uniform.
  TORCH_ARG(bool, init_weights) = true;

 public:  // TORCH_ARG leaves the access private
  // HF PEFT's adapter format (LoHaConfig; peft/adapter_io.hpp).
  static constexpr std::string_view peft_type = "LOHA";
  static constexpr std::string_view hf_tensor_prefix = "hada_";
  [[nodiscard]] nlohmann::json to_adapter_config(const model::EncoderConfig&) const {
    const auto& p = *this;
    auto j = detail::lycoris_json(p);
    j["use_effective_conv2d"] = false;
    return j;
  }
  static loha from_adapter_config(const nlohmann::json& j, const std::filesystem::path& file) {
    return detail::lycoris_from<loha>(j, file);
  }

  [[nodiscard]] double scaling() const { return alpha_ / static_cast<double>(r_); }

  std::shared_ptr<loha_site> build_site(const model::layer_context&, model::site,
                                        torch::nn::LinearImpl& base) const {
    if (r_ <= 0) throw error("loha: option 'r' must be positive, got " + std::to_string(r_));
    for (auto [p, what] : {std::pair{rank_dropout_, "rank_dropout"}, std::pair{module_dropout_, "module_dropout"}})
      if (p < 0 || p >= 1)
        throw error(std::string("loha: option '") + what + "' must be in [0, 1), got " + std::to_string(p));
    return std::make_shared<loha_site>(loha_site::options{base.options.in_features(), base.options.out_features(), r_,
                                                          scaling(), rank_dropout_, module_dropout_, init_weights_});
  }
  [[nodiscard]] std::int64_t site_parameters(std::int64_t in, std::int64_t out) const {
    return 2 * r_ * (in + out);
  }
};

}  // namespace autopeft::peft
