// expect: a constraint names a dimension that is not in the space
#include <autopeft/space/binary.hpp>
#include <autopeft/space/not_all_zero.hpp>
#include <autopeft/space/search_space.hpp>
using namespace autopeft::space;
int main() { return search_space<binary<"sa">, not_all_zero<"sa", "pa">>::num_dims; }
