#pragma once
// The study report: a study's report_data read from its store, the baselines' verdicts, and one
// self-contained HTML page out.
#include <autopeft/search/report/baseline_verdict.hpp>
#include <autopeft/search/report/baseline_verdicts.hpp>
#include <autopeft/search/report/format_params.hpp>
#include <autopeft/search/report/render_report.hpp>
#include <autopeft/search/report/report_data.hpp>
#include <autopeft/search/report/report_options.hpp>
#include <autopeft/search/report/study_report_data.hpp>
#include <autopeft/search/report/write_report.hpp>
