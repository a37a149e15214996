#pragma once
// A study over MPI ranks: rank 0 proposes and owns the study store, every other rank evaluates
// trials as they come. Asynchronous: a worker that finishes gets the next trial at once; the
// proposal it gets treats the trials other workers are running as pending points
// (study_driver::enqueue_proposals), so nobody waits for a batch.
//
// Faults: a worker sends a heartbeat while it works (call the heartbeat from the evaluator's
// progress callback; work() sends one at the start and the end of each trial). A worker silent
// for longer than worker_timeout_seconds (dead, or hung) has its trial failed as "interrupted"
// and re-queued, gets no more work, and the study finishes with the others. OpenMPI must be told
// to keep the job alive when a rank dies: `mpirun --enable-recovery`. After a rank was lost,
// MPI_Finalize would wait for it forever; the program should then leave without it
// (coordinator_summary::lost_workers > 0; see examples/autopeft/mpi_main.cpp).
//
// Not in the umbrella header: it needs <mpi.h> (Debian: libopenmpi-dev), which a single-process
// program does not.
//
// Example (rank 0 / other ranks):
//   if (rank == 0) search::mpi::coordinate(driver, store, study, MPI_COMM_WORLD, {.worker_timeout_seconds = 120});
//   else search::mpi::work<Space>(evaluator, MPI_COMM_WORLD, study.objectives);
#include <autopeft/error.hpp>
#include <autopeft/search/study/run_trial.hpp>
#include <autopeft/search/study/study_driver.hpp>
#include <autopeft/search/study/study_event.hpp>
#include <autopeft/search/store/study_store.hpp>

#include <mpi.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace autopeft::search::mpi {

enum tag : int { ready = 1, task = 2, stop = 3, result = 4, beat = 5 };

struct coordinator_options {
  /// A worker silent (no heartbeat, no result) for this long is taken as lost.
  double worker_timeout_seconds = 300;
  /// How long rank 0 sleeps when there is nothing to do.
  double poll_seconds = 0.005;
};

struct coordinator_summary {
  std::int64_t complete = 0, failed = 0, interrupted = 0;
  std::int64_t lost_workers = 0;  ///< ranks given up on: do not call MPI_Finalize then
  std::int64_t workers = 0;
  double seconds = 0;
};

namespace detail {

inline void send_json(const nlohmann::json& j, int dest, int t, MPI_Comm comm) {
  const auto text = j.dump();
  MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, dest, t, comm);
}

/// Receives the message `status` announces (after a probe).
inline nlohmann::json recv_json(const MPI_Status& status, MPI_Comm comm) {
  int count = 0;
  MPI_Get_count(&status, MPI_CHAR, &count);
  std::string text(static_cast<std::size_t>(count), '\0');
  MPI_Recv(text.data(), count, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, comm, MPI_STATUS_IGNORE);
  return text.empty() ? nlohmann::json() : nlohmann::json::parse(text);
}

inline std::string rank_name(int r) { return "rank " + std::to_string(r); }

}  // namespace detail

/// A callable that sends a heartbeat to rank 0 at most every `interval_seconds`; give it to the
/// evaluator's progress callback so a long trial shows it is alive.
class heartbeat {
 public:
  explicit heartbeat(MPI_Comm comm, double interval_seconds = 1.0) : comm_(comm), interval_(interval_seconds) {}
  void set_trial(std::int64_t number) { trial_ = number; }
  void operator()(bool force = false) {
    const auto now = std::chrono::steady_clock::now();
    if (!force && std::chrono::duration<double>(now - last_).count() < interval_) return;
    last_ = now;
    detail::send_json({{"trial", trial_}}, 0, tag::beat, comm_);
  }

 private:
  MPI_Comm comm_;
  double interval_;
  std::int64_t trial_ = -1;
  std::chrono::steady_clock::time_point last_{};
};

/// Rank 0: hands trials to the other ranks of `comm` until the driver's budget is spent (or its
/// time budget, or no worker is left), recording every result in `store`. Re-queues trials a
/// previous run left running before it starts.
template <class Space, class... Policies>
coordinator_summary coordinate(const study_driver<Space, Policies...>& driver, study_store& store, const study_record& study,
                               MPI_Comm comm, const coordinator_options& options = {}, const study_callback& callback = {}) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(clock::now() - t0).count(); };
  int size = 1;
  MPI_Comm_size(comm, &size);
  if (size < 2) throw error("mpi::coordinate: the communicator has one rank: start at least 2 (mpirun -np 3 ...)");
  const auto& o = driver.options();
  store.requeue_running(study);

  struct worker {
    bool alive = true, busy = false, ready = false;
    std::int64_t trial = -1;
    clock::time_point last{};
  };
  std::map<int, worker> workers;
  for (int r = 1; r < size; ++r) workers[r] = worker{};
  coordinator_summary summary;
  summary.workers = size - 1;
  auto emit = [&](study_event e) {
    if (!callback) return;
    e.budget = o.max_trials;
    e.elapsed_seconds = elapsed();
    callback(e);
  };

  for (;;) {
    bool idle = true;
    // 1. Messages.
    for (int flag = 1; flag;) {
      MPI_Status st;
      MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, &st);
      if (!flag) break;
      idle = false;
      const auto msg = detail::recv_json(st, comm);
      auto& w = workers[st.MPI_SOURCE];
      w.last = clock::now();
      if (!w.alive) continue;  // a worker given up on that speaks again: ignore it
      if (st.MPI_TAG == tag::ready) {
        w.ready = true;
      } else if (st.MPI_TAG == tag::beat) {
        if (w.busy) store.heartbeat(study, w.trial);
      } else if (st.MPI_TAG == tag::result) {
        const auto number = msg.at("trial").get<std::int64_t>();
        trial_outcome out{.ok = msg.at("ok").get<bool>(), .objectives = msg.at("objectives").get<std::vector<double>>(),
                          .extra = msg.at("extra"), .error = msg.at("error").get<std::string>(),
                          .seconds = msg.at("seconds").get<double>()};
        auto e = record_outcome(store, study, number, std::move(out));
        e.origin = detail::rank_name(st.MPI_SOURCE);
        e.finished = driver.finished(store, study);
        e.hypervolume = driver.hypervolume_of(study, store.trials(study));
        emit(std::move(e));
        w.busy = false;
        w.trial = -1;
        w.ready = true;
      }
    }
    // 2. Silent workers: their trials are re-queued, they get no more work.
    const auto now = clock::now();
    for (auto& [r, w] : workers) {
      if (!w.alive || !w.busy) continue;
      if (std::chrono::duration<double>(now - w.last).count() <= options.worker_timeout_seconds) continue;
      w.alive = false;
      ++summary.lost_workers;
      if (store.trial(study, w.trial).state == trial_state::running)
        store.requeue(study, w.trial,
                      "interrupted: worker " + detail::rank_name(r) + " was silent for more than " +
                          std::to_string(static_cast<int>(options.worker_timeout_seconds)) + " s (died or hung)");
      emit({.what = study_event::kind::resumed, .trial = w.trial, .error = detail::rank_name(r) + " lost", .requeued = 1});
    }
    std::int64_t alive = 0, busy = 0;
    for (const auto& [r, w] : workers) alive += w.alive, busy += w.alive && w.busy;
    if (alive == 0) break;
    // 3. Work for ready workers, while the budget lasts.
    const bool out_of_time = o.time_budget_seconds > 0 && elapsed() >= o.time_budget_seconds;
    for (auto& [r, w] : workers) {
      if (!w.alive || !w.ready || w.busy || out_of_time) continue;
      auto next = store.claim(study, detail::rank_name(r));
      if (!next && driver.enqueue_proposals(store, study, 1) > 0) next = store.claim(study, detail::rank_name(r));
      if (!next) break;
      nlohmann::json task{{"number", next->number}, {"params", next->params}, {"seed", next->seed}};
      if (next->fidelity) task["fidelity"] = next->fidelity->to_json();
      detail::send_json(task, r, tag::task, comm);
      emit({.what = study_event::kind::trial_started, .trial = next->number, .origin = detail::rank_name(r),
            .finished = driver.finished(store, study)});
      w.ready = false;
      w.busy = true;
      w.trial = next->number;
      w.last = clock::now();
      ++busy;
      idle = false;
    }
    if (busy == 0 && (out_of_time || driver.finished(store, study) >= o.max_trials)) break;
    if (idle) std::this_thread::sleep_for(std::chrono::duration<double>(options.poll_seconds));
  }
  for (auto& [r, w] : workers)
    if (w.alive) detail::send_json({{"lost_workers", summary.lost_workers}}, r, tag::stop, comm);
  const search::detail::study_census census(store.trials(study));
  summary.complete = census.complete;
  summary.failed = census.failed;
  summary.interrupted = census.interrupted;
  summary.seconds = elapsed();
  return summary;
}

/// Any rank but 0: evaluates the trials rank 0 sends until it says stop. `beat` (optional) is
/// the heartbeat the evaluator's progress callback calls; its trial number is set here. Returns
/// the number of workers rank 0 lost (then MPI_Finalize must not be called).
template <class Space, class Evaluator>
std::int64_t work(Evaluator& evaluator, MPI_Comm comm, const std::vector<study_objective>& objectives, heartbeat* beat = nullptr) {
  static_assert(search::detail::check_trial_evaluator<Evaluator>());
  heartbeat own(comm);
  heartbeat& hb = beat != nullptr ? *beat : own;
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  for (;;) {
    detail::send_json(nullptr, 0, tag::ready, comm);
    MPI_Status st;
    MPI_Probe(0, MPI_ANY_TAG, comm, &st);
    const auto msg = detail::recv_json(st, comm);
    if (st.MPI_TAG == tag::stop) return msg.is_object() ? msg.value("lost_workers", std::int64_t{0}) : 0;
    trial_record t;
    t.number = msg.at("number").get<std::int64_t>();
    t.params = msg.at("params");
    t.seed = msg.at("seed").get<std::uint64_t>();
    if (msg.contains("fidelity")) t.fidelity = trial_fidelity::from_json(msg.at("fidelity"), detail::rank_name(rank));
    hb.set_trial(t.number);
    hb(true);
    const auto out = evaluate_trial<Space>(objectives, t, evaluator, detail::rank_name(rank));
    detail::send_json({{"trial", t.number},
                       {"ok", out.ok},
                       {"objectives", out.objectives},
                       {"extra", out.extra},
                       {"error", out.error},
                       {"seconds", out.seconds}},
                      0, tag::result, comm);
  }
}

}  // namespace autopeft::search::mpi
