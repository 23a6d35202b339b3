// Copyright hvdb authors. What `hvdb serve` is told by its operator: where
// it listens, who may talk to it, what a client may reach, and how much one
// client may ask for (docs/server.md). Every limit has a flag and a default.
#ifndef HVDB_SHELL_SERVER_OPTIONS_H_
#define HVDB_SHELL_SERVER_OPTIONS_H_

#include <cstdint>
#include <string>

namespace hvdb::shell {

struct Endpoint {
  std::string host;
  unsigned short port = 0;  // 0: any free port (printed when listening)
  bool enabled() const { return !host.empty(); }
};

struct ServeOptions {
  // The JSON-lines protocol (hvdb shell --connect, scripts); loopback by default.
  Endpoint lines{"127.0.0.1", 7878};
  // HTTP/1.1 with JSON, /metrics, /openapi.json and the console; off unless given.
  Endpoint http;
  // Bearer tokens, one a line: "TOKEN read-only" or "TOKEN read-write"
  // (# comments). Required to listen beyond loopback.
  std::string auth_token_file;
  // The directory whose files clients may read and write (.read, .import,
  // .export, .demo FILE); empty: no file access over the network.
  std::string files_dir;
  // TLS on both protocols when both are given (PEM files).
  std::string tls_cert, tls_key;

  size_t max_connections = 256;           // open at once, both protocols
  size_t max_request_bytes = 1 << 20;     // a request line, or an HTTP body
  size_t max_statements = 64;             // in one HTTP request (a JSON line holds one)
  unsigned max_nesting = 64;              // of an expression (at most 256)
  unsigned max_read_depth = 4;            // of .read (at most 16)
  uint64_t max_work = uint64_t{1} << 34;  // per call: dimension x letters or vectors
  uint64_t max_variable_bytes = 64 << 20; // a session's variables
  uint64_t max_hits = 100000;             // one search's answer (k, or what a radius finds)
  unsigned request_timeout_seconds = 30;  // a request's statements stop past it
  unsigned idle_timeout_seconds = 300;    // a connection with no request is closed
  unsigned write_timeout_seconds = 30;    // an answer the client does not read
  unsigned grace_seconds = 10;            // SIGTERM: requests in flight may finish
  unsigned io_threads = 2;                // socket I/O
  unsigned workers = 0;                   // statements; 0: one per core
};

// "HOST:PORT" (IPv6 in brackets: "[::1]:7878"); the message names what is wrong.
std::string ParseEndpoint(const std::string& text, Endpoint* endpoint);
// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost).
bool IsLoopback(const std::string& host);

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_SERVER_OPTIONS_H_
