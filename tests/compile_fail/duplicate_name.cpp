// expect: two dimensions share a name
#include <autopeft/space/binary.hpp>
#include <autopeft/space/ordinal.hpp>
#include <autopeft/space/search_space.hpp>
using namespace autopeft::space;
int main() { return search_space<binary<"a">, ordinal<"a", 1, 2>>::num_dims; }
