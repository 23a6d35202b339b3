// Copyright hvdb authors. A binary hypervector: D bits packed in 64-bit words.
#ifndef HVDB_HYPERVECTOR_H_
#define HVDB_HYPERVECTOR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "hvdb/result.h"
#include "hvdb/status.h"

namespace hvdb {

// Dimensions hvdb accepts: a multiple of 64 in [kMinDim, kMaxDim].
inline constexpr size_t kMinDim = 64;
inline constexpr size_t kMaxDim = size_t{1} << 20;

// OK when `dim` is a multiple of 64 in [kMinDim, kMaxDim]; otherwise an
// InvalidArgument naming the dimension and the rule it breaks.
Status ValidateDim(size_t dim);

// D bits, bit i stored as bit (i % 64) of word i / 64 (little-endian packing).
// The words live in one 64-byte aligned buffer. Value semantics: copies are deep,
// moves are cheap and leave the source empty (dim 0).
//
// Thread safety: const methods may be called concurrently; mutation needs
// external synchronization.
class Hypervector {
 public:
  // The empty hypervector (dim 0). Only useful as a placeholder to assign to.
  Hypervector() = default;

  // All bits zero.
  static Result<Hypervector> Zeros(size_t dim);

  // Bits from the SplitMix64 stream started at `seed`: word i is the stream's
  // (i+1)-th output. Pure integer arithmetic, so the same (dim, seed) gives the
  // same vector on every platform and build; Random(d1, s) is a prefix of
  // Random(d2, s) when d1 < d2.
  static Result<Hypervector> Random(size_t dim, uint64_t seed);

  // Copies `words` (dim / 64 of them). InvalidArgument when the count does not
  // match or dim is not valid.
  static Result<Hypervector> FromWords(size_t dim, std::span<const uint64_t> words);

  // Parses the hex form: words in order, lowest word first, each as 16 hex
  // digits, most significant digit first (upper or lower case). The dimension is
  // 4 x the number of digits. Errors name the offending position.
  static Result<Hypervector> FromHex(std::string_view hex);

  Hypervector(const Hypervector& other);
  Hypervector& operator=(const Hypervector& other);
  Hypervector(Hypervector&& other) noexcept;
  Hypervector& operator=(Hypervector&& other) noexcept;
  ~Hypervector() = default;

  size_t dim() const { return dim_; }
  size_t words() const { return dim_ / 64; }
  bool empty() const { return dim_ == 0; }

  // words() words, 64-byte aligned; nullptr when empty.
  const uint64_t* data() const { return words_.get(); }
  uint64_t* data() { return words_.get(); }
  std::span<const uint64_t> span() const { return {words_.get(), words()}; }

  // REQUIRES: i < dim().
  bool bit(size_t i) const { return (words_[i / 64] >> (i % 64)) & 1u; }
  void set_bit(size_t i, bool value) {
    const uint64_t mask = uint64_t{1} << (i % 64);
    words_[i / 64] = value ? (words_[i / 64] | mask) : (words_[i / 64] & ~mask);
  }

  // Number of set bits.
  size_t popcount() const;

  // The hex form described at FromHex; FromHex(ToHex()) == *this.
  std::string ToHex() const;

  friend bool operator==(const Hypervector& a, const Hypervector& b);

 private:
  struct AlignedFree {
    void operator()(uint64_t* p) const;
  };
  explicit Hypervector(size_t dim);  // REQUIRES: ValidateDim(dim).ok(); zero bits.

  size_t dim_ = 0;
  std::unique_ptr<uint64_t[], AlignedFree> words_;
};

// Number of differing bits. InvalidArgument when the dimensions differ
// ("hypervectors have dim 2048 and 1024").
Result<uint32_t> HammingDistance(const Hypervector& a, const Hypervector& b);

// 1 - distance / dim, in [0, 1]. Same errors as HammingDistance.
Result<double> Similarity(const Hypervector& a, const Hypervector& b);

}  // namespace hvdb

#endif  // HVDB_HYPERVECTOR_H_
