// Copyright hvdb authors.
#include "shell/server/server.h"

#include <boost/json.hpp>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "shell/json_writer.h"
#include "shell/server/protocols.h"

namespace hvdb::shell {
namespace {

using asio::ip::tcp;
namespace fs = std::filesystem;

// Whether `c` may stand beside a path in a message: a path starts after one
// of these (or the message's start) and ends before one (or its end).
bool PathBoundary(char c) { return c == '\'' || c == '"' || c == ' ' || c == ':' || c == '(' || c == ')' || c == ','; }

// `text` with each whole occurrence of the absolute path `path` replaced:
// by `inside` when a '/' follows (what follows stays), else by `whole`.
std::string ReplacePath(std::string_view text, const std::string& path, std::string_view whole,
                        std::string_view inside) {
  if (path.empty() || path == "/") return std::string(text);
  std::string out;
  size_t done = 0;
  for (size_t at = text.find(path); at != std::string_view::npos; at = text.find(path, at + 1)) {
    if (at < done) continue;
    const size_t end = at + path.size();
    const bool starts = at == 0 || PathBoundary(text[at - 1]);
    const bool in = end < text.size() && text[end] == '/';
    const bool ends = end == text.size() || PathBoundary(text[end]);
    if (!starts || !(in || ends)) continue;
    out.append(text, done, at - done);
    out += in ? inside : whole;
    done = in ? end + 1 : end;
  }
  out.append(text, done);
  return out;
}

std::string Canonical(const std::string& path) {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? path : canonical.string();
}

}  // namespace

Server::Server(DB* db, std::string db_path, ServeOptions options, TokenTable tokens)
    : db_(db),
      db_path_(std::move(db_path)),
      options_(std::move(options)),
      tokens_(std::move(tokens)),
      workers_(options_.workers ? options_.workers : std::max(2u, std::thread::hardware_concurrency())),
      signals_(io_, SIGINT, SIGTERM),
      control_(asio::make_strand(io_)),
      grace_(control_) {
  std::error_code ec;
  db_absolute_ = fs::absolute(db_path_, ec).lexically_normal().string();
  db_canonical_ = Canonical(db_path_);
  if (!options_.files_dir.empty()) files_canonical_ = Canonical(options_.files_dir);
}

Server::~Server() {
  workers_.join();
}

Status Server::Start(std::ostream& out) {
  if (!options_.tls_cert.empty()) {
    tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    tls_->use_certificate_chain_file(options_.tls_cert, ec);
    if (ec) return Status::InvalidArgument("--tls-cert '" + options_.tls_cert + "': " + ec.message());
    tls_->use_private_key_file(options_.tls_key, asio::ssl::context::pem, ec);
    if (ec) return Status::InvalidArgument("--tls-key '" + options_.tls_key + "': " + ec.message());
  }
  if (options_.lines.enabled()) {
    listeners_.push_back(std::make_unique<Listener>(io_, Protocol::kLines));
    HVDB_RETURN_IF_ERROR(Bind(listeners_.back().get(), options_.lines, out, "listening on"));
  }
  if (options_.http.enabled()) {
    listeners_.push_back(std::make_unique<Listener>(io_, Protocol::kHttp));
    HVDB_RETURN_IF_ERROR(Bind(listeners_.back().get(), options_.http, out, "http on"));
  }
  if (listeners_.empty()) return Status::InvalidArgument("nothing to listen on (give --listen or --http)");
  out.flush();
  return Status::OK();
}

Status Server::Bind(Listener* listener, const Endpoint& endpoint, std::ostream& out, const char* label) {
  boost::system::error_code ec;
  tcp::resolver resolver(io_);
  const auto results = resolver.resolve(endpoint.host, std::to_string(endpoint.port), ec);
  if (ec || results.empty()) return Status::InvalidArgument("cannot resolve '" + endpoint.host + "': " + ec.message());
  const tcp::endpoint at = results.begin()->endpoint();
  tcp::acceptor& a = listener->acceptor;
  a.open(at.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(at, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable("cannot listen on " + endpoint.host + ":" + std::to_string(endpoint.port) + ": " +
                               ec.message());
  }
  out << label << " " << endpoint.host << ":" << a.local_endpoint().port() << (tls_ ? " (tls)" : "") << std::endl;
  return Status::OK();
}

void Server::Run() {
  signals_.async_wait(asio::bind_executor(control_, [this](boost::system::error_code ec, int) {
    if (!ec) Shutdown();
  }));
  asio::post(control_, [this] {
    for (auto& l : listeners_) Accept(l.get());
  });
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < std::max(1u, options_.io_threads); ++i) threads.emplace_back([this] { io_.run(); });
  io_.run();
  for (auto& t : threads) t.join();
  workers_.join();  // statements cancelled at shutdown end at their next step
}

void Server::Accept(Listener* listener) {
  // Each connection on its own strand; this handler on control_, so that
  // Shutdown never runs beside it.
  listener->acceptor.async_accept(asio::make_strand(io_), asio::bind_executor(control_, [this, listener](
                                                                                  boost::system::error_code ec,
                                                                                  tcp::socket socket) {
    if (stopping_) return;  // the socket closes here
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // Out of file descriptors (EMFILE, ENFILE), buffers, or a connection
      // reset before it was accepted: the listen queue keeps the clients;
      // try again shortly rather than never again.
      metrics_.Refused("accept failed: " + ec.message());
      listener->retry.expires_after(std::chrono::milliseconds(100));
      listener->retry.async_wait(asio::bind_executor(control_, [this, listener](boost::system::error_code wait) {
        if (!wait && !stopping_) Accept(listener);
      }));
      return;
    }
    size_t open = 0;
    {
      MutexLock lock(mu_);
      open = connections_.size();
    }
    if (open >= options_.max_connections) {
      metrics_.Refused("connections");
      Refuse(std::move(socket), listener->protocol);
    } else if (listener->protocol == Protocol::kLines) {
      StartLinesConnection(this, std::move(socket));
    } else {
      StartHttpConnection(this, std::move(socket));
    }
    Accept(listener);
  }));
}

void Server::Refuse(tcp::socket socket, Protocol protocol) {
  // One small write that cannot block (a TLS client gets no words: it would
  // take a handshake), then the connection is closed.
  if (!tls_) {
    const std::string message = "{\"error\":\"too many connections (" + std::to_string(options_.max_connections) +
                                ") to this server; try again later\"}";
    const std::string answer =
        protocol == Protocol::kLines
            ? message + "\n"
            : "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
              "Connection: close\r\nContent-Length: " +
                  std::to_string(message.size()) + "\r\n\r\n" + message;
    boost::system::error_code ec;
    socket.non_blocking(true, ec);
    socket.write_some(asio::buffer(answer), ec);
  }
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

void Server::Shutdown() {
  stopping_ = true;
  boost::system::error_code ignored;
  signals_.cancel(ignored);  // a second signal ends the process the usual way
  for (auto& l : listeners_) {
    l->acceptor.close(ignored);
    l->retry.cancel();
  }
  std::vector<std::shared_ptr<Connection>> open;
  {
    MutexLock lock(mu_);
    for (auto& [raw, weak] : connections_) {
      if (auto c = weak.lock()) open.push_back(std::move(c));
    }
  }
  for (auto& c : open) c->Stop();
  if (open.empty()) return;
  // Whatever is still open after the grace period is cancelled and closed.
  grace_.expires_after(std::chrono::seconds(options_.grace_seconds));
  grace_.async_wait(asio::bind_executor(control_, [this](boost::system::error_code ec) {
    if (ec) return;
    std::vector<std::shared_ptr<Connection>> left;
    {
      MutexLock lock(mu_);
      for (auto& [raw, weak] : connections_) {
        if (auto c = weak.lock()) left.push_back(std::move(c));
      }
    }
    for (auto& c : left) c->Abort();
  }));
}

void Server::Add(const std::shared_ptr<Connection>& connection) {
  MutexLock lock(mu_);
  connections_[connection.get()] = connection;
}

void Server::Remove(Connection* connection) {
  {
    MutexLock lock(mu_);
    connections_.erase(connection);
  }
  if (!stopping_) return;
  // The last one gone: no need to wait out the grace period. On control_,
  // after Shutdown has armed the timer (or found nothing to wait for).
  asio::post(control_, [this] {
    MutexLock lock(mu_);
    if (connections_.empty()) grace_.cancel();
  });
}

SessionPolicy Server::Policy(Role role, const std::atomic<bool>* cancel) const {
  SessionPolicy p;
  p.files = files_canonical_.empty() ? SessionPolicy::Files::kNone : SessionPolicy::Files::kInside;
  p.files_dir = files_canonical_;
  p.read_only = role == Role::kReadOnly;
  p.max_nesting = static_cast<int>(options_.max_nesting);
  p.max_read_depth = static_cast<int>(options_.max_read_depth);
  p.max_work = options_.max_work;
  p.max_variable_bytes = options_.max_variable_bytes;
  p.max_hits = options_.max_hits;
  p.redact = [this](std::string_view message) { return Redact(message); };
  p.progress_bars = false;
  p.cancel = cancel;
  return p;
}

std::string Server::Redact(std::string_view message) const {
  std::string text(message);
  if (!files_canonical_.empty()) text = ReplacePath(text, files_canonical_, ".", "");
  text = ReplacePath(text, db_canonical_, "<database>", "<database>/");
  if (db_absolute_ != db_canonical_) text = ReplacePath(text, db_absolute_, "<database>", "<database>/");
  return text;
}

void Server::RunRequest(asio::any_io_executor executor, std::shared_ptr<std::atomic<bool>> cancel,
                        std::function<void()> work, std::function<void(const std::string&)> done) {
  auto timer = std::make_shared<asio::steady_timer>(executor);
  // The guard keeps the I/O threads running until `done` is queued.
  asio::post(workers_, [this, executor, timer, cancel, work = std::move(work), done = std::move(done),
                        guard = asio::make_work_guard(executor)]() mutable {
    // The time limit counts from here, not from the queue: only this thread
    // touches the timer until `done` (posted below) cancels it.
    timer->expires_after(std::chrono::seconds(options_.request_timeout_seconds));
    timer->async_wait([cancel](boost::system::error_code ec) {
      if (!ec) cancel->store(true);
    });
    std::string failure;
    try {
      work();
    } catch (const std::exception& e) {  // a bug, reported to the client and on stderr; the server goes on
      failure = e.what();
      std::fprintf(stderr, "hvdb serve: a request failed: %s\n", e.what());
    }
    asio::post(executor, [timer, done = std::move(done), failure = std::move(failure)] {
      timer->cancel();
      done(failure);
    });
    guard.reset();
  });
}

std::string AnswerLine(const std::string& output) {
  std::string text = output;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (text.empty()) return "{\"ok\":true}";
  const bool one_line = text.find('\n') == std::string::npos;
  if (one_line && (text.front() == '{' || text.front() == '[')) {
    // Text that only looks like JSON (a table row of a key "[x") is text.
    boost::system::error_code ec;
    boost::json::parse(text, ec);
    if (!ec) return text;
  }
  return "{\"output\":" + JsonString(text) + "}";
}

int HttpStatus(const Status& status) {
  switch (status.code()) {
    case Status::Code::kOk: return 200;
    case Status::Code::kInvalidArgument: return 400;
    case Status::Code::kNotFound: return 404;
    case Status::Code::kAlreadyExists: return 409;  // Conflict
    case Status::Code::kUnavailable: return 503;
    case Status::Code::kResourceExhausted:
      // A full disk is the server's trouble; any other exhausted resource is
      // a limit the request went past.
      return status.message().find("No space left") != std::string::npos ? 507 : 429;
    case Status::Code::kCorruption:
    case Status::Code::kIOError: return 500;
  }
  return 500;
}

}  // namespace hvdb::shell
