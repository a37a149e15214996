#pragma once
// How a study_store waits for other processes, how hard it pushes commits to the disk, and how
// large it may grow.
#include <chrono>
#include <cstdint>

namespace autopeft::search {

/// Example:
///   auto store = autopeft::search::study_store::open(
///       "runs/sst2.db", {.busy_timeout = std::chrono::minutes(2)});
struct study_store_options {
  /// How long a change waits for another process's write to finish before it fails with
  /// "database is locked". Writes take milliseconds, so the default only runs out when another
  /// process hangs while holding the lock.
  std::chrono::milliseconds busy_timeout{30'000};
  /// true: PRAGMA synchronous=FULL, every commit is fsync'ed, so a committed trial survives a
  /// power loss or kernel crash too. false: synchronous=NORMAL, which in WAL mode still keeps
  /// every committed trial through a crash or SIGKILL of the process (the commit is in the
  /// operating system's page cache), and only the last commits may roll back on a power loss.
  /// An fsync costs milliseconds, a trial minutes, hence the default.
  bool fsync_each_commit = true;
  /// A cap on the store's size in bytes (PRAGMA max_page_count, rounded down to whole pages);
  /// 0: none. A change that would grow the file past it is rolled back and throws the error a
  /// full disk gives, so a quota is honoured, and the full-disk path can be tested without
  /// filling a disk. Applies to this connection only.
  std::int64_t max_file_bytes = 0;
};

}  // namespace autopeft::search
