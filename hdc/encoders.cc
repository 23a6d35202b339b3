// Copyright hvdb authors. Scalar, sequence, text and record encoders.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <unordered_map>

#include "hdc/splitmix.h"
#include "hvdb/hdc.h"

namespace hvdb::hdc {
namespace {

// A seeded order of the D bit positions (Fisher-Yates on SplitMix64 output),
// the order in which level codes flip bits.
std::vector<uint32_t> BitOrder(size_t dim, uint64_t seed) {
  std::vector<uint32_t> order(dim);
  std::iota(order.begin(), order.end(), 0u);
  uint64_t state = seed ^ 0x6c6576656c73ull;  // "levels"
  for (size_t i = dim - 1; i > 0; --i) std::swap(order[i], order[SplitMix64Next(state) % (i + 1)]);
  return order;
}

// Each seeded encoder draws its base vector and bit order from the code's
// seed mixed with its own tag, so that level and circular codes of one seed
// (one item memory) are unrelated: level(0, ...) is not circular(0, ...).
constexpr uint64_t kLevelTag = 0x6c6576656c;        // "level"
constexpr uint64_t kCircularTag = 0x63697263756c6172;  // "circular"
uint64_t EncoderSeed(uint64_t seed, uint64_t tag) { return SplitMixFinalize(seed ^ tag); }

// At most this many levels (ScalarCode::Validate), so that level x dim and
// the rounding below stay far inside 64 bits.
constexpr size_t kMaxLevels = size_t{1} << 32;

// The level of x: round((clamp(x) - lo) / (hi - lo) x (levels - 1)).
Result<size_t> LevelOf(double x, const ScalarCode& code, size_t dim, bool wrap) {
  HVDB_RETURN_IF_ERROR(code.Validate());
  HVDB_RETURN_IF_ERROR(ValidateDim(dim));
  if (!std::isfinite(x)) return Status::InvalidArgument("encoded value is not finite");
  const double offset = x - code.lo, span = code.hi - code.lo;
  // Finite inputs can still overflow the differences (lo -1e308, hi 1e308);
  // halved, they cannot. Inputs that do not overflow keep the exact formula.
  double t = std::isfinite(offset) && std::isfinite(span) ? offset / span
                                                          : (x / 2 - code.lo / 2) / (code.hi / 2 - code.lo / 2);
  if (std::isnan(t)) t = 0;  // cannot happen for lo < hi; never let it reach a cast
  if (wrap) {
    t -= std::floor(t);                   // an infinite t leaves NaN: no position on the circle
    if (!(t >= 0 && t < 1)) t = 0;
    return static_cast<size_t>(std::llround(t * static_cast<double>(code.levels))) % code.levels;
  }
  t = std::clamp(t, 0.0, 1.0);
  return static_cast<size_t>(std::llround(t * static_cast<double>(code.levels - 1)));
}

void FlipPositions(Hypervector* v, const std::vector<uint32_t>& order, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) v->set_bit(order[i], !v->bit(order[i]));
}

}  // namespace

Status ScalarCode::Validate() const {
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi)) {
    return Status::InvalidArgument("scalar code needs finite lo < hi, got lo " + std::to_string(lo) + ", hi " +
                                   std::to_string(hi));
  }
  if (levels < 2) return Status::InvalidArgument("scalar code needs at least 2 levels, got " + std::to_string(levels));
  if (levels > kMaxLevels) {
    return Status::InvalidArgument("scalar code needs at most 2^32 levels, got " + std::to_string(levels));
  }
  return Status::OK();
}

Result<Hypervector> Level(double x, const ScalarCode& code, size_t dim) {
  HVDB_ASSIGN_OR_RETURN(const size_t k, LevelOf(x, code, dim, false));
  const uint64_t seed = EncoderSeed(code.seed, kLevelTag);
  HVDB_ASSIGN_OR_RETURN(Hypervector v, Hypervector::Random(dim, seed));
  const std::vector<uint32_t> order = BitOrder(dim, seed);
  // Level k has the first k x (D/2) / (levels - 1) positions of the order flipped.
  FlipPositions(&v, order, 0, k * (dim / 2) / (code.levels - 1));
  return v;
}

Result<Hypervector> Thermometer(double x, const ScalarCode& code, size_t dim) {
  HVDB_ASSIGN_OR_RETURN(const size_t k, LevelOf(x, code, dim, false));
  HVDB_ASSIGN_OR_RETURN(Hypervector v, Hypervector::Zeros(dim));
  const size_t ones = k * dim / (code.levels - 1);
  for (size_t i = 0; i < ones; ++i) v.set_bit(i, true);
  return v;
}

Result<Hypervector> Circular(double x, const ScalarCode& code, size_t dim) {
  HVDB_ASSIGN_OR_RETURN(const size_t k, LevelOf(x, code, dim, true));
  const uint64_t seed = EncoderSeed(code.seed, kCircularTag);
  HVDB_ASSIGN_OR_RETURN(Hypervector v, Hypervector::Random(dim, seed));
  const std::vector<uint32_t> order = BitOrder(dim, seed);
  // Half a turn flips D/2 positions in order; the second half flips them back
  // in the same order, so the flipped set is a window sliding round the circle.
  const size_t half = code.levels / 2;
  const auto position = [&](size_t step) { return std::min(step, half) * (dim / 2) / std::max<size_t>(half, 1); };
  const size_t begin = k > half ? position(k - half) : 0;
  FlipPositions(&v, order, begin, position(k));
  return v;
}

Result<Hypervector> Ngram(std::span<const Hypervector> items) {
  if (items.empty()) return Status::InvalidArgument("n-gram of no vectors");
  std::vector<Hypervector> permuted;
  permuted.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    permuted.push_back(Permute(items[i], static_cast<int64_t>(items.size() - 1 - i)));
  }
  return BindAll(permuted);
}

Result<Hypervector> Sequence(std::span<const Hypervector> items, uint64_t tie_seed) {
  if (items.empty()) return Status::InvalidArgument("sequence of no vectors");
  std::vector<Hypervector> permuted;
  permuted.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) permuted.push_back(Permute(items[i], static_cast<int64_t>(i)));
  return Bundle(permuted, tie_seed);
}

std::vector<char32_t> DecodeUtf8(std::string_view s) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char b = static_cast<unsigned char>(s[i]);
    size_t n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    char32_t cp = n == 1 ? b : n == 2 ? (b & 0x1f) : n == 3 ? (b & 0x0f) : (b & 0x07);
    bool ok = n > 0 && i + n <= s.size();
    for (size_t j = 1; ok && j < n; ++j) {
      const unsigned char c = static_cast<unsigned char>(s[i + j]);
      ok = (c & 0xc0) == 0x80;
      cp = (cp << 6) | (c & 0x3f);
    }
    ok = ok && !(n == 3 && cp < 0x800) && !(n == 4 && (cp < 0x10000 || cp > 0x10ffff)) &&
         !(cp >= 0xd800 && cp <= 0xdfff);
    if (ok) {
      out.push_back(cp);
      i += n;
    } else {
      out.push_back(0xfffd);
      ++i;
    }
  }
  return out;
}

Result<Hypervector> Text(std::string_view utf8, size_t n, uint64_t item_memory_seed, size_t dim) {
  if (n == 0) return Status::InvalidArgument("text n-grams need n >= 1");
  if (utf8.empty()) return Status::InvalidArgument("text to encode is empty");
  HVDB_RETURN_IF_ERROR(ValidateDim(dim));
  const std::vector<char32_t> points = DecodeUtf8(utf8);
  // One symbol per distinct code point, named by its UTF-8 bytes ("U+XXXX" would
  // do as well; the bytes keep Symbol(seed, "a") == the letter a's symbol).
  std::vector<Hypervector> symbols;
  symbols.reserve(points.size());
  std::unordered_map<char32_t, size_t> seen;  // code point -> index of its first symbol
  for (char32_t cp : points) {
    if (auto it = seen.find(cp); it != seen.end()) {
      symbols.push_back(symbols[it->second]);
      continue;
    }
    seen.emplace(cp, symbols.size());
    std::string name;
    if (cp < 0x80) name.push_back(static_cast<char>(cp));
    else if (cp < 0x800) name = {static_cast<char>(0xc0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3f))};
    else if (cp < 0x10000)
      name = {static_cast<char>(0xe0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3f)),
              static_cast<char>(0x80 | (cp & 0x3f))};
    else
      name = {static_cast<char>(0xf0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3f)),
              static_cast<char>(0x80 | ((cp >> 6) & 0x3f)), static_cast<char>(0x80 | (cp & 0x3f))};
    HVDB_ASSIGN_OR_RETURN(Hypervector s, Symbol(item_memory_seed, name, dim));
    symbols.push_back(std::move(s));
  }
  const size_t gram = std::min(n, symbols.size());
  std::vector<Hypervector> grams;
  grams.reserve(symbols.size() - gram + 1);
  for (size_t i = 0; i + gram <= symbols.size(); ++i) {
    HVDB_ASSIGN_OR_RETURN(Hypervector g, Ngram(std::span<const Hypervector>(symbols).subspan(i, gram)));
    grams.push_back(std::move(g));
  }
  return Bundle(grams, item_memory_seed ^ kDefaultTieSeed);
}

Result<Hypervector> Record(std::span<const Hypervector> roles, std::span<const Hypervector> fillers,
                           uint64_t tie_seed) {
  if (roles.size() != fillers.size()) {
    return Status::InvalidArgument("record: " + std::to_string(roles.size()) + " roles but " +
                                   std::to_string(fillers.size()) + " fillers");
  }
  if (roles.empty()) return Status::InvalidArgument("record of no fields");
  std::vector<Hypervector> pairs;
  pairs.reserve(roles.size());
  for (size_t i = 0; i < roles.size(); ++i) {
    HVDB_ASSIGN_OR_RETURN(Hypervector p, Bind(roles[i], fillers[i]));
    pairs.push_back(std::move(p));
  }
  return Bundle(pairs, tie_seed);
}

}  // namespace hvdb::hdc
