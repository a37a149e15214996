#pragma once
// What DTLZ1 and DTLZ2 share (Deb, Thiele, Laumanns & Zitzler, "Scalable test problems for
// evolutionary multiobjective optimization", 2005).
#include <autopeft/error.hpp>

#include <cstdint>
#include <string>

namespace autopeft::mobo::detail {

inline void check_dtlz(std::int64_t dim, std::int64_t num_objectives, const char* problem) {
  if (num_objectives < 2 || dim < num_objectives) {
    throw error(std::string("autopeft::mobo::") + problem +
                ": need num_objectives >= 2 and dim >= num_objectives (k = dim - num_objectives "
                "+ 1 distance variables), got dim = " +
                std::to_string(dim) + " and num_objectives = " + std::to_string(num_objectives));
  }
}

}  // namespace autopeft::mobo::detail
