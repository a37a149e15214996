#pragma once
// Umbrella header of the GP kernels (each models the concept autopeft::mobo::kernel).
#include <autopeft/mobo/kernel/ard_options.hpp>
#include <autopeft/mobo/kernel/hamming_kernel.hpp>
#include <autopeft/mobo/kernel/linear_kernel.hpp>
#include <autopeft/mobo/kernel/matern_kernel.hpp>
#include <autopeft/mobo/kernel/mixed_kernel.hpp>
#include <autopeft/mobo/kernel/product_kernel.hpp>
#include <autopeft/mobo/kernel/rbf_kernel.hpp>
#include <autopeft/mobo/kernel/saas_kernel.hpp>
#include <autopeft/mobo/kernel/scale_kernel.hpp>
#include <autopeft/mobo/kernel/sum_kernel.hpp>
#include <autopeft/mobo/kernel/transformed_overlap_kernel.hpp>
