#pragma once
// Quasi-random initial designs: n valid configurations from a scrambled Sobol sequence in the
// space's num_components dimensions. Point i is mapped by Space::from_unit (each level of a
// discrete component owns an equal share of [0, 1)), made canonical, and kept when valid; an
// invalid point is skipped and the sequence continues, so the valid points keep the sequence's
// order. Duplicates are kept (a space with few points repeats them, as a uniform sample would).
// The same seed gives the same design.
//
//   auto design = space::sample_sobol<my_space>(16, /*seed=*/7);
#include <autopeft/space/configuration.hpp>
#include <autopeft/space/search_space.hpp>
#include <autopeft/space/sobol.hpp>

#include <cstdint>
#include <vector>

namespace autopeft::space {

template <class Space>
std::vector<configuration> sample_sobol(std::size_t n, std::uint64_t seed, std::uint64_t max_points = 0) {
  if (max_points == 0) max_points = 1000 * static_cast<std::uint64_t>(n) + 100000;
  const sobol seq(Space::num_components, seed);
  std::vector<configuration> out;
  out.reserve(n);
  for (std::uint64_t i = 0; out.size() < n; ++i) {
    if (i == max_points)
      throw error("sample_sobol: only " + std::to_string(out.size()) + " of " + std::to_string(n) +
                  " valid configurations in " + std::to_string(max_points) + " points; are the constraints satisfiable?");
    auto c = Space::canonical(Space::from_unit(seq.point(i)));
    if (Space::valid(c)) out.push_back(std::move(c));
  }
  return out;
}

}  // namespace autopeft::space
