#pragma once
// HF PEFT's LoraModel.add_weighted_adapter (PEFT 0.21) as a free function: combines several LoRA
// adapters (peft::lora_adapter, HF's tensors) with weights w_i into a new one. At each LoRA
// module, adapter i has A_i [r_i, in], B_i [out, r_i] and scaling s_i (its lora_alpha / r_i, or
// / √r_i with use_rslora); an adapter without that module is left out there, as HF does.
//
//   "cat"     A = [w_1 s_1 A_1; w_2 s_2 A_2; …], B = [B_1 B_2 …]: B A = Σ w_i s_i B_i A_i exactly.
//             Rank Σ r_i (zero rows where an adapter lacks the module).
//   "linear", "ties", "dare_linear", "dare_ties", "magnitude_prune"
//             merge the A_i and the B_i separately, with weights √|w_i s_i|·sign(w_i s_i) for A and
//             √|w_i s_i| for B (the rule of each is below). All adapters need the same r.
//   "svd" and "<rule>_svd"
//             merge the deltas ΔW_i = s_i B_i A_i with weights w_i s_i (HF weighs the scaled delta by
//             the scaling once more: the sum is Σ w_i s_i² B_i A_i), then keep the top svd_rank
//             singular triplets: B = U_k S_k, A = V_kᵀ. At full rank B A is the merged delta.
// The rules, on tensors t_i with weights v_i (Yadav et al., 2023, TIES-Merging; Yu et al., 2024,
// DARE; HF's merge_utils):
//   linear            Σ v_i t_i
//   magnitude_prune   Σ v_i prune(t_i), prune keeping the ⌊density·numel⌋ largest |values|
//   ties              magnitude prune, then per entry keep the t_i whose sign is the majority sign
//                     (sign of Σ t_i for "total", of Σ sign t_i for "frequency") and average those
//                     v_i t_i over their count
//   dare_linear       Σ v_i drop(t_i), drop keeping each value with probability density and
//                     dividing by density; dare_ties: drop, then ties' sign election and average
// A density of 1 or more prunes nothing, so ties at density 1 is the sign election alone and DARE
// at density 1 equals linear (or ties). DARE draws its masks from a CPU generator seeded with
// options.seed, so a result is reproducible (HF uses the global generator: its masks differ).
//
// The new adapter's config is adapters[0]'s with r = lora_alpha = the new rank (scaling 1, or
// √r if adapters[0] uses rsLoRA, as in HF: the tensors above assume 1),
// target_modules the union of the adapters' lists (regexes are joined as "(a)|(b)") and no
// rank_pattern, as HF sets it. One adapter is combined with "linear" whatever combination_type
// says, as in HF.
//
// Example:
//   auto a = peft::lora_adapter::read(dir_a), b = peft::lora_adapter::read(dir_b);
//   auto merged = peft::add_weighted_adapter({a, b}, {0.7, 0.3}, {.combination_type = "ties", .density = 0.5});
//   auto sum = peft::add_weighted_adapter({a, b}, {1.0, 1.0}, {.combination_type = "cat"});
#include <autopeft/error.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/lora_adapter.hpp>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace autopeft::peft {

/// add_weighted_adapter's options, with HF's names and defaults.
struct weighted_adapter_options {
  /// "svd" (HF's default), "linear", "cat", "ties", "ties_svd", "dare_linear", "dare_ties",
  /// "dare_linear_svd", "dare_ties_svd", "magnitude_prune" or "magnitude_prune_svd".
  std::string combination_type = "svd";
  /// The rank of the svd combinations; unset: the largest r of the adapters.
  std::optional<std::int64_t> svd_rank = std::nullopt;
  /// The fraction of values ties, DARE and magnitude_prune keep; required by them.
  std::optional<double> density = std::nullopt;
  /// "total" or "frequency": how ties elects the sign of an entry.
  std::string majority_sign_method = "total";
  /// A quantile (0..1): the svd combinations clamp A and B to ± that quantile of their values.
  std::optional<double> svd_clamp = std::nullopt;
  /// The seed of DARE's masks.
  std::uint64_t seed = 0;
};

namespace detail {

inline const std::vector<std::string>& weighted_rules() {
  static const std::vector<std::string> rules{"linear", "ties", "dare_linear", "dare_ties", "magnitude_prune"};
  return rules;
}

/// prune(): HF's magnitude and random pruning; density >= 1 keeps everything.
inline torch::Tensor weighted_prune(const torch::Tensor& t, double density, bool random, at::Generator& gen) {
  if (density >= 1) return t;
  if (random) {
    auto mask = torch::bernoulli(torch::full(t.sizes(), density, torch::kFloat32), gen).to(t.device(), t.scalar_type());
    return t * mask / density;
  }
  const auto k = static_cast<std::int64_t>(density * static_cast<double>(t.numel()));
  auto mask = torch::zeros({t.numel()}, t.options());
  mask.index_fill_(0, std::get<1>(t.abs().reshape(-1).topk(k)), 1);
  return t * mask.view(t.sizes());
}

/// One of weighted_rules() on tensors ts with weights v (a float32 vector tensor).
inline torch::Tensor weighted_merge(const std::string& rule, const std::vector<torch::Tensor>& ts, const torch::Tensor& v,
                                    const weighted_adapter_options& o, at::Generator& gen) {
  const bool random = rule.rfind("dare_", 0) == 0;
  std::vector<torch::Tensor> pruned;
  for (const auto& t : ts) pruned.push_back(rule == "linear" ? t : weighted_prune(t, *o.density, random, gen));
  auto stacked = torch::stack(pruned);
  std::vector<std::int64_t> shape(static_cast<std::size_t>(stacked.dim()), 1);
  shape[0] = v.size(0);
  auto weighted = stacked * v.to(stacked.device()).view(shape);
  if (rule == "ties" || rule == "dare_ties") {
    auto sign = stacked.sign();
    auto magnitude = o.majority_sign_method == "total" ? stacked.sum(0) : sign.sum(0);
    auto majority = torch::where(magnitude >= 0, torch::ones_like(magnitude), -torch::ones_like(magnitude));
    auto mask = (sign == majority).to(weighted.scalar_type());
    return (weighted * mask).sum(0) / mask.sum(0).clamp_min(1.0);
  }
  return weighted.sum(0);
}

inline std::string site_of(const std::string& key, bool& is_a) {
  for (const std::string suffix : {".lora_A.weight", ".lora_B.weight"})
    if (key.size() > suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0) {
      is_a = suffix == ".lora_A.weight";
      return key.substr(0, key.size() - suffix.size());
    }
  return {};
}

inline std::int64_t max_rank(const lora& c) {
  auto r = c.r();
  for (const auto& [k, v] : c.rank_pattern()) r = std::max(r, v);
  return r;
}

inline targets union_targets(const std::vector<lora_adapter>& adapters) {
  const bool regex = adapters.front().config.target_modules().regex.has_value();
  targets t;
  std::set<std::string> names;
  std::string joined;
  for (const auto& a : adapters) {
    const auto& ti = a.config.target_modules();
    if (ti.regex.has_value() != regex)
      throw error("add_weighted_adapter: the adapters' target_modules mix lists and regexes; give them all lists "
                  "(or all regexes), as HF requires");
    if (regex) joined += (joined.empty() ? "(" : "|(") + *ti.regex + ")";
    else names.insert(ti.names.begin(), ti.names.end());
  }
  if (regex) t.regex = joined;
  else t.names.assign(names.begin(), names.end());
  return t;
}

}  // namespace detail

/// Combines LoRA adapters with `weights` (one per adapter; negative ones subtract); see the
/// header comment for each combination_type. Throws autopeft::error, saying what to change, for
/// an unknown combination_type or majority_sign_method, a weights count unlike the adapters',
/// unequal ranks where the rule needs one rank, a missing density, modules whose shapes differ
/// between adapters, or a tensor that is not LoRA's A or B.
inline lora_adapter add_weighted_adapter(const std::vector<lora_adapter>& adapters, const std::vector<double>& weights,
                                         const weighted_adapter_options& options = {}) {
  const std::string who = "add_weighted_adapter: ";
  if (adapters.empty()) throw error(who + "no adapter given; pass at least one lora_adapter");
  if (weights.size() != adapters.size())
    throw error(who + std::to_string(weights.size()) + " weights for " + std::to_string(adapters.size()) +
                " adapters; give one weight per adapter");
  auto o = options;
  if (adapters.size() == 1) o.combination_type = "linear";
  const auto& type = o.combination_type;
  const bool svd = type == "svd" || (type.size() > 4 && type.compare(type.size() - 4, 4, "_svd") == 0);
  const std::string rule = type == "svd" ? "linear" : svd ? type.substr(0, type.size() - 4) : type;
  const auto& rules = detail::weighted_rules();
  if (type == "linear_svd" || (type != "cat" && std::find(rules.begin(), rules.end(), rule) == rules.end()))
    throw error(who + "unknown combination_type '" + type + "'; use svd, linear, cat, ties, ties_svd, dare_linear, "
                "dare_ties, dare_linear_svd, dare_ties_svd, magnitude_prune or magnitude_prune_svd");
  if (o.majority_sign_method != "total" && o.majority_sign_method != "frequency")
    throw error(who + "unknown majority_sign_method '" + o.majority_sign_method + "'; use \"total\" or \"frequency\"");
  if (rule != "linear" && type != "cat") {
    if (!o.density) throw error(who + "combination_type '" + type + "' needs density, the fraction of values kept (0 to 1)");
    if (*o.density < 0) throw error(who + "density is " + std::to_string(*o.density) + "; give a fraction from 0 to 1");
  }

  std::vector<std::int64_t> ranks;
  for (const auto& a : adapters) ranks.push_back(detail::max_rank(a.config));
  std::int64_t new_rank = 0;
  if (type == "cat") {
    for (auto r : ranks) new_rank += r;
  } else if (svd) {
    new_rank = o.svd_rank.value_or(*std::max_element(ranks.begin(), ranks.end()));
    if (new_rank <= 0) throw error(who + "svd_rank is " + std::to_string(new_rank) + "; give a positive rank");
  } else {
    if (std::set<std::int64_t>(ranks.begin(), ranks.end()).size() != 1) {
      std::string list;
      for (auto r : ranks) list += (list.empty() ? "" : ", ") + std::to_string(r);
      throw error(who + "combination_type '" + type + "' needs adapters of one r, got " + list +
                  "; use 'cat' or 'svd', which combine different ranks");
    }
    new_rank = ranks.front();
  }

  // module path -> (adapter index -> A, B)
  std::map<std::string, std::map<std::size_t, std::pair<torch::Tensor, torch::Tensor>>> sites;
  for (std::size_t i = 0; i < adapters.size(); ++i)
    for (const auto& [key, t] : adapters[i].tensors) {
      bool is_a = false;
      const auto site = detail::site_of(key, is_a);
      if (site.empty())
        throw error(who + "tensor '" + key + "' of adapter " + std::to_string(i) +
                    " is not LoRA's lora_A or lora_B (a modules_to_save head, DoRA's magnitude?); remove it, combined "
                    "adapters hold LoRA tensors only");
      (is_a ? sites[site][i].first : sites[site][i].second) = t;
    }

  lora_adapter out{adapters.front().config, {}};
  out.config.r(new_rank).lora_alpha(static_cast<double>(new_rank)).rank_pattern({}).target_modules(
      detail::union_targets(adapters));
  auto gen = at::detail::createCPUGenerator(o.seed);
  torch::NoGradGuard ng;
  for (const auto& [site, present] : sites) {
    std::vector<torch::Tensor> as, bs;
    std::vector<double> ws;
    std::vector<std::size_t> index;
    for (const auto& [i, ab] : present) {
      const auto& [a, b] = ab;
      if (!a.defined() || !b.defined())
        throw error(who + "adapter " + std::to_string(i) + " has only one of lora_A and lora_B at '" + site + "'");
      if (a.dim() != 2 || b.dim() != 2 || a.size(0) != b.size(1) ||
          (!as.empty() && (a.size(1) != as.front().size(1) || b.size(0) != bs.front().size(0))))
        throw error(who + "the LoRA shapes at '" + site + "' disagree (adapter " + std::to_string(i) +
                    "); combine adapters of one base model");
      as.push_back(a);
      bs.push_back(b);
      index.push_back(i);
      ws.push_back(weights[i] * adapters[i].config.scaling(a.size(0)));
    }
    const auto dtype = as.front().scalar_type();
    torch::Tensor new_a, new_b;
    if (type == "cat") {
      new_a = torch::zeros({new_rank, as.front().size(1)}, as.front().options());
      new_b = torch::zeros({bs.front().size(0), new_rank}, bs.front().options());
      std::int64_t row = 0;
      for (std::size_t j = 0; j < as.size(); ++j) {
        const auto r = as[j].size(0);
        new_a.slice(0, row, row + r).copy_(as[j] * ws[j]);
        new_b.slice(1, row, row + r).copy_(bs[j]);
        row += r;
      }
    } else if (svd) {
      std::vector<torch::Tensor> deltas;
      for (std::size_t j = 0; j < as.size(); ++j)
        deltas.push_back(torch::matmul(bs[j].to(torch::kFloat32), as[j].to(torch::kFloat32)) *
                         adapters[index[j]].config.scaling(as[j].size(0)));
      const auto delta = detail::weighted_merge(rule, deltas, torch::tensor(ws, torch::kFloat32), o, gen);
      auto [u, s, vh] = torch::linalg::svd(delta, false, {});
      if (new_rank > s.size(0))
        throw error(who + "svd rank " + std::to_string(new_rank) + " exceeds min(in, out) = " + std::to_string(s.size(0)) +
                    " at '" + site + "'; give a smaller svd_rank");
      new_b = u.slice(1, 0, new_rank) * s.slice(0, 0, new_rank).unsqueeze(0);
      new_a = vh.slice(0, 0, new_rank);
      if (o.svd_clamp) {
        const auto hi = torch::quantile(torch::cat({new_b.flatten(), new_a.flatten()}), *o.svd_clamp).item<double>();
        new_b = new_b.clamp(-hi, hi);
        new_a = new_a.clamp(-hi, hi);
      }
      new_a = new_a.to(dtype);
      new_b = new_b.to(dtype);
    } else {
      std::vector<double> wa, wb;
      for (auto w : ws) {
        wa.push_back(std::sqrt(std::abs(w)) * (w >= 0 ? 1 : -1));
        wb.push_back(std::sqrt(std::abs(w)));
      }
      for (const auto& a : as)
        if (a.size(0) != as.front().size(0))
          throw error(who + "combination_type '" + type + "' needs one rank at '" + site +
                      "' but the adapters' rank_pattern gives different ones; use 'cat' or 'svd'");
      new_a = detail::weighted_merge(rule, as, torch::tensor(wa, torch::kFloat32), o, gen).to(dtype);
      new_b = detail::weighted_merge(rule, bs, torch::tensor(wb, torch::kFloat32), o, gen).to(dtype);
    }
    out.tensors[site + ".lora_A.weight"] = new_a.contiguous();
    out.tensors[site + ".lora_B.weight"] = new_b.contiguous();
  }
  return out;
}

}  // namespace autopeft::peft
