#pragma once
// How a study_store waits for other processes and how hard it pushes commits to the disk.
#include <chrono>

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
};

}  // namespace autopeft::search
