#pragma once
// Umbrella header of the MOBO area.
#include <autopeft/mobo/acquisition.hpp>
#include <autopeft/mobo/ask_tell.hpp>
#include <autopeft/mobo/ask_tell_options.hpp>
#include <autopeft/mobo/concepts.hpp>
#include <autopeft/mobo/inference.hpp>
#include <autopeft/mobo/kernel.hpp>
#include <autopeft/mobo/model.hpp>
#include <autopeft/mobo/optimizer.hpp>
#include <autopeft/mobo/pareto.hpp>
#include <autopeft/mobo/prior.hpp>
#include <autopeft/mobo/problems.hpp>
