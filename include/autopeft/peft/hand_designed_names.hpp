#pragma once
// The names of the hand-designed PEFT methods (`peft/hand_designed.hpp` builds them), in table
// order. Kept apart from the methods themselves so that settings parsers can check names
// without LibTorch.
#include <string>
#include <vector>

namespace autopeft::peft {

/// The methods' names, in table order.
inline std::vector<std::string> hand_designed_names() {
  return {"lora8", "lora16", "pfeiffer", "parallel", "prefix", "mam", "unipelt", "ia3", "bitfit", "full"};
}

}  // namespace autopeft::peft
