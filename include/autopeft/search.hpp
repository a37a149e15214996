#pragma once
// The study layer: the persistent study store on SQLite and the HTML report.
#include <autopeft/search/integrity_report.hpp>
#include <autopeft/search/report.hpp>
#include <autopeft/search/requeued_trial.hpp>
#include <autopeft/search/study_objective.hpp>
#include <autopeft/search/study_record.hpp>
#include <autopeft/search/study_store.hpp>
#include <autopeft/search/study_store_options.hpp>
#include <autopeft/search/trial_counts.hpp>
#include <autopeft/search/trial_record.hpp>
#include <autopeft/search/trial_state.hpp>
#include <autopeft/search/worker_id.hpp>
