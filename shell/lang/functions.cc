// Copyright hvdb authors. The functions of the shell language, one table.
#include <charconv>
#include <cmath>

#include "shell/lang/session.h"

namespace hvdb::shell {
namespace {

using Args = std::vector<Value>;

Status ArgError(const Expr& call, size_t i, const std::string& what) {
  const Token& at = i < call.args.size() ? call.args[i].token : call.token;
  return Status::InvalidArgument(Where(at) + call.text + ": argument " + std::to_string(i + 1) + " " + what);
}

Result<const Hypervector*> VectorArg(const Args& a, size_t i, const Expr& call, size_t dim) {
  if (a[i].kind != Value::Kind::kVector) return ArgError(call, i, "must be a hypervector");
  if (a[i].vector.dim() != dim) {
    return ArgError(call, i, "has dim " + std::to_string(a[i].vector.dim()) + ", expected " + std::to_string(dim));
  }
  return &a[i].vector;
}

Result<double> NumberArg(const Args& a, size_t i, const Expr& call) {
  if (a[i].kind != Value::Kind::kNumber) return ArgError(call, i, "must be a number");
  return a[i].number;
}

// Bounds of the number arguments that become integers. A double holds every
// integer up to 2^53 exactly; each range is checked before the cast, which
// is undefined behaviour outside the integer type.
constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53
constexpr double kMaxLevels = 4294967296.0;              // 2^32, as hdc::ScalarCode allows
constexpr double kMaxGram = 64;                          // text(s, n): longer n-grams say nothing more

std::string Number(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // the shortest form that reads back as v
  return std::string(buf, ec == std::errc() ? end : buf);
}

// Argument i: an integer in [min, max]; `range` is how the message writes it.
Result<double> IntegerArg(const Args& a, size_t i, const Expr& call, double min, double max, const std::string& range) {
  HVDB_ASSIGN_OR_RETURN(const double v, NumberArg(a, i, call));
  if (!(v >= min && v <= max) || v != std::floor(v)) {
    return ArgError(call, i, "must be an integer in " + range + ", got " + Number(v));
  }
  return v;
}

Result<std::string> StringArg(const Args& a, size_t i, const Expr& call) {
  if (a[i].kind != Value::Kind::kString) return ArgError(call, i, "must be a string");
  return a[i].text;
}

Result<std::vector<Hypervector>> Vectors(const Args& a, const Expr& call, size_t dim) {
  std::vector<Hypervector> out;
  for (size_t i = 0; i < a.size(); ++i) {
    HVDB_ASSIGN_OR_RETURN(const Hypervector* v, VectorArg(a, i, call, dim));
    out.push_back(*v);
  }
  return out;
}

Value Vec(Hypervector v) {
  Value out;
  out.kind = Value::Kind::kVector;
  out.vector = std::move(v);
  return out;
}

Result<Value> Wrap(Result<Hypervector> r, const Expr& call) {
  if (!r.ok()) return Status::InvalidArgument(Where(call.token) + call.text + ": " + r.status().message());
  return Vec(std::move(r).value());
}

// level / thermometer / circular: (x, lo, hi [, levels]).
Function ScalarEncoder(std::string name, std::string help,
                       Result<Hypervector> (*encode)(double, const hdc::ScalarCode&, size_t)) {
  return {name, 3, 4, name + "(x, lo, hi [, levels])", std::move(help),
          [encode](const EvalContext& ctx, const Args& a, const Expr& call) -> Result<Value> {
            HVDB_ASSIGN_OR_RETURN(const double x, NumberArg(a, 0, call));
            HVDB_ASSIGN_OR_RETURN(const double lo, NumberArg(a, 1, call));
            HVDB_ASSIGN_OR_RETURN(const double hi, NumberArg(a, 2, call));
            hdc::ScalarCode code{.lo = lo, .hi = hi, .levels = 100, .seed = ctx.seed};
            if (a.size() == 4) {
              HVDB_ASSIGN_OR_RETURN(const double levels, IntegerArg(a, 3, call, 2, kMaxLevels, "[2, 2^32]"));
              code.levels = static_cast<size_t>(levels);
            }
            return Wrap(encode(x, code, ctx.dim), call);
          }};
}

}  // namespace

const std::vector<Function>& Functions() {
  static const std::vector<Function> functions = {
      {"sym", 1, 1, "sym(\"name\")", "the symbol of name in the item memory (same name, same vector, everywhere)",
       [](const EvalContext& ctx, const Args& a, const Expr& call) -> Result<Value> {
         HVDB_ASSIGN_OR_RETURN(const std::string name, StringArg(a, 0, call));
         return Wrap(hdc::Symbol(ctx.seed, name, ctx.dim), call);
       }},
      {"random", 0, 1, "random([seed])", "a random vector: Random(dim, seed); without a seed, the session's next one",
       [](const EvalContext& ctx, const Args& a, const Expr& call) -> Result<Value> {
         uint64_t seed = 0;
         if (a.empty()) {
           seed = ctx.session->NextRandomSeed();
         } else {
           HVDB_ASSIGN_OR_RETURN(const double s, IntegerArg(a, 0, call, 0, kMaxExactInteger, "[0, 2^53]"));
           seed = static_cast<uint64_t>(s);
         }
         return Wrap(Hypervector::Random(ctx.dim, seed), call);
       }},
      {"hex", 1, 1, "hex(\"...\")", "a vector from its hex form (16 digits a word, lowest word first)",
       [](const EvalContext& ctx, const Args& a, const Expr& call) -> Result<Value> {
         HVDB_ASSIGN_OR_RETURN(const std::string text, StringArg(a, 0, call));
         HVDB_ASSIGN_OR_RETURN(Value v, Wrap(Hypervector::FromHex(text), call));
         if (v.vector.dim() != ctx.dim) {
           return ArgError(call, 0, "has " + std::to_string(v.vector.dim()) + " bits, expected " + std::to_string(ctx.dim));
         }
         return v;
       }},
      {"bind", 2, SIZE_MAX, "bind(a, b, ...)", "XOR of the vectors (self-inverse)",
       [](const EvalContext& ctx, const Args& a, const Expr& call) -> Result<Value> {
         HVDB_ASSIGN_OR_RETURN(const auto v, Vectors(a, call, ctx.dim));
         return Wrap(hdc::BindAll(v), call);
       }},
      {"unbind", 2, 2, "unbind(bound, key)", "the inverse of bind (the same XOR)",
       [](const EvalContext& ctx, const Args& a, const Expr& call) -> Result<Value> {
         HVDB_ASSIGN_OR_RETURN(const auto v, Vectors(a, call, ctx.dim));
         return Wrap(hdc::Unbind(v[0], v[1]), call);
       }},
      {"bundle", 1, SIZE_MAX, "bundle(a, b, ...)", "bitwise majority; an exact tie (even count) a fair coin drawn from the members",
       [](const EvalContext& ctx, const Args& a, const Expr& call) -> Result<Value> {
         HVDB_ASSIGN_OR_RETURN(const auto v, Vectors(a, call, ctx.dim));
         return Wrap(hdc::Bundle(v, hdc::kDefaultTieSeed), call);
       }},
      {"permute", 2, 2, "permute(a, n)", "rotate the bits by n (negative: back)",
       [](const EvalContext& ctx, const Args& a, const Expr& call) -> Result<Value> {
         HVDB_ASSIGN_OR_RETURN(const Hypervector* v, VectorArg(a, 0, call, ctx.dim));
         HVDB_ASSIGN_OR_RETURN(const double n,
                               IntegerArg(a, 1, call, -kMaxExactInteger, kMaxExactInteger, "[-2^53, 2^53]"));
         return Vec(hdc::Permute(*v, static_cast<int64_t>(n)));
       }},
      ScalarEncoder("level", "level code of x in [lo, hi]: distance grows linearly, D/2 end to end", &hdc::Level),
      ScalarEncoder("thermometer", "thermometer code of x in [lo, hi]", &hdc::Thermometer),
      ScalarEncoder("circular", "circular code of x in [lo, hi) (angles, hours)", &hdc::Circular),
      {"text", 1, 2, "text(\"...\" [, n])", "letter n-gram code of the text (n = 3 when not given)",
       [](const EvalContext& ctx, const Args& a, const Expr& call) -> Result<Value> {
         HVDB_ASSIGN_OR_RETURN(const std::string s, StringArg(a, 0, call));
         double n = 3;
         if (a.size() == 2) {
           HVDB_ASSIGN_OR_RETURN(n, IntegerArg(a, 1, call, 1, kMaxGram, "[1, 64]"));
         }
         return Wrap(hdc::Text(s, static_cast<size_t>(n), ctx.seed, ctx.dim), call);
       }},
      {"ngram", 1, SIZE_MAX, "ngram(a, b, ...)", "bind of the items, item i permuted by n - 1 - i",
       [](const EvalContext& ctx, const Args& a, const Expr& call) -> Result<Value> {
         HVDB_ASSIGN_OR_RETURN(const auto v, Vectors(a, call, ctx.dim));
         return Wrap(hdc::Ngram(v), call);
       }},
      {"sequence", 1, SIZE_MAX, "sequence(a, b, ...)", "bundle of the items, item i permuted by i",
       [](const EvalContext& ctx, const Args& a, const Expr& call) -> Result<Value> {
         HVDB_ASSIGN_OR_RETURN(const auto v, Vectors(a, call, ctx.dim));
         return Wrap(hdc::Sequence(v, hdc::kDefaultTieSeed), call);
       }},
      {"acc", 1, 1, "acc(\"name\")", "the majority vector of the statement's collection's accumulator",
       [](const EvalContext& ctx, const Args& a, const Expr& call) -> Result<Value> {
         HVDB_ASSIGN_OR_RETURN(const std::string name, StringArg(a, 0, call));
         if (ctx.collection == nullptr) {
           return Status::InvalidArgument(Where(call.token) + "acc: accumulators belong to a collection; use acc in put, search, accumulate or cleanup");
         }
         auto v = ctx.collection->ReadAccumulator(name);
         if (!v.ok()) return Status::NotFound(Where(call.token) + "acc: " + v.status().message());
         return Vec(std::move(v).value());
       }},
      {"record", 2, SIZE_MAX, "record(role, filler, ...)", "bundle of bind(role, filler) pairs",
       [](const EvalContext& ctx, const Args& a, const Expr& call) -> Result<Value> {
         if (a.size() % 2 != 0) return Status::InvalidArgument(Where(call.token) + "record: needs role, filler pairs");
         HVDB_ASSIGN_OR_RETURN(const auto v, Vectors(a, call, ctx.dim));
         std::vector<Hypervector> roles, fillers;
         for (size_t i = 0; i < v.size(); i += 2) {
           roles.push_back(v[i]);
           fillers.push_back(v[i + 1]);
         }
         return Wrap(hdc::Record(roles, fillers, hdc::kDefaultTieSeed), call);
       }},
  };
  return functions;
}

}  // namespace hvdb::shell
