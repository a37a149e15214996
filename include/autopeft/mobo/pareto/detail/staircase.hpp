#pragma once
// The 2D Pareto staircase shared by the 3D hypervolume sweep and the box decompositions.
#include <iterator>
#include <map>

namespace autopeft::mobo::detail {

/// Mutually non-dominated 2D points (maximisation) keyed by their first coordinate: ascending
/// keys have descending values. A balanced tree, so insertion with removal of the newly
/// dominated points costs O(log n) amortised.
using staircase = std::map<double, double>;

/// Inserts (x, y) into `s`, whose dominated region is bounded below by (x0, y0) (x > x0,
/// y > y0). The region that (x, y) adds, {u in [x0, x] x [y0, y] : u not dominated by s}, is
/// reported as disjoint rectangles through `gain(x_lo, x_hi, y_lo, y_hi)` (some may be empty);
/// nothing is reported and `s` is unchanged when (x, y) is weakly dominated. Points that
/// (x, y) dominates are removed.
template <class Gain>
void staircase_insert(staircase& s, double x, double y, double x0, double y0, Gain&& gain) {
  auto it = s.lower_bound(x);  // the first point with key >= x bounds the column left of x
  if (it != s.end() && it->second >= y) return;
  double level = it != s.end() ? it->second : y0;
  if (it != s.end() && it->first == x) it = s.erase(it);
  double right = x;
  bool blocked = false;
  while (it != s.begin()) {
    auto prev = std::prev(it);
    gain(prev->first, right, level, y);
    if (prev->second > y) {
      blocked = true;
      break;
    }
    level = prev->second;
    right = prev->first;
    s.erase(prev);
  }
  if (!blocked) gain(x0, right, level, y);
  s.emplace_hint(it, x, y);
}

}  // namespace autopeft::mobo::detail
