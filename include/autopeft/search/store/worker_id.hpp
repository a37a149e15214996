#pragma once
// The default name of the process that runs a trial.
#include <string>

#include <unistd.h>

namespace autopeft::search {

/// "host:pid" of the calling process: the worker a study_store records when the caller names
/// none, so that a trial left running can be traced to the machine and process that held it.
[[nodiscard]] inline std::string worker_id() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host[0] != '\0' ? host : "localhost") + ":" + std::to_string(::getpid());
}

}  // namespace autopeft::search
