// expect: no dimension has this name
#include <autopeft/space/binary.hpp>
#include <autopeft/space/search_space.hpp>
using namespace autopeft::space;
int main() {
  using S = search_space<binary<"flag">>;
  return S::get<"flags">(configuration{{1.0}});
}
