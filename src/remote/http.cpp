#include "remote/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

#include "catalog/error.h"
#include "core/text.h"

namespace tokcast::remote {
namespace {

using catalog::InputError;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  CURL* curl = nullptr;
  const HttpRequest* req = nullptr;
  HttpResponse* resp = nullptr;
  uint64_t seen = 0;    // body bytes received in this reply
  bool enough = false;  // stopped on purpose: the asked bytes are in
  bool too_large = false;
};

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->resp->headers.clear();  // a new reply (after a redirect or a 100 Continue)
    return size * n;
  }
  const auto colon = line.find(':');
  if (colon != std::string::npos) t->resp->headers[ToLower(Trim(line.substr(0, colon)))] = Trim(line.substr(colon + 1));
  return size * n;
}

long Status(CURL* curl) {
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  return code;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  const long status = Status(t->curl);
  std::string& body = t->resp->body;
  if (status < 200 || status >= 300) {  // an error page: keep its start for the message
    if (body.size() < 4096) body.append(data, std::min<size_t>(len, 4096 - body.size()));
    return len;
  }
  const bool ranged = t->req->range_offset.has_value();
  const uint64_t want_from = (ranged && status == 200) ? *t->req->range_offset : 0;
  const uint64_t want = ranged ? t->req->range_length.value_or(UINT64_MAX) : t->req->max_body_bytes;
  const uint64_t start = t->seen, end = t->seen + len;
  t->seen = end;
  if (end > want_from) {
    const uint64_t from = std::max(start, want_from) - start;
    const uint64_t room = want - std::min<uint64_t>(want, body.size());
    const uint64_t take = std::min<uint64_t>(len - from, room);
    body.append(data + from, take);
  }
  if (body.size() >= want && (ranged || end > want)) {
    if (!ranged) {
      t->too_large = true;
      return 0;
    }
    t->enough = true;
    return 0;  // ends the transfer: the asked range is in
  }
  return len;
}

std::optional<uint64_t> ParseContentRangeTotal(const std::string& v) {
  const auto slash = v.rfind('/');
  if (slash == std::string::npos) return std::nullopt;
  return ParseDecimal(Trim(v.substr(slash + 1)), UINT64_MAX);
}

}  // namespace

HttpResponse HttpGet(const HttpRequest& request) {
  GlobalInit();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) throw InputError(request.url + ": cannot start an HTTP client");
  HttpResponse resp;
  Transfer t{curl.get(), &request, &resp};
  char errbuf[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(c, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(c, CURLOPT_USERAGENT, "tokcast/" TOKCAST_REMOTE_VERSION);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, request.connect_timeout_s);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, request.stall_timeout_s);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  std::string range;
  if (request.range_offset) {
    range = std::to_string(*request.range_offset) + "-";
    if (request.range_length) range += std::to_string(*request.range_offset + *request.range_length - 1);
    curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
  }
  struct curl_slist* headers = nullptr;
  std::string auth;
  if (request.bearer_token) {
    auth = "Authorization: Bearer " + *request.bearer_token;
    headers = curl_slist_append(headers, auth.c_str());
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers, &curl_slist_free_all);
  if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

  const CURLcode rc = curl_easy_perform(c);
  resp.status = Status(c);
  char* final_url = nullptr;
  curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &final_url);
  resp.final_url = final_url ? final_url : request.url;
  const std::string why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  if (t.too_large) {
    throw InputError(request.url + ": the reply is larger than " + std::to_string(request.max_body_bytes >> 20) +
                     " MiB; this is not the small file expected");
  }
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && t.enough)) {
    if (rc == CURLE_PARTIAL_FILE) {
      throw InputError(request.url + ": the download was cut short (" + why + "); try again");
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) throw InputError(request.url + ": timed out (" + why + ")");
    throw InputError(request.url + ": " + why);
  }
  if (resp.status == 206) {
    if (auto it = resp.headers.find("content-range"); it != resp.headers.end())
      resp.total_size = ParseContentRangeTotal(it->second);
    resp.range_honoured = true;
  } else if (resp.status == 200) {
    curl_off_t len = -1;
    curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
    if (len >= 0) resp.total_size = static_cast<uint64_t>(len);
    if (!request.range_offset && len >= 0 && resp.body.size() != static_cast<uint64_t>(len)) {
      throw InputError(request.url + ": the download was cut short (got " + std::to_string(resp.body.size()) + " of " +
                       std::to_string(len) + " bytes); try again");
    }
  }
  return resp;
}

}  // namespace tokcast::remote
