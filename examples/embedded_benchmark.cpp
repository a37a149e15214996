// Builds the embedded benchmark from Debian's wordnet-base and fortunes and prints the Markdown
// datasheet tables of docs/data/embedded_benchmark.md: split sizes, label distributions, an
// example row per task, the corpus size, construction counters, a content fingerprint (equal on
// every machine with the same package versions) and the build time.
//
//   embedded_benchmark [--wordnet DIR] [--fortunes DIR] [--corpus FILE]
//
// --corpus also writes the pretraining corpus, one document per line.
#include <autopeft/data/detail/fnv1a.hpp>
#include <autopeft/data/embedded_benchmark.hpp>
#include <autopeft/data/fortunes.hpp>
#include <autopeft/data/wordnet.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using autopeft::data::example;
using autopeft::data::task;

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::string cell(std::string s, std::size_t max = 110) {
  for (char& c : s)
    if (c == '|') c = '/';
  if (s.size() > max) s = s.substr(0, max) + "...";
  return s;
}

std::string percent(std::size_t n, std::size_t total) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", total == 0 ? 0.0 : 100.0 * static_cast<double>(n) / static_cast<double>(total));
  return buf;
}

void mix(std::uint64_t& h, std::string_view s) {
  h ^= autopeft::data::detail::fnv1a64(s);
  h *= 0x100000001b3ULL;
}

void print_task(const task& t) {
  const std::vector<const std::vector<example>*> splits{&t.train, &t.dev, &t.test};
  std::cout << "\n### " << t.info.name << "\n\n";
  std::cout << "| label | train | dev | test |\n|---|---:|---:|---:|\n";
  for (std::size_t l = 0; l < t.info.labels.size(); ++l) {
    std::cout << "| " << l << " " << t.info.labels[l];
    for (const auto* s : splits) {
      std::size_t n = 0;
      for (const auto& e : *s) n += e.label == static_cast<std::int64_t>(l);
      std::cout << " | " << n << " (" << percent(n, s->size()) << ")";
    }
    std::cout << " |\n";
  }
  std::cout << "| **total** | " << t.train.size() << " | " << t.dev.size() << " | " << t.test.size() << " |\n";
  if (!t.train.empty()) {
    const example& e = t.train.front();
    std::cout << "\nExample (train, id `" << e.id << "`): text_a = \"" << cell(e.text_a) << "\"";
    if (e.text_b) std::cout << ", text_b = \"" << cell(*e.text_b) << "\"";
    std::cout << ", label = " << t.info.labels[static_cast<std::size_t>(e.label)] << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  autopeft::data::embedded_benchmark_options o;
  std::string corpus_file;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (i + 1 < argc && a == "--wordnet") o.wordnet_dir = argv[++i];
    else if (i + 1 < argc && a == "--fortunes") o.fortunes_dir = argv[++i];
    else if (i + 1 < argc && a == "--corpus") corpus_file = argv[++i];
    else {
      std::cerr << "usage: " << argv[0] << " [--wordnet DIR] [--fortunes DIR] [--corpus FILE]\n";
      return 2;
    }
  }
  try {
    const auto t0 = std::chrono::steady_clock::now();
    const auto wn = autopeft::data::wordnet::load(o.wordnet_dir);
    const double wordnet_ms = ms_since(t0);
    const auto t1 = std::chrono::steady_clock::now();
    const auto fortunes = autopeft::data::fortunes::load(o.fortunes_dir);
    const double fortunes_ms = ms_since(t1);
    const auto t2 = std::chrono::steady_clock::now();
    const auto bench = autopeft::data::embedded_benchmark::build(wn, fortunes, o);
    const double build_ms = ms_since(t2);

    std::size_t categories_entries = 0;
    for (const auto& c : fortunes.categories()) categories_entries += c.entries.size();
    std::cout << "## Sizes\n\nSources: " << wn.synsets().size() << " synsets from " << o.wordnet_dir.string()
              << ", " << categories_entries << " fortunes in " << fortunes.categories().size()
              << " categories from " << o.fortunes_dir.string() << ".\n\n";
    std::cout << "| task | kind | classes | train | dev | test |\n|---|---|---:|---:|---:|---:|\n";
    for (const auto& t : bench.tasks)
      std::cout << "| " << t.info.name << " | " << (!t.train.empty() && t.train.front().is_pair() ? "pair" : "single")
                << " | " << t.info.labels.size() << " | " << t.train.size() << " | " << t.dev.size() << " | "
                << t.test.size() << " |\n";
    for (const auto& t : bench.tasks) print_task(t);

    std::size_t chars = 0, words = 0;
    for (const auto& d : bench.corpus) {
      chars += d.size();
      bool in_word = false;
      for (const char c : d) {
        const bool space = c == ' ';
        words += !space && !in_word;
        in_word = !space;
      }
    }
    std::cout << "\n## Pretraining corpus\n\n| documents | from WordNet | from fortunes | bytes | words |\n"
              << "|---:|---:|---:|---:|---:|\n| " << bench.corpus.size() << " | "
              << bench.stats.at("corpus.wordnet_documents") << " | " << bench.stats.at("corpus.fortune_documents")
              << " | " << chars << " | " << words << " |\n";
    std::cout << "\n## Construction counters\n\n| counter | value |\n|---|---:|\n";
    for (const auto& [k, v] : bench.stats) std::cout << "| " << k << " | " << v << " |\n";

    std::uint64_t h = 0;
    for (const auto& t : bench.tasks)
      for (const auto* s : {&t.train, &t.dev, &t.test})
        for (const auto& e : *s) {
          mix(h, e.text_a);
          mix(h, e.text_b.value_or(""));
          mix(h, std::to_string(e.label));
        }
    for (const auto& d : bench.corpus) mix(h, d);
    char fingerprint[20];
    std::snprintf(fingerprint, sizeof fingerprint, "%016llx", static_cast<unsigned long long>(h));
    std::cout << "\n## Build\n\nContent fingerprint: `" << fingerprint << "`. Time (one core): WordNet parse "
              << static_cast<long>(wordnet_ms) << " ms, fortunes parse " << static_cast<long>(fortunes_ms)
              << " ms, tasks and corpus " << static_cast<long>(build_ms) << " ms.\n";

    if (!corpus_file.empty()) {
      bench.write_corpus(corpus_file);
      std::cout << "\nCorpus written to " << corpus_file << ".\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "embedded_benchmark: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
