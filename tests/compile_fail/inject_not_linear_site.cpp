// expect: only linear-site policies (LoRA, (IA)3, LoHa, LoKr, VeRA, ...) can be injected
#include <autopeft/peft/inject.hpp>
#include <autopeft/peft/prompt_tuning.hpp>
int main() {
  torch::nn::Module root;
  autopeft::peft::inject(root, autopeft::peft::prompt_tuning{});
}
