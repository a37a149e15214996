#pragma once
// The verdict of study_store::integrity_check.
#include <string>

namespace autopeft::search {

/// `ok` is true when SQLite's integrity and foreign-key checks found nothing; `message` is
/// "ok" then, and otherwise the problems they list, one a line.
struct integrity_report {
  bool ok = false;
  std::string message;
};

}  // namespace autopeft::search
