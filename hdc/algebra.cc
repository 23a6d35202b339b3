// Copyright hvdb authors. Binding, bundling, permutation, similarity, symbols.
#include <cmath>
#include <string>

#include "hdc/splitmix.h"
#include "hvdb/hdc.h"
#include "kernels/hamming.h"
#include "kernels/tie_word.h"

namespace hvdb::hdc {
namespace {

Status SameDim(const Hypervector& a, const Hypervector& b, std::string_view what) {
  if (a.dim() != b.dim()) {
    return Status::InvalidArgument(std::string(what) + ": hypervectors have dim " + std::to_string(a.dim()) + " and " +
                                   std::to_string(b.dim()));
  }
  if (a.empty()) return Status::InvalidArgument(std::string(what) + ": empty hypervector");
  return Status::OK();
}

Status CheckMembers(std::span<const Hypervector> members, std::string_view what) {
  if (members.empty()) return Status::InvalidArgument(std::string(what) + " of no vectors");
  for (size_t i = 0; i < members.size(); ++i) {
    if (members[i].dim() != members[0].dim() || members[i].empty()) {
      return Status::InvalidArgument(std::string(what) + ": member " + std::to_string(i) + " has dim " +
                                     std::to_string(members[i].dim()) + ", member 0 has " +
                                     std::to_string(members[0].dim()));
    }
  }
  return Status::OK();
}

// Sets each bit from its score: 1 when > 0, 0 when < 0, a tie at 0 broken
// with the parity of the members (kernels/tie_word.h).
Result<Hypervector> FromScores(const std::vector<double>& score, const std::vector<uint64_t>& parity, size_t dim,
                               uint64_t tie_seed) {
  HVDB_ASSIGN_OR_RETURN(Hypervector out, Hypervector::Zeros(dim));
  for (size_t w = 0; w < out.words(); ++w) {
    uint64_t greater = 0, tied = 0;
    for (size_t b = 0; b < 64; ++b) {
      const double s = score[w * 64 + b];
      greater |= uint64_t{s > 0} << b;
      tied |= uint64_t{s == 0} << b;
    }
    out.data()[w] = kernels::MajorityWord(tie_seed, w, greater, tied, kernels::ShiftedParity(parity.data(), out.words(), w));
  }
  return out;
}

}  // namespace

Result<Hypervector> Bind(const Hypervector& a, const Hypervector& b) {
  HVDB_RETURN_IF_ERROR(SameDim(a, b, "bind"));
  Hypervector out = a;
  for (size_t w = 0; w < out.words(); ++w) out.data()[w] ^= b.data()[w];
  return out;
}

Result<Hypervector> Unbind(const Hypervector& bound, const Hypervector& key) { return Bind(bound, key); }

Result<Hypervector> BindAll(std::span<const Hypervector> vectors) {
  HVDB_RETURN_IF_ERROR(CheckMembers(vectors, "bind"));
  Hypervector out = vectors[0];
  for (size_t i = 1; i < vectors.size(); ++i) {
    for (size_t w = 0; w < out.words(); ++w) out.data()[w] ^= vectors[i].data()[w];
  }
  return out;
}

Result<Hypervector> Bundle(std::span<const Hypervector> members, uint64_t tie_seed) {
  HVDB_RETURN_IF_ERROR(CheckMembers(members, "bundle"));
  BundleAccumulator acc(members[0].dim());
  for (const Hypervector& m : members) acc.AddWords(m.data());
  return acc.Majority(tie_seed);
}

Result<Hypervector> WeightedBundle(std::span<const Hypervector> members, std::span<const double> weights,
                                   uint64_t tie_seed) {
  HVDB_RETURN_IF_ERROR(CheckMembers(members, "weighted bundle"));
  if (weights.size() != members.size()) {
    return Status::InvalidArgument("weighted bundle: " + std::to_string(members.size()) + " members but " +
                                   std::to_string(weights.size()) + " weights");
  }
  bool any = false;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!std::isfinite(weights[i])) {
      return Status::InvalidArgument("weighted bundle: weight " + std::to_string(i) + " is not finite");
    }
    any = any || weights[i] != 0;
  }
  if (!any) return Status::InvalidArgument("weighted bundle: every weight is zero");
  const size_t dim = members[0].dim();
  std::vector<double> score(dim, 0.0);
  std::vector<uint64_t> parity(dim / 64, 0);  // of the members that count (unit weights: as Bundle)
  for (size_t i = 0; i < members.size(); ++i) {
    const Hypervector& m = members[i];
    for (size_t w = 0; w < m.words(); ++w) {
      for (size_t b = 0; b < 64; ++b) score[w * 64 + b] += ((m.data()[w] >> b) & 1) ? weights[i] : -weights[i];
      if (weights[i] != 0) parity[w] ^= m.data()[w];
    }
  }
  return FromScores(score, parity, dim, tie_seed);
}

Hypervector Permute(const Hypervector& v, int64_t shift) {
  if (v.empty()) return v;
  const size_t dim = v.dim(), words = v.words();
  int64_t s = shift % static_cast<int64_t>(dim);
  if (s < 0) s += static_cast<int64_t>(dim);
  const size_t word_shift = static_cast<size_t>(s) / 64, bit_shift = static_cast<size_t>(s) % 64;
  Hypervector out = Hypervector::Zeros(dim).value();
  const uint64_t* in = v.data();
  for (size_t w = 0; w < words; ++w) {
    // Output word w takes bits from input words w - word_shift (low part
    // shifted up) and w - word_shift - 1 (its top bits shifted down).
    const uint64_t hi = in[(w + words - word_shift) % words];
    const uint64_t lo = in[(w + 2 * words - word_shift - 1) % words];
    out.data()[w] = bit_shift == 0 ? hi : (hi << bit_shift) | (lo >> (64 - bit_shift));
  }
  return out;
}

Hypervector InversePermute(const Hypervector& v, int64_t shift) {
  // -shift overflows only for INT64_MIN; rotating by D - (shift mod D) is the same.
  const int64_t dim = static_cast<int64_t>(v.dim());
  if (dim == 0) return v;
  return Permute(v, dim - (((shift % dim) + dim) % dim));
}

double ZScore(uint32_t distance, size_t dim) {
  const double d = static_cast<double>(dim);
  return (d / 2 - static_cast<double>(distance)) / (std::sqrt(d) / 2);
}

Result<double> ZScore(const Hypervector& a, const Hypervector& b) {
  HVDB_RETURN_IF_ERROR(SameDim(a, b, "z-score"));
  HVDB_ASSIGN_OR_RETURN(const uint32_t d, HammingDistance(a, b));
  return ZScore(d, a.dim());
}

Result<bool> Related(const Hypervector& a, const Hypervector& b, double sigmas) {
  HVDB_ASSIGN_OR_RETURN(const double z, ZScore(a, b));
  return z >= sigmas;
}

uint64_t SeedFromName(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return SplitMixFinalize(h);
}

Result<Hypervector> Symbol(uint64_t item_memory_seed, std::string_view name, size_t dim) {
  return Hypervector::Random(dim, SplitMixFinalize(item_memory_seed ^ SplitMixFinalize(SeedFromName(name) + kGoldenGamma)));
}

}  // namespace hvdb::hdc
