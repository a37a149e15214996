#pragma once
// The study store's schema: the tables a new file gets, how a file is told apart from another
// program's database, and the upgrades of older schema versions (docs/study_store.md).
#include <autopeft/error.hpp>
#include <autopeft/search/store/detail/sqlite.hpp>
#include <autopeft/search/store/trial_provenance.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace autopeft::search::detail {

/// The schema this build writes; a file with a newer one is refused on open.
inline constexpr std::int64_t store_schema_version = 3;
/// PRAGMA application_id of a study store: "APFT".
inline constexpr std::int32_t store_application_id = 0x41504654;

inline constexpr const char* store_schema_sql = R"sql(
CREATE TABLE studies (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created TEXT NOT NULL,
  objectives TEXT NOT NULL,
  config TEXT NOT NULL,
  seed INTEGER NOT NULL,
  parent_id INTEGER REFERENCES studies (id),
  role TEXT NOT NULL DEFAULT ''
);
CREATE TABLE trials (
  id INTEGER PRIMARY KEY,
  study_id INTEGER NOT NULL REFERENCES studies (id),
  number INTEGER NOT NULL CHECK (number >= 0),
  state TEXT NOT NULL CHECK (state IN ('waiting', 'running', 'complete', 'failed', 'pruned')),
  params TEXT NOT NULL,
  objectives TEXT,
  extra TEXT NOT NULL DEFAULT '{}',
  seed INTEGER NOT NULL,
  error TEXT,
  created TEXT NOT NULL,
  started TEXT,
  finished TEXT,
  duration_s REAL,
  worker TEXT,
  heartbeat TEXT,
  retry_of INTEGER,
  fidelity TEXT,
  origin TEXT NOT NULL DEFAULT '',
  label TEXT NOT NULL DEFAULT '',
  source_trial INTEGER,
  seed_index INTEGER,
  UNIQUE (study_id, number),
  CHECK ((state = 'complete') = (objectives IS NOT NULL))
);
CREATE INDEX trials_by_state ON trials (study_id, state, number);
)sql";

/// True for a new, empty file; returns false for a study store of this schema version or an
/// older one and throws for anything else.
inline bool is_new_store(const database& db, const std::string& op) {
  auto pragma = [&](const char* sql) {
    statement s(db, op, sql);
    return s.step() ? s.integer(0) : 0;
  };
  const std::int64_t app = pragma("PRAGMA application_id");
  const std::int64_t version = pragma("PRAGMA user_version");
  const std::int64_t objects = pragma("SELECT COUNT(*) FROM sqlite_master");
  if (app == store_application_id) {
    if (version > store_schema_version) {
      throw file_error(db.path(), op + ": the store was written by a newer autopeft (schema "
                                    "version " + std::to_string(version) +
                                    "; this build reads version " +
                                    std::to_string(store_schema_version) +
                                    " and older). Open it with that newer autopeft, or start "
                                    "a new store");
    }
    if (version < 1) {
      throw file_error(db.path(), op + ": the store's schema version is " +
                                   std::to_string(version) +
                                   ", which no autopeft writes; the file is damaged");
    }
    return false;
  }
  if (app == 0 && version == 0 && objects == 0) return true;
  throw file_error(db.path(), op + ": not an autopeft study store: it is an SQLite database of "
                                "another program (application_id " + std::to_string(app) +
                                ", " + std::to_string(objects) +
                                " schema objects). Pass the path of a study store, or a path "
                                "that does not exist yet to create one");
}

/// The tables of a new store, and its marks; inside the caller's write transaction.
inline void create_store_schema(database& db, const std::string& op) {
  db.exec(op, store_schema_sql);
  db.exec(op, ("PRAGMA application_id = " + std::to_string(store_application_id) +
               "; PRAGMA user_version = " + std::to_string(store_schema_version))
                  .c_str());
}

/// Schema 2 -> 3, inside migrate's transaction. Companions were known by their names
/// ("<study>:final", "<study>:baselines"); trials kept their provenance in params as
/// "_origin", "_promoted_from", "_source", "_seed_index", and a baseline's "_name", "_stage",
/// "_method" and "_lr" (copies of its "method" and "lr").
inline void move_provenance_out_of_params(database& db, const std::string& op) {
  for (const char* role : {"final", "baselines"}) {
    statement s(db, op,
                "UPDATE studies SET role = ?1, parent_id = (SELECT p.id FROM studies p WHERE "
                "studies.name = p.name || ':' || ?1) WHERE EXISTS (SELECT 1 FROM studies p WHERE "
                "studies.name = p.name || ':' || ?1)");
    s.bind_text(1, role).run();
  }
  struct row {
    std::int64_t id;
    std::string role, params;
  };
  std::vector<row> rows;
  {
    statement s(db, op,
                "SELECT trials.id, studies.role, trials.params FROM trials JOIN studies ON "
                "studies.id = trials.study_id WHERE trials.params LIKE '%\"\\_%' ESCAPE '\\'");
    while (s.step()) rows.push_back({s.integer(0), s.text(1), s.text(2)});
  }
  for (auto& r : rows) {
    nlohmann::json params;
    try {
      params = nlohmann::json::parse(r.params);
    } catch (const nlohmann::json::exception&) {
      continue;  // reading the trial names the damage
    }
    if (!params.is_object()) continue;
    const auto before = params;
    trial_provenance p;
    auto take_text = [&](const char* key, std::string& to) {
      if (const auto it = params.find(key); it != params.end() && it->is_string()) to = it->get<std::string>(), params.erase(it);
    };
    auto take_int = [&](const char* key, std::optional<std::int64_t>& to) {
      if (const auto it = params.find(key); it != params.end() && it->is_number_integer())
        to = it->get<std::int64_t>(), params.erase(it);
    };
    take_text("_origin", p.origin);
    take_text("_stage", p.origin);
    if (r.role == "baselines") {  // a baseline run: "_method" and "_lr" are its "method" and "lr"
      for (const auto& [from, to] : {std::pair{"_method", "method"}, std::pair{"_lr", "lr"}}) {
        if (const auto it = params.find(from); it != params.end()) {
          if (!params.contains(to)) params[to] = *it;
          params.erase(from);
        }
      }
    }
    take_text("_name", p.label);
    take_int("_promoted_from", p.source);
    take_int("_source", p.source);
    take_int("_seed_index", p.seed_index);
    if (p.origin.empty() && r.role == "final" && p.source) p.origin = "retrain";
    if (params == before) continue;
    statement s(db, op,
                "UPDATE trials SET params = ?2, origin = ?3, label = ?4, source_trial = ?5, seed_index = ?6 "
                "WHERE id = ?1");
    s.bind_int(1, r.id).bind_text(2, params.dump()).bind_text(3, p.origin).bind_text(4, p.label);
    s.bind_optional_int(5, p.source);
    s.bind_optional_int(6, p.seed_index);
    s.run();
  }
}

/// Brings a store of an older schema version up to this one, in one transaction (another
/// process may be doing the same: the version is read again under the lock).
inline void migrate_store(database& db, const std::string& op) {
  auto version = [&] {
    statement s(db, op, "PRAGMA user_version");
    return s.step() ? s.integer(0) : 0;
  };
  if (version() >= store_schema_version) return;
  transaction t(db, op + " (schema upgrade)");
  if (version() < 2) db.exec(op, "ALTER TABLE trials ADD COLUMN fidelity TEXT");
  if (version() < 3) {
    db.exec(op,
            "ALTER TABLE studies ADD COLUMN parent_id INTEGER REFERENCES studies (id); "
            "ALTER TABLE studies ADD COLUMN role TEXT NOT NULL DEFAULT ''; "
            "ALTER TABLE trials ADD COLUMN origin TEXT NOT NULL DEFAULT ''; "
            "ALTER TABLE trials ADD COLUMN label TEXT NOT NULL DEFAULT ''; "
            "ALTER TABLE trials ADD COLUMN source_trial INTEGER; "
            "ALTER TABLE trials ADD COLUMN seed_index INTEGER");
    move_provenance_out_of_params(db, op);
  }
  db.exec(op, ("PRAGMA user_version = " + std::to_string(store_schema_version)).c_str());
  t.commit();
}

}  // namespace autopeft::search::detail
