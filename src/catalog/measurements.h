// Measurement CSVs in the shared/validation schema, and efficiency-profile TOML files.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/perf_model.h"
#include "core/validation.h"

namespace tokcast::catalog {

// Parses `hardware,device_count,runtime,model,quant,test,n_prompt,n_gen,depth,batch,value,unit,
// source_id,source_url,notes` (RFC 4180 quoting). Throws InputError naming file and line.
std::vector<MeasuredRow> ParseMeasurementsCsv(std::string_view text, const std::string& origin);
std::vector<MeasuredRow> LoadMeasurementsCsv(const std::filesystem::path& path);

// Efficiency profiles as TOML: one [entries."KEY"] table per runtime x hardware class.
EfficiencyProfile ParseEfficiencyProfile(std::string_view text, const std::string& origin);
std::string SerializeEfficiencyProfile(const EfficiencyProfile& profile, const std::vector<std::string>& header);

// The built-in profile (data/efficiency/default.toml) and the built-in measurements
// (data/validation/public.csv).
EfficiencyProfile BuiltinEfficiencyProfile();
// Priors (data/efficiency/priors.toml): where calibration starts, and what runtime x class
// groups without any measurement keep. Stated assumptions, not fits.
EfficiencyProfile PriorEfficiencyProfile();
std::vector<MeasuredRow> BuiltinMeasurements();

// Prediction intervals as TOML ([kinds.tg] low, high, rows; coverage), written by
// `validate --leave-one-source-out --intervals-out FILE`; the built-in set is
// data/efficiency/intervals.toml (none: no intervals). Throws InputError naming file and key.
PredictionIntervals ParseIntervals(std::string_view text, const std::string& origin);
std::string SerializeIntervals(const PredictionIntervals& intervals, const std::vector<std::string>& header);
const PredictionIntervals& BuiltinIntervals();

}  // namespace tokcast::catalog
