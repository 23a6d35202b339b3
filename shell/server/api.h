// Copyright hvdb authors. The HTTP API of `hvdb serve --http` (docs/server.md,
// docs/openapi.json): the shell language at /v1/statements, resources for
// collections, vectors and searches, /healthz, /metrics, /openapi.json and
// the console at /. Requests and answers are JSON (Boost.JSON).
#ifndef HVDB_SHELL_SERVER_API_H_
#define HVDB_SHELL_SERVER_API_H_

#include <atomic>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shell/server/server.h"

namespace hvdb::shell {

struct ApiRequest {
  std::string method;         // GET, POST, ...
  std::string target;         // path and query, as sent
  std::string body;
  std::string content_type;
  std::string authorization;  // the Authorization header
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct Route {
  std::string name;     // the pattern, for metrics ("/v1/collections/{name}"); "" when none matches
  bool on_worker = false;  // reads or writes the database: runs on a worker thread
};

// The route `method` and `target` take.
Route FindRoute(std::string_view method, std::string_view target);

// The answer to a request (on a worker thread when the route says so).
// cancel: the request's time limit.
ApiResponse HandleRequest(Server* server, const ApiRequest& request, const std::atomic<bool>* cancel);

// The JSON error body: {"error": MESSAGE, "code": "InvalidArgument"}.
ApiResponse ErrorResponse(int status, const std::string& message, const std::string& code = "");

// Compiled-in files (assets.cc, made from shell/server/console.html and
// docs/openapi.json at build time).
std::string_view ConsolePage();
std::string_view OpenApiDocument();

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_SERVER_API_H_
