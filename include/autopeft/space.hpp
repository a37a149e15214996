#pragma once
// Umbrella header of the search-space area: dimensions, constraints, bindings to PEFT policies,
// initial designs and the ready-made spaces.
#include <autopeft/space/binary.hpp>
#include <autopeft/space/bindings.hpp>
#include <autopeft/space/categorical.hpp>
#include <autopeft/space/concepts.hpp>
#include <autopeft/space/conditional.hpp>
#include <autopeft/space/configuration.hpp>
#include <autopeft/space/continuous.hpp>
#include <autopeft/space/family.hpp>
#include <autopeft/space/fixed_string.hpp>
#include <autopeft/space/integer_range.hpp>
#include <autopeft/space/layer_mask.hpp>
#include <autopeft/space/not_all_zero.hpp>
#include <autopeft/space/one_hot.hpp>
#include <autopeft/space/options.hpp>
#include <autopeft/space/ordinal.hpp>
#include <autopeft/space/per_layer.hpp>
#include <autopeft/space/sample_cost_stratified.hpp>
#include <autopeft/space/sample_sobol.hpp>
#include <autopeft/space/search_space.hpp>
#include <autopeft/space/sobol.hpp>
#include <autopeft/space/spaces.hpp>
