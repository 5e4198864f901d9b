// The pictures of a report, chosen from its kind and what varies across its rows: memory
// against capacity (fit), speed per platform or along a sweep with its bound (predict,
// compare), time per operator by what bounds it (explain), latency and throughput against load
// (simulate), the throughput-per-device against speed-per-user front (plan), and predicted
// against measured (validate). The CLI's --format svg/html and the web app draw the same ones.
#pragma once

#include <vector>

#include "report/schema.h"
#include "report/svg.h"

namespace tokcast::report {

// Empty for kinds without a picture (lists, single entities).
std::vector<svg::Chart> ChartsFor(const Report& report);

// The kinds ChartsFor draws, for messages.
const char* ChartedKinds();

}  // namespace tokcast::report
