// Copyright hvdb authors.
#include "shell/server/options.h"

#include <charconv>

#include <boost/asio/ip/address.hpp>

namespace hvdb::shell {

std::string ParseEndpoint(const std::string& text, Endpoint* endpoint) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return "needs HOST:PORT, got '" + text + "'";
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = text.substr(colon + 1);
  uint16_t value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size()) {
    return "needs HOST:PORT with a port in [0, 65535], got '" + text + "'";
  }
  endpoint->host = host;
  endpoint->port = value;
  return {};
}

bool IsLoopback(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

}  // namespace hvdb::shell
