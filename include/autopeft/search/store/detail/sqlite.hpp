#pragma once
// RAII wrappers of SQLite's C API for the study store: a connection, a prepared statement and
// a transaction, whose failures throw a file_error naming the store's path, the operation, what
// SQLite said and what to do about it.
#include <autopeft/error.hpp>

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace autopeft::search::detail {

/// The error for SQLite result code `rc` (extended codes welcome) met by `operation` on `file`.
/// The advice depends on the primary code; sqlite's own text and the code close the message.
[[nodiscard]] inline file_error sqlite_failure(const std::filesystem::path& file,
                                               std::string_view operation, int rc,
                                               std::string_view sqlite_message,
                                               std::chrono::milliseconds busy_timeout) {
  std::string what(operation);
  what += ": ";
  const std::string quoted = "'" + file.string() + "'";
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      what += "database is locked: another autopeft process holds the store's write lock and did "
              "not release it within busy_timeout (" +
              std::to_string(busy_timeout.count()) +
              " ms). If another search runs on this store, let it finish or raise "
              "study_store_options::busy_timeout; if none should, a hung process still has the "
              "file open (find it with `fuser " + quoted + "`) and must be stopped";
      break;
    case SQLITE_FULL:
      what += "the disk is full: this change was rolled back, and no finished trial was lost (each "
              "was committed before). Free space on the disk that holds the store, then resume "
              "the study";
      break;
    case SQLITE_NOTADB:
      what += "not an autopeft study store: the file is not an SQLite database. Pass the path of "
              "a study store, or a path that does not exist yet to create one";
      break;
    case SQLITE_CORRUPT:
      what += "the study store is damaged. Restore it from a backup, or salvage its rows with "
              "`sqlite3 " + quoted + " .recover`";
      break;
    case SQLITE_CANTOPEN:
      what += "cannot open the file: check that its directory exists and that this user may read "
              "and write there";
      break;
    case SQLITE_READONLY:
      what += "the store is read-only: autopeft writes the file and, next to it, its -wal and "
              "-shm files, so the file and its directory must be writable";
      break;
    case SQLITE_IOERR:
      what += "I/O error: check the disk. The store must sit on a local filesystem: WAL mode "
              "needs shared memory and POSIX locks, which network filesystems do not provide";
      break;
    default:
      what += "SQLite failed";
      break;
  }
  what += " (sqlite: ";
  what += sqlite_message;
  what += ", code " + std::to_string(rc) + ")";
  return file_error(file, what);
}

/// An open SQLite connection to `file`; owns the sqlite3 handle.
class database {
 public:
  database(const std::filesystem::path& file, std::chrono::milliseconds busy_timeout)
      : file_(file), busy_timeout_(busy_timeout) {
    const int rc = sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                   nullptr);
    if (rc != SQLITE_OK) {
      const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close_v2(db_);
      db_ = nullptr;
      throw sqlite_failure(file_, "study_store::open", rc, message, busy_timeout_);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));
  }
  database(const database&) = delete;
  database& operator=(const database&) = delete;
  database(database&& o) noexcept
      : db_(std::exchange(o.db_, nullptr)), file_(std::move(o.file_)),
        busy_timeout_(o.busy_timeout_) {}
  database& operator=(database&& o) noexcept {
    if (this != &o) {
      sqlite3_close_v2(db_);
      db_ = std::exchange(o.db_, nullptr);
      file_ = std::move(o.file_);
      busy_timeout_ = o.busy_timeout_;
    }
    return *this;
  }
  ~database() { sqlite3_close_v2(db_); }

  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return file_; }

  /// Throws the error for `rc`, with the connection's last message.
  [[noreturn]] void fail(std::string_view operation, int rc) const {
    throw sqlite_failure(file_, operation, rc, sqlite3_errmsg(db_), busy_timeout_);
  }

  /// Runs `sql` (one or more statements that return no rows the caller needs).
  void exec(std::string_view operation, const char* sql) const {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
      const std::string text = message ? message : sqlite3_errstr(rc);
      sqlite3_free(message);
      throw sqlite_failure(file_, operation, rc, text, busy_timeout_);
    }
  }

 private:
  sqlite3* db_ = nullptr;
  std::filesystem::path file_;
  std::chrono::milliseconds busy_timeout_;
};

/// A prepared statement of one SQL statement; parameters are 1-based, columns 0-based.
class statement {
 public:
  statement(const database& db, std::string_view operation, const char* sql)
      : db_(&db), operation_(operation) {
    const int rc = sqlite3_prepare_v2(db.handle(), sql, -1, &stmt_, nullptr);
    if (rc != SQLITE_OK) db.fail(operation_, rc);
  }
  statement(const database& db, std::string_view operation, const std::string& sql)
      : statement(db, operation, sql.c_str()) {}
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement() { sqlite3_finalize(stmt_); }

  statement& bind_int(int i, std::int64_t v) { return check(sqlite3_bind_int64(stmt_, i, v)); }
  statement& bind_real(int i, double v) { return check(sqlite3_bind_double(stmt_, i, v)); }
  statement& bind_text(int i, std::string_view v) {
    return check(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  statement& bind_null(int i) { return check(sqlite3_bind_null(stmt_, i)); }
  template <class T>
  statement& bind_optional_text(int i, const std::optional<T>& v) {
    return v ? bind_text(i, *v) : bind_null(i);
  }
  statement& bind_optional_int(int i, const std::optional<std::int64_t>& v) { return v ? bind_int(i, *v) : bind_null(i); }

  /// Advances to the next row: true when there is one, false when the statement is done.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    db_->fail(operation_, rc);
  }
  /// Runs a statement that returns no rows.
  void run() {
    while (step()) {
    }
  }

  [[nodiscard]] bool is_null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  [[nodiscard]] std::int64_t integer(int c) const { return sqlite3_column_int64(stmt_, c); }
  [[nodiscard]] double real(int c) const { return sqlite3_column_double(stmt_, c); }
  [[nodiscard]] std::string text(int c) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)))
             : std::string();
  }
  [[nodiscard]] std::optional<std::string> optional_text(int c) const {
    if (is_null(c)) return std::nullopt;
    return text(c);
  }

 private:
  statement& check(int rc) {
    if (rc != SQLITE_OK) db_->fail(operation_, rc);
    return *this;
  }

  const database* db_;
  std::string operation_;
  sqlite3_stmt* stmt_ = nullptr;
};

/// A transaction, rolled back on destruction unless committed. `write` begins IMMEDIATE: the
/// write lock is taken (waiting up to busy_timeout) before anything is read, so a transaction
/// never fails half-way on a lock another process took after its reads.
class transaction {
 public:
  enum class mode { read, write };

  transaction(const database& db, std::string_view operation, mode m = mode::write)
      : db_(&db), operation_(operation) {
    db.exec(operation_, m == mode::write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  }
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction() {
    if (open_) sqlite3_exec(db_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

  /// Commits; once this returns, the change is on the disk (see study_store_options).
  void commit() {
    db_->exec(operation_, "COMMIT");
    open_ = false;
  }

 private:
  const database* db_;
  std::string operation_;
  bool open_ = true;
};

}  // namespace autopeft::search::detail
