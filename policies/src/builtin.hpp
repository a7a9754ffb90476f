#pragma once
// The built-in policies' registry entries, one function per policy; register_builtin_policies()
// (registry.cpp) lists them in the order `edgetwin list policies` shows.

#include <string>

#include "edgetwin/policies/clock_tables.hpp"
#include "edgetwin/policies/policy.hpp"

namespace edgetwin::policies {

PolicyInfo max_clocks_info();
PolicyInfo fixed_clocks_info();
PolicyInfo ondemand_info();
PolicyInfo schedutil_info();
PolicyInfo podgov_info();
PolicyInfo governors_info();
PolicyInfo ztt_info();
PolicyInfo edge_only_info();
PolicyInfo cloud_only_info();
PolicyInfo fixed_split_info();
PolicyInfo neurosurgeon_info();
PolicyInfo confidence_exit_info();
PolicyInfo budgeted_exit_info();
PolicyInfo e4_info();
PolicyInfo fixed_batching_info();
PolicyInfo bcedge_info();
PolicyInfo clipper_aimd_info();
PolicyInfo triton_dynamic_info();
// DVFO (issue 15) and its AppealNet-like baseline: docs/dvfo.md.
PolicyInfo dvfo_info();
PolicyInfo appealnet_info();

class ParamReader;
/// Bytes per input element of a cloud-only upload from the params `input_bits_per_pixel` (0 =
/// raw: returns 0) and `input_channels` (appealnet.cpp).
double input_codec_bytes_per_element(const ParamReader& reader);

/// The device's allowed clocks; throws std::invalid_argument naming `who` when ctx has no board.
ClockTables context_tables(const PolicyContext& ctx, const std::string& who);

}  // namespace edgetwin::policies
