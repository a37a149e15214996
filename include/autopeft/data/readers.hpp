#pragma once
// Umbrella header of the data readers.
#include <autopeft/data/column_mapping.hpp>
#include <autopeft/data/csv_dialect.hpp>
#include <autopeft/data/glue_task.hpp>
#include <autopeft/data/line_error.hpp>
#include <autopeft/data/load_glue.hpp>
#include <autopeft/data/load_superglue.hpp>
#include <autopeft/data/read_csv.hpp>
#include <autopeft/data/read_glue.hpp>
#include <autopeft/data/read_jsonl.hpp>
#include <autopeft/data/read_options.hpp>
#include <autopeft/data/read_report.hpp>
#include <autopeft/data/read_superglue.hpp>
#include <autopeft/data/superglue_task.hpp>
