#pragma once
// How the study report is drawn; the data it draws is a report_data.
//
// Example:
//   autopeft::search::render_report(data, {.x_scale = autopeft::search::axis_scale::log});
#include <cstddef>

namespace autopeft::search {

/// Scale of the Pareto plot's x axis (% trainable parameters). `automatic` takes a log scale
/// when the values span more than two decades and are all positive.
enum class axis_scale { automatic, linear, log };

struct report_options {
  axis_scale x_scale = axis_scale::automatic;
  std::size_t params_chars = 160;  // the trial table cuts longer parameter summaries here
};

}  // namespace autopeft::search
