// expect: the parent must be a dimension declared before the conditional one
#include <autopeft/space/binary.hpp>
#include <autopeft/space/conditional.hpp>
#include <autopeft/space/integer_range.hpp>
#include <autopeft/space/search_space.hpp>
using namespace autopeft::space;
int main() { return search_space<conditional<integer_range<"r", 1, 8>, "use_lora", 1>, binary<"use_lora">>::num_dims; }
