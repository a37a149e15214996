// Our side of bench/mobo_vs_botorch.py: the ask/tell qNEHVI loop with a MAP GP, driven by files
// so that BoTorch's loop starts from exactly the same points.
//
//   mobo_loop run --problem branin_currin|zdt1|dtlz2 --init init.json --batches 20 --q 4
//                 --seed 0 --out result.json [--mc 128 --restarts 10 --raw 512 --max-iter 200]
//     init.json: {"X": [[...], ...]} initial inputs in the problem's box. Evaluates them, then
//     runs `batches` asks of q points. Writes {"X", "Y" (the problem's minimised outcomes),
//     "ask_seconds" (one entry per ask: GP fit + acquisition optimisation of q points)}.
//
//   mobo_loop autopeft --n 200 --q 4 --seed 0 --repeats 3 --out data.json
//     The time-per-suggestion case: n random valid configurations of AutoPEFT's SA/PA/PT space
//     (15 encoded dims), outcomes from the AutoPEFTSynthetic problem, then `repeats` asks of q
//     points by qNEHVI with one-dimension local search. Writes {"X" (encoded), "Y" (maximised:
//     [accuracy, -% params]), "ref_point" (maximised), "ask_seconds"} so the peer can be timed
//     on the same data.
#include <autopeft/mobo/ask_tell.hpp>
#include <autopeft/mobo/problems.hpp>
#include <autopeft/search/problems/autopeft_synthetic.hpp>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace mobo = autopeft::mobo;
namespace search = autopeft::search;
using json = nlohmann::json;
// BoTorch's side of the comparison: SingleTaskGP (RBF) with qNEHVI.
using qnehvi_bo = mobo::ask_tell<mobo::gp<mobo::rbf_kernel>, mobo::acquisition_of<mobo::qnehvi>>;

std::map<std::string, std::string> parse_flags(int argc, char** argv, int first) {
  std::map<std::string, std::string> f;
  for (int i = first; i < argc; ++i) {
    std::string k = argv[i];
    if (k.rfind("--", 0) != 0 || i + 1 >= argc)
      throw std::runtime_error("expected --flag value pairs, got '" + k + "'");
    f[k.substr(2)] = argv[++i];
  }
  return f;
}

std::string flag(const std::map<std::string, std::string>& f, const std::string& k,
                 const std::string& fallback = "") {
  auto it = f.find(k);
  if (it != f.end()) return it->second;
  if (fallback.empty()) throw std::runtime_error("missing --" + k);
  return fallback;
}

torch::Tensor from_json(const json& rows) {
  std::vector<double> v;
  std::int64_t cols = 0;
  for (const auto& r : rows) {
    cols = static_cast<std::int64_t>(r.size());
    for (double x : r) v.push_back(x);
  }
  return torch::tensor(v, torch::kFloat64).view({-1, cols});
}

json to_json(const torch::Tensor& t) {
  const auto c = t.to(torch::kFloat64).contiguous();
  json rows = json::array();
  for (std::int64_t i = 0; i < c.size(0); ++i) {
    json r = json::array();
    for (std::int64_t j = 0; j < c.size(1); ++j) r.push_back(c[i][j].item<double>());
    rows.push_back(std::move(r));
  }
  return rows;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <class Problem>
json run_loop(const Problem& problem, const std::map<std::string, std::string>& f) {
  std::ifstream in(flag(f, "init"));
  if (!in) throw std::runtime_error("cannot open " + flag(f, "init"));
  const auto X0 = from_json(json::parse(in).at("X"));
  const auto batches = std::stoll(flag(f, "batches", "20"));
  const auto q = std::stoll(flag(f, "q", "4"));
  qnehvi_bo opt(problem.bounds(), problem.num_objectives, problem.ref_point(),
                {.initial_points = X0.size(0),
                 .mc_samples = std::stoll(flag(f, "mc", "128")),
                 .seed = std::stoull(flag(f, "seed", "0")),
                 .minimize = true,
                 .num_restarts = std::stoll(flag(f, "restarts", "10")),
                 .raw_samples = std::stoll(flag(f, "raw", "512")),
                 .max_iter = std::stoll(flag(f, "max-iter", "200"))});
  opt.tell(X0, problem.evaluate(X0));
  json secs = json::array();
  for (std::int64_t b = 0; b < batches; ++b) {
    const auto t0 = std::chrono::steady_clock::now();
    torch::Tensor X;
    try {
      X = opt.ask(q);
    } catch (const std::exception&) {
      // Keep what was told so far: the failing ask can be replayed from it.
      std::ofstream(flag(f, "out") + ".partial.json")
          << json{{"X", to_json(opt.X())}, {"Y", to_json(opt.Y())}}.dump() << "\n";
      throw;
    }
    secs.push_back(seconds_since(t0));
    opt.tell(X, problem.evaluate(X));
    std::fprintf(stderr, "batch %lld: hv %.5f (%.2f s)\n", static_cast<long long>(b + 1),
                 opt.hypervolume(), secs.back().get<double>());
  }
  return {{"X", to_json(opt.X())}, {"Y", to_json(opt.Y())}, {"ask_seconds", secs}};
}

json autopeft_timing(const std::map<std::string, std::string>& f) {
  using S = search::AutoPEFTSynthetic::space_type;
  const search::AutoPEFTSynthetic problem;
  const auto n = std::stoll(flag(f, "n", "200"));
  const auto q = std::stoll(flag(f, "q", "4"));
  const auto repeats = std::stoll(flag(f, "repeats", "3"));
  const auto seed = std::stoull(flag(f, "seed", "0"));
  constexpr auto d = search::AutoPEFTSynthetic::dim;
  auto encode = [](const autopeft::space::configuration& c) {
    return torch::tensor(S::encode(c), torch::kFloat64);
  };
  auto decode = [](const torch::Tensor& x) {
    const auto c = x.to(torch::kFloat64).contiguous();
    return S::decode(std::span<const double>(c.data_ptr<double>(), static_cast<std::size_t>(d)));
  };
  std::mt19937_64 rng(seed);
  std::vector<torch::Tensor> xs;
  for (std::int64_t i = 0; i < n; ++i) xs.push_back(encode(S::sample(rng)));
  const auto X = torch::stack(xs);
  const auto Y = problem.to_maximisation(problem.evaluate(X));
  const auto ref = problem.max_ref_point();
  const auto unit = torch::stack({torch::zeros({d}), torch::ones({d})}).to(torch::kFloat64);
  mobo::discrete_space space{
      [&](const torch::Tensor& x) {
        std::vector<torch::Tensor> out;
        for (const auto& c : S::neighbours(decode(x))) out.push_back(encode(c));
        return out;
      },
      [&](std::mt19937_64& r) { return encode(S::sample(r)); }};
  json secs = json::array();
  for (std::int64_t r = 0; r < repeats; ++r) {
    qnehvi_bo opt(unit, 2, ref, space,
                  {.initial_points = n,
                   .mc_samples = 128,
                   .seed = seed + static_cast<std::uint64_t>(r),
                   .local_search_restarts = std::stoll(flag(f, "restarts", "20"))});
    opt.tell(X, Y);
    const auto t0 = std::chrono::steady_clock::now();
    const auto next = opt.ask(q);
    secs.push_back(seconds_since(t0));
    std::fprintf(stderr, "autopeft n=%lld q=%lld: ask %.3f s\n", static_cast<long long>(n),
                 static_cast<long long>(q), secs.back().get<double>());
  }
  return {{"X", to_json(X)}, {"Y", to_json(Y)}, {"ref_point", to_json(ref.view({1, -1}))[0]},
          {"ask_seconds", secs}};
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: mobo_loop run|autopeft --flag value ...\n");
    return 2;
  }
  const std::string mode = argv[1];
  const auto f = parse_flags(argc, argv, 2);
  torch::set_num_threads(std::stoi(flag(f, "threads", "1")));
  json out;
  if (mode == "run") {
    const auto p = flag(f, "problem");
    if (p == "branin_currin") out = run_loop(mobo::BraninCurrin{}, f);
    else if (p == "zdt1") out = run_loop(mobo::ZDT1{6}, f);
    else if (p == "dtlz2") out = run_loop(mobo::DTLZ2{6, 3}, f);
    else throw std::runtime_error("unknown --problem " + p + " (branin_currin, zdt1, dtlz2)");
  } else if (mode == "autopeft") {
    out = autopeft_timing(f);
  } else {
    throw std::runtime_error("unknown mode " + mode + " (run, autopeft)");
  }
  std::ofstream(flag(f, "out")) << out.dump() << "\n";
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "mobo_loop: %s\n", e.what());
  return 1;
}
