// expect: is not one of this plan's policies
// reject: no matching function|index_of
#include <autopeft/peft/ia3.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/plan.hpp>
int main() {
  autopeft::peft::plan<autopeft::peft::lora> p;
  (void)p.get<autopeft::peft::ia3>();  // (IA)3 is not in this plan
}
