#pragma once
// Where the Pareto plot writes the baselines' names: next to each marker, never over a point
// marker, an error bar or another label, else not at all (the legend names every baseline, so
// a label that does not fit is only left out of the plot).
//
// The text's extent is estimated, not measured (the page has no scripts): label_width holds
// the advances of the labels' font, DejaVu Sans Bold at 12 px, as Chromium draws them, rounded
// up, so the estimate errs on the wide side.
#include <algorithm>
#include <array>
#include <optional>
#include <string_view>
#include <vector>

namespace autopeft::search::detail {

/// An axis-aligned box in SVG user units (y grows downwards).
struct box {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  [[nodiscard]] bool overlaps(const box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
  [[nodiscard]] bool inside(const box& o) const { return x0 >= o.x0 && x1 <= o.x1 && y0 >= o.y0 && y1 <= o.y1; }
};

/// The square of half-size r around (x, y): a marker's extent.
inline box box_around(double x, double y, double r) { return {x - r, y - r, x + r, y + r}; }

/// The estimated advance, in px, of `text` in the label font (bold 12 px).
inline double label_width(std::string_view text) {
  double w = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;  // a UTF-8 continuation byte: counted with its lead
    const auto in = [&](std::string_view set) { return set.find(static_cast<char>(c)) != std::string_view::npos; };
    if (c >= 0x80) w += 12.5;
    else if (in("'ijl.,:;!|/\\IJ ")) w += 4.8;
    else if (in("ft()[]r_`\"*-")) w += 6.4;
    else if (in("ABDGHKNOQRUVX&#+<=>^~")) w += 10.5;
    else if (in("mwMW@%")) w += 13.3;
    else w += 8.8;
  }
  return w;
}

/// The box a label of `width` covers when its text is drawn at (x, y) (y the baseline) with
/// SVG text-anchor `anchor`; the white halo drawn around the glyphs is included.
inline box label_bounds(double x, double y, double width, std::string_view anchor) {
  const double x0 = anchor == "end" ? x - width : anchor == "middle" ? x - width / 2 : x;
  return {x0 - 2, y - 12.5, x0 + width + 2, y + 4.5};
}

/// A label to place next to the marker of half-size `r` centred at (x, y).
struct label_request {
  double x = 0, y = 0, r = 0;
  double width = 0;  // label_width of its text
};

/// A placed label: its text's anchor point and baseline, its text-anchor and the box it covers.
struct label_spot {
  double x = 0, y = 0;
  std::string_view anchor = "start";
  box bounds;
};

/// For each request, in order: the first of the candidate spots around its marker whose box
/// lies inside `area` and overlaps none of `obstacles` and no label placed before; nullopt
/// when none does. Candidates, near ring first and then a ring 12 px further out: right of the
/// marker, left, above, below, right and left half a line higher and lower, then the four
/// corners.
inline std::vector<std::optional<label_spot>> place_labels(const std::vector<label_request>& requests,
                                                           std::vector<box> obstacles, const box& area) {
  std::vector<std::optional<label_spot>> out;
  for (const auto& q : requests) {
    std::optional<label_spot> chosen;
    for (double gap : {4.0, 16.0}) {
      const double side = q.r + gap + 2, up = q.y - q.r - gap - 4.5, down = q.y + q.r + gap + 12.5;
      const std::array<label_spot, 12> candidates{{
          {q.x + side, q.y + 4, "start"},      {q.x - side, q.y + 4, "end"},
          {q.x, up, "middle"},                 {q.x, down, "middle"},
          {q.x + side, q.y - 6, "start"},      {q.x + side, q.y + 14, "start"},
          {q.x - side, q.y - 6, "end"},        {q.x - side, q.y + 14, "end"},
          {q.x + q.r, up, "start"},            {q.x + q.r, down, "start"},
          {q.x - q.r, up, "end"},              {q.x - q.r, down, "end"},
      }};
      for (auto c : candidates) {
        c.bounds = label_bounds(c.x, c.y, q.width, c.anchor);
        if (!c.bounds.inside(area)) continue;
        if (std::any_of(obstacles.begin(), obstacles.end(), [&](const box& b) { return b.overlaps(c.bounds); }))
          continue;
        chosen = c;
        break;
      }
      if (chosen) break;
    }
    if (chosen) obstacles.push_back(chosen->bounds);
    out.push_back(chosen);
  }
  return out;
}

}  // namespace autopeft::search::detail
