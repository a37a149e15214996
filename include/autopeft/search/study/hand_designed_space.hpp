#pragma once
// The hand-designed PEFT methods (peft/hand_designed.hpp) as a search space of two dimensions,
// the method and its learning rate, so that the baselines of a study are trials like any other:
// recorded in the store, resumable, and evaluated by search::hand_designed_evaluator.
// JSON: {"method": "lora8", "lr": 0.003}. Full fine-tuning is not a PEFT baseline here (it
// changes the resident backbone); peft::hand_designed has it for autopeft_vs_baselines.
#include <autopeft/space/categorical.hpp>
#include <autopeft/space/continuous.hpp>
#include <autopeft/space/search_space.hpp>

namespace autopeft::search {

using hand_designed_space =
    space::search_space<space::categorical<"method", "lora8", "lora16", "pfeiffer", "parallel", "prefix", "mam", "unipelt",
                                           "ia3", "bitfit">,
                        space::continuous<"lr", 1e-7, 1.0, true>>;

}  // namespace autopeft::search
