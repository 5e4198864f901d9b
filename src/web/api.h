// The HTTP API of `tokcast web`, without the HTTP: a request (method, path, query fields, body)
// in, a response (status, type, body) out, over the application layer. Responses are exactly
// the CLI's reports (`format=json` by default; csv, md, svg or html on request); errors are
// JSON {"error": "<the CLI's one-line message>"} with 400, 404, 413 or 500.
//
// Request fields are named like the CLI's long options (model, quant, hw, ctx, batch, runtime,
// kv_type or kv-type, ...), given in the query string, in a JSON object body, or both. Values
// are the CLI's syntax ("1k-32k*2", "a,b"); JSON numbers and arrays are accepted too. A model
// is a catalog id, or uploaded: a JSON body's "config" (an HF config.json object), or a GGUF
// file's head as an application/octet-stream body (with `file_size` when the head is partial).
// No field ever names a file on the server.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "catalog/catalog.h"

namespace tokcast::web {

struct ApiRequest {
  std::string method = "GET";
  std::string path;  // "/api/v1/fit"
  std::multimap<std::string, std::string> query;
  std::string body;
  std::string content_type;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

struct ApiLimits {
  size_t max_json_body = 1 << 20;  // bytes of a JSON body
  size_t max_upload = 64 << 20;    // bytes of an uploaded GGUF head
  size_t max_scenarios = 5000;     // rows of one fit/predict sweep
  uint64_t max_requests = 20000;   // simulated requests per call
  size_t max_loads = 16;           // simulate: loads in one sweep
};

class Api {
 public:
  // `db_path`: the results database the results endpoints read (never from a request).
  Api(std::shared_ptr<const catalog::Catalog> catalog, std::string db_path, ApiLimits limits = {});
  ApiResponse Handle(const ApiRequest& request) const;

 private:
  std::shared_ptr<const catalog::Catalog> cat_;
  std::string db_path_;
  ApiLimits limits_;
};

// The OpenAPI 3 document of the API (served at /api/v1/openapi.json).
std::string OpenApiDocument();

}  // namespace tokcast::web
