// tokcast web: every API endpoint (in process, through web::Api), bad input answered with the
// right status and the CLI's message, the same JSON as the CLI, the real server over HTTP (body
// limits, paths outside the embedded set, CORS off by default, a clean stop on SIGTERM), and the
// calculator page driven in headless Chromium showing the CLI's numbers.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <regex>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "app/session.h"
#include "catalog/gguf.h"
#include "catalog/model_source.h"
#include "test_util.h"
#include "web/api.h"
#include "web/server.h"

namespace tokcast {
namespace {

using nlohmann::json;
using web::ApiRequest;
using web::ApiResponse;

const web::Api& TheApi() {
  static const web::Api api(std::make_shared<const catalog::Catalog>(test::BuiltinCatalog()), "/nonexistent/r.db");
  return api;
}

ApiResponse Get(const std::string& path, std::multimap<std::string, std::string> query = {}) {
  ApiRequest r;
  r.path = path;
  r.query = std::move(query);
  return TheApi().Handle(r);
}

ApiResponse Post(const std::string& path, const std::string& body, const std::string& type = "application/json",
                 std::multimap<std::string, std::string> query = {}) {
  ApiRequest r;
  r.method = "POST";
  r.path = path;
  r.body = body;
  r.content_type = type;
  r.query = std::move(query);
  return TheApi().Handle(r);
}

std::string ErrorOf(const ApiResponse& r) {
  const json j = json::parse(r.body, nullptr, false);
  return j.is_object() && j.contains("error") ? j["error"].get<std::string>() : "(not an error: " + r.body + ")";
}

// The API answers exactly the CLI's JSON for the same inputs (context aside).
void ExpectSameAsCli(const ApiResponse& api, const std::vector<std::string>& cli) {
  ASSERT_EQ(api.status, 200) << api.body;
  auto args = cli;
  args.push_back("--format");
  args.push_back("json");
  const auto r = test::RunCli(args);
  ASSERT_EQ(r.code, 0) << r.err;
  json a = json::parse(api.body), c = json::parse(r.out);
  a.erase("context");
  c.erase("context");
  EXPECT_EQ(a, c) << cli[0];
}

TEST(WebApi, EveryEndpointAnswersWhatTheCliAnswers) {
  ExpectSameAsCli(Get("/api/v1/fit", {{"model", "llama-3.1-70b"}, {"hw", "nvidia-rtx-4090"}, {"ctx", "8192"}}),
                  {"fit", "--model", "llama-3.1-70b", "--hw", "nvidia-rtx-4090", "--ctx", "8192"});
  ExpectSameAsCli(
      Get("/api/v1/predict",
          {{"model", "llama-3.1-8b"}, {"hw", "nvidia-rtx-4090,apple-m4-max-40c"}, {"depth", "0-8k+4k"}}),
      {"predict", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090,apple-m4-max-40c", "--depth", "0-8k+4k"});
  ExpectSameAsCli(Get("/api/v1/predict", {{"model", "llama-3.1-70b"},
                                          {"hw", "nvidia-rtx-3090"},
                                          {"devices", "2"},
                                          {"split_mode", "row"},
                                          {"runtime_version", "b3622"}}),
                  {"predict", "--model", "llama-3.1-70b", "--hw", "nvidia-rtx-3090", "--devices", "2", "--split-mode",
                   "row", "--runtime-version", "b3622"});
  ExpectSameAsCli(Get("/api/v1/compare"), {"compare"});
  ExpectSameAsCli(Get("/api/v1/explain", {{"model", "llama-3.1-8b"}, {"hw", "nvidia-rtx-4090"}}),
                  {"explain", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090"});
  ExpectSameAsCli(Get("/api/v1/simulate", {{"model", "llama-3.1-8b"},
                                           {"hw", "nvidia-h100-sxm"},
                                           {"runtime", "vllm"},
                                           {"request_rate", "2,8"},
                                           {"num_requests", "60"}}),
                  {"simulate", "--model", "llama-3.1-8b", "--hw", "nvidia-h100-sxm", "--runtime", "vllm",
                   "--request-rate", "2,8", "--num-requests", "60"});
  ExpectSameAsCli(Get("/api/v1/plan", {{"model", "llama-3.1-8b"},
                                       {"hw", "nvidia-l40s"},
                                       {"request_rate", "4"},
                                       {"slo_ttft_ms", "1000"},
                                       {"slo_tpot_ms", "60"},
                                       {"requests_per_trial", "100"}}),
                  {"plan", "--model", "llama-3.1-8b", "--hw", "nvidia-l40s", "--request-rate", "4", "--slo-ttft-ms",
                   "1000", "--slo-tpot-ms", "60", "--requests-per-trial", "100"});
  ExpectSameAsCli(Get("/api/v1/catalog/hardware", {{"vendor", "apple"}}), {"list", "hardware", "--vendor", "apple"});
  ExpectSameAsCli(Get("/api/v1/catalog/models/qwen3-8b"), {"show", "qwen3-8b"});
  // A JSON body says the same as a query string; CLI-style names (kv-type) work too.
  ExpectSameAsCli(
      Post("/api/v1/fit", R"({"model": "llama-3.1-8b", "hw": "nvidia-rtx-4090", "ctx": [4096, 32768],
                                           "kv-type": "q8_0"})"),
      {"fit", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090", "--ctx", "4096,32768", "--kv-type", "q8_0"});
}

TEST(WebApi, OtherFormatsAreTheCliRenderers) {
  const auto svg = Get("/api/v1/compare", {{"format", "svg"}});
  EXPECT_EQ(svg.content_type, "image/svg+xml");
  EXPECT_EQ(svg.body.rfind("<?xml", 0), 0u);
  const auto csv = Get("/api/v1/fit", {{"model", "llama-3.1-8b"}, {"hw", "nvidia-rtx-4090"}, {"format", "csv"}});
  EXPECT_EQ(csv.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body.rfind("hardware,", 0), 0u) << csv.body;
  EXPECT_EQ(Get("/api/v1/catalog/runtimes", {{"format", "svg"}}).status, 400);  // no picture of a list
  EXPECT_EQ(Get("/api/v1/fit", {{"model", "llama-3.1-8b"}, {"hw", "nvidia-rtx-4090"}, {"format", "table"}}).status,
            400);
}

TEST(WebApi, BadInputIsAnsweredWithTheRightStatusAndTheCliMessage) {
  const struct {
    ApiResponse r;
    int status;
    std::string part;
  } cases[] = {
      {Get("/api/v1/fit", {{"model", "nope"}, {"hw", "nvidia-rtx-4090"}}), 404, "unknown model 'nope'"},
      {Get("/api/v1/fit", {{"model", "llama-3.1-8b"}, {"hw", "h100"}}), 400, "ambiguous"},
      {Get("/api/v1/fit", {{"model", "llama-3.1-8b"}}), 400, "missing field 'hw'"},
      {Get("/api/v1/fit", {{"model", "llama-3.1-8b"}, {"hw", "nvidia-rtx-4090"}, {"ctx", "17592186044417m"}}), 400,
       "ctx '17592186044417m': number too large"},
      {Get("/api/v1/fit", {{"model", "llama-3.1-8b"}, {"hw", "nvidia-rtx-4090"}, {"ctx", "1-100000+1"}}), 400,
       "more than 10000 values"},
      {Get("/api/v1/fit",
           {{"model", "llama-3.1-8b"}, {"hw", "nvidia-rtx-4090"}, {"ctx", "1k-64k+1k"}, {"batch", "1-100+1"}}),
       400, "the web API runs up to 5000"},
      {Get("/api/v1/fit", {{"model", "llama-3.1-8b"}, {"hw", "nvidia-rtx-4090"}, {"path", "/etc/passwd"}}), 400,
       "unknown field 'path'"},
      // A model is a catalog id: never a file on the server.
      {Get("/api/v1/fit", {{"model", "../../etc/passwd"}, {"hw", "nvidia-rtx-4090"}}), 404, "unknown model"},
      {Get("/api/v1/fit", {{"model", "/tmp/x.gguf"}, {"hw", "nvidia-rtx-4090"}}), 404, "unknown model"},
      {Get("/api/v1/predict", {{"model", "llama-3.1-8b"}, {"hw", "nvidia-rtx-4090"}, {"batch", "0"}}), 400,
       "batch '0'"},
      {Get("/api/v1/simulate", {{"model", "llama-3.1-8b"}, {"hw", "nvidia-h100-sxm"}, {"num_requests", "99999999"}}),
       400, "num_requests"},
      {Post("/api/v1/predict", "{not json"), 400, "not a JSON object"},
      {Post("/api/v1/predict", "[1, 2]"), 400, "not a JSON object"},
      {Post("/api/v1/predict", R"({"model": {"a": 1}})"), 400, "field 'model'"},
      {Post("/api/v1/fit", std::string(2 << 20, ' ')), 413, "larger than"},
      {Post("/api/v1/fit", "GGUF-not-really", "application/octet-stream", {{"hw", "nvidia-rtx-4090"}}), 400,
       "uploaded GGUF"},
      {Post("/api/v1/fit", R"({"config": {"model_type": "llama"}, "hw": "nvidia-rtx-4090"})"), 400,
       "uploaded config.json"},
      {Get("/api/v1/catalog/hardware/nope"), 404, "unknown id 'nope'"},
      {Get("/api/v1/catalog/gpus"), 404, "no such catalog list"},
      {Get("/api/v1/results/abc"), 404, "no run"},
      {Get("/api/v1/nothing"), 404, "no such endpoint"},
      {Get("/api/v2/fit"), 404, "no such endpoint"},
      {Get("/api/v1/../../etc/passwd"), 404, "no such endpoint"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.r.status, c.status) << c.r.body;
    EXPECT_EQ(c.r.content_type, "application/json");
    EXPECT_NE(ErrorOf(c.r).find(c.part), std::string::npos) << ErrorOf(c.r);
    EXPECT_EQ(ErrorOf(c.r).find('\n'), std::string::npos);
  }
}

TEST(WebApi, UploadedModelsAreSizedLikeTheirFiles) {
  // A config.json as a JSON body.
  const auto cfg = Post("/api/v1/fit", R"({"hw": "nvidia-rtx-4090", "config": {"model_type": "llama",
      "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
      "num_key_value_heads": 8, "vocab_size": 128256, "max_position_embeddings": 131072}})");
  ASSERT_EQ(cfg.status, 200) << cfg.body;
  const json fit = json::parse(cfg.body)["rows"][0];
  const auto cli = test::Rows(
      test::RunCli({"fit", "--model", "llama-3.1-8b", "--hw", "nvidia-rtx-4090", "--format", "json"}).out)[0];
  EXPECT_EQ(fit["weights_bytes"], cli["weights_bytes"]);  // the same architecture as the catalog's 8B
  EXPECT_EQ(fit["model"], "upload");
  // A GGUF file's head (no tensor data), with the whole file's size.
  ModelSpec s = test::BuiltinCatalog().Model("qwen3-0.6b").spec;
  auto tensors = BuildTensorInventory(s);
  ApplyRecipe(test::BuiltinCatalog().Quant("q8_0"), s.n_layers, tensors);
  test::TempDir dir;
  catalog::GgufWriterForModel(s, tensors).WriteFile(dir.File("m.gguf"), false);
  std::ifstream in(dir.File("m.gguf"), std::ios::binary);
  const std::string head((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  uint64_t data = 0;
  for (const auto& t : tensors) data += t.bytes;
  const auto g = Post("/api/v1/fit", head, "application/octet-stream",
                      {{"hw", "nvidia-rtx-4090"}, {"file_size", std::to_string(head.size() + data + (1 << 20))}});
  ASSERT_EQ(g.status, 200) << g.body;
  const json gf = json::parse(g.body)["rows"][0];
  EXPECT_EQ(gf["weights_bytes"].get<uint64_t>(), data);
  EXPECT_EQ(gf["quant"], "GGUF Q8_0");
  // Without the file's size, a header-only upload is a truncated file, said so.
  EXPECT_NE(
      ErrorOf(Post("/api/v1/fit", head, "application/octet-stream", {{"hw", "nvidia-rtx-4090"}})).find("truncated"),
      std::string::npos);
}

TEST(WebApi, ResultsComeFromTheServersDatabaseOnly) {
  test::TempDir dir;
  const std::string db = dir.File("r.db");
  test::StoreEmptyRuns(db, 1);
  const web::Api api(std::make_shared<const catalog::Catalog>(test::BuiltinCatalog()), db);
  ApiRequest list;
  list.path = "/api/v1/results";
  const auto r = api.Handle(list);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["rows"].size(), 1u);
  ApiRequest one;
  one.path = "/api/v1/results/1";
  EXPECT_EQ(api.Handle(one).status, 200);
  one.path = "/api/v1/results/2";
  EXPECT_EQ(api.Handle(one).status, 404) << api.Handle(one).body;
  // No field chooses another database.
  list.query = {{"db", "/etc/passwd"}};
  EXPECT_EQ(api.Handle(list).status, 400);
}

TEST(WebApi, OpenApiDescribesEveryEndpoint) {
  const auto r = Get("/api/v1/openapi.json");
  ASSERT_EQ(r.status, 200);
  const json doc = json::parse(r.body);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  for (const char* p :
       {"/api/v1/fit", "/api/v1/predict", "/api/v1/compare", "/api/v1/explain", "/api/v1/simulate", "/api/v1/plan",
        "/api/v1/catalog/{kind}", "/api/v1/catalog/{kind}/{id}", "/api/v1/results", "/api/v1/results/{id}"}) {
    EXPECT_TRUE(doc["paths"].contains(p)) << p;
  }
}

TEST(WebAssets, PagesComeOnlyFromTheEmbeddedSet) {
  for (const char* p : {"/", "/calculator", "/compare", "/explain", "/simulate", "/results", "/catalog",
                        "/static/app.js", "/static/style.css"}) {
    EXPECT_NE(web::FindAsset(p), nullptr) << p;
  }
  for (const char* p : {"/../CMakeLists.txt", "/static/../../etc/passwd", "/etc/passwd", "/static/", "/index.htm"}) {
    EXPECT_EQ(web::FindAsset(p), nullptr) << p;
  }
  // Nothing fetched from elsewhere at run time.
  for (const char* p : {"/", "/static/app.js", "/static/style.css"}) {
    const std::string body(web::FindAsset(p)->content);
    EXPECT_EQ(body.find("https://"), std::string::npos) << p;
    EXPECT_EQ(body.find("http://"), std::string::npos) << p;
  }
}

// ---- the real server ----

class Server {
 public:
  explicit Server(std::vector<std::string> extra = {}) {
    int pipefd[2];
    if (pipe(pipefd) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(pipefd[1], STDOUT_FILENO);
      close(pipefd[0]);
      std::vector<std::string> args = {TOKCAST_BINARY, "--db", "/nonexistent/r.db", "web", "--port", "0"};
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(pipefd[1]);
    FILE* f = fdopen(pipefd[0], "r");
    char line[256] = {};
    if (!fgets(line, sizeof(line), f)) throw std::runtime_error("tokcast web printed no URL");
    out_ = f;
    url_ = line;
    while (!url_.empty() && (url_.back() == '\n' || url_.back() == '\r')) url_.pop_back();
    std::smatch m;
    if (!std::regex_match(url_, m, std::regex(R"re(http://127\.0\.0\.1:(\d+)/)re"))) throw std::runtime_error(url_);
    port_ = std::stoi(m[1]);
  }
  ~Server() {
    if (pid_ > 0 && !stopped_) Stop();
    if (out_) fclose(out_);
  }
  // SIGTERM; returns the exit status.
  int Stop() {
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        stopped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    stopped_ = true;
    return -1;
  }
  const std::string& url() const { return url_; }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::string url_;
  int port_ = 0;
  bool stopped_ = false;
};

TEST(WebServer, ServesPagesAndApiSafelyAndStopsCleanly) {
  Server s;
  httplib::Client c("127.0.0.1", s.port());
  auto page = c.Get("/calculator");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("/static/app.js"), std::string::npos);
  EXPECT_FALSE(page->get_header_value("Content-Security-Policy").empty());
  auto api = c.Get("/api/v1/fit?model=llama-3.1-8b&hw=nvidia-rtx-4090");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 200);
  EXPECT_TRUE(api->get_header_value("Access-Control-Allow-Origin").empty());  // no CORS unless asked
  EXPECT_EQ(c.Get("/../../etc/passwd")->status, 404);
  EXPECT_EQ(c.Get("/static/../CMakeLists.txt")->status, 404);
  // An upload over the server's limit is refused before it is read whole.
  auto big = c.Post("/api/v1/fit?hw=nvidia-rtx-4090", std::string(80 << 20, 'x'), "application/octet-stream");
  EXPECT_TRUE(!big || big->status == 413) << (big ? big->status : 0);
  auto bad = c.Post("/api/v1/predict", "{", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  // Concurrent requests are safe.
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&, i] {
      httplib::Client ci("127.0.0.1", s.port());
      for (int k = 0; k < 10; ++k) {
        auto r = ci.Get(i % 2 ? "/api/v1/predict?model=llama-3.1-8b&hw=nvidia-rtx-4090" : "/api/v1/catalog/hardware");
        if (r && r->status == 200) ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 80);
  EXPECT_EQ(s.Stop(), 0);
}

TEST(WebServer, AnsweresCorsOnlyForTheGivenOrigin) {
  Server s({"--cors", "http://localhost:3000"});
  httplib::Client c("127.0.0.1", s.port());
  auto r = c.Get("/api/v1/catalog/quants");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "http://localhost:3000");
}

// ---- the page in a browser ----

std::string Chromium() {
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
    if (access(c, X_OK) == 0) return c;
  return "";
}

std::string DumpDom(const std::string& url) {
  const std::string cmd = Chromium() +
                          " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --virtual-time-budget=15000 "
                          "--dump-dom '" +
                          url + "' 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  pclose(p);
  return out;
}

std::string CardValue(const std::string& dom, const std::string& id) {
  std::smatch m;
  if (std::regex_search(dom, m, std::regex("data-value=\"" + id + "\">([^<]*)<"))) return m[1];
  return "(no card " + id + ")";
}

std::string Fixed(double v) {
  const double a = std::abs(v);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3, v);
  return buf;
}

TEST(WebBrowser, TheCalculatorShowsTheCliNumbersAndTheChart) {
  if (Chromium().empty()) GTEST_SKIP() << "no Chromium here (scripts/bootstrap.sh installs it)";
  Server s;
  const std::string dom = DumpDom(s.url() + "calculator?model=llama-3.1-70b&quant=q4_k_m&hw=nvidia-rtx-4090&ctx=8192");
  ASSERT_NE(dom.find("data-value=\"verdict\""), std::string::npos) << dom.substr(0, 2000);
  const auto fit = test::Rows(test::RunCli({"fit", "--model", "llama-3.1-70b", "--quant", "q4_k_m", "--hw",
                                            "nvidia-rtx-4090", "--ctx", "8192", "--format", "json"})
                                  .out)[0];
  const auto pred = test::Rows(test::RunCli({"predict", "--model", "llama-3.1-70b", "--quant", "q4_k_m", "--hw",
                                             "nvidia-rtx-4090", "--format", "json"})
                                   .out)[0];
  EXPECT_EQ(CardValue(dom, "verdict"), fit["verdict"].get<std::string>());
  EXPECT_EQ(CardValue(dom, "layers"),
            std::to_string(fit["layers_on_device"].get<int>()) + "/" + std::to_string(fit["layers_total"].get<int>()));
  EXPECT_EQ(CardValue(dom, "tg"), Fixed(pred["tg_tok_s"]["expected"].get<double>()));
  EXPECT_EQ(CardValue(dom, "pp"), Fixed(pred["pp_tok_s"]["expected"].get<double>()));
  EXPECT_EQ(CardValue(dom, "ttft"), Fixed(pred["ttft_s"]["expected"].get<double>()));
  // The charts: the memory plan and the decode speed with its bound.
  EXPECT_NE(dom.find("Memory per platform against usable capacity"), std::string::npos);
  EXPECT_NE(dom.find("Decode speed per platform: expected and physical bound"), std::string::npos);
  // The inputs are in the URL: the same page from another browser shows the same.
  EXPECT_NE(dom.find("value=\"8192\""), std::string::npos);
}

}  // namespace
}  // namespace tokcast
