#include "cli/context.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "app/session.h"
#include "catalog/error.h"

namespace tokcast::cli {

const catalog::Catalog& Context::Catalog() {
  if (!catalog_) catalog_ = app::LoadCatalog({catalog_dirs, hw_file, true});
  return *catalog_;
}

std::shared_ptr<const catalog::Catalog> Context::SharedCatalog() {
  Catalog();
  return catalog_;
}

report::Format Context::Format() const {
  auto f = report::FormatFromString(format);
  if (!f) throw catalog::InputError("--format '" + format + "': expected table, md, csv, json, jsonl, svg or html");
  return *f;
}

std::ostream& Context::Out() {
  if (output_path.empty()) return out_;
  if (!file_) {
    file_ = std::make_unique<std::ofstream>(output_path, std::ios::trunc);
    if (!*file_) throw catalog::InputError(output_path + ": cannot write");
  }
  return *file_;
}

void Context::Emit(const report::Report& report) {
  report::RenderOptions o;
  o.format = Format();
  o.wide = wide;
  o.width = width;
  o.chart = chart;
  if (o.width == 0) {
    winsize ws{};
    const bool tty = output_path.empty() && &out_ == &std::cout && isatty(STDOUT_FILENO) &&
                     ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0;
    o.width = tty && ws.ws_col > 0 ? ws.ws_col : 120;
  }
  o.context = app::MakeReportContext();
  try {
    report::Render(report, o, Out());
  } catch (const std::invalid_argument& e) {
    throw catalog::InputError(e.what());  // a format this result cannot take
  }
}

void Context::EmitText(const std::string& text) {
  Out() << text;
}

void Context::Finish() {
  if (file_) {
    file_->close();
    if (!*file_) throw catalog::InputError(output_path + ": write failed (disk full?)");
    file_.reset();
  } else {
    out_.flush();
    if (!out_) throw catalog::InputError("standard output: write failed");
  }
}

app::Progress Context::ProgressLine() {
  const bool tty = output_path.empty() && &out_ == &std::cout && isatty(STDERR_FILENO) != 0;
  return [this, tty](const std::string& what) {
    if (tty) err_ << "\r\033[K" << what << std::flush;
  };
}

void PredictionTarget::AddOptions(CLI::App& app, const std::string& prefix) {
  app.add_option("--hw", hw, prefix + "the server's hardware id");
  app.add_option("--model", model, prefix + "the served model's id");
  app.add_option("--runtime", runtime, prefix + "the server's runtime id (vllm, sglang, llama.cpp-cuda, ...)");
  app.add_option("--quant", quant, prefix + "the served weights");
  app.add_option("--tp", tp, prefix + "tensor-parallel degree")->capture_default_str();
}

app::SimulateRequest PredictionTarget::Request() const {
  if (hw.empty() || model.empty()) throw catalog::InputError("a prediction needs both --hw and --model");
  app::SimulateRequest p;
  p.hardware = hw;
  p.model = model;
  p.runtime = runtime;
  p.quant = quant;
  p.tp = p.devices = tp;
  return p;
}

}  // namespace tokcast::cli
