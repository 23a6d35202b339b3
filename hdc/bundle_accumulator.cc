// Copyright hvdb authors. Bit-sliced counters for bundling.
#include <string>

#include "hvdb/hdc.h"
#include "kernels/hamming.h"
#include "kernels/tie_word.h"

namespace hvdb::hdc {
namespace {

// The CPU kernel the counters run: HVDB_SIMD's or the best one (scalar when
// HVDB_SIMD names one this CPU cannot run); read once per process.
kernels::Simd AccumulatorSimd() {
  static const kernels::Simd simd = kernels::DefaultSimd().value_or(kernels::Simd::kScalar);
  return simd;
}

}  // namespace

BundleAccumulator::BundleAccumulator(size_t dim) : dim_(dim), words_(dim / 64) {}

Status BundleAccumulator::Add(const Hypervector& v) {
  if (v.dim() != dim_) {
    return Status::InvalidArgument("bundle accumulator has dim " + std::to_string(dim_) + ", vector has " +
                                   std::to_string(v.dim()));
  }
  AddWords(v.data());
  return Status::OK();
}

void BundleAccumulator::AddWords(const uint64_t* words) {
  carry_.assign(words, words + words_);
  AddCarry();
}

void BundleAccumulator::AddBound(const uint64_t* a, const uint64_t* b) {
  carry_.resize(words_);
  for (size_t w = 0; w < words_; ++w) carry_[w] = a[w] ^ b[w];
  AddCarry();
}

void BundleAccumulator::AddCarry() {
  // Plane by plane over all words, with the CPU's widest kernel.
  const kernels::Simd simd = AccumulatorSimd();
  for (size_t j = 0;; ++j) {
    if (j == planes_.size()) planes_.emplace_back(words_, 0);
    if (kernels::AddToBitPlane(planes_[j].data(), carry_.data(), words_, simd) == 0) break;
  }
  ++count_;
}

Result<Hypervector> BundleAccumulator::Majority(uint64_t tie_seed) const {
  if (count_ == 0) return Status::InvalidArgument("bundle of no vectors");
  HVDB_ASSIGN_OR_RETURN(Hypervector out, Hypervector::Zeros(dim_));
  // Compare every count with T = floor(count / 2), planes from the top:
  // above T is a majority; equal to T is a tie when the count is even.
  const size_t threshold = count_ / 2;
  for (size_t w = 0; w < words_; ++w) {
    uint64_t greater = 0, equal = ~uint64_t{0};
    for (size_t j = planes_.size(); j-- > 0;) {
      const uint64_t plane = planes_[j][w];
      if ((threshold >> j) & 1) {
        equal &= plane;
      } else {
        greater |= equal & plane;
        equal &= ~plane;
      }
    }
    // Bits of T above the top plane are zero here: counts never exceed count_.
    const uint64_t tied = count_ % 2 == 0 ? equal : 0;
    // Plane 0 holds bit 0 of every count: the parity the ties read.
    const uint64_t parity = tied == 0 ? 0 : kernels::ShiftedParity(planes_[0].data(), words_, w);
    out.data()[w] = kernels::MajorityWord(tie_seed, w, greater, tied, parity);
  }
  return out;
}

void BundleAccumulator::Clear() {
  planes_.clear();
  count_ = 0;
}

}  // namespace hvdb::hdc
