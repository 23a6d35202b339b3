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
#include "shell/server/protocols.h"

namespace hvdb::shell {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kMaxHeaderBytes = 16 << 10;

template <class Stream>
class HttpConnection : public Connection, public std::enable_shared_from_this<HttpConnection<Stream>> {
 public:
  template <class... Args>
  HttpConnection(Server* server, Args&&... stream_args)
      : server_(server), stream_(std::forward<Args>(stream_args)...) {}

  void Start() {
    server_->metrics().ConnectionOpened("http");
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
      if (!self->busy_) self->Close();
    });
  }

  void Abort() override {
    cancel_->store(true);
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->Close(); });
  }

 private:
  void Read() {
    if (closed_) return;
    parser_.emplace();
    parser_->body_limit(server_->options().max_request_bytes);
    parser_->header_limit(kMaxHeaderBytes);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(server_->options().idle_timeout_seconds));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    started_ = Clock::now();
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
      return Close();
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
    if (server_->stopping()) {
      server_->metrics().Refused("stopping");
      ApiResponse stopping = ErrorResponse(503, "the server is stopping");
      stopping.headers.emplace_back("Retry-After", "5");
      return Answer(std::move(stopping), "", false);
    }
    ApiRequest api;
    api.method = std::string(request.method_string());
    api.target = std::string(request.target());
    api.body = std::move(request.body());
    api.content_type = std::string(request[http::field::content_type]);
    api.authorization = std::string(request[http::field::authorization]);
    const Route route = FindRoute(api.method, api.target);
    if (!route.on_worker) return Answer(HandleRequest(server_, api, cancel_.get()), route.name, keep_alive_);
    busy_ = true;
    cancel_->store(false);
    auto result = std::make_shared<ApiResponse>();
    server_->RunRequest(
        stream_.get_executor(), cancel_,
        [self = this->shared_from_this(), api = std::move(api), result] {
          *result = HandleRequest(self->server_, api, self->cancel_.get());
        },
        [self = this->shared_from_this(), result, name = route.name] {
          self->busy_ = false;
          self->Answer(std::move(*result), name, self->keep_alive_ && !self->server_->stopping());
        });
  }

  void Answer(ApiResponse answer, const std::string& route, bool keep_alive) {
    if (closed_) return;
    server_->metrics().Request("http", route.empty() ? "unknown" : route, answer.status,
                               std::chrono::duration<double>(Clock::now() - started_).count());
    response_ = {};
    response_.version(11);
    response_.result(static_cast<http::status>(answer.status));
    response_.set(http::field::server, "hvdb");
    response_.set(http::field::content_type, answer.content_type);
    for (const auto& [name, value] : answer.headers) response_.set(name, value);
    response_.body() = server_->Sanitize(std::move(answer.body));
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(server_->options().write_timeout_seconds));
    http::async_write(stream_, response_, [self = this->shared_from_this(), keep_alive](beast::error_code ec, size_t) {
      if (ec || !keep_alive) return self->Close();
      self->Read();
    });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    server_->metrics().ConnectionClosed("http");
    server_->Remove(this);
  }

  Server* server_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::shared_ptr<std::atomic<bool>> cancel_ = std::make_shared<std::atomic<bool>>(false);
  bool keep_alive_ = true;
  bool busy_ = false;
  bool closed_ = false;
  Clock::time_point started_ = Clock::now();
};

}  // namespace

void StartHttpConnection(Server* server, asio::ip::tcp::socket socket) {
  if (server->tls() != nullptr) {
    auto c = std::make_shared<HttpConnection<beast::ssl_stream<beast::tcp_stream>>>(server, std::move(socket),
                                                                                   *server->tls());
    server->Add(c);
    c->Start();
  } else {
    auto c = std::make_shared<HttpConnection<beast::tcp_stream>>(server, std::move(socket));
    server->Add(c);
    c->Start();
  }
}

}  // namespace hvdb::shell
