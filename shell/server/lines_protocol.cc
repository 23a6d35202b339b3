// Copyright hvdb authors. The JSON-lines protocol of `hvdb serve --listen`:
// one statement or dot-command a line in, one JSON value a line out; the
// connection's session keeps its variables and settings. With tokens the
// first line must be `.auth TOKEN`. In json mode (the default) an answer is
// what `.mode json` prints; in table or csv mode (`hvdb shell --connect`
// asks for table) it is {"output": TEXT, "error": MESSAGE}, which the client
// prints as the local shell would.
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <sstream>

#include "shell/json_writer.h"
#include "shell/lang/lexer.h"
#include "shell/lang/session.h"
#include "shell/server/protocols.h"

namespace hvdb::shell {
namespace {

namespace beast = boost::beast;
using Clock = std::chrono::steady_clock;

template <class Stream>
class LinesConnection : public Connection, public std::enable_shared_from_this<LinesConnection<Stream>> {
 public:
  template <class... Args>
  LinesConnection(Server* server, Args&&... stream_args)
      : server_(server),
        stream_(std::forward<Args>(stream_args)...),
        buffer_(server->options().max_request_bytes + 1),
        session_(server->db(), out_, err_) {
    session_.mode = OutputMode::kJson;
    session_.policy = server->Policy(server->auth_required() ? Role::kReadOnly : Role::kReadWrite, cancel_.get());
    session_.on_statement = [server](const Statement& s, const SearchStats* stats) {
      server->metrics().Statement(s, stats);
    };
    authenticated_ = !server->auth_required();
  }

  void Start() {
    server_->metrics().ConnectionOpened("lines");
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      Read();
    } else {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(server_->options().write_timeout_seconds));
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Close();
                                self->Read();
                              });
    }
  }

  void Stop() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (!self->busy_) self->Close();  // a busy one closes after its answer
    });
  }

  void Abort() override {
    cancel_->store(true);
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->Close(); });
  }

 private:
  void Read() {
    if (closed_) return;
    if (server_->stopping()) return Close();
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(server_->options().idle_timeout_seconds));
    asio::async_read_until(stream_, buffer_, '\n',
                           [self = this->shared_from_this()](beast::error_code ec, size_t n) { self->OnLine(ec, n); });
  }

  void OnLine(beast::error_code ec, size_t n) {
    if (ec == asio::error::not_found) {  // no newline within the limit
      return Reply(ErrorValue("request longer than " + std::to_string(server_->options().max_request_bytes) +
                              " bytes"),
                   /*then_close=*/true);
    }
    if (ec) return Close();  // gone, idle too long, or mid-request: nothing to answer
    std::string line(asio::buffers_begin(buffer_.data()), asio::buffers_begin(buffer_.data()) + n - 1);
    buffer_.consume(n);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    started_ = Clock::now();
    if (server_->stopping()) {
      server_->metrics().Refused("stopping");
      return Reply(ErrorValue("the server is stopping"), /*then_close=*/true);
    }
    const size_t first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line.compare(first, 6, ".auth ") == 0) return Authenticate(line.substr(first + 6));
    if (!authenticated_) {
      server_->metrics().Refused("auth");
      Count("auth", 401);
      return Reply(ErrorValue("authentication required: send `.auth TOKEN` first (hvdb shell --connect ADDRESS "
                              "--token-file FILE)"),
                   /*then_close=*/true);
    }
    if (Unfinished(line)) {
      return Reply(ErrorValue("a request is one line; this one leaves a bracket or string open"), false);
    }
    route_ = first != std::string::npos && line[first] == '.' ? "dot-command" : "statement";
    busy_ = true;
    cancel_->store(false);
    server_->RunRequest(
        stream_.get_executor(), cancel_,
        [self = this->shared_from_this(), line = std::move(line)] { self->Execute(line); },
        [self = this->shared_from_this()] {
          self->busy_ = false;
          self->Reply(std::move(self->answer_), self->session_.quit || self->server_->stopping());
        });
  }

  // On a worker: runs the line in the session; the answer goes to answer_.
  void Execute(const std::string& line) {
    out_.str("");
    err_.str("");
    const size_t errors = session_.errors();
    session_.Run(line, /*max_statements=*/1);
    const bool failed = session_.errors() != errors;
    Count(route_, failed ? HttpStatus(session_.last_error()) : 200);
    if (session_.mode == OutputMode::kJson) {
      answer_ = server_->Sanitize(AnswerLine(out_.str() + err_.str()));
      return;
    }
    std::string output = out_.str(), error = err_.str();
    if (failed && error.rfind("Error: ", 0) == 0) error = session_.last_error().message();
    while (!error.empty() && error.back() == '\n') error.pop_back();
    std::string answer = "{";
    if (!output.empty()) answer += "\"output\":" + JsonString(output);
    if (!error.empty()) answer += std::string(output.empty() ? "" : ",") + "\"error\":" + JsonString(error);
    answer_ = server_->Sanitize(answer == "{" ? "{\"ok\":true}" : answer + "}");
  }

  void Authenticate(const std::string& token) {
    if (!server_->auth_required()) {
      Count("auth", 200);
      return Reply("{\"ok\":true}", false);
    }
    const std::optional<Role> role = server_->Authenticate(token);
    if (!role) {
      server_->metrics().Refused("auth");
      Count("auth", 401);
      return Reply(ErrorValue("that token is not valid here"), /*then_close=*/true);
    }
    authenticated_ = true;
    session_.policy.read_only = *role == Role::kReadOnly;
    Count("auth", 200);
    Reply(std::string("{\"ok\":true,\"role\":\"") + (*role == Role::kReadOnly ? "read-only" : "read-write") + "\"}",
          false);
  }

  void Reply(std::string answer, bool then_close) {
    if (closed_) return;
    reply_ = std::move(answer) + "\n";
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(server_->options().write_timeout_seconds));
    asio::async_write(stream_, asio::buffer(reply_),
                      [self = this->shared_from_this(), then_close](beast::error_code ec, size_t) {
                        if (ec || then_close) return self->Close();
                        self->Read();
                      });
  }

  void Count(const std::string& route, int status) {
    const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    server_->metrics().Request("lines", route, status, seconds);
  }

  static std::string ErrorValue(const std::string& message) { return "{\"error\":" + JsonString(message) + "}"; }

  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    server_->metrics().ConnectionClosed("lines");
    server_->Remove(this);
  }

  Server* server_;
  Stream stream_;
  asio::streambuf buffer_;
  std::ostringstream out_, err_;
  std::shared_ptr<std::atomic<bool>> cancel_ = std::make_shared<std::atomic<bool>>(false);
  Session session_;
  bool authenticated_ = false;
  bool busy_ = false;
  bool closed_ = false;
  std::string route_;
  std::string answer_;
  std::string reply_;
  Clock::time_point started_ = Clock::now();
};

}  // namespace

void StartLinesConnection(Server* server, asio::ip::tcp::socket socket) {
  if (server->tls() != nullptr) {
    auto c = std::make_shared<LinesConnection<beast::ssl_stream<beast::tcp_stream>>>(server, std::move(socket),
                                                                                    *server->tls());
    server->Add(c);
    c->Start();
  } else {
    auto c = std::make_shared<LinesConnection<beast::tcp_stream>>(server, std::move(socket));
    server->Add(c);
    c->Start();
  }
}

}  // namespace hvdb::shell
