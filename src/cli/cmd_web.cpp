// tokcast web [--host 127.0.0.1] [--port 8080] [--cors ORIGIN] [--timeout S] [--threads N]
#include <iostream>

#include "app/session.h"
#include "catalog/error.h"
#include "cli/context.h"
#include "web/server.h"

namespace tokcast::cli {

Runner RegisterWeb(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<web::ServerOptions>();
  app.add_option("--host", o->host, "Address to listen on (loopback unless you say otherwise)")->capture_default_str();
  app.add_option("--port", o->port, "Port (0: any free one; the URL is the first line printed)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--cors", o->cors_origin, "Allow this origin to call the API from a browser (no CORS by default)");
  app.add_option("--timeout", o->request_timeout_s, "Seconds one request may take")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 3600.0));
  app.add_option("--threads", o->threads, "Requests served at once")->capture_default_str()->check(CLI::Range(1, 256));
  return [o, &ctx]() {
    web::ServerOptions opts = *o;
    opts.db_path = ctx.db_path.empty() ? app::DefaultDatabasePath() : ctx.db_path;
    return web::Serve(ctx.SharedCatalog(), opts, std::cout, std::cerr);
  };
}

}  // namespace tokcast::cli
