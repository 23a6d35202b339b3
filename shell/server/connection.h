// Copyright hvdb authors. What both protocols' connections share: the
// stream (TCP, or TLS over it), the handshake, the timeouts, stopping,
// aborting and closing. A protocol derives from StreamConnection (CRTP) and
// provides Read(), which starts reading its next request.
//
// Every member is touched only on the connection's strand (the socket's
// executor), except the cancel flag, which a worker thread reads.
#ifndef HVDB_SHELL_SERVER_CONNECTION_H_
#define HVDB_SHELL_SERVER_CONNECTION_H_

#include <boost/beast/core.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <type_traits>
#include <utility>

#include "shell/server/server.h"

namespace hvdb::shell {

// How long a new connection has to send its first request (and to
// authenticate, where tokens are wanted) before it is closed, when that is
// shorter than --idle-timeout: a client without a token cannot hold one of
// the --max-connections slots for long.
inline constexpr unsigned kFirstRequestSeconds = 10;
// At shutdown, how long an answer already being written has to reach its
// client: one that reads takes it in milliseconds; one that does not read
// cannot hold the exit for the whole grace period.
inline constexpr unsigned kShutdownWriteSeconds = 1;

template <class Derived, class Stream>
class StreamConnection : public Connection, public std::enable_shared_from_this<Derived> {
 public:
  // protocol: "lines" or "http", for the metrics.
  template <class... Args>
  StreamConnection(Server* server, const char* protocol, Args&&... stream_args)
      : server_(server), protocol_(protocol), stream_(std::forward<Args>(stream_args)...) {}

  void Start() {
    server_->metrics().ConnectionOpened(protocol_);
    if constexpr (std::is_same_v<Stream, boost::beast::tcp_stream>) {
      derived().Read();
    } else {
      ExpireAfter(server_->options().write_timeout_seconds);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = Self()](boost::beast::error_code ec) {
        if (ec) return self->Close();
        self->Read();
      });
    }
  }

  // Closes now when idle. A request running on a worker closes the
  // connection once its answer is written (within the grace period, then it
  // is aborted); an answer being written gets kShutdownWriteSeconds.
  void Stop() override {
    asio::post(stream_.get_executor(), [self = Self()] {
      if (self->closed_ || self->running_) return;
      if (!self->writing_) return self->Close();
      self->LimitWriteForShutdown();
    });
  }

  void Abort() override {
    cancel_->store(true);
    asio::post(stream_.get_executor(), [self = Self()] { self->Close(); });
  }

 protected:
  Derived& derived() { return static_cast<Derived&>(*this); }
  std::shared_ptr<Derived> Self() { return this->shared_from_this(); }

  void ExpireAfter(unsigned seconds) {
    boost::beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(seconds));
  }
  // Before writing an answer: the write timeout, and kShutdownWriteSeconds
  // when the server is stopping.
  void StartWrite() {
    writing_ = true;
    ExpireAfter(server_->options().write_timeout_seconds);
    if (server_->stopping()) LimitWriteForShutdown();
  }
  void LimitWriteForShutdown() {
    shutdown_write_.expires_after(std::chrono::seconds(kShutdownWriteSeconds));
    shutdown_write_.async_wait([self = Self()](boost::system::error_code ec) {
      if (!ec) self->Close();
    });
  }
  // Before reading a request: the idle timeout, shorter until trusted_.
  void ExpireWhileWaiting() {
    const unsigned idle = server_->options().idle_timeout_seconds;
    ExpireAfter(trusted_ ? idle : std::min(idle, kFirstRequestSeconds));
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    shutdown_write_.cancel();
    boost::beast::error_code ignored;
    auto& socket = boost::beast::get_lowest_layer(stream_).socket();
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    server_->metrics().ConnectionClosed(protocol_);
    server_->Remove(this);
  }

  Server* const server_;
  const char* const protocol_;
  Stream stream_;
  // Set by the request's time limit or at shutdown; read by the worker.
  std::shared_ptr<std::atomic<bool>> cancel_ = std::make_shared<std::atomic<bool>>(false);
  bool running_ = false;  // a request on a worker
  bool writing_ = false;  // an answer being written
  bool closed_ = false;
  asio::steady_timer shutdown_write_{stream_.get_executor()};  // Stop's deadline for writing_
  bool trusted_ = false;  // past the first request (authenticated, where tokens are wanted)
};

// Makes a connection of protocol C for an accepted socket (over TLS when the
// server has it), registers it with the server and starts it.
template <template <class> class C>
void StartConnection(Server* server, asio::ip::tcp::socket socket) {
  namespace beast = boost::beast;
  if (server->tls() != nullptr) {
    auto c = std::make_shared<C<beast::ssl_stream<beast::tcp_stream>>>(server, std::move(socket), *server->tls());
    server->Add(c);
    c->Start();
  } else {
    auto c = std::make_shared<C<beast::tcp_stream>>(server, std::move(socket));
    server->Add(c);
    c->Start();
  }
}

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_SERVER_CONNECTION_H_
