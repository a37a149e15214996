#pragma once
// `autopeft status`, `autopeft pareto` and `autopeft report`: read a study store (also while a
// search writes to it: the store is SQLite in WAL mode) and print or draw what it holds.
#include "command_error.hpp"
#include "study_session.hpp"
#include "study_settings.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

namespace autopeft::cli {

namespace detail {
inline search::study_store open_existing(const std::string& path) {
  if (!std::filesystem::exists(path)) throw error(path + ": no such study store (check --store)");
  return search::study_store::open(path);
}
}  // namespace detail

inline void add_status_command(CLI::App& app) {
  struct args {
    std::string store = "autopeft-study.db", study, export_file;
    bool check = false;
  };
  auto a = std::make_shared<args>();
  auto* cmd = app.add_subcommand("status", "Show the studies of a store: trials by state, the best metric, the hypervolume, "
                                           "what is running, what failed and why; --export writes a study's trials.");
  cmd->add_option("--store", a->store, "the study store")->capture_default_str();
  cmd->add_option("--study", a->study, "only this study (default: all)");
  cmd->add_option("--export", a->export_file, "write the study's trials to FILE: .csv or .json (needs --study unless the "
                                               "store has one search study)")->type_name("FILE");
  cmd->add_flag("--check", a->check, "check the store file itself (SQLite's integrity_check and foreign_key_check): "
                                     "prints 'integrity: ok', or the damage found and exits with status 1 (before --export, when both are given)");
  cmd->callback([a] {
    run_command("status", [&] {
      const auto* store_path = &a->store;
      auto store = detail::open_existing(*store_path);
      if (a->check) {
        const auto report = store.integrity_check();
        if (!report.ok)
          throw error(*store_path + ": the store is damaged:\n" + report.message +
                      "\nRestore it from a backup, or salvage its rows with `sqlite3 " + *store_path + " .recover`");
        std::printf("integrity: ok\n");
        if (a->export_file.empty()) return;
      }
      if (!a->export_file.empty()) {
        const auto study = pick_study(store, a->study);
        const auto ext = std::filesystem::path(a->export_file).extension();
        if (ext == ".csv") store.export_csv(study, a->export_file);
        else if (ext == ".json") store.export_json(study, a->export_file);
        else throw error("--export " + a->export_file + ": the file name must end in .csv or .json");
        std::printf("wrote %s (%zu trials of study \"%s\")\n", a->export_file.c_str(), store.trials(study).size(),
                    study.name.c_str());
        return;
      }
      auto studies = store.list_studies();
      if (!a->study.empty()) studies = {store.load_study(a->study)};
      if (studies.empty()) std::printf("%s holds no study\n", store_path->c_str());
      for (const auto& st : studies) {
        const auto c = store.counts(st);
        std::printf("study \"%s\" (created %s): %lld trials: %lld complete, %lld failed, %lld running, %lld waiting\n",
                    st.name.c_str(), st.created.c_str(), static_cast<long long>(c.total()), static_cast<long long>(c.complete),
                    static_cast<long long>(c.failed), static_cast<long long>(c.running), static_cast<long long>(c.waiting));
        if (st.parent_id) continue;  // a companion (re-training, baselines): counts only
        study_settings s;
        try {
          settings_from_stored(s, st.config, "study \"" + st.name + "\"");
        } catch (const std::exception&) {
          continue;  // a study some other tool wrote: counts only
        }
        const auto trials = store.trials(st);
        const auto front = search::pareto_trials(st, trials);
        double best = 0;
        bool any = false;
        for (const auto& t : trials)
          if (t.state == search::trial_state::complete && t.objectives && (!any || (*t.objectives)[0] > best))
            best = (*t.objectives)[0], any = true;
        char best_text[32] = "-", hv_text[32] = "-";
        if (any) std::snprintf(best_text, sizeof best_text, "%.4f", best);
        // A study whose stored settings do not give one reference value per objective has no hypervolume here.
        if (detail::finite_number(s.ref_metric))
          if (const auto ref = reference_point_of(s); ref.size() == st.objectives.size())
            std::snprintf(hv_text, sizeof hv_text, "%.4f", search::study_hypervolume(st, trials, ref));
        std::printf("  budget %lld; best %s %s; Pareto set %zu; hypervolume %s\n", static_cast<long long>(s.trials),
                    st.objectives[0].name.c_str(), best_text, front.size(), hv_text);
        for (const auto& t : trials)
          if (t.state == search::trial_state::running)
            std::printf("  running: trial %lld since %s on %s  %s\n", static_cast<long long>(t.number),
                        t.started.value_or("?").c_str(), t.worker.value_or("?").c_str(), brief(t.params).c_str());
        for (const auto& t : trials)
          if (t.state == search::trial_state::failed)
            std::printf("  failed: trial %lld: %s\n", static_cast<long long>(t.number), t.error.value_or("").c_str());
      }
    });
  });
}

inline void add_pareto_command(CLI::App& app) {
  struct args {
    std::string store = "autopeft-study.db", study, format = "table";
  };
  auto a = std::make_shared<args>();
  auto* cmd = app.add_subcommand("pareto", "Print a study's Pareto front (metric up, % parameters down), with re-training "
                                           "results where there are some.");
  cmd->add_option("--store", a->store, "the study store")->capture_default_str();
  cmd->add_option("--study", a->study, "the study (default: the store's only search study)");
  cmd->add_option("--format", a->format, "table or json")->check(CLI::IsMember({"table", "json"}))->capture_default_str();
  cmd->callback([a] {
    run_command("pareto", [&] {
      auto store = detail::open_existing(a->store);
      const auto study = pick_study(store, a->study);
      if (a->format == "table") return print_front(store, study);
      const auto retrained = search::retrained_results(store, study);
      nlohmann::json out = nlohmann::json::array();
      for (const auto& t : search::pareto_trials(study, store.trials(study))) {
        nlohmann::json row{{"trial", t.number}, {"params", search::detail::visible_params(t.params)}};
        for (std::size_t i = 0; i < study.objectives.size(); ++i) row[study.objectives[i].name] = (*t.objectives)[i];
        if (auto it = retrained.find(t.number); it != retrained.end() && it->second.runs > 0)
          row["retrained"] = {{"mean", it->second.mean}, {"std", it->second.std}, {"runs", it->second.runs}};
        out.push_back(row);
      }
      std::printf("%s\n", out.dump(2).c_str());
    });
  });
}

inline void add_report_command(CLI::App& app) {
  struct args {
    std::string store = "autopeft-study.db", study, out;
  };
  auto a = std::make_shared<args>();
  auto* cmd = app.add_subcommand("report", "Write a study's report: one self-contained HTML page with the Pareto front "
                                           "(baselines marked), the hypervolume per trial and the trial table.");
  cmd->add_option("--store", a->store, "the study store")->capture_default_str();
  cmd->add_option("--study", a->study, "the study (default: the store's only search study)");
  cmd->add_option("--out", a->out, "the HTML file (default: the study's report setting)")->type_name("FILE");
  cmd->callback([a] {
    run_command("report", [&] {
      auto store = detail::open_existing(a->store);
      const auto study = pick_study(store, a->study);
      study_settings s;
      settings_from_stored(s, study.config, a->store + ", study \"" + study.name + "\"");
      s.store = a->store;
      if (!a->out.empty()) s.report = a->out;
      std::printf("%s\n", write_study_report(store, study, s, s.backbone.empty() ? "the default backbone" : s.backbone).string().c_str());
    });
  });
}

}  // namespace autopeft::cli
