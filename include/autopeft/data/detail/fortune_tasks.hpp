#pragma once
// fortune_category: a fortune's text -> the file it comes from.
#include <autopeft/data/detail/portable_rng.hpp>
#include <autopeft/data/detail/split_groups.hpp>
#include <autopeft/data/detail/text_file.hpp>
#include <autopeft/data/detail/wordnet_tasks.hpp>
#include <autopeft/data/embedded_benchmark_options.hpp>
#include <autopeft/data/fortunes.hpp>
#include <autopeft/data/hash_split.hpp>
#include <autopeft/data/task.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace autopeft::data::detail {

/// Entries are whitespace-collapsed; those longer than fortune_max_chars bytes are left out,
/// and so is a text found in two categories (its label would be ambiguous); a text repeated
/// within a category is kept once. Categories with fewer than fortune_min_per_class entries
/// left are dropped, the others sampled down to fortune_max_per_class. The split key is the
/// collapsed text, as in the corpus.
inline task fortune_category(const fortunes& f, const embedded_benchmark_options& o, counters& stats) {
  auto rng = task_rng(o, "fortune_category");
  struct item {
    std::string text;
    std::size_t category;
    std::size_t line;
    bool ambiguous = false;
  };
  std::vector<item> items;
  std::unordered_map<std::string, std::size_t> seen;
  const auto& cats = f.categories();
  for (std::size_t c = 0; c < cats.size(); ++c)
    for (const auto& e : cats[c].entries) {
      std::string text = squeeze(e.text);
      if (text.empty()) continue;
      if (text.size() > o.fortune_max_chars) {
        stats["fortune_category.entries_too_long"] += 1;
        continue;
      }
      const auto [it, fresh] = seen.try_emplace(text, items.size());
      if (fresh) {
        items.push_back({std::move(text), c, e.line});
      } else if (items[it->second].category != c) {
        items[it->second].ambiguous = true;
      } else {
        stats["fortune_category.duplicates_dropped"] += 1;
      }
    }
  std::vector<std::vector<std::size_t>> by_category(cats.size());
  for (std::size_t k = 0; k < items.size(); ++k) {
    if (items[k].ambiguous) {
      stats["fortune_category.ambiguous_dropped"] += 1;
      continue;
    }
    by_category[items[k].category].push_back(k);
  }
  task t;
  t.info = {"fortune_category", {}, false, metric_kind::accuracy};
  split_groups groups;
  for (std::size_t c = 0; c < cats.size(); ++c) {
    auto& members = by_category[c];
    if (members.size() < o.fortune_min_per_class) {
      stats["fortune_category.categories_dropped"] += 1;
      continue;
    }
    const auto label = static_cast<std::int64_t>(t.info.labels.size());
    t.info.labels.push_back(cats[c].name);
    rng.shuffle(members);
    if (o.fortune_max_per_class != 0 && members.size() > o.fortune_max_per_class)
      members.resize(o.fortune_max_per_class);
    for (const auto k : members) {
      example e;
      e.text_a = items[k].text;
      e.label = label;
      e.id = cats[c].name + ":" + std::to_string(items[k].line);
      e.line = items[k].line;
      const split s = hash_split(e.text_a);
      groups.add(s, {std::move(e)});
    }
  }
  groups.assemble_into(t, split_caps(o), rng);
  return t;
}

}  // namespace autopeft::data::detail
