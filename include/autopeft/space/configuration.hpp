#pragma once
// A point of a search space: one native value per scalar component, in the space's order
// (an ordinal's or categorical's level index, a binary 0/1, an integer, a real).
#include <vector>

namespace autopeft::space {

struct configuration {
  std::vector<double> x;
  bool operator==(const configuration&) const = default;
};

}  // namespace autopeft::space
