#pragma once
// Rotary position embeddings (Su et al., RoFormer 2021) in HuggingFace's layout: dimension i of
// the first half of a head turns with dimension i of the second half ("rotate_half"), at
// frequency theta^(-2i/d). With HF's rope_scaling "linear" the frequencies are divided by the
// factor; with "llama3" (Llama 3.1) only the low ones, with a smooth blend between the
// wavelengths original_max_position_embeddings / low_freq_factor and / high_freq_factor.
#include <autopeft/model/decoder_config.hpp>

#include <torch/torch.h>

#include <cmath>
#include <numbers>
#include <utility>
#include <vector>

namespace autopeft::model {

/// The d/2 inverse frequencies of a head of `config`, in fp32.
inline torch::Tensor rope_inverse_frequencies(const DecoderConfig& config) {
  const auto d = config.dim_per_head();
  std::vector<float> inv(static_cast<std::size_t>(d / 2));
  const auto& s = config.rope_scaling;
  for (std::int64_t i = 0; i < d / 2; ++i) {
    double f = 1.0 / std::pow(config.rope_theta, static_cast<double>(2 * i) / static_cast<double>(d));
    if (s.rope_type == "linear") {
      f /= s.factor;
    } else if (s.rope_type == "llama3") {
      const double old = static_cast<double>(s.original_max_position_embeddings);
      const double low_wavelen = old / s.low_freq_factor, high_wavelen = old / s.high_freq_factor;
      const double wavelen = 2 * std::numbers::pi / f;
      if (wavelen > low_wavelen) {
        f /= s.factor;
      } else if (wavelen >= high_wavelen) {  // between: a blend of scaled and unscaled
        const double smooth = (old / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
        f = (1 - smooth) * f / s.factor + smooth * f;
      }
    }
    inv[static_cast<std::size_t>(i)] = static_cast<float>(f);
  }
  return torch::tensor(inv);
}

/// cos and sin [B, S, d] of `positions` [B, S] (int64), for inverse frequencies [d/2].
inline std::pair<torch::Tensor, torch::Tensor> rope_cos_sin(const torch::Tensor& inverse_frequencies,
                                                            const torch::Tensor& positions) {
  const auto freqs = positions.to(torch::kFloat32).unsqueeze(-1) * inverse_frequencies.to(positions.device()).view({1, 1, -1});
  const auto emb = torch::cat({freqs, freqs}, -1);
  return {emb.cos(), emb.sin()};
}

/// x [B, H, S, d] turned by cos/sin [B, S, d].
inline torch::Tensor apply_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const auto half = x.size(-1) / 2;
  const auto rotated = torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  const auto c = cos.unsqueeze(1).to(x.scalar_type()), s = sin.unsqueeze(1).to(x.scalar_type());
  return x * c + rotated * s;
}

}  // namespace autopeft::model
