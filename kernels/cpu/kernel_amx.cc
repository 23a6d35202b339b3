// Copyright hvdb authors. AMX-INT8 kernel for batches of queries. Compiled with
// the AVX-512 flags plus -mamx-tile -mamx-int8.
//
// Each 64-bit word is widened to 64 bytes, a set bit becoming -1 (0xff), so a
// signed tile dot product (TDPBSSD) counts the bits two vectors share:
// distance = popcount(q) + popcount(r) - 2 * common. One TDPBSSD does 16 rows x
// 16 queries x 64 bits; the VPOPCNTQ kernels need three 512-bit operations on
// the two ports that run them for every 8 rows x 1 query x 64 bits.
//
// Rows are widened per cache block into A tiles (tile row m = row m's widened
// word). Queries are widened once per pass into the VNNI layout that B tiles
// want: in the tile of word w, tile row kk holds bytes 4kk..4kk+3 of the
// widened word, query n at column 4n. Every tile is 1 KiB contiguous. Four
// accumulators cover 32 rows x 32 queries.
//
// Batches under kAmxMinQueries, vectors over kAmxMaxWords, single pairs and
// one-query distances use the AVX-512 primitives.
#include <cstdlib>
#include <cstring>

#include "kernels/cpu/isa_avx512.h"
#include "kernels/cpu/kernel_impl.h"

namespace hvdb::kernels::cpu {
namespace {

struct AmxIsa : Avx512Isa {
  static constexpr Simd kSimd = Simd::kAmx;
};

constexpr size_t kTileRows = 16;
constexpr size_t kTileRowBytes = 64;                       // one word, widened
constexpr size_t kTileBytes = kTileRows * kTileRowBytes;  // 1 KiB
constexpr size_t kBlockSide = 2 * kTileRows;               // 32 rows or queries per accumulator block
constexpr size_t kAmxMinQueries = 32;
// Above this many words the widened queries (8x their packed size) spill out of
// L2 and the AVX-512 path is faster (measured: docs/perf.md).
constexpr size_t kAmxMaxWords = 96;
constexpr size_t kRowBlockBudget = size_t{256} << 10;      // widened rows per block: stays in L2
constexpr size_t kQueryPassBudget = size_t{2} << 20;       // widened queries per pass

// Tiles 0-1: rows (A), 2-3: queries (B), 4-7: counts (C), all 16 x 64 bytes.
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

size_t RoundUp(size_t v, size_t m) { return (v + m - 1) / m * m; }

// 64-byte aligned scratch; freed on scope exit.
class Scratch {
 public:
  explicit Scratch(size_t bytes) : p_(std::aligned_alloc(64, RoundUp(bytes > 0 ? bytes : 64, 64))) {}
  ~Scratch() { std::free(p_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <typename T>
  T* as() const { return static_cast<T*>(p_); }
  bool ok() const { return p_ != nullptr; }

 private:
  void* p_;
};

__m512i Widen(uint64_t bits) { return _mm512_movm_epi8(_cvtu64_mask64(bits)); }

int32_t Popcount(uint64_t bits) { return static_cast<int32_t>(_mm_popcnt_u64(bits)); }

// Rows [0, count) widened into A tiles: row r in tile block r / 16, tile row
// r % 16; the tile of block b and word w at out + (b * words + w) * kTileBytes,
// so that every tile load reads 1 KiB in order. Zero rows up to `padded`; the
// rows' popcounts into pop.
void WidenRows(const uint64_t* rows, size_t count, size_t padded, size_t words, int8_t* out, int32_t* pop) {
  for (size_t r = 0; r < padded; ++r) {
    int8_t* dst = out + (r / kTileRows) * words * kTileBytes + (r % kTileRows) * kTileRowBytes;
    int32_t total = 0;
    for (size_t w = 0; w < words; ++w) {
      const uint64_t bits = r < count ? rows[r * words + w] : 0;
      _mm512_store_si512(dst + w * kTileBytes, Widen(bits));
      total += Popcount(bits);
    }
    pop[r] = total;
  }
}

// Queries [0, count) into B tiles: query q in tile block q / 16, column q % 16;
// the tile of block b and word w at out + (b * words + w) * kTileBytes. Zero
// queries up to `padded`.
void WidenQueries(const uint64_t* queries, size_t count, size_t padded, size_t words, int8_t* out, int32_t* pop) {
  std::memset(out, 0, padded * words * kTileRowBytes);
  const __m512i tile_rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                               _mm512_set1_epi32(static_cast<int>(kTileRowBytes)));
  for (size_t q = 0; q < padded; ++q) {
    int32_t total = 0;
    if (q < count) {
      int8_t* column = out + (q / kTileRows) * words * kTileBytes + (q % kTileRows) * 4;
      for (size_t w = 0; w < words; ++w) {
        const uint64_t bits = queries[q * words + w];
        _mm512_i32scatter_epi32(column + w * kTileBytes, tile_rows, Widen(bits), 1);
        total += Popcount(bits);
      }
    }
    pop[q] = total;
  }
}

uint32_t Threshold(const Collector& c) {
  return c.threshold > 0xffffffffu ? 0xffffffffu : static_cast<uint32_t>(c.threshold);
}

struct Pass {
  size_t q0 = 0;              // first query of the pass, in the task
  size_t qn = 0;              // queries in the pass
  const int8_t* qtiles = nullptr;
  const int32_t* qpop = nullptr;
  uint32_t* thresholds = nullptr;  // per query of the pass, mirrors the collectors
};

// Offers the rows of one 32 x 32 block of counts. counts: 4 tiles of 16 x 16
// int32, tile (2i + j) for rows 16i.., queries 16j.. . Rows go in increasing
// order for every query.
void OfferBlock(const ScanTask& t, const Pass& p, size_t qblock, size_t r0, size_t b1, const int32_t* rpop,
                const int32_t* counts) {
  for (size_t i = 0; i < 2; ++i) {
    for (size_t m = 0; m < kTileRows; ++m) {
      const size_t r = r0 + i * kTileRows + m;
      if (r >= b1) return;
      if (!IsLive(t.tombstones, r)) continue;
      const __m512i row_pop = _mm512_set1_epi32(rpop[i * kTileRows + m]);
      for (size_t j = 0; j < 2; ++j) {
        const size_t first = qblock + j * kTileRows;  // in the pass
        if (first >= p.qn) break;
        const size_t lanes = MinSize(p.qn - first, kTileRows);
        const __m512i common = _mm512_load_si512(counts + (2 * i + j) * 256 + m * 16);
        const __m512i d = _mm512_sub_epi32(_mm512_add_epi32(row_pop, _mm512_loadu_si512(p.qpop + first)),
                                           _mm512_add_epi32(common, common));
        unsigned mask = _mm512_cmplt_epu32_mask(d, _mm512_loadu_si512(p.thresholds + first)) &
                        ((1u << lanes) - 1);
        if (mask == 0) continue;
        alignas(64) uint32_t dist[16];
        _mm512_store_si512(dist, d);
        while (mask != 0) {
          const unsigned n = static_cast<unsigned>(__builtin_ctz(mask));
          mask &= mask - 1;
          Collector& c = t.collectors[p.q0 + first + n];
          if (dist[n] < c.threshold) {
            c.Offer(dist[n], r);
            p.thresholds[first + n] = Threshold(c);
          }
        }
      }
    }
  }
}

void ScanBlock(const ScanTask& t, const Pass& p, size_t b0, size_t b1, const int8_t* rows, const int32_t* rpop,
               int32_t* counts) {
  const size_t tiles_per_block = t.words * kTileBytes;  // 16 rows or queries, every word
  for (size_t qblock = 0; qblock < p.qn; qblock += kBlockSide) {
    const int8_t* b_lo = p.qtiles + (qblock / kTileRows) * tiles_per_block;
    const int8_t* b_hi = b_lo + tiles_per_block;
    for (size_t r0 = b0; r0 < b1; r0 += kBlockSide) {
      const int8_t* a_lo = rows + (r0 - b0) / kTileRows * tiles_per_block;
      const int8_t* a_hi = a_lo + tiles_per_block;
      _tile_zero(4);
      _tile_zero(5);
      _tile_zero(6);
      _tile_zero(7);
      for (size_t w = 0; w < t.words; ++w) {
        _tile_loadd(0, a_lo + w * kTileBytes, kTileRowBytes);
        _tile_loadd(1, a_hi + w * kTileBytes, kTileRowBytes);
        _tile_loadd(2, b_lo + w * kTileBytes, kTileRowBytes);
        _tile_loadd(3, b_hi + w * kTileBytes, kTileRowBytes);
        _tile_dpbssd(4, 0, 2);
        _tile_dpbssd(5, 0, 3);
        _tile_dpbssd(6, 1, 2);
        _tile_dpbssd(7, 1, 3);
      }
      _tile_stored(4, counts, kTileRowBytes);
      _tile_stored(5, counts + 256, kTileRowBytes);
      _tile_stored(6, counts + 512, kTileRowBytes);
      _tile_stored(7, counts + 768, kTileRowBytes);
      OfferBlock(t, p, qblock, r0, b1, rpop + (r0 - b0), counts);
    }
  }
}

void ScanAmx(const ScanTask& t) {
  if (t.nq < kAmxMinQueries || t.words > kAmxMaxWords) return ScanOf<AmxIsa>(t);
  const size_t words = t.words;
  const size_t widened_row = words * kTileRowBytes;
  size_t block_rows = kRowBlockBudget / widened_row / kBlockSide * kBlockSide;
  if (block_rows < kBlockSide) block_rows = kBlockSide;
  size_t pass_queries = kQueryPassBudget / widened_row / kBlockSide * kBlockSide;
  if (pass_queries < kBlockSide) pass_queries = kBlockSide;
  const size_t pass_padded = RoundUp(MinSize(t.nq, pass_queries), kBlockSide);

  Scratch rows(block_rows * widened_row), rpop(block_rows * sizeof(int32_t));
  Scratch qtiles(pass_padded * widened_row), qpop(pass_padded * sizeof(int32_t));
  Scratch thresholds(pass_padded * sizeof(uint32_t)), counts(4 * kTileBytes);
  if (!rows.ok() || !rpop.ok() || !qtiles.ok() || !qpop.ok() || !thresholds.ok() || !counts.ok()) {
    return ScanOf<AmxIsa>(t);  // too little memory for tiles: the vector path needs none
  }

  TileConfig config;
  for (int i = 0; i < 8; ++i) {
    config.rows[i] = kTileRows;
    config.colsb[i] = kTileRowBytes;
  }
  _tile_loadconfig(&config);
  for (size_t q0 = 0; q0 < t.nq; q0 += pass_queries) {
    Pass p;
    p.q0 = q0;
    p.qn = MinSize(t.nq - q0, pass_queries);
    WidenQueries(t.queries + q0 * words, p.qn, RoundUp(p.qn, kBlockSide), words, qtiles.as<int8_t>(),
                 qpop.as<int32_t>());
    for (size_t q = 0; q < p.qn; ++q) thresholds.as<uint32_t>()[q] = Threshold(t.collectors[q0 + q]);
    p.qtiles = qtiles.as<int8_t>();
    p.qpop = qpop.as<int32_t>();
    p.thresholds = thresholds.as<uint32_t>();
    for (size_t b0 = t.row_begin; b0 < t.row_end; b0 += block_rows) {
      const size_t b1 = MinSize(b0 + block_rows, t.row_end);
      WidenRows(t.rows + b0 * words, b1 - b0, RoundUp(b1 - b0, kBlockSide), words, rows.as<int8_t>(),
                rpop.as<int32_t>());
      ScanBlock(t, p, b0, b1, rows.as<int8_t>(), rpop.as<int32_t>(), counts.as<int32_t>());
    }
  }
  _tile_release();
}

}  // namespace

const KernelTable& AmxKernel() {
  static constexpr KernelTable table{AmxIsa::kSimd,       &PairOf<AmxIsa>, &DistancesOf<AmxIsa>,
                                     &TransposedDistancesOf<AmxIsa>, &ScanAmx, AmxIsa::kBlockBytes,
                                     &AddPlaneOf<AmxIsa>, &LeastOf<AmxIsa>, &CountAtMostOf<AmxIsa>,
                                     &RowsAtMostOf<AmxIsa>};
  return table;
}

}  // namespace hvdb::kernels::cpu
