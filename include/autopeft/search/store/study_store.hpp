#pragma once
// The persistent record of a search: studies and their trials in one SQLite file, shared by
// every process of the search and kept through crashes.
//
// Example:
//   using namespace autopeft::search;
//   auto store = study_store::open("runs/sst2.db");
//   auto study = store.create_study("sst2-lora", {{"task", "sst2"}},
//                                   {{.name = "accuracy"}, {.name = "params_pct", .minimize = true}});
//   const auto n = store.ask(study, {{"lora_r", 8}, {"lr", 3e-4}}, /*seed=*/17);
//   store.complete(study, n, {0.913, 0.27}, {{"epochs", 3}});
//
//   // After a crash: the trials that were running are run again.
//   auto study = store.load_study("sst2-lora");
//   store.requeue_running(study);
//   while (auto t = store.claim(study)) evaluate(*t);
#include <autopeft/error.hpp>
#include <autopeft/search/store/detail/export_text.hpp>
#include <autopeft/search/store/detail/sqlite.hpp>
#include <autopeft/search/store/detail/store_export.hpp>
#include <autopeft/search/store/detail/store_schema.hpp>
#include <autopeft/search/store/integrity_report.hpp>
#include <autopeft/search/store/new_trial.hpp>
#include <autopeft/search/store/requeued_trial.hpp>
#include <autopeft/search/store/study_objective.hpp>
#include <autopeft/search/store/study_record.hpp>
#include <autopeft/search/store/study_store_options.hpp>
#include <autopeft/search/store/trial_counts.hpp>
#include <autopeft/search/store/trial_provenance.hpp>
#include <autopeft/search/store/trial_record.hpp>
#include <autopeft/search/store/trial_state.hpp>
#include <autopeft/search/store/worker_id.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace autopeft::search {

/// Studies and trials in one SQLite file (schema: docs/study_store.md).
///
/// Durability. The store runs in WAL mode: a commit appends the change to `<file>-wal` before
/// COMMIT returns, and every state change (a trial enqueued, started, completed, failed, pruned,
/// requeued) is one transaction. With synchronous=NORMAL a committed change is already in the
/// operating system's page cache when COMMIT returns, so a crash or SIGKILL of the process never
/// loses it: the next open replays the WAL. Only a power loss or kernel crash can roll back the
/// last commits, and synchronous=FULL (the default, study_store_options::fsync_each_commit)
/// closes that gap too with one fsync per commit, milliseconds against minutes of training. An
/// interrupted transaction is rolled back whole, so the file is always consistent.
///
/// Several processes. Each opens its own study_store on the same file (never carry one across
/// fork()). Writers take the lock with BEGIN IMMEDIATE and wait up to busy_timeout for each
/// other; readers never wait. Trial numbers are handed out inside that lock, so they are unique
/// and gap-free per study, and claim() gives each waiting trial to one process only. WAL needs
/// shared memory, so the processes must run on one host and the file must sit on a local
/// filesystem; ranks on several hosts send their results to one process that writes.
///
/// Errors. SQLite failures throw autopeft::file_error naming the file, the operation, what
/// SQLite said and what to do; bad arguments (an unknown study, a trial number out of range, a
/// transition the state machine forbids, a non-finite objective) throw one naming the field.
/// One store object is not for concurrent use by several threads.
class study_store {
 public:
  /// The schema this build writes; a file with a newer one is refused on open.
  static constexpr std::int64_t schema_version = detail::store_schema_version;
  /// PRAGMA application_id of a study store: "APFT".
  static constexpr std::int32_t application_id = detail::store_application_id;

  /// Opens the store at `file`, creating it (and its schema) when the file does not exist or
  /// is empty, and bringing a store of an older schema up to this one (version 1 -> 2 adds the
  /// trials' fidelity column; 2 -> 3 adds the provenance columns and the companion links, and
  /// moves the provenance older versions kept as "_"-keys in params into them). Throws when
  /// the file is not a study store, or has a newer schema version.
  [[nodiscard]] static study_store open(const std::filesystem::path& file,
                                        const study_store_options& options = {}) {
    return study_store(file, options);
  }

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return db_.path(); }

  // ---- studies ----------------------------------------------------------------------------

  /// A new study. `name` must be unused in this store; `objectives` non-empty with distinct,
  /// non-empty names; `config` is kept as given (the study's settings, any JSON).
  study_record create_study(const std::string& name, const nlohmann::json& config,
                            const std::vector<study_objective>& objectives,
                            std::uint64_t seed = 0) {
    return insert_study("study_store::create_study(\"" + name + "\")", name, config, objectives, seed, nullptr, "");
  }

  /// A companion of `parent` with the role `role` (e.g. "final" for the re-training of its
  /// Pareto set, "baselines" for its hand-designed baselines): the study "<parent>:<role>",
  /// with the parent's objectives and `seed` (by default the parent's), linked to it in the store.
  study_record create_companion(const study_record& parent, const std::string& role, const nlohmann::json& config,
                                std::optional<std::uint64_t> seed = std::nullopt) {
    const std::string name = parent.name + ":" + role;
    const std::string op = "study_store::create_companion(\"" + name + "\")";
    if (role.empty()) bad(op, "role is empty; name the companion's role (e.g. \"final\")");
    return insert_study(op, name, config, parent.objectives, seed.value_or(parent.seed), &parent, role);
  }

  /// The companion of `parent` with `role`, or nullopt when there is none yet.
  [[nodiscard]] std::optional<study_record> find_companion(const study_record& parent, const std::string& role) const {
    const std::string op = "study_store::find_companion(\"" + parent.name + "\", \"" + role + "\")";
    detail::statement s(db_, op, std::string("SELECT ") + study_columns + " FROM studies WHERE parent_id = ?1 AND role = ?2");
    s.bind_int(1, parent.id).bind_text(2, role);
    if (!s.step()) return std::nullopt;
    return read_study(op, s);
  }

  /// The study named `name`; throws, listing the studies there are, when there is none.
  [[nodiscard]] study_record load_study(const std::string& name) const {
    const std::string op = "study_store::load_study(\"" + name + "\")";
    if (auto s = find_study(op, name)) return *std::move(s);
    std::string known;
    for (const auto& s : list_studies()) known += (known.empty() ? "\"" : ", \"") + s.name + "\"";
    bad(op, "no study named \"" + name + "\" in this store; " +
                (known.empty() ? std::string("it holds no study yet")
                               : "it holds " + known) +
                ". Call create_study to start one");
  }

  /// The study named `name`, or nullopt when the store holds none (one query, by name).
  [[nodiscard]] std::optional<study_record> find_study(const std::string& name) const {
    return find_study("study_store::find_study(\"" + name + "\")", name);
  }

  /// Every study of the store, oldest first.
  [[nodiscard]] std::vector<study_record> list_studies() const {
    const std::string op = "study_store::list_studies";
    detail::statement s(db_, op, std::string("SELECT ") + study_columns + " FROM studies ORDER BY id");
    std::vector<study_record> out;
    while (s.step()) out.push_back(read_study(op, s));
    return out;
  }

  // ---- trials: creation and transitions ---------------------------------------------------

  /// Adds a waiting trial with `params` (a JSON object) and `seed`, at `fidelity` when the
  /// study has a fidelity schedule, with its `provenance`; returns its number.
  std::int64_t enqueue(const study_record& study, const nlohmann::json& params,
                       std::uint64_t seed, const std::optional<trial_fidelity>& fidelity = std::nullopt,
                       const trial_provenance& provenance = {}) {
    const std::string op = "study_store::enqueue (study \"" + study.name + "\")";
    const std::string text = params_text(op, params);
    const auto fid = fidelity_text(op, fidelity);
    detail::transaction t(db_, op);
    const std::int64_t n = insert_trial(op, study, text, seed, nullptr, std::nullopt, fid, provenance);
    t.commit();
    return n;
  }

  /// A trial to enqueue: its configuration, seed, (optional) fidelity and provenance.
  using new_trial = search::new_trial;

  /// Adds waiting trials, one per new_trial {params, seed, fidelity, provenance}, in one transaction: all or none, so a
  /// process killed in the middle leaves no half batch. Returns their numbers, in order.
  std::vector<std::int64_t> enqueue_all(const study_record& study, const std::vector<new_trial>& batch) {
    const std::string op = "study_store::enqueue_all (study \"" + study.name + "\")";
    std::vector<std::string> texts;
    std::vector<std::optional<std::string>> fidelities;
    for (const auto& b : batch) {
      texts.push_back(params_text(op, b.params));
      fidelities.push_back(fidelity_text(op, b.fidelity));
    }
    detail::transaction t(db_, op);
    std::vector<std::int64_t> numbers;
    for (std::size_t i = 0; i < batch.size(); ++i)
      numbers.push_back(insert_trial(op, study, texts[i], batch[i].seed, nullptr, std::nullopt, fidelities[i], batch[i].provenance));
    t.commit();
    return numbers;
  }


  /// Adds a trial that `worker` runs from now on (running, started now); returns its number.
  std::int64_t ask(const study_record& study, const nlohmann::json& params, std::uint64_t seed,
                   const std::string& worker = worker_id(), const trial_provenance& provenance = {}) {
    const std::string op = "study_store::ask (study \"" + study.name + "\")";
    const std::string text = params_text(op, params);
    detail::transaction t(db_, op);
    const std::int64_t n = insert_trial(op, study, text, seed, &worker, std::nullopt, std::nullopt, provenance);
    t.commit();
    return n;
  }

  /// Hands the lowest-numbered waiting trial to `worker`, marked running; nullopt when no trial
  /// waits. Atomic across processes: each waiting trial is claimed once.
  std::optional<trial_record> claim(const study_record& study,
                                    const std::string& worker = worker_id()) {
    const std::string op = "study_store::claim (study \"" + study.name + "\")";
    detail::transaction t(db_, op);
    std::int64_t n = 0;
    {
      detail::statement s(db_, op,
                          "SELECT number FROM trials WHERE study_id = ?1 AND state = 'waiting' "
                          "ORDER BY number LIMIT 1");
      s.bind_int(1, study.id);
      if (!s.step()) return std::nullopt;
      n = s.integer(0);
    }
    set_running(op, study, n, worker);
    trial_record record = read_one(op, study, n);
    t.commit();
    return record;
  }

  /// waiting -> running, on `worker`.
  void mark_running(const study_record& study, std::int64_t number,
                    const std::string& worker = worker_id()) {
    const std::string op = trial_op("mark_running", study, number);
    detail::transaction t(db_, op);
    const auto where = locate(op, study, number);
    if (where.state != trial_state::waiting) {
      if (where.state == trial_state::running) {
        bad(op, "trial " + std::to_string(number) + " of study \"" + study.name +
                    "\" is already running on worker \"" + where.worker.value_or("?") +
                    "\"; two workers must not run one trial (claim() hands each waiting trial "
                    "to one worker)");
      }
      wrong_state(op, study, number, where, "waiting");
    }
    set_running(op, study, number, worker);
    t.commit();
  }

  /// Records that the running trial is alive; requeue_running(study, stale_after) spares
  /// trials with a recent heartbeat.
  void heartbeat(const study_record& study, std::int64_t number) {
    const std::string op = trial_op("heartbeat", study, number);
    detail::transaction t(db_, op);
    const auto where = locate(op, study, number);
    if (where.state != trial_state::running) wrong_state(op, study, number, where, "running");
    detail::statement s(db_, op,
                        "UPDATE trials SET heartbeat = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                        "WHERE study_id = ?1 AND number = ?2");
    s.bind_int(1, study.id).bind_int(2, number).run();
    t.commit();
  }

  /// running -> complete, with one finite value per study objective (in the study's order),
  /// further metrics `extra` (a JSON object) and the evaluation's duration in seconds (default:
  /// the time since the trial started).
  void complete(const study_record& study, std::int64_t number,
                const std::vector<double>& objectives,
                const nlohmann::json& extra = nlohmann::json::object(),
                std::optional<double> duration_s = std::nullopt) {
    const std::string op = trial_op("complete", study, number);
    if (objectives.size() != study.objectives.size()) {
      std::string names;
      for (const auto& o : study.objectives) names += (names.empty() ? "" : ", ") + o.name;
      bad(op, "objectives has " + std::to_string(objectives.size()) + " values but study \"" +
                  study.name + "\" has " + std::to_string(study.objectives.size()) +
                  " objectives (" + names + "); give one value per objective, in that order");
    }
    for (std::size_t i = 0; i < objectives.size(); ++i) {
      if (!std::isfinite(objectives[i])) {
        bad(op, "objectives[" + std::to_string(i) + "] (" + study.objectives[i].name + ") is " +
                    std::to_string(objectives[i]) +
                    "; every objective must be a finite number: record a diverged or broken "
                    "evaluation with fail() instead");
      }
    }
    if (!extra.is_null() && !extra.is_object()) {
      bad(op, "extra must be a JSON object (metric name -> value), not " +
                  std::string(extra.type_name()));
    }
    if (duration_s && (!std::isfinite(*duration_s) || *duration_s < 0)) {
      bad(op, "duration_s is " + std::to_string(*duration_s) +
                  "; give a finite number of seconds >= 0, or none for the time since the "
                  "trial started");
    }
    const std::string extra_text = extra.is_null() ? "{}" : dump(op, extra, "extra");
    const std::string objectives_text = nlohmann::json(objectives).dump();

    detail::transaction t(db_, op);
    const auto where = locate(op, study, number);
    if (where.state != trial_state::running) wrong_state(op, study, number, where, "running");
    detail::statement s(
        db_, op,
        "UPDATE trials SET state = 'complete', objectives = ?3, extra = ?4, "
        "finished = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), "
        "duration_s = COALESCE(?5, (julianday('now') - julianday(started)) * 86400.0) "
        "WHERE study_id = ?1 AND number = ?2");
    s.bind_int(1, study.id).bind_int(2, number).bind_text(3, objectives_text).bind_text(4, extra_text);
    if (duration_s) {
      s.bind_real(5, *duration_s);
    } else {
      s.bind_null(5);
    }
    s.run();
    t.commit();
  }

  /// waiting or running -> failed, with the reason (an error message) kept in `error`.
  void fail(const study_record& study, std::int64_t number, const std::string& reason) {
    const std::string op = trial_op("fail", study, number);
    finish(op, study, number, "failed", reason, /*from_waiting=*/true);
  }

  /// running -> pruned (stopped early on purpose), with the reason kept in `error`.
  void prune(const study_record& study, std::int64_t number, const std::string& reason) {
    const std::string op = trial_op("prune", study, number);
    finish(op, study, number, "pruned", reason, /*from_waiting=*/false);
  }

  /// Resume after a crash: every running trial whose last sign of life (heartbeat, else start)
  /// is at least `stale_after` old is failed with reason "interrupted: ...", and a waiting copy
  /// with the same params and seed (retry_of = its number) is enqueued, so the search runs it
  /// again. The default, 0, takes every running trial: right when no other process works on
  /// the study; with live workers pass more than their heartbeat interval.
  ///
  /// Why fail and copy rather than set the trial back to waiting: the record keeps each
  /// attempt, so a configuration that kills the process (out of memory, say) shows up as a
  /// chain of interrupted trials instead of silently looping, and numbers, once finished, never
  /// change meaning.
  std::vector<requeued_trial> requeue_running(
      const study_record& study, std::chrono::seconds stale_after = std::chrono::seconds{0}) {
    const std::string op = "study_store::requeue_running (study \"" + study.name + "\")";
    detail::transaction t(db_, op);
    struct orphan {
      std::int64_t number;
      std::string params;
      std::int64_t seed;
      std::optional<std::string> worker;
      std::optional<std::string> fidelity;
      trial_provenance provenance;
    };
    std::vector<orphan> orphans;
    {
      detail::statement s(
          db_, op,
          "SELECT number, params, seed, worker, fidelity, origin, label, source_trial, seed_index FROM trials WHERE study_id = ?1 AND "
          "state = 'running' AND (?2 <= 0 OR (julianday('now') - "
          "julianday(COALESCE(heartbeat, started))) * 86400.0 >= ?2) ORDER BY number");
      s.bind_int(1, study.id).bind_int(2, stale_after.count());
      while (s.step())
        orphans.push_back({s.integer(0), s.text(1), s.integer(2), s.optional_text(3), s.optional_text(4), read_provenance(s, 5)});
    }
    std::vector<requeued_trial> out;
    for (const auto& o : orphans) {
      const std::int64_t copy =
          insert_trial(op, study, o.params, std::bit_cast<std::uint64_t>(o.seed), nullptr, o.number, o.fidelity, o.provenance);
      detail::statement s(
          db_, op,
          "UPDATE trials SET state = 'failed', error = ?3, "
          "finished = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE study_id = ?1 AND number = ?2");
      s.bind_int(1, study.id)
          .bind_int(2, o.number)
          .bind_text(3, "interrupted: the process running it (worker \"" +
                            o.worker.value_or("?") +
                            "\") stopped before it finished; requeued as trial " +
                            std::to_string(copy));
      s.run();
      out.push_back({o.number, copy});
    }
    t.commit();
    return out;
  }

  /// One running trial whose process is known to be gone (a lost worker): failed with `reason`
  /// (it should start with "interrupted"), and a waiting copy with the same params and seed
  /// (retry_of = `number`) enqueued in the same transaction. Returns the copy's number.
  std::int64_t requeue(const study_record& study, std::int64_t number, const std::string& reason) {
    const std::string op = trial_op("requeue", study, number);
    if (reason.empty()) bad(op, "reason is empty; say why the trial stopped");
    detail::transaction t(db_, op);
    const auto where = locate(op, study, number);
    if (where.state != trial_state::running) wrong_state(op, study, number, where, "running");
    std::string params;
    std::int64_t seed = 0;
    std::optional<std::string> fidelity;
    trial_provenance provenance;
    {
      detail::statement s(db_, op,
                          "SELECT params, seed, fidelity, origin, label, source_trial, seed_index FROM trials "
                          "WHERE study_id = ?1 AND number = ?2");
      s.bind_int(1, study.id).bind_int(2, number);
      s.step();
      params = s.text(0);
      seed = s.integer(1);
      fidelity = s.optional_text(2);
      provenance = read_provenance(s, 3);
    }
    const std::int64_t copy =
        insert_trial(op, study, params, std::bit_cast<std::uint64_t>(seed), nullptr, number, fidelity, provenance);
    detail::statement s(db_, op,
                        "UPDATE trials SET state = 'failed', error = ?3, "
                        "finished = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE study_id = ?1 AND number = ?2");
    s.bind_int(1, study.id).bind_int(2, number).bind_text(3, reason + "; requeued as trial " + std::to_string(copy)).run();
    t.commit();
    return copy;
  }

  // ---- reading ----------------------------------------------------------------------------

  /// Trial `number` of `study`.
  [[nodiscard]] trial_record trial(const study_record& study, std::int64_t number) const {
    return read_one(trial_op("trial", study, number), study, number);
  }

  /// The trials of `study` in number order, only those in `state` when given.
  [[nodiscard]] std::vector<trial_record> trials(
      const study_record& study, std::optional<trial_state> state = std::nullopt) const {
    const std::string op = "study_store::trials (study \"" + study.name + "\")";
    detail::statement s(db_, op,
                        std::string("SELECT ") + trial_columns +
                            " FROM trials WHERE study_id = ?1 AND (?2 IS NULL OR state = ?2) "
                            "ORDER BY number");
    s.bind_int(1, study.id);
    if (state) {
      s.bind_text(2, to_string(*state));
    } else {
      s.bind_null(2);
    }
    std::vector<trial_record> out;
    while (s.step()) out.push_back(read_trial(op, study, s));
    return out;
  }

  /// How many trials of `study` are in each state.
  [[nodiscard]] trial_counts counts(const study_record& study) const {
    const std::string op = "study_store::counts (study \"" + study.name + "\")";
    detail::statement s(db_, op,
                        "SELECT state, COUNT(*) FROM trials WHERE study_id = ?1 GROUP BY state");
    s.bind_int(1, study.id);
    trial_counts c;
    while (s.step()) {
      const auto n = s.integer(1);
      switch (parse_state(op, study, -1, s.text(0))) {
        case trial_state::waiting: c.waiting = n; break;
        case trial_state::running: c.running = n; break;
        case trial_state::complete: c.complete = n; break;
        case trial_state::failed: c.failed = n; break;
        case trial_state::pruned: c.pruned = n; break;
      }
    }
    return c;
  }

  // ---- export -----------------------------------------------------------------------------

  /// Writes the trials of `study` to `file` as CSV (RFC 4180: CRLF line ends, fields with a
  /// comma, quote or line break quoted, quotes doubled). Columns: number, state, one
  /// `param.<key>` per key any trial's params has (sorted), one `objective.<name>` per
  /// objective, one `extra.<key>` per extra key, then seed, duration_s, worker, error, created,
  /// started, finished, heartbeat, retry_of, fidelity (JSON), origin, label, source_trial,
  /// seed_index. A string is written as is, other JSON values as JSON, and an absent value as
  /// an empty field. The file is replaced whole.
  void export_csv(const study_record& study, const std::filesystem::path& file) const {
    const std::string op = "study_store::export_csv (study \"" + study.name + "\")";
    detail::replace_file(file, detail::trials_csv(study, trials(study)), op);
  }

  /// Writes `study` and its trials to `file` as one JSON document:
  /// {"study": {name, created, objectives: [{name, direction}], config, seed, parent, role},
  ///  "trials": [{number, state, params, objectives, extra, seed, error, created, started,
  ///              finished, duration_s, worker, heartbeat, retry_of, fidelity, origin, label,
  ///              source_trial, seed_index}]}, absent values as null ("parent": the parent
  /// study's name).
  void export_json(const study_record& study, const std::filesystem::path& file) const {
    const std::string op = "study_store::export_json (study \"" + study.name + "\")";
    std::optional<std::string> parent;
    if (study.parent_id) {
      detail::statement s(db_, op, "SELECT name FROM studies WHERE id = ?1");
      s.bind_int(1, *study.parent_id);
      if (s.step()) parent = s.text(0);
    }
    const auto doc = detail::study_json(study, parent, trials(study));
    detail::replace_file(file, dump(op, doc, "export", 2) + "\n", op);
  }

  // ---- health -----------------------------------------------------------------------------

  /// Runs PRAGMA integrity_check and PRAGMA foreign_key_check over the whole file. A damaged
  /// file answers {false, what is wrong}; it does not throw.
  [[nodiscard]] integrity_report integrity_check() const {
    std::string problems;
    bool ok = true;
    auto scan = [&](const char* sql, auto&& on_row) {
      sqlite3_stmt* raw = nullptr;
      int rc = sqlite3_prepare_v2(db_.handle(), sql, -1, &raw, nullptr);
      while (rc == SQLITE_OK || rc == SQLITE_ROW) {
        rc = sqlite3_step(raw);
        if (rc == SQLITE_ROW) on_row(raw);
      }
      const int primary = rc & 0xff;
      if (rc != SQLITE_DONE && primary != SQLITE_CORRUPT && primary != SQLITE_NOTADB) {
        sqlite3_finalize(raw);
        db_.fail("study_store::integrity_check", rc);
      }
      if (rc != SQLITE_DONE) {
        ok = false;
        problems += std::string(sqlite3_errmsg(db_.handle())) + "\n";
      }
      sqlite3_finalize(raw);
    };
    auto text = [](sqlite3_stmt* s, int c) {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
      return std::string(p ? p : "");
    };
    scan("PRAGMA integrity_check", [&](sqlite3_stmt* s) {
      const std::string row = text(s, 0);
      if (row != "ok") {
        ok = false;
        problems += row + "\n";
      }
    });
    scan("PRAGMA foreign_key_check", [&](sqlite3_stmt* s) {
      ok = false;
      problems += text(s, 0) + " row " + text(s, 1) + " refers to a missing " + text(s, 2) +
                  " row\n";
    });
    if (ok) return {true, "ok"};
    if (!problems.empty() && problems.back() == '\n') problems.pop_back();
    return {false, problems};
  }

 private:
  static constexpr const char* trial_columns =
      "number, state, params, objectives, extra, seed, error, created, started, finished, "
      "duration_s, worker, heartbeat, retry_of, fidelity, origin, label, source_trial, seed_index";
  static constexpr const char* study_columns = "id, name, created, objectives, config, seed, parent_id, role";

  study_record insert_study(const std::string& op, const std::string& name, const nlohmann::json& config,
                            const std::vector<study_objective>& objectives, std::uint64_t seed,
                            const study_record* parent, const std::string& role) {
    if (name.empty()) bad(op, "name is empty; give the study a name");
    if (objectives.empty()) bad(op, "objectives is empty; a study records at least one objective");
    std::set<std::string> seen;
    nlohmann::json objectives_json = nlohmann::json::array();
    for (std::size_t i = 0; i < objectives.size(); ++i) {
      const auto& o = objectives[i];
      const std::string field = "objectives[" + std::to_string(i) + "].name";
      if (o.name.empty()) bad(op, field + " is empty; name every objective");
      if (!seen.insert(o.name).second) {
        bad(op, field + " \"" + o.name + "\" appears twice; objective names must be distinct");
      }
      objectives_json.push_back(
          {{"name", o.name}, {"direction", o.minimize ? "minimize" : "maximize"}});
    }
    const std::string config_text = dump(op, config, "config");

    detail::transaction t(db_, op);
    {
      detail::statement s(db_, op, "SELECT 1 FROM studies WHERE name = ?1");
      s.bind_text(1, name);
      if (s.step()) {
        bad(op, "a study named \"" + name + "\" exists already; load_study(\"" + name +
                    "\") continues it, or choose another name");
      }
    }
    if (parent != nullptr) {
      detail::statement s(db_, op, "SELECT 1 FROM studies WHERE id = ?1 AND name = ?2");
      s.bind_int(1, parent->id).bind_text(2, parent->name);
      if (!s.step()) not_here(op, *parent);
    }
    {
      detail::statement s(db_, op,
                          "INSERT INTO studies (name, created, objectives, config, seed, parent_id, role) VALUES "
                          "(?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?2, ?3, ?4, ?5, ?6)");
      s.bind_text(1, name)
          .bind_text(2, objectives_json.dump())
          .bind_text(3, config_text)
          .bind_int(4, std::bit_cast<std::int64_t>(seed))
          .bind_text(6, role);
      if (parent != nullptr) {
        s.bind_int(5, parent->id);
      } else {
        s.bind_null(5);
      }
      s.run();
    }
    study_record record = find_study(op, name).value();
    t.commit();
    return record;
  }


  struct whereabouts {
    trial_state state;
    std::optional<std::string> worker;
    std::optional<std::string> finished;
  };

  study_store(const std::filesystem::path& file, const study_store_options& options)
      : db_(file, options.busy_timeout) {
    const std::string op = "study_store::open";
    // Identify the file before changing anything in it: someone else's database must not be
    // switched to WAL mode.
    const bool fresh = detail::is_new_store(db_, op);
    {
      detail::statement s(db_, op, "PRAGMA journal_mode = WAL");
      const std::string mode = s.step() ? s.text(0) : "";
      if (mode != "wal") {
        throw file_error(path(), op + ": could not switch the store to WAL journal mode (it is in '" +
                                     mode +
                                     "' mode); put it on a local filesystem, which provides the "
                                     "shared memory WAL needs");
      }
    }
    db_.exec(op, options.fsync_each_commit ? "PRAGMA synchronous = FULL"
                                           : "PRAGMA synchronous = NORMAL");
    db_.exec(op, "PRAGMA foreign_keys = ON");
    if (options.max_file_bytes > 0) {
      std::int64_t page = 4096;
      {
        detail::statement s(db_, op, "PRAGMA page_size");
        if (s.step()) page = s.integer(0);
      }
      // SQLite never lowers the cap below the pages in use, so a cap under the current size
      // still refuses any growth.
      db_.exec(op, ("PRAGMA max_page_count = " + std::to_string(std::max<std::int64_t>(1, options.max_file_bytes / page)))
                       .c_str());
    }
    if (!fresh) detail::migrate_store(db_, op);
    if (fresh) {
      detail::transaction t(db_, op);
      if (detail::is_new_store(db_, op)) detail::create_store_schema(db_, op);  // no other process created it meanwhile
      t.commit();
    }
  }

  [[noreturn]] void bad(const std::string& op, const std::string& what) const {
    throw file_error(path(), op + ": " + what);
  }

  static std::string trial_op(std::string_view fn, const study_record& study, std::int64_t n) {
    return "study_store::" + std::string(fn) + " (trial " + std::to_string(n) + " of study \"" +
           study.name + "\")";
  }

  std::string dump(const std::string& op, const nlohmann::json& j, const std::string& field,
                   int indent = -1) const {
    try {
      return j.dump(indent);
    } catch (const nlohmann::json::exception& e) {
      bad(op, field + " cannot be written as JSON (" + e.what() +
                  "); strings must be valid UTF-8");
    }
  }

  std::string params_text(const std::string& op, const nlohmann::json& params) const {
    if (!params.is_object()) {
      bad(op, "params must be a JSON object (name -> value), not " +
                  std::string(params.type_name()));
    }
    return dump(op, params, "params");
  }

  std::optional<std::string> fidelity_text(const std::string& op, const std::optional<trial_fidelity>& f) const {
    if (!f) return std::nullopt;
    if (f->level < 0) bad(op, "fidelity.level is " + std::to_string(f->level) + "; rungs are numbered from 0");
    if (!(f->cost > 0) || !std::isfinite(f->cost)) bad(op, "fidelity.cost must be a positive number");
    if (!f->resources.is_object()) bad(op, "fidelity.resources must be a JSON object (name -> value)");
    return dump(op, f->to_json(), "fidelity");
  }

  /// Inside a write transaction: a new trial numbered after the study's last one.
  std::int64_t insert_trial(const std::string& op, const study_record& study,
                            const std::string& params, std::uint64_t seed,
                            const std::string* running_worker,
                            std::optional<std::int64_t> retry_of,
                            const std::optional<std::string>& fidelity = std::nullopt,
                            const trial_provenance& provenance = {}) {
    std::int64_t n = 0;
    {
      detail::statement s(db_, op,
                          "SELECT COALESCE(MAX(number) + 1, 0), "
                          "(SELECT COUNT(*) FROM studies WHERE id = ?1) "
                          "FROM trials WHERE study_id = ?1");
      s.bind_int(1, study.id);
      s.step();
      n = s.integer(0);
      if (s.integer(1) == 0) not_here(op, study);
    }
    detail::statement s(
        db_, op,
        "INSERT INTO trials (study_id, number, state, params, seed, created, started, worker, "
        "heartbeat, retry_of, fidelity, origin, label, source_trial, seed_index) VALUES (?1, ?2, ?3, ?4, ?5, "
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), CASE WHEN ?3 = 'running' THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END, ?6, "
        "CASE WHEN ?3 = 'running' THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END, ?7, ?8, ?9, ?10, ?11, ?12)");
    s.bind_int(1, study.id)
        .bind_int(2, n)
        .bind_text(3, running_worker ? "running" : "waiting")
        .bind_text(4, params)
        .bind_int(5, std::bit_cast<std::int64_t>(seed));
    if (running_worker) {
      s.bind_text(6, *running_worker);
    } else {
      s.bind_null(6);
    }
    if (retry_of) {
      s.bind_int(7, *retry_of);
    } else {
      s.bind_null(7);
    }
    if (fidelity) {
      s.bind_text(8, *fidelity);
    } else {
      s.bind_null(8);
    }
    s.bind_text(9, provenance.origin).bind_text(10, provenance.label);
    s.bind_optional_int(11, provenance.source).bind_optional_int(12, provenance.seed_index);
    s.run();
    return n;
  }

  /// The provenance in the four columns from `first` on: origin, label, source_trial, seed_index.
  static trial_provenance read_provenance(const detail::statement& s, int first) {
    trial_provenance p{.origin = s.text(first), .label = s.text(first + 1)};
    if (!s.is_null(first + 2)) p.source = s.integer(first + 2);
    if (!s.is_null(first + 3)) p.seed_index = s.integer(first + 3);
    return p;
  }

  void set_running(const std::string& op, const study_record& study, std::int64_t n,
                   const std::string& worker) {
    detail::statement s(
        db_, op,
        "UPDATE trials SET state = 'running', worker = ?3, "
        "started = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), "
        "heartbeat = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE study_id = ?1 AND number = ?2");
    s.bind_int(1, study.id).bind_int(2, n).bind_text(3, worker).run();
  }

  void finish(const std::string& op, const study_record& study, std::int64_t number,
              const char* state, const std::string& reason, bool from_waiting) {
    if (reason.empty()) bad(op, "reason is empty; say why the trial stopped");
    detail::transaction t(db_, op);
    const auto where = locate(op, study, number);
    if (where.state != trial_state::running &&
        !(from_waiting && where.state == trial_state::waiting)) {
      wrong_state(op, study, number, where, from_waiting ? "waiting or running" : "running");
    }
    detail::statement s(
        db_, op,
        "UPDATE trials SET state = ?3, error = ?4, "
        "finished = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), "
        "duration_s = (julianday('now') - julianday(started)) * 86400.0 "
        "WHERE study_id = ?1 AND number = ?2");
    s.bind_int(1, study.id).bind_int(2, number).bind_text(3, state).bind_text(4, reason).run();
    t.commit();
  }

  /// The state of trial `number`; throws naming the valid range when there is no such trial.
  whereabouts locate(const std::string& op, const study_record& study, std::int64_t number) const {
    {
      detail::statement s(db_, op,
                          "SELECT state, worker, finished FROM trials "
                          "WHERE study_id = ?1 AND number = ?2");
      s.bind_int(1, study.id).bind_int(2, number);
      if (s.step()) {
        return {parse_state(op, study, number, s.text(0)), s.optional_text(1),
                s.optional_text(2)};
      }
    }
    detail::statement s(db_, op,
                        "SELECT MAX(number), (SELECT COUNT(*) FROM studies WHERE id = ?1 AND "
                        "name = ?2) FROM trials WHERE study_id = ?1");
    s.bind_int(1, study.id).bind_text(2, study.name);
    s.step();
    if (s.integer(1) == 0) not_here(op, study);
    bad(op, "trial number " + std::to_string(number) + " is out of range: study \"" + study.name +
                "\" " +
                (s.is_null(0) ? std::string("has no trials yet")
                              : "has trials 0 to " + std::to_string(s.integer(0))));
  }

  [[noreturn]] void not_here(const std::string& op, const study_record& study) const {
    bad(op, "study \"" + study.name + "\" (id " + std::to_string(study.id) +
                ") is not in this store; pass a study_record that this store's create_study or "
                "load_study returned");
  }

  [[noreturn]] void wrong_state(const std::string& op, const study_record& study,
                                std::int64_t number, const whereabouts& where,
                                const std::string& needed) const {
    const std::string which =
        "trial " + std::to_string(number) + " of study \"" + study.name + "\" is ";
    if (is_finished(where.state)) {
      bad(op, which + "already " + std::string(to_string(where.state)) + " (finished " +
                  where.finished.value_or("?") +
                  "); a finished trial never changes: enqueue a new trial to run its "
                  "configuration again");
    }
    if (where.state == trial_state::waiting) {
      bad(op, which + "waiting, not " + needed +
                  ": mark it running first (claim or mark_running)");
    }
    bad(op, which + std::string(to_string(where.state)) + " (worker \"" +
                where.worker.value_or("?") + "\"), not " + needed);
  }

  trial_state parse_state(const std::string& op, const study_record& study, std::int64_t number,
                          const std::string& text) const {
    if (auto s = parse_trial_state(text)) return *s;
    corrupt(op, study, number, "state", "\"" + text + "\" is no trial state");
  }

  [[noreturn]] void corrupt(const std::string& op, const study_record& study, std::int64_t number,
                            const std::string& column, const std::string& what) const {
    bad(op, "study \"" + study.name + "\"" +
                (number >= 0 ? ", trial " + std::to_string(number) : std::string()) +
                ": column " + column + ": " + what +
                "; the file was edited by hand or is damaged: run integrity_check, or restore "
                "a backup");
  }

  nlohmann::json parse(const std::string& op, const study_record& study, std::int64_t number,
                       const std::string& column, const std::string& text) const {
    try {
      return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      corrupt(op, study, number, column, std::string("invalid JSON (") + e.what() + ")");
    }
  }

  trial_record read_one(const std::string& op, const study_record& study, std::int64_t n) const {
    detail::statement s(db_, op,
                        std::string("SELECT ") + trial_columns +
                            " FROM trials WHERE study_id = ?1 AND number = ?2");
    s.bind_int(1, study.id).bind_int(2, n);
    if (!s.step()) locate(op, study, n);  // throws the out-of-range error
    return read_trial(op, study, s);
  }

  trial_record read_trial(const std::string& op, const study_record& study,
                          const detail::statement& s) const {
    trial_record r;
    r.number = s.integer(0);
    r.state = parse_state(op, study, r.number, s.text(1));
    r.params = parse(op, study, r.number, "params", s.text(2));
    if (!s.is_null(3)) {
      const auto values = parse(op, study, r.number, "objectives", s.text(3));
      if (!values.is_array()) corrupt(op, study, r.number, "objectives", "not a JSON array");
      std::vector<double> v;
      for (const auto& x : values) {
        if (!x.is_number()) corrupt(op, study, r.number, "objectives", "holds a non-number");
        v.push_back(x.get<double>());
      }
      r.objectives = std::move(v);
    }
    r.extra = parse(op, study, r.number, "extra", s.text(4));
    r.seed = std::bit_cast<std::uint64_t>(s.integer(5));
    r.error = s.optional_text(6);
    r.created = s.text(7);
    r.started = s.optional_text(8);
    r.finished = s.optional_text(9);
    if (!s.is_null(10)) r.duration_s = s.real(10);
    r.worker = s.optional_text(11);
    r.heartbeat = s.optional_text(12);
    if (!s.is_null(13)) r.retry_of = s.integer(13);
    if (!s.is_null(14)) {
      try {
        r.fidelity = trial_fidelity::from_json(parse(op, study, r.number, "fidelity", s.text(14)), "column fidelity");
      } catch (const autopeft::error& e) {
        corrupt(op, study, r.number, "fidelity", e.what());
      }
    }
    r.provenance = read_provenance(s, 15);
    return r;
  }

  std::optional<study_record> find_study(const std::string& op, const std::string& name) const {
    detail::statement s(db_, op, std::string("SELECT ") + study_columns + " FROM studies WHERE name = ?1");
    s.bind_text(1, name);
    if (!s.step()) return std::nullopt;
    return read_study(op, s);
  }

  study_record read_study(const std::string& op, const detail::statement& s) const {
    study_record r;
    r.id = s.integer(0);
    r.name = s.text(1);
    r.created = s.text(2);
    const auto objectives = parse(op, r, -1, "objectives", s.text(3));
    try {
      for (const auto& o : objectives) {
        r.objectives.push_back({o.at("name").get<std::string>(),
                                o.at("direction").get<std::string>() == "minimize"});
      }
    } catch (const nlohmann::json::exception& e) {
      corrupt(op, r, -1, "objectives", std::string("not a list of {name, direction} (") +
                                           e.what() + ")");
    }
    r.config = parse(op, r, -1, "config", s.text(4));
    r.seed = std::bit_cast<std::uint64_t>(s.integer(5));
    if (!s.is_null(6)) r.parent_id = s.integer(6);
    r.role = s.text(7);
    return r;
  }

  detail::database db_;
};

}  // namespace autopeft::search
