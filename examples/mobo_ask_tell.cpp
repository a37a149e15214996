// Multi-objective optimisation of a user function with the ask/tell interface: BraninCurrin
// (two objectives to minimise on [0, 1]^2), 6 quasi-random points, then batches of q = 2
// chosen by qLogNEHVI; prints the hypervolume after each batch.
//   mobo_ask_tell [batches]
#include <autopeft/mobo/ask_tell.hpp>
#include <autopeft/mobo/problems/branin_currin.hpp>

#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  namespace mobo = autopeft::mobo;
  const int batches = argc > 1 ? std::atoi(argv[1]) : 10;
  const mobo::BraninCurrin problem;
  // Any function X [k, 2] -> Y [k, 2] will do; the optimiser only sees its values.
  auto evaluate = [&](const torch::Tensor& X) { return problem.evaluate(X); };

  mobo::ask_tell opt(problem.bounds(), 2, problem.ref_point(),
                     {.initial_points = 6, .mc_samples = 32, .seed = 0, .minimize = true,
                      .num_restarts = 2, .raw_samples = 64, .max_iter = 30});
  auto X = opt.ask(6);
  opt.tell(X, evaluate(X));
  std::printf("batch  evaluations  hypervolume  fraction of max\n");
  std::printf("%5d  %11lld  %11.4f  %.4f\n", 0, static_cast<long long>(opt.num_told()),
              opt.hypervolume(), opt.hypervolume() / problem.max_hv());
  for (int b = 1; b <= batches; ++b) {
    X = opt.ask(2);
    opt.tell(X, evaluate(X));
    std::printf("%5d  %11lld  %11.4f  %.4f\n", b, static_cast<long long>(opt.num_told()),
                opt.hypervolume(), opt.hypervolume() / problem.max_hv());
  }
  std::printf("Pareto set (%lld points):\n", static_cast<long long>(opt.pareto_X().size(0)));
  const auto px = opt.pareto_X(), py = opt.pareto_Y();
  for (std::int64_t i = 0; i < px.size(0); ++i)
    std::printf("  x = (%.4f, %.4f)  f = (%.4f, %.4f)\n", px[i][0].item<double>(),
                px[i][1].item<double>(), py[i][0].item<double>(), py[i][1].item<double>());
  return opt.hypervolume() > 0 ? 0 : 1;
}
