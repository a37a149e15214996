#pragma once
// Umbrella header of the acquisition functions (MAXIMISATION, X [b, q, d] -> [b]).
#include <autopeft/mobo/acquisition/acquisition_context.hpp>
#include <autopeft/mobo/acquisition/acquisition_function.hpp>
#include <autopeft/mobo/acquisition/acquisition_of.hpp>
#include <autopeft/mobo/acquisition/expected_hypervolume_improvement.hpp>
#include <autopeft/mobo/acquisition/qlog_nehvi.hpp>
#include <autopeft/mobo/acquisition/qmc_normal.hpp>
#include <autopeft/mobo/acquisition/qnehvi.hpp>
#include <autopeft/mobo/acquisition/qnparego.hpp>
#include <autopeft/mobo/acquisition/random_acquisition.hpp>
#include <autopeft/mobo/acquisition/random_search.hpp>
#include <autopeft/mobo/acquisition/scalarized_ucb.hpp>
#include <autopeft/mobo/acquisition/thompson_sampling.hpp>
