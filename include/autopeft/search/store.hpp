#pragma once
// The study store: studies and their trials in one SQLite file (docs/study_store.md), and the
// records it reads and writes. Needs SQLite and nlohmann/json, not LibTorch.
#include <autopeft/search/store/integrity_report.hpp>
#include <autopeft/search/store/new_trial.hpp>
#include <autopeft/search/store/requeued_trial.hpp>
#include <autopeft/search/store/study_objective.hpp>
#include <autopeft/search/store/study_record.hpp>
#include <autopeft/search/store/study_store.hpp>
#include <autopeft/search/store/study_store_options.hpp>
#include <autopeft/search/store/trial_counts.hpp>
#include <autopeft/search/store/trial_fidelity.hpp>
#include <autopeft/search/store/trial_provenance.hpp>
#include <autopeft/search/store/trial_record.hpp>
#include <autopeft/search/store/trial_state.hpp>
#include <autopeft/search/store/worker_id.hpp>
