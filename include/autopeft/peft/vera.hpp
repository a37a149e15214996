#pragma once
// VeRA (Kopiczko et al., 2024, "VeRA: Vector-based Random Matrix Adaptation"): one pair of frozen
// random matrices shared by every adapted site, and two trained scaling vectors per site,
//
//   y = W x + b + Λ_b B Λ_d A dropout(x),   Λ_b = diag(vera_lambda_b) [out], Λ_d = diag(vera_lambda_d) [r],
//   A = vera_A[:, :in] (vera_A [r, in_max]),  B = vera_B[:out, :] (vera_B [out_max, r]),
// where in_max / out_max are the largest input / output sizes among the targeted sites (HF slices
// one pair for sites of different shapes). A and B are drawn as in HF PEFT: a CPU generator seeded
// with projection_prng_key, A then B, each uniform(±√3 · √2 / √fan_in) with fan_in their column
// count, so the same key gives HF's bit-identical matrices (checked against HF PEFT 0.21 on
// torch 2.11 from LibTorch 1.13 in tests/peft/test_linear_policies.cpp).
// Initialisation (init_weights, HF's): lambda_b = 0, lambda_d = d_initial, so ΔW = 0;
// init_weights(false): lambda_b = 1, lambda_d ~ N(0, 1) (for tests).
//
// Where A and B live: once per model, as *buffers* (frozen, not parameters) of the model module
// `vera_projection`, registered at `<backbone>.embeddings.peft.vera.{vera_A, vera_B}` (HF:
// `base_model.model.vera_A.default`). Site modules hold an unregistered handle to it, so the
// matrices exist once in memory, move with the model, and are counted by no parameter count. A
// layer built on its own (no embeddings) gets a private copy per site, drawn from the same key.
// save_projection(false) asks checkpoint writers to leave the buffers out (they are regenerated
// from projection_prng_key), as HF's non-persistent BufferDict.
//
// Options and defaults are HF PEFT's VeraConfig (bert's default targets):
//   r 256, target_modules {"query", "value"}, projection_prng_key 0, save_projection true,
//   vera_dropout 0, d_initial 0.1, layers_to_transform {}, init_weights true.
// Trainable parameters per site: r + out. bert-base, r = 256 on query and value:
// 12 · 2 · (256 + 768) = 24,576, HF PEFT's figure.
#include <autopeft/error.hpp>
#include <autopeft/peft/delta_weight_merge.hpp>
#include <autopeft/peft/detail/adapter_fields.hpp>
#include <autopeft/peft/linear_sites.hpp>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <utility>

namespace autopeft::peft {

/// The shared frozen pair: vera_A [r, in_max], vera_B [out_max, r] (buffers).
class vera_projection : public torch::nn::Module {
 public:
  vera_projection(std::int64_t r, std::int64_t in_max, std::int64_t out_max, std::int64_t projection_prng_key) {
    auto gen = at::detail::createCPUGenerator(static_cast<std::uint64_t>(projection_prng_key));
    // HF's _kaiming_init: uniform(-b, b) with b = √3 · √2 / √fan_in, fan_in = size(1).
    auto kaiming = [&](torch::Tensor t) {
      const double std = std::sqrt(2.0) / std::sqrt(static_cast<double>(t.size(1)));
      const double bound = std::sqrt(3.0) * std;
      torch::NoGradGuard ng;
      return t.uniform_(-bound, bound, gen);
    };
    vera_A = register_buffer("vera_A", kaiming(torch::empty({r, in_max})));
    vera_B = register_buffer("vera_B", kaiming(torch::empty({out_max, r})));
  }

  torch::Tensor vera_A, vera_B;
};

class vera_site : public torch::nn::Module, public delta_weight_merge<vera_site> {
 public:
  struct options {
    std::int64_t in, out, r;
    double d_initial = 0.1, dropout = 0;
    bool init_weights = true;
  };

  /// `shared`: the pair this site slices; registered as its child when `owns_projection`.
  vera_site(const options& o, std::shared_ptr<vera_projection> shared, bool owns_projection)
      : in_(o.in), out_(o.out), dropout_(o.dropout), projection_(std::move(shared)) {
    const auto in = o.in, out = o.out, r = o.r;
    if (owns_projection) register_module("projection", projection_);
    if (projection_->vera_A.size(0) != r || projection_->vera_A.size(1) < in || projection_->vera_B.size(0) < out)
      throw error("vera: the shared projection (vera_A [" + std::to_string(projection_->vera_A.size(0)) + ", " +
                  std::to_string(projection_->vera_A.size(1)) + "], vera_B [" +
                  std::to_string(projection_->vera_B.size(0)) + ", r]) does not cover a site of shape [" +
                  std::to_string(out) + ", " + std::to_string(in) + "] with r = " + std::to_string(r) +
                  "; build the embeddings' model module with the same vera options as the layers");
    vera_lambda_b = register_parameter("vera_lambda_b", o.init_weights ? torch::zeros({out}) : torch::ones({out}));
    vera_lambda_d = register_parameter("vera_lambda_d",
                                       o.init_weights ? torch::full({r}, o.d_initial) : torch::randn({r}));
  }

  /// A [r, in] and B [out, r], the slices of the shared pair this site uses.
  [[nodiscard]] torch::Tensor A() const { return projection_->vera_A.narrow(1, 0, in_); }
  [[nodiscard]] torch::Tensor B() const { return projection_->vera_B.narrow(0, 0, out_); }

  /// Λ_b B Λ_d A, the update of the base weight [out, in].
  [[nodiscard]] torch::Tensor delta_weight() const {
    auto a = A().to(vera_lambda_d.device(), vera_lambda_d.scalar_type());
    auto b = B().to(vera_lambda_b.device(), vera_lambda_b.scalar_type());
    return torch::matmul(vera_lambda_b.unsqueeze(-1) * b, vera_lambda_d.unsqueeze(-1) * a);
  }

  /// delta_weight_merge's reparametrisation, refused while training with vera_dropout, which
  /// acts on the update's input and no weight can express.
  [[nodiscard]] std::pair<torch::Tensor, torch::Tensor> reparametrize(const torch::Tensor& w, const torch::Tensor& b) {
    if (!merged() && dropout_ > 0 && is_training())
      throw error("vera: vera_dropout " + std::to_string(dropout_) + " acts on the input of the update, which a "
                  "reparametrised plain torch::nn::Linear cannot express; set vera_dropout(0) for plain "
                  "Linear targets, or declare the layer autopeft::peft::Linear");
    return delta_weight_merge<vera_site>::reparametrize(w, b);
  }

  torch::Tensor output(const torch::Tensor& x, torch::Tensor y, torch::nn::LinearImpl& /*base*/) {
    if (merged()) return y;
    auto xd = dropout_ > 0 && is_training() ? torch::dropout(x, dropout_, true) : x;
    auto a = A().to(vera_lambda_d.device(), vera_lambda_d.scalar_type());
    auto b = B().to(vera_lambda_b.device(), vera_lambda_b.scalar_type());
    auto low = vera_lambda_b * torch::linear(vera_lambda_d * torch::linear(xd.to(a.scalar_type()), a), b);
    return y + low.to(y.scalar_type());
  }

  [[nodiscard]] const vera_projection& projection() const { return *projection_; }

  torch::Tensor vera_lambda_b;  ///< [out]
  torch::Tensor vera_lambda_d;  ///< [r]

 private:
  std::int64_t in_, out_;
  double dropout_;
  std::shared_ptr<vera_projection> projection_;
};

/// Example:
///   auto p = peft::vera{}.r(256).target_modules({"query", "value"}).projection_prng_key(0);
struct vera : linear_policy<vera> {
  static constexpr std::string_view name = "vera";
  using site_module = vera_site;
  using layer_module = linear_sites_module<vera_site>;
  using model_module = vera_projection;

  TORCH_ARG(std::int64_t, r) = 256;
  TORCH_ARG(targets, target_modules) = targets{"query", "value"};
  TORCH_ARG(std::int64_t, projection_prng_key) = 0;
  TORCH_ARG(bool, save_projection) = true;
  TORCH_ARG(double, vera_dropout) = 0.0;
  TORCH_ARG(double, d_initial) = 0.1;
  TORCH_ARG(std::vector<std::int64_t>, layers_to_transform) = {};
  /// true: lambda_b = 0, lambda_d = d_initial (the update starts at zero); false: random.
  TORCH_ARG(bool, init_weights) = true;

 public:  // TORCH_ARG leaves the access private
  // HF PEFT's adapter format (VeraConfig; peft/adapter_io.hpp).
  static constexpr std::string_view peft_type = "VERA";
  static constexpr std::string_view hf_tensor_prefix = "vera_";
  /// The frozen pair its sites share: HF keeps it once, at base_model.vera_A and base_model.vera_B.
  static constexpr std::array<std::string_view, 2> hf_shared_tensors{"vera_A", "vera_B"};
  [[nodiscard]] nlohmann::json to_adapter_config(const model::EncoderConfig&) const {
    const auto& p = *this;
    return {{"bias", "none"}, {"d_initial", p.d_initial()}, {"fan_in_fan_out", false},
            {"init_weights", p.init_weights()}, {"layers_pattern", nullptr},
            {"layers_to_transform", detail::layers_json(p.layers_to_transform())},
            {"projection_prng_key", p.projection_prng_key()}, {"r", p.r()},
            {"save_projection", p.save_projection()}, {"target_modules", detail::targets_json(p.target_modules())},
            {"vera_dropout", p.vera_dropout()}};
  }
  static vera from_adapter_config(const nlohmann::json& j, const std::filesystem::path& file) {
    using detail::field, detail::require;
    require(j, "bias", "none", file, "VeRA here trains no biases");
    require(j, "fan_in_fan_out", false, file, "BERT and RoBERTa use nn.Linear");
    require(j, "layers_pattern", nullptr, file, "BERT and RoBERTa layers are found without it");
    vera p;
    p.r(field<std::int64_t>(j, "r", 256, file))
        .target_modules(detail::targets_field(j, "target_modules", p.target_modules(), file))
        .projection_prng_key(field<std::int64_t>(j, "projection_prng_key", 0, file))
        .save_projection(field<bool>(j, "save_projection", true, file))
        .vera_dropout(field<double>(j, "vera_dropout", 0.0, file))
        .d_initial(field<double>(j, "d_initial", 0.1, file))
        .layers_to_transform(detail::layers_field(j, file))
        .init_weights(field<bool>(j, "init_weights", true, file));
    return p;
  }
  /// save_adapter writes the shared pair too (HF's save_projection); else HF regenerates it from
  /// projection_prng_key.
  [[nodiscard]] bool hf_saves_buffers() const { return save_projection_; }

  /// (in_max, out_max) over the targeted sites (HF's `_find_dim`); (0, 0) when none is targeted.
  [[nodiscard]] std::pair<std::int64_t, std::int64_t> projection_shape(const model::EncoderConfig& c) const {
    std::int64_t in_max = 0, out_max = 0;
    for (std::int64_t l = 0; l < c.num_hidden_layers; ++l)
      for (auto s : model::linear_sites)
        if (selects(l, s)) {
          auto [in, out] = linear_shape(c, s);
          in_max = std::max(in_max, in);
          out_max = std::max(out_max, out);
        }
    return {in_max, out_max};
  }

  std::shared_ptr<vera_projection> build_model(const model::embedding_context& ctx) const {
    auto [in_max, out_max] = projection_shape(ctx.config);
    if (in_max == 0) return nullptr;
    check();
    return std::make_shared<vera_projection>(r_, in_max, out_max, projection_prng_key_);
  }

  /// peft::inject's shared pair for the matched Linears of a user's tree, sized over them (HF's
  /// `_find_dim`); inject registers it once at `peft.vera` of the tree's root.
  std::shared_ptr<vera_projection> build_injected_model(const std::vector<const torch::nn::LinearImpl*>& targets) const {
    check();
    std::int64_t in_max = 0, out_max = 0;
    for (const auto* l : targets) {
      in_max = std::max(in_max, l->options.in_features());
      out_max = std::max(out_max, l->options.out_features());
    }
    return std::make_shared<vera_projection>(r_, in_max, out_max, projection_prng_key_);
  }

  std::shared_ptr<vera_site> build_site(const model::layer_context& ctx, model::site,
                                        torch::nn::LinearImpl& base) const {
    check();
    std::shared_ptr<vera_projection> shared;
    if (ctx.embeddings) {
      auto modules = ctx.embeddings->named_modules("", false);
      if (auto* m = modules.find("peft." + std::string(name))) shared = std::dynamic_pointer_cast<vera_projection>(*m);
    }
    const bool owns = !shared;
    if (owns) {
      auto [in_max, out_max] = projection_shape(ctx.config);
      shared = std::make_shared<vera_projection>(r_, in_max, out_max, projection_prng_key_);
    }
    return std::make_shared<vera_site>(
        vera_site::options{base.options.in_features(), base.options.out_features(), r_, d_initial_, vera_dropout_,
                           init_weights_},
        std::move(shared), owns);
  }
  [[nodiscard]] std::int64_t site_parameters(std::int64_t /*in*/, std::int64_t out) const { return r_ + out; }

 private:
  void check() const {
    if (r_ <= 0) throw error("vera: option 'r' must be positive, got " + std::to_string(r_));
    if (vera_dropout_ < 0 || vera_dropout_ >= 1)
      throw error("vera: option 'vera_dropout' must be in [0, 1), got " + std::to_string(vera_dropout_));
  }
};

}  // namespace autopeft::peft
