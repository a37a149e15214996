#pragma once
// The text parts of the study report: the header, the summary cards, the baselines' verdicts,
// the trial table, the table of Pareto configurations and the folded-away details.
#include <autopeft/search/report/baseline_verdicts.hpp>
#include <autopeft/search/report/detail/html.hpp>
#include <autopeft/search/report/detail/report_plots.hpp>
#include <autopeft/search/report/format_params.hpp>
#include <autopeft/search/report/report_data.hpp>
#include <autopeft/search/report/report_options.hpp>
#include <autopeft/search/store/trial_state.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace autopeft::search::detail {

inline constexpr std::array<report_data::trial_state, 5> all_states{
    report_data::trial_state::complete, report_data::trial_state::failed,
    report_data::trial_state::pruned, report_data::trial_state::running,
    report_data::trial_state::waiting};

inline std::string card(std::string_view label, const std::string& value_html,
                        std::string_view css_class = "", const std::string& note_html = "") {
  std::string s = "<div class=\"card";
  if (!css_class.empty()) s += " " + std::string(css_class);
  s += "\"><div class=\"card-label\">" + std::string(label) + "</div><div class=\"card-value\">" +
       value_html + "</div>";
  if (!note_html.empty()) s += "<div class=\"card-note\">" + note_html + "</div>";
  return s + "</div>\n";
}

/// The page's title and one line naming the task, the metric and the backbone.
inline std::string page_header(const report_data& d) {
  std::string s = "<header>\n<h1>" + escape(d.study_name.empty() ? "AutoPEFT study" : d.study_name) +
                  "</h1>\n<p class=\"subtitle\">";
  std::string sub;
  const auto add = [&](std::string_view label, const std::string& value) {
    if (value.empty()) return;
    if (!sub.empty()) sub += " <span class=\"sep\">\xC2\xB7</span> ";
    sub += "<span class=\"k\">" + std::string(label) + "</span> " + escape(value);
  };
  add("task", d.task_name);
  add("metric", d.metric_name + " (maximised)");
  add("backbone", d.backbone);
  return s + sub + "</p>\n</header>\n";
}

/// Trials by state, the best metric, the Pareto set's size, the hypervolume and the time spent.
inline std::string summary_cards(const report_data& d) {
  std::string s = "<div class=\"cards\">\n";
  s += card("trials", std::to_string(d.trials.size()));
  for (auto st : all_states) {
    std::size_t n = 0;
    for (const auto& t : d.trials) n += t.state == st;
    s += card(search::to_string(st), std::to_string(n),
              std::string("count state-") + std::string(search::to_string(st)) + (n == 0 ? " zero" : ""));
  }
  const report_data::trial_row* best = nullptr;
  double total = 0.0;
  for (const auto& t : d.trials) {
    if (std::isfinite(t.seconds) && t.seconds > 0) total += t.seconds;
    if (t.state == report_data::trial_state::complete && finite(t.metric) &&
        (!best || *t.metric > *best->metric))
      best = &t;
  }
  if (best)
    s += card("best " + escape(d.metric_name), format_value(*best->metric), "best",
              "trial " + std::to_string(best->number) +
                  (finite(best->pct_params) ? ", " + format_percent(*best->pct_params) : ""));
  else
    s += card("best " + escape(d.metric_name), "\xE2\x80\x94", "best", "no complete trial");
  s += card("Pareto set", std::to_string(d.pareto.size()));
  if (!d.hypervolume.empty()) s += card("hypervolume", format_value(d.hypervolume.back()));
  s += card("trial time", format_duration(total));
  return s + "</div>\n";
}

/// A learning rate as printf's %g writes it: "0.0003", "1e-05".
inline std::string format_lr(double lr) { return std::isfinite(lr) ? printf_double("%g", lr) : "\xE2\x80\x94"; }

/// One item per baseline: its final result and its verdict against the re-trained Pareto set.
inline std::string baseline_list(const report_data& d) {
  const auto verdicts = baseline_verdicts(d);
  std::string s = "<ul class=\"verdicts\">\n";
  for (std::size_t i = 0; i < d.baselines.size(); ++i) {
    const auto& b = d.baselines[i];
    const auto& v = verdicts[i];
    const char* kind = !v.compared ? "not-compared" : v.dominated ? "dominated" : v.matched_by ? "matched" : "not-dominated";
    s += "<li class=\"verdict " + std::string(kind) + "\"><span class=\"baseline-name\">" + escape(b.name) + "</span>";
    if (std::isfinite(b.metric)) {
      std::string result = format_value(b.metric);
      if (finite(b.metric_std)) result += " \xC2\xB1 " + format_spread(*b.metric_std);
      result += " at " + format_percent(b.pct_params) + " params";
      std::string how;
      if (b.runs > 1 || b.lr) how += std::to_string(b.runs) + (b.runs == 1 ? " run" : " runs");
      if (b.lr) how += ", lr " + format_lr(*b.lr);
      if (!how.empty()) result += ", " + how;
      s += " <span class=\"baseline-result\">(" + escape(result) + ")</span>";
    }
    s += ": " + escape(v.sentence) + "</li>\n";
  }
  return s + "</ul>\n";
}

/// The study's settings and the baselines' learning-rate grids, folded away at the page's end;
/// empty when there are neither.
inline std::string details_section(const report_data& d) {
  std::string body;
  if (d.settings.is_object() && !d.settings.empty()) {
    body += "<table class=\"settings\">\n<caption>Settings</caption>\n<tbody>\n";
    for (const auto& [key, value] : d.settings.items()) {
      const std::string text = value.is_string() ? value.get_ref<const std::string&>() : compact_json(value);
      body += "<tr><th>" + escape(key) + "</th><td title=\"" + escape(text) + "\">" +
              escape(truncate(text, 240)) + "</td></tr>\n";
    }
    body += "</tbody>\n</table>\n";
  } else if (!d.settings.is_null() && !(d.settings.is_structured() && d.settings.empty())) {
    body += "<p class=\"settings\"><span class=\"k\">settings</span> <code>" +
            escape(truncate(compact_json(d.settings), 2000)) + "</code></p>\n";
  }
  std::string grids;
  for (const auto& b : d.baselines) {
    if (b.grid.empty()) continue;
    grids += "<li><span class=\"k\">" + escape(b.name) + "</span>" +
             (b.method.empty() ? std::string() : " (" + escape(b.method) + ")") + ": ";
    for (std::size_t i = 0; i < b.grid.size(); ++i) {
      const auto& g = b.grid[i];
      grids += (i ? ", " : "") + std::string("lr ") + format_lr(g.lr) + " \xE2\x86\x92 " +
               (std::isfinite(g.metric) ? format_value(g.metric) : std::string("failed"));
      if (b.lr && g.lr == *b.lr) grids += " <span class=\"chosen\">(chosen)</span>";
    }
    grids += "</li>\n";
  }
  if (!grids.empty())
    body += "<h3>Learning-rate grids of the baselines</h3>\n<p class=\"caption\">One seed per rate; dev " +
            escape(d.metric_name) + " of each run. The final runs use the chosen rate.</p>\n<ul class=\"grids\">\n" +
            grids + "</ul>\n";
  if (body.empty()) return {};
  return "<details id=\"settings\" class=\"more\">\n<summary>Settings" +
         std::string(grids.empty() ? "" : " and the baselines' learning-rate grids") + "</summary>\n" + body +
         "</details>\n";
}

inline std::set<int> pareto_numbers(const report_data& d) {
  std::set<int> s;
  for (const auto& p : d.pareto) s.insert(p.trial);
  return s;
}

inline std::string opt_value(const std::optional<double>& v) {
  return finite(v) ? format_value(*v) : std::string("\xE2\x80\x94");
}

inline std::string opt_percent(const std::optional<double>& v) {
  return finite(v) ? format_percent(*v) : std::string("\xE2\x80\x94");
}

// The extra objectives' columns (report_data::extra_objective_names), named as the study names them.
inline std::string extra_headers(const report_data& d) {
  std::string s;
  for (const auto& name : d.extra_objective_names) s += "<th class=\"extra-objective\">" + escape(name) + "</th>";
  return s;
}

inline std::string extra_cells(const report_data& d, const report_data::trial_row& t) {
  std::string s;
  for (std::size_t i = 0; i < d.extra_objective_names.size(); ++i)
    s += "<td class=\"num extra-objective\">" +
         (i < t.extra_objectives.size() ? opt_value(t.extra_objectives[i]) : std::string("\xE2\x80\x94")) + "</td>";
  return s;
}

inline std::string trial_table(const report_data& d, const report_options& o) {
  const auto front = pareto_numbers(d);
  std::string s =
      "<table class=\"trials\">\n<thead><tr><th>#</th><th>state</th><th>parameters</th><th>" +
      escape(d.metric_name) + "</th><th>% params</th>" + extra_headers(d) +
      "<th>time</th><th>error</th></tr></thead>\n<tbody>\n";
  for (const auto& t : d.trials) {
    const std::string state(search::to_string(t.state));
    const bool on_front = front.count(t.number) > 0;
    const std::string params = brief_params(t.params);
    s += "<tr class=\"trial-row state-" + state + (on_front ? " pareto" : "") + "\" id=\"trial-" +
         std::to_string(t.number) + "\">";
    s += "<td class=\"num\">" + std::string(on_front ? "<span class=\"star\" title=\"on the Pareto front\">\xE2\x98\x85</span> " : "") +
         std::to_string(t.number) + "</td>";
    s += "<td><span class=\"badge state-" + state + "\">" + state + "</span></td>";
    s += "<td class=\"params\" title=\"" + escape(params) + "\"><code>" +
         escape(truncate(params, o.params_chars)) + "</code></td>";
    s += "<td class=\"num\">" + opt_value(t.metric) + "</td>";
    s += "<td class=\"num\">" + opt_percent(t.pct_params) + "</td>" + extra_cells(d, t);
    s += "<td class=\"num\">" + format_duration(t.seconds) + "</td>";
    s += "<td class=\"error\">" + escape(t.error) + "</td></tr>\n";
  }
  if (d.trials.empty())
    s += "<tr class=\"empty\"><td colspan=\"" + std::to_string(7 + d.extra_objective_names.size()) + "\">No trials yet</td></tr>\n";
  return s + "</tbody>\n</table>\n";
}

inline std::string pareto_table(const report_data& d) {
  std::string s =
      "<table class=\"pareto-configs\">\n<thead><tr><th>trial</th><th>parameters</th><th>" +
      escape(d.metric_name) + " (search)</th><th>% params</th><th>re-trained " +
      escape(d.metric_name) + "</th></tr></thead>\n<tbody>\n";
  // The plotted members in front order, then any the plot could not place.
  std::vector<const report_data::pareto_row*> rows;
  for (const auto* t : front_trials(d))
    for (const auto& p : d.pareto)
      if (p.trial == t->number) {
        rows.push_back(&p);
        break;
      }
  for (const auto& p : d.pareto)
    if (std::find(rows.begin(), rows.end(), &p) == rows.end()) rows.push_back(&p);
  for (const auto* p : rows) {
    const auto* t = find_trial(d, p->trial);
    s += "<tr class=\"pareto-row\"><td class=\"num\"><a href=\"#trial-" + std::to_string(p->trial) +
         "\">" + std::to_string(p->trial) + "</a></td>";
    if (t) {
      s += "<td class=\"params\"><code>" + escape(brief_params(t->params)) + "</code></td>";
      s += "<td class=\"num\">" + opt_value(t->metric) + "</td><td class=\"num\">" +
           opt_percent(t->pct_params) + "</td>";
    } else {
      s += "<td class=\"params missing\">not among the trials</td><td class=\"num\">\xE2\x80\x94</td>"
           "<td class=\"num\">\xE2\x80\x94</td>";
    }
    s += "<td class=\"num retrained\">";
    if (finite(p->retrained_mean)) {
      s += format_value(*p->retrained_mean);
      if (finite(p->retrained_std)) s += " \xC2\xB1 " + format_spread(*p->retrained_std);
      if (p->retrained_runs > 0) s += " <span class=\"runs\">(" + std::to_string(p->retrained_runs) + " runs)</span>";
    } else {
      s += "\xE2\x80\x94";
    }
    s += "</td></tr>\n";
  }
  if (rows.empty()) s += "<tr class=\"empty\"><td colspan=\"5\">No Pareto set yet</td></tr>\n";
  return s + "</tbody>\n</table>\n";
}

}  // namespace autopeft::search::detail
