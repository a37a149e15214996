#pragma once
// The study store's exports as text: a study's trials as RFC 4180 CSV, a study and its trials
// as one JSON document (study_store::export_csv and export_json write them).
#include <autopeft/search/store/detail/export_text.hpp>
#include <autopeft/search/store/study_record.hpp>
#include <autopeft/search/store/trial_record.hpp>
#include <autopeft/search/store/trial_state.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace autopeft::search::detail {

/// A JSON value as a CSV cell: strings as they are, null empty, anything else as JSON.
inline std::string csv_cell(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

/// The CSV of `rows`, trials of `study` (the columns: study_store::export_csv).
inline std::string trials_csv(const study_record& study, const std::vector<trial_record>& rows) {
  std::set<std::string> param_keys, extra_keys;
  for (const auto& r : rows) {
    for (const auto& [k, v] : r.params.items()) param_keys.insert(k);
    for (const auto& [k, v] : r.extra.items()) extra_keys.insert(k);
  }
  std::string out;
  auto line = [&out](const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i) out += ',';
      out += csv_field(fields[i]);
    }
    out += "\r\n";
  };
  std::vector<std::string> header{"number", "state"};
  for (const auto& k : param_keys) header.push_back("param." + k);
  for (const auto& o : study.objectives) header.push_back("objective." + o.name);
  for (const auto& k : extra_keys) header.push_back("extra." + k);
  for (const char* c : {"seed", "duration_s", "worker", "error", "created", "started", "finished", "heartbeat",
                        "retry_of", "fidelity", "origin", "label", "source_trial", "seed_index"}) {
    header.emplace_back(c);
  }
  line(header);
  const auto opt = [](const std::optional<std::string>& s) { return s.value_or(""); };
  const auto number = [](const std::optional<std::int64_t>& n) { return n ? std::to_string(*n) : std::string(); };
  for (const auto& r : rows) {
    std::vector<std::string> f{std::to_string(r.number), std::string(to_string(r.state))};
    for (const auto& k : param_keys) f.push_back(r.params.contains(k) ? csv_cell(r.params[k]) : "");
    for (std::size_t i = 0; i < study.objectives.size(); ++i)
      f.push_back(r.objectives && i < r.objectives->size() ? nlohmann::json((*r.objectives)[i]).dump() : "");
    for (const auto& k : extra_keys) f.push_back(r.extra.contains(k) ? csv_cell(r.extra[k]) : "");
    f.push_back(std::to_string(r.seed));
    f.push_back(r.duration_s ? nlohmann::json(*r.duration_s).dump() : "");
    f.push_back(opt(r.worker));
    f.push_back(opt(r.error));
    f.push_back(r.created);
    f.push_back(opt(r.started));
    f.push_back(opt(r.finished));
    f.push_back(opt(r.heartbeat));
    f.push_back(number(r.retry_of));
    f.push_back(r.fidelity ? r.fidelity->to_json().dump() : "");
    f.push_back(r.provenance.origin);
    f.push_back(r.provenance.label);
    f.push_back(number(r.provenance.source));
    f.push_back(number(r.provenance.seed_index));
    line(f);
  }
  return out;
}

/// `study` (its parent study's name: `parent`) and its trials `rows` as one JSON document (the
/// layout: study_store::export_json).
inline nlohmann::json study_json(const study_record& study, const std::optional<std::string>& parent,
                                 const std::vector<trial_record>& rows) {
  const auto opt = [](const auto& v) -> nlohmann::json {
    if (v) return *v;
    return nullptr;
  };
  nlohmann::json objectives = nlohmann::json::array();
  for (const auto& o : study.objectives) objectives.push_back({{"name", o.name}, {"direction", o.minimize ? "minimize" : "maximize"}});
  nlohmann::json doc;
  doc["study"] = {{"name", study.name}, {"created", study.created}, {"objectives", objectives}, {"config", study.config},
                  {"seed", study.seed}, {"parent", opt(parent)},   {"role", study.role}};
  doc["trials"] = nlohmann::json::array();
  for (const auto& r : rows) {
    doc["trials"].push_back({{"number", r.number},
                             {"state", to_string(r.state)},
                             {"params", r.params},
                             {"objectives", opt(r.objectives)},
                             {"extra", r.extra},
                             {"seed", r.seed},
                             {"error", opt(r.error)},
                             {"created", r.created},
                             {"started", opt(r.started)},
                             {"finished", opt(r.finished)},
                             {"duration_s", opt(r.duration_s)},
                             {"worker", opt(r.worker)},
                             {"heartbeat", opt(r.heartbeat)},
                             {"retry_of", opt(r.retry_of)},
                             {"fidelity", r.fidelity ? r.fidelity->to_json() : nlohmann::json(nullptr)},
                             {"origin", r.provenance.origin},
                             {"label", r.provenance.label},
                             {"source_trial", opt(r.provenance.source)},
                             {"seed_index", opt(r.provenance.seed_index)}});
  }
  return doc;
}

}  // namespace autopeft::search::detail
