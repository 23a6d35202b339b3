// Copyright hvdb authors.
#include "benchmarks/serve_bench.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "benchmarks/bench_util.h"
#include "benchmarks/json_line.h"
#include "hdc/splitmix.h"
#include "hvdb/hvdb.h"
#include "storage/npy.h"

extern char** environ;

namespace hvdb::bench {
namespace {

namespace fs = std::filesystem;

constexpr int kIoTimeoutSeconds = 60;  // a client waits this long for an answer, then counts an error
constexpr double kCloseMarginSeconds = 2;  // after the grace period: closing the database

int Fail(const std::string& message) {
  std::fprintf(stderr, "hvdb-bench serve: %s\n", message.c_str());
  return 1;
}

void SleepSeconds(double seconds) {
  if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

// ---- The statement mix, the same for every client kind and the embedded API

struct Op {
  bool put = false;
  std::string key;    // put: an existing row ("0" .. "n-1") or a new key
  uint64_t seed = 0;  // the vector (put) or the query (search): random(seed)
};

class Mix {
 public:
  Mix(const ServeBenchConfig& c, uint64_t stream)
      : c_(c), state_(c.seed * 1000003 + stream * 7919 + 17), stream_(stream) {}

  Op Next() {
    Op op;
    op.put = static_cast<double>(hdc::SplitMix64Next(state_) >> 11) * 0x1.0p-53 < c_.write_fraction;
    op.seed = hdc::SplitMix64Next(state_) % 2000000000 + 1;  // the shell's numbers are doubles: stay exact
    if (op.put) {
      const uint64_t which = hdc::SplitMix64Next(state_);
      op.key = (which & 1) != 0 ? std::to_string((which >> 1) % c_.n)
                                : "s" + std::to_string(stream_) + "_" + std::to_string(puts_++);
    }
    return op;
  }

 private:
  const ServeBenchConfig& c_;
  uint64_t state_;
  uint64_t stream_;
  uint64_t puts_ = 0;
};

// Latencies and errors of a group of clients.
struct Tally {
  std::vector<double> search_ms, put_ms;
  // HTTP searches: the search's own time as the server reports it
  // (stats.seconds), and the rest of the round trip.
  std::vector<double> server_search_ms, outside_search_ms;
  std::vector<size_t> per_client;  // requests answered, a client each
  size_t errors = 0;
  std::string first_error;
  double last_finish = 0;

  void Error(const std::string& what) {
    if (errors++ == 0) first_error = what.substr(0, 300);
  }
  void Merge(const Tally& o) {
    search_ms.insert(search_ms.end(), o.search_ms.begin(), o.search_ms.end());
    put_ms.insert(put_ms.end(), o.put_ms.begin(), o.put_ms.end());
    server_search_ms.insert(server_search_ms.end(), o.server_search_ms.begin(), o.server_search_ms.end());
    outside_search_ms.insert(outside_search_ms.end(), o.outside_search_ms.begin(), o.outside_search_ms.end());
    per_client.insert(per_client.end(), o.per_client.begin(), o.per_client.end());
    if (errors == 0 && o.errors > 0) first_error = o.first_error;
    errors += o.errors;
    last_finish = std::max(last_finish, o.last_finish);
  }
  size_t requests() const { return search_ms.size() + put_ms.size(); }
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// The figures of `t` over `seconds` into `line`.
void AddFigures(const Tally& t, double seconds, JsonLine* line) {
  std::vector<double> all = t.search_ms;
  all.insert(all.end(), t.put_ms.begin(), t.put_ms.end());
  const auto [lo, hi] = std::minmax_element(t.per_client.begin(), t.per_client.end());
  line->Add("seconds", seconds)
      .Add("requests", t.requests())
      .Add("requests_per_s", static_cast<double>(t.requests()) / seconds)
      .Add("p50_ms", Percentile(all, 0.5))
      .Add("p99_ms", Percentile(all, 0.99))
      .Add("max_ms", all.empty() ? 0.0 : *std::max_element(all.begin(), all.end()))
      .Add("searches", t.search_ms.size())
      .Add("search_p50_ms", Percentile(t.search_ms, 0.5))
      .Add("search_p99_ms", Percentile(t.search_ms, 0.99))
      .Add("puts", t.put_ms.size())
      .Add("put_p50_ms", Percentile(t.put_ms, 0.5))
      .Add("put_p99_ms", Percentile(t.put_ms, 0.99))
      .Add("min_client_requests", t.per_client.empty() ? size_t{0} : *lo)
      .Add("max_client_requests", t.per_client.empty() ? size_t{0} : *hi)
      .Add("errors", t.errors);
  if (!t.server_search_ms.empty()) {
    line->Add("server_search_p50_ms", Percentile(t.server_search_ms, 0.5))
        .Add("outside_search_p50_ms", Percentile(t.outside_search_ms, 0.5))
        .Add("outside_search_p99_ms", Percentile(t.outside_search_ms, 0.99));
  }
  if (t.errors > 0) line->Add("first_error", t.first_error);
}

// ---- Sockets: a blocking client connection with a read buffer

class Conn {
 public:
  Conn() = default;
  explicit Conn(int fd) : fd_(fd) {}
  ~Conn() { Close(); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  Conn(Conn&& o) noexcept : fd_(std::exchange(o.fd_, -1)), buf_(std::move(o.buf_)), pos_(o.pos_) {}
  Conn& operator=(Conn&& o) noexcept {
    Close();
    fd_ = std::exchange(o.fd_, -1);
    buf_ = std::move(o.buf_);
    pos_ = o.pos_;
    return *this;
  }

  // 127.0.0.1:port; rcvbuf > 0 shrinks the receive buffer (and so the window).
  static Conn Open(unsigned short port, int rcvbuf = 0) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Conn();
    if (rcvbuf > 0) (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    const int one = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const timeval timeout{kIoTimeoutSeconds, 0};
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    (void)::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_port = htons(port);
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0) {
      ::close(fd);
      return Conn();
    }
    return Conn(fd);
  }

  bool ok() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buf_.clear();
    pos_ = 0;
  }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // As much of `data` as goes without waiting; the bytes sent.
  size_t SendWithoutWaiting(std::string_view data) {
    size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    return sent;
  }

  // The text before the next `delim` (consumed); false when the connection ends first.
  bool ReadUntil(std::string_view delim, std::string* out) {
    size_t from = pos_;
    for (;;) {
      const size_t at = buf_.find(delim, from);
      if (at != std::string::npos) {
        out->assign(buf_, pos_, at - pos_);
        pos_ = at + delim.size();
        Compact();
        return true;
      }
      from = std::max(pos_, buf_.size() >= delim.size() ? buf_.size() - delim.size() + 1 : 0);
      if (!Fill()) return false;
    }
  }

  bool ReadBytes(size_t n, std::string* out) {
    while (buf_.size() - pos_ < n) {
      if (!Fill()) return false;
    }
    out->assign(buf_, pos_, n);
    pos_ += n;
    Compact();
    return true;
  }

 private:
  bool Fill() {
    char chunk[65536];
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buf_.append(chunk, static_cast<size_t>(n));
      return true;
    }
  }
  void Compact() {
    if (pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
    } else if (pos_ > (1 << 16)) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
  }

  int fd_ = -1;
  std::string buf_;
  size_t pos_ = 0;
};

// ---- The two protocols

enum class Protocol { kLines, kHttp };
const char* Name(Protocol p) { return p == Protocol::kLines ? "lines" : "http"; }

std::string HttpRequest(std::string_view method, std::string_view target, std::string_view type,
                        std::string_view body) {
  std::string r;
  r.reserve(160 + body.size());
  r.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  if (!type.empty()) r.append("Content-Type: ").append(type).append("\r\n");
  r.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n").append(body);
  return r;
}

// What travels for `op`: a JSON line, or an HTTP request (a put carries the
// vector's hex form, a search the same expression as the JSON line).
std::string Request(Protocol p, const Op& op, const ServeBenchConfig& c) {
  const std::string expr = "random(" + std::to_string(op.seed) + ")";
  if (p == Protocol::kLines) {
    return op.put ? "put bench \"" + op.key + "\" " + expr + "\n"
                  : "search bench " + expr + " k " + std::to_string(c.k) + "\n";
  }
  if (op.put) {
    const std::string hex = Hypervector::Random(c.bits, op.seed).value().ToHex();
    return HttpRequest("PUT", "/v1/collections/bench/vectors/" + op.key, "application/json",
                       "{\"hex\":\"" + hex + "\"}");
  }
  return HttpRequest("POST", "/v1/collections/bench/search", "application/json",
                     "{\"expression\":\"" + expr + "\",\"k\":" + std::to_string(c.k) + "}");
}

size_t CountHits(std::string_view answer) {
  size_t hits = 0;
  for (size_t at = answer.find("\"key\":"); at != std::string_view::npos; at = answer.find("\"key\":", at + 6)) ++hits;
  return hits;
}

struct HttpAnswer {
  int status = 0;
  bool close = false;
  std::string body;
};

bool ReadHttp(Conn& conn, HttpAnswer* a, std::string* error) {
  std::string head;
  if (!conn.ReadUntil("\r\n\r\n", &head)) {
    *error = "connection ended (or timed out) before an answer";
    return false;
  }
  if (head.rfind("HTTP/1.1 ", 0) != 0) {
    *error = "not an HTTP/1.1 answer: " + head.substr(0, 80);
    return false;
  }
  a->status = std::atoi(head.c_str() + 9);
  size_t length = 0;
  for (size_t at = head.find("\r\n"); at != std::string::npos;) {
    const size_t end = std::min(head.find("\r\n", at + 2), head.size());
    std::string field = head.substr(at + 2, end - at - 2);
    at = end < head.size() ? end : std::string::npos;
    const size_t colon = field.find(':');
    if (colon == std::string::npos) continue;
    std::string name = field.substr(0, colon), value = field.substr(colon + 1);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::tolower(ch); });
    std::transform(value.begin(), value.end(), value.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (name == "content-length") length = std::strtoull(value.c_str(), nullptr, 10);
    if (name == "connection" && value.find("close") != std::string::npos) a->close = true;
    if (name == "transfer-encoding") {
      *error = "chunked answer (this client reads Content-Length only)";
      return false;
    }
  }
  if (!conn.ReadBytes(length, &a->body)) {
    *error = "connection ended in the body";
    return false;
  }
  return true;
}

enum class Outcome { kOk, kWrongAnswer, kBroken };

// Reads the answer to `op` on `conn` and checks it: a put answers ok, a
// search k hits; anything else is an error, described in *error.
// An HTTP search's stats.seconds (the server's own time for the search), in
// ms; negative when absent.
double ServerSearchMs(const std::string& body) {
  const size_t at = body.rfind("\"seconds\":");
  return at == std::string::npos ? -1 : std::strtod(body.c_str() + at + 10, nullptr) * 1e3;
}

// *server_ms: an HTTP search's own time in the server (else negative).
Outcome ReadAnswer(Protocol p, Conn& conn, const Op& op, const ServeBenchConfig& c, std::string* error,
                   double* server_ms) {
  *server_ms = -1;
  std::string answer;
  if (p == Protocol::kLines) {
    if (!conn.ReadUntil("\n", &answer)) {
      *error = "lines: connection ended (or timed out)";
      return Outcome::kBroken;
    }
    const bool right = op.put ? answer == "{\"ok\":true}" : answer.rfind('[', 0) == 0 && CountHits(answer) == c.k;
    if (!right) *error = std::string("lines ") + (op.put ? "put" : "search") + ": " + answer.substr(0, 200);
    return right ? Outcome::kOk : Outcome::kWrongAnswer;
  }
  HttpAnswer a;
  if (!ReadHttp(conn, &a, error)) {
    *error = "http: " + *error;
    return Outcome::kBroken;
  }
  const bool right = a.status == 200 && (op.put ? a.body == "{\"ok\":true}"
                                                : a.body.rfind("{\"hits\":", 0) == 0 && CountHits(a.body) == c.k);
  if (!right) {
    *error = std::string("http ") + (op.put ? "put" : "search") + " " + std::to_string(a.status) + ": " +
             a.body.substr(0, 200);
  }
  if (right && !op.put) *server_ms = ServerSearchMs(a.body);
  if (a.close) {
    if (right) *error = "http: the server closed a keep-alive connection";
    return Outcome::kBroken;
  }
  return right ? Outcome::kOk : Outcome::kWrongAnswer;
}

// A client in a loop from `start` to `end`: one request, its answer (read
// at once, or after delay_ms for a slow client), the next.
void RunClient(Protocol p, unsigned short port, const ServeBenchConfig& c, uint64_t stream, double start, double end,
               unsigned delay_ms, Tally* t) {
  Conn conn = Conn::Open(port);
  Mix mix(c, stream);
  size_t answered = 0;
  SleepSeconds(start - Now());
  while (Now() < end) {
    if (!conn.ok()) {
      conn = Conn::Open(port);
      if (!conn.ok()) {
        t->Error(std::string(Name(p)) + ": connect failed: " + std::strerror(errno));
        SleepSeconds(0.01);
        continue;
      }
    }
    const Op op = mix.Next();
    const std::string request = Request(p, op, c);
    const double t0 = Now();
    std::string error;
    Outcome outcome = Outcome::kBroken;
    double server_ms = -1;
    if (!conn.Send(request)) {
      error = std::string(Name(p)) + ": send failed: " + std::strerror(errno);
    } else {
      if (delay_ms > 0) SleepSeconds(delay_ms / 1e3);
      outcome = ReadAnswer(p, conn, op, c, &error, &server_ms);
    }
    const double ms = (Now() - t0) * 1e3;
    if (outcome == Outcome::kOk) {
      (op.put ? t->put_ms : t->search_ms).push_back(ms);
      if (server_ms >= 0 && delay_ms == 0) {
        t->server_search_ms.push_back(server_ms);
        t->outside_search_ms.push_back(ms - server_ms);
      }
      ++answered;
    } else {
      t->Error(error);
      if (outcome == Outcome::kBroken) conn.Close();
    }
  }
  t->per_client.push_back(answered);
  t->last_finish = Now();
}

// The same mix through the embedded API: Random(dim, seed) (what random(seed)
// evaluates to), then Put or Search with the same k.
void RunEmbedded(Collection* coll, const ServeBenchConfig& c, uint64_t stream, double start, double end, Tally* t) {
  Mix mix(c, stream);
  size_t answered = 0;
  SleepSeconds(start - Now());
  while (Now() < end) {
    const Op op = mix.Next();
    const double t0 = Now();
    const Hypervector v = Hypervector::Random(c.bits, op.seed).value();
    std::string error;
    if (op.put) {
      if (Status s = coll->Put(op.key, v); !s.ok()) error = "put: " + s.ToString();
    } else {
      auto hits = coll->Search(v, {.k = c.k});
      if (!hits.ok()) error = "search: " + hits.status().ToString();
      else if (hits->size() != c.k) error = "search: " + std::to_string(hits->size()) + " hits";
    }
    const double ms = (Now() - t0) * 1e3;
    if (!error.empty()) {
      t->Error("embedded " + error);
      continue;
    }
    (op.put ? t->put_ms : t->search_ms).push_back(ms);
    ++answered;
  }
  t->per_client.push_back(answered);
  t->last_finish = Now();
}

// ---- The server process

double RssMb(pid_t pid) {
  double kb = -1;
  const std::string path = "/proc/" + std::to_string(pid) + "/status";
  if (std::FILE* f = std::fopen(path.c_str(), "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f)) {
      if (std::sscanf(line, "VmRSS: %lf kB", &kb) == 1) break;
    }
    std::fclose(f);
  }
  return kb < 0 ? -1 : kb / 1024.0;
}

// CPU seconds (user + system) `pid` has used so far; negative when unknown.
double CpuSeconds(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return -1;
  char text[1024];
  const size_t n = std::fread(text, 1, sizeof text - 1, f);
  std::fclose(f);
  text[n] = '\0';
  const char* rest = std::strrchr(text, ')');  // fields 3.. follow the command's name
  unsigned long long utime = 0, stime = 0;
  if (rest == nullptr || std::sscanf(rest + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) {
    return -1;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

// Samples the server's VmRSS every 100 ms until destroyed.
class RssMonitor {
 public:
  explicit RssMonitor(pid_t pid) : thread_([this, pid] {
      while (!stop_.load()) {
        const double mb = RssMb(pid);
        if (mb >= 0) {
          std::lock_guard lock(mu_);
          samples_.push_back(mb);
        }
        SleepSeconds(0.1);
      }
    }) {}
  ~RssMonitor() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::vector<double> samples() {
    std::lock_guard lock(mu_);
    return samples_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<double> samples_;
  std::thread thread_;
};

struct Server {
  pid_t pid = -1;
  std::FILE* out = nullptr;  // its stdout
  unsigned short lines_port = 0, http_port = 0;
};

std::string FindHvdb(const std::string& given) {
  if (!given.empty()) return given;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "hvdb";
  return (self.parent_path().parent_path() / "shell" / "hvdb").string();
}

// Starts `hvdb serve` and reads its stdout until both endpoints are listening.
std::string StartServer(const std::string& hvdb, const std::string& db, const ServeBenchConfig& c,
                        size_t connections, Server* s) {
  std::vector<std::string> args = {hvdb, "serve", db, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0",
                                   "--grace", std::to_string(c.grace_seconds)};
  if (c.workers > 0) args.insert(args.end(), {"--workers", std::to_string(c.workers)});
  if (connections + 16 > 256) args.insert(args.end(), {"--max-connections", std::to_string(connections + 16)});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return "pipe: " + std::string(std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  const int rc = ::posix_spawn(&s->pid, hvdb.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    return "cannot start " + hvdb + ": " + std::strerror(rc) + " (give --hvdb PATH)";
  }
  s->out = ::fdopen(pipe_fds[0], "r");
  char line[512];
  while ((s->lines_port == 0 || s->http_port == 0) && std::fgets(line, sizeof line, s->out) != nullptr) {
    const std::string text = line;
    const size_t colon = text.rfind(':');
    const auto port = static_cast<unsigned short>(colon == std::string::npos ? 0 : std::atoi(text.c_str() + colon + 1));
    if (text.rfind("listening on ", 0) == 0) s->lines_port = port;
    if (text.rfind("http on ", 0) == 0) s->http_port = port;
  }
  if (s->lines_port == 0 || s->http_port == 0) {
    int status = 0;
    ::waitpid(s->pid, &status, 0);
    s->pid = -1;
    return "the server exited before listening (status " + std::to_string(status) + ")";
  }
  return {};
}

// Sums hvdb_requests_total from /metrics by protocol, and the answers that were not 200.
std::map<std::string, double> ServerCounts(unsigned short http_port) {
  std::map<std::string, double> counts;
  Conn conn = Conn::Open(http_port);
  HttpAnswer a;
  std::string error;
  if (!conn.ok() || !conn.Send(HttpRequest("GET", "/metrics", "", "")) || !ReadHttp(conn, &a, &error)) return counts;
  size_t at = 0;
  while ((at = a.body.find("\nhvdb_requests_total{", at)) != std::string::npos) {
    const size_t end = a.body.find('\n', at + 1);
    const std::string line = a.body.substr(at + 1, end - at - 1);
    at = end;
    const bool lines = line.find("protocol=\"lines\"") != std::string::npos;
    const bool ok = line.find("status=\"200\"") != std::string::npos;
    const double n = std::atof(line.c_str() + line.rfind(' ') + 1);
    counts[lines ? "lines" : "http"] += n;
    if (!ok) counts["non_200"] += n;
  }
  return counts;
}

// The embedded baseline: `threads` threads running the mix for `seconds`.
Tally RunEmbeddedPhase(Collection* coll, const ServeBenchConfig& c, unsigned threads, double seconds,
                       uint64_t streams, double* elapsed) {
  std::vector<Tally> tallies(threads);
  std::vector<std::thread> running;
  const double start = Now() + 0.1, end = start + seconds;
  for (unsigned i = 0; i < threads; ++i) {
    running.emplace_back(RunEmbedded, coll, std::cref(c), streams + i, start, end, &tallies[i]);
  }
  for (auto& t : running) t.join();
  Tally all;
  for (const Tally& t : tallies) all.Merge(t);
  *elapsed = all.last_finish - start;
  return all;
}

// One client at a time on `p` for `seconds`: a request's latency with no
// queue in front of it.
Tally RunAlone(Protocol p, unsigned short port, const ServeBenchConfig& c, uint64_t stream, double seconds,
               double* elapsed) {
  Tally t;
  const double start = Now() + 0.05;
  RunClient(p, port, c, stream, start, start + seconds, 0, &t);
  *elapsed = t.last_finish - start;
  return t;
}

JsonLine Figures(const char* what, const Tally& t, double seconds) {
  JsonLine line;
  line.Add("bench", "serve").Add("what", what);
  AddFigures(t, seconds, &line);
  return line;
}

}  // namespace

int RunServeBench(const ServeBenchConfig& c) {
  if (!ValidateDim(c.bits).ok()) return Fail("--bits: " + ValidateDim(c.bits).ToString());
  if (c.n < c.k || c.clients < 2 || c.seconds <= 0 || c.k == 0 || c.write_fraction < 0 || c.write_fraction > 1) {
    return Fail("need --n >= k, --clients >= 2, --seconds > 0, --write-fraction in [0, 1]");
  }
  const std::string hvdb = FindHvdb(c.hvdb);
  if (::access(hvdb.c_str(), X_OK) != 0) return Fail("no hvdb program at " + hvdb + " (give --hvdb PATH)");
  const std::string scratch = MakeScratchDir(c.dir, "hvdb-bench-serve");
  if (scratch.empty()) return Fail("cannot make a scratch directory");
  const std::string npy = scratch + "/rows.npy", path = scratch + "/db";
  auto cleanup = [&] {
    std::error_code ec;
    fs::remove_all(scratch, ec);
  };
  auto fail = [&](const std::string& message) {
    cleanup();
    return Fail(message);
  };
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const unsigned server_workers = c.workers ? c.workers : std::max(2u, cores);  // as hvdb serve picks
  const size_t lines_clients = c.clients / 2, http_clients = c.clients - lines_clients;
  // The baselines: as many threads as the server has workers, and as many as
  // there are clients (or --embedded-threads alone).
  std::vector<unsigned> embedded_threads = {server_workers, static_cast<unsigned>(c.clients)};
  if (c.embedded_threads) embedded_threads = {c.embedded_threads};
  if (embedded_threads.size() == 2 && embedded_threads[0] == embedded_threads[1]) embedded_threads.pop_back();
  const double alone_seconds = std::min(2.0, c.seconds / 5);
  const double warmup_seconds = alone_seconds / 2;  // unmeasured, before the first figures of each side

  // Preload: n random rows, keys "0" .. "n-1", through BulkLoad.
  {
    const size_t words = c.bits / 64;
    std::FILE* f = std::fopen(npy.c_str(), "wb");
    bool ok = f != nullptr && storage::WriteNpyHeader(f, c.n, words * 8, npy).ok();
    std::vector<uint64_t> chunk(std::min<size_t>(c.n, 65536) * words);
    uint64_t state = c.seed;
    for (size_t done = 0; ok && done < c.n;) {
      const size_t rows = std::min<size_t>(65536, c.n - done);
      for (size_t i = 0; i < rows * words; ++i) chunk[i] = hdc::SplitMix64Next(state);
      ok = std::fwrite(chunk.data(), 8, rows * words, f) == rows * words;
      done += rows;
    }
    if (f != nullptr) ok = std::fclose(f) == 0 && ok;
    if (!ok) return fail("writing " + npy);
  }
  std::unique_ptr<DB> db;
  Collection* coll = nullptr;
  if (Status s = DB::Open({}, path, &db); !s.ok()) return fail("open: " + s.ToString());
  if (Status s = db->CreateCollection("bench", {.dim = c.bits}); !s.ok()) return fail("create: " + s.ToString());
  (void)db->GetCollection("bench", &coll);
  const double load_start = Now();
  if (auto r = coll->BulkLoad(npy); !r.ok()) return fail("bulk load: " + r.status().ToString());
  const double load_seconds = Now() - load_start;
  fs::remove(npy);
  // Reopened, as the server will open it, and the load's writes on the disk
  // now rather than under the first fsyncs measured.
  db.reset();
  if (const int dir = ::open(scratch.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    (void)::syncfs(dir);
    ::close(dir);
  }
  if (Status s = DB::Open({}, path, &db); !s.ok()) return fail("reopen: " + s.ToString());
  (void)db->GetCollection("bench", &coll);

  const size_t connections = c.clients + 2 * c.slow + 4 * c.stalled;
  JsonLine()
      .Add("bench", "serve").Add("what", "setup").Add("n", c.n).Add("bits", c.bits).Add("k", c.k)
      .Add("write_fraction", c.write_fraction).Add("seconds", c.seconds).Add("alone_seconds", alone_seconds)
      .Add("warmup_seconds", warmup_seconds)
      .Add("clients", c.clients).Add("lines_clients", lines_clients).Add("http_clients", http_clients)
      .Add("slow_per_protocol", c.slow).Add("slow_delay_ms", c.slow_delay_ms)
      .Add("stalled_per_protocol_and_kind", c.stalled).Add("connections", connections)
      .Add("server_workers", server_workers).Add("cores", cores).Add("preload_seconds", load_seconds)
      .Print();

  // The baselines, in this process on the same rows: one thread alone, then
  // each thread count for the whole time.
  size_t errors = 0;
  double elapsed = 0;
  errors += RunEmbeddedPhase(coll, c, 1, warmup_seconds, 100000, &elapsed).errors;
  Tally embedded_alone = RunEmbeddedPhase(coll, c, 1, alone_seconds, 200000, &elapsed);
  Figures("embedded_alone", embedded_alone, elapsed).Add("threads", 1u).Print();
  errors += embedded_alone.errors;
  std::vector<std::pair<Tally, double>> embedded;  // a tally and its seconds, a thread count each
  for (unsigned threads : embedded_threads) {
    embedded.emplace_back(RunEmbeddedPhase(coll, c, threads, c.seconds, 300000 + 10000 * embedded.size(), &elapsed), elapsed);
    Figures("embedded", embedded.back().first, elapsed).Add("threads", threads).Print();
    errors += embedded.back().first.errors;
  }
  db.reset();  // the server opens it next

  Server server;
  if (std::string error = StartServer(hvdb, path, c, connections, &server); !error.empty()) return fail(error);
  RssMonitor rss(server.pid);

  // One client alone on each protocol: the round trip without queueing.
  std::map<Protocol, Tally> alone;
  errors += RunAlone(Protocol::kLines, server.lines_port, c, 899, warmup_seconds, &elapsed).errors;
  for (Protocol p : {Protocol::kLines, Protocol::kHttp}) {
    alone[p] = RunAlone(p, p == Protocol::kLines ? server.lines_port : server.http_port, c,
                        p == Protocol::kLines ? 900 : 901, alone_seconds, &elapsed);
    Figures(p == Protocol::kLines ? "lines_alone" : "http_alone", alone[p], elapsed).Print();
    errors += alone[p].errors;
  }
  std::map<std::string, double> counts_before = ServerCounts(server.http_port);

  // The stalled clients, connected for the whole run and through SIGTERM:
  // on each protocol, `stalled` that send a burst of searches with a small
  // receive window and never read, and `stalled` that send nothing.
  std::vector<Conn> stalled;
  size_t stalled_bytes = 0;
  for (Protocol p : {Protocol::kLines, Protocol::kHttp}) {
    const unsigned short port = p == Protocol::kLines ? server.lines_port : server.http_port;
    std::string burst;
    for (uint64_t i = 0; burst.size() < (256 << 10); ++i) burst += Request(p, {false, "", 7 + i}, c);
    for (size_t i = 0; i < 2 * c.stalled; ++i) {
      Conn conn = Conn::Open(port, /*rcvbuf=*/4096);
      if (!conn.ok()) {
        ++errors;
        std::fprintf(stderr, "hvdb-bench serve: a stalled client could not connect: %s\n", std::strerror(errno));
        continue;
      }
      if (i < c.stalled) stalled_bytes += conn.SendWithoutWaiting(burst);
      stalled.push_back(std::move(conn));
    }
  }

  // The measured clients and the slow ones, all at once.
  const size_t total_clients = c.clients + 2 * c.slow;
  std::vector<Tally> tallies(total_clients);
  std::vector<std::thread> threads;
  std::vector<std::pair<Protocol, bool>> kinds;  // protocol, slow
  const double start = Now() + 0.5, end = start + c.seconds;
  const double server_cpu_before = CpuSeconds(server.pid), self_cpu_before = SelfCpuSeconds();
  for (size_t i = 0; i < total_clients; ++i) {
    const bool slow = i >= c.clients;
    const Protocol p = slow ? (i - c.clients < c.slow ? Protocol::kLines : Protocol::kHttp)
                            : (i < lines_clients ? Protocol::kLines : Protocol::kHttp);
    kinds.emplace_back(p, slow);
    const unsigned short port = p == Protocol::kLines ? server.lines_port : server.http_port;
    threads.emplace_back(RunClient, p, port, std::cref(c), 1000 + i, start, end, slow ? c.slow_delay_ms : 0u,
                         &tallies[i]);
  }
  for (auto& t : threads) t.join();
  const double load_wall = Now() - start;
  const double server_cpu = CpuSeconds(server.pid) - server_cpu_before, self_cpu = SelfCpuSeconds() - self_cpu_before;
  std::map<std::pair<Protocol, bool>, Tally> groups;
  for (size_t i = 0; i < kinds.size(); ++i) groups[kinds[i]].Merge(tallies[i]);
  const std::vector<double> during = rss.samples();
  std::map<std::string, double> counts = ServerCounts(server.http_port);

  // SIGTERM with the stalled clients still connected.
  const double stop_start = Now();
  ::kill(server.pid, SIGTERM);
  int status = 0;
  bool exited = false;
  const double limit = c.grace_seconds + kCloseMarginSeconds;
  while (!exited && Now() - stop_start < limit + 5) {
    exited = ::waitpid(server.pid, &status, WNOHANG) == server.pid;
    if (!exited) SleepSeconds(0.002);
  }
  const double shutdown_seconds = Now() - stop_start;
  if (!exited) {
    ::kill(server.pid, SIGKILL);
    ::waitpid(server.pid, &status, 0);
  }
  rss.Stop();
  const size_t stalled_connections = stalled.size();
  stalled.clear();
  bool said_stopped = false;
  char text[512];
  while (std::fgets(text, sizeof text, server.out) != nullptr) said_stopped |= std::string_view(text) == "stopped\n";
  std::fclose(server.out);
  const bool stopped = exited && WIFEXITED(status) && WEXITSTATUS(status) == 0 && said_stopped &&
                       shutdown_seconds <= limit;

  auto rate = [](const std::pair<Tally, double>& run) { return static_cast<double>(run.first.requests()) / run.second; };
  const auto best = std::max_element(embedded.begin(), embedded.end(),
                                     [&](const auto& a, const auto& b) { return rate(a) < rate(b); });
  Tally network;
  double answered = 0;
  for (const auto& [kind, t] : groups) {
    errors += t.errors;
    answered += static_cast<double>(t.requests());
    JsonLine line = Figures((std::string(Name(kind.first)) + (kind.second ? "_slow" : "")).c_str(), t,
                            t.last_finish - start);
    line.Add("clients", t.per_client.size());
    if (kind.second) line.Add("delay_ms", c.slow_delay_ms);
    if (!kind.second) {
      line.Add("search_p50_over_embedded_alone",
               Percentile(t.search_ms, 0.5) / Percentile(embedded_alone.search_ms, 0.5));
    }
    line.Print();
    if (!kind.second) network.Merge(t);
  }
  const double served = counts["lines"] + counts["http"] - counts_before["lines"] - counts_before["http"];
  JsonLine()
      .Add("bench", "serve").Add("what", "server")
      .Add("workers", server_workers)
      .Add("rss_start_mb", during.empty() ? 0.0 : during.front())
      .Add("rss_peak_mb", during.empty() ? 0.0 : *std::max_element(during.begin(), during.end()))
      .Add("rss_end_mb", during.empty() ? 0.0 : during.back())
      .Add("rss_samples", during.size())
      .Add("stalled_connections", stalled_connections)
      .Add("stalled_bytes_sent", stalled_bytes)
      .Add("server_requests_during_load", served)
      .Add("server_requests_to_stalled_about", served - answered)
      .Add("server_non_200", counts["non_200"])
      // Where the cores went during the load: the server, and this process
      // (the clients, and the RSS sampler), over cores x wall time.
      .Add("load_wall_s", load_wall)
      .Add("server_cpu_s", server_cpu)
      .Add("clients_cpu_s", self_cpu)
      .Add("cpu_available_s", load_wall * cores)
      .Add("shutdown_s", shutdown_seconds)
      .Add("grace_s", c.grace_seconds)
      .Add("exit_status", static_cast<size_t>(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)))
      .Add("said_stopped", said_stopped)
      .Add("stopped_in_time", stopped)
      .Print();
  if (counts["non_200"] > 0) ++errors;
  const double network_rps = static_cast<double>(network.requests()) / (network.last_finish - start);
  JsonLine summary;
  summary.Add("bench", "serve").Add("what", "summary")
      .Add("requests_per_s", network_rps)
      .Add("search_p50_ms", Percentile(network.search_ms, 0.5));
  for (const auto& run : embedded) {
    summary.Add("embedded_" + std::to_string(run.first.per_client.size()) + "t_requests_per_s", rate(run));
  }
  summary.Add("embedded_best_threads", best->first.per_client.size())
      .Add("network_over_best_embedded", network_rps / rate(*best));
  const double alone_search = Percentile(embedded_alone.search_ms, 0.5);
  summary.Add("embedded_alone_search_p50_ms", alone_search)
      .Add("lines_alone_search_p50_ms", Percentile(alone[Protocol::kLines].search_ms, 0.5))
      .Add("http_alone_search_p50_ms", Percentile(alone[Protocol::kHttp].search_ms, 0.5))
      .Add("http_alone_server_search_p50_ms", Percentile(alone[Protocol::kHttp].server_search_ms, 0.5))
      // What one request costs beyond its search, measured on the same
      // request (HTTP), and for JSON lines against the HTTP client's search
      // time 2 s apart (an estimate).
      .Add("http_alone_outside_search_p50_ms", Percentile(alone[Protocol::kHttp].outside_search_ms, 0.5))
      .Add("lines_alone_outside_search_p50_ms_estimate",
           Percentile(alone[Protocol::kLines].search_ms, 0.5) - Percentile(alone[Protocol::kHttp].server_search_ms, 0.5))
      .Add("errors", errors)
      .Add("ok", errors == 0 && stopped)
      .Print();
  cleanup();
  return errors == 0 && stopped ? 0 : 1;
}

}  // namespace hvdb::bench
