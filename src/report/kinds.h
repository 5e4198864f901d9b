// The field table of every result kind tokcast reports. JSON keys, CSV columns and table
// headers all come from here; the app layer fills rows with exactly these keys.
#pragma once

#include "report/schema.h"

namespace tokcast::report::kinds {

const Schema& Fit();
const Schema& Predict();
const Schema& Compare();
const Schema& Explain();
const Schema& ValidateRow();
const Schema& ValidateSummary();
const Schema& LeaveOneSourceOut();
const Schema& Calibrate();
const Schema& ListHardware();
const Schema& ListModels();
const Schema& ListQuants();
const Schema& ListRuntimes();
const Schema& ShowHardware();
const Schema& ShowModel();
const Schema& ShowQuant();
const Schema& ShowRuntime();
const Schema& BenchMachine();         // one row per measurement
const Schema& BenchMachineSummary();  // host, chosen ceilings, profile paths
const Schema& BenchModel();           // one row per test (pp, tg)
const Schema& BenchModelSummary();
const Schema& BenchModelProfile();  // bench model --profile: one row per test and operator
const Schema& ResultsList();
const Schema& StoredRun();
const Schema& Measurement();  // the validation CSV schema (results export)
const Schema& Imported();
const Schema& ServingCalibration();
const Schema& Synthesized();
const Schema& Simulate();          // one row: the run's metrics
const Schema& SimulatedRequest();  // one row per request (--per-request)
const Schema& BenchServe();        // a real server's run (and the simulator's beside it)
const Schema& Plan();              // one row per serving configuration

// Every schema above, for tests and documentation.
std::vector<const Schema*> All();

}  // namespace tokcast::report::kinds
