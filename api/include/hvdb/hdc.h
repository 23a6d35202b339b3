// Copyright hvdb authors. The HDC algebra on hypervector values: binding,
// bundling, permutation, similarity against chance, symbols and encoders.
//
// Every function is pure and deterministic: the same arguments give the same
// bits on every machine and in every run (all randomness comes from seeds
// through SplitMix64, docs/format.md). Inputs of different dimensions are an
// InvalidArgument naming both. Thread safe.
#ifndef HVDB_HDC_H_
#define HVDB_HDC_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "hvdb/hypervector.h"
#include "hvdb/options.h"
#include "hvdb/result.h"

namespace hvdb::hdc {

// ---- Binding: XOR. Self-inverse: Unbind(Bind(a, b), b) == a.
Result<Hypervector> Bind(const Hypervector& a, const Hypervector& b);
Result<Hypervector> Unbind(const Hypervector& bound, const Hypervector& key);
// The XOR of all of them. InvalidArgument when empty.
Result<Hypervector> BindAll(std::span<const Hypervector> vectors);

// ---- Bundling: bitwise majority.
// Seed of the tie vector when none is given.
inline constexpr uint64_t kDefaultTieSeed = 0x68766462'7469650aull;  // "hvdbtie\n"
// Bit i is the majority of the members' bit i. Where exactly half are set (an
// even count) it is a tie, decided by the members' parity at another bit
// (i + D/2 + 1) XOR a mask seeded by tie_seed: a fair coin that depends only on
// the members (not their order), moves by at most two bits when a member's bit
// flips, and shares no direction with other bundles, so unrelated bundles
// stay at D/2 from each other (docs/format.md).
// InvalidArgument when empty or dimensions differ.
Result<Hypervector> Bundle(std::span<const Hypervector> members, uint64_t tie_seed = kDefaultTieSeed);
// Bit i is 1 when sum_j weights[j] * (bit_j(i) ? +1 : -1) > 0, 0 when < 0,
// a tie when 0, broken as in Bundle with the parity of the members whose
// weight is not zero (unit weights give Bundle's bits). A negative weight
// subtracts a member.
// InvalidArgument when sizes differ, a weight is not finite, or all are zero.
Result<Hypervector> WeightedBundle(std::span<const Hypervector> members, std::span<const double> weights,
                                   uint64_t tie_seed = kDefaultTieSeed);

// Bundles many vectors without a per-bit loop: counts are kept bit-sliced
// (plane j holds bit j of every position's count), so adding a vector costs a
// few word operations per 64 bits, run by the CPU kernel in use (HVDB_SIMD;
// scalar when it names an unsupported one). Majority() equals Bundle() of the
// same vectors bit for bit. Not thread safe; one per thread.
class BundleAccumulator {
 public:
  // REQUIRES: ValidateDim(dim).ok().
  explicit BundleAccumulator(size_t dim);
  // InvalidArgument on a dimension mismatch.
  Status Add(const Hypervector& v);
  // Adds a XOR b (a bound pair) without building it. REQUIRES: dim/64 words each.
  void AddBound(const uint64_t* a, const uint64_t* b);
  // REQUIRES: dim/64 words.
  void AddWords(const uint64_t* words);
  size_t count() const { return count_; }
  size_t dim() const { return dim_; }
  // The majority of everything added, ties broken as Bundle breaks them.
  // InvalidArgument when nothing was added.
  Result<Hypervector> Majority(uint64_t tie_seed = kDefaultTieSeed) const;
  void Clear();

 private:
  void AddCarry();  // adds carry_ (one bit per position) into the counts
  size_t dim_, words_;
  size_t count_ = 0;
  std::vector<std::vector<uint64_t>> planes_;  // planes_[j][w]: bit j of the counts in word w
  std::vector<uint64_t> carry_;
};

// ---- Permutation: cyclic rotation of the D bits; bit i moves to
// (i + shift) mod D. Any shift, negative included. Inverse: -shift.
Hypervector Permute(const Hypervector& v, int64_t shift);
Hypervector InversePermute(const Hypervector& v, int64_t shift);

// ---- Similarity.
// How many standard deviations nearer than chance: two independent random
// vectors are at distance D/2 +- sqrt(D)/2, so z = (D/2 - d) / (sqrt(D)/2).
double ZScore(uint32_t distance, size_t dim);
Result<double> ZScore(const Hypervector& a, const Hypervector& b);
// Whether a and b are related at `sigmas` standard deviations (z >= sigmas).
Result<bool> Related(const Hypervector& a, const Hypervector& b, double sigmas);

// ---- Symbols (item memory).
// The item memory seed a collection named `name` gets by default:
// SplitMix64's finalizer over FNV-1a 64 of the bytes (docs/format.md).
uint64_t SeedFromName(std::string_view name);
// The symbol for `name` in the item memory of `seed`: Random(dim, seed mixed
// with SeedFromName(name)). Same name, seed and dim: same vector, everywhere.
Result<Hypervector> Symbol(uint64_t item_memory_seed, std::string_view name, size_t dim);

// ---- Scalar encoders. `levels` (2 to 2^32) values between lo and hi
// (finite, lo < hi); x is clamped into [lo, hi] and rounded to the nearest
// level, even where hi - lo overflows a double (lo -1e308, hi 1e308).
struct ScalarCode {
  double lo = 0;
  double hi = 1;
  size_t levels = 100;
  // level, circular: the base vector and the order bits flip in, each drawn
  // from the seed mixed with the encoder's own tag (level(0) is not
  // circular(0)); the shell passes the item memory seed. Thermometer has none.
  uint64_t seed = 0;
  // OK when usable, else InvalidArgument saying what is wrong.
  Status Validate() const;
};
// Level (linear) code: level 0 is random, each level flips a fresh share of
// the bits, level `levels - 1` is at distance D/2 from level 0; distance grows
// linearly with the level difference.
Result<Hypervector> Level(double x, const ScalarCode& code, size_t dim);
// Thermometer: level k sets the first round(k * D / (levels - 1)) bits.
// Distance = D x |difference| / (levels - 1); level 0 all zeros, top all ones.
Result<Hypervector> Thermometer(double x, const ScalarCode& code, size_t dim);
// Circular code for periodic values (angles, hours): x in [lo, hi) wraps;
// distance grows with the circular difference, D/2 at half a turn.
Result<Hypervector> Circular(double x, const ScalarCode& code, size_t dim);

// ---- Sequences and text.
// Bind of the items, item i permuted by (n - 1 - i): order-sensitive, exact.
Result<Hypervector> Ngram(std::span<const Hypervector> items);
// Bundle of the items, item i permuted by i: similar sequences share
// positions.
Result<Hypervector> Sequence(std::span<const Hypervector> items, uint64_t tie_seed = kDefaultTieSeed);
// Letter n-gram code of UTF-8 text: the bundle over every n consecutive code
// points of Ngram(Symbol(seed, code point)). Text shorter than n code points
// is one n-gram of all of it. Invalid UTF-8 bytes count as U+FFFD.
// InvalidArgument for empty text or n = 0.
Result<Hypervector> Text(std::string_view utf8, size_t n, uint64_t item_memory_seed, size_t dim);
// The code points of UTF-8 text (invalid bytes as U+FFFD).
std::vector<char32_t> DecodeUtf8(std::string_view utf8);

// ---- Records: bundle of Bind(role_i, filler_i). Query a filler back with
// Unbind(record, role) and clean it up by a search.
Result<Hypervector> Record(std::span<const Hypervector> roles, std::span<const Hypervector> fillers,
                           uint64_t tie_seed = kDefaultTieSeed);

// ---- Batch forms, FAISS style: raw buffers of n x (dim / 64) words, rows
// split across cores (threads: 0 = one per core). Each equals the single
// form applied row by row, bit for bit. InvalidArgument on a bad dim or a
// null buffer with n > 0.
//
// device: kCpu, kGpu (the search devices; Unavailable when there are none),
// or kAuto: HVDB_DEVICE if set, else the CPU for bind and permute (memory
// bound: copying to a device and back costs more than the work) and the
// device for bundles of 256 MB or more when there is one. Every device gives
// the same bits; a device that fails leaves the work to the CPU (one warning).
//
// out row i = a row i XOR b row i, or XOR b's one row when broadcast_b.
Status BindBatch(const uint64_t* a, const uint64_t* b, size_t n, size_t dim, uint64_t* out, bool broadcast_b = false,
                 unsigned threads = 0, Device device = Device::kAuto);
// out row i = Permute(row i, shift).
Status PermuteBatch(const uint64_t* in, size_t n, size_t dim, int64_t shift, uint64_t* out, unsigned threads = 0,
                    Device device = Device::kAuto);
// in: groups x members rows; out row g = Bundle(the members of group g).
Status BundleBatch(const uint64_t* in, size_t groups, size_t members, size_t dim, uint64_t* out,
                   uint64_t tie_seed = kDefaultTieSeed, unsigned threads = 0, Device device = Device::kAuto);
// Text() of each text, on all cores.
Result<std::vector<Hypervector>> TextBatch(std::span<const std::string_view> texts, size_t n,
                                           uint64_t item_memory_seed, size_t dim, unsigned threads = 0);

// ---- Capacity.
// Probability that one member of a bundle of `members` random vectors is
// nearer the bundle than every one of `others` random non-members (ties count
// as failures), at dimension `dim`. Exact: the member agrees with the bundle
// bitwise with p = 1/2 + C(M-1, (M-1)/2) / 2^M (M odd; an even M adds a tie
// vector), so d_member ~ Binomial(D, 1 - p), d_other ~ Binomial(D, 1/2).
Result<double> RetrievalProbability(size_t dim, size_t members, size_t others);

}  // namespace hvdb::hdc

#endif  // HVDB_HDC_H_
