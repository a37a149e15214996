#pragma once
// The two figures of the study report: the Pareto front (metric against % trainable
// parameters, with the hand-picked baselines) and the hypervolume after each trial.
#include <autopeft/search/report/detail/html.hpp>
#include <autopeft/search/report/detail/label_placement.hpp>
#include <autopeft/search/report/detail/svg.hpp>
#include <autopeft/search/report/report_data.hpp>
#include <autopeft/search/report/report_options.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace autopeft::search::detail {

inline std::optional<double> finite(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? v : std::nullopt;
}

/// A complete trial with both objectives known: the trials the Pareto plot shows.
inline bool plotted(const report_data::trial_row& t) {
  return t.state == report_data::trial_state::complete && finite(t.metric) && finite(t.pct_params);
}

inline const report_data::trial_row* find_trial(const report_data& d, int number) {
  for (const auto& t : d.trials)
    if (t.number == number) return &t;
  return nullptr;
}

/// The Pareto set's plotted trials that no other member beats in the metric-vs-params plane, by
/// % parameters ascending: the step line. (A study with extra objectives keeps members that are
/// dominated in the plane, kept for their speed or memory; the plot leaves them off the line.)
inline std::vector<const report_data::trial_row*> front_trials(const report_data& d) {
  std::vector<const report_data::trial_row*> members;
  for (const auto& p : d.pareto) {
    const auto* t = find_trial(d, p.trial);
    if (t && plotted(*t) && std::find(members.begin(), members.end(), t) == members.end()) members.push_back(t);
  }
  using row = report_data::trial_row;
  std::sort(members.begin(), members.end(), [](const row* a, const row* b) {
    const double pa = *a->pct_params, pb = *b->pct_params;
    return pa != pb ? pa < pb : *a->metric > *b->metric;
  });
  std::vector<const row*> front;  // by % ascending, each must beat the metric of every cheaper one
  for (const auto* t : members)
    if (front.empty() || *t->metric > *front.back()->metric) front.push_back(t);
  return front;
}

// Log scale when asked for (or, automatically, when the shares span more than two decades),
// and only if every share is positive. With nothing to show, the usual 0.01 % .. 100 %.
inline bool use_log_x(const std::vector<double>& xs, axis_scale s) {
  if (s == axis_scale::linear) return false;
  if (xs.empty()) return true;
  const auto [lo, hi] = std::minmax_element(xs.begin(), xs.end());
  if (!(*lo > 0)) return false;
  return s == axis_scale::log || *hi / *lo > 100.0;
}

inline std::string point_title(const report_data& d, int number, double metric, double pct) {
  return "<title>trial " + std::to_string(number) + ": " + escape(d.metric_name) + " " +
         format_value(metric) + ", " + format_percent(pct) + " trainable</title>";
}

// The half-size of a baseline's marker: marker_path(k, x, y, 5) reaches 1.45 * 5 from the centre.
inline constexpr double baseline_marker_r = 7.5;

inline std::string pareto_plot(const report_data& d, const report_options& o) {
  std::vector<double> xs, ys;
  for (const auto& t : d.trials)
    if (plotted(t)) {
      xs.push_back(*t.pct_params);
      ys.push_back(*t.metric);
    }
  std::vector<const report_data::baseline_row*> baselines;
  for (const auto& b : d.baselines)
    if (std::isfinite(b.metric) && std::isfinite(b.pct_params)) {
      baselines.push_back(&b);
      xs.push_back(b.pct_params);
      ys.push_back(b.metric);
      if (b.metric_std && std::isfinite(*b.metric_std)) {
        ys.push_back(b.metric + std::fabs(*b.metric_std));
        ys.push_back(b.metric - std::fabs(*b.metric_std));
      }
    }
  const bool log_x = use_log_x(xs, o.x_scale);

  frame f;
  f.right = 230;
  const double legend_rows = 2.0 + static_cast<double>(baselines.size());
  f.height = std::max(560.0, f.top + 24 + 22 * legend_rows + 16);
  const auto mm = [](const std::vector<double>& v) {
    if (v.empty()) return std::pair{1.0, 0.0};  // min > max: the scale's "no values" case
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return std::pair{*lo, *hi};
  };
  const auto [x0, x1] = mm(xs);
  const auto [y0, y1] = mm(ys);
  f.x = log_x ? (xs.empty() ? scale{-2.0, 2.0, true} : log_scale(x0, x1)) : linear_scale(x0, x1, true);
  f.y = linear_scale(y0, y1);

  std::string s = svg_open(f, "plot pareto-plot", "Pareto front: " + d.metric_name +
                                                      " against % trainable parameters");
  s += axes(f, ticks_of(f.x, "%"), ticks_of(f.y),
            std::string("trainable parameters, % of the backbone") + (log_x ? " (log scale)" : ""),
            d.metric_name);

  s += "<g class=\"trials\">\n";
  for (const auto& t : d.trials) {
    if (!plotted(t)) continue;
    s += "<circle class=\"trial-point\" cx=\"" + coord(f.px(*t.pct_params)) + "\" cy=\"" +
         coord(f.py(*t.metric)) + "\" r=\"3.5\">" +
         point_title(d, t.number, *t.metric, *t.pct_params) + "</circle>\n";
  }
  s += "</g>\n";

  // The front as its attainment curve: the best metric reachable with at most x % parameters.
  const auto front = front_trials(d);
  if (!front.empty()) {
    std::string path = "M" + coord(f.px(*front[0]->pct_params)) + " " + coord(f.py(*front[0]->metric));
    for (std::size_t i = 1; i < front.size(); ++i)
      path += " H" + coord(f.px(*front[i]->pct_params)) + " V" + coord(f.py(*front[i]->metric));
    path += " H" + coord(f.x_end());
    s += "<path class=\"pareto-front\" d=\"" + path + "\"/>\n<g class=\"pareto\">\n";
    for (const auto* t : front)
      s += "<circle class=\"pareto-point\" cx=\"" + coord(f.px(*t->pct_params)) + "\" cy=\"" +
           coord(f.py(*t->metric)) + "\" r=\"5.5\">" +
           point_title(d, t->number, *t->metric, *t->pct_params) + "</circle>\n";
    s += "</g>\n";
  }

  // Baselines: marker, error bar, and a label where it covers no point, marker, error bar or
  // other label (or none: the legend names them all).
  std::vector<box> obstacles;
  for (const auto& t : d.trials)
    if (plotted(t)) obstacles.push_back(box_around(f.px(*t.pct_params), f.py(*t.metric), 4.5));
  for (const auto* t : front) obstacles.push_back(box_around(f.px(*t->pct_params), f.py(*t->metric), 7.0));
  std::vector<label_request> requests;
  for (const auto* b : baselines) {
    const double x = f.px(b->pct_params), y = f.py(b->metric);
    obstacles.push_back(box_around(x, y, baseline_marker_r));
    if (b->metric_std && std::isfinite(*b->metric_std)) {
      const double sd = std::fabs(*b->metric_std);
      obstacles.push_back({x - 5, f.py(b->metric + sd) - 1, x + 5, f.py(b->metric - sd) + 1});
    }
    requests.push_back({.x = x, .y = y, .r = baseline_marker_r, .width = label_width(truncate(b->name, 28))});
  }
  const auto labels = place_labels(requests, std::move(obstacles), {f.left, f.top, f.x_end(), f.y_end()});
  s += "<g class=\"baselines\">\n";
  for (std::size_t i = 0; i < baselines.size(); ++i) {
    const auto& b = *baselines[i];
    const int k = static_cast<int>(i);
    const double x = f.px(b.pct_params), y = f.py(b.metric);
    std::string title = "<title>" + escape(b.name) + ": " + escape(d.metric_name) + " " +
                        format_value(b.metric);
    if (b.metric_std && std::isfinite(*b.metric_std)) {
      const double sd = std::fabs(*b.metric_std);
      const double ya = f.py(b.metric - sd), yb = f.py(b.metric + sd);
      s += "<path class=\"error-bar\" stroke=\"" + std::string(marker_colour(k)) + "\" d=\"M" +
           coord(x) + " " + coord(ya) + " V" + coord(yb) + " M" + coord(x - 4) + " " + coord(ya) +
           " H" + coord(x + 4) + " M" + coord(x - 4) + " " + coord(yb) + " H" + coord(x + 4) +
           "\"/>\n";
      title += " \xC2\xB1 " + format_spread(sd);
    }
    title += ", " + format_percent(b.pct_params) + " trainable</title>";
    s += "<path class=\"baseline-marker\" fill=\"" + std::string(marker_colour(k)) + "\" d=\"" +
         marker_path(k, x, y, 5) + "\">" + title + "</path>\n";
    if (const auto& l = labels[i])
      s += "<text class=\"baseline-label\" x=\"" + coord(l->x) + "\" y=\"" + coord(l->y) + "\" text-anchor=\"" +
           std::string(l->anchor) + "\">" + escape(truncate(b.name, 28)) + "</text>\n";
  }
  s += "</g>\n";

  if (xs.empty())
    s += "<text class=\"empty-note\" x=\"" + coord(f.left + f.plot_w() / 2) + "\" y=\"" +
         coord(f.top + f.plot_h() / 2) + "\" text-anchor=\"middle\">No complete trials yet</text>\n";

  // Legend, right of the plot.
  const double lx = f.x_end() + 18;
  double ly = f.top + 14;
  s += "<g class=\"legend\">\n";
  s += "<circle class=\"trial-point legend-key\" cx=\"" + coord(lx + 8) + "\" cy=\"" + coord(ly) +
       "\" r=\"3.5\"/><text x=\"" + coord(lx + 24) + "\" y=\"" + coord(ly + 4) +
       "\">complete trials</text>\n";
  ly += 22;
  s += "<path class=\"pareto-front legend-key\" d=\"M" + coord(lx) + " " + coord(ly) + " H" + coord(lx + 16) +
       "\"/><circle class=\"pareto-point legend-key\" cx=\"" + coord(lx + 8) + "\" cy=\"" +
       coord(ly) + "\" r=\"5.5\"/><text x=\"" + coord(lx + 24) + "\" y=\"" + coord(ly + 4) +
       "\">Pareto front</text>\n";
  for (std::size_t i = 0; i < baselines.size(); ++i) {
    ly += 22;
    const int k = static_cast<int>(i);
    s += "<path class=\"baseline-marker legend-key\" fill=\"" + std::string(marker_colour(k)) +
         "\" d=\"" + marker_path(k, lx + 8, ly, 5) + "\"/><text x=\"" + coord(lx + 24) +
         "\" y=\"" + coord(ly + 4) + "\">" + escape(truncate(baselines[i]->name, 26)) + "</text>\n";
  }
  s += "</g>\n</svg>\n";
  return s;
}

inline std::string hypervolume_plot(const report_data& d) {
  frame f;
  f.height = 300;
  f.right = 230;
  const std::size_t n = d.hypervolume.size();
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : d.hypervolume)
    if (std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  f.x = {0.0, static_cast<double>(std::max<std::size_t>(n, 1)) + 1.0, false};
  f.y = lo <= hi ? linear_scale(lo, hi, true) : scale{};

  std::vector<tick> xt;
  const double step = std::max(1.0, nice_step(static_cast<double>(n) / 8));
  for (double v = step; v <= static_cast<double>(n); v += step)
    xt.push_back({v, std::to_string(static_cast<long long>(v))});
  if (n >= 1 && step > 1) xt.insert(xt.begin(), tick{1.0, "1"});

  std::string s = svg_open(f, "plot hypervolume-plot", "Hypervolume after each trial");
  s += axes(f, xt, ticks_of(f.y), "trials evaluated", "hypervolume");
  std::string points, dots;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = d.hypervolume[i];
    if (!std::isfinite(v)) continue;
    const double x = f.px(static_cast<double>(i + 1)), y = f.py(v);
    points += (points.empty() ? "" : " ") + coord(x) + "," + coord(y);
    dots += "<circle class=\"hv-point\" cx=\"" + coord(x) + "\" cy=\"" + coord(y) +
            "\" r=\"2.5\"><title>after " + std::to_string(i + 1) + " trials: " + format_value(v) +
            "</title></circle>\n";
  }
  if (!points.empty()) s += "<polyline class=\"hv-line\" points=\"" + points + "\"/>\n" + dots;
  else
    s += "<text class=\"empty-note\" x=\"" + coord(f.left + f.plot_w() / 2) + "\" y=\"" +
         coord(f.top + f.plot_h() / 2) + "\" text-anchor=\"middle\">No hypervolume recorded</text>\n";
  const double lx = f.x_end() + 18;
  s += "<g class=\"legend\">\n";
  if (lo <= hi)
    s += "<text x=\"" + coord(lx) + "\" y=\"" + coord(f.top + 18) + "\">final: " +
         format_value(d.hypervolume.back()) + "</text>\n";
  if (d.reference)
    s += "<text x=\"" + coord(lx) + "\" y=\"" + coord(f.top + 40) + "\">reference point:</text>\n" +
         "<text x=\"" + coord(lx) + "\" y=\"" + coord(f.top + 58) + "\">" + escape(d.metric_name) +
         " " + format_value(d.reference->metric) + ", " + format_percent(d.reference->pct_params) +
         "</text>\n";
  s += "</g>\n</svg>\n";
  return s;
}

}  // namespace autopeft::search::detail
