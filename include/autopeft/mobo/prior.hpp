#pragma once
// Umbrella header of the hyperparameter priors.
#include <autopeft/mobo/prior/any_prior.hpp>
#include <autopeft/mobo/prior/gamma_prior.hpp>
#include <autopeft/mobo/prior/half_cauchy_prior.hpp>
#include <autopeft/mobo/prior/log_normal_prior.hpp>
#include <autopeft/mobo/prior/prior_set.hpp>
