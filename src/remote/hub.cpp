#include "remote/hub.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "catalog/error.h"
#include "catalog/gguf.h"
#include "catalog/hf_config.h"
#include "core/text.h"
#include "remote/http.h"

namespace tokcast::remote {
namespace {

namespace fs = std::filesystem;
using catalog::InputError;

constexpr uint64_t kFirstHead = uint64_t{4} << 20;     // most GGUF headers fit in 4 MiB
constexpr uint64_t kMaxGgufHead = uint64_t{64} << 20;  // a tokenizer-heavy header is under 10 MiB
constexpr uint64_t kSafetensorsProbe = 256 << 10;      // one read holds most shard headers

std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

bool Truthy(const std::string& v) {
  const std::string l = ToLower(v);
  return l == "1" || l == "true" || l == "yes" || l == "on";
}

std::optional<std::string> ReadFile(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return std::nullopt;
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Writes atomically (a temporary file renamed into place): a crash never leaves half a file.
void WriteCacheFile(const fs::path& p, std::string_view bytes) {
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  const fs::path tmp = p.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (out) out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      fs::remove(tmp, ec);
      throw InputError(p.parent_path().string() +
                       ": cannot write the remote-model cache (set TOKCAST_CACHE_DIR to a writable folder)");
    }
  }
  fs::rename(tmp, p, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw InputError(p.string() + ": cannot write the remote-model cache: " + ec.message());
  }
}

bool ValidName(std::string_view s) {
  if (s.empty() || s.size() > 96 || s == "." || s == ".." || s.find("..") != std::string_view::npos) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

bool ValidPath(std::string_view s) {
  if (s.empty() || s.front() == '/' || s.size() > 512) return false;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t slash = s.find('/', start);
    const auto part = s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!ValidName(part)) return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

// "hf:ORG/NAME[@REV][/FILE.gguf | :TAG]"
struct HfRef {
  std::string repo, rev = "main", file, tag;
  std::string Label() const {
    return "hf:" + repo + (rev == "main" ? "" : "@" + rev) + (file.empty() ? "" : "/" + file) +
           (tag.empty() ? "" : ":" + tag);
  }
};

HfRef ParseHfRef(const std::string& arg) {
  const std::string usage = ": expected hf:ORG/NAME[@REVISION], hf:ORG/NAME/FILE.gguf or hf:ORG/NAME:QUANT";
  std::string_view s(arg);
  s.remove_prefix(3);
  HfRef r;
  const size_t slash = s.find('/');
  if (slash == std::string_view::npos) throw InputError(arg + usage);
  const auto org = s.substr(0, slash);
  s.remove_prefix(slash + 1);
  const size_t end = s.find_first_of("@/:");
  const auto name = s.substr(0, end);
  if (!ValidName(org) || !ValidName(name)) throw InputError(arg + usage);
  r.repo = std::string(org) + "/" + std::string(name);
  s.remove_prefix(end == std::string_view::npos ? s.size() : end);
  if (!s.empty() && s.front() == '@') {
    s.remove_prefix(1);
    const size_t e = s.find_first_of("/:");
    r.rev = std::string(s.substr(0, e));
    if (!ValidName(r.rev)) throw InputError(arg + ": the revision must be a branch, tag or commit without '/'");
    s.remove_prefix(e == std::string_view::npos ? s.size() : e);
  }
  if (!s.empty() && s.front() == '/') {
    r.file = std::string(s.substr(1));
    if (!ValidPath(r.file) || !r.file.ends_with(".gguf")) {
      throw InputError(arg + ": a file in the repository must be a .gguf path (the config is read without one)");
    }
  } else if (!s.empty() && s.front() == ':') {
    r.tag = std::string(s.substr(1));
    if (!ValidName(r.tag)) throw InputError(arg + usage);
  } else if (!s.empty()) {
    throw InputError(arg + usage);
  }
  return r;
}

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// One remote file: where it is fetched from, where tokcast caches it, where huggingface_hub may
// already hold it, and what to call it in messages.
struct RemoteFile {
  std::string url;
  fs::path cache;
  std::optional<fs::path> hf_copy;
  std::optional<fs::path> hf_absent;  // huggingface_hub's record that the file does not exist
  std::string label;
  bool send_token = false;
};

// Words an HTTP failure for the user: what was asked, why it failed, what to do.
[[noreturn]] void Refuse(const HttpResponse& r, const RemoteFile& f, const HubSettings& s) {
  auto header = [&](const char* k) {
    auto it = r.headers.find(k);
    return it == r.headers.end() ? std::string() : it->second;
  };
  const std::string code = header("x-error-code");
  const std::string status = " (HTTP " + std::to_string(r.status) + (f.label == f.url ? "" : " from " + f.url) + ")";
  if (code == "GatedRepo") {
    throw InputError(f.label + ": a gated repository: accept its terms on the hub, then set HF_TOKEN to a token " +
                     "with access" + status);
  }
  if (code == "RepoNotFound") {
    throw InputError(f.label + ": no such repository" + (s.token ? "" : ", or a private one (set HF_TOKEN)") + status);
  }
  if (code == "RevisionNotFound") throw InputError(f.label + ": no such revision" + status);
  if (r.status == 401) {
    throw InputError(f.label + (s.token && f.send_token ? ": HF_TOKEN was refused" : ": needs a token: set HF_TOKEN") +
                     status);
  }
  if (r.status == 403) {
    throw InputError(f.label + ": access denied: the token lacks access, or the repository's terms are not accepted" +
                     status);
  }
  if (r.status == 404) throw InputError(f.label + ": not found" + status);
  std::string why = header("x-error-message");
  if (why.empty()) why = r.body.substr(0, r.body.find('\n'));
  if (why.size() > 160) why = why.substr(0, 160) + "...";
  throw InputError(f.label + ": the server refused" + status + (why.empty() ? "" : ": " + why));
}

class Fetcher {
 public:
  explicit Fetcher(const HubSettings& s) : s_(s) {}

  // A whole small file (config.json, an index); nullopt when the server says it does not exist
  // and `optional`. A 404 is remembered in the cache, so offline runs know it too.
  std::optional<std::string> Small(const RemoteFile& f, bool optional) {
    if (f.hf_copy) {
      if (auto text = ReadFile(*f.hf_copy)) return text;
    }
    if (auto text = ReadFile(f.cache)) return text;
    const fs::path absent = f.cache.string() + ".absent";
    if (optional && (fs::exists(absent) || (f.hf_absent && fs::exists(*f.hf_absent)))) return std::nullopt;
    RequireOnline(f);
    HttpRequest req = Request(f);
    req.max_body_bytes = uint64_t{64} << 20;
    const HttpResponse r = Get(req, f);
    if (r.status == 200) {
      WriteCacheFile(f.cache, r.body);
      return r.body;
    }
    if (optional && r.status == 404 && !Fatal(r)) {
      WriteCacheFile(absent, "");
      return std::nullopt;
    }
    Refuse(r, f, s_);
  }

  struct Head {
    std::string bytes;  // the file's first bytes
    uint64_t size = 0;  // the whole file's size
  };

  // The first `n` bytes of a file (all of it when shorter), by range requests; what was read
  // before is kept in the cache and extended.
  Head Prefix(const RemoteFile& f, uint64_t n) { return *Prefix(f, n, false); }

  // As Prefix, or nullopt when the server says the file does not exist and `optional`.
  std::optional<Head> Prefix(const RemoteFile& f, uint64_t n, bool optional) {
    if (f.hf_copy) {
      std::error_code ec;
      const uint64_t size = fs::file_size(*f.hf_copy, ec);
      if (!ec) {
        std::ifstream in(*f.hf_copy, std::ios::binary);
        Head h{std::string(static_cast<size_t>(std::min(n, size)), '\0'), size};
        if (in.read(h.bytes.data(), static_cast<std::streamsize>(h.bytes.size()))) return h;
      }
    }
    const fs::path head_path = f.cache.string() + ".head", size_path = f.cache.string() + ".size";
    Head h;
    auto cached = ReadFile(head_path);
    auto cached_size = ReadFile(size_path);
    const auto size = cached_size ? ParseDecimal(Trim(*cached_size), UINT64_MAX) : std::nullopt;
    if (cached && size && cached->size() <= *size) {
      h.bytes = std::move(*cached);
      h.size = *size;
      if (h.bytes.size() >= std::min(n, *size)) {
        h.bytes.resize(static_cast<size_t>(std::min<uint64_t>(h.bytes.size(), n)));
        return h;
      }
    } else {
      h = Head{};
    }
    const fs::path absent = f.cache.string() + ".absent";
    if (optional && fs::exists(absent)) return std::nullopt;
    RequireOnline(f);
    const uint64_t have = h.bytes.size();
    const uint64_t want = (h.size ? std::min(n, h.size) : n) - have;
    HttpRequest req = Request(f);
    req.range_offset = have;
    req.range_length = want;
    const HttpResponse r = Get(req, f);
    if (r.status == 416) {  // the file ends before `have`: what is cached is the whole file
      if (h.size == have && have > 0) return h;
      throw InputError(f.label + ": the server says the file is shorter than " + std::to_string(have) +
                       " bytes (HTTP 416)");
    }
    if (optional && r.status == 404 && !Fatal(r)) {
      WriteCacheFile(absent, "");
      return std::nullopt;
    }
    if (r.status != 200 && r.status != 206) Refuse(r, f, s_);
    if (!r.total_size) {
      throw InputError(f.label + ": the server did not say how large the file is (no Content-Range or Content-Length)");
    }
    if (h.size && *r.total_size != h.size) {  // changed since cached: start again
      std::error_code ec;
      fs::remove(head_path, ec);
      fs::remove(size_path, ec);
      return Prefix(f, n, optional);
    }
    h.size = *r.total_size;
    const uint64_t expect = std::min(n, h.size) - std::min(have, std::min(n, h.size));
    if (r.body.size() < expect) {
      throw InputError(f.label + ": the download was cut short (got " + std::to_string(r.body.size()) + " of " +
                       std::to_string(expect) + " bytes from " + f.url + "); try again");
    }
    h.bytes.append(r.body, 0, static_cast<size_t>(expect));
    WriteCacheFile(head_path, h.bytes);
    WriteCacheFile(size_path, std::to_string(h.size) + "\n");
    return h;
  }

  const HubSettings& settings() const { return s_; }

 private:
  static bool Fatal(const HttpResponse& r) {
    auto it = r.headers.find("x-error-code");
    return it != r.headers.end() && (it->second == "RepoNotFound" || it->second == "RevisionNotFound");
  }
  void RequireOnline(const RemoteFile& f) const {
    if (s_.offline) {
      throw InputError(f.label + ": not in the cache, and HF_HUB_OFFLINE is set (run once online, or unset it)");
    }
  }
  // The transfer, its failures named after what was asked for ("hf:org/name/config.json: ...").
  static HttpResponse Get(const HttpRequest& req, const RemoteFile& f) {
    try {
      return HttpGet(req);
    } catch (const InputError& e) {
      if (f.label == f.url) throw;
      throw InputError(f.label + ": " + e.what());
    }
  }
  HttpRequest Request(const RemoteFile& f) const {
    HttpRequest req;
    req.url = f.url;
    if (f.send_token && s_.token) req.bearer_token = s_.token;
    return req;
  }

  const HubSettings& s_;
};

// Reads a GGUF header from a file's head, fetching more while the header runs past it.
catalog::GgufHeader GgufHead(Fetcher& fetch, const RemoteFile& f, std::string& bytes_out) {
  uint64_t n = kFirstHead;
  while (true) {
    Fetcher::Head h = fetch.Prefix(f, n);
    const auto* data = reinterpret_cast<const uint8_t*>(h.bytes.data());
    try {
      auto header = catalog::ParseGguf({data, h.bytes.size()}, h.size, f.label);
      bytes_out = std::move(h.bytes);
      return header;
    } catch (const catalog::TruncatedInput&) {
      if (h.bytes.size() >= h.size) throw;
      if (n >= kMaxGgufHead) {
        throw InputError(f.label + ": the GGUF header runs past its first " + std::to_string(kMaxGgufHead >> 20) +
                         " MiB; not a GGUF tokcast can read remotely");
      }
      n *= 4;
    }
  }
}

// A safetensors file's tensors, from its header; nullopt when the file does not exist and `optional`.
std::optional<std::vector<TensorInfo>> SafetensorsHead(Fetcher& fetch, const RemoteFile& f, bool optional) {
  auto probe = fetch.Prefix(f, kSafetensorsProbe, optional);
  if (!probe) return std::nullopt;
  Fetcher::Head h = std::move(*probe);
  if (h.bytes.size() < 8) throw InputError(f.label + ": not a safetensors file (too short)");
  uint64_t n = 0;
  std::memcpy(&n, h.bytes.data(), 8);
  if (n == 0 || n > (uint64_t{100} << 20) || n > h.size - 8) {
    throw InputError(f.label + ": invalid safetensors header length " + std::to_string(n));
  }
  if (h.bytes.size() < 8 + n) h = fetch.Prefix(f, 8 + n);
  h.bytes.resize(static_cast<size_t>(8 + n));
  const auto* data = reinterpret_cast<const uint8_t*>(h.bytes.data());
  return catalog::ParseSafetensorsHeader({data, h.bytes.size()}, h.size, f.label);
}

class HubRepo {
 public:
  HubRepo(Fetcher& fetch, const HfRef& ref) : fetch_(fetch), ref_(ref) {
    const HubSettings& s = fetch.settings();
    std::string org = ref.repo.substr(0, ref.repo.find('/')), name = ref.repo.substr(ref.repo.find('/') + 1);
    cache_ = s.cache_dir / "hub" / ("models--" + org + "--" + name) / ref.rev;
    if (s.hf_cache) {
      const fs::path repo_dir = *s.hf_cache / ("models--" + org + "--" + name);
      std::string sha = ref.rev;
      if (auto r = ReadFile(repo_dir / "refs" / ref.rev)) sha = r->substr(0, r->find_first_of("\r\n"));
      if (ValidName(sha) && fs::is_directory(repo_dir / "snapshots" / sha)) {
        hf_snapshot_ = repo_dir / "snapshots" / sha;
        hf_no_exist_ = repo_dir / ".no_exist" / sha;
      }
    }
  }

  RemoteFile File(const std::string& path) const {
    RemoteFile f;
    f.url = fetch_.settings().endpoint + "/" + ref_.repo + "/resolve/" + ref_.rev + "/" + path;
    f.cache = cache_ / path;
    if (hf_snapshot_) {
      f.hf_copy = *hf_snapshot_ / path;
      f.hf_absent = *hf_no_exist_ / path;
    }
    f.label = "hf:" + ref_.repo + (ref_.rev == "main" ? "" : "@" + ref_.rev) + "/" + path;
    f.send_token = true;
    return f;
  }

  // The repository's file names, from the hub's model API.
  std::vector<std::string> Files() const {
    RemoteFile f;
    f.url = fetch_.settings().endpoint + "/api/models/" + ref_.repo + "/revision/" + ref_.rev;
    f.cache = cache_ / ".api-model.json";
    f.label = ref_.Label();
    f.send_token = true;
    const auto text = fetch_.Small(f, false);
    const auto j = nlohmann::json::parse(*text, nullptr, false);
    std::vector<std::string> files;
    if (j.is_object() && j.contains("siblings") && j["siblings"].is_array()) {
      for (const auto& e : j["siblings"]) {
        if (e.is_object() && e.contains("rfilename") && e["rfilename"].is_string())
          files.push_back(e["rfilename"].get<std::string>());
      }
    }
    if (!j.is_object()) throw InputError(f.label + ": the hub's file list is not JSON (" + f.url + ")");
    return files;
  }

  catalog::ResolvedModel Resolve() {
    if (!ref_.file.empty()) return Gguf(ref_.file);
    if (ref_.tag.empty()) {
      const RemoteFile config = File("config.json");
      if (auto text = fetch_.Small(config, true)) return FromConfig(*text, config.label);
    }
    // No config.json (or a quant tag was asked for): a GGUF repository.
    std::vector<std::string> ggufs;
    for (const auto& f : Files()) {
      if (!f.ends_with(".gguf") || !ValidPath(f)) continue;
      if (f.find("-of-") != std::string::npos && f.find("-00001-of-") == std::string::npos) continue;
      if (ToLower(f).find("mmproj") != std::string::npos) continue;  // a vision projector, not the model
      ggufs.push_back(f);
    }
    if (!ref_.tag.empty()) {
      std::vector<std::string> match;
      const std::string tag = ToLower(ref_.tag);
      for (const auto& f : ggufs) {
        const std::string l = ToLower(f);
        const size_t at = l.find(tag);
        // The tag as a whole word: "Q4_K" must not pick "Q4_K_M".
        if (at != std::string::npos) {
          const size_t after = at + tag.size();
          if (after == l.size() || !(std::isalnum(static_cast<unsigned char>(l[after])) || l[after] == '_'))
            match.push_back(f);
        }
      }
      ggufs = std::move(match);
    }
    if (ggufs.size() == 1) return Gguf(ggufs[0]);
    if (ggufs.empty()) {
      throw InputError(ref_.Label() + (ref_.tag.empty()
                                           ? ": the repository has neither config.json nor a GGUF file"
                                           : ": no GGUF file in the repository matches '" + ref_.tag + "'"));
    }
    std::string list;
    for (size_t i = 0; i < ggufs.size() && i < 12; ++i) list += (i ? ", " : "") + ggufs[i];
    throw InputError(ref_.Label() + ": " + std::to_string(ggufs.size()) + " GGUF files; pick one with hf:" + ref_.repo +
                     ":QUANT or hf:" + ref_.repo + "/FILE.gguf (" + list + (ggufs.size() > 12 ? ", ..." : "") + ")");
  }

 private:
  catalog::ResolvedModel FromConfig(const std::string& text, const std::string& label) {
    catalog::ResolvedModel r;
    r.spec = catalog::ParseHfConfig(text, label);
    r.spec.id = ref_.repo.substr(ref_.repo.find('/') + 1);
    r.spec.name = ref_.repo;
    r.source = ref_.Label();
    std::vector<std::string> shards;
    const RemoteFile index = File("model.safetensors.index.json");
    // A huggingface_hub snapshot holding one model.safetensors and no index has no index.
    const bool single_in_snapshot = hf_snapshot_ && fs::exists(*hf_snapshot_ / "model.safetensors") &&
                                    !fs::exists(*hf_snapshot_ / "model.safetensors.index.json");
    if (auto idx = single_in_snapshot ? std::nullopt : fetch_.Small(index, true)) {
      shards = catalog::ParseSafetensorsIndex(*idx, index.label).shards;
    } else {
      shards = {"model.safetensors"};
    }
    std::vector<TensorInfo> tensors;
    for (const auto& shard : shards) {
      // Without an index, model.safetensors may be absent (.bin weights only): the config alone.
      auto t = SafetensorsHead(fetch_, File(shard), shards.size() == 1 && shard == "model.safetensors");
      if (!t) return r;
      tensors.insert(tensors.end(), t->begin(), t->end());
    }
    if (!tensors.empty()) {
      r.tensors = std::move(tensors);
      r.weights_label = "safetensors " + catalog::DominantTensorType(*r.tensors);
    }
    return r;
  }

  catalog::ResolvedModel Gguf(const std::string& path) {
    const RemoteFile first = File(path);
    std::string bytes;
    catalog::GgufHeader header = GgufHead(fetch_, first, bytes);
    return FinishGguf(fetch_, header, bytes, first.label, fs::path(path).filename().string(),
                      [&](const std::string& name) {
                        const auto dir = fs::path(path).parent_path();
                        return File(dir.empty() ? name : (dir / name).string());
                      });
  }

 public:
  template <typename FileFor>
  static catalog::ResolvedModel FinishGguf(Fetcher& fetch, catalog::GgufHeader header, const std::string& bytes,
                                           const std::string& label, const std::string& file_name, FileFor file_for) {
    const auto names = catalog::GgufSplitNames(file_name, header);
    if (names.size() > 1) {
      std::vector<catalog::GgufHeader> rest;
      for (size_t i = 1; i < names.size(); ++i) {
        std::string other_bytes;
        rest.push_back(GgufHead(fetch, file_for(names[i]), other_bytes));
      }
      header = catalog::MergeGgufSplits(std::move(header), rest);
    }
    const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
    auto r = catalog::ResolveGguf(header, {data, bytes.size()}, label);
    r.spec.id = fs::path(file_name).stem().string();
    return r;
  }

 private:
  Fetcher& fetch_;
  HfRef ref_;
  fs::path cache_;
  std::optional<fs::path> hf_snapshot_, hf_no_exist_;
};

catalog::ResolvedModel ResolveUrl(Fetcher& fetch, const std::string& arg) {
  static const std::regex kUrl(R"(^(https?)://([A-Za-z0-9.\-]+(:[0-9]+)?)(/[^?#\s]*)(\?[^#\s]*)?$)");
  std::smatch m;
  if (!std::regex_match(arg, m, kUrl)) throw InputError(arg + ": not an http(s) URL of a file");
  std::string url = arg;
  // A hub page (…/blob/REV/file.gguf) means the file itself (…/resolve/REV/file.gguf).
  if (const auto at = url.find("/blob/"); at != std::string::npos) url.replace(at, 6, "/resolve/");
  const std::string path = m[4].str();
  const std::string file_name = path.substr(path.rfind('/') + 1);
  if (!file_name.ends_with(".gguf")) {
    throw InputError(arg + ": a URL must name a .gguf file (for a hub repository use hf:ORG/NAME)");
  }
  const HubSettings& s = fetch.settings();
  auto file_for = [&](const std::string& name) {
    RemoteFile f;
    f.url = url.substr(0, url.rfind('/', url.find('?') == std::string::npos ? std::string::npos : url.find('?')) + 1) +
            name;
    f.cache = s.cache_dir / "url" / Hex(Fnv1a(f.url)) / name;
    f.label = f.url;
    f.send_token = f.url.rfind(s.endpoint + "/", 0) == 0;  // only the hub gets the hub's token
    return f;
  };
  RemoteFile first;
  first.url = url;
  first.cache = s.cache_dir / "url" / Hex(Fnv1a(url)) / file_name;
  first.label = arg;
  first.send_token = url.rfind(s.endpoint + "/", 0) == 0;
  std::string bytes;
  catalog::GgufHeader header = GgufHead(fetch, first, bytes);
  return HubRepo::FinishGguf(fetch, std::move(header), bytes, arg, file_name, file_for);
}

}  // namespace

HubSettings HubSettings::FromEnvironment() {
  HubSettings s;
  if (auto e = Env("HF_ENDPOINT")) {
    s.endpoint = *e;
    while (!s.endpoint.empty() && s.endpoint.back() == '/') s.endpoint.pop_back();
  }
  const fs::path home = Env("HOME").value_or(".");
  const fs::path hf_home = Env("HF_HOME")
                               ? fs::path(*Env("HF_HOME"))
                               : fs::path(Env("XDG_CACHE_HOME").value_or((home / ".cache").string())) / "huggingface";
  if (auto t = Env("HF_TOKEN")) {
    s.token = t;
  } else if (auto legacy = Env("HUGGING_FACE_HUB_TOKEN")) {
    s.token = legacy;
  } else if (auto text = ReadFile(Env("HF_TOKEN_PATH") ? fs::path(*Env("HF_TOKEN_PATH")) : hf_home / "token")) {
    std::string tok = text->substr(0, text->find_first_of("\r\n"));
    if (!tok.empty()) s.token = tok;
  }
  s.offline = Truthy(Env("HF_HUB_OFFLINE").value_or("0"));
  if (auto c = Env("TOKCAST_CACHE_DIR")) {
    s.cache_dir = fs::path(*c) / "remote";
  } else {
    s.cache_dir = fs::path(Env("XDG_CACHE_HOME").value_or((home / ".cache").string())) / "tokcast" / "remote";
  }
  s.hf_cache = Env("HF_HUB_CACHE") ? fs::path(*Env("HF_HUB_CACHE")) : hf_home / "hub";
  return s;
}

bool IsRemoteModel(std::string_view arg) {
  return arg.starts_with("hf:") || arg.starts_with("https://") || arg.starts_with("http://");
}

catalog::ResolvedModel ResolveRemoteModel(const std::string& arg, const HubSettings& settings) {
  Fetcher fetch(settings);
  if (arg.starts_with("hf:")) {
    HubRepo repo(fetch, ParseHfRef(arg));
    return repo.Resolve();
  }
  return ResolveUrl(fetch, arg);
}

}  // namespace tokcast::remote
