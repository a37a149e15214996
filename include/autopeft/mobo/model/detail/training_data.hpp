#pragma once
// Validated, normalised and standardised training data, shared by the GP models. Internal.
#include <autopeft/error.hpp>
#include <autopeft/mobo/model/gp_options.hpp>
#include <autopeft/mobo/model/multivariate_normal.hpp>

#include <torch/torch.h>

#include <sstream>
#include <string>

namespace autopeft::mobo::detail {

struct training_data {
  torch::Tensor x;            // [n, d] in [0, 1]^d
  torch::Tensor y;            // [m, n] standardised
  torch::Tensor lower;        // [d]
  torch::Tensor width;        // [d]
  torch::Tensor y_mean;       // [m]
  torch::Tensor y_std;        // [m]
  torch::Tensor fixed_noise;  // [m, n] standardised, or undefined when the noise is learned

  training_data(const torch::Tensor& train_x, const torch::Tensor& train_y, const gp_options& o,
                const std::string& where) {
    auto fail = [&](const std::string& what) { throw error(where + ": " + what); };
    if (train_x.dim() != 2 || train_x.size(0) < 1 || train_x.size(1) < 1)
      fail("train_x has shape " + shape(train_x) + "; expected [n, d] with n, d >= 1");
    if (train_y.dim() < 1 || train_y.dim() > 2 || train_y.size(0) != train_x.size(0))
      fail("train_y has shape " + shape(train_y) + "; expected [n, m] (or [n]) with n = " +
           std::to_string(train_x.size(0)) + " rows like train_x");
    const auto xd = train_x.detach().to(torch::kFloat64);
    auto yd = train_y.detach().to(torch::kFloat64);
    if (yd.dim() == 1) yd = yd.unsqueeze(-1);
    if (!torch::isfinite(xd).all().item<bool>()) fail("train_x has NaN or infinite entries");
    if (!torch::isfinite(yd).all().item<bool>()) fail("train_y has NaN or infinite entries");
    const auto n = xd.size(0), d = xd.size(1), m = yd.size(1);

    if (o.bounds) {
      const auto b = o.bounds->detach().to(torch::kFloat64);
      if (b.dim() != 2 || b.size(0) != 2 || b.size(1) != d)
        fail("gp_options.bounds has shape " + shape(b) + "; expected [2, " + std::to_string(d) +
             "] (lower row, upper row)");
      if (!(b[1] >= b[0]).all().item<bool>())
        fail("gp_options.bounds has an upper bound below its lower bound");
      lower = b[0].clone();
      width = b[1] - b[0];
    } else {
      lower = std::get<0>(xd.min(0));
      width = std::get<0>(xd.max(0)) - lower;
    }
    width = torch::where(width > 0, width, torch::ones_like(width));
    x = normalize(xd);

    const auto yt = yd.t().contiguous();  // [m, n]
    if (o.standardize) {
      y_mean = yt.mean(-1);
      y_std = n > 1 ? yt.std(-1, /*unbiased=*/true) : torch::ones({m}, torch::kFloat64);
      y_std = torch::where(y_std >= 1e-8, y_std, torch::ones_like(y_std));
    } else {
      y_mean = torch::zeros({m}, torch::kFloat64);
      y_std = torch::ones({m}, torch::kFloat64);
    }
    y = (yt - y_mean.unsqueeze(-1)) / y_std.unsqueeze(-1);

    if (o.train_yvar) {
      torch::Tensor v;
      try {
        v = o.train_yvar->detach().to(torch::kFloat64).expand({n, m});
      } catch (const std::exception&) {
        fail("gp_options.train_yvar has shape " + shape(*o.train_yvar) +
             ", which does not broadcast to [n, m] = [" + std::to_string(n) + ", " +
             std::to_string(m) + "]");
      }
      if (!(v >= 0).all().item<bool>()) fail("gp_options.train_yvar has negative variances");
      fixed_noise = v.t() / y_std.pow(2).unsqueeze(-1);
    }
  }

  [[nodiscard]] std::int64_t n() const { return x.size(0); }
  [[nodiscard]] std::int64_t d() const { return x.size(1); }
  [[nodiscard]] std::int64_t m() const { return y.size(0); }

  /// Original inputs [..., d] -> [0, 1]^d.
  [[nodiscard]] torch::Tensor normalize(const torch::Tensor& raw_x) const {
    return (raw_x - lower) / width;
  }
  /// Original outcomes [..., n, m] -> standardised.
  [[nodiscard]] torch::Tensor standardize(const torch::Tensor& raw_y) const {
    return (raw_y - y_mean) / y_std;
  }
  /// Standardised outcomes [..., n, m] -> original.
  [[nodiscard]] torch::Tensor unstandardize(const torch::Tensor& std_y) const {
    return std_y * y_std + y_mean;
  }
  /// Latent posterior in the standardised scale, mean [..., m, n] -> original scale.
  [[nodiscard]] multivariate_normal unstandardize(multivariate_normal p) const {
    p.mean = p.mean * y_std.unsqueeze(-1) + y_mean.unsqueeze(-1);
    p.covariance = p.covariance * y_std.pow(2).unsqueeze(-1).unsqueeze(-1);
    return p;
  }

  /// Query points [..., q, d] (original scale) normalised, with `model_batch_dims` singleton
  /// dims inserted before q so that the kernel broadcasts them against its batch.
  [[nodiscard]] torch::Tensor query(const torch::Tensor& raw_x, std::int64_t model_batch_dims,
                                    const std::string& where) const {
    if (raw_x.dim() < 2 || raw_x.size(-1) != d())
      throw error(where + ": X has shape " + shape(raw_x) + "; expected [n, " +
                  std::to_string(d()) + "] or [b, q, " + std::to_string(d()) + "]");
    auto xq = normalize(raw_x.to(torch::kFloat64));
    for (std::int64_t i = 0; i < model_batch_dims; ++i) xq = xq.unsqueeze(-3);
    return xq;
  }

  static std::string shape(const torch::Tensor& t) {
    std::ostringstream s;
    s << t.sizes();
    return s.str();
  }
};

}  // namespace autopeft::mobo::detail
