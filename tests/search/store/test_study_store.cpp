#include <autopeft/search/store/study_store.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "../../support/scratch_dir.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
namespace search = autopeft::search;
using autopeft::search::study_objective;
using autopeft::search::study_record;
using autopeft::search::study_store;
using autopeft::search::trial_counts;
using autopeft::search::trial_state;
using nlohmann::json;
using Catch::Matchers::Contains;

const std::vector<study_objective> two_objectives{{.name = "accuracy"},
                                                  {.name = "params_pct", .minimize = true}};

// Runs `body` in a forked child that exits with body's return value (99 and a message on
// stderr when it throws), so no Catch2 state is touched there. The caller must hold no open
// study_store: SQLite connections must not cross fork().
pid_t spawn(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int code = 99;
    try {
      code = body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child %d: %s\n", static_cast<int>(::getpid()), e.what());
    }
    ::_exit(code);
  }
  REQUIRE(pid > 0);
  return pid;
}

// The exit code of child `pid`, or -signal when a signal ended it.
int wait_for(pid_t pid) {
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

// Runs SQL on the file with a plain SQLite connection, as another program would.
void raw_sql(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  const std::string text = message ? message : "";
  sqlite3_free(message);
  sqlite3_close(db);
  INFO(text);
  REQUIRE(rc == SQLITE_OK);
}

std::string raw_pragma(const fs::path& file, const std::string& pragma) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, ("PRAGMA " + pragma).c_str(), -1, &s, nullptr) == SQLITE_OK);
  std::string out;
  if (sqlite3_step(s) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

// An RFC 4180 reader: the oracle for export_csv (records end in CRLF, quotes doubled).
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
      ++i;
    } else {
      field += c;
    }
  }
  REQUIRE_FALSE(quoted);
  REQUIRE(field.empty());
  REQUIRE(row.empty());  // the last record ends in CRLF too
  return rows;
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool is_timestamp(const std::string& s) {
  static const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  return std::regex_match(s, iso);
}

}  // namespace

TEST_CASE("study_store: studies and trials keep every field through a reopen", "[search][store]") {
  autopeft::testing::scratch_dir d{"store"};
  const fs::path file = d / "study.db";
  const json config = {{"task", "sst2"}, {"budget", {{"trials", 200}, {"epochs", 1.5}}}};
  const std::uint64_t study_seed = std::numeric_limits<std::uint64_t>::max() - 6;  // > INT64_MAX
  const json p0 = {{"lora_r", 8},       {"lr", 3e-4},        {"target", "query,value"},
                   {"use_dora", true}, {"layers", {1, 0, 1}}, {"nested", {{"a", nullptr}}}};
  const json p1 = {{"lora_r", 16}};
  const json p2 = {{"lora_r", 4}};
  const std::vector<double> values{0.1 + 0.2, 1.0 / 3.0};

  {
    auto store = study_store::open(file);
    auto study = store.create_study("sst2-lora", config, two_objectives, study_seed);
    CHECK(study.name == "sst2-lora");
    CHECK(is_timestamp(study.created));
    CHECK(store.ask(study, p0, 17, "gpu0:42") == 0);
    CHECK(store.enqueue(study, p1, 18) == 1);
    CHECK(store.enqueue(study, p2, 19) == 2);
    store.heartbeat(study, 0);
    store.complete(study, 0, values, {{"epochs", 3}, {"loss", 0.25}}, 12.5);
    store.mark_running(study, 1, "gpu1:7");
    store.fail(study, 1, "CUDA out of memory");
    auto other = store.create_study("other", json::array({1, 2}), {{.name = "f"}});
    CHECK(other.id != study.id);
  }

  auto store = study_store::open(file);
  const auto studies = store.list_studies();
  REQUIRE(studies.size() == 2);
  CHECK(studies[0].name == "sst2-lora");
  CHECK(studies[1].name == "other");
  CHECK(studies[1].config == json::array({1, 2}));
  const auto study = store.load_study("sst2-lora");
  CHECK(study.id == studies[0].id);
  CHECK(study.config == config);
  // find_study: the record by name, or nothing (load_study throws instead).
  REQUIRE(store.find_study("other").has_value());
  CHECK(store.find_study("other")->id == studies[1].id);
  CHECK(store.find_study("other")->config == json::array({1, 2}));
  CHECK_FALSE(store.find_study("sst2-lora:final").has_value());
  REQUIRE(study.objectives.size() == 2);
  CHECK(study.objectives[0].name == "accuracy");
  CHECK_FALSE(study.objectives[0].minimize);
  CHECK(study.objectives[1].name == "params_pct");
  CHECK(study.objectives[1].minimize);
  CHECK(study.seed == study_seed);

  const auto t0 = store.trial(study, 0);
  CHECK(t0.number == 0);
  CHECK(t0.state == trial_state::complete);
  CHECK(t0.params == p0);
  REQUIRE(t0.objectives);
  CHECK(*t0.objectives == values);  // bit-exact: doubles are written with round-trip precision
  CHECK(t0.extra == json{{"epochs", 3}, {"loss", 0.25}});
  CHECK(t0.seed == 17);
  CHECK_FALSE(t0.error);
  CHECK(is_timestamp(t0.created));
  REQUIRE(t0.started);
  REQUIRE(t0.finished);
  REQUIRE(t0.heartbeat);
  CHECK(t0.created <= *t0.started);
  CHECK(*t0.started <= *t0.heartbeat);
  CHECK(*t0.heartbeat <= *t0.finished);
  CHECK(t0.duration_s == 12.5);
  CHECK(t0.worker == "gpu0:42");
  CHECK_FALSE(t0.retry_of);

  const auto t1 = store.trial(study, 1);
  CHECK(t1.state == trial_state::failed);
  CHECK(t1.error == "CUDA out of memory");
  CHECK(t1.worker == "gpu1:7");
  CHECK_FALSE(t1.objectives);
  CHECK(t1.extra == json::object());
  REQUIRE(t1.duration_s);
  CHECK(*t1.duration_s >= 0.0);

  const auto t2 = store.trial(study, 2);
  CHECK(t2.state == trial_state::waiting);
  CHECK(t2.params == p2);
  CHECK(t2.seed == 19);
  CHECK_FALSE(t2.started);
  CHECK_FALSE(t2.worker);

  CHECK(store.counts(study) == trial_counts{.waiting = 1, .complete = 1, .failed = 1});
  CHECK(store.trials(study).size() == 3);
  const auto waiting = store.trials(study, trial_state::waiting);
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].number == 2);
  CHECK(store.trials(store.load_study("other")).empty());

  SECTION("complete without a duration takes the time since the start; prune keeps the reason") {
    store.mark_running(study, 2);
    CHECK(store.trial(study, 2).worker == autopeft::search::worker_id());
    const auto n = store.ask(study, p1, 20);
    store.complete(study, 2, {0.5, 2.0});
    store.prune(study, n, "median rule at epoch 1");
    const auto done = store.trial(study, 2);
    REQUIRE(done.duration_s);
    CHECK(*done.duration_s >= 0.0);
    CHECK(*done.duration_s < 60.0);
    const auto pruned = store.trial(study, n);
    CHECK(pruned.state == trial_state::pruned);
    CHECK(pruned.error == "median rule at epoch 1");
    CHECK(store.counts(study) == trial_counts{.complete = 2, .failed = 1, .pruned = 1});
  }
}

TEST_CASE("study_store: forbidden transitions and bad arguments are refused, naming the field",
          "[search][store]") {
  autopeft::testing::scratch_dir d{"store"};
  auto store = study_store::open(d / "s.db");
  auto study = store.create_study("s", json::object(), two_objectives);
  const auto waiting = store.enqueue(study, {{"x", 1}}, 0);
  const auto running = store.ask(study, {{"x", 2}}, 0, "w1");
  const auto done = store.ask(study, {{"x", 3}}, 0);
  store.complete(study, done, {1.0, 2.0});

  CHECK_THROWS_WITH(store.complete(study, waiting, {1.0, 2.0}),
                    Contains("waiting, not running") && Contains("mark_running"));
  CHECK_THROWS_WITH(store.complete(study, done, {1.0, 2.0}),
                    Contains("already complete") && Contains("never changes"));
  CHECK_THROWS_WITH(store.fail(study, done, "x"), Contains("already complete"));
  CHECK_THROWS_WITH(store.prune(study, waiting, "x"), Contains("waiting, not running"));
  CHECK_THROWS_WITH(store.heartbeat(study, waiting), Contains("waiting, not running"));
  CHECK_THROWS_WITH(store.mark_running(study, running),
                    Contains("already running on worker \"w1\""));
  CHECK_THROWS_WITH(store.mark_running(study, done), Contains("already complete"));
  CHECK_THROWS_WITH(store.fail(study, running, ""), Contains("reason is empty"));

  CHECK_THROWS_WITH(store.trial(study, 3),
                    Contains("trial number 3 is out of range") && Contains("trials 0 to 2"));
  CHECK_THROWS_WITH(store.complete(study, -1, {1.0, 2.0}), Contains("trial number -1"));
  auto empty = store.create_study("empty", json::object(), two_objectives);
  CHECK_THROWS_WITH(store.mark_running(empty, 0), Contains("has no trials yet"));

  CHECK_THROWS_WITH(store.complete(study, running, {1.0}),
                    Contains("objectives has 1 values") && Contains("accuracy, params_pct"));
  CHECK_THROWS_WITH(store.complete(study, running, {1.0, std::nan("")}),
                    Contains("objectives[1] (params_pct) is nan") && Contains("fail()"));
  CHECK_THROWS_WITH(
      store.complete(study, running, {std::numeric_limits<double>::infinity(), 1.0}),
      Contains("objectives[0] (accuracy) is inf"));
  CHECK_THROWS_WITH(store.complete(study, running, {1.0, 2.0}, json::array()),
                    Contains("extra must be a JSON object"));
  CHECK_THROWS_WITH(store.complete(study, running, {1.0, 2.0}, {}, -1.0),
                    Contains("duration_s is -1"));
  CHECK_THROWS_WITH(store.enqueue(study, json::array({1, 2}), 0),
                    Contains("params must be a JSON object"));
  CHECK_THROWS_WITH(store.enqueue(study, {{"bad", std::string("\xff")}}, 0),
                    Contains("params cannot be written as JSON"));
  // Nothing of a refused call reached the file: the trial is still running, with no objectives.
  CHECK(store.trial(study, running).state == trial_state::running);
  CHECK_FALSE(store.trial(study, running).objectives);
  CHECK(store.counts(study).total() == 3);

  CHECK_THROWS_WITH(store.load_study("nope"),
                    Contains("no study named \"nope\"") && Contains("\"s\", \"empty\"") &&
                        Contains((d / "s.db").string()));
  CHECK_THROWS_WITH(store.create_study("s", json::object(), two_objectives),
                    Contains("exists already") && Contains("load_study(\"s\")"));
  CHECK_THROWS_WITH(store.create_study("", json::object(), two_objectives),
                    Contains("name is empty"));
  CHECK_THROWS_WITH(store.create_study("t", json::object(), {}), Contains("objectives is empty"));
  CHECK_THROWS_WITH(store.create_study("t", json::object(), {{.name = "a"}, {.name = "a"}}),
                    Contains("objectives[1].name \"a\" appears twice"));

  auto elsewhere = study_store::open(d / "other.db");
  auto stranger = elsewhere.create_study("stranger", json::object(), two_objectives);
  stranger.id = 999;
  CHECK_THROWS_WITH(store.enqueue(stranger, json::object(), 0), Contains("is not in this store"));
}

TEST_CASE("study_store: requeue_running fails interrupted trials and re-runs copies of them",
          "[search][store]") {
  autopeft::testing::scratch_dir d{"store"};
  const fs::path file = d / "s.db";
  {
    // The process "crashes": the store closes with trials 0 and 2 still running.
    auto store = study_store::open(file);
    auto study = store.create_study("s", json::object(), two_objectives);
    store.ask(study, {{"r", 1}}, 11, "w0");
    store.ask(study, {{"r", 2}}, 12, "w1");
    store.ask(study, {{"r", 3}}, 13, "w2");
    store.enqueue(study, {{"r", 4}}, 14);
    store.complete(study, 1, {0.5, 1.0});
  }
  auto store = study_store::open(file);
  auto study = store.load_study("s");
  CHECK(store.counts(study) == trial_counts{.waiting = 1, .running = 2, .complete = 1});

  SECTION("a trial with a recent heartbeat is spared when stale_after is given") {
    store.heartbeat(study, 0);
    CHECK(store.requeue_running(study, std::chrono::hours(1)).empty());
    CHECK(store.counts(study).running == 2);
  }

  const auto requeued = store.requeue_running(study);
  REQUIRE(requeued.size() == 2);
  CHECK(requeued[0] == autopeft::search::requeued_trial{0, 4});
  CHECK(requeued[1] == autopeft::search::requeued_trial{2, 5});
  for (const auto& [from, to] : requeued) {
    const auto old = store.trial(study, from);
    const auto copy = store.trial(study, to);
    CHECK(old.state == trial_state::failed);
    REQUIRE(old.error);
    CHECK_THAT(*old.error, Contains("interrupted") && Contains("worker \"" + *old.worker + "\"") &&
                               Contains("requeued as trial " + std::to_string(to)));
    CHECK(copy.state == trial_state::waiting);
    CHECK(copy.params == old.params);
    CHECK(copy.seed == old.seed);
    CHECK(copy.retry_of == from);
  }
  CHECK(store.counts(study) == trial_counts{.waiting = 3, .complete = 1, .failed = 2});
  CHECK(store.requeue_running(study).empty());

  // The search runs them again: claim hands out the waiting trials in number order.
  std::vector<std::int64_t> claimed;
  while (auto t = store.claim(study, "resumed")) {
    CHECK(t->state == trial_state::running);
    CHECK(t->worker == "resumed");
    claimed.push_back(t->number);
    store.complete(study, t->number, {1.0, 1.0});
  }
  CHECK(claimed == std::vector<std::int64_t>{3, 4, 5});
  CHECK(store.counts(study) == trial_counts{.complete = 4, .failed = 2});
}

TEST_CASE("study_store: committed trials survive a SIGKILL of the writing process",
          "[search][store][process]") {
  autopeft::testing::scratch_dir d{"store"};
  const fs::path file = d / "s.db";
  constexpr int K = 12;
  study_store::open(file).create_study("s", json::object(), two_objectives);

  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t child = spawn([&] {
    ::close(pipe_fds[0]);
    auto store = study_store::open(file);
    const auto study = store.load_study("s");
    for (int k = 0; k < K; ++k) {
      const auto n = store.ask(study, {{"k", k}}, static_cast<std::uint64_t>(k));
      store.complete(study, n, {k / 7.0, -k / 3.0}, {{"k", k}});
      if (::write(pipe_fds[1], "c", 1) != 1) return 2;
    }
    store.ask(study, {{"k", K}}, K);
    if (::write(pipe_fds[1], "r", 1) != 1) return 2;
    for (;;) ::pause();  // killed here, the store still open
  });
  ::close(pipe_fds[1]);
  std::string reported;
  while (reported.size() < K + 1) {
    pollfd p{pipe_fds[0], POLLIN, 0};
    REQUIRE(::poll(&p, 1, 60'000) == 1);
    char buf[64];
    const auto got = ::read(pipe_fds[0], buf, sizeof buf);
    REQUIRE(got > 0);  // 0: the child died before reporting
    reported.append(buf, static_cast<std::size_t>(got));
  }
  ::close(pipe_fds[0]);
  CHECK(reported == std::string(K, 'c') + "r");
  REQUIRE(::kill(child, SIGKILL) == 0);
  CHECK(wait_for(child) == -SIGKILL);
  // The commits sit in the write-ahead log, not yet checkpointed: reopening must replay it.
  CHECK(fs::file_size(file.string() + "-wal") > 0);

  auto store = study_store::open(file);
  const auto integrity = store.integrity_check();
  CHECK(integrity.ok);
  CHECK(integrity.message == "ok");
  const auto study = store.load_study("s");
  CHECK(store.counts(study) == trial_counts{.running = 1, .complete = K});
  const auto done = store.trials(study, trial_state::complete);
  REQUIRE(done.size() == K);
  for (int k = 0; k < K; ++k) {
    CHECK(done[k].number == k);
    CHECK(done[k].params == json{{"k", k}});
    CHECK(*done[k].objectives == std::vector<double>{k / 7.0, -k / 3.0});
    CHECK(done[k].extra == json{{"k", k}});
  }
  const auto requeued = store.requeue_running(study);
  REQUIRE(requeued.size() == 1);
  CHECK(requeued[0] == autopeft::search::requeued_trial{K, K + 1});
  CHECK(store.trial(study, K + 1).params == json{{"k", K}});
}

TEST_CASE("study_store: two processes writing one study get unique, gap-free trial numbers",
          "[search][store][process]") {
  autopeft::testing::scratch_dir d{"store"};
  const fs::path file = d / "s.db";
  study_store::open(file).create_study("s", json::object(), two_objectives);
  constexpr int per_worker = 50;
  int gate[2];  // both workers start when the parent closes the write end
  REQUIRE(::pipe(gate) == 0);

  auto worker = [&](int w) {
    return spawn([&file, &gate, w] {
      ::close(gate[1]);
      char c;
      if (::read(gate[0], &c, 1) != 0) return 3;
      auto store = study_store::open(file);
      const auto study = store.load_study("s");
      for (int i = 0; i < per_worker; ++i) {
        const auto n = store.ask(study, {{"w", w}, {"i", i}}, static_cast<std::uint64_t>(i),
                                 "w" + std::to_string(w));
        ::usleep(1000);  // a trial takes time: the other worker writes meanwhile
        store.complete(study, n, {static_cast<double>(i), static_cast<double>(w)});
      }
      return 0;
    });
  };
  const pid_t a = worker(0);
  const pid_t b = worker(1);
  ::close(gate[0]);
  ::close(gate[1]);
  CHECK(wait_for(a) == 0);
  CHECK(wait_for(b) == 0);

  auto store = study_store::open(file);
  const auto study = store.load_study("s");
  const auto all = store.trials(study);
  REQUIRE(all.size() == 2 * per_worker);
  std::map<int, std::set<int>> seen;
  int switches = 0;  // how often the writer changes between consecutive numbers
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (i > 0) switches += all[i].worker != all[i - 1].worker;
    CHECK(all[i].number == static_cast<std::int64_t>(i));
    CHECK(all[i].state == trial_state::complete);
    const int w = all[i].params.at("w").get<int>();
    CHECK(all[i].worker == "w" + std::to_string(w));
    CHECK(all[i].objectives->at(1) == w);
    seen[w].insert(all[i].params.at("i").get<int>());
  }
  CHECK(seen[0].size() == per_worker);
  CHECK(seen[1].size() == per_worker);
  if (switches < 2) WARN("the two workers did not overlap: contention went untested this run");
  CHECK(store.integrity_check().ok);
}

TEST_CASE("study_store: claim hands each waiting trial to exactly one process",
          "[search][store][process]") {
  autopeft::testing::scratch_dir d{"store"};
  const fs::path file = d / "s.db";
  constexpr int total = 100;
  {
    auto store = study_store::open(file);
    auto study = store.create_study("s", json::object(), {{.name = "f"}});
    for (int i = 0; i < total; ++i) store.enqueue(study, {{"i", i}}, 0);
  }
  auto worker = [&](const std::string& name) {
    return spawn([&file, name] {
      auto store = study_store::open(file);
      const auto study = store.load_study("s");
      int completed = 0;
      // complete() refuses a trial that is not running, so a trial claimed twice would end the
      // second claimant with an error (exit code 99).
      while (auto t = store.claim(study, name)) {
        store.complete(study, t->number, {1.0});
        ++completed;
      }
      return completed;
    });
  };
  const pid_t a = worker("a");
  const pid_t b = worker("b");
  const int done_a = wait_for(a);
  const int done_b = wait_for(b);
  CHECK(done_a + done_b == total);

  auto store = study_store::open(file);
  const auto study = store.load_study("s");
  CHECK(store.counts(study) == trial_counts{.complete = total});
  int by_a = 0;
  for (const auto& t : store.trials(study)) by_a += t.worker == "a";
  CHECK(by_a == done_a);
}

TEST_CASE("study_store: CSV and JSON exports hold every trial, quoted per RFC 4180",
          "[search][store]") {
  autopeft::testing::scratch_dir d{"store"};
  auto store = study_store::open(d / "s.db");
  auto study = store.create_study("s", {{"k", 1}}, two_objectives, 5);
  const std::string tricky = "a,b \"quoted\"";
  store.ask(study, {{"lr", 0.001}, {"name", tricky}, {"r", 8}}, 3, "w0");
  store.complete(study, 0, {0.5, 1.25}, {{"epochs", 3}}, 2.5);
  store.enqueue(study, {{"r", 4}, {"note", "line1\nline2"}}, 4);
  store.ask(study, {{"r", 16}, {"layers", {1, 0}}}, 5, "w1");
  store.fail(study, 2, "out of memory, \"CUDA\"");

  const fs::path csv = d / "s.csv";
  store.export_csv(study, csv);
  const std::string text = slurp(csv);
  CHECK_THAT(text, Contains("\"a,b \"\"quoted\"\"\""));
  const auto rows = parse_csv(text);
  REQUIRE(rows.size() == 4);
  const std::vector<std::string> header{
      "number",  "state",      "param.layers",       "param.lr",     "param.name",
      "param.note", "param.r", "objective.accuracy", "objective.params_pct", "extra.epochs",
      "seed",    "duration_s", "worker",             "error",        "created",
      "started", "finished",   "heartbeat",          "retry_of",     "fidelity",
      "origin",  "label",      "source_trial",       "seed_index"};
  CHECK(rows[0] == header);
  std::vector<std::map<std::string, std::string>> r;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    REQUIRE(rows[i].size() == header.size());
    std::map<std::string, std::string> m;
    for (std::size_t c = 0; c < header.size(); ++c) m[header[c]] = rows[i][c];
    r.push_back(m);
  }
  CHECK(r[0]["number"] == "0");
  CHECK(r[0]["state"] == "complete");
  CHECK(r[0]["param.name"] == tricky);
  CHECK(r[0]["param.lr"] == "0.001");
  CHECK(r[0]["param.r"] == "8");
  CHECK(r[0]["param.note"].empty());
  CHECK(r[0]["objective.accuracy"] == "0.5");
  CHECK(r[0]["objective.params_pct"] == "1.25");
  CHECK(r[0]["extra.epochs"] == "3");
  CHECK(r[0]["seed"] == "3");
  CHECK(r[0]["duration_s"] == "2.5");
  CHECK(r[0]["worker"] == "w0");
  CHECK(is_timestamp(r[0]["finished"]));
  CHECK(r[1]["state"] == "waiting");
  CHECK(r[1]["param.note"] == "line1\nline2");
  CHECK(r[1]["objective.accuracy"].empty());
  CHECK(r[1]["started"].empty());
  CHECK(r[2]["state"] == "failed");
  CHECK(r[2]["param.layers"] == "[1,0]");
  CHECK(r[2]["error"] == "out of memory, \"CUDA\"");

  const fs::path js = d / "s.json";
  store.export_json(study, js);
  const json doc = json::parse(slurp(js));
  CHECK(doc["study"]["name"] == "s");
  CHECK(doc["study"]["config"] == json{{"k", 1}});
  CHECK(doc["study"]["seed"] == 5);
  CHECK(doc["study"]["objectives"] ==
        json::parse(R"([{"name":"accuracy","direction":"maximize"},)"
                    R"({"name":"params_pct","direction":"minimize"}])"));
  const auto records = store.trials(study);
  REQUIRE(doc["trials"].size() == records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& t = doc["trials"][i];
    CHECK(t["number"] == records[i].number);
    CHECK(t["state"] == std::string(to_string(records[i].state)));
    CHECK(t["params"] == records[i].params);
    CHECK(t["seed"] == records[i].seed);
    CHECK(t["created"] == records[i].created);
  }
  CHECK(doc["trials"][0]["params"]["name"] == tricky);
  CHECK(doc["trials"][0]["objectives"] == json::array({0.5, 1.25}));
  CHECK(doc["trials"][0]["duration_s"] == 2.5);
  CHECK(doc["trials"][1]["objectives"].is_null());
  CHECK(doc["trials"][1]["worker"].is_null());
  CHECK(doc["trials"][2]["error"] == "out of memory, \"CUDA\"");

  CHECK_THROWS_WITH(store.export_csv(study, d / "missing" / "s.csv"),
                    Contains("missing") && Contains("check that the directory exists"));
}

TEST_CASE("study_store: files it cannot use are refused with what to do", "[search][store]") {
  autopeft::testing::scratch_dir d{"store"};

  SECTION("a text file") {
    const fs::path file = d / "notes.db";
    std::ofstream(file) << std::string(200, 'x') << "\nthis is not a database\n";
    CHECK_THROWS_WITH(study_store::open(file), Contains(file.string()) &&
                                                   Contains("not an autopeft study store") &&
                                                   Contains("not an SQLite database"));
  }
  SECTION("another program's SQLite database, left as it was") {
    const fs::path file = d / "other.db";
    raw_sql(file, "CREATE TABLE foo (x INTEGER)");
    CHECK_THROWS_WITH(study_store::open(file),
                      Contains("not an autopeft study store") && Contains("another program"));
    CHECK(raw_pragma(file, "journal_mode") == "delete");
  }
  SECTION("a store written by a newer autopeft") {
    const fs::path file = d / "new.db";
    { auto fresh = study_store::open(file); }
    raw_sql(file, "PRAGMA user_version = 99");
    CHECK_THROWS_WITH(study_store::open(file),
                      Contains("newer autopeft") && Contains("schema version 99") &&
                          Contains("reads version " + std::to_string(study_store::schema_version)));
  }
  SECTION("a directory that does not exist") {
    CHECK_THROWS_WITH(study_store::open(d / "no" / "such" / "dir.db"),
                      Contains("cannot open the file") && Contains("directory exists"));
  }
  SECTION("a store whose write lock another process holds") {
    const fs::path file = d / "busy.db";
    auto store = study_store::open(file, {.busy_timeout = std::chrono::milliseconds(100)});
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    CHECK_THROWS_WITH(store.create_study("s", json::object(), two_objectives),
                      Contains("database is locked") && Contains("busy_timeout (100 ms)") &&
                          Contains(file.string()));
    sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(other);
    CHECK(store.create_study("s", json::object(), two_objectives).name == "s");
  }
  SECTION("a full disk: the message says that no finished trial was lost") {
    const auto e = autopeft::search::detail::sqlite_failure(
        "/runs/s.db", "study_store::complete (trial 3 of study \"s\")", SQLITE_FULL,
        "database or disk is full", std::chrono::milliseconds(100));
    CHECK_THAT(e.what(), Contains("/runs/s.db") && Contains("study_store::complete") &&
                             Contains("the disk is full") &&
                             Contains("no finished trial was lost"));
  }
}

TEST_CASE("study_store: integrity_check finds damage and reports it without throwing",
          "[search][store]") {
  autopeft::testing::scratch_dir d{"store"};
  const fs::path file = d / "s.db";
  {
    auto store = study_store::open(file);
    auto study = store.create_study("s", json::object(), {{.name = "f"}});
    for (int i = 0; i < 300; ++i) {
      store.enqueue(study, {{"i", i}, {"pad", std::string(200, 'p')}}, 0);
    }
    CHECK(store.integrity_check().ok);
  }  // the last connection checkpoints the WAL into the file
  REQUIRE_FALSE(fs::exists(file.string() + "-wal"));
  const auto size = fs::file_size(file);
  REQUIRE(size > 8 * 4096);
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));
    const std::string junk(4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto store = study_store::open(file);
  const auto report = store.integrity_check();
  CHECK_FALSE(report.ok);
  CHECK_FALSE(report.message.empty());
  CHECK(report.message != "ok");
}

TEST_CASE("study_store: a trial's fidelity is recorded, survives a re-queue and is exported", "[search][store][fidelity]") {
  autopeft::testing::scratch_dir d{"store-fidelity"};
  auto store = study_store::open(d / "s.db");
  const auto study = store.create_study("s", json::object(), two_objectives);
  const search::trial_fidelity rung1{.level = 1, .resources = {{"train_samples", 900}, {"epochs", 2}}, .cost = 3.0};
  const auto a = store.enqueue(study, {{"x", 1}}, 5, rung1);
  const auto b = store.enqueue(study, {{"x", 2}}, 6);
  CHECK(store.trial(study, a).fidelity == rung1);
  CHECK_FALSE(store.trial(study, b).fidelity.has_value());
  // A trial left running by a killed process is re-run at its own fidelity.
  REQUIRE(store.claim(study)->number == a);
  const auto requeued = store.requeue_running(study);
  REQUIRE(requeued.size() == 1);
  CHECK(store.trial(study, requeued[0].requeued).fidelity == rung1);
  store.export_json(study, d / "s.json");
  std::ifstream in(d / "s.json");
  const auto doc = json::parse(in);
  CHECK(doc["trials"][0]["fidelity"]["level"] == 1);
  CHECK(doc["trials"][0]["fidelity"]["resources"]["train_samples"] == 900);
  CHECK(doc["trials"][1]["fidelity"].is_null());
  // Bad fidelities are refused before anything is written.
  CHECK_THROWS_WITH(store.enqueue(study, {{"x", 3}}, 7, search::trial_fidelity{.level = -1}), Contains("fidelity.level"));
  CHECK_THROWS_WITH(store.enqueue(study, {{"x", 3}}, 7, search::trial_fidelity{.cost = 0}), Contains("fidelity.cost"));
  CHECK(store.trials(study).size() == 3);
}

// A store as schema version 1 or 2 wrote it (version 1: no fidelity column), with no rows.
void write_old_store(const fs::path& file, int version) {
  raw_sql(file, std::string(R"sql(
CREATE TABLE studies (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created TEXT NOT NULL, objectives TEXT NOT NULL,
                      config TEXT NOT NULL, seed INTEGER NOT NULL);
CREATE TABLE trials (
  id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL REFERENCES studies (id), number INTEGER NOT NULL CHECK (number >= 0),
  state TEXT NOT NULL CHECK (state IN ('waiting', 'running', 'complete', 'failed', 'pruned')), params TEXT NOT NULL,
  objectives TEXT, extra TEXT NOT NULL DEFAULT '{}', seed INTEGER NOT NULL, error TEXT, created TEXT NOT NULL, started TEXT,
  finished TEXT, duration_s REAL, worker TEXT, heartbeat TEXT, retry_of INTEGER,)sql") +
                    (version >= 2 ? " fidelity TEXT," : "") + R"sql(
  UNIQUE (study_id, number), CHECK ((state = 'complete') = (objectives IS NOT NULL)));
CREATE INDEX trials_by_state ON trials (study_id, state, number);
PRAGMA application_id = )sql" + std::to_string(study_store::application_id) + "; PRAGMA user_version = " +
                    std::to_string(version));
}

TEST_CASE("study_store: a store of schema version 1 is brought up to date on open, its trials kept", "[search][store][fidelity]") {
  autopeft::testing::scratch_dir d{"store-v1"};
  const fs::path file = d / "v1.db";
  // What version 1 wrote: no fidelity column.
  write_old_store(file, 1);
  raw_sql(file,
          "INSERT INTO studies VALUES (1, 'old', '2026-11-01T00:00:00.000Z', "
          "'[{\"name\":\"accuracy\",\"direction\":\"maximize\"},{\"name\":\"params_pct\",\"direction\":\"minimize\"}]', '{}', 0);"
          "INSERT INTO trials (study_id, number, state, params, seed, created) VALUES (1, 0, 'waiting', '{\"x\":1}', 5, "
          "'2026-11-01T00:00:00.000Z')");
  auto store = study_store::open(file);
  CHECK(raw_pragma(file, "user_version") == std::to_string(study_store::schema_version));
  const auto study = store.load_study("old");
  REQUIRE(store.trials(study).size() == 1);
  CHECK(store.trials(study)[0].params == json{{"x", 1}});
  store.enqueue(study, {{"x", 2}}, 6, search::trial_fidelity{.level = 2});
  CHECK(store.trial(study, 1).fidelity->level == 2);
  CHECK(store.integrity_check().ok);
}

TEST_CASE("study_store: a store of schema version 2 opens; the provenance it kept in params moves to columns, companions are linked",
          "[search][store]") {
  autopeft::testing::scratch_dir d{"store-v2"};
  const fs::path file = d / "v2.db";
  write_old_store(file, 2);
  const std::string objectives =
      R"('[{"name":"accuracy","direction":"maximize"},{"name":"params_pct","direction":"minimize"}]')";
  std::string sql;
  int id = 0;
  for (const char* name : {"sst2", "sst2:final", "sst2:baselines", "a:b"})
    sql += "INSERT INTO studies VALUES (" + std::to_string(++id) + ", '" + name + "', '2026-11-01T00:00:00.000Z', " + objectives +
           ", '{}', 7);";
  const auto trial = [&](int study, int number, const std::string& params, bool complete = false) {
    sql += "INSERT INTO trials (study_id, number, state, params, objectives, seed, created) VALUES (" + std::to_string(study) +
           ", " + std::to_string(number) + ", '" + (complete ? "complete" : "waiting") + "', '" + params + "', " +
           (complete ? "'[0.9, 1.5]'" : "NULL") + ", 3, '2026-11-01T00:00:00.000Z');";
  };
  trial(1, 0, R"({"sa":3,"_origin":"initial"})", true);
  trial(1, 1, R"({"sa":3,"_origin":"promotion","_promoted_from":0})");
  trial(1, 2, R"({"x":1,"_note":"mine"})");
  trial(2, 0, R"({"sa":3,"_source":0,"_seed_index":1})", true);
  trial(3, 0, R"({"method":"lora8","lr":0.001,"_name":"LoRA r=8","_method":"lora8","_lr":0.001,"_stage":"grid","_seed_index":0})");
  trial(3, 1, R"j({"sa":48,"_name":"Pfeiffer adapter (SA 48)"})j", true);
  trial(4, 0, R"({"y":2})");
  raw_sql(file, sql);

  for (int open = 0; open < 2; ++open) {  // the second open finds nothing left to move
    auto store = study_store::open(file);
    CHECK(raw_pragma(file, "user_version") == std::to_string(study_store::schema_version));
    const auto sst2 = store.load_study("sst2");
    CHECK_FALSE(sst2.parent_id.has_value());
    CHECK(sst2.role.empty());
    const auto t = store.trials(sst2);
    REQUIRE(t.size() == 3);
    CHECK(t[0].params == json{{"sa", 3}});
    CHECK(t[0].provenance == search::trial_provenance{.origin = "initial"});
    CHECK(t[0].objectives == std::vector<double>{0.9, 1.5});
    CHECK(t[1].params == json{{"sa", 3}});
    CHECK(t[1].provenance == search::trial_provenance{.origin = "promotion", .source = 0});
    CHECK(t[2].params == json{{"x", 1}, {"_note", "mine"}});  // a key of the caller's own stays
    CHECK(t[2].provenance == search::trial_provenance{});

    const auto fin = store.find_companion(sst2, "final");
    REQUIRE(fin.has_value());
    CHECK(fin->name == "sst2:final");
    CHECK(fin->parent_id == sst2.id);
    const auto f = store.trials(*fin);
    REQUIRE(f.size() == 1);
    CHECK(f[0].params == json{{"sa", 3}});
    CHECK(f[0].provenance == search::trial_provenance{.origin = "retrain", .source = 0, .seed_index = 1});

    const auto bs = store.find_companion(sst2, "baselines");
    REQUIRE(bs.has_value());
    CHECK(bs->role == "baselines");
    const auto b = store.trials(*bs);
    REQUIRE(b.size() == 2);
    CHECK(b[0].params == json{{"method", "lora8"}, {"lr", 0.001}});
    CHECK(b[0].provenance == search::trial_provenance{.origin = "grid", .label = "LoRA r=8", .seed_index = 0});
    CHECK(b[1].params == json{{"sa", 48}});
    CHECK(b[1].provenance == search::trial_provenance{.label = "Pfeiffer adapter (SA 48)"});

    // A colon in a name whose prefix is no study is just a name.
    const auto ab = store.load_study("a:b");
    CHECK_FALSE(ab.parent_id.has_value());
    CHECK(ab.role.empty());
    CHECK(store.trials(ab)[0].params == json{{"y", 2}});
    CHECK(store.integrity_check().ok);
  }
}

TEST_CASE("study_store: provenance and companion links are stored, kept by a re-queue and exported", "[search][store]") {
  autopeft::testing::scratch_dir d{"store-provenance"};
  const fs::path file = d / "p.db";
  auto store = study_store::open(file);
  const auto study = store.create_study("s", json::object(), two_objectives, 11);
  const search::trial_provenance promoted{.origin = "promotion", .label = "B", .source = 0, .seed_index = 2};
  store.enqueue(study, {{"x", 1}}, 5, std::nullopt, promoted);
  store.enqueue_all(study, {{.params = {{"x", 2}}, .seed = 6, .provenance = {.origin = "mobo"}}});
  const auto running = *store.claim(study, "w");
  CHECK(running.provenance == promoted);
  const auto copy = store.requeue(study, running.number, "interrupted: test");
  CHECK(store.trial(study, copy).provenance == promoted);
  CHECK(store.trial(study, copy).retry_of == running.number);
  CHECK(store.trial(study, 1).provenance.origin == "mobo");

  const auto fin = store.create_companion(study, "final", {{"kind", "re-training"}});
  CHECK(fin.name == "s:final");
  CHECK(fin.parent_id == study.id);
  CHECK(fin.role == "final");
  CHECK(fin.seed == study.seed);
  CHECK(fin.objectives.size() == study.objectives.size());
  CHECK(store.create_companion(study, "baselines", json::object(), 99).seed == 99);
  CHECK_FALSE(store.find_companion(fin, "final").has_value());
  CHECK_THROWS_WITH(store.create_companion(study, "final", json::object()), Contains("exists already"));
  CHECK_THROWS_WITH(store.create_companion(study, "", json::object()), Contains("role is empty"));
  auto stranger = study;
  stranger.id = 999;
  CHECK_THROWS_WITH(store.create_companion(stranger, "x", json::object()), Contains("is not in this store"));

  const auto reopened = study_store::open(file);
  CHECK(reopened.find_companion(study, "final")->name == "s:final");
  CHECK(reopened.trial(study, 0).provenance == promoted);
  reopened.export_json(fin, d / "f.json");
  reopened.export_json(study, d / "s.json");
  const auto doc = json::parse(slurp(d / "s.json"));
  CHECK(doc["trials"][0]["origin"] == "promotion");
  CHECK(doc["trials"][0]["label"] == "B");
  CHECK(doc["trials"][0]["source_trial"] == 0);
  CHECK(doc["trials"][0]["seed_index"] == 2);
  CHECK(doc["trials"][1]["source_trial"].is_null());
  CHECK(doc["study"]["parent"].is_null());
  const auto fdoc = json::parse(slurp(d / "f.json"));
  CHECK(fdoc["study"]["parent"] == "s");
  CHECK(fdoc["study"]["role"] == "final");
  reopened.export_csv(study, d / "s.csv");
  const auto rows = parse_csv(slurp(d / "s.csv"));
  const auto& header = rows.at(0);
  const auto col = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  REQUIRE(col("source_trial") < header.size());
  CHECK(rows.at(1).at(col("origin")) == "promotion");
  CHECK(rows.at(1).at(col("label")) == "B");
  CHECK(rows.at(1).at(col("source_trial")) == "0");
  CHECK(rows.at(1).at(col("seed_index")) == "2");
  CHECK(rows.at(2).at(col("source_trial")).empty());
}
