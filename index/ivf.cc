// Copyright hvdb authors.
#include "index/ivf.h"

#include <algorithm>
#include <cerrno>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <utility>

#include "index/checked_file.h"
#include "index/ivf_nlist.h"
#include "index/kmeans.h"
#include "index/little_endian.h"
#include "kernels/crc32c.h"
#include "kernels/cpu/thread_pool.h"

namespace hvdb::index {
namespace {

// Training points per centroid at most (FAISS uses 256; binary majority
// centroids settle with fewer).
constexpr size_t kSamplePerList = 64;
constexpr uint64_t kTrainingSeed = 0x1f5eed;

// List versions are unique across every index of the process, so a device
// copy made for one index never passes for another's list.
uint64_t NextVersion() {
  static std::atomic<uint64_t> next{1};
  return next++;
}

// Over rows of at most kRankAllMaxWords words, a query probing at least
// 1/kRankAllShare of the lists has every centroid's distance computed and the
// nearest picked by counting, not a top-k scan: a top-k collector takes in
// about nprobe x (1 + ln(nlist / nprobe)) of the centroids, each costing more
// than a distance (at nlist 256 and nprobe 64 over 384-bit rows: 148 offers a
// query, 63% of all the search's offers; ranking by counting made that search
// 20% faster). The centroids are kept transposed for it (centroid_groups_),
// so that 16 queries' distances cost four-query passes, not one query's
// row-major groups and their horizontal sums (5% of a MiniLM search). Wider
// rows keep the top-k scan: its transposed blocks compute a distance several
// times faster than one query's row-major pass, and at 2048 bits the two
// measured within 10% of each other either way.
constexpr size_t kRankAllShare = 16;
constexpr size_t kRankAllMaxWords = 8;
// Lists of rows of at most this many words keep their codes a second time,
// transposed (kernels::TransposedRows): most of a probe's scans are of a few
// queries (a query's nearest list is shared by few others), which over narrow
// rows cost less from the transposed copy than row by row (Group8's sums).
// Wider rows spend their time in the distances, not the sums, and would
// double the lists' memory for little.
constexpr size_t kTransposedMaxWords = 8;

// The first `keep` (at most n) of (distance, centroid) order among
// distance[0, n), each at most max_distance (words x 64; a larger one would
// count past the tallies), into out[0, keep): counts per
// distance give the cut (the keep-th distance), and a counting sort of the
// centroids up to it, stable in the centroid, gives the order, so ties go to
// the smaller centroid as in TopK. The centroids within the cut are picked
// by the kernel `simd`'s rows_at_most (AVX-512: a compare and a compress in
// a register per 16; AVX2: a compare per 16 and a loop over the lanes
// found), the tally only is scalar: ranking was 9% of a MiniLM search with
// a counting sort of all of them (their range found first).
struct CountingScratch {
  std::vector<uint32_t> counts, picked;
};
void NearestByCounting(const uint32_t* distance, size_t n, size_t keep, uint32_t max_distance, kernels::Simd simd,
                       CountingScratch* scratch, kernels::Neighbor* out) {
  keep = std::min(keep, n);  // so that the cut is found
  if (keep == 0) return;
  // Two tallies (even and odd centroids), so that equal distances in a row
  // do not wait on one counter.
  scratch->counts.assign(2 * (size_t{max_distance} + 1), 0);
  uint32_t* const even = scratch->counts.data();
  uint32_t* const odd = even + max_distance + 1;
  size_t i = 0;
  for (; i + 2 <= n; i += 2) {
    ++even[distance[i]];
    ++odd[distance[i + 1]];
  }
  if (i < n) ++even[distance[i]];
  // even[d] becomes the place of the first centroid at distance d, up to the
  // cut; from the least distance, since none lies below it (the walk from 0
  // was a fifth of the ranking).
  uint32_t cut = kernels::LeastDistance(distance, n, simd);
  for (uint32_t through = 0;; ++cut) {
    const uint32_t count = even[cut] + odd[cut];
    even[cut] = through;
    through += count;
    if (through >= keep) break;
  }
  scratch->picked.resize(n);
  uint32_t* const picked = scratch->picked.data();
  const size_t m = kernels::RowsWithin(distance, n, cut, picked, simd);
  for (size_t j = 0; j < m; ++j) {
    const uint32_t at = even[distance[picked[j]]]++;
    if (at < keep) out[at] = {picked[j], distance[picked[j]]};
  }
}

}  // namespace

IvfLists::IvfLists(std::vector<uint64_t> centroids, size_t nlist, size_t words)
    : nlist_(nlist), words_(words), centroids_(std::move(centroids)), lists_(nlist) {
  for (List& l : lists_) l.version = NextVersion();
  if (words_ <= kRankAllMaxWords) centroid_groups_.Update(centroids_.data(), nlist_, words_, 0);
}

Result<std::unique_ptr<IvfLists>> IvfLists::Train(const RowsView& rows, size_t nlist, size_t iterations,
                                                  const kernels::ScanOptions& scan, const BuildProgress& progress) {
  std::vector<uint32_t> live;
  live.reserve(rows.n);
  for (size_t r = 0; r < rows.n; ++r) {
    if (!rows.deleted(r)) live.push_back(static_cast<uint32_t>(r));
  }
  if (live.size() < nlist) {
    return Status::InvalidArgument("ivf index: " + std::to_string(live.size()) + " rows cannot train " +
                                   std::to_string(nlist) + " lists");
  }
  std::mt19937_64 rng(kTrainingSeed);
  const size_t m = std::min(live.size(), kSamplePerList * nlist);
  for (size_t i = 0; i < m; ++i) std::swap(live[i], live[std::uniform_int_distribution<size_t>(i, live.size() - 1)(rng)]);
  std::sort(live.begin(), live.begin() + static_cast<ptrdiff_t>(m));  // read the arena forwards
  std::vector<uint64_t> sample(m * rows.words);
  for (size_t i = 0; i < m; ++i) std::memcpy(&sample[i * rows.words], rows.row(live[i]), rows.words * 8);
  HVDB_ASSIGN_OR_RETURN(std::vector<uint64_t> centroids,
                        BinaryKMeans(sample.data(), m, rows.words, {nlist, iterations, kTrainingSeed, progress}, scan));
  std::unique_ptr<IvfLists> index(new IvfLists(std::move(centroids), nlist, rows.words));
  HVDB_RETURN_IF_ERROR(index->AssignAll(rows, scan, nullptr));
  index->trained_rows_ = index->rows_;
  index->trained_imbalance_ = index->Imbalance();
  return index;
}

Result<std::unique_ptr<IvfLists>> IvfLists::FromCentroids(std::vector<uint64_t> centroids, size_t nlist,
                                                          uint64_t trained_rows, double trained_imbalance,
                                                          const RowsView& rows, const kernels::ScanOptions& scan,
                                                          const uint32_t* known) {
  if (nlist == 0 || centroids.size() != nlist * rows.words) {
    return Status::Corruption("ivf index: " + std::to_string(centroids.size()) + " centroid words for nlist " +
                              std::to_string(nlist) + " of " + std::to_string(rows.words) + " words");
  }
  std::unique_ptr<IvfLists> index(new IvfLists(std::move(centroids), nlist, rows.words));
  HVDB_RETURN_IF_ERROR(index->AssignAll(rows, scan, known));
  index->trained_rows_ = trained_rows;
  index->trained_imbalance_ = trained_imbalance;
  return index;
}

Status IvfLists::AssignAll(const RowsView& rows, const kernels::ScanOptions& scan, const uint32_t* known) {
  std::vector<uint32_t> lists(rows.n, kNoRow32);
  if (known != nullptr) std::copy_n(known, rows.n, lists.data());
  std::vector<uint32_t> unknown;
  for (size_t r = 0; r < rows.n; ++r) {
    if (!rows.deleted(r) && lists[r] == kNoRow32) unknown.push_back(static_cast<uint32_t>(r));
  }
  if (unknown.size() == LiveRows(rows)) {
    HVDB_RETURN_IF_ERROR(Assign(rows.rows, rows.n, lists.data(), scan));  // in place: no copy of every row
  } else if (!unknown.empty()) {
    std::vector<uint64_t> bits(unknown.size() * words_);
    for (size_t i = 0; i < unknown.size(); ++i) std::copy_n(rows.row(unknown[i]), words_, &bits[i * words_]);
    std::vector<uint32_t> found(unknown.size());
    HVDB_RETURN_IF_ERROR(Assign(bits.data(), unknown.size(), found.data(), scan));
    for (size_t i = 0; i < unknown.size(); ++i) lists[unknown[i]] = found[i];
  }
  std::vector<size_t> sizes(nlist_, 0);
  for (size_t r = 0; r < rows.n; ++r) {
    if (!rows.deleted(r)) ++sizes[lists[r]];
  }
  for (size_t l = 0; l < nlist_; ++l) {
    lists_[l].rows.reserve(sizes[l]);
    lists_[l].codes.reserve(sizes[l] * words_);
    if (words_ <= kTransposedMaxWords) lists_[l].transposed.Reserve(sizes[l], words_);
  }
  for (size_t r = 0; r < rows.n; ++r) {
    if (!rows.deleted(r)) Add(static_cast<uint32_t>(r), rows.row(r), lists[r]);
  }
  return Status::OK();
}

double IvfLists::Imbalance() const {
  if (rows_ == 0) return 1.0;
  double squares = 0;
  for (const List& list : lists_) squares += static_cast<double>(list.rows.size()) * list.rows.size();
  return static_cast<double>(nlist_) * squares / (static_cast<double>(rows_) * rows_);
}

uint64_t IvfLists::memory_bytes() const {
  uint64_t bytes = centroids_.size() * 8 + centroid_groups_.capacity_bytes() + list_of_row_.capacity() * 4;
  for (const List& list : lists_) {
    bytes += list.rows.capacity() * 4 + list.codes.capacity() * 8 + list.transposed.capacity_bytes();
  }
  return bytes;
}

Status IvfLists::Assign(const uint64_t* vectors, size_t n, uint32_t* lists, const kernels::ScanOptions& scan) const {
  return NearestCentroids(vectors, n, centroids_.data(), nlist_, words_, lists, scan);
}

void IvfLists::Add(uint32_t row, const uint64_t* bits, uint32_t list) {
  if (row >= list_of_row_.size()) list_of_row_.resize(std::max<size_t>(row + 1, list_of_row_.size() * 5 / 4), kNoRow32);
  List& l = lists_[list];
  const size_t at = static_cast<size_t>(std::lower_bound(l.rows.begin(), l.rows.end(), row) - l.rows.begin());
  l.rows.insert(l.rows.begin() + static_cast<ptrdiff_t>(at), row);
  l.codes.insert(l.codes.begin() + static_cast<ptrdiff_t>(at * words_), bits, bits + words_);
  if (words_ <= kTransposedMaxWords) l.transposed.Update(l.codes.data(), l.rows.size(), words_, at);
  list_of_row_[row] = list;
  l.version = NextVersion();
  ++rows_;
}

void IvfLists::Remove(uint32_t row) {
  if (row >= list_of_row_.size() || list_of_row_[row] == kNoRow32) return;
  List& l = lists_[list_of_row_[row]];
  const size_t at = static_cast<size_t>(std::lower_bound(l.rows.begin(), l.rows.end(), row) - l.rows.begin());
  l.rows.erase(l.rows.begin() + static_cast<ptrdiff_t>(at));
  const auto first = l.codes.begin() + static_cast<ptrdiff_t>(at * words_);
  l.codes.erase(first, first + static_cast<ptrdiff_t>(words_));
  if (words_ <= kTransposedMaxWords) l.transposed.Update(l.codes.data(), l.rows.size(), words_, at);
  list_of_row_[row] = kNoRow32;
  l.version = NextVersion();
  --rows_;
}

void IvfLists::Compact(const RowsView& before) {
  std::vector<uint32_t> map(before.n);
  CompactionMap(before, map.data());
  for (List& list : lists_) {
    for (uint32_t& row : list.rows) row = map[row];
  }
  std::vector<uint32_t> moved(list_of_row_.size(), kNoRow32);
  for (size_t r = 0; r < list_of_row_.size() && r < before.n; ++r) {
    if (map[r] != kNoRow32) moved[map[r]] = list_of_row_[r];
  }
  list_of_row_.swap(moved);
}

Status IvfLists::RankLists(const uint64_t* queries, size_t nq, size_t nprobe, const kernels::ScanOptions& scan,
                           kernels::Neighbor* probes) const {
  if (words_ > kRankAllMaxWords || nprobe * kRankAllShare < nlist_) {
    return kernels::TopK({queries, nq, {centroids_.data(), nlist_, words_, nullptr}}, nprobe, probes, scan);
  }
  kernels::ScanOptions one = scan;
  one.threads = 1;
  HVDB_ASSIGN_OR_RETURN(const kernels::Simd simd, kernels::ResolveSimd(scan));
  const unsigned threads = kernels::ThreadsFor(scan);
  constexpr size_t kQueriesPerTask = 16;
  std::vector<Status> failures((nq + kQueriesPerTask - 1) / kQueriesPerTask);
  kernels::cpu::ThreadPool::Shared().Run(failures.size(), threads, [&](size_t task) {
    const size_t first = task * kQueriesPerTask;
    const size_t count = std::min(nq - first, kQueriesPerTask);
    // Per thread, kept between tasks and searches (16 x nlist distances).
    thread_local std::vector<uint32_t> distance;
    thread_local CountingScratch scratch;
    distance.resize(count * nlist_);
    failures[task] = kernels::HammingDistances(queries + first * words_, count, centroid_groups_, distance.data(), one);
    if (!failures[task].ok()) return;
    const uint32_t max_distance = static_cast<uint32_t>(words_ * 64);
    for (size_t q = 0; q < count; ++q) {
      NearestByCounting(&distance[q * nlist_], nlist_, nprobe, max_distance, simd, &scratch, probes + (first + q) * nprobe);
    }
    if (distance.capacity() > (size_t{1} << 18)) std::vector<uint32_t>().swap(distance);  // kept only while small
  });
  for (const Status& s : failures) HVDB_RETURN_IF_ERROR(s);
  return Status::OK();
}

Status IvfLists::Search(const uint64_t* queries, size_t nq, size_t k, std::optional<uint32_t> max_distance,
                        size_t nprobe, const kernels::ScanOptions& scan,
                        std::vector<std::vector<kernels::Neighbor>>* out, uint64_t* rows_scanned,
                        IvfDeviceLists* device) const {
  nprobe = std::clamp<size_t>(nprobe, 1, nlist_);
  std::vector<kernels::Neighbor> probes(nq * nprobe);  // per query, nearest list first
  HVDB_RETURN_IF_ERROR(RankLists(queries, nq, nprobe, scan, probes.data()));
  if (rows_scanned != nullptr) {
    *rows_scanned = nq * nlist_;
    for (const kernels::Neighbor& p : probes) *rows_scanned += lists_[p.row].rows.size();
  }
  if (device != nullptr) return SearchOnDevice(queries, nq, k, max_distance, nprobe, probes, out, device);
  kernels::ScanOptions one = scan;
  one.threads = 1;
  const unsigned threads = kernels::ThreadsFor(scan);
  // Scans each list once for all the queries that probe it, the lists on any
  // threads: every query's probes [probe_begin, probe_end).
  auto scan_lists = [&](kernels::SharedBoundSearch& search, size_t probe_begin, size_t probe_end) {
    std::vector<uint32_t> first(nlist_ + 1, 0), which(nq * (probe_end - probe_begin)), active;
    for (size_t q = 0; q < nq; ++q) {
      for (size_t p = probe_begin; p < probe_end; ++p) ++first[probes[q * nprobe + p].row + 1];
    }
    for (size_t l = 0; l < nlist_; ++l) {
      if (first[l + 1] != 0 && !lists_[l].rows.empty()) active.push_back(static_cast<uint32_t>(l));
      first[l + 1] += first[l];
    }
    std::vector<uint32_t> at(first.begin(), first.end() - 1);
    for (size_t q = 0; q < nq; ++q) {
      for (size_t p = probe_begin; p < probe_end; ++p) {
        which[at[probes[q * nprobe + p].row]++] = static_cast<uint32_t>(q);
      }
    }
    std::vector<Status> failures(active.size());
    kernels::cpu::ThreadPool::Shared().Run(active.size(), threads, [&](size_t i) {
      const size_t l = active[i];
      const List& list = lists_[l];
      const size_t count = first[l + 1] - first[l];
      thread_local std::vector<uint64_t> batch;  // the list's queries, gathered
      batch.resize(count * words_);
      for (size_t j = 0; j < count; ++j) {
        std::copy_n(queries + which[first[l] + j] * words_, words_, &batch[j * words_]);
      }
      failures[i] = search.Scan(batch.data(), &which[first[l]], count,
                                {list.codes.data(), list.rows.size(), words_, nullptr}, list.rows.data(), one,
                                words_ <= kTransposedMaxWords ? &list.transposed : nullptr);
      if (batch.capacity() > (size_t{1} << 20)) std::vector<uint64_t>().swap(batch);  // kept only while small
    });
    for (const Status& s : failures) HVDB_RETURN_IF_ERROR(s);
    return Status::OK();
  };
  // First every query's nearest list, which usually holds its nearest rows;
  // then its other lists, all in one pass (each list scanned once for every
  // query probing it), each (query, list) pair from the query's k-th
  // distance so far (the nearest list's, lowered as its other lists are
  // scanned), so that a row which cannot beat it costs no collector work.
  // One search keeps both passes' hits, merged once per query at the end, on
  // the search's threads.
  HVDB_ASSIGN_OR_RETURN(std::unique_ptr<kernels::SharedBoundSearch> search,
                        kernels::SharedBoundSearch::Make(nq, k, max_distance));
  HVDB_RETURN_IF_ERROR(scan_lists(*search, 0, 1));
  if (nprobe > 1) HVDB_RETURN_IF_ERROR(scan_lists(*search, 1, nprobe));
  search->AllHits(scan, out);
  return Status::OK();
}

Status IvfLists::SearchOnDevice(const uint64_t* queries, size_t nq, size_t k, std::optional<uint32_t> max_distance,
                                size_t nprobe, const std::vector<kernels::Neighbor>& probes,
                                std::vector<std::vector<kernels::Neighbor>>* out, IvfDeviceLists* device) const {
  kernels::SearchDevice* gpu = device->device();
  if (device->lists_.size() != nlist_) {  // another index's copies: drop them
    device->lists_.clear();  // frees them
    device->lists_.resize(nlist_);
  }
  // Each (query, probe) slot's hits, the slots grouped by list, so each list
  // is scanned once for every query that probes it.
  std::vector<uint32_t> first(nlist_ + 1, 0);
  for (const kernels::Neighbor& p : probes) ++first[p.row + 1];
  for (size_t l = 0; l < nlist_; ++l) first[l + 1] += first[l];
  std::vector<uint32_t> pairs(nq * nprobe);  // (query, probe) slots, grouped by list
  {
    std::vector<uint32_t> at(first.begin(), first.end() - 1);
    for (size_t slot = 0; slot < probes.size(); ++slot) pairs[at[probes[slot].row]++] = static_cast<uint32_t>(slot);
  }
  std::vector<std::vector<kernels::Neighbor>> slot_hits(nq * nprobe);
  for (size_t l = 0; l < nlist_; ++l) {  // one caller at a time on a device
    const size_t count = first[l + 1] - first[l];
    const List& list = lists_[l];
    const size_t size = list.rows.size();
    if (count == 0 || size == 0) continue;
    IvfDeviceLists::Entry& e = device->lists_[l];
    if (e.version != list.version) {
      if (e.capacity < size) {
        e = {};  // frees the old copy
        HVDB_ASSIGN_OR_RETURN(e.codes, gpu->Allocate(std::max<size_t>(size, size * 5 / 4) * words_ * 8));
        e.capacity = std::max<size_t>(size, size * 5 / 4);
      }
      if (Status up = gpu->Upload(e.codes.handle(), 0, list.codes.data(), size * words_ * 8); !up.ok()) {
        e.version = 0;
        return up;
      }
      e.version = list.version;
    }
    std::vector<uint64_t> batch(count * words_);
    for (size_t i = 0; i < count; ++i) {
      std::copy_n(queries + size_t{pairs[first[l] + i]} / nprobe * words_, words_, batch.data() + i * words_);
    }
    std::vector<std::vector<kernels::Neighbor>> found(count);
    if (k == 0) {
      HVDB_RETURN_IF_ERROR(gpu->WithinRadius(e.codes.handle(), size, words_, 0, batch.data(), count, *max_distance,
                                             found.data()));
    } else {
      const size_t kk = std::min(k, size);
      std::vector<kernels::Neighbor> top(count * kk);
      HVDB_RETURN_IF_ERROR(gpu->TopK(e.codes.handle(), size, words_, 0, batch.data(), count, kk, top.data()));
      for (size_t i = 0; i < count; ++i) found[i].assign(&top[i * kk], &top[i * kk] + kk);
    }
    for (size_t i = 0; i < count; ++i) {
      for (kernels::Neighbor& n : found[i]) {
        if (n.row != kernels::kNoRow) n.row = list.rows[n.row];  // positions in the list to rows
      }
      slot_hits[pairs[first[l] + i]] = std::move(found[i]);
    }
  }
  out->assign(nq, {});
  for (size_t q = 0; q < nq; ++q) {
    std::vector<kernels::Neighbor>& hits = (*out)[q];
    for (size_t p = 0; p < nprobe; ++p) {
      for (const kernels::Neighbor& n : slot_hits[q * nprobe + p]) {
        if (n.row != kernels::kNoRow && (!max_distance || n.distance <= *max_distance)) hits.push_back(n);
      }
    }
    kernels::MergeHits(&hits, k);
  }
  return Status::OK();
}

// ---- IvfIndex: the Index over the trained lists.

namespace {

constexpr std::string_view kFileMagic = "HVDBIVFL";
constexpr uint32_t kFileVersion = 1;
constexpr size_t kHeaderBytes = 8 + 4 + 4 + 4 + 8 + 8 + 8;  // magic, version, nlist, words, trained_rows, imbalance, entries
constexpr size_t kEntryBytes = 8 + 4 + 4;                    // row id, list, CRC-32C of the row's bits

uint32_t RowChecksum(const RowsView& rows, size_t r) { return kernels::Crc32c(rows.row(r), rows.words * 8); }

Status ValidateIvf(const IndexOptions& options, size_t) {
  if (options.ivf_nlist > kernels::kMaxK) {
    return Status::InvalidArgument("ivf index: nlist " + std::to_string(options.ivf_nlist) + " must be in [1, " +
                                   std::to_string(kernels::kMaxK) + "], or 0 to choose it from the data");
  }
  if (options.ivf_nprobe == 0) return Status::InvalidArgument("ivf index: nprobe must be at least 1");
  if (options.ivf_iterations == 0 || options.ivf_iterations > 1000) {
    return Status::InvalidArgument("ivf index: iterations " + std::to_string(options.ivf_iterations) +
                                   " must be in [1, 1000]");
  }
  if (!(options.ivf_retrain_imbalance >= 1)) {
    return Status::InvalidArgument("ivf index: retrain_imbalance must be at least 1");
  }
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<Index>> IvfIndex::Build(const IndexOptions& options, const RowsView& rows,
                                               const kernels::ScanOptions& scan, const BuildProgress& progress) {
  auto index = std::make_unique<IvfIndex>(options, scan);
  if (LiveRows(rows) >= index->training_rows()) {
    size_t nlist = options.ivf_nlist;
    if (nlist == 0) {
      HVDB_ASSIGN_OR_RETURN(const NlistChoice choice, ChooseNlist(rows, scan, progress));
      nlist = choice.nlist;
    }
    HVDB_ASSIGN_OR_RETURN(index->trained_, IvfLists::Train(rows, nlist, options.ivf_iterations, scan, progress));
  }
  return std::unique_ptr<Index>(std::move(index));
}

Result<std::unique_ptr<Index>> IvfIndex::Open(const IndexOptions& options, const SavedState& state, const RowsView& rows,
                                              const kernels::ScanOptions& scan) {
  const std::string what = "ivf index file '" + state.file + "'";
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(state.file.c_str(), "rb"), std::fclose);
  if (f == nullptr) {
    if (errno == ENOENT) return Status::NotFound(what + ": none");
    return Status::IOError(what + ": cannot open it: " + std::strerror(errno));
  }
  uint64_t content = 0;
  HVDB_RETURN_IF_ERROR(CheckTrailer(f.get(), what, kHeaderBytes, &content));
  char magic[8];
  uint64_t version = 0, nlist = 0, words = 0, trained_rows = 0, imbalance_bits = 0, entries = 0;
  if (std::fread(magic, 1, 8, f.get()) != 8 || std::string_view(magic, 8) != kFileMagic) {
    return Status::Corruption(what + " does not start with the magic " + std::string(kFileMagic));
  }
  if (!ReadLittleEndian(f.get(), 4, &version) || !ReadLittleEndian(f.get(), 4, &nlist) ||
      !ReadLittleEndian(f.get(), 4, &words) || !ReadLittleEndian(f.get(), 8, &trained_rows) ||
      !ReadLittleEndian(f.get(), 8, &imbalance_bits) || !ReadLittleEndian(f.get(), 8, &entries)) {
    return Status::Corruption(what + " is truncated in its header");
  }
  if (version != kFileVersion) {
    return Status::Corruption(what + " has format version " + std::to_string(version) + "; this build reads version " +
                              std::to_string(kFileVersion));
  }
  if (nlist == 0 || nlist > kernels::kMaxK) {
    return Status::Corruption(what + " records nlist " + std::to_string(nlist) + ", outside [1, " +
                              std::to_string(kernels::kMaxK) + "]");
  }
  // nlist 0 in the options: the one chosen at training, whatever it was.
  if ((options.ivf_nlist != 0 && nlist != options.ivf_nlist) || words != rows.words) {
    return Status::NotFound(what + " is for nlist " + std::to_string(nlist) + " of " + std::to_string(words) +
                            " words");
  }
  // nlist and words are the collection's now, so the centroids' size is
  // bounded; the entries are read in chunks, whatever their number.
  const uint64_t after_header = content - kHeaderBytes;
  const uint64_t centroid_bytes = nlist * words * 8;
  if (after_header < centroid_bytes || entries != (after_header - centroid_bytes) / kEntryBytes ||
      (after_header - centroid_bytes) % kEntryBytes != 0) {
    return Status::Corruption(what + " claims " + std::to_string(entries) + " rows and " + std::to_string(nlist) +
                              " centroids of " + std::to_string(words) + " words, which its " +
                              std::to_string(after_header) + " bytes after the header do not hold");
  }
  double imbalance = 1;
  std::memcpy(&imbalance, &imbalance_bits, 8);
  if (!(imbalance >= 0.999 && imbalance <= 1.001 * static_cast<double>(nlist)) || trained_rows > (uint64_t{1} << 48)) {
    return Status::Corruption(what + " records an imbalance of " + std::to_string(imbalance) + " and " +
                              std::to_string(trained_rows) + " rows at training, which no training gives");
  }
  std::vector<uint64_t> centroids(nlist * words);
  for (uint64_t& word : centroids) {
    if (!ReadLittleEndian(f.get(), 8, &word)) return Status::Corruption(what + " could not be read back");
  }
  // Reconcile: a row keeps its saved list only if the file names its id
  // and the checksum of the bits it had then matches; every other live row
  // goes to its nearest centroid (an entry for a row deleted since is
  // skipped). Ids increase, in the file as in the rows.
  std::vector<uint32_t> known(rows.n, kNoRow32);
  uint64_t matched = 0, previous_id = 0;
  size_t r = 0;
  std::vector<unsigned char> chunk;
  for (uint64_t e = 0; e < entries;) {
    const size_t count = static_cast<size_t>(std::min<uint64_t>(entries - e, 65536));
    chunk.resize(count * kEntryBytes);
    if (std::fread(chunk.data(), 1, chunk.size(), f.get()) != chunk.size()) {
      return Status::Corruption(what + " could not be read back");
    }
    for (size_t i = 0; i < count; ++i, ++e) {
      const unsigned char* entry = &chunk[i * kEntryBytes];
      const uint64_t id = FromLittleEndian(entry, 8), list = FromLittleEndian(entry + 8, 4);
      if ((e > 0 && id <= previous_id) || list >= nlist) {
        return Status::Corruption(what + ": entry " + std::to_string(e) + " (row id " + std::to_string(id) +
                                  ", list " + std::to_string(list) + ") is out of order or names a list past " +
                                  std::to_string(nlist));
      }
      previous_id = id;
      if (rows.ids == nullptr) continue;
      while (r < rows.n && rows.ids[r] < id) ++r;
      if (r < rows.n && rows.ids[r] == id && !rows.deleted(r) &&
          RowChecksum(rows, r) == FromLittleEndian(entry + 12, 4)) {
        known[r] = static_cast<uint32_t>(list);
        ++matched;
      }
    }
  }
  auto index = std::make_unique<IvfIndex>(options, scan);
  HVDB_ASSIGN_OR_RETURN(index->trained_, IvfLists::FromCentroids(std::move(centroids), nlist, trained_rows, imbalance,
                                                                 rows, scan, known.data()));
  // Saved again at close when the file did not describe the rows exactly.
  index->dirty_ = matched != entries || matched != LiveRows(rows);
  return std::unique_ptr<Index>(std::move(index));
}

const IndexType IvfIndex::kType{IndexKind::kIvf, StateHome::kFile, ValidateIvf, IvfIndex::Build, IvfIndex::Open};

std::string IvfIndex::Declines(const RowsView& rows, const SearchRequest&) const {
  if (trained_ != nullptr) return {};
  return "ivf index not trained yet (" + std::to_string(LiveRows(rows)) + " live rows; it trains at " +
         std::to_string(training_rows()) +
         (options_.ivf_nlist == 0 ? ", 16 x the fewest lists it chooses)" : ", 4 x nlist)");
}

std::string IvfIndex::Summary() const {
  if (trained_ == nullptr) return "ivf index";
  return "ivf index (nlist " + std::to_string(trained_->nlist()) +
         (options_.ivf_nlist == 0 ? ", chosen from the data)" : ")");
}

Status IvfIndex::Search(const RowsView&, const SearchRequest& request, SearchResult* result) const {
  const size_t nprobe = request.nprobe ? request.nprobe : options_.ivf_nprobe;
  if (request.device == nullptr) {
    return trained_->Search(request.queries, request.nq, request.k, request.max_distance, nprobe, request.scan,
                            &result->hits, &result->rows_scanned);
  }
  MutexLock lock(device_mu_);
  if (device_lists_ == nullptr || device_lists_->device() != request.device) {
    device_lists_ = std::make_unique<IvfDeviceLists>(request.device);
  }
  const Status s = trained_->Search(request.queries, request.nq, request.k, request.max_distance, nprobe, request.scan,
                                    &result->hits, &result->rows_scanned, device_lists_.get());
  if (!s.ok()) device_lists_.reset();  // its copies' state is unknown now
  return s;
}

void IvfIndex::Appended(const RowsView& rows, size_t first) {
  if (trained_ == nullptr || first >= rows.n) return;
  dirty_ = true;
  std::vector<uint32_t> lists(rows.n - first);
  if (!trained_->Assign(rows.row(first), lists.size(), lists.data(), upkeep_).ok()) {
    trained_.reset();  // the flat scan answers until it is trained again
    return;
  }
  for (size_t r = first; r < rows.n; ++r) {
    if (!rows.deleted(r)) trained_->Add(static_cast<uint32_t>(r), rows.row(r), lists[r - first]);
  }
}

void IvfIndex::Overwritten(const RowsView& rows, uint32_t row) {
  if (trained_ == nullptr) return;
  dirty_ = true;
  uint32_t list = 0;
  trained_->Remove(row);
  if (!trained_->Assign(rows.row(row), 1, &list, upkeep_).ok()) {
    trained_.reset();
    return;
  }
  trained_->Add(row, rows.row(row), list);
}

void IvfIndex::Removing(const RowsView&, uint32_t row) {
  if (trained_ == nullptr) return;
  trained_->Remove(row);
  dirty_ = true;
}

void IvfIndex::Compacting(const RowsView& before) {
  if (trained_ != nullptr) trained_->Compact(before);
}

bool IvfIndex::RebuildDue(const RowsView& rows) const {
  const uint64_t live = LiveRows(rows);
  if (trained_ == nullptr) return live >= training_rows();
  return live >= 2 * std::max<uint64_t>(trained_->trained_rows(), 1) ||
         trained_->Imbalance() > options_.ivf_retrain_imbalance * trained_->trained_imbalance();
}

Status IvfIndex::Save(const ByteSink& sink, const RowsView& rows) const {
  if (trained_ == nullptr) return Status::OK();
  if (rows.ids == nullptr && rows.n > 0) return Status::InvalidArgument("ivf index: saving needs the rows' ids");
  ChecksummedSink checked(sink);
  uint64_t imbalance_bits = 0;
  const double trained_imbalance = trained_->trained_imbalance();
  std::memcpy(&imbalance_bits, &trained_imbalance, 8);
  std::string out(kFileMagic);
  out += LittleEndian(kFileVersion, 4) + LittleEndian(trained_->nlist(), 4) + LittleEndian(trained_->words(), 4) +
         LittleEndian(trained_->trained_rows(), 8) + LittleEndian(imbalance_bits, 8) +
         LittleEndian(trained_->rows(), 8);
  for (uint64_t word : trained_->centroids()) out += LittleEndian(word, 8);
  HVDB_RETURN_IF_ERROR(checked.Append(out));
  out.clear();
  for (size_t r = 0; r < rows.n; ++r) {
    const uint32_t list = trained_->list_of(static_cast<uint32_t>(r));
    if (list == kNoRow32) continue;
    out += LittleEndian(rows.ids[r], 8) + LittleEndian(list, 4) + LittleEndian(RowChecksum(rows, r), 4);
    if (out.size() >= (size_t{1} << 20)) {
      HVDB_RETURN_IF_ERROR(checked.Append(out));
      out.clear();
    }
  }
  HVDB_RETURN_IF_ERROR(checked.Append(out));
  return checked.Finish();
}

}  // namespace hvdb::index
