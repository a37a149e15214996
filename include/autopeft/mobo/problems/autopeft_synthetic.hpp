#pragma once
// A cheap synthetic stand-in for AutoPEFT's two objectives (Zhou et al., TACL 2024) on its
// SA/PA/PT search space (space::autopeft_space<12>), for testing and benchmarking the search
// loop without training anything. Not a model of any real task's accuracy.
//
// Objective 0, "accuracy" (to MAXIMISE): deterministic, smooth in the log of the sizes,
//   acc(c) = a0 + gain * g(layers) * (1 - exp(-k u)),
//   u = w_sa c(b_sa) + w_pa c(b_pa) + w_pt (1 - exp(-p / p0)),   c(b) = log2(1 + b) / log2(769),
//   g(layers) = (sum_{l on} w_l / sum_l w_l)^gamma,   w_l = 0.6 + 0.8 l / (L - 1),
// with a0 = 0.55, gain = 0.35, k = 1.5, w_sa = 0.85, w_pa = 1.0, w_pt = 0.5, p0 = 32,
// gamma = 0.6: it increases with every size and every added layer, with diminishing returns
// (log sizes, saturating exp, concave layer factor); later layers weigh more (w_l from 0.6 to
// 1.4); a PA of size b is worth more than an SA of the same size (same parameter count);
// prefix tuning saturates with the prefix length. Values lie in (0.55, 0.9). Optional Gaussian
// noise of standard deviation noise_std, from a generator seeded with `seed` (each call draws
// anew; noise_std = 0, the default, is exactly deterministic).
//
// Objective 1, "% trainable parameters" (to MINIMISE): exact, from the library's closed-form
// counts for bert-base (hidden 768, 12 layers) with AutoPEFT's modules on the active layers:
//   SA (pfeiffer) and PA: 2·768·b + b + 768 per active layer;
//   PT with the 800-wide tanh-MLP reparametrisation (peft::prefix_tuning with
//   prefix_projection(true).encoder_hidden_size(800)): p·768 + (768·800 + 800)
//     + (800·2·L'·768 + 2·L'·768), L' = active layers,
// divided by bert-base's 109,482,240 backbone parameters, times 100.
//
// Reference point (natural form, [accuracy, % params]): [0.7, 26.0] — AutoPEFT's: a metric of
// 0.7 and 26 % of the parameters. Objectives are in MIXED form (accuracy up, % down), unlike the
// other problems; max_ref_point() and to_maximisation() give the all-maximised form the Pareto
// utilities and acquisitions expect: [acc, -%] with reference [0.7, -26.0].
//
// Inputs: configurations, or their encodings X [n, 15] in [0, 1] (space::autopeft_space<12>::
// encode: SA, PA, PT rank / 10, then one 0/1 per layer), decoded to the nearest configuration.
// An encoding decoding to an invalid configuration (every layer off, or SA = PA = PT = 0) is an
// autopeft::error.
//
// Example:
//   AutoPEFTSynthetic problem;                                     // or {.noise_std = 0.005}
//   auto [acc, pct] = problem.evaluate(S::from_json({{"sa", 48}, {"pa", 0}, {"pt", 0},
//                                                    {"layers", std::vector<bool>(12, true)}}));
//   auto Y = problem.evaluate(X);                                  // [n, 15] -> [n, 2]
#include <autopeft/error.hpp>
#include <autopeft/mobo/problems/detail/checks.hpp>
#include <autopeft/model/encoder_config.hpp>
#include <autopeft/peft/parallel_adapter.hpp>
#include <autopeft/peft/prefix_tuning.hpp>
#include <autopeft/peft/serial_adapter.hpp>
#include <autopeft/space/spaces/autopeft_space.hpp>

#include <torch/torch.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace autopeft::mobo {

struct autopeft_synthetic_options {
  double noise_std = 0.0;    // of the accuracy surrogate; 0: deterministic
  std::uint64_t seed = 0;    // of the noise generator
};

class AutoPEFTSynthetic {
 public:
  using space_type = space::autopeft_space<12>;
  static constexpr std::int64_t num_layers = 12;
  static constexpr std::int64_t dim = static_cast<std::int64_t>(space_type::num_components);  // 15
  static constexpr std::int64_t num_objectives = 2;
  /// bert-base's backbone (EncoderModel, no pooler head) parameter count, checked in
  /// tests/model/test_encoder.cpp.
  static constexpr std::int64_t backbone_parameters = 109'482'240;

  explicit AutoPEFTSynthetic(autopeft_synthetic_options options = {})
      : o_(options), rng_(options.seed) {
    if (!(o_.noise_std >= 0.0)) throw error("AutoPEFTSynthetic: noise_std must be >= 0");
  }

  [[nodiscard]] torch::Tensor bounds() const { return detail::unit_bounds(dim); }

  /// Trainable PEFT parameters of a valid configuration on bert-base (the library's counts).
  [[nodiscard]] static std::int64_t trainable_parameters(const space::configuration& c) {
    check(c, "AutoPEFTSynthetic::trainable_parameters");
    const auto config = model::EncoderConfig::bert_base();
    const auto layers = active_layers(c);
    const auto sa = static_cast<std::int64_t>(space_type::get<"sa">(c));
    const auto pa = static_cast<std::int64_t>(space_type::get<"pa">(c));
    const auto pt = static_cast<std::int64_t>(space_type::get<"pt">(c));
    std::int64_t n = 0;
    if (sa > 0)
      n += peft::serial_adapter{}
               .placement(peft::serial_adapter::pfeiffer)
               .bottleneck_size(sa)
               .layers_to_transform(layers)
               .trainable_parameters(config);
    if (pa > 0)
      n += peft::parallel_adapter{}.bottleneck_size(pa).layers_to_transform(layers).trainable_parameters(
          config);
    if (pt > 0)
      n += peft::prefix_tuning{}
               .num_virtual_tokens(pt)
               .prefix_projection(true)
               .encoder_hidden_size(800)
               .layers_to_transform(layers)
               .trainable_parameters(config);
    return n;
  }

  /// % of bert-base's backbone parameters that are trainable (objective 1, exact).
  [[nodiscard]] static double parameter_percent(const space::configuration& c) {
    return 100.0 * static_cast<double>(trainable_parameters(c)) /
           static_cast<double>(backbone_parameters);
  }

  /// The noise-free accuracy surrogate (objective 0).
  [[nodiscard]] static double accuracy(const space::configuration& c) {
    check(c, "AutoPEFTSynthetic::accuracy");
    const auto cap = [](double b) { return std::log2(1.0 + b) / std::log2(769.0); };
    const double sa = space_type::get<"sa">(c), pa = space_type::get<"pa">(c),
                 pt = space_type::get<"pt">(c);
    const double u = 0.85 * cap(sa) + 1.0 * cap(pa) + 0.5 * (1.0 - std::exp(-pt / 32.0));
    const auto mask = space_type::get<"layers">(c);
    double on = 0.0, all = 0.0;
    for (std::int64_t l = 0; l < num_layers; ++l) {
      const double w = 0.6 + 0.8 * static_cast<double>(l) / static_cast<double>(num_layers - 1);
      all += w;
      if (mask[static_cast<std::size_t>(l)]) on += w;
    }
    const double g = std::pow(on / all, 0.6);
    return 0.55 + 0.35 * g * (1.0 - std::exp(-1.5 * u));
  }

  /// [accuracy (maximise, noisy if noise_std > 0), % trainable parameters (minimise)].
  [[nodiscard]] std::array<double, 2> evaluate(const space::configuration& c) const {
    double acc = accuracy(c);
    if (o_.noise_std > 0.0) acc += o_.noise_std * std::normal_distribution<double>{}(rng_);
    return {acc, parameter_percent(c)};
  }

  /// Encoded X [n, 15] (or [15]) -> [n, 2] (or [2]) doubles, each row decoded to its nearest
  /// configuration; throws autopeft::error naming the row if one decodes to an invalid one.
  [[nodiscard]] torch::Tensor evaluate(const torch::Tensor& X) const {
    detail::check_inputs(X, dim, "AutoPEFTSynthetic");
    if (X.dim() > 2)
      throw error("AutoPEFTSynthetic: X must be [n, 15] or [15], got " + c10::str(X.sizes()));
    const auto x = X.detach().to(torch::kFloat64).contiguous().view({-1, dim});
    const auto rows = x.size(0);
    auto out = torch::empty({rows, 2}, torch::kFloat64);
    const auto* p = x.data_ptr<double>();
    auto* o = out.data_ptr<double>();
    for (std::int64_t i = 0; i < rows; ++i) {
      const std::vector<double> u(p + i * dim, p + (i + 1) * dim);
      const auto c = space_type::decode(u);
      if (auto why = space_type::check(c); !why.empty())
        throw error("AutoPEFTSynthetic: row " + std::to_string(i) +
                    " decodes to an invalid configuration: " + why);
      const auto y = evaluate(c);
      o[2 * i] = y[0];
      o[2 * i + 1] = y[1];
    }
    return X.dim() == 1 ? out.view({2}) : out;
  }

  /// [0.7, 26.0]: accuracy 0.7 (to exceed), 26 % of the parameters (to stay under).
  [[nodiscard]] torch::Tensor ref_point() const {
    return torch::tensor({0.7, 26.0}, torch::kFloat64);
  }
  /// The reference point in the all-maximised form [acc, -%]: [0.7, -26.0].
  [[nodiscard]] torch::Tensor max_ref_point() const { return to_maximisation(ref_point()); }
  /// Y [..., 2] in the natural form -> [acc, -%] (both maximised).
  [[nodiscard]] static torch::Tensor to_maximisation(const torch::Tensor& Y) {
    return Y * torch::tensor({1.0, -1.0}, Y.options());
  }

 private:
  static void check(const space::configuration& c, const std::string& who) {
    if (auto why = space_type::check(c); !why.empty())
      throw error(who + ": invalid configuration: " + why);
  }
  static std::vector<std::int64_t> active_layers(const space::configuration& c) {
    const auto mask = space_type::get<"layers">(c);
    std::vector<std::int64_t> layers;
    for (std::size_t l = 0; l < mask.size(); ++l)
      if (mask[l]) layers.push_back(static_cast<std::int64_t>(l));
    return layers;  // never empty for a valid configuration (empty would mean "all layers")
  }

  autopeft_synthetic_options o_;
  mutable std::mt19937_64 rng_;
};

}  // namespace autopeft::mobo
