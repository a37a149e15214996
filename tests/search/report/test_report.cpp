// The study report: a well-formed page whose drawing matches the data (one point per complete
// trial, in the right order on both axes), figures first and settings last, baseline labels that
// cover no point, the baselines' verdicts listed, baselines read from a store in both layouts,
// configurations printed as on the command line, escaped user text,
// finite coordinates for degenerate studies, an atomic write, and (when Chromium is installed) a
// page a browser really renders. The verdicts' rule and brief_params have their own tests.
#include <autopeft/search/report/baseline_verdicts.hpp>
#include <autopeft/search/report.hpp>
#include <autopeft/search/report/study_report_data.hpp>

#include "../../support/headless_chromium.hpp"
#include "../../support/png.hpp"
#include "../../support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using autopeft::search::report_data;
using state = report_data::trial_state;
namespace fs = std::filesystem;

// A tiny XML well-formedness checker, enough for the report: elements must nest and close,
// attributes must be quoted and unique, '<' never appears in text or attribute values, and
// every '&' starts a known reference. Keeps each element's attributes and direct text
// (references decoded) for the drawing checks.
struct element {
  std::string name;
  std::map<std::string, std::string> attrs;
  std::string text;
  std::string attr(const std::string& k) const {
    const auto it = attrs.find(k);
    return it == attrs.end() ? std::string() : it->second;
  }
};

struct parsed {
  std::string error;  // empty when well-formed
  std::vector<element> elements;
};

// Decodes the reference at s[i] == '&' into `out`; returns the index after it, or npos.
std::size_t reference(const std::string& s, std::size_t i, std::string& out) {
  const auto end = s.find(';', i);
  if (end == std::string::npos || end - i > 10) return std::string::npos;
  const std::string name = s.substr(i + 1, end - i - 1);
  static const std::map<std::string, std::string> named = {
      {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}};
  if (const auto it = named.find(name); it != named.end()) {
    out += it->second;
  } else if (name.size() >= 2 && name[0] == '#' &&
             std::all_of(name.begin() + 1, name.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    const long cp = std::stol(name.substr(1));
    if (cp >= 0x80) return std::string::npos;  // only ASCII references are expected here
    out += static_cast<char>(cp);
  } else {
    return std::string::npos;
  }
  return end + 1;
}

parsed parse_xml(const std::string& s) {
  parsed r;
  std::vector<std::size_t> open;
  std::size_t i = 0, roots = 0;
  const auto fail = [&](const std::string& what) {
    r.error = what + " at byte " + std::to_string(i) + ": ..." + s.substr(i > 40 ? i - 40 : 0, 80) + "...";
    return r;
  };
  const auto name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' || c == '.';
  };
  if (s.rfind("<!DOCTYPE", 0) == 0) i = s.find('>') + 1;
  while (i < s.size()) {
    if (s[i] == '&') {
      std::string decoded;
      const auto next = reference(s, i, decoded);
      if (next == std::string::npos) return fail("bare '&' in text");
      if (!open.empty()) r.elements[open.back()].text += decoded;
      i = next;
    } else if (s[i] != '<') {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(s[i]))) return fail("text outside the root element");
      if (!open.empty()) r.elements[open.back()].text += s[i];
      ++i;
    } else if (s.compare(i, 4, "<!--") == 0) {
      const auto end = s.find("-->", i);
      if (end == std::string::npos) return fail("unclosed comment");
      i = end + 3;
    } else if (s.compare(i, 2, "</") == 0) {
      const auto end = s.find('>', i);
      if (end == std::string::npos) return fail("unclosed end tag");
      const std::string name = s.substr(i + 2, end - i - 2);
      if (open.empty() || r.elements[open.back()].name != name)
        return fail("</" + name + "> closes <" + (open.empty() ? std::string("nothing") : r.elements[open.back()].name) + ">");
      open.pop_back();
      i = end + 1;
    } else {
      element e;
      std::size_t j = i + 1;
      while (j < s.size() && name_char(s[j])) e.name += s[j++];
      if (e.name.empty()) return fail("'<' that starts no tag");
      bool self_closing = false;
      for (;;) {
        while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j]))) ++j;
        if (j >= s.size()) return fail("tag cut off");
        if (s.compare(j, 2, "/>") == 0) {
          self_closing = true;
          j += 2;
          break;
        }
        if (s[j] == '>') {
          ++j;
          break;
        }
        std::string key;
        while (j < s.size() && name_char(s[j])) key += s[j++];
        if (key.empty() || j + 1 >= s.size() || s[j] != '=' || (s[j + 1] != '"' && s[j + 1] != '\''))
          return fail("attribute without a quoted value in <" + e.name + ">");
        const char q = s[j + 1];
        const auto end = s.find(q, j + 2);
        if (end == std::string::npos) return fail("unclosed attribute value");
        std::string value;
        for (std::size_t k = j + 2; k < end;) {
          if (s[k] == '<') return fail("'<' inside an attribute value");
          if (s[k] == '&') {
            k = reference(s, k, value);
            if (k == std::string::npos) return fail("bare '&' in an attribute value");
          } else {
            value += s[k++];
          }
        }
        if (!e.attrs.emplace(key, value).second) return fail("duplicate attribute " + key);
        j = end + 1;
      }
      if (open.empty() && ++roots > 1) return fail("a second root element");
      r.elements.push_back(std::move(e));
      if (!self_closing) open.push_back(r.elements.size() - 1);
      i = j;
    }
  }
  if (!open.empty()) return fail("<" + r.elements[open.back()].name + "> is never closed");
  if (roots != 1) return fail("no root element");
  return r;
}

std::vector<const element*> elements_of(const parsed& p, const std::string& name, const std::string& css_class) {
  std::vector<const element*> out;
  for (const auto& e : p.elements)
    if (e.name == name && e.attr("class") == css_class) out.push_back(&e);
  return out;
}

// Geometry attributes must hold no "nan"/"inf": the drawing would silently lose the shape.
std::string bad_coordinate(const parsed& p) {
  static const std::set<std::string> geometry = {"x", "y", "cx", "cy", "r", "x1", "x2", "y1", "y2", "width",
                                                 "height", "d", "points", "transform", "viewBox"};
  for (const auto& e : p.elements)
    for (const auto& [k, v] : e.attrs) {
      if (!geometry.count(k)) continue;
      std::string lower;
      for (char c : v) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower.find("nan") != std::string::npos || lower.find("inf") != std::string::npos)
        return "<" + e.name + " " + k + "=\"" + v + "\">";
    }
  return {};
}

bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = autopeft::search::detail::utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::size_t occurrences(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

report_data::trial_row complete(int n, double metric, double pct, nlohmann::json params = nlohmann::json::object()) {
  return {.number = n, .state = state::complete, .params = std::move(params), .metric = metric,
          .pct_params = pct, .seconds = 60.0 + n};
}

report_data sample_study() {
  report_data r;
  r.study_name = "rte search";
  r.task_name = "RTE";
  r.metric_name = "accuracy";
  r.backbone = "bert-base-uncased";
  r.settings = {{"budget", 10}, {"acquisition", "qNEHVI"}, {"space", {{"serial", {0, 8, 64}}}}};
  r.trials = {complete(0, 0.62, 0.02, {{"serial", 8}, {"prefix_length", 0}}),
              complete(1, 0.66, 0.3, {{"serial", 64}, {"prefix_length", 10}}),
              complete(2, 0.64, 1.2, {{"serial", 0}, {"prefix_length", 30}}),
              {.number = 3, .state = state::failed, .params = {{"serial", 512}}, .seconds = 4,
               .error = "CUDA out of memory"},
              complete(4, 0.70, 2.5, {{"serial", 64}, {"parallel", 64}}),
              {.number = 5, .state = state::pruned, .metric = 0.55, .pct_params = 0.5, .seconds = 20},
              complete(6, 0.60, 0.01, {{"serial", 1}}),
              {.number = 7, .state = state::running, .params = {{"serial", 16}}},
              complete(8, 0.69, 40.0, {{"serial", 96}}),
              {.number = 9, .state = state::waiting}};
  r.baselines = {{.name = "LoRA r=8", .metric = 0.65, .pct_params = 0.27, .metric_std = 0.01},
                 {.name = "Pfeiffer adapter", .metric = 0.66, .pct_params = 0.8},
                 {.name = "full fine-tuning", .metric = 0.71, .pct_params = 100.0, .metric_std = 0.02}};
  r.pareto = {{.trial = 6}, {.trial = 0, .retrained_mean = 0.615, .retrained_std = 0.01, .retrained_runs = 3},
              {.trial = 1}, {.trial = 4, .retrained_mean = 0.695, .retrained_std = 0.004, .retrained_runs = 3}};
  r.hypervolume = {1.0, 2.5, 2.5, 2.5, 4.0, 4.0, 4.2, 4.2, 4.2, 4.2};
  r.reference = report_data::reference_point{0.5, 100.0};
  return r;
}

std::size_t plotted_count(const report_data& r) {
  return static_cast<std::size_t>(std::count_if(r.trials.begin(), r.trials.end(), [](const auto& t) {
    return t.state == state::complete && t.metric && std::isfinite(*t.metric) && t.pct_params &&
           std::isfinite(*t.pct_params);
  }));
}

// The trial number a point's tooltip names ("trial 12: ...").
int trial_of(const parsed& p, const element* point) {
  const auto idx = static_cast<std::size_t>(point - p.elements.data());
  const auto& title = p.elements.at(idx + 1);
  REQUIRE(title.name == "title");
  return std::stoi(title.text.substr(title.text.find(' ') + 1));
}

}  // namespace

TEST_CASE("report: the page is well-formed and draws every complete trial where it belongs", "[search][report]") {
  const auto r = sample_study();
  const std::string html = autopeft::search::render_report(r);
  const auto p = parse_xml(html);
  INFO(p.error);
  REQUIRE(p.error.empty());
  CHECK(bad_coordinate(p).empty());
  CHECK(html.find("<title>rte search") != std::string::npos);

  // One point per complete trial with both objectives: the pruned trial has values but no point.
  const auto points = elements_of(p, "circle", "trial-point");
  REQUIRE(points.size() == plotted_count(r));
  REQUIRE(points.size() == 6);
  // More metric is higher on the page (smaller y); more parameters is further right.
  for (const auto* a : points)
    for (const auto* b : points) {
      const auto& ta = r.trials[static_cast<std::size_t>(trial_of(p, a))];
      const auto& tb = r.trials[static_cast<std::size_t>(trial_of(p, b))];
      if (*ta.metric > *tb.metric) CHECK(std::stod(a->attr("cy")) < std::stod(b->attr("cy")));
      if (*ta.pct_params < *tb.pct_params) CHECK(std::stod(a->attr("cx")) < std::stod(b->attr("cx")));
    }
  // Inside the plot area.
  const auto bg = elements_of(p, "rect", "plot-bg").at(0);
  for (const auto* pt : points) {
    CHECK(std::stod(pt->attr("cx")) > std::stod(bg->attr("x")));
    CHECK(std::stod(pt->attr("cx")) < std::stod(bg->attr("x")) + std::stod(bg->attr("width")));
    CHECK(std::stod(pt->attr("cy")) > std::stod(bg->attr("y")));
    CHECK(std::stod(pt->attr("cy")) < std::stod(bg->attr("y")) + std::stod(bg->attr("height")));
  }
  // 0.01 % .. 100 % spans four decades: the automatic x axis is logarithmic, ticked by decade.
  CHECK(html.find("(log scale)") != std::string::npos);
  std::vector<std::string> x_ticks;
  for (const auto* e : elements_of(p, "text", "tick x-tick")) x_ticks.push_back(e->text);
  CHECK(std::vector<std::string>(x_ticks.begin(), x_ticks.begin() + 5) ==
        std::vector<std::string>{"0.01%", "0.1%", "1%", "10%", "100%"});

  CHECK(elements_of(p, "circle", "pareto-point").size() == r.pareto.size());
  CHECK(elements_of(p, "path", "pareto-front").size() == 1);
  CHECK(elements_of(p, "path", "baseline-marker").size() == r.baselines.size());
  std::vector<std::string> labels;
  for (const auto* e : elements_of(p, "text", "baseline-label")) labels.push_back(e->text);
  CHECK(labels == std::vector<std::string>{"LoRA r=8", "Pfeiffer adapter", "full fine-tuning"});
  CHECK(elements_of(p, "path", "error-bar").size() == 2);
  CHECK(elements_of(p, "circle", "hv-point").size() == r.hypervolume.size());

  // Tables: every trial a row, the failed one marked, Pareto members highlighted.
  std::size_t rows = 0, failed = 0, starred = 0;
  for (const auto& e : p.elements) {
    if (e.name != "tr" || e.attr("class").rfind("trial-row", 0) != 0) continue;
    ++rows;
    failed += e.attr("class").find("state-failed") != std::string::npos;
    starred += e.attr("class").find(" pareto") != std::string::npos;
  }
  CHECK(rows == r.trials.size());
  CHECK(failed == 1);
  CHECK(starred == r.pareto.size());
  CHECK(html.find("CUDA out of memory") != std::string::npos);
  const auto pareto_rows = elements_of(p, "tr", "pareto-row");
  REQUIRE(pareto_rows.size() == r.pareto.size());
  CHECK(occurrences(html, "0.695 \xC2\xB1 0.004") == 1);
  CHECK(occurrences(html, "(3 runs)") == 2);
  // Pareto configurations in front order, by % parameters.
  std::vector<std::string> order;
  for (const auto& e : p.elements)
    if (e.name == "a" && e.attr("href").rfind("#trial-", 0) == 0) order.push_back(e.text);
  CHECK(order == std::vector<std::string>{"6", "0", "1", "4"});

  // Summary: counts by state, best metric, summed time.
  CHECK(html.find("<div class=\"card-value\">0.7</div><div class=\"card-note\">trial 4") != std::string::npos);
  CHECK(html.find("card count state-failed\"><div class=\"card-label\">failed</div><div class=\"card-value\">1<") !=
        std::string::npos);
  CHECK(html.find("<th>acquisition</th>") != std::string::npos);

  // Deterministic.
  CHECK(autopeft::search::render_report(r) == html);
}

TEST_CASE("report: user text is escaped everywhere", "[search][report]") {
  auto r = sample_study();
  r.study_name = "<script>alert(\"x&y\")</script>";
  r.metric_name = "acc<&>'\"";
  r.task_name = "t\x01\x7f";
  r.backbone = "bad utf-8 \xff\xfe\xc3";
  r.baselines[0].name = "</text><script>x()";
  r.trials[3].error = "</td></tr></table><img src=x onerror=alert(1)> & more";
  r.trials[0].params = {{"\"><b>key", "'&'"}, {"k", "\xe2\x82"}};
  r.settings["<k>"] = "</th>";
  const std::string html = autopeft::search::render_report(r);
  const auto p = parse_xml(html);
  INFO(p.error);
  REQUIRE(p.error.empty());
  CHECK(valid_utf8(html));
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("<b>") == std::string::npos);
  CHECK(html.find('\x01') == std::string::npos);
  CHECK(html.find('\x7f') == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;img src=x onerror=alert(1)&gt; &amp; more") !=
        std::string::npos);
  // The label reads as the name, once decoded.
  CHECK(elements_of(p, "text", "baseline-label").at(0)->text == "</text><script>x()");
  CHECK(elements_of(p, "text", "axis-title").at(1)->text == "acc<&>'\"");
}

TEST_CASE("report: degenerate studies render with finite coordinates", "[search][report]") {
  struct scenario {
    std::string name;
    report_data data;
    autopeft::search::report_options options = {};
  };
  std::vector<scenario> cases;
  cases.push_back({"nothing at all", report_data{}});
  {
    report_data r;
    r.trials = {complete(0, 0.7, 0.5)};
    r.pareto = {{.trial = 0}};
    r.hypervolume = {3.0};
    cases.push_back({"one trial", r});
    cases.push_back({"one trial, log axis", r, {.x_scale = autopeft::search::axis_scale::log}});
    cases.push_back({"one trial, linear axis", r, {.x_scale = autopeft::search::axis_scale::linear}});
  }
  {
    report_data r;
    r.trials = {complete(0, 0.7, 0.5), complete(1, 0.7, 0.5), complete(2, 0.7, 0.5)};
    r.pareto = {{.trial = 0}, {.trial = 1}, {.trial = 2}};
    r.hypervolume = {1.0, 1.0, 1.0};
    r.baselines = {{.name = "same", .metric = 0.7, .pct_params = 0.5}};
    cases.push_back({"all equal", r});
  }
  {
    report_data r;
    r.trials = {complete(0, 0.0, 0.0), complete(1, 0.0, 0.0)};
    r.hypervolume = {0.0, 0.0};
    cases.push_back({"all zero, log asked", r, {.x_scale = autopeft::search::axis_scale::log}});
  }
  {
    report_data r;
    r.trials = {{.number = 0, .state = state::failed, .error = "boom"},
                {.number = 1, .state = state::failed, .error = "boom"}};
    r.pareto = {{.trial = 7}};  // not a trial: listed, not drawn
    cases.push_back({"only failures", r});
  }
  {
    report_data r;
    const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
    r.trials = {complete(0, nan, 1.0), complete(1, 0.5, inf), complete(2, 0.6, 1e-9), complete(3, 1e12, 1e4)};
    r.baselines = {{.name = "nan", .metric = nan, .pct_params = 1.0}, {.name = "ok", .metric = 0.5, .pct_params = 2.0, .metric_std = nan}};
    r.pareto = {{.trial = 0, .retrained_mean = nan, .retrained_std = inf}, {.trial = 2}};
    r.hypervolume = {nan, inf, 1.0, -inf};
    r.reference = report_data::reference_point{nan, inf};
    cases.push_back({"non-finite and extreme values", r});
  }
  {
    report_data r;
    r.trials = {complete(0, -3.0, 5.0), complete(1, -1.0, 10.0), complete(2, -2.0, 20.0)};
    r.hypervolume = {0.0};
    cases.push_back({"negative metric, narrow share range", r});
  }
  for (const auto& c : cases) {
    SECTION(c.name) {
      const std::string html = autopeft::search::render_report(c.data, c.options);
      const auto p = parse_xml(html);
      INFO(p.error);
      REQUIRE(p.error.empty());
      INFO(bad_coordinate(p));
      CHECK(bad_coordinate(p).empty());
      CHECK(elements_of(p, "circle", "trial-point").size() == plotted_count(c.data));
      // Every axis has ticks to read the points by.
      CHECK(elements_of(p, "text", "tick x-tick").size() >= 1);
      CHECK(elements_of(p, "text", "tick y-tick").size() >= 2);
      if (plotted_count(c.data) == 0) CHECK(html.find("No complete trials yet") != std::string::npos);
    }
  }
}

TEST_CASE("report: axis ticks increase, lie on the axis and are labelled distinctly", "[search][report]") {
  namespace sd = autopeft::search::detail;
  const std::vector<std::pair<double, double>> ranges = {
      {0.01, 100}, {0.3, 0.31}, {5, 5}, {0, 0}, {-3, -1}, {0.004, 0.9}, {1e-6, 1e-5}, {1, 1e9}, {0.6, 0.72}};
  for (const auto& [lo, hi] : ranges)
    for (bool log : {false, true}) {
      if (log && lo <= 0) continue;
      const auto s = log ? sd::log_scale(lo, hi) : sd::linear_scale(lo, hi);
      INFO(lo << " .. " << hi << (log ? " log" : " linear") << ": axis " << s.lo << " .. " << s.hi);
      CHECK(s.lo < s.hi);
      CHECK(s.unit(lo) >= 0.0);  // the data fits on the axis
      CHECK(s.unit(hi) <= 1.0);
      const auto ticks = sd::ticks_of(s);
      CHECK(ticks.size() >= 2);
      CHECK(ticks.size() <= 16);
      std::set<std::string> labels;
      for (std::size_t i = 0; i < ticks.size(); ++i) {
        CHECK(s.unit(ticks[i].value) >= -1e-9);
        CHECK(s.unit(ticks[i].value) <= 1 + 1e-9);
        if (i > 0) CHECK(ticks[i].value > ticks[i - 1].value);
        labels.insert(ticks[i].label);
      }
      CHECK(labels.size() == ticks.size());
    }
}

TEST_CASE("report: a log scale that cannot hold zero falls back to linear and says so", "[search][report]") {
  report_data r;
  r.trials = {complete(0, 0.6, 0.0), complete(1, 0.7, 1.0)};
  const auto html = autopeft::search::render_report(r, {.x_scale = autopeft::search::axis_scale::log});
  CHECK(html.find("the x axis is linear") != std::string::npos);
  CHECK(html.find("(log scale)") == std::string::npos);
}

TEST_CASE("report: write_report replaces the file atomically", "[search][report]") {
  autopeft::testing::scratch_dir d{"report"};
  const auto target = d.path / "nested" / "report.html";
  auto r = sample_study();
  autopeft::search::write_report(r, target);
  const auto slurp = [](const fs::path& f) {
    std::ifstream in(f, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  CHECK(slurp(target) == autopeft::search::render_report(r));
  r.study_name = "second run";
  autopeft::search::write_report(r, target);
  CHECK(slurp(target) == autopeft::search::render_report(r));
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(target.parent_path())) {
    (void)e;
    ++files;
  }
  CHECK(files == 1);  // no temporary left behind

  fs::create_directories(d.path / "a-folder");
  CHECK_THROWS_AS(autopeft::search::write_report(r, d.path / "a-folder"), autopeft::file_error);
  files = 0;
  for (const auto& e : fs::directory_iterator(d.path)) {
    (void)e;
    ++files;
  }
  CHECK(files == 2);  // nested/ and a-folder/: the failed write cleaned up its temporary
}

namespace {

struct pixel_stats {
  std::size_t colours = 0;   // distinct colours at 4 bits per channel
  double off_background = 0;  // share of pixels unlike the most common colour
  std::size_t near(std::array<int, 3> c, const autopeft::testing::png_image& img) const {
    std::size_t n = 0;
    for (std::uint32_t y = 0; y < img.height; ++y)
      for (std::uint32_t x = 0; x < img.width; ++x) {
        const auto p = img.rgb(x, y);
        if (std::abs(p[0] - c[0]) + std::abs(p[1] - c[1]) + std::abs(p[2] - c[2]) < 30) ++n;
      }
    return n;
  }
};

pixel_stats stats_of(const autopeft::testing::png_image& img) {
  std::map<std::uint32_t, std::size_t> hist;
  std::map<std::uint32_t, std::size_t> exact;
  for (std::uint32_t y = 0; y < img.height; ++y)
    for (std::uint32_t x = 0; x < img.width; ++x) {
      const auto p = img.rgb(x, y);
      ++hist[(std::uint32_t{p[0]} >> 4 << 8) | (std::uint32_t{p[1]} >> 4 << 4) | (p[2] >> 4)];
      ++exact[(std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2]];
    }
  std::size_t top = 0;
  for (const auto& [c, n] : exact) top = std::max(top, n);
  const double total = static_cast<double>(img.width) * img.height;
  return {hist.size(), 1.0 - static_cast<double>(top) / total};
}

}  // namespace

TEST_CASE("report: Chromium renders the page", "[search][report][chromium]") {
  const auto exe = autopeft::testing::find_chromium();
  if (exe.empty()) {
    WARN("chromium is not installed (apt-get install chromium): the browser test is skipped");
    return;
  }
  autopeft::testing::scratch_dir d{"report-browser"};
  autopeft::testing::headless_chromium browser{exe, d.path};
  const auto r = sample_study();
  const auto page = d.path / "report.html";
  autopeft::search::write_report(r, page);

  const auto dom = browser.dump_dom(page);
  INFO(dom.command << "\n" << dom.err);
  REQUIRE(dom.exit_code == 0);
  CHECK(dom.out.find("<title>rte search") != std::string::npos);
  CHECK(occurrences(dom.out, "<svg") == 2);
  CHECK(occurrences(dom.out, "class=\"trial-row") == r.trials.size());
  CHECK(occurrences(dom.out, "class=\"trial-point\"") == plotted_count(r));
  CHECK(occurrences(dom.out, "class=\"pareto-point\"") == r.pareto.size());
  CHECK(occurrences(dom.out, "class=\"baseline-label\"") == r.baselines.size());
  CHECK(dom.out.find(">Pfeiffer adapter</text>") != std::string::npos);

  const auto shot = d.path / "report.png";
  const auto run = browser.screenshot(page, shot, 1280, 2000);
  INFO(run.command << "\n" << run.err);
  REQUIRE(run.exit_code == 0);
  REQUIRE(fs::exists(shot));
  const auto header = autopeft::testing::read_png_header(shot);
  CHECK(header.width == 1280);
  CHECK(header.height == 2000);
  const auto img = autopeft::testing::decode_png(shot);
  const auto s = stats_of(img);

  // The same measure on an empty page must say "blank", or it could not fail.
  const auto blank_page = d.path / "blank.html";
  std::ofstream(blank_page) << "<!DOCTYPE html><html><head><title>blank</title></head><body></body></html>\n";
  const auto blank_shot = d.path / "blank.png";
  REQUIRE(browser.screenshot(blank_page, blank_shot, 1280, 2000).exit_code == 0);
  const auto blank = stats_of(autopeft::testing::decode_png(blank_shot));
  CHECK(blank.colours <= 2);
  CHECK(blank.off_background < 0.001);

  CHECK(s.colours >= 50);
  CHECK(s.off_background > 0.05);
  // The Pareto front's red (#d62728) and the failed-state red (#c0392b) are on screen.
  CHECK(s.near({0xd6, 0x27, 0x28}, img) > 300);
  CHECK(s.near({0xc0, 0x39, 0x2b}, img) > 30);
}

TEST_CASE("report: figures come first, then the baselines, the tables, and the settings folded away at the end",
          "[search][report]") {
  const auto r = sample_study();
  const std::string html = autopeft::search::render_report(r);
  REQUIRE(parse_xml(html).error.empty());
  std::vector<std::size_t> at;
  for (const char* mark : {"<h1>", "<section id=\"pareto-front\"", "<section id=\"hypervolume\"",
                           "<section id=\"baselines\"", "<section id=\"summary\"", "<section id=\"pareto-configurations\"",
                           "<section id=\"trials\"", "<details id=\"settings\"", "<th>acquisition</th>", "<footer>"}) {
    INFO(mark);
    at.push_back(html.find(mark));
    CHECK(at.back() != std::string::npos);
    CHECK(occurrences(html, mark) == 1);
  }
  CHECK(std::is_sorted(at.begin(), at.end()));
  // The settings are folded away: the details element is not opened.
  const auto p = parse_xml(html);
  const auto details = std::find_if(p.elements.begin(), p.elements.end(), [](const element& e) { return e.name == "details"; });
  REQUIRE(details != p.elements.end());
  CHECK(details->attrs.count("open") == 0);
  // No settings and no grids: no details section.
  auto bare = r;
  bare.settings = nlohmann::json::object();
  CHECK(autopeft::search::render_report(bare).find("<details") == std::string::npos);
  // No baselines: no baselines section.
  bare.baselines.clear();
  CHECK(autopeft::search::render_report(bare).find("id=\"baselines\"") == std::string::npos);
}

TEST_CASE("report: configurations read as on the command line (brief_params)", "[search][report]") {
  auto r = sample_study();
  r.trials[4].params = {{"sa", 64}, {"layers", {true, true, false, true, true, true}}};
  const std::string html = autopeft::search::render_report(r);
  CHECK(occurrences(html, "<code>layers=110111 sa=64</code>") == 2);  // trial 4 is on the front
  CHECK(html.find("[true,true,false") == std::string::npos);
}

TEST_CASE("report: the baselines section lists every baseline with its verdict", "[search][report]") {
  auto r = sample_study();
  r.baselines[0].lr = 5e-4;
  r.baselines[0].runs = 5;
  r.pareto[2].retrained_mean = 0.67;  // trial 1, at 0.3 %
  const std::string html = autopeft::search::render_report(r);
  const auto p = parse_xml(html);
  REQUIRE(p.error.empty());
  const auto verdicts = autopeft::search::baseline_verdicts(r);
  REQUIRE(verdicts.size() == r.baselines.size());
  std::vector<const element*> items;
  for (const auto& e : p.elements)
    if (e.name == "li" && e.attr("class").rfind("verdict", 0) == 0) items.push_back(&e);
  REQUIRE(items.size() == r.baselines.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    INFO(items[i]->text);
    CHECK(items[i]->text.ends_with(": " + verdicts[i].sentence));
  }
  // Re-trained: trial 0 (0.615 at 0.02 %), trial 1 (0.67 at 0.3 %), trial 4 (0.695 at 2.5 %);
  // trial 6 (0.01 %) is not.
  CHECK(verdicts[0].sentence ==
        "not dominated: best found within its budget (<= 0.27% params) is trial 0 at 0.615 (re-trained), against 0.65; "
        "1 Pareto trial within its budget not re-trained yet");
  CHECK(items[0]->attr("class") == "verdict not-dominated");
  CHECK(verdicts[1].by_trial == std::optional<int>(1));
  CHECK(items[1]->attr("class") == "verdict dominated");
  CHECK(verdicts[2].best_within_budget == std::optional<int>(4));
  CHECK(html.find("(0.65 \xC2\xB1 0.01 at 0.27% params, 5 runs, lr 0.0005)") != std::string::npos);
}

TEST_CASE("study_report_data: a baseline's final runs make one row; its learning-rate grid is listed",
          "[search][report]") {
  namespace search = autopeft::search;
  autopeft::testing::scratch_dir d{"report-baselines"};
  auto store = search::study_store::open(d.path / "study.db");
  const std::vector<search::study_objective> objectives{{.name = "accuracy"}, {.name = "params_pct", .minimize = true}};
  const auto study = store.create_study("rte", nlohmann::json::object(), objectives);
  store.complete(study, store.ask(study, {{"sa", 8}, {"layers", {true, false}}}, 1), {0.70, 0.2});
  const auto bs = store.create_companion(study, "baselines", nlohmann::json::object());
  const auto run = [&](const std::string& name, const char* stage, double lr, int seed, std::optional<double> metric) {
    const nlohmann::json params = {{"method", name == "LoRA r=8" ? "lora8" : "prefix"}, {"lr", lr}};
    const auto n = store.ask(bs, params, 7, search::worker_id(), {.origin = stage, .label = name, .seed_index = seed});
    if (metric) store.complete(bs, n, {*metric, name == "LoRA r=8" ? 0.27 : 0.1});
    else store.fail(bs, n, "training diverged");
  };
  run("LoRA r=8", "grid", 1e-4, 0, 0.61);
  run("LoRA r=8", "grid", 5e-4, 0, 0.66);
  run("LoRA r=8", "grid", 1e-3, 0, std::nullopt);
  run("prefix", "grid", 1e-2, 0, 0.55);
  run("LoRA r=8", "final", 5e-4, 0, 0.64);
  run("LoRA r=8", "final", 5e-4, 1, 0.66);
  run("LoRA r=8", "final", 5e-4, 2, 0.68);
  run("LoRA r=8", "final", 5e-4, 3, std::nullopt);  // a failed seed is no run
  // A running trial is no result yet.
  store.ask(bs, {{"method", "prefix"}, {"lr", 1e-2}}, 7, search::worker_id(), {.origin = "final", .label = "prefix", .seed_index = 0});

  const auto data = search::study_report_data(store, study);
  REQUIRE(data.baselines.size() == 2);
  const auto& lora = data.baselines[0];
  CHECK(lora.name == "LoRA r=8");
  CHECK(lora.method == "lora8");
  CHECK(lora.runs == 3);
  CHECK(lora.metric == Approx(0.66));
  REQUIRE(lora.metric_std);
  CHECK(*lora.metric_std == Approx(0.02));  // sample standard deviation
  CHECK(lora.pct_params == Approx(0.27));
  CHECK(lora.lr == std::optional<double>(5e-4));
  REQUIRE(lora.grid.size() == 3);
  CHECK(lora.grid[1].lr == 5e-4);
  CHECK(lora.grid[1].metric == 0.66);
  CHECK(std::isnan(lora.grid[2].metric));  // the diverged rate
  const auto& prefix = data.baselines[1];
  CHECK(prefix.runs == 0);
  CHECK(std::isnan(prefix.metric));
  CHECK(prefix.grid.size() == 1);

  // The trial table reads the layer mask as the command line does.
  const std::string html = search::render_report(data);
  REQUIRE(parse_xml(html).error.empty());
  CHECK(html.find("<code>layers=10 sa=8</code>") != std::string::npos);
  // One line per baseline with its grid, the chosen rate marked, inside the folded details.
  const auto details = html.find("<details id=\"settings\"");
  REQUIRE(details != std::string::npos);
  const auto line = html.find("lr 0.0001 \xE2\x86\x92 0.61, lr 0.0005 \xE2\x86\x92 0.66 <span class=\"chosen\">(chosen)</span>, "
                              "lr 0.001 \xE2\x86\x92 failed</li>");
  CHECK(line != std::string::npos);
  CHECK(line > details);
  const auto prefix_line = html.find("lr 0.01 \xE2\x86\x92 0.55</li>");
  CHECK(prefix_line != std::string::npos);
  CHECK(prefix_line > details);
  // The unfinished baseline is listed, not drawn, and not compared.
  CHECK(html.find("not compared: its final runs have not finished") != std::string::npos);
  CHECK(elements_of(parse_xml(html), "path", "baseline-marker").size() == 1);
}

TEST_CASE("study_report_data: a store written before stages keeps one row per baseline trial", "[search][report]") {
  namespace search = autopeft::search;
  autopeft::testing::scratch_dir d{"report-old-baselines"};
  auto store = search::study_store::open(d.path / "study.db");
  const std::vector<search::study_objective> objectives{{.name = "accuracy"}, {.name = "params_pct", .minimize = true}};
  const auto study = store.create_study("rte", nlohmann::json::object(), objectives);
  const auto bs = store.create_companion(study, "baselines", nlohmann::json::object());
  const auto labelled = [&](const nlohmann::json& params, const char* label) {
    return store.ask(bs, params, 1, search::worker_id(), {.label = label});
  };
  store.complete(bs, labelled({{"sa", 48}}, "Pfeiffer adapter (SA 48)"), {0.64, 1.3});
  store.fail(bs, labelled({{"pt", 24}}, "prefix tuning (PT 24)"), "boom");
  store.complete(bs, labelled({{"pa", 48}}, "parallel adapter (PA 48)"), {0.66, 1.3});
  const auto data = search::study_report_data(store, study);
  REQUIRE(data.baselines.size() == 2);
  CHECK(data.baselines[0].name == "Pfeiffer adapter (SA 48)");
  CHECK(data.baselines[0].metric == 0.64);
  CHECK(data.baselines[0].runs == 1);
  CHECK_FALSE(data.baselines[0].metric_std);
  CHECK_FALSE(data.baselines[0].lr);
  CHECK(data.baselines[0].grid.empty());
  CHECK(data.baselines[1].name == "parallel adapter (PA 48)");
  CHECK(data.baselines[1].pct_params == 1.3);
}

namespace {

struct circle {
  double x, y, r;
};

// Every point marker of the Pareto plot: trials, Pareto members and baselines (as circles
// round their marker).
std::vector<circle> point_markers(const parsed& p) {
  std::vector<circle> out;
  for (const char* cls : {"trial-point", "pareto-point"})
    for (const auto* e : elements_of(p, "circle", cls))
      out.push_back({std::stod(e->attr("cx")), std::stod(e->attr("cy")), std::stod(e->attr("r"))});
  return out;
}

// The label boxes of the Pareto plot, from their coordinates and text.
std::vector<autopeft::search::detail::box> label_boxes(const parsed& p) {
  namespace sd = autopeft::search::detail;
  std::vector<sd::box> out;
  for (const auto* e : elements_of(p, "text", "baseline-label"))
    out.push_back(sd::label_bounds(std::stod(e->attr("x")), std::stod(e->attr("y")), sd::label_width(e->text),
                                   e->attr("text-anchor")));
  return out;
}

bool overlaps(const autopeft::search::detail::box& b, const circle& c) {
  const double nx = std::clamp(c.x, b.x0, b.x1), ny = std::clamp(c.y, b.y0, b.y1);
  return (nx - c.x) * (nx - c.x) + (ny - c.y) * (ny - c.y) < c.r * c.r;
}

// A study whose trials crowd round the baselines.
report_data crowded_study() {
  report_data r;
  r.metric_name = "accuracy";
  const auto add = [&](double metric, double pct) {
    r.trials.push_back(complete(static_cast<int>(r.trials.size()), metric, pct));
  };
  for (double pct : {0.26, 0.27, 0.28, 0.30, 0.5, 0.8, 0.82})
    for (double m : {0.640, 0.645, 0.650, 0.655, 0.66}) add(m + 0.001 * static_cast<double>(r.trials.size() % 3), pct);
  add(0.60, 0.01);
  add(0.70, 100.0);
  r.pareto = {{.trial = static_cast<int>(r.trials.size()) - 2}, {.trial = static_cast<int>(r.trials.size()) - 1}};
  r.baselines = {{.name = "LoRA r=8 (query, value)", .metric = 0.652, .pct_params = 0.27},
                 {.name = "Pfeiffer adapter", .metric = 0.65, .pct_params = 0.81, .metric_std = 0.004},
                 {.name = "close by", .metric = 0.65, .pct_params = 0.29},
                 {.name = "full fine-tuning", .metric = 0.70, .pct_params = 90.0}};
  return r;
}

}  // namespace

TEST_CASE("report: place_labels keeps labels off every point and off each other", "[search][report]") {
  namespace sd = autopeft::search::detail;
  const sd::box area{0, 0, 400, 300};
  const double w = sd::label_width("LoRA r=8");
  CHECK(w > 50);
  CHECK(w < 80);
  // Points right and left of the marker: the label goes above it.
  std::vector<sd::box> points = {sd::box_around(100, 100, 7.5), sd::box_around(125, 96, 4.5),
                                 sd::box_around(78, 100, 4.5), sd::box_around(140, 104, 4.5)};
  auto spots = sd::place_labels({{.x = 100, .y = 100, .r = 7.5, .width = w}}, points, area);
  REQUIRE(spots.size() == 1);
  REQUIRE(spots[0]);
  CHECK(spots[0]->anchor == "middle");
  CHECK(spots[0]->bounds.y1 <= 100 - 7.5);
  for (const auto& b : points) CHECK_FALSE(b.overlaps(spots[0]->bounds));
  // Two markers side by side: their labels do not overlap either.
  spots = sd::place_labels({{.x = 200, .y = 200, .r = 7.5, .width = w}, {.x = 210, .y = 200, .r = 7.5, .width = w}},
                           {sd::box_around(200, 200, 7.5), sd::box_around(210, 200, 7.5)}, area);
  REQUIRE(spots[0]);
  REQUIRE(spots[1]);
  CHECK_FALSE(spots[0]->bounds.overlaps(spots[1]->bounds));
  // Labels stay inside the plot: at the right edge the first choice is the left side.
  spots = sd::place_labels({{.x = 395, .y = 150, .r = 5, .width = w}}, {}, area);
  REQUIRE(spots[0]);
  CHECK(spots[0]->anchor == "end");
  CHECK(spots[0]->bounds.inside(area));
  // Boxed in by points all around: no label (the legend names it).
  points.clear();
  for (double x = 40; x <= 160; x += 9)
    for (double y = 60; y <= 140; y += 9) points.push_back(sd::box_around(x, y, 4.5));
  spots = sd::place_labels({{.x = 100, .y = 100, .r = 7.5, .width = w}}, points, area);
  CHECK_FALSE(spots[0]);
}

TEST_CASE("report: no baseline label covers a point marker or another label in the drawn plot", "[search][report]") {
  auto r = crowded_study();
  // "boxed in" sits in a block of points about 12 px apart on the log axis (190 px a decade):
  // no label fits, and the legend alone names it.
  r.baselines.push_back({.name = "boxed in", .metric = 0.62, .pct_params = 3.0});
  for (int i = -8; i <= 8; ++i)
    for (int j = -4; j <= 4; ++j)
      if (i != 0 || j != 0)
        r.trials.push_back(complete(static_cast<int>(r.trials.size()), 0.62 + 0.0025 * j, 3.0 * std::pow(1.15, i)));
  for (const auto scale : {autopeft::search::axis_scale::log, autopeft::search::axis_scale::linear}) {
    INFO((scale == autopeft::search::axis_scale::log ? "log" : "linear") << " x axis");
    const std::string html = autopeft::search::render_report(r, {.x_scale = scale});
    const auto p = parse_xml(html);
    REQUIRE(p.error.empty());
    const auto labels = label_boxes(p);
    CHECK(labels.size() >= 2);
    const auto points = point_markers(p);
    REQUIRE(points.size() == plotted_count(r) + r.pareto.size());
    std::vector<std::string> shown;
    for (const auto* e : elements_of(p, "text", "baseline-label")) shown.push_back(e->text);
    if (scale == autopeft::search::axis_scale::log)
      CHECK(std::find(shown.begin(), shown.end(), "boxed in") == shown.end());
    // Baseline markers, as the circle round each marker's path.
    std::vector<circle> markers;
    for (const auto* e : elements_of(p, "path", "baseline-marker")) {
      const auto d = e->attr("d");
      double x0 = 1e9, x1 = -1e9, y0 = 1e9, y1 = -1e9;
      std::istringstream in(d);
      for (std::string tok; in >> tok;) {
        if (tok == "Z") continue;
        if (!std::isdigit(static_cast<unsigned char>(tok[0])) && tok[0] != '-') tok = tok.substr(1);
        std::string ytok;
        in >> ytok;
        const double x = std::stod(tok), y = std::stod(ytok);
        x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
      }
      markers.push_back({(x0 + x1) / 2, (y0 + y1) / 2, std::max(x1 - x0, y1 - y0) / 2});
    }
    CHECK(markers.size() == r.baselines.size());
    for (std::size_t i = 0; i < labels.size(); ++i) {
      for (const auto& c : points) {
        INFO("label " << shown[i] << " against the point at " << c.x << ", " << c.y);
        CHECK_FALSE(overlaps(labels[i], c));
      }
      for (const auto& c : markers) {
        INFO("label " << shown[i] << " against the baseline marker at " << c.x << ", " << c.y);
        CHECK_FALSE(overlaps(labels[i], c));
      }
      for (std::size_t j = 0; j < i; ++j) CHECK_FALSE(labels[i].overlaps(labels[j]));
    }
    // Every baseline is still named in the legend.
    for (const auto& b : r.baselines) CHECK(html.find(">" + b.name + "</text>") != std::string::npos);
  }
}

TEST_CASE("report: in Chromium, no baseline label covers a point marker", "[search][report][chromium]") {
  const auto exe = autopeft::testing::find_chromium();
  if (exe.empty()) {
    WARN("chromium is not installed (apt-get install chromium): the browser test is skipped");
    return;
  }
  autopeft::testing::scratch_dir d{"report-labels"};
  autopeft::testing::headless_chromium browser{exe, d.path};
  for (const auto& [name, r] : std::vector<std::pair<std::string, report_data>>{{"sample", sample_study()}, {"crowded", crowded_study()}}) {
    // The page with a script that measures what the browser drew: each label's box against
    // every point marker's and every other label's.
    std::string html = autopeft::search::render_report(r);
    html.insert(html.rfind("</body>"), R"(<pre id="overlaps"><script>
const box = e => { const b = e.getBBox(); return {x0: b.x, y0: b.y, x1: b.x + b.width, y1: b.y + b.height}; };
const hit = (a, b) => a.x0 < b.x1 - 0.5 && b.x0 < a.x1 - 0.5 && a.y0 < b.y1 - 0.5 && b.y0 < a.y1 - 0.5;
const plot = document.querySelector('svg.pareto-plot');
const labels = [...plot.querySelectorAll('text.baseline-label')].map(box);
const points = [...plot.querySelectorAll('circle.trial-point, circle.pareto-point, path.baseline-marker')].map(box);
let n = 0;
labels.forEach((l, i) => { points.forEach(p => n += hit(l, p)); labels.slice(0, i).forEach(m => n += hit(l, m)); });
document.getElementById('overlaps').textContent = 'labels ' + labels.length + ' overlaps ' + n;
</script></pre>)");
    const auto page = d.path / (name + ".html");
    std::ofstream(page) << html;
    const auto dom = browser.dump_dom(page);
    INFO(name << ": " << dom.command << "\n" << dom.err);
    REQUIRE(dom.exit_code == 0);
    const auto at = dom.out.find("<pre id=\"overlaps\">labels ");
    REQUIRE(at != std::string::npos);
    const std::string result = dom.out.substr(at + 19, dom.out.find("<", at + 19) - at - 19);
    INFO(result);
    CHECK(result.ends_with(" overlaps 0"));
    CHECK(result.rfind("labels 0 ", 0) != 0);
  }
}
