// expect: the family entry is not a PEFT policy
#include <autopeft/space/family.hpp>
#include <autopeft/space/ordinal.hpp>
using namespace autopeft::space;
struct not_a_policy {};
int main() {
  using S = search_space<size_of<not_a_policy, ordinal<"size", 0, 8>>>;
  family_t<S> plan;
  (void)plan;
}
