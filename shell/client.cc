// Copyright hvdb authors.
#include "shell/client.h"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>

namespace hvdb::shell {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

class TcpSession : public RemoteSession {
 public:
  TcpSession() : socket_(io_) {}

  Status Connect(const std::string& host, const std::string& port) {
    boost::system::error_code ec;
    tcp::resolver resolver(io_);
    const auto endpoints = resolver.resolve(host, port, ec);
    if (!ec) asio::connect(socket_, endpoints, ec);
    if (ec) return Status::Unavailable("cannot connect to " + host + ":" + port + ": " + ec.message());
    return Status::OK();
  }

  Result<std::string> Request(std::string_view line) override {
    boost::system::error_code ec;
    std::string request(line);
    request.push_back('\n');
    asio::write(socket_, asio::buffer(request), ec);
    if (ec) return Status::Unavailable("the server went away: " + ec.message());
    const size_t n = asio::read_until(socket_, buffer_, '\n', ec);
    if (ec) return Status::Unavailable("the server went away: " + ec.message());
    std::string answer(asio::buffers_begin(buffer_.data()), asio::buffers_begin(buffer_.data()) + n - 1);
    buffer_.consume(n);
    return answer;
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  asio::streambuf buffer_;
};

}  // namespace

Result<std::unique_ptr<RemoteSession>> RemoteSession::Connect(const std::string& host_port) {
  const size_t colon = host_port.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == host_port.size()) {
    return Status::InvalidArgument("--connect needs HOST:PORT, got '" + host_port + "'");
  }
  auto session = std::make_unique<TcpSession>();
  HVDB_RETURN_IF_ERROR(session->Connect(host_port.substr(0, colon), host_port.substr(colon + 1)));
  return std::unique_ptr<RemoteSession>(std::move(session));
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
      cur.push_back(c);
      if (c == '\\' && i + 1 < input.size()) cur.push_back(input[++i]);
      else if (c == quote) quote = 0;
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

}  // namespace hvdb::shell
