#pragma once
// The four WordNet tasks of the embedded benchmark (docs/data/embedded_benchmark.md says what
// each holds and why). Every synset belongs to the split hash_split(split_key) gives it, in
// every task and in the pretraining corpus.
#include <autopeft/data/detail/fnv1a.hpp>
#include <autopeft/data/detail/portable_rng.hpp>
#include <autopeft/data/detail/split_groups.hpp>
#include <autopeft/data/detail/text_file.hpp>
#include <autopeft/data/embedded_benchmark_options.hpp>
#include <autopeft/data/hash_split.hpp>
#include <autopeft/data/task.hpp>
#include <autopeft/data/wordnet.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace autopeft::data::detail {

using counters = std::map<std::string, std::size_t>;

inline std::array<std::size_t, 3> split_caps(const embedded_benchmark_options& o) {
  return {o.max_train, o.max_dev, o.max_test};
}

/// A task's own generator, so that one task's options never move another task's draws.
inline portable_rng task_rng(const embedded_benchmark_options& o, std::string_view task_name) {
  return portable_rng(o.seed ^ fnv1a64(task_name));
}

/// "n:02084071": the synset's ss_type and its 8-digit offset, as WordNet writes it.
inline std::string synset_id(const synset& s) { return std::string(1, s.pos) + ':' + offset8(s.offset); }

/// The key that decides a synset's split: its definition, so that synsets sharing one (e.g. the
/// 23 "a variety of aster") land in one split; the id when the gloss has no definition.
inline std::string split_key(const synset& s) {
  return s.definition.empty() ? synset_id(s) : s.definition;
}

inline std::string join_words(const synset& s) {
  std::string out;
  for (const auto& w : s.words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

/// The relations the tasks walk, as indices into wordnet::synsets().
struct wordnet_graph {
  std::vector<std::vector<std::uint32_t>> parents;   // "@" and "@i" targets
  std::vector<std::vector<std::uint32_t>> children;  // the inverse of parents
  std::vector<std::vector<std::uint32_t>> similar;   // "&" targets (adjective clusters)
  std::vector<split> splits;
  std::array<std::vector<std::uint32_t>, 4> by_file_pos;  // n, v, a (with s), r

  explicit wordnet_graph(const wordnet& wn) {
    const auto& ss = wn.synsets();
    parents.resize(ss.size());
    children.resize(ss.size());
    similar.resize(ss.size());
    splits.resize(ss.size());
    for (std::size_t i = 0; i < ss.size(); ++i) {
      const synset& s = ss[i];
      splits[i] = hash_split(split_key(s));
      by_file_pos[pos_slot(s.file_pos())].push_back(static_cast<std::uint32_t>(i));
      for (const auto& p : s.pointers) {
        const bool hyper = p.symbol == "@" || p.symbol == "@i";
        if (!hyper && p.symbol != "&") continue;
        const auto j = static_cast<std::uint32_t>(wn.index_of(p.pos, p.target));
        if (j == i) continue;
        if (hyper) {
          parents[i].push_back(j);
          children[j].push_back(static_cast<std::uint32_t>(i));
        } else {
          similar[i].push_back(j);
        }
      }
    }
  }

  static std::size_t pos_slot(char file_pos) {
    return file_pos == 'n' ? 0 : file_pos == 'v' ? 1 : file_pos == 'a' ? 2 : 3;
  }
};

inline example make_example(std::string text_a, std::int64_t label, const synset& s,
                            std::string id_suffix = {}) {
  example e;
  e.text_a = std::move(text_a);
  e.label = label;
  e.id = synset_id(s) + id_suffix;
  e.line = s.line;
  return e;
}

/// wn_supersense: a noun or verb definition -> its lexicographer file.
inline task wn_supersense(const wordnet& wn, const wordnet_graph& g,
                          const embedded_benchmark_options& o, counters& stats) {
  auto rng = task_rng(o, "wn_supersense");
  const auto& ss = wn.synsets();
  std::array<std::vector<std::uint32_t>, wordnet_lexnames.size()> by_file;
  for (std::uint32_t i = 0; i < ss.size(); ++i)
    if ((ss[i].pos == 'n' || ss[i].pos == 'v') && !ss[i].definition.empty())
      by_file[static_cast<std::size_t>(ss[i].lex_filenum)].push_back(i);
  task t;
  t.info = {"wn_supersense", {}, false, metric_kind::accuracy};
  split_groups groups;
  for (std::size_t f = 0; f < by_file.size(); ++f) {
    auto& members = by_file[f];
    if (members.empty()) continue;
    if (members.size() < o.supersense_min_per_class) {
      stats["wn_supersense.classes_dropped"] += 1;
      stats["wn_supersense.synsets_in_dropped_classes"] += members.size();
      continue;
    }
    const auto label = static_cast<std::int64_t>(t.info.labels.size());
    t.info.labels.emplace_back(wordnet_lexnames[f]);
    rng.shuffle(members);
    if (o.supersense_max_per_class != 0 && members.size() > o.supersense_max_per_class)
      members.resize(o.supersense_max_per_class);
    for (const auto i : members) groups.add(g.splits[i], {make_example(ss[i].definition, label, ss[i])});
  }
  groups.assemble_into(t, split_caps(o), rng);
  return t;
}

/// wn_pos: any definition -> noun, verb, adjective (satellites included) or adverb.
inline task wn_pos(const wordnet& wn, const wordnet_graph& g, const embedded_benchmark_options& o) {
  auto rng = task_rng(o, "wn_pos");
  const auto& ss = wn.synsets();
  task t;
  t.info = {"wn_pos", {"noun", "verb", "adjective", "adverb"}, false, metric_kind::accuracy};
  split_groups groups;
  for (std::size_t p = 0; p < 4; ++p) {
    std::vector<std::uint32_t> members;
    for (const auto i : g.by_file_pos[p])
      if (!ss[i].definition.empty()) members.push_back(i);
    rng.shuffle(members);
    if (o.pos_max_per_class != 0 && members.size() > o.pos_max_per_class)
      members.resize(o.pos_max_per_class);
    for (const auto i : members)
      groups.add(g.splits[i], {make_example(ss[i].definition, static_cast<std::int64_t>(p), ss[i])});
  }
  groups.assemble_into(t, split_caps(o), rng);
  return t;
}

inline bool contains_word(const std::vector<std::string>& lowered, const std::string& word) {
  return std::find(lowered.begin(), lowered.end(), ascii_lower(word)) != lowered.end();
}

/// `word` occurs in `text` as a whole word (ASCII case folded).
inline bool mentions(std::string_view text, std::string_view word) {
  const std::string t = ascii_lower(text), w = ascii_lower(word);
  const auto is_alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  for (std::size_t at = t.find(w); at != std::string::npos; at = t.find(w, at + 1)) {
    const bool left = at == 0 || !is_alnum(t[at - 1]);
    const bool right = at + w.size() == t.size() || !is_alnum(t[at + w.size()]);
    if (left && right) return true;
  }
  return false;
}

/// wn_hypernym: ("word: definition", candidate word) -> entailment when the candidate names a
/// hypernym one or two steps up, not_entailment for a word of a non-ancestor synset: a sibling
/// of the hypernym (an "uncle"), a sibling of the synset, or a random synset of its part of
/// speech, a third each (the next kind when one has no usable word). A negative's word is
/// never a word of the synset or of any of its ancestors, so no pair is mislabelled by polysemy,
/// and no candidate word occurs in the definition, so word overlap gives no label away.
inline task wn_hypernym(const wordnet& wn, const wordnet_graph& g,
                        const embedded_benchmark_options& o, counters& stats) {
  auto rng = task_rng(o, "wn_hypernym");
  const auto& ss = wn.synsets();
  task t;
  t.info = {"wn_hypernym", {"entailment", "not_entailment"}, false, metric_kind::accuracy};
  std::vector<std::uint32_t> anchors;
  for (std::uint32_t i = 0; i < ss.size(); ++i)
    if ((ss[i].pos == 'n' || ss[i].pos == 'v') && !ss[i].definition.empty() && !g.parents[i].empty())
      anchors.push_back(i);
  rng.shuffle(anchors);

  std::vector<std::uint32_t> mark(ss.size(), 0);
  std::uint32_t stamp = 0;
  std::vector<std::pair<std::uint32_t, int>> queue;
  std::vector<std::uint32_t> near, candidates;
  std::vector<int> near_depth;
  std::vector<std::string> own, blocked, usable;
  split_groups groups;
  std::size_t made = 0;
  for (const auto a : anchors) {
    if (o.hypernym_anchors != 0 && made >= o.hypernym_anchors) break;
    const synset& s = ss[a];
    ++stamp;
    queue.assign(1, {a, 0});
    mark[a] = stamp;
    near.clear();
    near_depth.clear();
    own.clear();
    for (const auto& w : s.words) own.push_back(ascii_lower(w));
    blocked = own;
    for (std::size_t k = 0; k < queue.size(); ++k) {
      const auto [x, depth] = queue[k];
      for (const auto p : g.parents[x]) {
        if (mark[p] == stamp) continue;
        mark[p] = stamp;
        queue.emplace_back(p, depth + 1);
        for (const auto& w : ss[p].words) blocked.push_back(ascii_lower(w));
        if (depth + 1 <= 2) {
          near.push_back(p);
          near_depth.push_back(depth + 1);
        }
      }
    }
    // A candidate word that the definition itself contains would give the pair away by word
    // overlap ("poodle: an intelligent dog ..." / "dog"), so no candidate may be mentioned.
    const auto usable_positive = [&](const std::string& w) {
      return !contains_word(own, w) && !mentions(s.definition, w);
    };
    // The positive: a hypernym within two steps, then one of its usable words.
    candidates.clear();
    for (std::uint32_t k = 0; k < near.size(); ++k)
      for (const auto& w : ss[near[k]].words)
        if (usable_positive(w)) {
          candidates.push_back(k);
          break;
        }
    if (candidates.empty()) {
      stats["wn_hypernym.anchors_skipped"] += 1;
      continue;
    }
    const auto pk = rng.pick(candidates);
    usable.clear();
    for (const auto& w : ss[near[pk]].words)
      if (usable_positive(w)) usable.push_back(w);
    const std::string positive = rng.pick(usable);

    // The negative.
    static constexpr std::array<const char*, 3> kinds{"uncle", "sibling", "random"};
    std::string negative;
    std::size_t kind = static_cast<std::size_t>(rng.below(3));
    for (; kind < 3 && negative.empty(); ++kind) {
      candidates.clear();
      if (kind == 0) {
        for (const auto h : g.parents[a])
          for (const auto gp : g.parents[h])
            for (const auto u : g.children[gp])
              if (mark[u] != stamp) candidates.push_back(u);
      } else if (kind == 1) {
        for (const auto h : g.parents[a])
          for (const auto sib : g.children[h])
            if (mark[sib] != stamp) candidates.push_back(sib);
      } else {
        const auto& pool = g.by_file_pos[wordnet_graph::pos_slot(s.file_pos())];
        for (int tries = 0; tries < 32; ++tries) {
          const auto x = rng.pick(pool);
          if (mark[x] != stamp) candidates.push_back(x);
        }
      }
      for (int tries = 0; tries < 8 && !candidates.empty() && negative.empty(); ++tries) {
        const auto x = rng.pick(candidates);
        usable.clear();
        for (const auto& w : ss[x].words)
          if (!contains_word(blocked, w) && !mentions(s.definition, w)) usable.push_back(w);
        if (!usable.empty()) negative = rng.pick(usable);
      }
      if (!negative.empty()) break;
    }
    if (negative.empty()) {
      stats["wn_hypernym.anchors_skipped"] += 1;
      continue;
    }
    ++made;
    stats[std::string("wn_hypernym.positive_depth_") + std::to_string(near_depth[pk])] += 1;
    stats[std::string("wn_hypernym.negative_") + kinds[kind]] += 1;
    const std::string text_a = s.words.front() + ": " + s.definition;
    example pos = make_example(text_a, 0, s, ":entailment");
    pos.text_b = positive;
    example neg = make_example(text_a, 1, s, ":not_entailment");
    neg.text_b = negative;
    groups.add(g.splits[a], {std::move(pos), std::move(neg)});
  }
  groups.assemble_into(t, split_caps(o), rng);
  return t;
}

/// wn_paraphrase: (definition, text) -> equivalent when the text describes the same synset:
/// one of its usage examples when it has some, else its list of words; not_equivalent for the
/// same kind of text of, for paraphrase_close_percent of the anchors, a close synset (a
/// co-hyponym for nouns and verbs, a neighbour in the similar-to cluster for adjectives), and for
/// the others (or when there is none) a random synset of the same part of speech. The negative shares no word with the anchor and comes from the train split
/// or the anchor's own split, so no dev or test text reaches another split.
inline task wn_paraphrase(const wordnet& wn, const wordnet_graph& g,
                          const embedded_benchmark_options& o, counters& stats) {
  auto rng = task_rng(o, "wn_paraphrase");
  const auto& ss = wn.synsets();
  task t;
  t.info = {"wn_paraphrase", {"not_equivalent", "equivalent"}, false, metric_kind::accuracy};
  std::vector<std::uint32_t> anchors;
  for (std::uint32_t i = 0; i < ss.size(); ++i)
    if (!ss[i].definition.empty()) anchors.push_back(i);
  rng.shuffle(anchors);

  std::vector<std::uint32_t> close, valid;
  std::vector<std::string> own;
  split_groups groups;
  std::size_t made = 0;
  for (const auto a : anchors) {
    if (o.paraphrase_anchors != 0 && made >= o.paraphrase_anchors) break;
    const synset& s = ss[a];
    const bool use_examples = !s.examples.empty();
    own.clear();
    for (const auto& w : s.words) own.push_back(ascii_lower(w));
    // An example that the anchor also lists (WordNet repeats some) is no negative.
    const auto foreign_example = [&](const std::string& ex) {
      return std::find(s.examples.begin(), s.examples.end(), ex) == s.examples.end();
    };
    const auto acceptable = [&](std::uint32_t x) {
      const synset& c = ss[x];
      if (x == a || c.definition == s.definition) return false;
      if (g.splits[x] != split::train && g.splits[x] != g.splits[a]) return false;
      if (use_examples && std::none_of(c.examples.begin(), c.examples.end(), foreign_example)) return false;
      for (const auto& w : c.words)
        if (contains_word(own, w)) return false;
      return true;
    };
    close.clear();
    const bool want_close = rng.below(100) < o.paraphrase_close_percent;
    if (want_close && (s.pos == 'n' || s.pos == 'v')) {
      for (const auto h : g.parents[a])
        for (const auto sib : g.children[h]) close.push_back(sib);
    } else if (want_close && (s.pos == 'a' || s.pos == 's')) {
      for (const auto n1 : g.similar[a]) {
        close.push_back(n1);
        for (const auto n2 : g.similar[n1]) close.push_back(n2);
      }
    }
    // A few random draws settle most anchors; the full scan covers the rest (and the large
    // sibling sets of hypernyms such as "person" are not scanned whole each time).
    valid.clear();
    for (int tries = 0; tries < 16 && !close.empty() && valid.empty(); ++tries) {
      const auto x = rng.pick(close);
      if (acceptable(x)) valid.push_back(x);
    }
    if (valid.empty())
      for (const auto x : close)
        if (acceptable(x)) valid.push_back(x);
    const bool hard = !valid.empty();
    if (!hard) {
      const auto& pool = g.by_file_pos[wordnet_graph::pos_slot(s.file_pos())];
      for (int tries = 0; tries < 64 && valid.empty(); ++tries) {
        const auto x = rng.pick(pool);
        if (acceptable(x)) valid.push_back(x);
      }
    }
    if (valid.empty()) {
      stats["wn_paraphrase.anchors_skipped"] += 1;
      continue;
    }
    const synset& other = ss[rng.pick(valid)];
    std::string positive = use_examples ? rng.pick(s.examples) : join_words(s);
    std::string negative;
    if (use_examples) {
      std::vector<std::string> foreign;
      std::copy_if(other.examples.begin(), other.examples.end(), std::back_inserter(foreign), foreign_example);
      negative = rng.pick(foreign);
    } else {
      negative = join_words(other);
    }
    ++made;
    stats[std::string("wn_paraphrase.text_b_") + (use_examples ? "example" : "words")] += 1;
    stats[std::string("wn_paraphrase.negative_") + (hard ? "close" : "random")] += 1;
    example pos = make_example(s.definition, 1, s, ":equivalent");
    pos.text_b = std::move(positive);
    example neg = make_example(s.definition, 0, s, ":not_equivalent");
    neg.text_b = std::move(negative);
    groups.add(g.splits[a], {std::move(pos), std::move(neg)});
  }
  groups.assemble_into(t, split_caps(o), rng);
  return t;
}

}  // namespace autopeft::data::detail
