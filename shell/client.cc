// Copyright hvdb authors.
#include "shell/client.h"

#include <utility>  // before Asio: Boost's awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <fstream>
#include <memory>
#include <type_traits>
#include <sstream>

#include "shell/json_writer.h"
#include "shell/lang/lexer.h"

namespace hvdb::shell {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;

Result<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read the token file '" + path + "'");
  for (std::string line; std::getline(in, line);) {
    if (const size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    if (std::string token; words >> token) return token;
  }
  return Status::InvalidArgument("the token file '" + path + "' holds no token");
}

// What a connection's stream needs to live: its I/O context, its TLS context.
struct Contexts {
  asio::io_context io;
  std::unique_ptr<ssl::context> tls;
};

// Over a plain socket or TLS: one request line out, one answer line back.
template <class Stream>
class LineSession : public RemoteSession {
 public:
  explicit LineSession(std::unique_ptr<Contexts> contexts) : contexts_(std::move(contexts)), stream_(MakeStream()) {}

  Stream& stream() { return stream_; }

  Result<std::string> Request(std::string_view line) override {
    boost::system::error_code ec;
    std::string request(line);
    request.push_back('\n');
    asio::write(stream_, asio::buffer(request), ec);
    if (ec) return Status::Unavailable("the server went away: " + ec.message());
    const size_t n = asio::read_until(stream_, buffer_, '\n', ec);
    if (ec) return Status::Unavailable("the server went away: " + ec.message());
    std::string answer(asio::buffers_begin(buffer_.data()), asio::buffers_begin(buffer_.data()) + n - 1);
    buffer_.consume(n);
    return answer;
  }

 private:
  Stream MakeStream() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      return Stream(contexts_->io);
    } else {
      return Stream(contexts_->io, *contexts_->tls);
    }
  }

  std::unique_ptr<Contexts> contexts_;  // before stream_, which uses it
  Stream stream_;
  asio::streambuf buffer_;
};

Result<tcp::resolver::results_type> Resolve(asio::io_context& io, const std::string& host, const std::string& port) {
  boost::system::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(host, port, ec);
  if (ec) return Status::Unavailable("cannot resolve " + host + ": " + ec.message());
  return endpoints;
}

}  // namespace

Result<std::unique_ptr<RemoteSession>> RemoteSession::Connect(const std::string& host_port,
                                                              const ConnectOptions& options) {
  const size_t colon = host_port.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == host_port.size()) {
    return Status::InvalidArgument("--connect needs HOST:PORT, got '" + host_port + "'");
  }
  std::string host = host_port.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = host_port.substr(colon + 1);
  auto contexts = std::make_unique<Contexts>();
  HVDB_ASSIGN_OR_RETURN(const auto endpoints, Resolve(contexts->io, host, port));
  boost::system::error_code ec;
  const std::string where = "cannot connect to " + host_port + ": ";
  std::unique_ptr<RemoteSession> session;
  if (options.tls) {
    contexts->tls = std::make_unique<ssl::context>(ssl::context::tls_client);
    ssl::context& tls = *contexts->tls;
    tls.set_verify_mode(ssl::verify_peer);
    if (options.tls_ca.empty()) {
      tls.set_default_verify_paths(ec);
    } else {
      tls.load_verify_file(options.tls_ca, ec);
    }
    if (ec) return Status::InvalidArgument("--tls-ca '" + options.tls_ca + "': " + ec.message());
    auto s = std::make_unique<LineSession<ssl::stream<tcp::socket>>>(std::move(contexts));
    asio::connect(s->stream().lowest_layer(), endpoints, ec);
    if (ec) return Status::Unavailable(where + ec.message());
    s->stream().set_verify_callback(ssl::host_name_verification(host));
    SSL_set_tlsext_host_name(s->stream().native_handle(), host.c_str());
    s->stream().handshake(ssl::stream_base::client, ec);
    if (ec) return Status::Unavailable(where + "TLS: " + ec.message());
    session = std::move(s);
  } else {
    auto s = std::make_unique<LineSession<tcp::socket>>(std::move(contexts));
    asio::connect(s->stream(), endpoints, ec);
    if (ec) return Status::Unavailable(where + ec.message());
    session = std::move(s);
  }
  if (!options.token_file.empty()) {
    HVDB_ASSIGN_OR_RETURN(const std::string token, ReadToken(options.token_file));
    HVDB_ASSIGN_OR_RETURN(const std::string answer, session->Request(".auth " + token));
    if (answer.rfind("{\"ok\":true", 0) != 0) return Status::InvalidArgument("the server refused the token: " + answer);
  }
  return session;
}

std::vector<std::string> SplitStatements(std::string_view input) {
  std::vector<std::string> out;
  const size_t first = input.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return out;
  if (input[first] == '.') {
    out.emplace_back(input.substr(first));
    return out;
  }
  std::string cur;
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < input.size(); ++i) {
    const char c = input[i];
    if (quote) {
      // A line break inside a string is the same string written with its
      // escape: a request is one line.
      if (c == '\n' || c == '\r') {
        cur += c == '\n' ? "\\n" : "\\x0d";
      } else if (c == '\\' && i + 1 < input.size()) {
        const char next = input[++i];
        cur += next == '\n' ? "\\n" : next == '\r' ? "\\x0d" : std::string{c, next};
      } else {
        cur.push_back(c);
      }
      if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '-' && i + 1 < input.size() && input[i + 1] == '-') {  // comment to the end of the line
      while (i < input.size() && input[i] != '\n') ++i;
      cur.push_back(' ');
      continue;
    }
    if (c == ';' && depth == 0) {
      if (cur.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(cur);
      cur.clear();
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    else if (c == '(' || c == '[') ++depth;
    else if (c == ')' || c == ']') --depth;
    cur.push_back(c == '\n' || c == '\r' ? ' ' : c);
  }
  if (cur.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(cur);
  return out;
}

std::vector<std::string> SplitScript(std::string_view script) {
  std::vector<std::string> out;
  std::string pending;
  InputScanner scanner;
  const auto flush = [&] {
    for (std::string& unit : SplitStatements(pending)) out.push_back(std::move(unit));
    pending.clear();
    scanner.Reset();
  };
  while (!script.empty()) {
    const size_t end = script.find('\n');
    const std::string_view line = script.substr(0, end);
    script.remove_prefix(end == std::string_view::npos ? script.size() : end + 1);
    pending += pending.empty() ? std::string(line) : "\n" + std::string(line);
    scanner.Feed(line);
    if (!scanner.unfinished()) flush();
  }
  if (!pending.empty()) flush();
  return out;
}

}  // namespace hvdb::shell
