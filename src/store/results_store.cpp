#include "store/results_store.h"

#include <algorithm>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include <sqlite3.h>

namespace tokcast::store {
namespace {

constexpr int kSchemaVersion = 1;

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at TEXT NOT NULL,
  kind TEXT NOT NULL,
  tool_version TEXT NOT NULL,
  git_commit TEXT NOT NULL,
  build_type TEXT NOT NULL,
  host_json TEXT NOT NULL,
  result_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS measurements (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  hardware TEXT NOT NULL, device_count INTEGER NOT NULL, runtime TEXT NOT NULL,
  model TEXT NOT NULL, quant TEXT NOT NULL, test TEXT NOT NULL,
  n_prompt INTEGER, n_gen INTEGER, depth INTEGER, batch INTEGER,
  value REAL NOT NULL, unit TEXT NOT NULL,
  source_id TEXT NOT NULL, source_url TEXT NOT NULL, notes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS measurements_run ON measurements(run_id);
)sql";

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("results database: ") + sqlite3_errmsg(db));
    }
  }
  ~Stmt() { sqlite3_finalize(s_); }
  sqlite3_stmt* get() { return s_; }
  void Text(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void Int(int i, std::optional<uint64_t> v) {
    if (v)
      sqlite3_bind_int64(s_, i, static_cast<sqlite3_int64>(*v));
    else
      sqlite3_bind_null(s_, i);
  }
  std::string Col(int i) {
    const auto* t = sqlite3_column_text(s_, i);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  std::optional<uint64_t> ColInt(int i) {
    if (sqlite3_column_type(s_, i) == SQLITE_NULL) return std::nullopt;
    return static_cast<uint64_t>(sqlite3_column_int64(s_, i));
  }

 private:
  sqlite3_stmt* s_ = nullptr;
};

MeasuredRow ReadRow(Stmt& q, int first) {
  MeasuredRow r;
  r.hardware = q.Col(first);
  r.device_count = static_cast<uint32_t>(q.ColInt(first + 1).value_or(1));
  r.runtime = q.Col(first + 2);
  r.model = q.Col(first + 3);
  r.quant = q.Col(first + 4);
  r.test = q.Col(first + 5);
  r.n_prompt = q.ColInt(first + 6);
  r.n_gen = q.ColInt(first + 7);
  r.depth = q.ColInt(first + 8);
  r.batch = q.ColInt(first + 9);
  r.value = sqlite3_column_double(q.get(), first + 10);
  r.unit = q.Col(first + 11);
  r.source_id = q.Col(first + 12);
  r.source_url = q.Col(first + 13);
  r.notes = q.Col(first + 14);
  return r;
}

}  // namespace

std::string NowIso8601() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

ResultsStore::ResultsStore(const std::string& path) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : "cannot open";
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error(path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  if (sqlite3_db_readonly(db_, "main") == 1) {
    // A WAL database that cannot be written cannot be read the usual way either (readers write
    // the shared-memory file beside it): read it as an immutable snapshot.
    read_only_ = true;
    sqlite3_close(db_);
    db_ = nullptr;
    std::string uri = "file:";
    for (const char c : path) {
      if (c == '?' || c == '#' || c == '%') {
        char buf[4];
        std::snprintf(buf, sizeof(buf), "%%%02X", static_cast<unsigned char>(c));
        uri += buf;
      } else {
        uri += c;
      }
    }
    uri += "?immutable=1";
    if (sqlite3_open_v2(uri.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) != SQLITE_OK) {
      const std::string msg = db_ ? sqlite3_errmsg(db_) : "cannot open";
      sqlite3_close(db_);
      db_ = nullptr;
      throw std::runtime_error(path + ": read-only, and cannot be read: " + msg);
    }
    try {
      Stmt q(db_, "SELECT value FROM meta WHERE key = 'schema_version'");
      if (sqlite3_step(q.get()) != SQLITE_ROW) throw std::runtime_error("no schema version");
    } catch (const std::runtime_error& e) {
      sqlite3_close(db_);
      db_ = nullptr;
      throw std::runtime_error(path + ": read-only, and not a tokcast results database (" + e.what() + ")");
    }
    return;
  }
  try {
    Exec("PRAGMA journal_mode=WAL");
    Exec("PRAGMA synchronous=FULL");
    Exec("PRAGMA foreign_keys=ON");
    Exec("BEGIN IMMEDIATE");
    Exec(kSchema);
    Exec(("INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '" + std::to_string(kSchemaVersion) + "')")
             .c_str());
    Exec("COMMIT");
  } catch (const std::runtime_error& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error(path + ": not a tokcast results database (" + e.what() + ")");
  }
}

ResultsStore::~ResultsStore() {
  if (db_) sqlite3_close(db_);
}

void ResultsStore::Exec(const char* sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "error";
    sqlite3_free(err);
    throw std::runtime_error(msg);
  }
}

int64_t ResultsStore::InsertOne(const StoredRun& run) {
  {
    Stmt ins(db_,
             "INSERT INTO runs(created_at, kind, tool_version, git_commit, build_type, host_json, result_json) "
             "VALUES(?,?,?,?,?,?,?)");
    ins.Text(1, run.created_at.empty() ? NowIso8601() : run.created_at);
    ins.Text(2, run.kind);
    ins.Text(3, run.tool_version);
    ins.Text(4, run.git_commit);
    ins.Text(5, run.build_type);
    ins.Text(6, run.host_json);
    ins.Text(7, run.result_json);
    if (sqlite3_step(ins.get()) != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db_));
    const int64_t id = sqlite3_last_insert_rowid(db_);
    for (const auto& r : run.rows) {
      Stmt m(db_,
             "INSERT INTO measurements(run_id, hardware, device_count, runtime, model, quant, test, n_prompt, n_gen, "
             "depth, batch, value, unit, source_id, source_url, notes) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
      sqlite3_bind_int64(m.get(), 1, id);
      m.Text(2, r.hardware);
      sqlite3_bind_int64(m.get(), 3, r.device_count);
      m.Text(4, r.runtime);
      m.Text(5, r.model);
      m.Text(6, r.quant);
      m.Text(7, r.test);
      m.Int(8, r.n_prompt);
      m.Int(9, r.n_gen);
      m.Int(10, r.depth);
      m.Int(11, r.batch);
      sqlite3_bind_double(m.get(), 12, r.value);
      m.Text(13, r.unit);
      m.Text(14, r.source_id);
      m.Text(15, r.source_url);
      m.Text(16, r.notes);
      if (sqlite3_step(m.get()) != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db_));
    }
    return id;
  }
}

int64_t ResultsStore::Insert(const StoredRun& run) {
  return InsertMany({run}).front();
}

std::vector<int64_t> ResultsStore::InsertMany(const std::vector<StoredRun>& runs) {
  if (read_only_) {
    throw std::runtime_error(path_ +
                             ": the results database is read-only (check the file's and its folder's "
                             "permissions, or choose another with --db)");
  }
  Exec("BEGIN IMMEDIATE");
  try {
    std::vector<int64_t> ids;
    ids.reserve(runs.size());
    for (const auto& run : runs) ids.push_back(InsertOne(run));
    Exec("COMMIT");
    return ids;
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

namespace {
StoredRun ReadRun(Stmt& q) {
  StoredRun r;
  r.id = sqlite3_column_int64(q.get(), 0);
  r.created_at = q.Col(1);
  r.kind = q.Col(2);
  r.tool_version = q.Col(3);
  r.git_commit = q.Col(4);
  r.build_type = q.Col(5);
  r.host_json = q.Col(6);
  r.result_json = q.Col(7);
  return r;
}
constexpr const char* kRunColumns =
    "id, created_at, kind, tool_version, git_commit, build_type, host_json, result_json";
constexpr const char* kRowColumns =
    "run_id, hardware, device_count, runtime, model, quant, test, n_prompt, n_gen, depth, batch, value, unit, "
    "source_id, "
    "source_url, notes";
}  // namespace

size_t ResultsStore::Count(const std::string& kind) const {
  Stmt q(db_, "SELECT count(*) FROM runs WHERE (?1 = '' OR kind = ?1)");
  q.Text(1, kind);
  return sqlite3_step(q.get()) == SQLITE_ROW ? static_cast<size_t>(sqlite3_column_int64(q.get(), 0)) : 0;
}

std::vector<StoredRun> ResultsStore::List(const std::string& kind, bool payload, size_t limit) const {
  std::vector<StoredRun> out;
  const std::string columns =
      payload ? kRunColumns : "id, created_at, kind, tool_version, git_commit, build_type, '', ''";
  Stmt q(db_, ("SELECT " + columns + " FROM runs WHERE (?1 = '' OR kind = ?1) ORDER BY id DESC LIMIT ?2").c_str());
  q.Text(1, kind);
  sqlite3_bind_int64(q.get(), 2, limit ? static_cast<int64_t>(limit) : -1);
  while (sqlite3_step(q.get()) == SQLITE_ROW) out.push_back(ReadRun(q));
  std::reverse(out.begin(), out.end());
  if (out.empty()) return out;
  // Runs come sorted by id: each measurement finds its run by binary search (linear overall).
  Stmt m(db_, (std::string("SELECT ") + kRowColumns + " FROM measurements WHERE run_id >= ?1 ORDER BY id").c_str());
  sqlite3_bind_int64(m.get(), 1, out.front().id);
  while (sqlite3_step(m.get()) == SQLITE_ROW) {
    const int64_t run_id = sqlite3_column_int64(m.get(), 0);
    auto it =
        std::lower_bound(out.begin(), out.end(), run_id, [](const StoredRun& r, int64_t id) { return r.id < id; });
    if (it != out.end() && it->id == run_id) it->rows.push_back(ReadRow(m, 1));
  }
  return out;
}

std::optional<StoredRun> ResultsStore::Get(int64_t id) const {
  Stmt q(db_, (std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?1").c_str());
  sqlite3_bind_int64(q.get(), 1, id);
  if (sqlite3_step(q.get()) != SQLITE_ROW) return std::nullopt;
  StoredRun r = ReadRun(q);
  Stmt m(db_, (std::string("SELECT ") + kRowColumns + " FROM measurements WHERE run_id = ?1 ORDER BY id").c_str());
  sqlite3_bind_int64(m.get(), 1, id);
  while (sqlite3_step(m.get()) == SQLITE_ROW) r.rows.push_back(ReadRow(m, 1));
  return r;
}

std::vector<MeasuredRow> ResultsStore::AllRows() const {
  std::vector<MeasuredRow> out;
  Stmt m(db_,
         "SELECT id, hardware, device_count, runtime, model, quant, test, n_prompt, n_gen, depth, batch, value, unit, "
         "source_id, source_url, notes FROM measurements ORDER BY id");
  while (sqlite3_step(m.get()) == SQLITE_ROW) {
    MeasuredRow r = ReadRow(m, 1);
    r.line = static_cast<size_t>(sqlite3_column_int64(m.get(), 0));
    out.push_back(std::move(r));
  }
  return out;
}

bool ResultsStore::IntegrityOk() const {
  Stmt q(db_, "PRAGMA integrity_check");
  return sqlite3_step(q.get()) == SQLITE_ROW && q.Col(0) == "ok";
}

}  // namespace tokcast::store
