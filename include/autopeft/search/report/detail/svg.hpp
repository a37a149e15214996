#pragma once
// Inline-SVG building blocks of the study report: scales with readable ticks, a plot frame
// with axes, and point markers. Every coordinate goes through coord(), which writes "0" for a
// non-finite value, so no input can put "nan" or "inf" into the drawing.
#include <autopeft/search/report/detail/html.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace autopeft::search::detail {

inline std::string coord(double v) {
  if (!std::isfinite(v)) return "0";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

/// Maps data values to [0, 1]. A log scale keeps its bounds in log10 units.
struct scale {
  double lo = 0.0, hi = 1.0;
  bool log = false;
  [[nodiscard]] double unit(double v) const {
    const double t = log ? std::log10(v) : v;
    const double u = (t - lo) / (hi - lo);
    return std::isfinite(u) ? u : 0.5;
  }
};

struct tick {
  double value;
  std::string label;
};

/// The 1, 2 or 5 times a power of ten nearest above `raw`.
inline double nice_step(double raw) {
  if (!(raw > 0) || !std::isfinite(raw)) return 1.0;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / p;
  return (f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0) * p;
}

// Bounds for values in [min, max], padded so that no point sits on the frame. With no values
// (min > max) the scale is [0, 1]; equal values get a band around them. `floor_at_zero` keeps
// non-negative data (shares of parameters) from getting a negative axis.
inline scale linear_scale(double min, double max, bool floor_at_zero = false) {
  if (!(min <= max) || !std::isfinite(max - min)) return {0.0, 1.0, false};
  double pad = 0.05 * (max - min);
  if (!(pad > 0)) pad = min == 0.0 ? 0.5 : 0.05 * std::fabs(min);
  double lo = min - pad, hi = max + pad;
  if (floor_at_zero && min >= 0 && lo < 0) lo = 0;
  const double step = nice_step((hi - lo) / 5);
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;
  if (!(lo < hi) || !std::isfinite(hi - lo)) return {0.0, 1.0, false};
  return {lo, hi, false};
}

inline scale log_scale(double min, double max) {
  if (!(min <= max) || !(min > 0) || !std::isfinite(max)) return {-2.0, 2.0, true};
  const double a = std::log10(min), b = std::log10(max);
  const double pad = b > a ? 0.05 * (b - a) : 0.25;
  return {a - pad, b + pad, true};
}

inline std::string tick_label(double v, double step, std::string_view suffix) {
  int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  decimals = std::clamp(decimals, 0, 10);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, std::fabs(v) < step * 1e-9 ? 0.0 : v);
  return std::string(buf) + std::string(suffix);
}

inline std::vector<tick> linear_ticks(const scale& s, std::string_view suffix = {}) {
  const double step = nice_step((s.hi - s.lo) / 5);
  std::vector<tick> out;
  const double first = std::ceil(s.lo / step - 1e-9) * step;
  for (int k = 0; k < 50; ++k) {
    const double v = first + k * step;
    if (v > s.hi + step * 1e-9) break;
    out.push_back({v, tick_label(v, step, suffix)});
  }
  return out;
}

// Decades; 2x and 5x between them when fewer than three decades show; plain linear ticks
// when the range holds fewer than two of those.
inline std::vector<tick> log_ticks(const scale& s, std::string_view suffix = {}) {
  const auto label = [&](double v) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%g", v);
    return std::string(buf) + std::string(suffix);
  };
  const auto in_range = [&](double v) {
    const double t = std::log10(v);
    return t >= s.lo - 1e-9 && t <= s.hi + 1e-9;
  };
  std::vector<tick> out;
  const int first = static_cast<int>(std::floor(s.lo)), last = static_cast<int>(std::ceil(s.hi));
  const bool subdivide = last - first <= 3;
  for (int d = first; d <= last; ++d) {
    const double p = std::pow(10.0, d);
    for (double m : {1.0, 2.0, 5.0}) {
      if (m != 1.0 && !subdivide) continue;
      if (in_range(m * p)) out.push_back({m * p, label(m * p)});
    }
  }
  if (out.size() >= 2) return out;
  const double lo = std::pow(10.0, s.lo), hi = std::pow(10.0, s.hi);
  const double step = nice_step((hi - lo) / 4);
  out.clear();
  for (double v = std::ceil(lo / step) * step; v <= hi && out.size() < 10; v += step)
    if (v > 0) out.push_back({v, tick_label(v, step, suffix)});
  return out;
}

inline std::vector<tick> ticks_of(const scale& s, std::string_view suffix = {}) {
  return s.log ? log_ticks(s, suffix) : linear_ticks(s, suffix);
}

/// A plot area inside an SVG of width x height; the margins hold ticks, labels and legend.
struct frame {
  double width = 1140, height = 520;
  double left = 72, right = 24, top = 16, bottom = 56;
  scale x, y;
  [[nodiscard]] double plot_w() const { return width - left - right; }
  [[nodiscard]] double plot_h() const { return height - top - bottom; }
  [[nodiscard]] double px(double v) const { return left + x.unit(v) * plot_w(); }
  [[nodiscard]] double py(double v) const { return top + (1.0 - y.unit(v)) * plot_h(); }
  [[nodiscard]] double x_end() const { return left + plot_w(); }
  [[nodiscard]] double y_end() const { return top + plot_h(); }
};

inline std::string svg_open(const frame& f, std::string_view css_class, std::string_view label) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"" + std::string(css_class) +
         "\" width=\"" + coord(f.width) + "\" height=\"" + coord(f.height) + "\" viewBox=\"0 0 " +
         coord(f.width) + " " + coord(f.height) + "\" role=\"img\" aria-label=\"" + escape(label) +
         "\">\n";
}

/// Background, grid, ticks, tick labels, frame and axis titles.
inline std::string axes(const frame& f, const std::vector<tick>& xt, const std::vector<tick>& yt,
                        std::string_view x_title, std::string_view y_title) {
  std::string s;
  s += "<rect class=\"plot-bg\" x=\"" + coord(f.left) + "\" y=\"" + coord(f.top) + "\" width=\"" +
       coord(f.plot_w()) + "\" height=\"" + coord(f.plot_h()) + "\"/>\n<g class=\"grid\">\n";
  for (const auto& t : xt) {
    const double x = f.px(t.value);
    s += "<line x1=\"" + coord(x) + "\" y1=\"" + coord(f.top) + "\" x2=\"" + coord(x) +
         "\" y2=\"" + coord(f.y_end()) + "\"/>\n";
  }
  for (const auto& t : yt) {
    const double y = f.py(t.value);
    s += "<line x1=\"" + coord(f.left) + "\" y1=\"" + coord(y) + "\" x2=\"" + coord(f.x_end()) +
         "\" y2=\"" + coord(y) + "\"/>\n";
  }
  s += "</g>\n<g class=\"axis\">\n";
  s += "<rect class=\"frame\" x=\"" + coord(f.left) + "\" y=\"" + coord(f.top) + "\" width=\"" +
       coord(f.plot_w()) + "\" height=\"" + coord(f.plot_h()) + "\"/>\n";
  for (const auto& t : xt) {
    const double x = f.px(t.value);
    s += "<line x1=\"" + coord(x) + "\" y1=\"" + coord(f.y_end()) + "\" x2=\"" + coord(x) +
         "\" y2=\"" + coord(f.y_end() + 5) + "\"/>\n";
    s += "<text class=\"tick x-tick\" x=\"" + coord(x) + "\" y=\"" + coord(f.y_end() + 19) +
         "\" text-anchor=\"middle\">" + escape(t.label) + "</text>\n";
  }
  for (const auto& t : yt) {
    const double y = f.py(t.value);
    s += "<line x1=\"" + coord(f.left - 5) + "\" y1=\"" + coord(y) + "\" x2=\"" + coord(f.left) +
         "\" y2=\"" + coord(y) + "\"/>\n";
    s += "<text class=\"tick y-tick\" x=\"" + coord(f.left - 8) + "\" y=\"" + coord(y + 4) +
         "\" text-anchor=\"end\">" + escape(t.label) + "</text>\n";
  }
  s += "<text class=\"axis-title\" x=\"" + coord(f.left + f.plot_w() / 2) + "\" y=\"" +
       coord(f.height - 10) + "\" text-anchor=\"middle\">" + escape(x_title) + "</text>\n";
  const double yc = f.top + f.plot_h() / 2;
  s += "<text class=\"axis-title\" x=\"16\" y=\"" + coord(yc) + "\" text-anchor=\"middle\" " +
       "transform=\"rotate(-90 16 " + coord(yc) + ")\">" + escape(y_title) + "</text>\n</g>\n";
  return s;
}

/// Marker shapes of the baselines, told apart by shape as well as colour (readable in print).
inline constexpr int marker_shapes = 8;

/// The path of marker `shape` (mod marker_shapes) of half-size r centred at (x, y).
inline std::string marker_path(int shape, double x, double y, double r) {
  const auto p = [](double a, double b) { return coord(a) + " " + coord(b); };
  const auto polygon = [&](int n, double rot, double radius, double inner) {
    std::string d;
    const int k = inner > 0 ? 2 * n : n;
    for (int i = 0; i < k; ++i) {
      const double rr = (inner > 0 && i % 2 == 1) ? inner : radius;
      const double a = rot + 2.0 * 3.14159265358979323846 * i / k;
      d += (i == 0 ? "M" : " L") + p(x + rr * std::sin(a), y - rr * std::cos(a));
    }
    return d + " Z";
  };
  switch (((shape % marker_shapes) + marker_shapes) % marker_shapes) {
    case 0: return polygon(4, 0, r * 1.3, 0);                 // diamond
    case 1: return polygon(4, 3.14159265358979 / 4, r * 1.3, 0);  // square
    case 2: return polygon(3, 0, r * 1.35, 0);                // triangle up
    case 3: return polygon(3, 3.14159265358979, r * 1.35, 0);  // triangle down
    case 4: return polygon(5, 0, r * 1.45, r * 0.6);          // star
    case 5: {                                                 // plus
      const double a = r * 1.2, b = r * 0.4;
      return "M" + p(x - b, y - a) + " L" + p(x + b, y - a) + " L" + p(x + b, y - b) + " L" +
             p(x + a, y - b) + " L" + p(x + a, y + b) + " L" + p(x + b, y + b) + " L" +
             p(x + b, y + a) + " L" + p(x - b, y + a) + " L" + p(x - b, y + b) + " L" +
             p(x - a, y + b) + " L" + p(x - a, y - b) + " L" + p(x - b, y - b) + " Z";
    }
    case 6: return polygon(6, 0, r * 1.25, 0);  // hexagon
    default: return polygon(5, 0, r * 1.3, 0);  // pentagon
  }
}

inline constexpr const char* marker_colours[] = {"#1f77b4", "#2ca02c", "#9467bd", "#8c564b",
                                                 "#e377c2", "#17becf", "#bcbd22", "#ff7f0e"};

inline const char* marker_colour(int i) {
  return marker_colours[static_cast<std::size_t>(i) % (sizeof marker_colours / sizeof *marker_colours)];
}

}  // namespace autopeft::search::detail
