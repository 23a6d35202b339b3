// Copyright hvdb authors. Accumulators: persistent bundles kept as per-bit
// counters, so members can be added and subtracted one at a time.
//
// Stored value (the `accumulators` family, docs/format.md), little-endian:
//   u8 version = 1, u32 dim, i64 members (sum of weights), dim x i32 counters
// counter i = sum over additions of weight x (bit i set ? +1 : -1).
#ifndef HVDB_DB_ACCUMULATOR_H_
#define HVDB_DB_ACCUMULATOR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <span>
#include <vector>

#include "hvdb/hypervector.h"
#include "hvdb/result.h"

namespace hvdb::db {

inline constexpr size_t kMaxAccumulatorNameBytes = 1024;

struct Counters {
  int64_t members = 0;
  std::vector<int32_t> counts;  // dim of them
};

std::string EncodeCounters(const Counters& counters);
// Corruption naming the accumulator when the bytes do not hold `dim` counters.
Result<Counters> DecodeCounters(std::string_view bytes, std::string_view name, size_t dim);
// Adds weight x each vector. ResourceExhausted when a counter would leave the
// int32 range (nothing is changed then). REQUIRES: dims match the counters.
Status AddToCounters(Counters* counters, std::span<const Hypervector> vectors, int32_t weight);
// The majority: bit i set when counter i > 0; counter 0 is a tie, broken as
// hdc::Bundle breaks it (kernels/tie_word.h), so an accumulator of unit
// weights equals the Bundle of its members.
Result<Hypervector> MajorityOf(const Counters& counters, uint64_t tie_seed);

}  // namespace hvdb::db

#endif  // HVDB_DB_ACCUMULATOR_H_
