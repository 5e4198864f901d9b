// `tokcast web`: the local web app (embedded pages) and the JSON API (web/api.h) on cpp-httplib.
// Safe by default: loopback unless told otherwise, body size limits, a time limit per request,
// static files only from the embedded set, no CORS unless asked, a clean stop on SIGINT/SIGTERM.
#pragma once

#include <memory>
#include <ostream>
#include <string>

#include "catalog/catalog.h"
#include "web/api.h"

namespace tokcast::web {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;          // 0: any free port
  std::string cors_origin;  // "" = no CORS headers
  double request_timeout_s = 30;
  size_t threads = 8;
  std::string db_path;  // the results database the results pages read
  ApiLimits limits;
};

// Serves until SIGINT or SIGTERM; prints its URL (http://HOST:PORT/) as the first line of `out`.
// Returns the exit code (1 when it cannot bind).
int Serve(std::shared_ptr<const catalog::Catalog> catalog, const ServerOptions& options, std::ostream& out,
          std::ostream& err);

// The embedded page for a path ("/", "/calculator", "/static/app.js"), or null.
struct Asset {
  std::string_view path;
  std::string_view content;
};
const Asset* FindAsset(const std::string& path);
std::string_view MimeType(std::string_view path);

}  // namespace tokcast::web
