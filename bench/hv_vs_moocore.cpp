// Our exact hypervolume against moocore's (fpli_hv: HV3D+ for three objectives), in one run on
// the same points: n points on the positive octant of the unit sphere (all mutually
// non-dominated, the hard case), reference point at the origin (maximisation; moocore
// minimises, so it gets the negated points and reference). Prints both times (best of
// `repeats` runs), their ratio and both values, which must agree.
//   hv_vs_moocore [n = 2000] [repeats = 20]
// Built by bench/hv_vs_moocore.sh against a moocore checkout; no moocore code is kept here.
#include <autopeft/mobo/pareto/hypervolume.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

extern "C" {
#include "hv.h"
}

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 20;
  torch::manual_seed(0);
  torch::set_num_threads(1);
  auto Y = torch::randn({n, 3}, torch::kFloat64).abs();
  Y = Y / Y.norm(2, 1, true);
  const auto ref = torch::zeros({3}, torch::kFloat64);
  std::vector<double> neg(static_cast<std::size_t>(3 * n));
  const auto* y = Y.data_ptr<double>();
  for (std::size_t i = 0; i < neg.size(); ++i) neg[i] = -y[i];
  const double neg_ref[3] = {0.0, 0.0, 0.0};

  auto best_of = [&](auto&& f, double& value) {
    double best = 1e300;
    for (int r = 0; r < repeats; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      value = f();
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
  };
  double ours_value = 0, theirs_value = 0;
  const double ours = best_of([&] { return autopeft::mobo::hypervolume(Y, ref); }, ours_value);
  const double theirs = best_of(
      [&] { return fpli_hv(neg.data(), static_cast<std::size_t>(n), 3, neg_ref); }, theirs_value);
  std::printf("3D hypervolume of %d points (best of %d)\n", n, repeats);
  std::printf("  autopeft  %10.3f ms   HV %.12f\n", 1e3 * ours, ours_value);
  std::printf("  moocore   %10.3f ms   HV %.12f\n", 1e3 * theirs, theirs_value);
  std::printf("  ratio autopeft / moocore = %.2f (target <= 2)\n", ours / theirs);
  const bool agree = std::abs(ours_value - theirs_value) <= 1e-9 * std::abs(theirs_value);
  std::printf("  values %s\n", agree ? "agree" : "DIFFER");
  return agree ? 0 : 1;
}
