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
// Objective 1, "% parameters" (to MINIMISE): exact, from the library's closed-form counts for
// bert-base (hidden 768, 12 layers) with AutoPEFT's modules on the active layers, divided by
// bert-base's 109,482,240 backbone parameters, times 100. Which parameters is the option `cost`:
//   trainable (the default, what the problem has always counted): SA (pfeiffer) and PA:
//     2·768·b + b + 768 per active layer; PT with the 800-wide tanh-MLP reparametrisation
//     (peft::prefix_tuning with prefix_projection(true).encoder_hidden_size(800)):
//     p·768 + (768·800 + 800) + (800·2·L'·768 + 2·L'·768), L' = active layers;
//   stored (what the project prices, peft::stored_parameters_of; use it for new studies): the
//     same adapters, and the folded prefix p·2·L'·768 without the MLP, which is dropped after
//     training.
// The count never depends on the fidelity and is never noisy.
//
// Fidelity (evaluate(c, s, seed)): the accuracy observed after training on a fraction s in
// (0, 1] of the full budget, a learning-curve model fixed before any multi-fidelity benchmark
// was run (bench/multi_fidelity.cpp), not tuned to it:
//   acc_s(c) = acc(c) - bias(c, s) + noise,
//   bias(c, s) = (acc(c) - a0) · (beta0 + beta1 h(c)) · (1 - s)^alpha,
//   h(c) = (w_sa c(b_sa) · c(b_sa) + w_pa c(b_pa) · c(b_pa) + w_pt (1 - exp(-p / p0)) · 1) / u,
//   noise ~ N(0, noise_std^2 + fidelity_noise_std^2 (1/s - 1)),
// with beta0 = 0.15, beta1 = 0.45, alpha = 1.5, fidelity_noise_std = 0.004 by default. h(c) in
// [0, 1] is the configuration's slowness to train: the mean over its modules, weighted by their
// share of u, of a per-module slowness, c(b) for an adapter (a larger bottleneck has more to fit)
// and 1 for the prefix (prefix tuning is known to converge slowly). So a short budget recovers
// a fraction 1 - (beta0 + beta1 h)(1 - s)^alpha of the configuration's gain over a0: at s = 1/9
// an adapter of size 1 keeps ~83 % of its gain, one of size 768 or a prefix alone ~50 %, and the
// low-fidelity order of configurations differs from the full one (rank correlation below 1,
// rising with s; tests/search/problems/test_autopeft_synthetic.cpp). The noise's standard deviation is
// noise_std at s = 1 and grows like fidelity_noise_std / sqrt(s) as s falls (~0.011 at 1/9).
// At s = 1 the bias and the extra noise vanish: evaluate(c, 1, ...) is evaluate(c).
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
//   AutoPEFTSynthetic stored({.cost = autopeft_synthetic_options::stored});
//   auto [acc_low, pct_low] = stored.evaluate(c, 1.0 / 9, /*seed=*/7);  // a ninth of the budget
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

namespace autopeft::search {

struct autopeft_synthetic_options {
  /// Which parameters objective 1 counts (see the header comment).
  enum parameter_count { trainable, stored };

  double noise_std = 0.0;    // of the accuracy surrogate at full fidelity; 0: deterministic
  std::uint64_t seed = 0;    // of the noise generator of evaluate(c) and evaluate(c, s)
  parameter_count cost = trainable;  // the default keeps the problem's historical numbers
  /// The low-fidelity noise scale: at fidelity s the accuracy's noise has variance
  /// noise_std^2 + fidelity_noise_std^2 (1/s - 1).
  double fidelity_noise_std = 0.004;
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
    if (!(o_.fidelity_noise_std >= 0.0))
      throw error("AutoPEFTSynthetic: fidelity_noise_std must be >= 0");
  }

  /// The fidelity model's constants (see the header comment).
  static constexpr double fidelity_beta0 = 0.15, fidelity_beta1 = 0.45, fidelity_alpha = 1.5;

  [[nodiscard]] const autopeft_synthetic_options& options() const noexcept { return o_; }

  [[nodiscard]] torch::Tensor bounds() const { return mobo::detail::unit_bounds(dim); }

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

  /// PEFT parameters a valid configuration stores after training on bert-base: the
  /// trainable ones with the prefix folded to P·2·L'·H (peft::stored_parameters_of).
  [[nodiscard]] static std::int64_t stored_parameters(const space::configuration& c) {
    check(c, "AutoPEFTSynthetic::stored_parameters");
    const auto config = model::EncoderConfig::bert_base();
    const auto layers = active_layers(c);
    const auto pt = static_cast<std::int64_t>(space_type::get<"pt">(c));
    const auto prefix = peft::prefix_tuning{}
                            .num_virtual_tokens(pt)
                            .prefix_projection(true)
                            .encoder_hidden_size(800)
                            .layers_to_transform(layers);
    return trainable_parameters(c) -
           (pt > 0 ? prefix.trainable_parameters(config) - prefix.stored_parameters(config) : 0);
  }

  /// % of bert-base's backbone parameters that are trainable (objective 1 by default, exact).
  [[nodiscard]] static double parameter_percent(const space::configuration& c) {
    return 100.0 * static_cast<double>(trainable_parameters(c)) /
           static_cast<double>(backbone_parameters);
  }
  /// % of bert-base's backbone parameters that `count` counts: trainable or stored.
  [[nodiscard]] static double parameter_percent(const space::configuration& c,
                                                autopeft_synthetic_options::parameter_count count) {
    const auto n = count == autopeft_synthetic_options::stored ? stored_parameters(c)
                                                                : trainable_parameters(c);
    return 100.0 * static_cast<double>(n) / static_cast<double>(backbone_parameters);
  }
  /// Objective 1 as this problem counts it (options().cost).
  [[nodiscard]] double cost(const space::configuration& c) const {
    return parameter_percent(c, o_.cost);
  }

  /// The noise-free accuracy surrogate (objective 0).
  [[nodiscard]] static double accuracy(const space::configuration& c) {
    check(c, "AutoPEFTSynthetic::accuracy");
    const auto t = terms(c);
    return 0.55 + 0.35 * t.g * (1.0 - std::exp(-1.5 * t.u));
  }

  /// The expected shortfall of the accuracy observed at fidelity s in (0, 1] (0 at s = 1):
  /// (acc(c) - 0.55) (beta0 + beta1 h(c)) (1 - s)^alpha.
  [[nodiscard]] static double fidelity_bias(const space::configuration& c, double s) {
    check_fidelity(s, "AutoPEFTSynthetic::fidelity_bias");
    check(c, "AutoPEFTSynthetic::fidelity_bias");
    const auto t = terms(c);
    return (accuracy(c) - 0.55) * (fidelity_beta0 + fidelity_beta1 * t.h) *
           std::pow(1.0 - s, fidelity_alpha);
  }

  /// The noise-free accuracy observed at fidelity s: accuracy(c) - fidelity_bias(c, s).
  [[nodiscard]] static double accuracy(const space::configuration& c, double s) {
    check(c, "AutoPEFTSynthetic::accuracy");
    check_fidelity(s, "AutoPEFTSynthetic::accuracy");
    return accuracy(c) - fidelity_bias(c, s);
  }

  /// The standard deviation of the accuracy's noise at fidelity s:
  /// sqrt(noise_std^2 + fidelity_noise_std^2 (1/s - 1)).
  [[nodiscard]] double noise_std(double s) const {
    check_fidelity(s, "AutoPEFTSynthetic::noise_std");
    if (s == 1.0) return o_.noise_std;  // exactly, so that evaluate(c, 1) is evaluate(c)
    return std::sqrt(o_.noise_std * o_.noise_std +
                     o_.fidelity_noise_std * o_.fidelity_noise_std * (1.0 / s - 1.0));
  }

  /// [accuracy (maximise, noisy if noise_std > 0), % parameters (minimise)].
  [[nodiscard]] std::array<double, 2> evaluate(const space::configuration& c) const {
    return evaluate(c, 1.0, rng_);
  }

  /// At fidelity s in (0, 1]: [accuracy observed after training on a fraction s of the budget
  /// (biased and noisy, see the header comment), % parameters (exact)]; the noise from the
  /// problem's own generator, as evaluate(c) draws it. evaluate(c, 1) is evaluate(c).
  [[nodiscard]] std::array<double, 2> evaluate(const space::configuration& c, double s) const {
    return evaluate(c, s, rng_);
  }

  /// As evaluate(c, s), the noise from a generator seeded with `seed` (a trial's seed): the
  /// same (c, s, seed) always gives the same values.
  [[nodiscard]] std::array<double, 2> evaluate(const space::configuration& c, double s,
                                               std::uint64_t seed) const {
    std::mt19937_64 rng(seed);
    return evaluate(c, s, rng);
  }

  /// Encoded X [n, 15] (or [15]) -> [n, 2] (or [2]) doubles, each row decoded to its nearest
  /// configuration; throws autopeft::error naming the row if one decodes to an invalid one.
  [[nodiscard]] torch::Tensor evaluate(const torch::Tensor& X) const {
    mobo::detail::check_inputs(X, dim, "AutoPEFTSynthetic");
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
  static void check_fidelity(double s, const std::string& who) {
    if (!(s > 0.0 && s <= 1.0))
      throw error(who + ": the fidelity s is " + std::to_string(s) +
                  "; it must be a fraction of the full budget in (0, 1]");
  }

  // u (the weighted capacity), g (the layer factor) and h (the slowness to train, in [0, 1]).
  struct accuracy_terms {
    double u, g, h;
  };
  static accuracy_terms terms(const space::configuration& c) {
    const auto cap = [](double b) { return std::log2(1.0 + b) / std::log2(769.0); };
    const double sa = space_type::get<"sa">(c), pa = space_type::get<"pa">(c),
                 pt = space_type::get<"pt">(c);
    const double u_sa = 0.85 * cap(sa), u_pa = 1.0 * cap(pa), u_pt = 0.5 * (1.0 - std::exp(-pt / 32.0));
    const double u = u_sa + u_pa + u_pt;
    const auto mask = space_type::get<"layers">(c);
    double on = 0.0, all = 0.0;
    for (std::int64_t l = 0; l < num_layers; ++l) {
      const double w = 0.6 + 0.8 * static_cast<double>(l) / static_cast<double>(num_layers - 1);
      all += w;
      if (mask[static_cast<std::size_t>(l)]) on += w;
    }
    const double h = u > 0.0 ? (u_sa * cap(sa) + u_pa * cap(pa) + u_pt) / u : 0.0;
    return {u, std::pow(on / all, 0.6), h};
  }

  std::array<double, 2> evaluate(const space::configuration& c, double s,
                                 std::mt19937_64& rng) const {
    double acc = accuracy(c, s);
    if (const double sd = noise_std(s); sd > 0.0)
      acc += sd * std::normal_distribution<double>{}(rng);
    return {acc, cost(c)};
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

}  // namespace autopeft::search
