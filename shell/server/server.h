// Copyright hvdb authors. The server behind `hvdb serve` (docs/server.md):
// two protocols (JSON lines, HTTP/1.1 with JSON) on Boost.Asio and Beast,
// optionally over TLS; I/O on a few threads, statements on a worker pool, so
// a slow statement never delays another client's I/O; bearer tokens, the
// session policy (files, read-only, limits) for every client; an acceptor
// that survives running out of file descriptors; SIGTERM: stop accepting,
// let requests in flight finish within a grace period, then cancel and close.
#ifndef HVDB_SHELL_SERVER_SERVER_H_
#define HVDB_SHELL_SERVER_SERVER_H_

#include <utility>  // before Asio: Boost's awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "hvdb/hvdb.h"
#include "shell/lang/policy.h"
#include "shell/server/metrics.h"
#include "shell/server/options.h"
#include "shell/server/tokens.h"

namespace hvdb::shell {

namespace asio = boost::asio;

// A client connection, as the server sees it at shutdown.
class Connection {
 public:
  virtual ~Connection() = default;
  // Close once the request in flight (if any) is answered.
  virtual void Stop() = 0;
  // Close now, cancelling the statements in flight.
  virtual void Abort() = 0;
};

class Server {
 public:
  // db and the options outlive the server. db_path: as the operator gave it
  // (answers to clients never show it).
  Server(DB* db, std::string db_path, ServeOptions options, TokenTable tokens);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads TLS, binds every endpoint and prints "listening on HOST:PORT"
  // (JSON lines) and "http on HOST:PORT" lines to out. An error says why.
  Status Start(std::ostream& out);
  // Serves until SIGINT or SIGTERM, then stops (see the file comment).
  void Run();

  // ---- For the protocols.
  asio::io_context& io() { return io_; }
  const ServeOptions& options() const { return options_; }
  DB* db() const { return db_; }
  Metrics& metrics() { return metrics_; }
  asio::ssl::context* tls() { return tls_.get(); }
  bool stopping() const { return stopping_.load(); }
  bool auth_required() const { return !tokens_.empty(); }
  // The role of a presented token; nullopt when it is no token of ours.
  std::optional<Role> Authenticate(std::string_view token) const { return tokens_.Find(token); }
  // What a client of `role` may do; cancel: the flag its request timer sets.
  SessionPolicy Policy(Role role, const std::atomic<bool>* cancel) const;
  // An error message with the server's own paths taken out: the database
  // directory becomes "<database>", the files directory's prefix disappears
  // (paths inside it stay, relative to it). Only whole paths are replaced
  // (at a path boundary); answers that carry data are never rewritten.
  std::string Redact(std::string_view message) const;
  // Runs `work` on a worker thread, then `done` on `executor`. The request
  // time limit counts from when a worker starts it; past it *cancel turns
  // true (the statements stop at their next step). `done` runs either way,
  // with "" or, when `work` threw, what it threw (the server goes on).
  void RunRequest(asio::any_io_executor executor, std::shared_ptr<std::atomic<bool>> cancel,
                  std::function<void()> work, std::function<void(const std::string& failure)> done);
  void Add(const std::shared_ptr<Connection>& connection) HVDB_EXCLUDES(mu_);
  void Remove(Connection* connection) HVDB_EXCLUDES(mu_);

 private:
  enum class Protocol { kLines, kHttp };
  struct Listener {
    Listener(asio::io_context& io, Protocol p) : protocol(p), acceptor(io), retry(io) {}
    Protocol protocol;
    asio::ip::tcp::acceptor acceptor;
    asio::steady_timer retry;  // after EMFILE and the like
  };
  Status Bind(Listener* listener, const Endpoint& endpoint, std::ostream& out, const char* label);
  void Accept(Listener* listener);
  void Refuse(asio::ip::tcp::socket socket, Protocol protocol);
  void Shutdown();

  DB* db_;
  const std::string db_path_;
  std::string db_absolute_;   // as given, made absolute
  std::string db_canonical_;  // links resolved
  std::string files_canonical_;
  const ServeOptions options_;
  const TokenTable tokens_;
  Metrics metrics_;
  asio::io_context io_;
  asio::thread_pool workers_;
  std::unique_ptr<asio::ssl::context> tls_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  asio::signal_set signals_;
  // Accepting, the signals, shutting down and the grace timer run here,
  // one at a time.
  asio::strand<asio::io_context::executor_type> control_;
  asio::steady_timer grace_;
  std::atomic<bool> stopping_{false};
  Mutex mu_;
  std::map<Connection*, std::weak_ptr<Connection>> connections_ HVDB_GUARDED_BY(mu_);
};

// The answer to one JSON-lines request in json mode: the session's output
// when it is one line of valid JSON, {"ok":true} when it printed nothing,
// {"output": "..."} around any other text.
std::string AnswerLine(const std::string& output);

// The HTTP status for an error of the database or the language.
int HttpStatus(const Status& status);

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_SERVER_SERVER_H_
