// Copyright hvdb authors. The JSON-lines protocol of `hvdb serve --listen`:
// one statement or dot-command a line in, one JSON value a line out; the
// connection's session keeps its variables and settings. With tokens the
// first line must be `.auth TOKEN`. In json mode (the default) an answer is
// what `.mode json` prints; in table or csv mode (`hvdb shell --connect`
// asks for table) it is {"output": TEXT, "error": MESSAGE, "notice": TEXT}
// (each when present; a notice is .timer's line), which the client prints as
// the local shell would.
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <sstream>

#include "shell/json_writer.h"
#include "shell/lang/lexer.h"
#include "shell/lang/session.h"
#include "shell/server/connection.h"
#include "shell/server/protocols.h"

namespace hvdb::shell {
namespace {

namespace beast = boost::beast;
using Clock = std::chrono::steady_clock;

template <class Stream>
class LinesConnection : public StreamConnection<LinesConnection<Stream>, Stream> {
  using Base = StreamConnection<LinesConnection<Stream>, Stream>;
  friend Base;
  using Base::cancel_, Base::closed_, Base::running_, Base::server_, Base::stream_, Base::trusted_, Base::writing_;

 public:
  template <class... Args>
  LinesConnection(Server* server, Args&&... stream_args)
      : Base(server, "lines", std::forward<Args>(stream_args)...),
        buffer_(server->options().max_request_bytes + 1),
        session_(server->db(), out_, err_) {
    session_.mode = OutputMode::kJson;
    session_.RouteNotices(&notice_);
    session_.policy = server->Policy(server->auth_required() ? Role::kReadOnly : Role::kReadWrite, cancel_.get());
    session_.on_statement = [server](const Statement& s, const SearchStats* stats) {
      server->metrics().Statement(s, stats);
    };
    authenticated_ = !server->auth_required();
  }

 private:
  void Read() {
    if (closed_) return;
    if (server_->stopping()) return this->Close();
    this->ExpireWhileWaiting();
    asio::async_read_until(stream_, buffer_, '\n',
                           [self = this->Self()](beast::error_code ec, size_t n) { self->OnLine(ec, n); });
  }

  void OnLine(beast::error_code ec, size_t n) {
    if (ec == asio::error::not_found) {  // no newline within the limit
      return Reply(ErrorValue("request longer than " + std::to_string(server_->options().max_request_bytes) +
                              " bytes"),
                   /*then_close=*/true);
    }
    if (ec) return this->Close();  // gone, idle too long, or mid-request: nothing to answer
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
    trusted_ = true;
    if (Unfinished(line)) {
      return Reply(ErrorValue("a request is one line; this one leaves a bracket or string open"), false);
    }
    route_ = first != std::string::npos && line[first] == '.' ? "dot-command" : "statement";
    running_ = true;
    cancel_->store(false);
    server_->RunRequest(
        stream_.get_executor(), cancel_,
        [self = this->Self(), line = std::move(line)] { self->Execute(line); },
        [self = this->Self()](const std::string& failure) {
          self->running_ = false;
          if (!failure.empty()) self->answer_ = ErrorValue("the server failed this request: " + failure);
          self->Reply(std::move(self->answer_), self->session_.quit || self->server_->stopping());
        });
  }

  // On a worker: runs the line in the session; the answer goes to answer_.
  void Execute(const std::string& line) {
    out_.str("");
    err_.str("");
    notice_.str("");
    const size_t errors = session_.errors();
    session_.Run(line, /*max_statements=*/1);
    const bool failed = session_.errors() != errors;
    Count(route_, failed ? HttpStatus(session_.last_error()) : 200);
    std::string output = out_.str(), error = err_.str();
    if (session_.mode == OutputMode::kJson) {
      answer_ = AnswerLine(output + error);
      // A .read that failed part way printed several lines: the client sees
      // them as output, and the error beside them.
      if (!failed || answer_.rfind("{\"error\":", 0) == 0) return;
      while (!output.empty() && output.back() == '\n') output.pop_back();
      answer_ = "{\"output\":" + JsonString(output) + ",\"error\":" + JsonString(session_.last_error().message()) + "}";
      return;
    }
    if (failed && error.rfind("Error: ", 0) == 0) error = session_.last_error().message();
    while (!error.empty() && error.back() == '\n') error.pop_back();
    std::string answer = "{";
    if (!output.empty()) answer += "\"output\":" + JsonString(output);
    if (!error.empty()) answer += std::string(answer.size() > 1 ? "," : "") + "\"error\":" + JsonString(error);
    // .timer: shown by the client on stderr, not as an error.
    if (const std::string notice = notice_.str(); !notice.empty()) {
      answer += std::string(answer.size() > 1 ? "," : "") + "\"notice\":" + JsonString(notice);
    }
    answer_ = answer == "{" ? "{\"ok\":true}" : answer + "}";
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
    trusted_ = true;
    session_.policy.read_only = *role == Role::kReadOnly;
    Count("auth", 200);
    Reply(std::string("{\"ok\":true,\"role\":\"") + (*role == Role::kReadOnly ? "read-only" : "read-write") + "\"}",
          false);
  }

  // Writes one answer (Stop gives it kShutdownWriteSeconds).
  void Reply(std::string answer, bool then_close) {
    if (closed_) return;
    reply_ = std::move(answer) + "\n";
    this->StartWrite();
    asio::async_write(stream_, asio::buffer(reply_), [self = this->Self(), then_close](beast::error_code ec, size_t) {
      self->writing_ = false;
      if (ec || then_close) return self->Close();
      self->Read();
    });
  }

  void Count(const std::string& route, int status) {
    const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    server_->metrics().Request("lines", route, status, seconds);
  }

  static std::string ErrorValue(const std::string& message) { return "{\"error\":" + JsonString(message) + "}"; }

  asio::streambuf buffer_;
  std::ostringstream out_, err_, notice_;
  Session session_;
  bool authenticated_ = false;
  std::string route_;
  std::string answer_;
  std::string reply_;
  Clock::time_point started_ = Clock::now();
};

}  // namespace

void StartLinesConnection(Server* server, asio::ip::tcp::socket socket) {
  StartConnection<LinesConnection>(server, std::move(socket));
}

}  // namespace hvdb::shell
