// Copyright hvdb authors.
#include "hvdb/hypervector.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "hdc/splitmix.h"
#include "kernels/hamming.h"

namespace hvdb {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr size_t kHexPerWord = 16;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Status ValidateDim(size_t dim) {
  if (dim == 0 || dim % 64 != 0) {
    return Status::InvalidArgument("dimension " + std::to_string(dim) + " is not a positive multiple of 64");
  }
  if (dim > kMaxDim) {
    return Status::InvalidArgument("dimension " + std::to_string(dim) + " exceeds the maximum of " +
                                   std::to_string(kMaxDim));
  }
  return Status::OK();
}

void Hypervector::AlignedFree::operator()(uint64_t* p) const { std::free(p); }

Hypervector::Hypervector(size_t dim) : dim_(dim) {
  const size_t bytes = (dim / 8 + 63) / 64 * 64;
  auto* p = static_cast<uint64_t*>(std::aligned_alloc(64, bytes));
  if (p == nullptr) throw std::bad_alloc();  // as std::vector does when memory runs out
  std::memset(p, 0, bytes);
  words_.reset(p);
}

Hypervector::Hypervector(const Hypervector& other) : Hypervector() { *this = other; }

Hypervector& Hypervector::operator=(const Hypervector& other) {
  if (this == &other) return *this;
  if (other.empty()) {
    words_.reset();
    dim_ = 0;
    return *this;
  }
  if (dim_ != other.dim_) *this = Hypervector(other.dim_);
  std::memcpy(words_.get(), other.words_.get(), other.words() * sizeof(uint64_t));
  return *this;
}

Hypervector::Hypervector(Hypervector&& other) noexcept : dim_(other.dim_), words_(std::move(other.words_)) {
  other.dim_ = 0;
}

Hypervector& Hypervector::operator=(Hypervector&& other) noexcept {
  dim_ = other.dim_;
  words_ = std::move(other.words_);
  other.dim_ = 0;
  return *this;
}

Result<Hypervector> Hypervector::Zeros(size_t dim) {
  HVDB_RETURN_IF_ERROR(ValidateDim(dim));
  return Hypervector(dim);
}

Result<Hypervector> Hypervector::Random(size_t dim, uint64_t seed) {
  HVDB_RETURN_IF_ERROR(ValidateDim(dim));
  Hypervector hv(dim);
  uint64_t state = seed;
  for (size_t w = 0; w < hv.words(); ++w) hv.words_[w] = hdc::SplitMix64Next(state);
  return hv;
}

Result<Hypervector> Hypervector::FromWords(size_t dim, std::span<const uint64_t> words) {
  HVDB_RETURN_IF_ERROR(ValidateDim(dim));
  if (words.size() != dim / 64) {
    return Status::InvalidArgument("dimension " + std::to_string(dim) + " needs " + std::to_string(dim / 64) +
                                   " words, got " + std::to_string(words.size()));
  }
  Hypervector hv(dim);
  std::copy(words.begin(), words.end(), hv.words_.get());
  return hv;
}

Result<Hypervector> Hypervector::FromHex(std::string_view hex) {
  if (hex.size() % kHexPerWord != 0) {
    return Status::InvalidArgument("hex text has " + std::to_string(hex.size()) +
                                   " digits; it needs 16 per 64-bit word");
  }
  const Status dim_ok = ValidateDim(hex.size() * 4);
  if (!dim_ok.ok()) return dim_ok.WithContext("hex text of " + std::to_string(hex.size()) + " digits");
  Hypervector hv(hex.size() * 4);
  for (size_t w = 0; w < hv.words(); ++w) {
    uint64_t word = 0;
    for (size_t i = 0; i < kHexPerWord; ++i) {
      const size_t pos = w * kHexPerWord + i;
      const int v = HexValue(hex[pos]);
      if (v < 0) {
        return Status::InvalidArgument("hex text: character '" + std::string(1, hex[pos]) + "' at offset " +
                                       std::to_string(pos) + " is not a hex digit");
      }
      word = (word << 4) | static_cast<uint64_t>(v);
    }
    hv.words_[w] = word;
  }
  return hv;
}

size_t Hypervector::popcount() const {
  size_t total = 0;
  for (size_t w = 0; w < words(); ++w) total += static_cast<size_t>(__builtin_popcountll(words_[w]));
  return total;
}

std::string Hypervector::ToHex() const {
  std::string out(words() * kHexPerWord, '0');
  for (size_t w = 0; w < words(); ++w) {
    const uint64_t word = words_[w];
    for (size_t i = 0; i < kHexPerWord; ++i) out[w * kHexPerWord + i] = kHexDigits[(word >> (60 - 4 * i)) & 0xf];
  }
  return out;
}

bool operator==(const Hypervector& a, const Hypervector& b) {
  return a.dim_ == b.dim_ && (a.empty() || std::memcmp(a.data(), b.data(), a.words() * sizeof(uint64_t)) == 0);
}

Result<uint32_t> HammingDistance(const Hypervector& a, const Hypervector& b) {
  if (a.dim() != b.dim()) {
    return Status::InvalidArgument("hypervectors have dim " + std::to_string(a.dim()) + " and " +
                                   std::to_string(b.dim()));
  }
  if (a.empty()) return Status::InvalidArgument("hypervectors are empty (dim 0)");
  HVDB_ASSIGN_OR_RETURN(const kernels::Simd simd, kernels::DefaultSimd());
  return kernels::HammingDistance(a.data(), b.data(), a.words(), simd);
}

Result<double> Similarity(const Hypervector& a, const Hypervector& b) {
  HVDB_ASSIGN_OR_RETURN(const uint32_t d, HammingDistance(a, b));
  return 1.0 - static_cast<double>(d) / static_cast<double>(a.dim());
}

}  // namespace hvdb
