// A small HTTP(S) GET over libcurl for reading remote model files: whole small files, or a byte
// range of a large one. Redirects are followed (the hub sends large files to a CDN), proxies come
// from the usual environment variables, and only http and https are allowed. A server that
// ignores a range request is read only as far as the range reaches, never to the end of a
// 100 GB file. Transport failures throw catalog::InputError naming the URL.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace tokcast::remote {

struct HttpRequest {
  std::string url;
  std::optional<std::string> bearer_token;  // sent as Authorization (never to a redirect's other host)
  // Bytes [offset, offset + length) only. A 200 reply (the server ignored the range) is read up to
  // offset + length and then cut; the body returned is the asked range either way.
  std::optional<uint64_t> range_offset;
  std::optional<uint64_t> range_length;
  uint64_t max_body_bytes = uint64_t{64} << 20;  // a whole-file read larger than this is an error
  long connect_timeout_s = 20;
  long stall_timeout_s = 60;  // no byte for this long ends the transfer
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-case, of the final reply
  std::optional<uint64_t> total_size;          // the whole file's size (Content-Range or Content-Length)
  bool range_honoured = false;                 // 206 with the asked range
  std::string final_url;                       // after redirects
};

// Performs the request; any HTTP status comes back (the caller words 401/404). Throws
// catalog::InputError when the transfer fails (unreachable, timed out, cut short, too large).
HttpResponse HttpGet(const HttpRequest& request);

}  // namespace tokcast::remote
