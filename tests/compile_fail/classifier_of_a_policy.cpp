// expect: the PEFT argument is one policy, not a plan: wrap it in peft::plan
// reject: no matching|has no member|is not a member|invalid use
#include <autopeft/model/sequence_classifier.hpp>
#include <autopeft/peft/lora.hpp>
int main() {
  auto config = autopeft::model::EncoderConfig::bert_base();
  autopeft::model::SequenceClassifier<autopeft::peft::lora> m(config, autopeft::peft::lora{});  // a policy, not a plan
  (void)m;
}
