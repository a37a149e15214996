#pragma once
// LoRA's initialisations, HF PEFT's `init_lora_weights` (PEFT 0.21, LoraConfig). For a site with
// base weight W [out, in], rank r and scaling s:
//
//   true        A kaiming-uniform (a = √5, nn.Linear's default), B = 0            (Hu et al., 2021)
//   "gaussian"  A ~ N(0, (1/r)²) (HF's std = 1/r), B = 0
//   "pissa"     W = U S Vᵀ (SVD), A = √(S_r/s) V_rᵀ, B = U_r √(S_r/s), W ← W − s B A
//               (Meng et al., 2024, "PiSSA: Principal Singular Values and Singular Vectors Adaptation")
//   "olora"     W = Q R (QR), A = R_{:r}, B = Q_{:, :r}, W ← W − s B A
//               (Büyükakyüz, 2024, "OLoRA: Orthonormal Low-Rank Adaptation")
//   false       A and B kaiming-uniform: the update starts away from zero (for tests)
//
// B = 0 leaves the model's output unchanged at initialisation; PiSSA and OLoRA instead move the
// principal part s B A out of the base weight, so the residual W − s B A plus the adapter again
// equals W. They change the base model: a model with a PiSSA or OLoRA adapter holds the residual,
// and rebuilding its PEFT modules on the same backbone (EncoderModel::reset_peft) would start from
// that residual, so load the base weights again before building another plan on it.
// HF's fast SVD ("pissa_niter_K", a randomised SVD) and the data-driven initialisations (corda,
// eva, loftq, lora_ga) are refused with a message.
//
// Saving: save_adapter writes a PiSSA or OLoRA adapter as HF does without
// `path_initial_model_for_weight_conversion`: the trained A and B and init_lora_weights "pissa" or
// "olora". Such an adapter is applied to the original base model by building the model with the
// same initialisation (policy_from_config reads it), which computes the same residual from W, and
// then load_adapter. HF's conversion into a plain rank-2r LoRA ([A | A₀], [B | −B₀]) is not done.
//
// Example:
//   auto p = peft::lora{}.r(8).lora_alpha(16).init_lora_weights("pissa").target_modules({"query", "value"});
//   auto g = peft::lora{}.r(8).init_lora_weights("gaussian");
//   peft::lora_init init = false;   // A and B both random
#include <autopeft/error.hpp>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>

namespace autopeft::peft {

class lora_init {
 public:
  enum class kind { kaiming, random, gaussian, pissa, olora };

  /// true: kaiming-uniform A and zero B (HF's default); false: both random.
  lora_init(bool zero_b = true) : kind_(zero_b ? kind::kaiming : kind::random) {}  // NOLINT: HF's vocabulary
  /// "gaussian", "pissa" or "olora"; throws for another name.
  lora_init(const char* name) : kind_(parse(name)) {}         // NOLINT
  lora_init(const std::string& name) : kind_(parse(name)) {}  // NOLINT

  [[nodiscard]] kind value() const { return kind_; }
  /// Whether the initialisation moves part of the base weight into the adapter (PiSSA, OLoRA).
  [[nodiscard]] bool changes_base() const { return kind_ == kind::pissa || kind_ == kind::olora; }
  bool operator==(const lora_init&) const = default;

  /// The value of adapter_config.json's `init_lora_weights`, as HF writes it.
  [[nodiscard]] nlohmann::json to_json() const {
    switch (kind_) {
      case kind::kaiming: return true;
      case kind::random: return false;
      case kind::gaussian: return "gaussian";
      case kind::pissa: return "pissa";
      case kind::olora: return "olora";
    }
    return true;
  }
  /// Reads `init_lora_weights` (a bool or a name); `file` names the source in the message.
  static lora_init from_json(const nlohmann::json& v, const std::filesystem::path& file) {
    if (v.is_null()) return true;
    if (v.is_boolean()) return v.get<bool>();
    if (!v.is_string()) throw file_error(file, "field 'init_lora_weights' must be a bool or a name, not " + v.dump());
    try {
      return v.get<std::string>();
    } catch (const error& e) {
      throw file_error(file, std::string("field 'init_lora_weights': ") + e.what());
    }
  }

  /// Initialises A [r, in] and B [out, r] in place; PiSSA and OLoRA also replace `weight`
  /// [out, in] by the residual weight − scaling · B A (computed in float32, stored in weight's dtype).
  void apply(torch::Tensor& a, torch::Tensor& b, torch::Tensor& weight, double scaling) const {
    torch::NoGradGuard ng;
    const auto r = a.size(0);
    switch (kind_) {
      case kind::kaiming:
      case kind::random:
        torch::nn::init::kaiming_uniform_(a, std::sqrt(5.0));
        if (kind_ == kind::kaiming) b.zero_();
        else torch::nn::init::kaiming_uniform_(b, std::sqrt(5.0));
        return;
      case kind::gaussian:
        torch::nn::init::normal_(a, 0.0, 1.0 / static_cast<double>(r));
        b.zero_();
        return;
      case kind::pissa:
      case kind::olora: break;
    }
    const auto w = weight.detach().to(torch::kFloat32);
    if (r > std::min(w.size(0), w.size(1)))
      throw error(std::string("lora: init_lora_weights '") + to_json().get<std::string>() + "' needs r <= min(in, out) = " +
                  std::to_string(std::min(w.size(0), w.size(1))) + " but r is " + std::to_string(r) +
                  "; lower r (or rank_pattern for this site)");
    torch::Tensor new_a, new_b;
    if (kind_ == kind::pissa) {
      auto [u, s, vh] = torch::linalg::svd(w, false, {});
      const auto root = (s.slice(0, 0, r) / scaling).sqrt();
      new_a = root.unsqueeze(1) * vh.slice(0, 0, r);
      new_b = u.slice(1, 0, r) * root.unsqueeze(0);
    } else {
      auto [q, rr] = torch::linalg::qr(w);
      new_a = rr.slice(0, 0, r);
      new_b = q.slice(1, 0, r);
    }
    a.copy_(new_a);
    b.copy_(new_b);
    weight.copy_(w - scaling * torch::matmul(new_b, new_a));
  }

 private:
  static kind parse(std::string_view name) {
    if (name == "gaussian") return kind::gaussian;
    if (name == "pissa") return kind::pissa;
    if (name == "olora") return kind::olora;
    std::string hint = "use true, false, \"gaussian\", \"pissa\" or \"olora\"";
    if (name.rfind("pissa_niter_", 0) == 0) hint = "the randomised SVD is not supported; use \"pissa\" (the exact SVD)";
    throw error("lora: init_lora_weights \"" + std::string(name) + "\" is not supported: " + hint);
  }
  kind kind_;
};

}  // namespace autopeft::peft
