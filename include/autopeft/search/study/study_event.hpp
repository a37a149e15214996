#pragma once
// What the study driver reports while it runs: one event per trial start and end, and one per
// proposal step, with the counts an ETA needs.
#include <autopeft/search/store/trial_state.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace autopeft::search {

struct study_event {
  enum class kind { resumed, proposing, proposed, trial_started, trial_finished };
  kind what = kind::trial_started;
  std::int64_t trial = -1;           ///< the trial number (trial_started, trial_finished)
  trial_state state = trial_state::running;  ///< trial_finished: complete or failed
  std::vector<double> objectives;    ///< trial_finished, complete
  std::string error;                 ///< trial_finished, failed: the reason
  std::string origin;                ///< "initial", "mobo", "retry" or "queued"
  std::int64_t finished = 0;         ///< trials finished, budget-wise
  std::int64_t budget = 0;           ///< study_options::max_trials
  std::int64_t requeued = 0;         ///< resumed: trials re-queued after an interruption
  double elapsed_seconds = 0;        ///< this run
  double eta_seconds = 0;            ///< at this run's mean trial time; 0 before the first trial
  double trial_seconds = 0;          ///< trial_finished: its duration
  double hypervolume = 0;            ///< trial_finished: of the complete trials so far
};

using study_callback = std::function<void(const study_event&)>;

}  // namespace autopeft::search
