// expect: two dimensions share a name
// reject: no member named|is not a member of|has no member
// The space is used as a program would use it, so that a cascade of errors after the message
// (clang once gave one "no member named" per use) fails the test.
#include <autopeft/space/binary.hpp>
#include <autopeft/space/ordinal.hpp>
#include <autopeft/space/search_space.hpp>

#include <random>

using namespace autopeft::space;
using S = search_space<binary<"a">, ordinal<"a", 1, 2>>;
int main() {
  std::mt19937_64 rng(1);
  const auto c = S::sample(rng);
  return static_cast<int>(S::num_dims + S::cardinality + S::hash(c) + S::to_json(c).size() + S::neighbours(c).size());
}
