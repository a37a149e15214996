#pragma once
// The nine GLUE tasks (Wang et al., "GLUE: A multi-task benchmark and analysis platform for
// natural language understanding", ICLR 2019), with the names, label orders and metrics that
// HuggingFace `datasets` ("glue" configurations) and the GLUE leaderboard use.
#include <autopeft/data/metric_kind.hpp>
#include <autopeft/data/task.hpp>
#include <autopeft/error.hpp>

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace autopeft::data {

enum class glue_task : std::uint8_t { cola, sst2, mrpc, qqp, stsb, mnli, qnli, rte, wnli };

inline constexpr glue_task all_glue_tasks[] = {glue_task::cola, glue_task::sst2, glue_task::mrpc,
                                               glue_task::qqp,  glue_task::stsb, glue_task::mnli,
                                               glue_task::qnli, glue_task::rte,  glue_task::wnli};

/// The HuggingFace configuration name: "cola", "sst2", "mrpc", "qqp", "stsb", "mnli", "qnli",
/// "rte", "wnli".
inline const char* to_string(glue_task t) {
  switch (t) {
    case glue_task::cola: return "cola";
    case glue_task::sst2: return "sst2";
    case glue_task::mrpc: return "mrpc";
    case glue_task::qqp: return "qqp";
    case glue_task::stsb: return "stsb";
    case glue_task::mnli: return "mnli";
    case glue_task::qnli: return "qnli";
    case glue_task::rte: return "rte";
    case glue_task::wnli: return "wnli";
  }
  return "?";
}

/// The folder name in the official distribution (download_glue_data.py): "CoLA", "SST-2",
/// "MRPC", "QQP", "STS-B", "MNLI", "QNLI", "RTE", "WNLI".
inline const char* glue_folder(glue_task t) {
  switch (t) {
    case glue_task::cola: return "CoLA";
    case glue_task::sst2: return "SST-2";
    case glue_task::mrpc: return "MRPC";
    case glue_task::qqp: return "QQP";
    case glue_task::stsb: return "STS-B";
    case glue_task::mnli: return "MNLI";
    case glue_task::qnli: return "QNLI";
    case glue_task::rte: return "RTE";
    case glue_task::wnli: return "WNLI";
  }
  return "?";
}

/// Accepts the HuggingFace name or the folder name, in any case ("sst2", "SST-2", "STS-B").
inline glue_task glue_task_from_string(std::string_view s) {
  auto fold = [](std::string_view v) {
    std::string out;
    for (char c : v) {
      if (c == '-' || c == '_') continue;
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
  };
  const auto key = fold(s);
  for (auto t : all_glue_tasks) {
    if (key == to_string(t)) return t;
  }
  throw error("unknown GLUE task '" + std::string(s) +
              "': use one of cola, sst2, mrpc, qqp, stsb, mnli, qnli, rte, wnli");
}

/// Every metric the GLUE leaderboard reports for the task, headline first: matthews for CoLA,
/// f1 then accuracy for MRPC and QQP, spearman then pearson for STS-B, accuracy otherwise.
inline std::vector<metric_kind> glue_metrics(glue_task t) {
  switch (t) {
    case glue_task::cola: return {metric_kind::matthews};
    case glue_task::mrpc:
    case glue_task::qqp: return {metric_kind::f1, metric_kind::accuracy};
    case glue_task::stsb: return {metric_kind::spearman, metric_kind::pearson};
    default: return {metric_kind::accuracy};
  }
}

/// Name, class names in HuggingFace order (the index is the class) and headline metric.
/// STS-B is a regression on [0, 5].
inline task_info glue_info(glue_task t) {
  task_info info;
  info.name = to_string(t);
  info.metric = glue_metrics(t).front();
  switch (t) {
    case glue_task::cola: info.labels = {"unacceptable", "acceptable"}; break;
    case glue_task::sst2: info.labels = {"negative", "positive"}; break;
    case glue_task::mrpc: info.labels = {"not_equivalent", "equivalent"}; break;
    case glue_task::qqp: info.labels = {"not_duplicate", "duplicate"}; break;
    case glue_task::stsb: info.regression = true; break;
    case glue_task::mnli: info.labels = {"entailment", "neutral", "contradiction"}; break;
    case glue_task::qnli:
    case glue_task::rte: info.labels = {"entailment", "not_entailment"}; break;
    case glue_task::wnli: info.labels = {"not_entailment", "entailment"}; break;
  }
  return info;
}

}  // namespace autopeft::data
