// Copyright hvdb authors.
#include "shell/server.h"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>

#include <atomic>
#include <charconv>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "hvdb/hvdb.h"
#include "shell/command_line.h"
#include "shell/json_writer.h"
#include "shell/lang/session.h"

namespace hvdb::shell {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

class Server;

// One client: reads a line, runs it in the connection's session, writes the
// answer, reads the next. Handlers run on the connection's strand.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, Server* server, DB* db, const ServeOptions& options)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        buffer_(options.max_request_bytes),
        options_(options),
        server_(server),
        session_(db, output_, output_) {
    session_.mode = OutputMode::kJson;
  }

  void Start() { Read(); }

  // From the server's shutdown: a busy connection closes after answering its
  // request; an idle one after a short grace period, so that a request already
  // on its way is still answered rather than reset.
  void Stop() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      self->stopping_ = true;
      if (self->busy_) return;
      self->timer_.expires_after(std::chrono::milliseconds(250));
      self->timer_.async_wait([self](boost::system::error_code ec) {
        if (!ec && !self->busy_) self->Close();
      });
    });
  }

 private:
  void Read() {
    if (stopping_) return Close();
    timer_.expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->Close();  // idle for too long
    });
    asio::async_read_until(socket_, buffer_, '\n',
                           [self = shared_from_this()](boost::system::error_code ec, size_t n) { self->OnLine(ec, n); });
  }

  void OnLine(boost::system::error_code ec, size_t n) {
    timer_.cancel();
    if (ec == asio::error::not_found) {  // no newline within the limit
      return Reply("{\"error\":\"request longer than " + std::to_string(options_.max_request_bytes) + " bytes\"}",
                   /*then_close=*/true);
    }
    if (ec) return Close();  // gone, possibly mid-request: nothing to answer
    std::string line(asio::buffers_begin(buffer_.data()), asio::buffers_begin(buffer_.data()) + n - 1);
    buffer_.consume(n);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    busy_ = true;
    output_.str("");
    output_.clear();
    if (Unfinished(line)) {
      output_ << "{\"error\":" << JsonString("a request is one line; this one leaves a bracket or string open")
              << "}\n";
    } else {
      session_.Run(line, /*max_statements=*/1);
    }
    Reply(AnswerLine(output_.str()), session_.quit);
  }

  void Reply(std::string answer, bool then_close) {
    reply_ = std::move(answer) + "\n";
    asio::async_write(socket_, asio::buffer(reply_),
                      [self = shared_from_this(), then_close](boost::system::error_code ec, size_t) {
                        self->busy_ = false;
                        if (ec || then_close) return self->Close();
                        self->Read();
                      });
  }

  void Close();

  tcp::socket socket_;
  asio::steady_timer timer_;
  asio::streambuf buffer_;
  const ServeOptions& options_;
  Server* server_;
  std::ostringstream output_;
  Session session_;
  std::string reply_;
  bool busy_ = false;
  bool stopping_ = false;
  bool closed_ = false;
};

class Server {
 public:
  Server(DB* db, const ServeOptions& options)
      : db_(db), options_(options), acceptor_(io_), signals_(io_, SIGINT, SIGTERM) {}

  Status Listen(std::ostream& out) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return Status::InvalidArgument("--listen: '" + options_.host + "' is not an IP address");
    const tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::Unavailable("cannot listen on " + options_.host + ":" + std::to_string(options_.port) + ": " +
                                 ec.message());
    }
    out << "listening on " << options_.host << ":" << acceptor_.local_endpoint().port() << std::endl;
    return Status::OK();
  }

  void Run() {
    signals_.async_wait([this](boost::system::error_code ec, int) {
      if (!ec) Shutdown();
    });
    Accept();
    const unsigned n = options_.threads ? options_.threads : std::max(2u, std::thread::hardware_concurrency());
    std::vector<std::thread> threads;
    for (unsigned i = 1; i < n; ++i) threads.emplace_back([this] { io_.run(); });
    io_.run();
    for (auto& t : threads) t.join();
  }

  void Forget(Connection* c) {
    std::lock_guard lock(mu_);
    live_.erase(c);
  }

 private:
  void Accept() {
    acceptor_.async_accept(asio::make_strand(io_), [this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;  // closed by Shutdown
      auto c = std::make_shared<Connection>(std::move(socket), this, db_, options_);
      {
        std::lock_guard lock(mu_);
        live_[c.get()] = c;
      }
      c->Start();
      Accept();
    });
  }

  void Shutdown() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    std::lock_guard lock(mu_);
    for (auto& [raw, weak] : live_) {
      if (auto c = weak.lock()) c->Stop();
    }
  }

  DB* db_;
  const ServeOptions& options_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  std::mutex mu_;
  std::map<Connection*, std::weak_ptr<Connection>> live_;  // guarded by mu_
};

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  timer_.cancel();
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  server_->Forget(this);
}

// Bounds on the flags: a request line is held in memory whole, and each
// thread is a real one.
constexpr uint64_t kMaxRequestLimit = uint64_t{1} << 30;
constexpr uint64_t kMaxThreads = 1024;

// A port: decimal digits in [0, 65535].
std::optional<uint16_t> Port(const std::string& text) {
  uint16_t port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return port;
}

}  // namespace

std::string AnswerLine(const std::string& output) {
  std::string text = output;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (text.empty()) return "{\"ok\":true}";
  const bool one_line = text.find('\n') == std::string::npos;
  if (one_line && (text.front() == '{' || text.front() == '[')) return text;
  return "{\"output\":" + JsonString(text) + "}";
}

int ServeCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  ServeOptions options;
  std::string path;
  CommandLine flags("serve",
                    "Serves the hvdb language on TCP: one statement or dot-command per line in, one JSON\n"
                    "value per line out (.mode json). Binds 127.0.0.1:7878 unless told otherwise.\n"
                    "SIGINT or SIGTERM stop it gracefully. Clients: hvdb shell --connect HOST:PORT.");
  flags.Positional("PATH", &path, "the database directory (created if missing)");
  flags.Custom("--listen", "HOST:PORT", "the address to listen on; port 0 picks a free one (printed)",
               [&options](const std::string& text) {
                 const size_t colon = text.rfind(':');
                 const std::optional<uint16_t> port =
                     colon == std::string::npos ? std::nullopt : Port(text.substr(colon + 1));
                 if (!port) return "needs HOST:PORT with a port in [0, 65535], got '" + text + "'";
                 options.host = text.substr(0, colon);
                 options.port = *port;
                 return std::string();
               });
  flags.Integer("--max-request", "BYTES", &options.max_request_bytes, 16, kMaxRequestLimit,
                "the longest request line; a longer one is answered with an error and the connection closed");
  flags.Integer("--idle-timeout", "SECONDS", &options.idle_timeout_seconds, 1, UINT32_MAX,
                "close a connection that sends nothing for this long");
  flags.Integer("--threads", "N", &options.threads, 0, kMaxThreads, "threads serving connections (0: one per core)");
  if (const auto rc = flags.Parse(args, out, err)) return *rc;
  std::unique_ptr<DB> db;
  if (Status s = DB::Open({}, path, &db); !s.ok()) {
    err << "hvdb serve: " << s.ToString() << "\n";
    return 1;
  }
  Server server(db.get(), options);
  if (Status s = server.Listen(out); !s.ok()) {
    err << "hvdb serve: " << s.ToString() << "\n";
    return 1;
  }
  server.Run();
  db.reset();  // every connection is closed: the DB closes cleanly
  out << "stopped" << std::endl;
  return 0;
}

}  // namespace hvdb::shell
