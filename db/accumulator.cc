// Copyright hvdb authors.
#include "db/accumulator.h"

#include <cstring>
#include <limits>

#include "kernels/tie_word.h"
#include "storage/endian.h"

namespace hvdb::db {
namespace {

constexpr uint8_t kVersion = 1;
constexpr size_t kHeaderBytes = 1 + 4 + 8;

}  // namespace

std::string EncodeCounters(const Counters& c) {
  std::string out(kHeaderBytes + 4 * c.counts.size(), '\0');
  out[0] = static_cast<char>(kVersion);
  storage::PutLittleEndian(c.counts.size(), 4, out.data() + 1);
  storage::PutLittleEndian(static_cast<uint64_t>(c.members), 8, out.data() + 5);
  for (size_t i = 0; i < c.counts.size(); ++i) {
    storage::PutLittleEndian(static_cast<uint32_t>(c.counts[i]), 4, out.data() + kHeaderBytes + 4 * i);
  }
  return out;
}

Result<Counters> DecodeCounters(std::string_view bytes, std::string_view name, size_t dim) {
  const std::string what = "accumulator '" + std::string(name) + "': ";
  if (bytes.size() < kHeaderBytes || static_cast<uint8_t>(bytes[0]) != kVersion) {
    return Status::Corruption(what + "unknown record version");
  }
  if (storage::GetLittleEndian(bytes.data() + 1, 4) != dim || bytes.size() != kHeaderBytes + 4 * dim) {
    return Status::Corruption(what + "record does not hold " + std::to_string(dim) + " counters");
  }
  Counters c;
  c.members = static_cast<int64_t>(storage::GetLittleEndian(bytes.data() + 5, 8));
  c.counts.resize(dim);
  for (size_t i = 0; i < dim; ++i) {
    c.counts[i] = static_cast<int32_t>(static_cast<uint32_t>(storage::GetLittleEndian(bytes.data() + kHeaderBytes + 4 * i, 4)));
  }
  return c;
}

Status AddToCounters(Counters* c, std::span<const Hypervector> vectors, int32_t weight) {
  std::vector<int64_t> sums(c->counts.begin(), c->counts.end());
  for (const Hypervector& v : vectors) {
    for (size_t i = 0; i < sums.size(); ++i) sums[i] += v.bit(i) ? weight : -weight;
  }
  for (int64_t s : sums) {
    if (s > std::numeric_limits<int32_t>::max() || s < std::numeric_limits<int32_t>::min()) {
      return Status::ResourceExhausted("accumulator counter would overflow 32 bits");
    }
  }
  for (size_t i = 0; i < sums.size(); ++i) c->counts[i] = static_cast<int32_t>(sums[i]);
  c->members += static_cast<int64_t>(vectors.size()) * weight;
  return Status::OK();
}

Result<Hypervector> MajorityOf(const Counters& c, uint64_t tie_seed) {
  HVDB_ASSIGN_OR_RETURN(Hypervector out, Hypervector::Zeros(c.counts.size()));
  // Counter i is 2 x (weight of the members with bit i set) - members, so
  // (counter + members) / 2 is that weight; its parity is what the ties read
  // (unit weights: the members' XOR, as hdc::Bundle).
  std::vector<uint64_t> parity(out.words(), 0);
  for (size_t i = 0; i < c.counts.size(); ++i) {
    const int64_t set_weight = (int64_t{c.counts[i]} + c.members) / 2;
    parity[i / 64] |= static_cast<uint64_t>(set_weight & 1) << (i % 64);
  }
  for (size_t w = 0; w < out.words(); ++w) {
    uint64_t greater = 0, tied = 0;
    for (size_t b = 0; b < 64; ++b) {
      const int32_t count = c.counts[w * 64 + b];
      greater |= uint64_t{count > 0} << b;
      tied |= uint64_t{count == 0} << b;
    }
    out.data()[w] = kernels::MajorityWord(tie_seed, w, greater, tied, kernels::ShiftedParity(parity.data(), out.words(), w));
  }
  return out;
}

}  // namespace hvdb::db
