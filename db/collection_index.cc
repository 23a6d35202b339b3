// Copyright hvdb authors. A collection's ivf and hnsw indexes: opening,
// building, keeping them in step with the cache, and asking them first.
#include <cstdio>
#include <filesystem>

#include "db/collection_impl.h"
#include "storage/index_record.h"

namespace hvdb::db {
namespace {

// Index upkeep runs the searches' kernel, or the best one when HVDB_SIMD is
// unusable (searches then fail with that message; writes must not).
kernels::ScanOptions UpkeepScan() {
  kernels::ScanOptions scan;
  const Result<kernels::Simd> simd = kernels::DefaultSimd();
  scan.simd = simd.ok() ? *simd : kernels::BestSupportedSimd();
  return scan;
}

// Live rows an ivf index needs before it is trained.
uint64_t IvfTrainingRows(const IndexOptions& options) { return 4 * uint64_t{options.ivf_nlist}; }

}  // namespace

index::RowsView CollectionImpl::View() const {
  return {cache_->arena(), cache_->rows(), words_, cache_->tombstones(), cache_->ids()};
}

std::string CollectionImpl::HnswPath(const std::string& dir) const {
  return dir + "/indexes/" + std::to_string(descriptor_.id) + ".hnsw";
}

Status CollectionImpl::BuildIndex(const IndexOptions& options, std::unique_ptr<index::IvfIndex>* ivf,
                                  std::unique_ptr<index::HnswIndex>* hnsw, std::string* record,
                                  const index::BuildProgress& progress) const {
  const std::string where = "collection '" + descriptor_.name + "'";
  if (options.kind == "ivf" && cache_->live() >= IvfTrainingRows(options)) {
    auto trained = index::IvfIndex::Train(View(), options.ivf_nlist, options.ivf_iterations, UpkeepScan(), progress);
    HVDB_RETURN_IF_ERROR(trained.status().WithContext(where));
    *ivf = std::move(*trained);
    storage::IvfRecord r;
    r.nlist = static_cast<uint32_t>((*ivf)->nlist());
    r.words = static_cast<uint32_t>(words_);
    r.trained_rows = (*ivf)->trained_rows();
    r.trained_imbalance = (*ivf)->trained_imbalance();
    r.centroids = (*ivf)->centroids();
    *record = storage::EncodeIvfRecord(r);
  }
  if (options.kind == "hnsw") {
    auto built = index::HnswIndex::Build(View(), options.hnsw_m, options.hnsw_ef_construction, progress);
    HVDB_RETURN_IF_ERROR(built.status().WithContext(where));
    *hnsw = std::move(*built);
  }
  return Status::OK();
}

Status CollectionImpl::OpenIndex() {
  const std::string where = "opening the " + index_.kind + " index of collection '" + descriptor_.name + "'";
  if (index_.kind == "ivf") {
    Result<std::string> bytes = store_->GetIndexState(descriptor_.id);
    if (bytes.ok()) {
      Result<storage::IvfRecord> decoded = storage::DecodeIvfRecord(*bytes);
      HVDB_RETURN_IF_ERROR(decoded.status().WithContext(where));
      storage::IvfRecord r = std::move(*decoded);
      if (r.nlist == index_.ivf_nlist && r.words == words_) {
        auto opened = index::IvfIndex::FromCentroids(std::move(r.centroids), r.nlist, r.trained_rows,
                                                     r.trained_imbalance, View(), UpkeepScan());
        HVDB_RETURN_IF_ERROR(opened.status().WithContext(where));
        ivf_ = std::move(*opened);
        return Status::OK();
      }
    } else if (!bytes.status().IsNotFound()) {
      return bytes.status().WithContext(where);
    }
  }
  if (index_.kind == "hnsw") {
    auto loaded = index::HnswIndex::Load(HnswPath(store_->path()), View());
    if (loaded.ok()) {
      hnsw_ = std::move(*loaded);
      return Status::OK();
    }
    if (!loaded.status().IsNotFound()) {
      std::fprintf(stderr, "hvdb: %s: %s; rebuilding the graph\n", where.c_str(), loaded.status().message().c_str());
    }
  }
  // No state kept (or none usable): build it now.
  std::string record;
  HVDB_RETURN_IF_ERROR(BuildIndex(index_, &ivf_, &hnsw_, &record).WithContext(where));
  // The record is a hint for the next open: not written when writes are
  // refused (read-only, or stopped after an error).
  if (!record.empty() && store_->CheckWritable().ok()) {
    storage::StoreBatch batch;
    batch.PutIndexState(descriptor_.id, record);
    HVDB_RETURN_IF_ERROR(store_->Write(&batch, true).WithContext(where));
  }
  return Status::OK();
}

Status CollectionImpl::CheckIndexFiles() const {
  std::shared_lock lock(cache_mu_);
  if (index_.kind != "hnsw") return Status::OK();
  auto loaded = index::HnswIndex::Load(HnswPath(store_->path()), View());
  if (loaded.ok() || loaded.status().IsNotFound()) return Status::OK();
  return loaded.status().WithContext("collection '" + descriptor_.name +
                                     "' (the graph is rebuilt from the rows at the next open; nothing is lost)");
}

Status CollectionImpl::SaveIndex(const std::string& dir) const {
  std::shared_lock lock(cache_mu_);
  // Not into the database's own directory when it refuses writes
  // (read-only, or stopped after an error and perhaps no longer ours).
  if (hnsw_ == nullptr || (dir == store_->path() && (!hnsw_->dirty() || !store_->CheckWritable().ok()))) {
    return Status::OK();
  }
  return WriteHnswFile(*hnsw_, dir);
}

Status CollectionImpl::WriteHnswFile(const index::HnswIndex& hnsw, const std::string& dir) const {
  const std::string where = "collection '" + descriptor_.name + "': hnsw index file";
  const std::string path = HnswPath(dir);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return Status::IOError(where + ": creating the directory of '" + path + "': " + ec.message());
  HVDB_ASSIGN_OR_RETURN(std::unique_ptr<storage::DurableFile> file, store_->CreateDurableFile(path));
  HVDB_RETURN_IF_ERROR(hnsw.Save([&](std::string_view bytes) { return file->Append(bytes); }, View())
                           .WithContext(where));
  HVDB_RETURN_IF_ERROR(file->Commit().WithContext(where));
  if (dir == store_->path()) hnsw.MarkSaved();
  return Status::OK();
}

void CollectionImpl::IndexAppended(size_t first) {
  const index::RowsView rows = View();
  if (ivf_ != nullptr && first < rows.n) {
    std::vector<uint32_t> lists(rows.n - first);
    if (!ivf_->Assign(rows.row(first), lists.size(), lists.data(), UpkeepScan()).ok()) {
      ivf_.reset();  // the flat scan answers until RetrainIfDue trains it again
    } else {
      for (size_t r = first; r < rows.n; ++r) {
        if (!rows.deleted(r)) ivf_->Add(static_cast<uint32_t>(r), rows.row(r), lists[r - first]);
      }
    }
  }
  if (hnsw_ != nullptr) hnsw_->Append(rows, first);
  if (gpu_ != nullptr && first < rows.n) gpu_->RowsChanged(first, rows.n - first);
}

void CollectionImpl::IndexOverwritten(uint32_t row) {
  const index::RowsView rows = View();
  if (ivf_ != nullptr) {
    uint32_t list = 0;
    ivf_->Remove(row);
    if (!ivf_->Assign(rows.row(row), 1, &list, UpkeepScan()).ok()) {
      ivf_.reset();
    } else {
      ivf_->Add(row, rows.row(row), list);
    }
  }
  if (hnsw_ != nullptr) hnsw_->Overwrite(rows, row);
  if (gpu_ != nullptr) gpu_->RowsChanged(row, 1);
}

void CollectionImpl::IndexRemoving(uint32_t row) {
  if (ivf_ != nullptr) ivf_->Remove(row);
  if (hnsw_ != nullptr) hnsw_->Remove(row);
  if (gpu_ != nullptr) gpu_->TombstonesChanged();
}

void CollectionImpl::RetrainIfDue() {
  std::unique_ptr<index::IvfIndex> fresh;
  std::unique_ptr<index::HnswIndex> unused;
  std::string record;
  {
    std::shared_lock lock(cache_mu_);
    if (index_.kind != "ivf") return;
    const uint64_t live = cache_->live();
    const bool due = ivf_ == nullptr
                         ? live >= IvfTrainingRows(index_)
                         : live >= 2 * std::max<uint64_t>(ivf_->trained_rows(), 1) ||
                               ivf_->Imbalance() > index_.ivf_retrain_imbalance * ivf_->trained_imbalance();
    if (!due || !BuildIndex(index_, &fresh, &unused, &record).ok() || fresh == nullptr) return;
  }
  // The record is a hint for the next open (any centroids give right answers
  // there); the new lists serve from now on either way.
  storage::StoreBatch batch;
  batch.PutIndexState(descriptor_.id, record);
  (void)store_->Write(&batch, true);
  std::unique_lock lock(cache_mu_);
  ivf_ = std::move(fresh);
}

Result<bool> CollectionImpl::IndexSearch(const uint64_t* queries, size_t nq, const SearchOptions& options,
                                         const kernels::ScanOptions& scan,
                                         std::vector<std::vector<kernels::Neighbor>>* found, uint64_t* rows_scanned,
                                         bool on_gpu, std::string* gpu_kernel) const {
  if (options.exact) return false;
  if (ivf_ != nullptr) {
    const size_t nprobe = options.nprobe ? options.nprobe : index_.ivf_nprobe;
    const auto& devices = kernels::SearchDevices();
    if (on_gpu && !devices.empty() && options.k <= devices.front()->max_k()) {
      std::lock_guard lock(ivf_gpu_mu_);
      if (ivf_gpu_ == nullptr || ivf_gpu_->device() != devices.front()) {
        ivf_gpu_ = std::make_unique<index::IvfDeviceLists>(devices.front());
      }
      const Status s =
          ivf_->Search(queries, nq, options.k, options.max_distance, nprobe, scan, found, rows_scanned, ivf_gpu_.get());
      if (s.ok()) {
        *gpu_kernel = devices.front()->kernel();
        return true;
      }
      ivf_gpu_.reset();  // its copies' state is unknown now
      if (!gpu_warned_.exchange(true)) {
        std::fprintf(stderr, "hvdb: collection '%s': GPU ivf search failed (%s); answering on the CPU\n",
                     descriptor_.name.c_str(), s.ToString().c_str());
      }
    }
    HVDB_RETURN_IF_ERROR(ivf_->Search(queries, nq, options.k, options.max_distance, nprobe, scan, found, rows_scanned));
    return true;
  }
  if (hnsw_ != nullptr && !hnsw_->broken() && options.k > 0) {
    const size_t ef = options.ef ? options.ef : index_.hnsw_ef_search;
    HVDB_RETURN_IF_ERROR(
        hnsw_->Search(View(), queries, nq, options.k, options.max_distance, ef, scan, found, rows_scanned));
    return true;
  }
  return false;
}

}  // namespace hvdb::db
