// expect: the value list is empty
#include <autopeft/space/ordinal.hpp>
#include <autopeft/space/search_space.hpp>
using namespace autopeft::space;
int main() { return search_space<ordinal<"r">>::num_dims; }
