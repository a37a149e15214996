#pragma once
// The embedded default benchmark: five classification tasks and a pretraining corpus built from
// the real text of two Debian packages, wordnet-base (WordNet 3.0) and fortunes, so that the
// project runs end to end on a machine that reaches no dataset host.
//
//   wn_supersense     definition -> noun/verb lexicographer file (38 classes)    single
//   wn_hypernym       ("word: definition", word) -> entailment / not_entailment   pair, balanced
//   wn_paraphrase     (definition, example or word list) -> equivalent or not    pair, balanced
//   wn_pos            definition -> noun / verb / adjective / adverb             single
//   fortune_category  fortune text -> its cookie file (17 classes)               single
//
// (class counts for the default options and Debian 12's packages).
//
// Splits are 80 / 10 / 10 by hash_split of a stable key (a synset's definition, a fortune's
// collapsed text), never by a seed, so a synset or a text sits in one split of every task. The
// corpus holds the train-split glosses ("dog, domestic dog, Canis familiaris: a member of the
// genus Canis ...; "the dog barked all night"") and train-split fortunes only: no dev or test
// text of any task is seen in pretraining. Every sampling step uses detail::portable_rng, so
// the build is identical on every machine. docs/data/embedded_benchmark.md is the datasheet.
//
// Example:
//   auto bench = autopeft::data::embedded_benchmark::build({.max_train = 5000});
//   const autopeft::data::task& supersense = bench.at("wn_supersense");
//   bench.write_corpus("corpus.txt");
#include <autopeft/data/detail/fortune_tasks.hpp>
#include <autopeft/data/detail/portable_rng.hpp>
#include <autopeft/data/detail/text_file.hpp>
#include <autopeft/data/detail/wordnet_tasks.hpp>
#include <autopeft/data/embedded_benchmark_options.hpp>
#include <autopeft/data/fortunes.hpp>
#include <autopeft/data/hash_split.hpp>
#include <autopeft/data/task.hpp>
#include <autopeft/data/wordnet.hpp>
#include <autopeft/error.hpp>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace autopeft::data {

struct embedded_benchmark {
  /// wn_supersense, wn_hypernym, wn_paraphrase, wn_pos, fortune_category, in this order.
  std::vector<task> tasks;
  /// Pretraining documents, one paragraph each, without line breaks, in a seeded random order.
  std::vector<std::string> corpus;
  /// Construction counters for the datasheet ("wn_hypernym.negative_uncle", ...).
  std::map<std::string, std::size_t> stats;

  /// Reads the two packages from the options' directories and builds everything.
  [[nodiscard]] static embedded_benchmark build(const embedded_benchmark_options& o = {}) {
    return build(wordnet::load(o.wordnet_dir), fortunes::load(o.fortunes_dir), o);
  }

  /// Builds from sources already loaded (the directories in `o` are not read).
  [[nodiscard]] static embedded_benchmark build(const wordnet& wn, const fortunes& f,
                                                const embedded_benchmark_options& o = {}) {
    embedded_benchmark b;
    const detail::wordnet_graph g(wn);
    b.tasks.push_back(detail::wn_supersense(wn, g, o, b.stats));
    b.tasks.push_back(detail::wn_hypernym(wn, g, o, b.stats));
    b.tasks.push_back(detail::wn_paraphrase(wn, g, o, b.stats));
    b.tasks.push_back(detail::wn_pos(wn, g, o));
    b.tasks.push_back(detail::fortune_category(f, o, b.stats));
    b.corpus = make_corpus(wn, g, f, o, b.stats);
    return b;
  }

  /// The task called `name`.
  [[nodiscard]] const task& at(std::string_view name) const {
    std::string known;
    for (const auto& t : tasks) {
      if (t.info.name == name) return t;
      known += (known.empty() ? "" : ", ") + t.info.name;
    }
    throw error("embedded benchmark: no task '" + std::string(name) + "'; it has " + known);
  }

  /// Writes the corpus to `file`, one document per line (UTF-8, '\n' line ends).
  void write_corpus(const std::filesystem::path& file) const {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out) throw file_error(file, "cannot create the corpus file; check that its directory exists and is writable");
    for (const auto& doc : corpus) {
      out.write(doc.data(), static_cast<std::streamsize>(doc.size()));
      out.put('\n');
    }
    out.flush();
    if (!out) throw file_error(file, "write failed (disk full?)");
  }

 private:
  static std::vector<std::string> make_corpus(const wordnet& wn, const detail::wordnet_graph& g,
                                              const fortunes& f, const embedded_benchmark_options& o,
                                              std::map<std::string, std::size_t>& stats) {
    const auto& ss = wn.synsets();
    std::size_t fortune_entries = 0;
    for (const auto& c : f.categories()) fortune_entries += c.entries.size();
    std::vector<std::string> docs;
    docs.reserve(ss.size() + fortune_entries);  // no reallocation: `seen` views the documents
    std::unordered_set<std::string_view> seen;
    seen.reserve(docs.capacity());
    for (std::size_t i = 0; i < ss.size(); ++i) {
      if (g.splits[i] != split::train) continue;
      const synset& s = ss[i];
      std::string doc = detail::join_words(s) + ":";
      if (!s.definition.empty()) doc += " " + s.definition;
      for (std::size_t k = 0; k < s.examples.size(); ++k)
        doc += (k == 0 && s.definition.empty() ? " \"" : "; \"") + s.examples[k] + "\"";
      docs.push_back(std::move(doc));
      if (seen.insert(docs.back()).second) stats["corpus.wordnet_documents"] += 1;
      else docs.pop_back();
    }
    for (const auto& c : f.categories())
      for (const auto& e : c.entries) {
        std::string text = detail::squeeze(e.text);
        if (text.empty() || hash_split(text) != split::train) continue;
        docs.push_back(std::move(text));
        if (seen.insert(docs.back()).second) stats["corpus.fortune_documents"] += 1;
        else docs.pop_back();
      }
    auto rng = detail::task_rng(o, "corpus");
    rng.shuffle(docs);
    return docs;
  }
};

}  // namespace autopeft::data
