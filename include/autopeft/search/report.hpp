#pragma once
// The study report: report_data in, one self-contained HTML page out.
#include <autopeft/search/render_report.hpp>
#include <autopeft/search/report_data.hpp>
#include <autopeft/search/report_options.hpp>
#include <autopeft/search/write_report.hpp>
