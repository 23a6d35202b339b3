// Copyright hvdb authors. HTTP/1.1 for `hvdb serve --http` (Boost.Beast):
// keep-alive, pipelined requests answered in order, chunked bodies, bodies
// up to --max-request (413 beyond), headers up to 16 KiB (431), timeouts on
// idle connections and on answers a client does not read, 503 while
// stopping. Routes that touch the database run on the worker pool.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>

#include <chrono>
#include <optional>

#include "shell/server/api.h"
#include "shell/server/connection.h"
#include "shell/server/protocols.h"

namespace hvdb::shell {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kMaxHeaderBytes = 16 << 10;

template <class Stream>
class HttpConnection : public StreamConnection<HttpConnection<Stream>, Stream> {
  using Base = StreamConnection<HttpConnection<Stream>, Stream>;
  friend Base;
  using Base::cancel_, Base::closed_, Base::running_, Base::server_, Base::stream_, Base::trusted_, Base::writing_;

 public:
  template <class... Args>
  HttpConnection(Server* server, Args&&... stream_args) : Base(server, "http", std::forward<Args>(stream_args)...) {}

 private:
  void Read() {
    if (closed_) return;
    if (server_->stopping()) return this->Close();
    parser_.emplace();
    parser_->body_limit(server_->options().max_request_bytes);
    parser_->header_limit(kMaxHeaderBytes);
    this->ExpireWhileWaiting();
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->Self()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    started_ = Clock::now();
    head_ = false;
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
      return this->Close();
    }
    if (ec == http::error::body_limit) {
      return Answer(ErrorResponse(413, "the body is larger than this server takes (--max-request " +
                                           std::to_string(server_->options().max_request_bytes) + " bytes)"),
                    "", /*keep_alive=*/false);
    }
    if (ec == http::error::header_limit) {
      return Answer(ErrorResponse(431, "the headers are larger than 16 KiB"), "", false);
    }
    if (ec) return Answer(ErrorResponse(400, "not an HTTP/1.1 request: " + ec.message()), "", false);
    http::request<http::string_body> request = parser_->release();
    keep_alive_ = request.keep_alive() && !server_->stopping();
    // HEAD is GET without the body (the headers say how long it would be).
    head_ = request.method() == http::verb::head;
    if (server_->stopping()) {
      server_->metrics().Refused("stopping");
      ApiResponse stopping = ErrorResponse(503, "the server is stopping");
      stopping.headers.emplace_back("Retry-After", "5");
      return Answer(std::move(stopping), "", false);
    }
    ApiRequest api;
    api.method = head_ ? "GET" : std::string(request.method_string());
    api.target = std::string(request.target());
    api.body = std::move(request.body());
    api.content_type = std::string(request[http::field::content_type]);
    api.authorization = std::string(request[http::field::authorization]);
    const Route route = FindRoute(api.method, api.target);
    if (!route.on_worker) return Answer(HandleRequest(server_, api, cancel_.get()), route.name, keep_alive_);
    running_ = true;
    cancel_->store(false);
    auto result = std::make_shared<ApiResponse>();
    server_->RunRequest(
        stream_.get_executor(), cancel_,
        [self = this->Self(), api = std::move(api), result] {
          *result = HandleRequest(self->server_, api, self->cancel_.get());
        },
        [self = this->Self(), result, name = route.name](const std::string& failure) {
          self->running_ = false;
          if (!failure.empty()) *result = ErrorResponse(500, "the server failed this request: " + failure);
          self->Answer(std::move(*result), name, self->keep_alive_ && !self->server_->stopping());
        });
  }

  // Writes one answer (Stop gives it kShutdownWriteSeconds). A 401 closes
  // the connection: a client without a token keeps no slot.
  void Answer(ApiResponse answer, const std::string& route, bool keep_alive) {
    if (closed_) return;
    if (answer.status == 401) keep_alive = false;
    else trusted_ = true;
    server_->metrics().Request("http", route.empty() ? "unknown" : route, answer.status,
                               std::chrono::duration<double>(Clock::now() - started_).count());
    response_ = {};
    response_.version(11);
    response_.result(static_cast<http::status>(answer.status));
    response_.set(http::field::server, "hvdb");
    response_.set(http::field::content_type, answer.content_type);
    for (const auto& [name, value] : answer.headers) response_.set(name, value);
    response_.keep_alive(keep_alive);
    if (head_) {
      response_.content_length(answer.body.size());
    } else {
      response_.body() = std::move(answer.body);
      response_.prepare_payload();
    }
    this->StartWrite();
    http::async_write(stream_, response_, [self = this->Self(), keep_alive](beast::error_code ec, size_t) {
      self->writing_ = false;
      if (ec || !keep_alive) return self->Close();
      self->Read();
    });
  }

  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  bool keep_alive_ = true;
  bool head_ = false;  // the request in hand is a HEAD
  Clock::time_point started_ = Clock::now();
};

}  // namespace

void StartHttpConnection(Server* server, asio::ip::tcp::socket socket) {
  StartConnection<HttpConnection>(server, std::move(socket));
}

}  // namespace hvdb::shell
