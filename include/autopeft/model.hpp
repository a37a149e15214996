#pragma once
// Umbrella header of the model area.
#include <autopeft/model/activation.hpp>
#include <autopeft/model/attention_mask.hpp>
#include <autopeft/model/embeddings.hpp>
#include <autopeft/model/encoder_config.hpp>
#include <autopeft/model/encoder_layer.hpp>
#include <autopeft/model/encoder_model.hpp>
#include <autopeft/model/masked_lm.hpp>
#include <autopeft/model/no_peft.hpp>
#include <autopeft/model/peft_plan.hpp>
#include <autopeft/model/scaled_dot_product_attention.hpp>
#include <autopeft/model/sequence_classifier.hpp>
#include <autopeft/model/site.hpp>
