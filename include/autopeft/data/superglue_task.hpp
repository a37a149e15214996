#pragma once
// The SuperGLUE classification tasks read here (Wang et al., "SuperGLUE: A stickier benchmark
// for general-purpose language understanding systems", NeurIPS 2019), with the names, label
// orders and metrics of HuggingFace `datasets` ("super_glue" configurations). MultiRC and ReCoRD,
// whose items have several answers each, are not among them.
#include <autopeft/data/metric_kind.hpp>
#include <autopeft/data/task.hpp>
#include <autopeft/error.hpp>

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace autopeft::data {

enum class superglue_task : std::uint8_t { boolq, cb, copa, rte, wic, wsc };

inline constexpr superglue_task all_superglue_tasks[] = {
    superglue_task::boolq, superglue_task::cb,  superglue_task::copa,
    superglue_task::rte,   superglue_task::wic, superglue_task::wsc};

/// The HuggingFace configuration name: "boolq", "cb", "copa", "rte", "wic", "wsc".
inline const char* to_string(superglue_task t) {
  switch (t) {
    case superglue_task::boolq: return "boolq";
    case superglue_task::cb: return "cb";
    case superglue_task::copa: return "copa";
    case superglue_task::rte: return "rte";
    case superglue_task::wic: return "wic";
    case superglue_task::wsc: return "wsc";
  }
  return "?";
}

/// The folder name in the official distribution: "BoolQ", "CB", "COPA", "RTE", "WiC", "WSC".
inline const char* superglue_folder(superglue_task t) {
  switch (t) {
    case superglue_task::boolq: return "BoolQ";
    case superglue_task::cb: return "CB";
    case superglue_task::copa: return "COPA";
    case superglue_task::rte: return "RTE";
    case superglue_task::wic: return "WiC";
    case superglue_task::wsc: return "WSC";
  }
  return "?";
}

/// Accepts the HuggingFace name or the folder name, in any case ("wic", "WiC").
inline superglue_task superglue_task_from_string(std::string_view s) {
  std::string key;
  for (char c : s) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto t : all_superglue_tasks) {
    if (key == to_string(t)) return t;
  }
  throw error("unknown SuperGLUE task '" + std::string(s) +
              "': use one of boolq, cb, copa, rte, wic, wsc");
}

/// Every metric the SuperGLUE leaderboard reports for the task, headline first: macro-F1 then
/// accuracy for CB (evaluate() with a task_info of three labels averages F1 over classes),
/// accuracy otherwise.
inline std::vector<metric_kind> superglue_metrics(superglue_task t) {
  if (t == superglue_task::cb) return {metric_kind::f1, metric_kind::accuracy};
  return {metric_kind::accuracy};
}

/// Name, class names in HuggingFace order (the index is the class) and headline metric.
inline task_info superglue_info(superglue_task t) {
  task_info info;
  info.name = to_string(t);
  info.metric = superglue_metrics(t).front();
  switch (t) {
    case superglue_task::boolq:
    case superglue_task::wic:
    case superglue_task::wsc: info.labels = {"False", "True"}; break;
    case superglue_task::cb: info.labels = {"entailment", "contradiction", "neutral"}; break;
    case superglue_task::copa: info.labels = {"choice1", "choice2"}; break;
    case superglue_task::rte: info.labels = {"entailment", "not_entailment"}; break;
  }
  return info;
}

}  // namespace autopeft::data
