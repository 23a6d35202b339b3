// Copyright hvdb authors.
#include "shell/server/serve_command.h"

#include <filesystem>

#include "shell/command_line.h"
#include "shell/server/server.h"

namespace hvdb::shell {
namespace {

constexpr uint64_t kMaxRequestLimit = uint64_t{1} << 30;  // a request is held in memory whole
constexpr uint64_t kMaxThreads = 1024;                    // each is a real thread
constexpr uint64_t kMaxSeconds = UINT32_MAX;

int Fail(const std::string& message, std::ostream& err) {
  err << "hvdb serve: " << message << "\n";
  return 1;
}

// Clients write files in the files directory: never over the database's
// own. "" when apart; else why not. Both paths made absolute, links resolved
// as far as they exist.
std::string FilesOverlapDatabase(const std::string& files_dir, const std::string& db_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path files = fs::weakly_canonical(fs::absolute(files_dir, ec), ec);
  const fs::path database = ec ? fs::path() : fs::weakly_canonical(fs::absolute(db_path, ec), ec);
  const auto within = [](const fs::path& inner, const fs::path& outer) {
    const fs::path rel = inner.lexically_relative(outer);
    return !rel.empty() && *rel.begin() != "..";
  };
  if (!ec && !within(files, database) && !within(database, files)) return "";
  return "--files-dir '" + files_dir + "' and the database '" + db_path +
         "' overlap: clients could overwrite the database's files; give a directory apart from it";
}

}  // namespace

int ServeCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  ServeOptions o;
  std::string path;
  bool no_lines = false;
  CommandLine flags("serve",
                    "Serves the database to clients (docs/server.md): the shell language as JSON lines on\n"
                    "--listen (hvdb shell --connect), HTTP/1.1 with JSON, /metrics and a web console on\n"
                    "--http. Loopback only unless tokens are given. SIGINT or SIGTERM stop it gracefully.");
  flags.Positional("PATH", &path, "the database directory (created if missing)");
  auto endpoint = [](Endpoint* e) {
    return [e](const std::string& text) { return ParseEndpoint(text, e); };
  };
  flags.Custom("--listen", "HOST:PORT", "JSON lines (default 127.0.0.1:7878; port 0: any free one, printed)",
               endpoint(&o.lines));
  flags.Switch("--no-listen", &no_lines, "no JSON-lines endpoint (HTTP only)");
  flags.Custom("--http", "HOST:PORT", "HTTP/1.1 with JSON, /metrics, /openapi.json and the console at /",
               endpoint(&o.http));
  flags.Text("--auth-token-file", "FILE", &o.auth_token_file,
             "bearer tokens, a line each: TOKEN read-only|read-write (required beyond loopback)");
  flags.Text("--files-dir", "DIR", &o.files_dir,
             "the only directory clients may read and write files in (.read, .import, .export)");
  flags.Text("--tls-cert", "FILE", &o.tls_cert, "TLS on both protocols: the certificate chain (PEM)");
  flags.Text("--tls-key", "FILE", &o.tls_key, "TLS: the private key (PEM)");
  flags.Integer("--max-connections", "N", &o.max_connections, 1, 1 << 20, "connections open at once (256)");
  flags.Integer("--max-request", "BYTES", &o.max_request_bytes, 16, kMaxRequestLimit,
                "the longest request line or HTTP body (1 MiB)");
  flags.Integer("--max-statements", "N", &o.max_statements, 1, 1 << 20, "statements in one HTTP request (64)");
  flags.Integer("--max-hits", "N", &o.max_hits, 1, uint64_t{1} << 32, "hits one search may answer (100000)");
  flags.Integer("--max-nesting", "N", &o.max_nesting, 1, 256, "how deep an expression may nest (64)");
  flags.Integer("--max-read-depth", "N", &o.max_read_depth, 0, 16, "how deep .read may nest (4)");
  flags.Integer("--max-work", "BITS", &o.max_work, 1, UINT64_MAX,
                "one call's work: dimension x letters of a text or members of a bundle (2^34)");
  flags.Integer("--max-variable-bytes", "BYTES", &o.max_variable_bytes, 1, UINT64_MAX,
                "what one session's variables may hold (64 MiB)");
  flags.Integer("--request-timeout", "SECONDS", &o.request_timeout_seconds, 1, kMaxSeconds,
                "a request's statements stop past this (30)");
  flags.Integer("--idle-timeout", "SECONDS", &o.idle_timeout_seconds, 1, kMaxSeconds,
                "close a connection that sends nothing for this long (300)");
  flags.Integer("--write-timeout", "SECONDS", &o.write_timeout_seconds, 1, kMaxSeconds,
                "close a connection that does not read its answer for this long (30)");
  flags.Integer("--grace", "SECONDS", &o.grace_seconds, 0, kMaxSeconds,
                "at SIGTERM, how long requests in flight may take before they are cancelled (10)");
  flags.Integer("--io-threads", "N", &o.io_threads, 1, kMaxThreads, "threads doing socket I/O (2)");
  flags.Integer("--workers", "N", &o.workers, 0, kMaxThreads, "threads running statements (0: one per core)");
  flags.Integer("--threads", "N", &o.workers, 0, kMaxThreads, "the same as --workers");
  if (const auto rc = flags.Parse(args, out, err)) return *rc;
  if (no_lines) o.lines = {};
  if (o.tls_cert.empty() != o.tls_key.empty()) return flags.UsageError("--tls-cert and --tls-key go together", err);

  // Mistakes refused before anything listens.
  TokenTable tokens;
  if (!o.auth_token_file.empty()) {
    auto loaded = TokenTable::Load(o.auth_token_file);
    if (!loaded.ok()) return Fail(loaded.status().ToString(), err);
    tokens = std::move(*loaded);
    std::error_code ec;
    const auto perms = std::filesystem::status(o.auth_token_file, ec).permissions();
    using std::filesystem::perms::group_read, std::filesystem::perms::others_read, std::filesystem::perms::none;
    if (!ec && (perms & (group_read | others_read)) != none) {
      err << "hvdb serve: warning: other users can read the tokens in '" << o.auth_token_file << "' (chmod 600 "
          << o.auth_token_file << ")\n";
    }
  }
  for (const Endpoint* e : {&o.lines, &o.http}) {
    if (e->enabled() && !IsLoopback(e->host) && tokens.empty()) {
      return Fail("listening on " + e->host + " (beyond this machine) needs --auth-token-file: without tokens "
                  "anyone who reaches the port could read and change the database (docs/server.md)",
                  err);
    }
  }
  if (!o.files_dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(o.files_dir, ec)) return Fail("--files-dir '" + o.files_dir + "' is not a directory", err);
    if (std::string overlap = FilesOverlapDatabase(o.files_dir, path); !overlap.empty()) return Fail(overlap, err);
  }
  // Absolute, so that every message of the database names it one way (the
  // server takes that path out of what it tells clients).
  std::error_code ec;
  const std::string absolute = std::filesystem::absolute(path, ec).lexically_normal().string();
  if (ec) return Fail("cannot make '" + path + "' absolute: " + ec.message(), err);
  std::unique_ptr<DB> db;
  if (Status s = DB::Open({}, absolute, &db); !s.ok()) return Fail(s.ToString(), err);
  // Once more now that the directory exists (links resolved): a check that
  // passed on a path not yet there must hold for the one opened.
  if (!o.files_dir.empty()) {
    if (std::string overlap = FilesOverlapDatabase(o.files_dir, absolute); !overlap.empty()) return Fail(overlap, err);
  }
  {
    Server server(db.get(), absolute, o, std::move(tokens));
    if (Status s = server.Start(out); !s.ok()) return Fail(s.ToString(), err);
    server.Run();
  }
  db.reset();  // every connection is closed and every statement done: the DB closes cleanly
  out << "stopped" << std::endl;
  return 0;
}

}  // namespace hvdb::shell
