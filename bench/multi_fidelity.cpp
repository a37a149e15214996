// Issue 18's benchmark: does a multi-fidelity study (MO-ASHA rungs, study_options::fidelities)
// reach the hypervolume of a single-fidelity one in at most half the evaluation cost?
//
// Both arms run search::study_driver<space::autopeft_space<12>> on a study_store file in /tmp
// over the AutoPEFTSynthetic problem with its fidelity model (stored-parameter cost), with the
// same initial design kind, MOBO settings and budget in summed rung cost:
//   single fidelity (sf): every trial at s = 1, cost 1;
//   multi-fidelity (mf):  rungs s = --rungs (default 1/9, 1/3, 1) costing s each, eta = --eta.
// The measure is the TRUE hypervolume of the front the study reports (search::pareto_trials:
// each configuration at its highest rung) after each finished trial: the configurations on it
// evaluated at s = 1 without noise, so a front held up by lucky or biased low-fidelity values
// scores what it is really worth. Reference point [0.7, 26] in natural form (accuracy, % stored
// parameters), converted to the maximised form the hypervolume utility takes.
//
//   multi_fidelity [--seeds 10] [--budget 60] [--initial 12] [--batch 4] [--eta 3]
//                  [--rungs 1/9,1/3,1] [--design cost_stratified|sobol|random] [--mc 128]
//                  [--restarts 10] [--arms sf,mf] [--first-seed 0] [--out curves.json]
//                  [--baseline curves.json]  (with --arms mf: the sf runs of an earlier --out)
//                  [--low-fidelity model|exact|bias-only|noise-only]  (the diagnostics: see below)
//                  [--dump DIR]  (each run's trials, in the order they finished, as DIR/<arm>_<seed>.json)
// prints markdown tables, a row per arm: median [IQR] over seeds of the true HV at cost B/4, B/2
// and B, and of the cost at which the run first reaches the same seed's single-fidelity true HV
// (its final one, and its one at B/2; "> B" when never); then the true HV of every configuration
// evaluated. Results: docs/results/multi_fidelity_synthetic.md.
#include <autopeft/mobo/pareto/hypervolume.hpp>
#include <autopeft/search/problems/autopeft_synthetic.hpp>
#include <autopeft/search/study/pareto_trials.hpp>
#include <autopeft/search/study/study_driver.hpp>
#include <autopeft/search/store/study_store.hpp>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace mobo = autopeft::mobo;
namespace search = autopeft::search;
namespace space = autopeft::space;
using json = nlohmann::json;
using S = search::AutoPEFTSynthetic::space_type;

const search::AutoPEFTSynthetic problem({.cost = search::autopeft_synthetic_options::stored});
const std::vector<double> reference{0.7, 26.0};  // natural form: [accuracy, % stored parameters]

std::map<std::string, std::string> parse_flags(int argc, char** argv) {
  std::map<std::string, std::string> f;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k.rfind("--", 0) != 0 || i + 1 >= argc) throw std::runtime_error("expected --flag value pairs, got '" + k + "'");
    f[k.substr(2)] = argv[++i];
  }
  return f;
}

std::string flag(const std::map<std::string, std::string>& f, const std::string& k, const std::string& fallback) {
  const auto it = f.find(k);
  return it == f.end() ? fallback : it->second;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, sep);) out.push_back(part);
  return out;
}

double fraction(const std::string& s) {
  const auto slash = s.find('/');
  return slash == std::string::npos ? std::stod(s) : std::stod(s.substr(0, slash)) / std::stod(s.substr(slash + 1));
}

// The evaluator: a trial at rung `fraction` observes the problem at that fidelity, its noise
// seeded by the trial's seed.
// What a rung observes (--low-fidelity): `model`, the problem's fidelity model (the benchmark);
// the diagnostics `exact` (every rung observes the s = 1 value: what the schedule would give if
// low fidelity were free), `bias-only` (the model's bias, no low-fidelity noise) and
// `noise-only` (the model's noise, no bias).
enum class low_fidelity { model, exact, bias_only, noise_only };

struct synthetic_evaluator {
  low_fidelity mode = low_fidelity::model;
  search::evaluation evaluate(const space::configuration& c, std::uint64_t seed) { return at(c, 1.0, seed); }
  search::evaluation evaluate(const space::configuration& c, std::uint64_t seed, const search::trial_fidelity& f) {
    const double s = f.resources.at("fraction").get<double>();
    switch (mode) {
      case low_fidelity::model: return at(c, s, seed);
      case low_fidelity::exact: return at(c, 1.0, seed);
      case low_fidelity::bias_only: {
        static const search::AutoPEFTSynthetic quiet({.cost = search::autopeft_synthetic_options::stored,
                                                    .fidelity_noise_std = 0.0});
        const auto y = quiet.evaluate(c, s, seed);
        return {.objectives = {y[0], y[1]}};
      }
      case low_fidelity::noise_only: {
        std::mt19937_64 rng(seed);
        const double y = search::AutoPEFTSynthetic::accuracy(c) + problem.noise_std(s) * std::normal_distribution<double>{}(rng);
        return {.objectives = {y, problem.cost(c)}};
      }
    }
    throw std::logic_error("unreachable");
  }
  static search::evaluation at(const space::configuration& c, double s, std::uint64_t seed) {
    const auto y = problem.evaluate(c, s, seed);
    return {.objectives = {y[0], y[1]}};
  }
};
static_assert(search::multi_fidelity_evaluator<synthetic_evaluator>);

// Noise-free full-fidelity hypervolume of a set of configurations.
double true_hypervolume(const std::vector<space::configuration>& cs) {
  std::vector<double> y;
  for (const auto& c : cs) {
    y.push_back(search::AutoPEFTSynthetic::accuracy(c));
    y.push_back(-problem.cost(c));
  }
  const std::vector<double> ref{reference[0], -reference[1]};
  return mobo::hypervolume(std::span<const double>(y), 2, std::span<const double>(ref));
}

// The problem's largest true hypervolume. For given sizes, accuracy grows with the summed weight
// of the active layers and the cost with their number, and later layers weigh more, so the
// Pareto set lies among "the last k layers on": 11^3 sizes x 12 counts, enumerated.
double max_true_hypervolume() {
  constexpr std::array<int, 11> sizes{0, 1, 3, 6, 12, 24, 48, 96, 192, 384, 768};
  std::vector<space::configuration> cs;
  for (int sa : sizes)
    for (int pa : sizes)
      for (int pt : sizes) {
        if (sa == 0 && pa == 0 && pt == 0) continue;
        for (int k = 1; k <= 12; ++k) {
          std::vector<bool> layers(12, false);
          for (int l = 12 - k; l < 12; ++l) layers[static_cast<std::size_t>(l)] = true;
          cs.push_back(S::from_json({{"sa", sa}, {"pa", pa}, {"pt", pt}, {"layers", layers}}));
        }
      }
  return true_hypervolume(cs);
}

struct run_result {
  std::vector<double> cost;             // cumulative cost after each finished trial
  std::vector<double> true_hv;          // of the reported front, after each finished trial
  std::vector<double> explored_hv;      // of every configuration evaluated so far (any rung)
  std::vector<std::int64_t> per_rung;   // complete trials per rung
  std::int64_t configurations = 0, duplicates = 0;  // distinct configurations; rung-0 repeats
  double reported_hv = 0;               // what the driver reports (observed values)
  double seconds = 0;
};

run_result run_arm(bool multi, std::uint64_t seed, const std::map<std::string, std::string>& f) {
  const double budget = std::stod(flag(f, "budget", "60"));
  search::study_options o;
  o.initial_trials = std::stoll(flag(f, "initial", "12"));
  o.batch_size = std::stoll(flag(f, "batch", "4"));
  o.max_trials = 100000;  // the cost budget decides
  o.max_cost = budget;
  o.reference_point = reference;
  o.mc_samples = std::stoll(flag(f, "mc", "128"));
  o.local_search_restarts = std::stoll(flag(f, "restarts", "10"));
  o.seed = seed;
  o.cost = [](const space::configuration& c) { return problem.cost(c); };
  const auto design = flag(f, "design", "cost_stratified");
  o.design = design == "sobol"    ? search::initial_design_kind::sobol
             : design == "random" ? search::initial_design_kind::random
             : design == "cost_stratified"
                 ? search::initial_design_kind::cost_stratified
                 : throw std::runtime_error("--design must be cost_stratified, sobol or random, not " + design);
  if (multi) {
    o.eta = std::stoll(flag(f, "eta", "3"));
    for (const auto& r : split(flag(f, "rungs", "1/9,1/3,1"), ',')) {
      const double s = fraction(r);
      o.fidelities.push_back({.resources = {{"fraction", s}}, .cost = s});
    }
  }

  const auto file = std::filesystem::temp_directory_path() /
                    ("autopeft_multi_fidelity_" + std::to_string(::getpid()) + (multi ? "_mf_" : "_sf_") +
                     std::to_string(seed) + ".db");
  auto remove_store = [&] {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(file.string() + suffix);
  };
  remove_store();
  run_result out;
  {
    auto store = search::study_store::open(file, {.fsync_each_commit = false});
    const auto study = store.create_study(multi ? "mf" : "sf", json::object(),
                                          {{.name = "accuracy"}, {.name = "params_pct", .minimize = true}}, seed);
    std::vector<std::int64_t> order;
    const auto mode = flag(f, "low-fidelity", "model");
    synthetic_evaluator evaluator{.mode = mode == "model"        ? low_fidelity::model
                                          : mode == "exact"      ? low_fidelity::exact
                                          : mode == "bias-only"  ? low_fidelity::bias_only
                                          : mode == "noise-only" ? low_fidelity::noise_only
                                                                 : throw std::runtime_error(
                                                                       "--low-fidelity must be model, exact, bias-only or "
                                                                       "noise-only, not " + mode)};
    const auto t0 = std::chrono::steady_clock::now();
    const auto summary = search::study_driver<S>(o).run(store, study, evaluator, [&](const search::study_event& e) {
      if (e.what == search::study_event::kind::trial_finished) order.push_back(e.trial);
    });
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out.reported_hv = summary.hypervolume;

    const auto all = store.trials(study);
    std::map<std::int64_t, const search::trial_record*> by_number;
    for (const auto& t : all) by_number[t.number] = &t;
    std::vector<search::trial_record> done;
    std::vector<space::configuration> explored;
    std::set<std::string> seen;
    double spent = 0;
    out.per_rung.assign(std::max<std::size_t>(1, o.fidelities.size()), 0);
    for (const auto n : order) {
      const auto& t = *by_number.at(n);
      done.push_back(t);
      spent += t.fidelity ? t.fidelity->cost : 1.0;
      if (t.state == search::trial_state::complete) {
        ++out.per_rung[static_cast<std::size_t>(t.fidelity ? t.fidelity->level : 0)];
        if (seen.insert(search::configuration_key(t.params)).second)
          explored.push_back(search::configuration_of<S>(t, "trial"));
        else if (t.provenance.origin != "promotion")
          ++out.duplicates;
      }
      std::vector<space::configuration> front;
      for (const auto& p : search::pareto_trials(study, done)) front.push_back(search::configuration_of<S>(p, "trial"));
      out.cost.push_back(spent);
      out.true_hv.push_back(true_hypervolume(front));
      out.explored_hv.push_back(true_hypervolume(explored));
    }
    out.configurations = static_cast<std::int64_t>(seen.size());
    if (const auto dir = flag(f, "dump", ""); !dir.empty()) {
      json rows = json::array();
      for (const auto n : order) {
        const auto& t = *by_number.at(n);
        const auto c = search::configuration_of<S>(t, "trial");
        rows.push_back({{"trial", t.number}, {"rung", t.fidelity ? t.fidelity->level : 0}, {"params", t.params},
                        {"observed", t.objectives ? json(*t.objectives) : json()},
                        {"true", {search::AutoPEFTSynthetic::accuracy(c), problem.cost(c)}}});
      }
      std::ofstream(std::filesystem::path(dir) / ((multi ? "mf_" : "sf_") + std::to_string(seed) + ".json")) << rows.dump() << "\n";
    }
  }
  remove_store();
  return out;
}

// The value after the last trial that finished within `cost` (0 before any).
double at_cost(const std::vector<double>& cost, const std::vector<double>& v, double c) {
  double out = 0;
  for (std::size_t i = 0; i < cost.size() && cost[i] <= c + 1e-9; ++i) out = v[i];
  return out;
}

// The cost at which v first reaches `target` (infinity: never).
double cost_to_reach(const std::vector<double>& cost, const std::vector<double>& v, double target) {
  for (std::size_t i = 0; i < cost.size(); ++i)
    if (v[i] >= target - 1e-12) return cost[i];
  return std::numeric_limits<double>::infinity();
}

// Linear-interpolation quantile (numpy's default), q in [0, 1]; infinities sort last.
double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos)), hi = static_cast<std::size_t>(std::ceil(pos));
  if (std::isinf(v[hi]) || std::isinf(v[lo])) return v[hi];
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

std::string number(double x, double budget, int digits) {
  char buf[64];
  if (std::isinf(x)) std::snprintf(buf, sizeof buf, "> %g", budget);
  else std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return buf;
}

std::string summary(const std::vector<double>& v, double budget, int digits) {
  return number(quantile(v, 0.5), budget, digits) + " [" + number(quantile(v, 0.25), budget, digits) + ", " +
         number(quantile(v, 0.75), budget, digits) + "]";
}

}  // namespace

int main(int argc, char** argv) try {
  const auto f = parse_flags(argc, argv);
  const auto seeds = std::stoll(flag(f, "seeds", "10"));
  const auto first = std::stoull(flag(f, "first-seed", "0"));
  const double budget = std::stod(flag(f, "budget", "60"));
  const auto arms = split(flag(f, "arms", "sf,mf"), ',');
  torch::manual_seed(0);

  std::map<std::string, std::vector<run_result>> results;
  for (std::uint64_t seed = first; seed < first + static_cast<std::uint64_t>(seeds); ++seed)
    for (const auto& arm : arms) {
      if (arm != "sf" && arm != "mf") throw std::runtime_error("--arms takes sf and mf, not " + arm);
      auto r = run_arm(arm == "mf", seed, f);
      std::fprintf(stderr, "seed %llu %s: %zu trials, %lld configurations, cost %.3f, true HV %.5f (reported %.5f), %.1f s\n",
                   static_cast<unsigned long long>(seed), arm.c_str(), r.cost.size(),
                   static_cast<long long>(r.configurations), r.cost.empty() ? 0.0 : r.cost.back(),
                   r.true_hv.empty() ? 0.0 : r.true_hv.back(), r.reported_hv, r.seconds);
      results[arm].push_back(std::move(r));
    }

  std::printf("Settings: budget B = %g, initial %s (%s), batch %s, mc_samples %s, local_search_restarts %s; "
              "mf rungs %s, eta %s%s; %lld seeds from %llu\n\n",
              budget, flag(f, "initial", "12").c_str(), flag(f, "design", "cost_stratified").c_str(),
              flag(f, "batch", "4").c_str(), flag(f, "mc", "128").c_str(), flag(f, "restarts", "10").c_str(),
              flag(f, "rungs", "1/9,1/3,1").c_str(), flag(f, "eta", "3").c_str(),
              flag(f, "low-fidelity", "model") == "model" ? "" : (", low fidelity: " + flag(f, "low-fidelity", "")).c_str(),
              static_cast<long long>(seeds),
              static_cast<unsigned long long>(first));
  std::printf("True HV of the reported front (median [IQR] over seeds; the problem's maximum is %.4f); cost to "
              "reach the same seed's single-fidelity final true HV\n\n",
              max_true_hypervolume());
  // A variant of the mf arm alone compares with the sf runs of an earlier --out file.
  if (const auto file = flag(f, "baseline", ""); !file.empty() && !results.contains("sf")) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error("cannot open --baseline " + file);
    const auto j = json::parse(in);
    const auto base = j.at("first_seed").get<std::uint64_t>();
    for (auto seed = first; seed < first + static_cast<std::uint64_t>(seeds); ++seed) {
      if (seed < base || seed - base >= j.at("sf").size())
        throw std::runtime_error("--baseline " + file + " holds no sf run of seed " + std::to_string(seed));
      const auto& k = j.at("sf")[seed - base];
      run_result r;
      r.cost = k.at("cost").get<std::vector<double>>();
      r.true_hv = k.at("true_hv").get<std::vector<double>>();
      results["sf"].push_back(std::move(r));
    }
  }
  const auto sf = results.find("sf");
  std::printf("| arm | HV @ B/4 | HV @ B/2 | HV @ B | cost to reach SF final HV (seeds that do) | cost to reach SF HV @ B/2 "
              "| trials | configurations | seconds/run |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& arm : arms) {
    const auto& rs = results[arm];
    std::vector<double> q1, q2, q4, reach, reach_half, trials, configs, secs;
    for (std::size_t i = 0; i < rs.size(); ++i) {
      const auto& r = rs[i];
      q1.push_back(at_cost(r.cost, r.true_hv, budget / 4));
      q2.push_back(at_cost(r.cost, r.true_hv, budget / 2));
      q4.push_back(at_cost(r.cost, r.true_hv, budget));
      if (sf != results.end()) {
        const auto& base = sf->second[i];
        reach.push_back(cost_to_reach(r.cost, r.true_hv, base.true_hv.back()));
        reach_half.push_back(cost_to_reach(r.cost, r.true_hv, at_cost(base.cost, base.true_hv, budget / 2)));
      }
      trials.push_back(static_cast<double>(r.cost.size()));
      configs.push_back(static_cast<double>(r.configurations));
      secs.push_back(r.seconds);
    }
    const auto reached = std::count_if(reach.begin(), reach.end(), [](double c) { return std::isfinite(c); });
    std::printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", arm.c_str(), summary(q1, budget, 4).c_str(),
                summary(q2, budget, 4).c_str(), summary(q4, budget, 4).c_str(),
                reach.empty() ? "-" : (summary(reach, budget, 2) + " (" + std::to_string(reached) + "/" +
                                       std::to_string(reach.size()) + ")").c_str(),
                reach_half.empty() ? "-" : summary(reach_half, budget, 2).c_str(), summary(trials, budget, 0).c_str(),
                summary(configs, budget, 0).c_str(), summary(secs, budget, 1).c_str());
  }
  std::printf("\nTrue HV of every configuration evaluated (any rung), median [IQR]: what the search looked at, "
              "whether or not its front reports it\n\n| arm | HV @ B/4 | HV @ B/2 | HV @ B |\n|---|---|---|---|\n");
  for (const auto& arm : arms) {
    std::vector<double> q1, q2, q4;
    for (const auto& r : results[arm]) {
      q1.push_back(at_cost(r.cost, r.explored_hv, budget / 4));
      q2.push_back(at_cost(r.cost, r.explored_hv, budget / 2));
      q4.push_back(at_cost(r.cost, r.explored_hv, budget));
    }
    std::printf("| %s | %s | %s | %s |\n", arm.c_str(), summary(q1, budget, 4).c_str(), summary(q2, budget, 4).c_str(),
                summary(q4, budget, 4).c_str());
  }
  if (const auto mf = results.find("mf"); mf != results.end()) {
    std::vector<double> dup;
    std::vector<std::vector<double>> rung;
    for (const auto& r : mf->second) {
      dup.push_back(static_cast<double>(r.duplicates));
      rung.resize(r.per_rung.size());
      for (std::size_t k = 0; k < r.per_rung.size(); ++k) rung[k].push_back(static_cast<double>(r.per_rung[k]));
    }
    std::printf("\nmf complete trials per rung (median):");
    for (const auto& v : rung) std::printf(" %s", number(quantile(v, 0.5), budget, 1).c_str());
    std::printf("; re-proposed configurations (median): %s\n", number(quantile(dup, 0.5), budget, 1).c_str());
  }

  if (const auto out = flag(f, "out", ""); !out.empty()) {
    json j = {{"first_seed", first}};
    for (const auto& [arm, rs] : results) {
      j[arm] = json::array();
      for (const auto& r : rs)
        j[arm].push_back({{"cost", r.cost}, {"true_hv", r.true_hv}, {"explored_hv", r.explored_hv},
                          {"reported_hv", r.reported_hv}, {"seconds", r.seconds}});
    }
    std::ofstream(out) << j.dump() << "\n";
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "multi_fidelity: %s\n", e.what());
  return 1;
}
