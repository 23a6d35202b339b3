// Copyright hvdb authors.
#include "shell/server/api.h"

#include <openssl/evp.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <sstream>
#include <utility>

#include "shell/client.h"
#include "shell/lang/session.h"
#include "shell/printable.h"

namespace hvdb::shell {
namespace {

namespace json = boost::json;

// HVDB_ASSIGN_OR_RETURN for handlers: an error becomes the error response
// (Handler::Error).
#define HVDB_ASSIGN_OR_RETURN_RESPONSE(lhs, rexpr) \
  HVDB_ASSIGN_OR_RETURN_RESPONSE_IMPL_(HVDB_CONCAT_(api_result_, __LINE__), lhs, rexpr)
#define HVDB_ASSIGN_OR_RETURN_RESPONSE_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                         \
  if (!tmp.ok()) return Error(tmp.status());                   \
  lhs = std::move(tmp).value()

const char* CodeName(const Status& s) { return Status::CodeName(s.code()); }


// json::serialize, but numbers as people write them: Boost.JSON 1.81 writes
// every double in exponent form (0.9375 as 9.375E-1); here it is the
// shortest text that reads back as the same double.
void Write(const json::value& v, std::string* out) {
  switch (v.kind()) {
    case json::kind::double_: {
      char buf[32];
      const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.get_double());
      if (ec != std::errc() || !std::isfinite(v.get_double())) {
        out->append("null");  // JSON has no infinity; none is sent today
      } else {
        out->append(buf, end);
      }
      return;
    }
    case json::kind::array: {
      out->push_back('[');
      bool first = true;
      for (const json::value& e : v.get_array()) {
        if (!std::exchange(first, false)) out->push_back(',');
        Write(e, out);
      }
      out->push_back(']');
      return;
    }
    case json::kind::object: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, e] : v.get_object()) {
        if (!std::exchange(first, false)) out->push_back(',');
        out->append(json::serialize(json::string_view(key)));
        out->push_back(':');
        Write(e, out);
      }
      out->push_back('}');
      return;
    }
    default:
      out->append(json::serialize(v));
  }
}

ApiResponse Json(int status, const json::value& value) {
  ApiResponse r;
  r.status = status;
  Write(value, &r.body);
  return r;
}

// ---- Targets: /v1/collections/{name}/vectors/{key}?k=v

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoded (keys are any bytes); false on a malformed escape.
bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size() || HexDigit(in[i + 1]) < 0 || HexDigit(in[i + 2]) < 0) return false;
    out->push_back(static_cast<char>(HexDigit(in[i + 1]) * 16 + HexDigit(in[i + 2])));
    i += 2;
  }
  return true;
}

struct Target {
  std::vector<std::string> segments;  // decoded
  bool ok = true;
};

Target ParseTarget(std::string_view target) {
  Target t;
  const std::string_view path = target.substr(0, target.find('?'));
  size_t at = 0;
  while (at < path.size()) {
    if (path[at] == '/') {
      ++at;
      continue;
    }
    const size_t end = std::min(path.find('/', at), path.size());
    std::string segment;
    t.ok = t.ok && PercentDecode(path.substr(at, end - at), &segment);
    t.segments.push_back(std::move(segment));
    at = end;
  }
  return t;
}

// ---- Vectors and keys in JSON

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> FromBase64(std::string_view text, const std::string& what) {
  if (text.size() % 4 != 0) return Status::InvalidArgument(what + ": base64 of " + std::to_string(text.size()) + " characters (a multiple of 4 is needed)");
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return Status::InvalidArgument(what + ": not base64");
  size_t padding = 0;
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) ++padding;
  out.resize(static_cast<size_t>(n) - std::min<size_t>(padding, static_cast<size_t>(n)));
  return out;
}

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// A key as JSON: "key" when it is UTF-8, else "key_base64".
void PutKey(json::object* o, std::string_view key) {
  if (ValidUtf8(key)) {
    (*o)["key"] = json::string(key);
  } else {
    (*o)["key_base64"] = Base64(key);
  }
}

Result<std::string> KeyOf(const json::object& o, const std::string& what) {
  if (const json::value* k = o.if_contains("key"); k != nullptr && k->is_string()) {
    return std::string(k->as_string());
  }
  if (const json::value* k = o.if_contains("key_base64"); k != nullptr && k->is_string()) {
    return FromBase64(k->as_string(), what + ".key_base64");
  }
  return Status::InvalidArgument(what + ": give \"key\" (a string) or \"key_base64\"");
}

// {"hex": "..."} or {"base64": "..."} of `dim` bits.
Result<Hypervector> VectorOf(const json::object& o, size_t dim, const std::string& what) {
  if (const json::value* h = o.if_contains("hex"); h != nullptr && h->is_string()) {
    auto v = Hypervector::FromHex(std::string_view(h->as_string()));
    if (!v.ok()) return v.status().WithContext(what + ".hex");
    if (v->dim() != dim) {
      return Status::InvalidArgument(what + ".hex holds " + std::to_string(v->dim()) + " bits, the collection " +
                                     std::to_string(dim));
    }
    return v;
  }
  if (const json::value* b = o.if_contains("base64"); b != nullptr && b->is_string()) {
    HVDB_ASSIGN_OR_RETURN(const std::string bytes, FromBase64(b->as_string(), what + ".base64"));
    if (bytes.size() * 8 != dim) {
      return Status::InvalidArgument(what + ".base64 holds " + std::to_string(bytes.size() * 8) +
                                     " bits, the collection " + std::to_string(dim));
    }
    HVDB_ASSIGN_OR_RETURN(Hypervector v, Hypervector::Zeros(dim));
    std::memcpy(v.data(), bytes.data(), bytes.size());
    return v;
  }
  return Status::InvalidArgument(what + ": give \"hex\" (hvdb's hex form) or \"base64\" (the packed bytes)");
}

json::object VectorJson(std::string_view key, const Hypervector& v) {
  json::object o;
  PutKey(&o, key);
  o["dim"] = v.dim();
  o["hex"] = v.ToHex();
  o["base64"] = Base64(std::string_view(reinterpret_cast<const char*>(v.data()), v.words() * 8));
  return o;
}

Result<json::object> BodyObject(const ApiRequest& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (ec) return Status::InvalidArgument("the body is not JSON: " + ec.message());
  if (!v.is_object()) return Status::InvalidArgument("the body must be a JSON object");
  return std::move(v.as_object());
}

Result<uint64_t> Count(const json::object& o, const char* name, uint64_t otherwise) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || v->is_null()) return otherwise;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64() && v->as_int64() >= 0) return static_cast<uint64_t>(v->as_int64());
  return Status::InvalidArgument(std::string("\"") + name + "\" must be a non-negative integer");
}

json::object StatsJson(const CollectionStats& s) {
  return {{"name", s.name},           {"dim", s.dim},
          {"count", s.count},         {"deleted_rows", s.deleted_rows},
          {"memory_bytes", s.memory_bytes}, {"disk_bytes", s.disk_bytes},
          {"index", IndexKindName(s.index)}, {"index_bytes", s.index_bytes}, {"ivf_lists", s.ivf_lists},
          {"gpu_bytes", s.gpu_bytes}, {"item_memory_seed", s.item_memory_seed}};
}

json::object SearchStatsJson(const SearchStats& stats) {
  return {{"device", DeviceName(stats.plan.device)},
          {"kernel", stats.plan.kernel},
          {"index", IndexKindName(stats.plan.index)},
          {"plan", stats.plan.reason},
          {"rows_scanned", stats.rows_scanned},
          {"candidates_reranked", stats.candidates_reranked},
          {"seconds", stats.seconds}};
}

// ---- Routes

class Handler {
 public:
  Handler(Server* server, const ApiRequest& r, const std::atomic<bool>* cancel)
      : server_(server), r_(r), cancel_(cancel), target_(ParseTarget(r.target)) {}

  ApiResponse Run() {
    const auto& seg = target_.segments;
    if (!target_.ok) return ErrorResponse(400, "a malformed %-escape in the target");
    if (seg.empty()) return Page();
    if (seg.size() == 1 && seg[0] == "healthz") return Health();
    if (seg.size() == 1 && seg[0] == "openapi.json") return Only("GET", [] { return Static(OpenApiDocument(), "application/json"); });
    if (seg.size() == 1 && seg[0] == "metrics") return Metrics();
    if (FindRoute(r_.method, r_.target).name.empty()) return NotFound();  // before any lookup
    if (Status s = Authorize(); !s.ok()) return Unauthorized(s);
    if (seg.size() == 2 && seg[1] == "statements") return Only("POST", [&] { return Statements(); });
    if (seg.size() >= 2 && seg[1] == "collections") return Collections();
    return NotFound();
  }

 private:
  using Body = std::function<ApiResponse()>;

  ApiResponse NotFound() const { return ErrorResponse(404, "no route " + r_.method + " " + r_.target, "NotFound"); }
  // An error of the database or the language, without the server's paths.
  ApiResponse Error(const Status& s) const {
    return ErrorResponse(HttpStatus(s), server_->Redact(s.message()), CodeName(s));
  }
  ApiResponse Only(const std::string& method, const Body& body) const {
    return Methods({{method, body}});
  }
  // The handler for the method, 405 with Allow naming the others.
  ApiResponse Methods(const std::vector<std::pair<std::string, Body>>& handlers) const {
    std::string allow;
    for (const auto& [method, body] : handlers) {
      if (r_.method == method) return body();
      allow += (allow.empty() ? "" : ", ") + method + (method == "GET" ? ", HEAD" : "");  // HEAD: the protocol's
    }
    ApiResponse r = ErrorResponse(405, r_.method + " is not a method of " + r_.target + " (" + allow + ")");
    r.headers.emplace_back("Allow", allow);
    return r;
  }

  ApiResponse Page() const { return Only("GET", [] { return Static(ConsolePage(), "text/html; charset=utf-8"); }); }
  static ApiResponse Static(std::string_view body, const char* type) {
    ApiResponse r;
    r.content_type = type;
    r.body = std::string(body);
    return r;
  }
  ApiResponse Health() const {
    return Only("GET", [&] {
      return server_->stopping() ? Json(503, {{"status", "stopping"}}) : Json(200, {{"status", "ok"}});
    });
  }
  ApiResponse Metrics() {
    return Only("GET", [&] {
      if (Status s = Authorize(); !s.ok()) return Unauthorized(s);
      ApiResponse r;
      r.content_type = "text/plain; version=0.0.4";
      r.body = server_->metrics().Render(server_->db());
      return r;
    });
  }

  // ---- Tokens

  Status Authorize() {
    if (!server_->auth_required()) {
      role_ = Role::kReadWrite;
      return Status::OK();
    }
    // "Bearer TOKEN"; the scheme's name in any case (RFC 9110).
    std::string_view header = r_.authorization;
    constexpr std::string_view kBearer = "bearer";
    const bool bearer = header.size() > kBearer.size() && (header[kBearer.size()] == ' ' || header[kBearer.size()] == '\t') &&
                        std::equal(kBearer.begin(), kBearer.end(), header.begin(),
                                   [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
    if (!bearer) return Status::NotFound("this server wants a token: Authorization: Bearer TOKEN");
    header.remove_prefix(kBearer.size());
    while (!header.empty() && (header.front() == ' ' || header.front() == '\t')) header.remove_prefix(1);
    while (!header.empty() && (header.back() == ' ' || header.back() == '\t')) header.remove_suffix(1);
    const std::optional<Role> role = server_->Authenticate(header);
    if (!role) return Status::InvalidArgument("that token is not valid here");
    role_ = *role;
    return Status::OK();
  }
  ApiResponse Unauthorized(const Status& s) const {
    server_->metrics().Refused("auth");
    ApiResponse r = ErrorResponse(401, s.message(), "Unauthenticated");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  // 403 unless the token may write.
  std::optional<ApiResponse> MayWrite() const {
    if (role_ == Role::kReadWrite) return std::nullopt;
    return ErrorResponse(403, r_.method + " " + r_.target + " writes, and this token may only read", "Forbidden");
  }

  // ---- The language

  ApiResponse Statements() {
    std::string script = r_.body;
    bool details = false;
    // JSON when it says so, or when it is not declared text and looks like
    // an object (no statement starts with '{'; curl -d sends a form type).
    const size_t first = script.find_first_not_of(" \t\r\n");
    const bool json_body = r_.content_type.find("application/json") != std::string::npos ||
                           (r_.content_type.find("text/plain") == std::string::npos && first != std::string::npos &&
                            script[first] == '{');
    if (json_body) {
      HVDB_ASSIGN_OR_RETURN_RESPONSE(const json::object body, BodyObject(r_));
      const json::value* s = body.if_contains("statements");
      if (s == nullptr || !s->is_string()) return ErrorResponse(400, "give \"statements\": the shell language");
      script = std::string(s->as_string());
      if (const json::value* d = body.if_contains("details"); d != nullptr) {
        if (!d->is_bool()) return ErrorResponse(400, "\"details\" must be true or false");
        details = d->as_bool();
      }
    }
    const std::vector<std::string> units = SplitScript(script);
    if (units.size() > server_->options().max_statements) {
      return ErrorResponse(429, "at most " + std::to_string(server_->options().max_statements) +
                                    " statements a request (" + std::to_string(units.size()) + " given)",
                           "ResourceExhausted");
    }
    std::ostringstream out;
    Session session(server_->db(), out, out);
    session.mode = OutputMode::kJson;
    session.policy = server_->Policy(role_, cancel_);
    json::object search;  // details: the last search the statement ran
    session.on_statement = [&](const Statement& st, const SearchStats* stats) {
      server_->metrics().Statement(st, stats);
      if (!details || stats == nullptr) return;
      search = SearchStatsJson(*stats);
      search["collection"] = st.name;
      if (Collection* c = nullptr; server_->db()->GetCollection(st.name, &c).ok()) {
        search["dim"] = c->dim();
        search["rows"] = c->Stats().count;
      }
    };
    // One JSON value a statement (details: with the statement, its time and
    // its search's plan); the first error ends the request and sets its status.
    json::array results;
    std::string values = "[";
    int status = 200;
    for (size_t i = 0; i < units.size(); ++i) {
      out.str("");
      search = {};
      const size_t errors = session.errors();
      const auto start = std::chrono::steady_clock::now();
      session.Run(units[i], 1);
      const std::string answer = AnswerLine(out.str());
      if (details) {
        boost::system::error_code ec;
        json::value value = json::parse(answer, ec);  // AnswerLine makes JSON; should it not, the text
        if (ec) value = {{"output", answer}};
        json::object result{{"statement", units[i]},
                            {"answer", std::move(value)},
                            {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()}};
        if (!search.empty()) result["search"] = std::move(search);
        results.push_back(std::move(result));
      } else {
        values += (i ? "," : "") + answer;
      }
      if (session.errors() != errors) {
        status = session.last_error_refused_write() ? 403 : HttpStatus(session.last_error());
        break;
      }
      if (session.quit) break;
    }
    if (details) return Json(status, {{"results", std::move(results)}});
    ApiResponse r;
    r.status = status;
    r.body = values + "]";
    return r;
  }

  // ---- Resources

  ApiResponse Collections() {
    const auto& seg = target_.segments;
    if (seg.size() == 2) return Methods({{"GET", [&] { return ListCollections(); }}, {"POST", [&] { return Create(); }}});
    Collection* c = nullptr;
    if (Status s = server_->db()->GetCollection(seg[2], &c); !s.ok() && !(seg.size() == 3 && r_.method == "DELETE")) {
      return ErrorResponse(404, "no collection '" + seg[2] + "'", "NotFound");
    }
    if (seg.size() == 3) {
      return Methods({{"GET", [&] { return Json(200, StatsJson(c->Stats())); }}, {"DELETE", [&] { return Drop(); }}});
    }
    if (seg.size() == 4 && seg[3] == "search") return Only("POST", [&] { return Search(c); });
    if (seg.size() == 4 && seg[3] == "vectors") return Only("POST", [&] { return PutMany(c); });
    if (seg.size() == 5 && seg[3] == "vectors") {
      const std::string& key = seg[4];
      return Methods({{"GET", [&] { return GetVector(c, key); }},
                      {"PUT", [&] { return PutVector(c, key); }},
                      {"DELETE", [&] { return DeleteVector(c, key); }}});
    }
    return NotFound();
  }

  ApiResponse ListCollections() {
    json::array list;
    for (const std::string& name : server_->db()->ListCollections()) {
      Collection* c = nullptr;
      if (server_->db()->GetCollection(name, &c).ok()) list.push_back(StatsJson(c->Stats()));
    }
    return Json(200, {{"collections", std::move(list)}});
  }

  ApiResponse Create() {
    if (auto denied = MayWrite()) return *denied;
    HVDB_ASSIGN_OR_RETURN_RESPONSE(const json::object body, BodyObject(r_));
    const json::value* name = body.if_contains("name");
    if (name == nullptr || !name->is_string()) return ErrorResponse(400, "give \"name\": the collection's name");
    HVDB_ASSIGN_OR_RETURN_RESPONSE(const uint64_t dim, Count(body, "dim", 0));
    CollectionOptions options{.dim = dim};
    if (const json::value* index = body.if_contains("index"); index != nullptr) {
      if (!index->is_object()) return ErrorResponse(400, "\"index\" must be an object: {\"kind\": \"ivf\", ...}");
      const json::object& i = index->as_object();
      if (const json::value* kind = i.if_contains("kind"); kind != nullptr && kind->is_string()) {
        HVDB_ASSIGN_OR_RETURN_RESPONSE(options.index.kind, ParseIndexKind(kind->as_string()));
      }
      IndexOptions& x = options.index;
      for (auto [field, target] : std::initializer_list<std::pair<const char*, size_t*>>{
               {"bits", &x.prefix_bits},  {"candidates", &x.prefix_candidates}, {"nlist", &x.ivf_nlist},
               {"nprobe", &x.ivf_nprobe}, {"iterations", &x.ivf_iterations},    {"m", &x.hnsw_m},
               {"ef_construction", &x.hnsw_ef_construction}, {"ef", &x.hnsw_ef_search}}) {
        HVDB_ASSIGN_OR_RETURN_RESPONSE(const uint64_t v, Count(i, field, *target));
        *target = v;
      }
    }
    const std::string collection(name->as_string());
    if (Status s = server_->db()->CreateCollection(collection, options); !s.ok()) return Error(s);  // 409 when it exists
    Collection* c = nullptr;
    (void)server_->db()->GetCollection(collection, &c);
    ApiResponse r = Json(201, StatsJson(c->Stats()));
    r.headers.emplace_back("Location", "/v1/collections/" + collection);
    return r;
  }

  ApiResponse Drop() {
    if (auto denied = MayWrite()) return *denied;
    if (Status s = server_->db()->DropCollection(target_.segments[2]); !s.ok()) return Error(s);
    return Json(200, {{"dropped", target_.segments[2]}});
  }

  ApiResponse GetVector(Collection* c, const std::string& key) {
    auto v = c->Get(key);
    if (!v.ok()) return Error(v.status());
    return Json(200, VectorJson(key, *v));
  }

  ApiResponse PutVector(Collection* c, const std::string& key) {
    if (auto denied = MayWrite()) return *denied;
    HVDB_ASSIGN_OR_RETURN_RESPONSE(const json::object body, BodyObject(r_));
    HVDB_ASSIGN_OR_RETURN_RESPONSE(const Hypervector v, VectorOf(body, c->dim(), "body"));
    if (Status s = c->Put(key, v); !s.ok()) return Error(s);
    return Json(200, {{"ok", true}});
  }

  ApiResponse DeleteVector(Collection* c, const std::string& key) {
    if (auto denied = MayWrite()) return *denied;
    if (Status s = c->Delete(key); !s.ok()) return Error(s);
    return Json(200, {{"ok", true}});
  }

  // {"vectors": [{"key": ..., "hex" | "base64": ...}, ...]}: one atomic batch.
  ApiResponse PutMany(Collection* c) {
    if (auto denied = MayWrite()) return *denied;
    HVDB_ASSIGN_OR_RETURN_RESPONSE(const json::object body, BodyObject(r_));
    const json::value* vectors = body.if_contains("vectors");
    if (vectors == nullptr || !vectors->is_array()) return ErrorResponse(400, "give \"vectors\": an array");
    WriteBatch batch;
    const json::array& list = vectors->as_array();
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string what = "vectors[" + std::to_string(i) + "]";
      if (!list[i].is_object()) return ErrorResponse(400, what + " must be an object");
      HVDB_ASSIGN_OR_RETURN_RESPONSE(const std::string key, KeyOf(list[i].as_object(), what));
      HVDB_ASSIGN_OR_RETURN_RESPONSE(const Hypervector v, VectorOf(list[i].as_object(), c->dim(), what));
      batch.Put(key, v);
    }
    if (Status s = c->Write(batch); !s.ok()) return Error(s);
    return Json(200, {{"written", list.size()}});
  }

  // {"vector": {...} | "expression": "..." | "key": ..., "k", "radius",
  //  "device", "candidates", "nprobe", "ef", "exact"}
  ApiResponse Search(Collection* c) {
    HVDB_ASSIGN_OR_RETURN_RESPONSE(const json::object body, BodyObject(r_));
    Hypervector query;
    if (const json::value* v = body.if_contains("vector"); v != nullptr) {
      if (!v->is_object()) return ErrorResponse(400, "\"vector\" must be {\"hex\": ...} or {\"base64\": ...}");
      HVDB_ASSIGN_OR_RETURN_RESPONSE(query, VectorOf(v->as_object(), c->dim(), "vector"));
    } else if (const json::value* e = body.if_contains("expression"); e != nullptr) {
      if (!e->is_string()) return ErrorResponse(400, "\"expression\" must be a string: the shell language");
      std::ostringstream unused;
      Session session(server_->db(), unused, unused);
      session.policy = server_->Policy(role_, cancel_);
      auto evaluated = session.EvaluateQuery(std::string_view(e->as_string()), c);
      if (!evaluated.ok()) return Error(evaluated.status());
      query = std::move(evaluated).value();
    } else if (body.contains("key") || body.contains("key_base64")) {
      HVDB_ASSIGN_OR_RETURN_RESPONSE(const std::string key, KeyOf(body, "body"));
      auto stored = c->Get(key);
      if (!stored.ok()) return Error(stored.status());
      query = std::move(stored).value();
    } else {
      return ErrorResponse(400, "give the query: \"vector\", \"expression\" (the shell language) or \"key\"");
    }
    SearchOptions options;
    const bool has_radius = body.contains("radius") && !body.at("radius").is_null();
    HVDB_ASSIGN_OR_RETURN_RESPONSE(options.k, Count(body, "k", has_radius ? 0 : 10));
    if (has_radius) {
      HVDB_ASSIGN_OR_RETURN_RESPONSE(const uint64_t radius, Count(body, "radius", 0));
      if (radius > UINT32_MAX) return ErrorResponse(400, "\"radius\" must be below 2^32");
      options.max_distance = static_cast<uint32_t>(radius);
    }
    HVDB_ASSIGN_OR_RETURN_RESPONSE(options.candidates, Count(body, "candidates", 0));
    HVDB_ASSIGN_OR_RETURN_RESPONSE(options.nprobe, Count(body, "nprobe", 0));
    HVDB_ASSIGN_OR_RETURN_RESPONSE(options.ef, Count(body, "ef", 0));
    if (const json::value* exact = body.if_contains("exact"); exact != nullptr) {
      if (!exact->is_bool()) return ErrorResponse(400, "\"exact\" must be true or false");
      options.exact = exact->as_bool();
    }
    if (const json::value* d = body.if_contains("device"); d != nullptr) {
      if (!d->is_string()) return ErrorResponse(400, "\"device\" must be \"cpu\", \"gpu\" or \"auto\"");
      const std::string device(d->as_string());
      if (device == "cpu") options.device = Device::kCpu;
      else if (device == "gpu") options.device = Device::kGpu;
      else if (device != "auto") return ErrorResponse(400, "\"device\" is cpu, gpu or auto, not '" + device + "'");
    }
    const SessionPolicy policy = server_->Policy(role_, cancel_);
    if (Status limited = policy.LimitHits(&options); !limited.ok()) return Error(limited);
    SearchStats stats;
    auto hits = c->Search(query, options, &stats);
    if (!hits.ok()) return Error(hits.status());
    if (Status checked = policy.CheckHits(hits->size()); !checked.ok()) return Error(checked);
    json::array list;
    for (const SearchHit& h : *hits) {
      json::object o;
      PutKey(&o, h.key);
      o["distance"] = h.distance;
      o["similarity"] = h.similarity;
      list.push_back(std::move(o));
    }
    return Json(200, {{"hits", std::move(list)}, {"dim", c->dim()}, {"stats", SearchStatsJson(stats)}});
  }

  Server* server_;
  const ApiRequest& r_;
  const std::atomic<bool>* cancel_;
  Target target_;
  Role role_ = Role::kReadOnly;
};

}  // namespace

ApiResponse ErrorResponse(int status, const std::string& message, const std::string& code) {
  // Without a code: the one hvdb's Status would carry for this HTTP status.
  const auto code_of = [](int http) -> const char* {
    switch (http) {
      case 401: return "Unauthenticated";
      case 403: return "Forbidden";
      case 404: return "NotFound";
      case 409: return "AlreadyExists";
      case 413: case 429: case 431: case 507: return "ResourceExhausted";
      case 500: return "IOError";
      case 503: return "Unavailable";
      default: return "InvalidArgument";
    }
  };
  return Json(status, {{"error", message}, {"code", code.empty() ? code_of(status) : code}});
}

Route FindRoute(std::string_view method, std::string_view target) {
  const Target t = ParseTarget(target);
  const auto& seg = t.segments;
  (void)method;
  if (seg.empty()) return {"/", false};
  if (seg.size() == 1 && (seg[0] == "healthz" || seg[0] == "openapi.json")) return {"/" + seg[0], false};
  if (seg.size() == 1 && seg[0] == "metrics") return {"/metrics", true};  // reads every collection's stats
  if (seg[0] != "v1" || seg.size() < 2) return {"", false};
  if (seg.size() == 2 && seg[1] == "statements") return {"/v1/statements", true};
  if (seg[1] != "collections") return {"", false};
  // Route names are the patterns, never the client's words (they label metrics).
  if (seg.size() == 2) return {"/v1/collections", true};
  if (seg.size() == 3) return {"/v1/collections/{name}", true};
  if (seg.size() == 4 && seg[3] == "vectors") return {"/v1/collections/{name}/vectors", true};
  if (seg.size() == 4 && seg[3] == "search") return {"/v1/collections/{name}/search", true};
  if (seg.size() == 5 && seg[3] == "vectors") return {"/v1/collections/{name}/vectors/{key}", true};
  return {"", false};
}

ApiResponse HandleRequest(Server* server, const ApiRequest& request, const std::atomic<bool>* cancel) {
  return Handler(server, request, cancel).Run();
}

}  // namespace hvdb::shell
