#pragma once
// LoKr / KronA (Edalati et al., 2022, "KronA: Parameter Efficient Tuning with Kronecker Adapter";
// Yeh et al., 2023, "Navigating Text-To-Image Customization: From LyCORIS Fine-Tuning to Model
// Evaluation"): a Kronecker-product update, as in LyCORIS and HF PEFT,
//
//   y = W x + b + ΔW x,   ΔW = (w1 ⊗ w2) · alpha / r,   w1 ∈ R^{a×c}, w2 ∈ R^{b×d},
//   out = a·b and in = c·d with (c, d) = factorization(in, f), (a, b) = factorization(out, f).
// factorization(n, f) is HF's: with f > 0 dividing n, (f, n / f); otherwise the divisor pair
// m ≤ n/m closest to √n (f = -1) or with m ≤ f, smaller factor first.
// w2 is kept low-rank, w2 = w2_a w2_b (w2_a [b, r], w2_b [r, d]), when 2r < max(b, d); with
// decompose_both, w1 likewise (w1_a [a, r], w1_b [r, c]) when 2r < max(a, c).
// HF's names: lokr_w1 | lokr_w1_a, lokr_w1_b;  lokr_w2 | lokr_w2_a, lokr_w2_b.
// Initialisation (init_weights, HF's): w1 (or w1_a) = 0, the rest kaiming-uniform (a = √5), so
// ΔW = 0; init_weights(false) makes every factor kaiming-uniform (for tests). HF's "lycoris"
// initialisation is not offered.
// Training-time regularisers, as HF: rank_dropout zeroes rows of ΔW with probability p
// (rescaled by 1 / kept fraction only with rank_dropout_scale); module_dropout skips a site's
// update with probability p.
//
// Options and defaults are HF PEFT's LoKrConfig (bert's default targets):
//   r 8, alpha 8, rank_dropout 0, module_dropout 0, rank_dropout_scale false,
//   decompose_both false, decompose_factor -1, target_modules {"query", "value"},
//   layers_to_transform {}, init_weights true.
// Trainable parameters per site (site_parameters): [w1 full ? a·c : r(a + c)] + [w2 full ? b·d :
// r(b + d)]. bert-base, r = 8 on query and value: 768 = 24·32, so w1 [24, 24] (576) and, as
// 16 < 32, w2_a [32, 8] + w2_b [8, 32] (512): 12 · 2 · 1,088 = 26,112, HF PEFT's figure.
#include <autopeft/error.hpp>
#include <autopeft/peft/delta_weight_merge.hpp>
#include <autopeft/peft/detail/adapter_fields.hpp>
#include <autopeft/peft/linear_sites.hpp>

#include <torch/torch.h>

#include <cmath>
#include <utility>

namespace autopeft::peft {

/// HF PEFT's (LyCORIS's) `factorization(dimension, factor)`: (m, n) with m·n = dimension, m ≤ n.
inline std::pair<std::int64_t, std::int64_t> lokr_factorization(std::int64_t dimension, std::int64_t factor = -1) {
  if (factor > 0 && dimension % factor == 0) return {factor, dimension / factor};
  if (factor == -1) factor = dimension;
  std::int64_t m = 1, n = dimension;
  const std::int64_t length = m + n;
  while (m < n) {
    auto new_m = m + 1;
    while (dimension % new_m != 0) ++new_m;
    const auto new_n = dimension / new_m;
    if (new_m + new_n > length || new_m > factor) break;
    m = new_m;
    n = new_n;
  }
  if (m > n) std::swap(m, n);
  return {m, n};
}

/// The factor shapes of one LoKr site: w1 [a, c], w2 [b, d], and which are kept full.
struct lokr_shape {
  std::int64_t a, b, c, d;
  bool full_w1, full_w2;

  static lokr_shape of(std::int64_t in, std::int64_t out, std::int64_t r, bool decompose_both, std::int64_t factor) {
    auto [c, d] = lokr_factorization(in, factor);
    auto [a, b] = lokr_factorization(out, factor);
    // HF: use_w1 = not (decompose_both and r < max(a, c) / 2); use_w2 = not (r < max(b, d) / 2).
    return {a, b, c, d, !(decompose_both && 2 * r < std::max(a, c)), !(2 * r < std::max(b, d))};
  }
  [[nodiscard]] std::int64_t parameters(std::int64_t r) const {
    return (full_w1 ? a * c : r * (a + c)) + (full_w2 ? b * d : r * (b + d));
  }
};

class lokr_site : public torch::nn::Module, public delta_weight_merge<lokr_site> {
 public:
  struct options {
    std::int64_t in, out, r;
    double scaling, rank_dropout, module_dropout;
    bool rank_dropout_scale, decompose_both;
    std::int64_t decompose_factor;
    bool init_weights;
  };

  explicit lokr_site(const options& o)
      : shape_(lokr_shape::of(o.in, o.out, o.r, o.decompose_both, o.decompose_factor)),
        in_(o.in), out_(o.out), scaling_(o.scaling), rank_dropout_(o.rank_dropout),
        module_dropout_(o.module_dropout), rank_dropout_scale_(o.rank_dropout_scale) {
    const auto [a, b, c, d, full_w1, full_w2] = shape_;
    const auto r = o.r;
    torch::NoGradGuard ng;
    auto kaiming = [](torch::Tensor t) { return torch::nn::init::kaiming_uniform_(t, std::sqrt(5.0)); };
    if (full_w1) {
      lokr_w1 = register_parameter("lokr_w1", torch::empty({a, c}));
      o.init_weights ? lokr_w1.zero_() : kaiming(lokr_w1);
    } else {
      lokr_w1_a = register_parameter("lokr_w1_a", torch::empty({a, r}));
      lokr_w1_b = register_parameter("lokr_w1_b", torch::empty({r, c}));
      o.init_weights ? lokr_w1_a.zero_() : kaiming(lokr_w1_a);
      kaiming(lokr_w1_b);
    }
    if (full_w2) {
      lokr_w2 = register_parameter("lokr_w2", kaiming(torch::empty({b, d})));
    } else {
      lokr_w2_a = register_parameter("lokr_w2_a", kaiming(torch::empty({b, r})));
      lokr_w2_b = register_parameter("lokr_w2_b", kaiming(torch::empty({r, d})));
    }
  }

  /// (w1 ⊗ w2) · alpha / r, the update of the base weight [out, in].
  [[nodiscard]] torch::Tensor delta_weight() const {
    auto w1 = lokr_w1.defined() ? lokr_w1 : torch::matmul(lokr_w1_a, lokr_w1_b);
    auto w2 = lokr_w2.defined() ? lokr_w2 : torch::matmul(lokr_w2_a, lokr_w2_b);
    return (torch::kron(w1, w2.contiguous()) * scaling_).reshape({out_, in_});
  }

  /// ΔW as this training step applies it: rows dropped (rank_dropout, rescaled by the kept
  /// fraction with rank_dropout_scale) and, with probability module_dropout, no update at all
  /// (undefined tensor).
  [[nodiscard]] torch::Tensor sampled_delta_weight() const {
    if (is_training() && module_dropout_ > 0 && torch::rand({1}).item<double>() <= module_dropout_) return {};
    auto w = delta_weight();
    if (is_training() && rank_dropout_ > 0) {
      auto keep = (torch::rand({w.size(0)}, w.options()) > rank_dropout_).to(w.scalar_type());
      if (rank_dropout_scale_) keep = keep / keep.mean();
      w = w * keep.unsqueeze(1);
    }
    return w;
  }

  torch::Tensor output(const torch::Tensor& x, torch::Tensor y, torch::nn::LinearImpl& /*base*/) {
    if (merged()) return y;
    auto w = sampled_delta_weight();
    if (!w.defined()) return y;
    return y + torch::linear(x.to(w.scalar_type()), w).to(y.scalar_type());
  }

  [[nodiscard]] const lokr_shape& shape() const { return shape_; }

  /// Full factors, or undefined where the low-rank pair stands in.
  torch::Tensor lokr_w1, lokr_w1_a, lokr_w1_b, lokr_w2, lokr_w2_a, lokr_w2_b;

 private:
  lokr_shape shape_;
  std::int64_t in_, out_;
  double scaling_, rank_dropout_, module_dropout_;
  bool rank_dropout_scale_;
};

/// Example:
///   auto p = peft::lokr{}.r(8).target_modules({"query", "value"});
///   auto q = peft::lokr{}.r(4).decompose_both(true).decompose_factor(8)
///                        .target_modules({"intermediate.dense", "output.dense"});
struct lokr : linear_policy<lokr> {
  static constexpr std::string_view name = "lokr";
  using site_module = lokr_site;
  using layer_module = linear_sites_module<lokr_site>;
  using model_module = void;

  TORCH_ARG(std::int64_t, r) = 8;
  TORCH_ARG(double, alpha) = 8;
  TORCH_ARG(double, rank_dropout) = 0.0;
  TORCH_ARG(double, module_dropout) = 0.0;
  TORCH_ARG(bool, rank_dropout_scale) = false;
  TORCH_ARG(bool, decompose_both) = false;
  TORCH_ARG(std::int64_t, decompose_factor) = -1;
  TORCH_ARG(targets, target_modules) = targets{"query", "value"};
  TORCH_ARG(std::vector<std::int64_t>, layers_to_transform) = {};
  /// true: w1 (or w1_a) = 0 (the update starts at zero); false: every factor kaiming-uniform.
  TORCH_ARG(bool, init_weights) = true;

 public:  // TORCH_ARG leaves the access private
  // HF PEFT's adapter format (LoKrConfig; peft/adapter_io.hpp).
  static constexpr std::string_view peft_type = "LOKR";
  static constexpr std::string_view hf_tensor_prefix = "lokr_";
  [[nodiscard]] nlohmann::json to_adapter_config(const model::EncoderConfig&) const {
    const auto& p = *this;
    auto j = detail::lycoris_json(p);
    j["decompose_both"] = p.decompose_both();
    j["decompose_factor"] = p.decompose_factor();
    j["rank_dropout_scale"] = p.rank_dropout_scale();
    j["use_effective_conv2d"] = false;
    return j;
  }
  static lokr from_adapter_config(const nlohmann::json& j, const std::filesystem::path& file) {
    auto p = detail::lycoris_from<lokr>(j, file);
    p.decompose_both(detail::field<bool>(j, "decompose_both", false, file))
        .decompose_factor(detail::field<std::int64_t>(j, "decompose_factor", -1, file))
        .rank_dropout_scale(detail::field<bool>(j, "rank_dropout_scale", false, file));
    return p;
  }

  [[nodiscard]] double scaling() const { return alpha_ / static_cast<double>(r_); }

  std::shared_ptr<lokr_site> build_site(const model::layer_context&, model::site,
                                        torch::nn::LinearImpl& base) const {
    check();
    return std::make_shared<lokr_site>(lokr_site::options{
        base.options.in_features(), base.options.out_features(), r_, scaling(), rank_dropout_,
        module_dropout_, rank_dropout_scale_, decompose_both_, decompose_factor_, init_weights_});
  }
  [[nodiscard]] std::int64_t site_parameters(std::int64_t in, std::int64_t out) const {
    check();
    return lokr_shape::of(in, out, r_, decompose_both_, decompose_factor_).parameters(r_);
  }

 private:
  void check() const {
    if (r_ <= 0) throw error("lokr: option 'r' must be positive, got " + std::to_string(r_));
    for (auto [p, what] : {std::pair{rank_dropout_, "rank_dropout"}, std::pair{module_dropout_, "module_dropout"}})
      if (p < 0 || p >= 1)
        throw error(std::string("lokr: option '") + what + "' must be in [0, 1), got " + std::to_string(p));
  }
};

}  // namespace autopeft::peft
