// The embedded benchmark: its two parsers on hand-written files (malformed lines included), its
// portable randomness, and on the installed wordnet-base and fortunes packages the laws the
// datasheet promises: sizes, determinism, disjoint splits, balanced pairs, correct pair labels
// and a corpus without any dev or test text. The package tests warn and pass where the
// packages are absent (`apt-get install wordnet-base fortunes`).
#include <autopeft/data/detail/fnv1a.hpp>
#include <autopeft/data/detail/portable_rng.hpp>
#include <autopeft/data/embedded_benchmark.hpp>
#include <autopeft/data/fortunes.hpp>
#include <autopeft/data/hash_split.hpp>
#include <autopeft/data/wordnet.hpp>

#include "../support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

namespace {

namespace fs = std::filesystem;
using autopeft::data::embedded_benchmark;
using autopeft::data::embedded_benchmark_options;
using autopeft::data::example;
using autopeft::data::fortunes;
using autopeft::data::split;
using autopeft::data::task;
using autopeft::data::wordnet;
using Catch::Contains;
using Catch::StartsWith;

void write(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

// A four-file WordNet in miniature: licence lines, a taxonomy entity > animal > dog and
// entity > artifact, verb frames, an adjective marker and a satellite, and the gloss cases
// (a quote inside the definition, an attribution, an unclosed last example, ': "').
void write_mini_wordnet(const fs::path& dir) {
  write(dir / "data.noun",
        "  1 This software and database is being provided to you, the LICENSEE, by  \n"
        "  2 Princeton University under the following license.  \n"
        "00001740 03 n 01 entity 0 002 ~ 00002000 n 0000 ~ 00003000 n 0000 | that which is perceived to exist  \n"
        "00002000 05 n 01 animal 0 002 @ 00001740 n 0000 ~ 00004000 n 0000 | a living organism that feeds on "
        "organic matter; \"animals move\"  \n"
        "00003000 06 n 02 artifact 0 artefact 0 001 @ 00001740 n 0000 | a man-made object  \n"
        "00004000 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 002 @ 00002000 n 0000 + 00005000 v 0101 | "
        "a member of the genus Canis (especially in the phrase \"man's best friend\"); \"the dog barked all "
        "night\"; \"a dog's life\" - Anon; \"unclosed example  \n");
  write(dir / "data.verb",
        "00005000 29 v 01 bark 0 001 + 00004000 n 0101 02 + 02 00 + 08 01 | make barking sounds; \"the dogs "
        "barked at the stranger\"  \n");
  write(dir / "data.adj",
        "00006000 00 a 01 able(a) 0 001 & 00006100 s 0000 | having the necessary means: \"able to swim\"  \n"
        "00006100 00 s 01 capable 0 001 & 00006000 a 0000 | having capacity  \n");
  write(dir / "data.adv", "00007000 02 r 01 a_cappella 0 000 | without musical accompaniment; \"they performed a cappella\"  \n");
}

}  // namespace

TEST_CASE("wordnet: parses every field of the data files", "[data][wordnet]") {
  autopeft::testing::scratch_dir d{"wn"};
  write_mini_wordnet(d.path);
  const auto wn = wordnet::load(d.path);
  const auto& ss = wn.synsets();
  REQUIRE(ss.size() == 8);

  const auto dog_at = wn.index_of('n', 4000);
  REQUIRE(dog_at != wordnet::npos);
  const auto& dog = ss[dog_at];
  CHECK(dog.pos == 'n');
  CHECK(dog.line == 6);
  CHECK(dog.lex_name() == "noun.animal");
  CHECK(dog.words == std::vector<std::string>{"dog", "domestic dog", "Canis familiaris"});
  REQUIRE(dog.pointers.size() == 2);
  CHECK(dog.pointers[0].symbol == "@");
  CHECK(dog.pointers[0].target == 2000);
  CHECK(dog.pointers[0].pos == 'n');
  CHECK(dog.pointers[0].source_word == 0);
  CHECK(dog.pointers[1].symbol == "+");
  CHECK(dog.pointers[1].pos == 'v');
  CHECK(dog.pointers[1].source_word == 1);
  CHECK(dog.pointers[1].target_word == 1);
  CHECK(dog.definition == "a member of the genus Canis (especially in the phrase \"man's best friend\")");
  CHECK(dog.examples == std::vector<std::string>{"the dog barked all night", "a dog's life", "unclosed example"});

  const auto& bark = ss[wn.index_of('v', 5000)];
  CHECK(bark.lex_name() == "verb.body");
  CHECK(bark.definition == "make barking sounds");
  CHECK(bark.examples == std::vector<std::string>{"the dogs barked at the stranger"});

  const auto& able = ss[wn.index_of('a', 6000)];
  CHECK(able.words == std::vector<std::string>{"able"});
  CHECK(able.definition == "having the necessary means");
  CHECK(able.examples == std::vector<std::string>{"able to swim"});
  CHECK(wn.index_of('s', 6100) == wn.index_of('a', 6100));
  CHECK(ss[wn.index_of('s', 6100)].pos == 's');
  CHECK(ss[wn.index_of('s', 6100)].file_pos() == 'a');
  CHECK(ss[wn.index_of('r', 7000)].words == std::vector<std::string>{"a cappella"});
  CHECK(ss[wn.index_of('n', 1740)].examples.empty());

  CHECK(wn.index_of('n', 4001) == wordnet::npos);
  CHECK(wn.index_of('v', 4000) == wordnet::npos);
  CHECK(wn.index_of('x', 4000) == wordnet::npos);
}

TEST_CASE("wordnet: a malformed line names the file, the line and the field", "[data][wordnet]") {
  const fs::path file = "/some/where/data.noun";
  const std::string head = "  1 licence line  \n  2 licence line  \n";
  const auto message_of = [&](const std::string& bad_line) {
    try {
      (void)wordnet::parse(head + bad_line + "\n", file, 'n');
    } catch (const autopeft::data::line_error& e) {
      CHECK(e.file() == file);
      CHECK(e.line() >= 3);
      return std::string(e.what());
    }
    FAIL("no error for: " << bad_line);
    return std::string();
  };
  const std::vector<std::pair<std::string, std::string>> cases{
      {"0000x740 03 n 01 entity 0 000 | g", "field 'synset_offset' is '0000x740', expected a decimal number"},
      {"00001740 77 n 01 entity 0 000 | g", "lex_filenum 77 is not one of WordNet 3.0's lexicographer files"},
      {"00001740 03 v 01 entity 0 000 | g", "ss_type 'v' does not belong in a data file of part of speech 'n'"},
      {"00001740 03 n zz entity 0 000 | g", "field 'w_cnt' is 'zz', expected a hexadecimal number"},
      {"00001740 03 n 00 000 | g", "w_cnt is 0"},
      {"00001740 03 n 02 entity 0 000 | g", "the line ends before field 'lex_id'"},
      {"00001740 03 n 01 entity 0 001 @ 00002000 q 0000 | g", "pointer 1 has pos 'q'"},
      {"00001740 03 n 01 entity 0 001 @ 00002000 n 00 | g", "pointer 1 has source/target '00'"},
      {"00001740 03 n 01 entity 0 000 extra | g", "unexpected 'extra' before the gloss's '|'"},
      {"00001740 03 n 01 entity 0 000 no bar here", "no ' | ' before the gloss"},
      {"00001740  03 n 01 entity 0 000 | g", "an empty field where 'lex_filenum' should be"},
  };
  for (const auto& [line, expected] : cases) {
    const std::string msg = message_of(line);
    INFO(line);
    CHECK_THAT(msg, StartsWith(file.string() + ":3: "));
    CHECK_THAT(msg, Contains(expected));
    CHECK_THAT(msg, Contains("man 5 wndb"));
  }
  CHECK_THAT(message_of("00002000 03 n 01 b 0 000 | g\n00001740 03 n 01 a 0 000 | g"),
             StartsWith(file.string() + ":4: synset_offset 00001740 is not greater than the previous "
                                        "synset's 00002000"));
}

TEST_CASE("wordnet: load reports bad files, dangling pointers and missing packages", "[data][wordnet]") {
  autopeft::testing::scratch_dir d{"wn"};
  write_mini_wordnet(d.path);
  write(d.path / "data.verb", "00005000 29 v 01 bark 0 000 01 - 02 00 | make barking sounds\n");
  CHECK_THROWS_WITH(wordnet::load(d.path),
                    StartsWith((d.path / "data.verb").string() + ":1: verb frame 1 does not start with '+'"));

  write_mini_wordnet(d.path);
  write(d.path / "data.adv", "00007000 02 r 01 a_cappella 0 001 \\ 00009999 a 0101 | without accompaniment\n");
  CHECK_THROWS_WITH(wordnet::load(d.path),
                    StartsWith((d.path / "data.adv").string() + ":1: pointer 1 ('\\' 00009999 a) names no "
                                                                "synset of data.adj"));

  fs::remove(d.path / "data.adv");
  CHECK_THROWS_WITH(wordnet::load(d.path), StartsWith((d.path / "data.adv").string() + ": missing;") &&
                                               Contains("apt-get install wordnet-base fortunes") &&
                                               Contains("embedded_benchmark_options::wordnet_dir"));
  CHECK_THROWS_WITH(wordnet::load(d.path / "nowhere"),
                    Contains("no such directory") && Contains("apt-get install wordnet-base fortunes"));
  CHECK_THROWS_AS(wordnet::load(d.path / "nowhere"), autopeft::file_error);
}

TEST_CASE("fortunes: categories, entries and their first lines", "[data][fortunes]") {
  autopeft::testing::scratch_dir d{"fortunes"};
  write(d.path / "computers",
        "A computer is a state machine.\n%\n%\n  Indented\n\tline two\n%DCL-MEM-BAD, bad memory\n\n%\n\n"
        "last entry without separator");
  write(d.path / "art", "Art is long.\n%\n");
  write(d.path / "computers.dat", std::string("\0\0\0\2binary", 10));
  fs::create_symlink(d.path / "computers", d.path / "computers.u8");
  fs::create_symlink(d.path / "art", d.path / "linked");
  fs::create_directory(d.path / "off");
  write(d.path / "off" / "offensive", "not read\n%\n");

  const auto f = fortunes::load(d.path);
  REQUIRE(f.categories().size() == 2);
  const auto& art = f.categories()[0];
  const auto& computers = f.categories()[1];
  CHECK(art.name == "art");
  CHECK(art.file == d.path / "art");
  REQUIRE(art.entries.size() == 1);
  CHECK(art.entries[0].text == "Art is long.");
  CHECK(computers.name == "computers");
  REQUIRE(computers.entries.size() == 3);
  CHECK(computers.entries[0].text == "A computer is a state machine.");
  CHECK(computers.entries[0].line == 1);
  CHECK(computers.entries[1].text == "  Indented\n\tline two\n%DCL-MEM-BAD, bad memory");
  CHECK(computers.entries[1].line == 4);
  CHECK(computers.entries[2].text == "last entry without separator");
  CHECK(computers.entries[2].line == 10);
}

TEST_CASE("fortunes: binary or non-UTF-8 lines and missing packages are reported", "[data][fortunes]") {
  const fs::path file = "/x/cookie";
  CHECK_THROWS_WITH(fortunes::parse(std::string("fine\n%\nbin\0ary\n", 16), file, "cookie"),
                    StartsWith("/x/cookie:3: holds a NUL byte"));
  CHECK_THROWS_WITH(fortunes::parse("ok\n%\ncaf\xe9 au lait\n", file, "cookie"),
                    StartsWith("/x/cookie:3: invalid UTF-8 at byte 4") && Contains("iconv"));
  CHECK_THROWS_WITH(fortunes::parse("\xc0\xaf overlong\n", file, "cookie"), StartsWith("/x/cookie:1: invalid UTF-8"));
  CHECK_NOTHROW(fortunes::parse("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n", file, "cookie"));

  autopeft::testing::scratch_dir d{"fortunes"};
  CHECK_THROWS_WITH(fortunes::load(d.path), Contains("holds no fortune files") &&
                                                Contains("apt-get install wordnet-base fortunes"));
  CHECK_THROWS_WITH(fortunes::load(d.path / "nowhere"),
                    Contains("no such directory") && Contains("embedded_benchmark_options::fortunes_dir"));
}

TEST_CASE("embedded benchmark: hashing and sampling are portable", "[data][embedded]") {
  using autopeft::data::detail::fnv1a64;
  using autopeft::data::detail::portable_rng;
  STATIC_REQUIRE(fnv1a64("") == 0xcbf29ce484222325ULL);
  STATIC_REQUIRE(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  STATIC_REQUIRE(fnv1a64("foobar") == 0x85944171f73967e8ULL);
  STATIC_REQUIRE(autopeft::data::hash_split("dog") == split::test);

  std::array<int, 3> counts{};
  for (int i = 0; i < 20000; ++i) ++counts[static_cast<std::size_t>(autopeft::data::hash_split("key " + std::to_string(i)))];
  CHECK(counts[0] == Approx(16000).margin(400));
  CHECK(counts[1] == Approx(2000).margin(200));
  CHECK(counts[2] == Approx(2000).margin(200));

  // The engine is std::mt19937_64, whose 10000th output the standard fixes; below(2^64 - 1)
  // passes outputs through.
  portable_rng raw(5489);
  std::uint64_t x = 0;
  for (int i = 0; i < 10000; ++i) x = raw.below(std::numeric_limits<std::uint64_t>::max());
  CHECK(x == 9981545732273789042ULL);

  // Pinned draws: a change here changes every benchmark built with the same seed.
  portable_rng r(1);
  std::vector<std::uint64_t> draws;
  for (int i = 0; i < 8; ++i) draws.push_back(r.below(10));
  CHECK(draws == std::vector<std::uint64_t>{8, 2, 0, 6, 4, 9, 8, 5});
  std::vector<int> v{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  portable_rng(7).shuffle(v);
  CHECK(v == std::vector<int>{0, 7, 4, 9, 3, 1, 2, 8, 6, 5});

  portable_rng u(3);
  std::array<int, 7> hist{};
  for (int i = 0; i < 70000; ++i) {
    const auto k = u.below(7);
    REQUIRE(k < 7);
    ++hist[k];
  }
  for (const int h : hist) CHECK(h == Approx(10000).margin(400));
  CHECK(u.below(0) == 0);
}

TEST_CASE("embedded benchmark: builds from a tiny WordNet", "[data][embedded]") {
  autopeft::testing::scratch_dir d{"wn"};
  write_mini_wordnet(d.path);
  fs::create_directory(d.path / "fortunes");
  write(d.path / "fortunes" / "art", "one\n%\ntwo\n%\nthree\n");
  embedded_benchmark_options o;
  o.supersense_min_per_class = 1;
  o.fortune_min_per_class = 1;
  const auto b = embedded_benchmark::build(wordnet::load(d.path), fortunes::load(d.path / "fortunes"), o);
  REQUIRE(b.tasks.size() == 5);
  CHECK(b.at("wn_supersense").info.labels ==
        std::vector<std::string>{"noun.Tops", "noun.animal", "noun.artifact", "verb.body"});
  CHECK(b.at("fortune_category").info.labels == std::vector<std::string>{"art"});
  CHECK_THROWS_WITH(b.at("sst2"), Contains("no task 'sst2'") && Contains("wn_hypernym"));
  // Positives name an ancestor; dog's only non-ancestor noun is artifact (the verb bark is not
  // drawn: negatives keep the anchor's part of speech).
  const auto& hyp = b.at("wn_hypernym");
  for (const auto* s : {&hyp.train, &hyp.dev, &hyp.test})
    for (const auto& e : *s) {
      REQUIRE(e.text_b);
      if (e.label == 0) CHECK((*e.text_b == "animal" || *e.text_b == "entity"));
      if (e.text_a.starts_with("dog:") && e.label == 1) CHECK((*e.text_b == "artifact" || *e.text_b == "artefact"));
    }
  for (const auto& doc : b.corpus) CHECK(doc.find('\n') == std::string::npos);
}

namespace {

struct real_sources {
  wordnet wn;
  fortunes f;
  embedded_benchmark full;
};

// The installed packages, loaded and built once; null (with a warning) when they are absent.
const real_sources* real() {
  static const std::unique_ptr<real_sources> sources = []() -> std::unique_ptr<real_sources> {
    if (!fs::exists("/usr/share/wordnet/data.noun") || !fs::is_directory("/usr/share/games/fortunes"))
      return nullptr;
    auto r = std::make_unique<real_sources>();
    r->wn = wordnet::load();
    r->f = fortunes::load();
    r->full = embedded_benchmark::build(r->wn, r->f);
    return r;
  }();
  if (!sources) WARN("wordnet-base or fortunes is not installed (apt-get install wordnet-base fortunes): skipped");
  return sources.get();
}

std::array<const std::vector<example>*, 3> splits_of(const task& t) { return {&t.train, &t.dev, &t.test}; }

// The synset or fortune an example is drawn from: its id up to the pair suffix.
std::string anchor_of(const example& e) {
  const auto first = e.id.find(':');
  const auto second = e.id.find(':', first + 1);
  return e.id.substr(0, second);
}

// The split key of an example: the definition (behind "word: " in wn_hypernym) or the text.
std::string split_key_of(const task& t, const example& e) {
  return t.info.name == "wn_hypernym" ? e.text_a.substr(e.text_a.find(": ") + 2) : e.text_a;
}

bool same_examples(const std::vector<example>& a, const std::vector<example>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const example& x, const example& y) {
    return x.text_a == y.text_a && x.text_b == y.text_b && x.label == y.label && x.id == y.id && x.line == y.line;
  });
}

}  // namespace

TEST_CASE("embedded benchmark: the installed packages give the datasheet's sizes", "[data][embedded][packages]") {
  const auto* r = real();
  if (!r) return;
  CHECK(r->wn.synsets().size() > 117000);
  CHECK(r->wn.synsets().size() < 118500);
  CHECK(r->f.categories().size() >= 30);
  const auto& b = r->full;
  REQUIRE(b.tasks.size() == 5);
  const std::vector<std::string> names{"wn_supersense", "wn_hypernym", "wn_paraphrase", "wn_pos", "fortune_category"};
  for (std::size_t i = 0; i < names.size(); ++i) CHECK(b.tasks[i].info.name == names[i]);

  // wn_paraphrase's negatives are random synsets by default (paraphrase_close_percent 0).
  CHECK_FALSE(b.stats.contains("wn_paraphrase.negative_close"));
  CHECK(b.stats.at("wn_paraphrase.negative_random") > 9000);
  CHECK(b.at("wn_supersense").info.labels.size() == 38);
  CHECK(b.at("wn_pos").info.labels.size() == 4);
  CHECK(b.at("fortune_category").info.labels.size() >= 12);
  for (const auto& t : b.tasks) {
    INFO(t.info.name);
    const double n = static_cast<double>(t.train.size() + t.dev.size() + t.test.size());
    CHECK(t.train.size() > 5000);
    CHECK(static_cast<double>(t.train.size()) / n == Approx(0.8).margin(0.02));
    CHECK(static_cast<double>(t.dev.size()) / n == Approx(0.1).margin(0.02));
    CHECK(t.info.metric == autopeft::data::metric_kind::accuracy);
    for (const auto* s : splits_of(t))
      for (const auto& e : *s) {
        REQUIRE(e.label >= 0);
        REQUIRE(e.label < t.info.num_labels());
        REQUIRE(!e.text_a.empty());
        REQUIRE(e.is_pair() == (t.info.name == "wn_hypernym" || t.info.name == "wn_paraphrase"));
      }
  }
  CHECK(b.at("wn_hypernym").train.size() + b.at("wn_hypernym").dev.size() + b.at("wn_hypernym").test.size() == 20000);
  CHECK(b.corpus.size() > 100000);
}

TEST_CASE("embedded benchmark: the build is deterministic and splits ignore seeds and caps",
          "[data][embedded][packages]") {
  const auto* r = real();
  if (!r) return;
  const auto again = embedded_benchmark::build(r->wn, r->f);
  REQUIRE(again.tasks.size() == r->full.tasks.size());
  for (std::size_t i = 0; i < again.tasks.size(); ++i) {
    INFO(again.tasks[i].info.name);
    CHECK(again.tasks[i].info.labels == r->full.tasks[i].info.labels);
    CHECK(same_examples(again.tasks[i].train, r->full.tasks[i].train));
    CHECK(same_examples(again.tasks[i].dev, r->full.tasks[i].dev));
    CHECK(same_examples(again.tasks[i].test, r->full.tasks[i].test));
  }
  CHECK(again.corpus == r->full.corpus);
  CHECK(again.stats == r->full.stats);

  embedded_benchmark_options o;
  o.seed += 1;
  o.max_train = 1001;
  o.max_dev = 200;
  o.max_test = 150;
  const auto small = embedded_benchmark::build(r->wn, r->f, o);
  for (std::size_t i = 0; i < small.tasks.size(); ++i) {
    const auto& t = small.tasks[i];
    INFO(t.info.name);
    CHECK(t.train.size() <= 1001);
    CHECK(t.train.size() >= 1000);
    CHECK(t.dev.size() == 200);
    CHECK(t.test.size() == 150);
    std::map<std::string, split> full_split;
    for (std::size_t s = 0; s < 3; ++s)
      for (const auto& e : *splits_of(r->full.tasks[i])[s]) full_split[anchor_of(e)] = static_cast<split>(s);
    for (std::size_t s = 0; s < 3; ++s)
      for (const auto& e : *splits_of(t)[s]) {
        const auto it = full_split.find(anchor_of(e));
        if (it != full_split.end()) REQUIRE(it->second == static_cast<split>(s));
        REQUIRE(autopeft::data::hash_split(split_key_of(t, e)) == static_cast<split>(s));
      }
  }
}

TEST_CASE("embedded benchmark: no synset or text is shared between splits", "[data][embedded][packages]") {
  const auto* r = real();
  if (!r) return;
  for (const auto& t : r->full.tasks) {
    INFO(t.info.name);
    std::map<std::string, int> anchor_split, text_split;
    for (int s = 0; s < 3; ++s)
      for (const auto& e : *splits_of(t)[static_cast<std::size_t>(s)]) {
        const auto [a, fresh_a] = anchor_split.try_emplace(anchor_of(e), s);
        REQUIRE(a->second == s);
        const auto [x, fresh_x] = text_split.try_emplace(e.text_a, s);
        REQUIRE(x->second == s);
      }
  }
}

TEST_CASE("embedded benchmark: pair tasks are balanced and correctly labelled", "[data][embedded][packages]") {
  const auto* r = real();
  if (!r) return;
  const auto& ss = r->wn.synsets();
  const auto synset_of = [&](const example& e) -> const autopeft::data::synset& {
    const auto at = r->wn.index_of(e.id[0], static_cast<std::uint32_t>(std::stoul(e.id.substr(2, 8))));
    REQUIRE(at != wordnet::npos);
    return ss[at];
  };
  const auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  for (const char* name : {"wn_hypernym", "wn_paraphrase"}) {
    const auto& t = r->full.at(name);
    for (const auto* s : splits_of(t)) {
      const auto ones = std::count_if(s->begin(), s->end(), [](const example& e) { return e.label == 1; });
      CHECK(static_cast<std::size_t>(ones) * 2 == s->size());
    }
  }

  // wn_hypernym: a positive names an ancestor within two steps; a negative names no ancestor.
  for (const auto* s : splits_of(r->full.at("wn_hypernym")))
    for (const auto& e : *s) {
      const auto& anchor = synset_of(e);
      std::map<std::size_t, int> depth;
      std::vector<std::size_t> frontier{static_cast<std::size_t>(&anchor - ss.data())};
      for (int d = 1; !frontier.empty(); ++d) {
        std::vector<std::size_t> next;
        for (const auto x : frontier)
          for (const auto& p : ss[x].pointers)
            if (p.symbol == "@" || p.symbol == "@i") {
              const auto y = r->wn.index_of(p.pos, p.target);
              if (depth.try_emplace(y, d).second) next.push_back(y);
            }
        frontier = std::move(next);
      }
      int named_at = 0;  // the smallest depth of an ancestor the candidate names; 0: none
      for (const auto& [y, d] : depth)
        for (const auto& w : ss[y].words)
          if (lower(w) == lower(*e.text_b) && (named_at == 0 || d < named_at)) named_at = d;
      INFO(e.id << " " << e.text_a << " / " << *e.text_b);
      if (e.label == 0) REQUIRE((named_at == 1 || named_at == 2));
      else REQUIRE(named_at == 0);
      REQUIRE(e.text_a.starts_with(anchor.words.front() + ": "));
    }

  // wn_paraphrase: the positive is the anchor's own example or word list, the negative is not.
  for (const auto* s : splits_of(r->full.at("wn_paraphrase")))
    for (const auto& e : *s) {
      const auto& anchor = synset_of(e);
      std::string words;
      for (const auto& w : anchor.words) words += (words.empty() ? "" : ", ") + w;
      const bool own = *e.text_b == words ||
                       std::find(anchor.examples.begin(), anchor.examples.end(), *e.text_b) != anchor.examples.end();
      INFO(e.id << " " << e.text_a << " / " << *e.text_b);
      REQUIRE(e.text_a == anchor.definition);
      REQUIRE(own == (e.label == 1));
    }
}

TEST_CASE("embedded benchmark: the corpus holds no dev or test text", "[data][embedded][packages]") {
  const auto* r = real();
  if (!r) return;
  const auto& b = r->full;
  std::unordered_set<std::string> docs(b.corpus.begin(), b.corpus.end());
  REQUIRE(docs.size() == b.corpus.size());
  // A WordNet document is "words: definition; "example"..."; collect the definitions.
  std::unordered_set<std::string> definitions;
  for (const auto& d : b.corpus) {
    REQUIRE(!d.empty());
    REQUIRE(d.find('\n') == std::string::npos);
    const auto colon = d.find(": ");
    if (colon == std::string::npos) continue;
    definitions.insert(d.substr(colon + 2, d.find("; \"", colon) - colon - 2));
  }
  std::size_t checked = 0;
  for (const auto& t : b.tasks)
    for (const auto* s : {&t.dev, &t.test})
      for (const auto& e : *s) {
        INFO(t.info.name << " " << e.id);
        REQUIRE(docs.count(e.text_a) == 0);
        if (t.info.name != "fortune_category") REQUIRE(definitions.count(split_key_of(t, e)) == 0);
        ++checked;
      }
  CHECK(checked > 10000);
  // ... while train texts are there.
  std::size_t train_seen = 0;
  for (const auto& e : b.at("wn_supersense").train) train_seen += definitions.count(e.text_a);
  CHECK(train_seen == b.at("wn_supersense").train.size());
  train_seen = 0;
  for (const auto& e : b.at("fortune_category").train) train_seen += docs.count(e.text_a);
  CHECK(train_seen == b.at("fortune_category").train.size());

  autopeft::testing::scratch_dir d{"corpus"};
  b.write_corpus(d / "corpus.txt");
  std::ifstream in(d / "corpus.txt");
  std::string line;
  std::size_t lines = 0;
  while (std::getline(in, line)) REQUIRE(line == b.corpus[lines++]);
  CHECK(lines == b.corpus.size());
  CHECK_THROWS_WITH(b.write_corpus(d / "no" / "such" / "dir.txt"), Contains("cannot create the corpus file"));
}
