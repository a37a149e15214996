#pragma once
// Intrinsic SAID (Aghajanyan, Zettlemoyer & Gupta, 2021, "Intrinsic Dimensionality Explains the
// Effectiveness of Language Model Fine-Tuning"): every selected base tensor θ⁽ᵐ⁾ moves inside one
// shared random d-dimensional subspace,
//
//   θ⁽ᵐ⁾ = θ₀⁽ᵐ⁾ + λ_m · P_m(θ_d),      θ_d ∈ R^d trainable, shared by all tensors, θ_d = 0 at init;
//   P_m(v) = (H G Π H B pad(v))[:D] / (σ √(D / N)),   σ = √(N Σ_k G_kk²)           (Fastfood),
//
// with D = numel(θ⁽ᵐ⁾), N the smallest power of two ≥ max(D, d), pad(v) v zero-padded to N,
// B a random ±1 diagonal, H the (unnormalised) Walsh–Hadamard matrix, Π a random permutation
// (the gather x ↦ x[π]), G a standard-Gaussian diagonal. The scaling makes P_m roughly
// norm-preserving, ‖P_m(v)‖ ≈ ‖v‖. λ_m is SAID's "structure-aware" trainable scalar per tensor
// (init 1); with said(false) λ_m ≡ 1 (plain DID). B, Π and G are frozen buffers, drawn from a CPU
// generator seeded with projection_seed and the tensor's identity (layer, site, weight/bias), so a
// seed fixes every projection whatever the build order.
//
// The backbone is never modified: at a selected linear site the policy adds the update to the
// projection, y ← y + x ΔWᵀ + Δb, ΔW = λ_W P_W(θ_d).view(out, in), Δb = λ_b P_b(θ_d) [out].
// θ_d lives once per model, in the model module `intrinsic_vector` at
// `<backbone>.embeddings.peft.intrinsic_said.intrinsic_vector`; a layer built on its own holds a
// private one.
//
// Options: intrinsic_dim d (200), said (true), target_modules (all six linear sites),
// project_bias (true: biases are tensors of their own), projection_seed (0), layers_to_transform.
// Trainable parameters: d + (said ? number of selected tensors : 0). The reference code keeps the
// total at d by shrinking θ_d by the number of λs; here intrinsic_dim is the size of θ_d itself.
// Differences from the reference: it pads θ_d to N = 2^⌈log2 D⌉ and so needs d ≤ N; here N also
// covers d. Its Walsh–Hadamard backward scales the gradient by 1/√N; here autograd differentiates
// the butterflies exactly.
#include <autopeft/error.hpp>
#include <autopeft/peft/linear_sites.hpp>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace autopeft::peft {

/// The fast Walsh–Hadamard transform over the last dimension (a power of two, n = 2^k):
/// returns x Hᵀ = x H with H the unnormalised Sylvester–Hadamard matrix, H_ij = (−1)^{popcount(i & j)},
/// in k butterfly steps of O(n) each; differentiable (plain tensor ops).
struct fwht_fn {
  torch::Tensor operator()(const torch::Tensor& x) const {
    const auto n = x.size(-1);
    if (n <= 0 || (n & (n - 1)) != 0)
      throw error("fwht: the last dimension must be a power of two, got " + std::to_string(n) +
                  "; zero-pad the input first");
    auto shape = x.sizes().vec();
    auto y = x.reshape({-1, n});
    const auto rows = y.size(0);
    for (std::int64_t h = 1; h < n; h *= 2) {
      auto v = y.view({rows, n / (2 * h), 2, h});
      auto a = v.select(2, 0), b = v.select(2, 1);
      y = torch::stack({a + b, a - b}, 2).view({rows, n});
    }
    return y.view(shape);
  }
};
inline constexpr fwht_fn fwht{};

/// The smallest power of two ≥ n (n ≥ 1).
inline std::int64_t next_power_of_two(std::int64_t n) {
  std::int64_t p = 1;
  while (p < n) p *= 2;
  return p;
}

/// One Fastfood projection R^d → R^D (see the header comment), with frozen buffers B, Π, G.
class fastfood_projection : public torch::nn::Module {
 public:
  fastfood_projection(std::int64_t d, std::int64_t D, std::uint64_t seed)
      : d_(d), D_(D), N_(next_power_of_two(std::max(d, D))) {
    auto gen = at::detail::createCPUGenerator(seed);
    auto opts = torch::TensorOptions().dtype(torch::kFloat);
    B = register_buffer("B", torch::randint(0, 2, {N_}, gen, opts) * 2 - 1);
    Pi = register_buffer("Pi", torch::randperm(N_, gen, torch::TensorOptions().dtype(torch::kLong)));
    G = register_buffer("G", torch::randn({N_}, gen, opts));
    scale_ = 1.0 / (std::sqrt(static_cast<double>(N_) * G.pow(2).sum().item<double>()) *
                    std::sqrt(static_cast<double>(D_) / static_cast<double>(N_)));
  }

  /// v [d] → P(v) [D].
  torch::Tensor forward(const torch::Tensor& v) const {
    auto x = torch::constant_pad_nd(v, {0, N_ - d_}) * B.to(v.scalar_type());
    x = fwht(x).index_select(0, Pi) * G.to(v.scalar_type());
    return fwht(x).narrow(0, 0, D_) * scale_;
  }

  [[nodiscard]] std::int64_t padded_size() const { return N_; }
  [[nodiscard]] double scale() const { return scale_; }

  torch::Tensor B;   ///< [N] ±1
  torch::Tensor Pi;  ///< [N] a permutation: (Π x)_k = x_{Pi_k}
  torch::Tensor G;   ///< [N] N(0, 1)

 private:
  std::int64_t d_, D_, N_;
  double scale_;
};

/// The shared trainable vector θ_d (model module).
class intrinsic_vector : public torch::nn::Module {
 public:
  explicit intrinsic_vector(std::int64_t d) { theta = register_parameter("intrinsic_vector", torch::zeros({d})); }
  torch::Tensor theta;  ///< [d]
};

class intrinsic_said_site : public torch::nn::Module {
 public:
  struct options {
    std::int64_t in, out;
    bool said = true, project_bias = true;
    /// The site's projections are seeded 2·seed (weight) and 2·seed + 1 (bias).
    std::uint64_t seed = 0;
  };

  /// `shared`: θ_d; registered as this site's child when `owns_vector`.
  intrinsic_said_site(const options& o, std::shared_ptr<intrinsic_vector> shared, bool owns_vector)
      : in_(o.in), out_(o.out), vector_(std::move(shared)) {
    if (owns_vector) register_module("vector", vector_);
    const auto d = vector_->theta.size(0);
    weight_projection =
        register_module("weight_projection", std::make_shared<fastfood_projection>(d, o.in * o.out, 2 * o.seed));
    if (o.said) lambda_weight = register_parameter("lambda_weight", torch::ones({1}));
    if (o.project_bias) {
      bias_projection = register_module("bias_projection", std::make_shared<fastfood_projection>(d, o.out, 2 * o.seed + 1));
      if (o.said) lambda_bias = register_parameter("lambda_bias", torch::ones({1}));
    }
  }

  /// ΔW [out, in] = λ_W P_W(θ_d).
  [[nodiscard]] torch::Tensor delta_weight() const {
    auto w = weight_projection->forward(vector_->theta).view({out_, in_});
    return lambda_weight.defined() ? w * lambda_weight : w;
  }
  /// Δb [out] = λ_b P_b(θ_d); undefined without project_bias.
  [[nodiscard]] torch::Tensor delta_bias() const {
    if (!bias_projection) return {};
    auto b = bias_projection->forward(vector_->theta);
    return lambda_bias.defined() ? b * lambda_bias : b;
  }

  /// y + x ΔWᵀ + Δb; x [.., in], y [.., out].
  torch::Tensor output(const torch::Tensor& x, torch::Tensor y, torch::nn::LinearImpl& /*base*/) {
    auto db = delta_bias();
    return y + torch::linear(x, delta_weight().to(x.scalar_type()), db.defined() ? db.to(x.scalar_type()) : db);
  }

  std::shared_ptr<fastfood_projection> weight_projection, bias_projection;
  torch::Tensor lambda_weight, lambda_bias;  ///< SAID's scalars [1]; undefined with said(false)

 private:
  std::int64_t in_, out_;
  std::shared_ptr<intrinsic_vector> vector_;
};

/// Example:
///   auto p = peft::intrinsic_said{}.intrinsic_dim(1000);                     // SAID on all linear weights
///   auto q = peft::intrinsic_said{}.said(false).target_modules({"query", "value"});   // DID
struct intrinsic_said : linear_policy<intrinsic_said> {
  static constexpr std::string_view name = "intrinsic_said";
  using site_module = intrinsic_said_site;
  using layer_module = linear_sites_module<intrinsic_said_site>;
  using model_module = intrinsic_vector;

  TORCH_ARG(std::int64_t, intrinsic_dim) = 200;
  TORCH_ARG(bool, said) = true;
  TORCH_ARG(targets, target_modules) =
      targets{"query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense"};
  TORCH_ARG(bool, project_bias) = true;
  TORCH_ARG(std::int64_t, projection_seed) = 0;
  TORCH_ARG(std::vector<std::int64_t>, layers_to_transform) = {};

 public:  // TORCH_ARG leaves the access private
  /// The seed of the projections of (layer, site): weight 2·s, bias 2·s + 1.
  [[nodiscard]] std::uint64_t site_seed(std::int64_t layer, model::site s) const {
    return static_cast<std::uint64_t>(projection_seed_) * 1'000'003ULL +
           static_cast<std::uint64_t>(layer) * model::linear_sites.size() + linear_index(s);
  }

  std::shared_ptr<intrinsic_vector> build_model(const model::embedding_context& ctx) const {
    check();
    if (selected_sites(ctx.config) == 0) return nullptr;
    return std::make_shared<intrinsic_vector>(intrinsic_dim_);
  }

  std::shared_ptr<intrinsic_said_site> build_site(const model::layer_context& ctx, model::site s,
                                                  torch::nn::LinearImpl& base) const {
    check();
    std::shared_ptr<intrinsic_vector> shared;
    if (ctx.embeddings) {
      auto modules = ctx.embeddings->named_modules("", false);
      if (auto* m = modules.find("peft." + std::string(name))) shared = std::dynamic_pointer_cast<intrinsic_vector>(*m);
    }
    const bool owns = !shared;
    if (owns) shared = std::make_shared<intrinsic_vector>(intrinsic_dim_);
    return std::make_shared<intrinsic_said_site>(
        intrinsic_said_site::options{base.options.in_features(), base.options.out_features(), said_, project_bias_,
                                     site_seed(ctx.index, s)},
        std::move(shared), owns);
  }

  [[nodiscard]] std::int64_t trainable_parameters(const model::EncoderConfig& c) const {
    check();
    const auto sites = selected_sites(c);
    if (sites == 0) return 0;
    return intrinsic_dim_ + (said_ ? sites * (project_bias_ ? 2 : 1) : 0);
  }

 private:
  [[nodiscard]] std::int64_t selected_sites(const model::EncoderConfig& c) const {
    std::int64_t n = 0;
    for (std::int64_t l = 0; l < c.num_hidden_layers; ++l)
      for (auto s : model::linear_sites) n += selects(l, s);
    return n;
  }
  void check() const {
    if (intrinsic_dim_ <= 0)
      throw error("intrinsic_said: option 'intrinsic_dim' must be positive, got " + std::to_string(intrinsic_dim_));
  }
};

}  // namespace autopeft::peft
