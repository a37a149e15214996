#pragma once
// How F1 is taken over the classes.
#include <cstdint>

namespace autopeft::data {

/// `binary`: the F1 of class 1 (the positive class of MRPC and QQP), labels must be 0 or 1.
/// `macro`: the unweighted mean of every class's F1 (CB), as scikit-learn's average="macro".
enum class f1_average : std::uint8_t { binary, macro };

}  // namespace autopeft::data
