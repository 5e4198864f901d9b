#include "web/server.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <future>
#include <thread>

#include <httplib.h>

#include "web/assets.h"

namespace tokcast::web {

namespace {

// The pages of the single-page app: each is index.html, which reads its inputs from the URL.
constexpr std::string_view kPages[] = {"/", "/calculator", "/compare", "/explain", "/simulate", "/results", "/catalog"};

bool Loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

void SecurityHeaders(httplib::Response& res, const ServerOptions& o) {
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
                 "frame-ancestors 'none'");
  if (!o.cors_origin.empty()) {
    res.set_header("Access-Control-Allow-Origin", o.cors_origin);
    res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    res.set_header("Access-Control-Allow-Headers", "Content-Type");
  }
}

// Runs the API call on its own thread and answers 503 if it takes longer than the limit (the
// call finishes in the background; the work limits keep every call finite).
ApiResponse WithTimeLimit(std::shared_ptr<const Api> api, ApiRequest request, double seconds) {
  auto promise = std::make_shared<std::promise<ApiResponse>>();
  auto future = promise->get_future();
  std::thread([api, promise, request = std::move(request)] { promise->set_value(api->Handle(request)); }).detach();
  if (future.wait_for(std::chrono::duration<double>(seconds)) == std::future_status::timeout) {
    return {503, "application/json",
            "{\"error\": \"the request took longer than " + std::to_string(static_cast<int>(seconds)) +
                " s; ask for fewer scenarios or requests\", \"status\": 503}\n"};
  }
  return future.get();
}

}  // namespace

const Asset* FindAsset(const std::string& path) {
  static const std::vector<Asset> assets = [] {
    std::vector<Asset> out;
    for (const auto& f : WebAssets()) out.push_back({f.path, f.content});
    return out;
  }();
  std::string_view want = path;
  for (const auto page : kPages)
    if (want == page) want = "index.html";
  if (want.rfind("/static/", 0) == 0) want.remove_prefix(8);
  for (const auto& a : assets)
    if (a.path == want) return &a;
  return nullptr;
}

std::string_view MimeType(std::string_view path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  if (path.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

int Serve(std::shared_ptr<const catalog::Catalog> catalog, const ServerOptions& o, std::ostream& out,
          std::ostream& err) {
  // Signals go to one thread that stops the server; every other thread (the server's pool
  // included, created after this) has them blocked.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto api = std::make_shared<const Api>(catalog, o.db_path, o.limits);
  httplib::Server svr;
  const size_t threads = o.threads;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr.set_payload_max_length(o.limits.max_upload + (64 << 10));
  svr.set_read_timeout(15);
  svr.set_write_timeout(15);
  svr.set_keep_alive_max_count(1000);

  auto api_handler = [api, &o](const httplib::Request& req, httplib::Response& res) {
    ApiRequest r;
    r.method = req.method;
    r.path = req.path;
    for (const auto& [k, v] : req.params) r.query.emplace(k, v);
    r.body = req.body;
    r.content_type = req.get_header_value("Content-Type");
    const ApiResponse a = WithTimeLimit(api, std::move(r), o.request_timeout_s);
    SecurityHeaders(res, o);
    res.set_header("Cache-Control", "no-store");
    res.status = a.status;
    res.set_content(a.body, a.content_type.c_str());
  };
  svr.Get("/api/.*", api_handler);
  svr.Post("/api/.*", api_handler);
  svr.Options("/api/.*", [&o](const httplib::Request&, httplib::Response& res) {
    SecurityHeaders(res, o);
    res.status = o.cors_origin.empty() ? 405 : 204;
  });
  svr.Get(".*", [&o](const httplib::Request& req, httplib::Response& res) {
    SecurityHeaders(res, o);
    const Asset* a = FindAsset(req.path);
    if (!a) {
      res.status = 404;
      res.set_content("not found\n", "text/plain");
      return;
    }
    res.set_content(std::string(a->content), std::string(MimeType(a->path)).c_str());
  });
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content("{\"error\": \"internal error\", \"status\": 500}\n", "application/json");
  });

  int port = o.port;
  if (port == 0) {
    port = svr.bind_to_any_port(o.host);
    if (port <= 0) {
      err << "tokcast: error: cannot listen on " << o.host << "\n";
      return 1;
    }
  } else if (!svr.bind_to_port(o.host, port)) {
    err << "tokcast: error: cannot listen on " << o.host << ":" << port << " (in use?)\n";
    return 1;
  }
  const std::string shown = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
  out << "http://" << shown << ":" << port << "/" << std::endl;
  if (!Loopback(o.host)) {
    err << "tokcast: warning: listening on " << o.host
        << ": anyone who can reach this address can use tokcast web (no authentication)\n";
  }
  std::thread stopper([&svr, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    svr.stop();
  });
  const bool ok = svr.listen_after_bind();
  // Listening ended: by a signal, or an error; wake the stopper if it still waits.
  pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);
  return ok ? 0 : 1;
}

}  // namespace tokcast::web
