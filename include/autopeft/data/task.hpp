#pragma once
// A downstream task: its examples split three ways, its label names and its metric.
#include <autopeft/data/example.hpp>
#include <autopeft/data/metric_kind.hpp>

#include <string>
#include <vector>

namespace autopeft::data {

/// What a trainer needs to know about a task besides its examples.
struct task_info {
  std::string name;                 // "sst2", "wn_supersense", ...
  std::vector<std::string> labels;  // class names; empty for regression
  bool regression = false;          // true: `example::score` is the target
  metric_kind metric = metric_kind::accuracy;  // the task's headline metric

  [[nodiscard]] std::int64_t num_labels() const {
    return regression ? 1 : static_cast<std::int64_t>(labels.size());
  }
};

/// A task with its train / dev / test examples.
struct task {
  task_info info;
  std::vector<example> train, dev, test;
};

}  // namespace autopeft::data
