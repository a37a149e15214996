#pragma once
// Shared parts of sum_kernel and product_kernel. Internal.
#include <autopeft/mobo/hyperparameter.hpp>
#include <autopeft/mobo/kernel/detail/distance.hpp>

#include <torch/torch.h>

#include <cstddef>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace autopeft::mobo::detail {

template <class Tuple>
std::vector<hyperparameter> prefixed_hyperparameters(const Tuple& parts) {
  std::vector<hyperparameter> out;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (append_prefixed(out, std::get<I>(parts).hyperparameters(), "k" + std::to_string(I)), ...);
  }
  (std::make_index_sequence<std::tuple_size_v<Tuple>>{});
  return out;
}

template <class Tuple>
torch::Tensor summed_log_prior(const Tuple& parts) {
  return std::apply([](const auto&... k) { return (k.log_prior() + ...); }, parts);
}

}  // namespace autopeft::mobo::detail
