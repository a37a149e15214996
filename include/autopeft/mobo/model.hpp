#pragma once
// Umbrella header of the GP surrogate models.
#include <autopeft/mobo/model/fully_bayesian_gp.hpp>
#include <autopeft/mobo/model/fully_bayesian_saas_gp.hpp>
#include <autopeft/mobo/model/gp.hpp>
#include <autopeft/mobo/model/gp_options.hpp>
#include <autopeft/mobo/model/jittered_cholesky.hpp>
#include <autopeft/mobo/model/multivariate_normal.hpp>
#include <autopeft/mobo/model/rsample.hpp>
#include <autopeft/mobo/model/saas_gp.hpp>
#include <autopeft/mobo/model/surrogate_data.hpp>
