#pragma once
// Compacter and Compacter++ (Mahabadi, Henderson & Ruder, 2021, "Compacter: Efficient Low-Rank
// Hypercomplex Adapter Layers"): bottleneck adapters whose down and up projections are
// parameterised hypercomplex multiplication (PHM) layers,
//
//   PHM(x) = x W + b,   W = Σ_{i=1..n} A_i ⊗ B_i ∈ R^{in×out},
//   A_i ∈ R^{n×n}     shared by every PHM layer of the model (the "phm_rule", one [n, n, n] tensor),
//   B_i = s_i t_iᵀ    per layer, s_i ∈ R^{(in/n)×k}, t_i ∈ R^{k×(out/n)}, k = phm_rank (low rank),
//
// and the adapter  h ← h + up(act(down(h)))  on a sub-layer's output, before its Add & LayerNorm.
//   placement houlsby:  Compacter, after attention and after the FFN (two adapters per layer);
//   placement pfeiffer: Compacter++, after the FFN only (the default).
// n must divide the hidden size H and the bottleneck size b (b = bottleneck_size, or
// H / reduction_factor when bottleneck_size is 0).
//
// Initialisation follows the reference code as we read it (the paper's repository and the
// `adapters` library's CompacterConfig): A ~ N(0, phm_init_range), s and t glorot-uniform with
// gain √2, biases zero; in addition the up projection's t factors start at zero (explicit zero
// init), so W_up = 0 and a fresh Compacter leaves the backbone unchanged.
//
// Where A lives: once per model, as the parameter `phm_rule` of the model module
// `compacter_shared` at `<backbone>.embeddings.peft.compacter.phm_rule`; every PHM layer holds a
// handle to it (so A is trained once, from the gradients of all layers). A layer built on its
// own (no embeddings) gets a private A, registered in that layer.
//
// Tensor names (those of the `adapters` library): phm_rule [n, n, n] (A_i = phm_rule[i]),
// W_left [n, in/n, k] (s_i), W_right [n, k, out/n] (t_i), b [out].
//
// Trainable parameters, with m = L · (2 for houlsby, 1 for pfeiffer) adapters over L
// selected layers (biases counted, as in the reference code; the paper's n³ + 4L(k + d) omits them):
//   n³ + m · (k (H + b) + b  +  k (b + H) + H) = n³ + m · (2k (H + b) + b + H).
// bert-base, Compacter++ with n = 4, k = 1, b = 24: 64 + 12 · (2 · 792 + 792) = 28,576.
#include <autopeft/error.hpp>
#include <autopeft/model/activation.hpp>
#include <autopeft/model/no_peft.hpp>
#include <autopeft/peft/target.hpp>

#include <torch/torch.h>

#include <cmath>

namespace autopeft::peft {

/// The model-level module holding the shared A_i: phm_rule [n, n, n].
class compacter_shared : public torch::nn::Module {
 public:
  compacter_shared(std::int64_t n, double init_range) {
    phm_rule = register_parameter("phm_rule", torch::empty({n, n, n}));
    torch::NoGradGuard ng;
    phm_rule.normal_(0, init_range);
  }
  torch::Tensor phm_rule;
};

/// A PHM layer [in → out] whose A_i come from a shared `compacter_shared`.
class phm_linear : public torch::nn::Module {
 public:
  phm_linear(std::int64_t in, std::int64_t out, std::int64_t rank, std::shared_ptr<compacter_shared> rule,
             bool zero_right)
      : in_(in), out_(out), rule_(std::move(rule)) {
    const auto n = rule_->phm_rule.size(0);
    W_left = register_parameter("W_left", torch::empty({n, in / n, rank}));
    W_right = register_parameter("W_right", torch::empty({n, rank, out / n}));
    b = register_parameter("b", torch::zeros({out}));
    torch::NoGradGuard ng;
    for (std::int64_t i = 0; i < n; ++i) {
      torch::nn::init::xavier_uniform_(W_left[i], std::sqrt(2.0));
      torch::nn::init::xavier_uniform_(W_right[i], std::sqrt(2.0));
    }
    if (zero_right) W_right.zero_();
  }

  /// W = Σ_i A_i ⊗ (s_i t_i) [in, out]: W[a·p + c, e·q + d] = Σ_i A_i[a, e] B_i[c, d].
  [[nodiscard]] torch::Tensor weight() const {
    const auto& a = rule_->phm_rule;
    auto bi = torch::matmul(W_left, W_right);  // [n, in/n, out/n]
    return torch::einsum("iae,icd->aced", {a, bi}).reshape({in_, out_});
  }
  /// x [.., in] → [.., out].
  torch::Tensor forward(const torch::Tensor& x) { return torch::matmul(x, weight()) + b; }

  [[nodiscard]] const compacter_shared& shared() const { return *rule_; }

  torch::Tensor W_left, W_right, b;

 private:
  std::int64_t in_, out_;
  std::shared_ptr<compacter_shared> rule_;
};

/// One Compacter adapter: h + up(act(down(h))).
class compacter_adapter : public torch::nn::Module {
 public:
  compacter_adapter(std::int64_t hidden, std::int64_t size, std::int64_t rank, const std::string& act,
                    const std::shared_ptr<compacter_shared>& rule)
      : act_(act) {
    down = register_module("down", std::make_shared<phm_linear>(hidden, size, rank, rule, false));
    up = register_module("up", std::make_shared<phm_linear>(size, hidden, rank, rule, true));
  }
  /// h [B, S, H] → h + up(act(down(h))).
  torch::Tensor forward(const torch::Tensor& h) { return h + up->forward(act_(down->forward(h))); }

  std::shared_ptr<phm_linear> down, up;

 private:
  model::activation act_;
};

class compacter_layer : public torch::nn::Module {
 public:
  struct options {
    std::int64_t hidden, size, rank;
    std::string non_linearity = "gelu";
    /// Houlsby placement: an adapter after attention too.
    bool after_attention = false;
  };

  /// `rule`: the shared PHM rule; registered as this layer's child when `owns_rule`.
  compacter_layer(const options& o, std::shared_ptr<compacter_shared> rule, bool owns_rule) {
    if (owns_rule) register_module("shared", rule);
    auto adapter = [&] { return std::make_shared<compacter_adapter>(o.hidden, o.size, o.rank, o.non_linearity, rule); };
    if (o.after_attention) attention = register_module("attention", adapter());
    output = register_module("output", adapter());
  }
  torch::Tensor after_attention(torch::Tensor h) { return attention ? attention->forward(h) : h; }
  torch::Tensor after_ffn(torch::Tensor h, const torch::Tensor&) { return output->forward(h); }

  std::shared_ptr<compacter_adapter> attention, output;
};

/// Example:
///   auto c = peft::compacter{};                                       // Compacter++, n = 4, H/32
///   auto d = peft::compacter{}.placement(peft::compacter::houlsby).phm_dim(8).bottleneck_size(64);
struct compacter {
  /// houlsby: Compacter (after attention and after the FFN); pfeiffer: Compacter++ (after the FFN).
  enum placement_kind { houlsby, pfeiffer };
  static constexpr std::string_view name = "compacter";
  using layer_module = compacter_layer;
  using model_module = compacter_shared;

  TORCH_ARG(std::int64_t, phm_dim) = 4;
  TORCH_ARG(std::int64_t, phm_rank) = 1;
  TORCH_ARG(std::int64_t, reduction_factor) = 32;
  /// 0: H / reduction_factor.
  TORCH_ARG(std::int64_t, bottleneck_size) = 0;
  TORCH_ARG(std::string, non_linearity) = "gelu";
  TORCH_ARG(placement_kind, placement) = pfeiffer;
  /// Standard deviation of the shared A_i at initialisation.
  TORCH_ARG(double, phm_init_range) = 1e-4;
  TORCH_ARG(std::vector<std::int64_t>, layers_to_transform) = {};

 public:  // TORCH_ARG leaves the access private
  [[nodiscard]] std::int64_t size(const model::EncoderConfig& c) const {
    return bottleneck_size_ > 0 ? bottleneck_size_ : c.hidden_size / std::max<std::int64_t>(reduction_factor_, 1);
  }

  std::shared_ptr<compacter_shared> build_model(const model::embedding_context& ctx) const {
    check(ctx.config);
    if (selected_layers(ctx.config) == 0) return nullptr;
    return std::make_shared<compacter_shared>(phm_dim_, phm_init_range_);
  }

  std::shared_ptr<compacter_layer> build_layer(const model::layer_context& ctx) const {
    check(ctx.config);
    if (!layer_selected(layers_to_transform_, ctx.index)) return nullptr;
    std::shared_ptr<compacter_shared> rule;
    if (ctx.embeddings) {
      auto modules = ctx.embeddings->named_modules("", false);
      if (auto* m = modules.find("peft." + std::string(name))) rule = std::dynamic_pointer_cast<compacter_shared>(*m);
    }
    const bool owns = !rule;
    if (owns) rule = std::make_shared<compacter_shared>(phm_dim_, phm_init_range_);
    return std::make_shared<compacter_layer>(
        compacter_layer::options{ctx.config.hidden_size, size(ctx.config), phm_rank_, non_linearity_, placement_ == houlsby},
        std::move(rule), owns);
  }

  [[nodiscard]] std::int64_t trainable_parameters(const model::EncoderConfig& c) const {
    check(c);
    const auto layers = selected_layers(c);
    if (layers == 0) return 0;
    const auto h = c.hidden_size, b = size(c), k = phm_rank_;
    const auto adapters = layers * (placement_ == houlsby ? 2 : 1);
    return phm_dim_ * phm_dim_ * phm_dim_ + adapters * (2 * k * (h + b) + b + h);
  }

 private:
  [[nodiscard]] std::int64_t selected_layers(const model::EncoderConfig& c) const {
    std::int64_t n = 0;
    for (std::int64_t l = 0; l < c.num_hidden_layers; ++l) n += layer_selected(layers_to_transform_, l);
    return n;
  }
  void check(const model::EncoderConfig& c) const {
    const auto n = phm_dim_, b = size(c);
    if (n <= 0 || phm_rank_ <= 0) throw error("compacter: options 'phm_dim' and 'phm_rank' must be positive");
    if (b <= 0) throw error("compacter: the bottleneck size must be positive (set bottleneck_size or reduction_factor)");
    if (c.hidden_size % n != 0 || b % n != 0)
      throw error("compacter: phm_dim " + std::to_string(n) + " must divide the hidden size (" +
                  std::to_string(c.hidden_size) + ") and the bottleneck size (" + std::to_string(b) +
                  "); choose phm_dim, bottleneck_size or reduction_factor accordingly");
  }
};

}  // namespace autopeft::peft
