#pragma once
// The study report as one self-contained HTML page: inline CSS and inline SVG, no scripts and
// no external resources, so it opens from disk, an e-mail or a CI artefact alike.
//
// Sections, figures first: the Pareto plot (every complete trial, the front as a step line, the
// baselines as markers, labelled where a label covers no point); the hypervolume after each
// trial; the baselines, each with its verdict against the re-trained Pareto set
// (baseline_verdicts); the summary (trials by state, best metric, total time); the Pareto
// configurations with their re-trained mean ± std; the table of all trials, failed ones marked
// and Pareto members starred; and, folded away at the end, the settings and the baselines'
// learning-rate grids. Configurations read as on the command line (brief_params: a layer mask
// is "110111").
//
// The page is well-formed XML as well as HTML5 (void elements are self-closed, all user text
// is escaped), so tests and tools can parse it with an XML parser. Output is deterministic:
// the same data gives the same bytes.
//
// Example:
//   const std::string html = autopeft::search::render_report(data);
//   autopeft::search::write_report(data, "out/report.html");  // atomically
#include <autopeft/search/report/detail/html.hpp>
#include <autopeft/search/report/detail/report_plots.hpp>
#include <autopeft/search/report/detail/report_tables.hpp>
#include <autopeft/search/report/report_data.hpp>
#include <autopeft/search/report/report_options.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace autopeft::search {

namespace detail {

inline constexpr const char* report_css = R"css(
:root { --ink: #1d2430; --muted: #5b6575; --line: #d8dde6; --bg: #f5f7fa; --card: #ffffff;
        --front: #d62728; --trial: #4c72b0; --fail: #c0392b; --fail-bg: #fdecea;
        --pareto-bg: #fff6d6; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 14px/1.45 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 40px; }
h1 { font-size: 26px; margin: 0 0 4px; word-break: break-word; }
h2 { font-size: 18px; margin: 0 0 6px; }
.subtitle { color: var(--muted); margin: 0 0 16px; }
.subtitle .k, .settings .k, .grids .k { font-weight: bold; color: var(--ink); }
.subtitle .sep { margin: 0 6px; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
        padding: 8px 12px; min-width: 88px; }
.card-label { color: var(--muted); font-size: 12px; text-transform: uppercase;
              letter-spacing: 0.04em; }
.card-value { font-size: 22px; font-weight: bold; }
.card-note { color: var(--muted); font-size: 12px; }
.card.zero .card-value { color: #a9b1bd; }
.card.state-failed:not(.zero) .card-value { color: var(--fail); }
.card.state-complete .card-value { color: #2e7d32; }
.card.best .card-value { color: var(--front); }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
          padding: 16px 18px; margin: 16px 0; overflow-x: auto; }
.caption { color: var(--muted); margin: 0 0 10px; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; font-weight: bold; padding: 6px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left;
         vertical-align: top; }
thead th { background: #eef1f6; white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.params code { font-size: 12px; word-break: break-word; }
table.settings { width: auto; max-width: 100%; margin-top: 8px; background: var(--card); border: 1px solid var(--line); }
table.settings th { background: #eef1f6; white-space: nowrap; }
table.settings th, table.settings td { vertical-align: middle; }
table.settings td { word-break: break-word; font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
tr.state-failed { background: var(--fail-bg); }
tr.state-failed td:first-child { box-shadow: inset 4px 0 0 var(--fail); }
tr.pareto { background: var(--pareto-bg); font-weight: bold; }
tr.state-pruned, tr.state-running, tr.state-waiting { color: var(--muted); }
td.error { color: var(--fail); font-size: 12px; white-space: pre-wrap; word-break: break-word;
           max-width: 360px; }
.star { color: #e0a800; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px;
         font-weight: bold; color: #fff; background: #7f8c8d; }
.badge.state-complete { background: #2e7d32; }
.badge.state-failed { background: var(--fail); }
.badge.state-pruned { background: #b7791f; }
.badge.state-running { background: #2b6cb0; }
.badge.state-waiting { background: #8a94a6; }
.runs { color: var(--muted); font-weight: normal; }
td.missing { color: var(--muted); font-style: italic; }
svg.plot { display: block; max-width: 100%; height: auto; font-size: 12px; }
svg text { fill: var(--ink); }
.plot-bg { fill: #fbfcfe; }
.grid line { stroke: #e6e9ef; stroke-width: 1; }
.axis line, .axis .frame { stroke: #6b7280; stroke-width: 1; fill: none; }
.axis-title { font-size: 13px; font-weight: bold; }
.trial-point { fill: var(--trial); fill-opacity: 0.55; stroke: #2f4f82; stroke-width: 0.6; }
.pareto-front { fill: none; stroke: var(--front); stroke-width: 2.2; }
.pareto-point { fill: var(--front); stroke: #fff; stroke-width: 1.5; }
.baseline-marker { stroke: #fff; stroke-width: 1.2; }
.error-bar { stroke-width: 1.4; fill: none; }
.baseline-label { font-weight: bold; paint-order: stroke; stroke: #fff; stroke-width: 3px;
                  stroke-linejoin: round; }
.hv-line { fill: none; stroke: #6a3d9a; stroke-width: 2; }
.hv-point { fill: #6a3d9a; }
.empty-note { fill: var(--muted); font-size: 16px; }
ul.verdicts { margin: 0; padding-left: 20px; }
ul.verdicts li { margin: 3px 0; }
.baseline-name { font-weight: bold; }
.baseline-result { color: var(--muted); }
li.verdict.dominated::marker, li.verdict.matched::marker { color: #2e7d32; }
li.verdict.not-dominated::marker { color: var(--front); }
details.more { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
               padding: 12px 18px; margin: 16px 0; overflow-x: auto; }
details.more > summary { cursor: pointer; font-weight: bold; font-size: 16px; }
details.more h3 { font-size: 15px; margin: 14px 0 4px; }
ul.grids { margin: 0; padding-left: 20px; font-size: 13px; }
.chosen { color: #2e7d32; font-weight: bold; }
footer { color: var(--muted); font-size: 12px; text-align: center; }
)css";

}  // namespace detail

/// The whole report page for `data`, drawn with `options`.
inline std::string render_report(const report_data& data, const report_options& options = {}) {
  using namespace detail;
  std::size_t complete = 0;
  std::vector<double> shares;
  for (const auto& t : data.trials) {
    complete += t.state == report_data::trial_state::complete;
    if (plotted(t)) shares.push_back(*t.pct_params);
  }
  const std::size_t shown = shares.size();
  for (const auto& b : data.baselines)
    if (std::isfinite(b.metric) && std::isfinite(b.pct_params)) shares.push_back(b.pct_params);
  const bool log_x = use_log_x(shares, options.x_scale);

  const std::string title = data.study_name.empty() ? "AutoPEFT study" : data.study_name;
  std::string s;
  s.reserve(64 * 1024);
  s += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
       "<meta name=\"generator\" content=\"autopeft\"/>\n<title>" +
       escape(title) + " \xE2\x80\x94 autopeft study report</title>\n<style>";
  s += report_css;
  s += "</style>\n</head>\n<body>\n<main>\n";
  s += page_header(data);

  s += "<section id=\"pareto-front\">\n<h2>Pareto front</h2>\n<p class=\"caption\">" +
       std::to_string(shown) + " of " + std::to_string(complete) +
       " complete trials plotted (failed, pruned and unfinished trials have no point); the red "
       "step line is the best " +
       escape(data.metric_name) + " reachable with at most a given share of trainable parameters";
  if (!data.baselines.empty())
    s += "; the other markers are the hand-designed baselines, named in the legend and beside the marker "
         "where the name covers no point";
  if (!data.extra_objective_names.empty()) {
    std::string names;
    for (const auto& n : data.extra_objective_names) names += (names.empty() ? "" : ", ") + escape(n);
    s += ". The study also minimises " + names +
         ": the plot and the hypervolume below show the two axes only (Pareto configurations kept for those "
         "objectives alone are off the step line), the verdicts compare on these two axes, and the trial table "
         "lists every objective";
  }
  if (options.x_scale == axis_scale::log && !log_x)
    s += ". A log scale was asked for, but some shares are not positive: the x axis is linear";
  s += ".</p>\n" + pareto_plot(data, options) + "</section>\n";

  s += "<section id=\"hypervolume\">\n<h2>Hypervolume</h2>\n<p class=\"caption\">Hypervolume "
       "dominated by the Pareto front after each trial";
  if (data.reference)
    s += ", with reference point (" + escape(data.metric_name) + " " +
         format_value(data.reference->metric) + ", " + format_percent(data.reference->pct_params) + ")";
  s += ".</p>\n" + hypervolume_plot(data) + "</section>\n";

  if (!data.baselines.empty())
    s += "<section id=\"baselines\">\n<h2>Baselines</h2>\n<p class=\"caption\">Each hand-designed baseline "
         "(mean over its final runs) against the Pareto set as re-trained with several seeds: dominated when a "
         "re-trained configuration reaches at least its " +
         escape(data.metric_name) + " with at most its share of parameters.</p>\n" + baseline_list(data) +
         "</section>\n";
  s += "<section id=\"summary\">\n<h2>Summary</h2>\n" + summary_cards(data) + "</section>\n";
  s += "<section id=\"pareto-configurations\">\n<h2>Pareto configurations</h2>\n" +
       pareto_table(data) + "</section>\n";
  s += "<section id=\"trials\">\n<h2>Trials</h2>\n" + trial_table(data, options) + "</section>\n";
  s += details_section(data);
  s += "<footer>Generated by autopeft</footer>\n</main>\n</body>\n</html>\n";
  return s;
}

}  // namespace autopeft::search
