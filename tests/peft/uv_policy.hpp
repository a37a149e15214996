#pragma once
// A PEFT policy that only the tests know, written as a user adds one: this file is all of it.
// It carries every fact the library reads (docs/ARCHITECTURE.md, "Add a policy"), so it trains
// in any plan, is injected into user modules, is sized by a search space's size_of<uv, D>,
// merges, and is saved and loaded in HF PEFT's adapter format; the law suite
// (test_linear_policies.cpp) and test_adapter_io.cpp check all of that.
//
//   y = W x + b + ΔW x,   ΔW = (scale / r) · U Vᵀ,   U ∈ R^{out×r} (zero), V ∈ R^{in×r} (kaiming-uniform)
// Trainable parameters per site: r (in + out).
#include <autopeft/error.hpp>
#include <autopeft/peft/adapter_config.hpp>
#include <autopeft/peft/delta_weight_merge.hpp>
#include <autopeft/peft/detail/adapter_fields.hpp>
#include <autopeft/peft/linear_sites.hpp>
#include <autopeft/peft/size_member.hpp>

#include <torch/torch.h>

#include <cmath>
#include <string>

namespace autopeft::testing {

class uv_site : public torch::nn::Module, public peft::delta_weight_merge<uv_site> {
 public:
  uv_site(std::int64_t in, std::int64_t out, std::int64_t r, double scaling) : scaling_(scaling) {
    uv_U = register_parameter("uv_U", torch::zeros({out, r}));
    uv_V = register_parameter("uv_V", torch::empty({in, r}));
    torch::NoGradGuard ng;
    torch::nn::init::kaiming_uniform_(uv_V, std::sqrt(5.0));
  }
  /// (scale / r) · U Vᵀ [out, in].
  [[nodiscard]] torch::Tensor delta_weight() const { return torch::matmul(uv_U, uv_V.t()) * scaling_; }
  /// x [.., in], y [.., out].
  torch::Tensor output(const torch::Tensor& x, torch::Tensor y, torch::nn::LinearImpl& /*base*/) {
    return merged() ? y : y + torch::linear(x, delta_weight());
  }

  torch::Tensor uv_U, uv_V;

 private:
  double scaling_;
};

struct uv : peft::linear_policy<uv> {
  static constexpr std::string_view name = "uv";
  using site_module = uv_site;
  using layer_module = peft::linear_sites_module<uv_site>;
  using model_module = void;

  TORCH_ARG(std::int64_t, r) = 4;
  TORCH_ARG(double, scale) = 4;
  TORCH_ARG(peft::targets, target_modules) = peft::targets{"query", "value"};
  TORCH_ARG(std::vector<std::int64_t>, layers_to_transform) = {};

 public:  // TORCH_ARG leaves the access private
  /// The size a search space's size_of<uv, D> sets.
  using size_option = peft::size_member<&uv::r_>;

  // HF PEFT's adapter format: its own peft_type, HF's file layout and key names.
  static constexpr std::string_view peft_type = "UV";
  static constexpr std::string_view hf_tensor_prefix = "uv_";
  [[nodiscard]] nlohmann::json to_adapter_config(const model::EncoderConfig&) const {
    return {{"r", r_}, {"scale", peft::detail::number(scale_)},
            {"target_modules", peft::detail::targets_json(target_modules_)},
            {"layers_to_transform", peft::detail::layers_json(layers_to_transform_)}};
  }
  static uv from_adapter_config(const nlohmann::json& j, const std::filesystem::path& file) {
    uv p;
    p.r(peft::detail::field<std::int64_t>(j, "r", 4, file))
        .scale(peft::detail::field<double>(j, "scale", 4, file))
        .target_modules(peft::detail::targets_field(j, "target_modules", p.target_modules(), file))
        .layers_to_transform(peft::detail::layers_field(j, file));
    return p;
  }

  std::shared_ptr<uv_site> build_site(const model::layer_context&, model::site, torch::nn::LinearImpl& base) const {
    if (r_ <= 0) throw error("uv: option 'r' must be positive, got " + std::to_string(r_));
    return std::make_shared<uv_site>(base.options.in_features(), base.options.out_features(), r_,
                                     scale_ / static_cast<double>(r_));
  }
  [[nodiscard]] std::int64_t site_parameters(std::int64_t in, std::int64_t out) const { return r_ * (in + out); }
};

}  // namespace autopeft::testing
