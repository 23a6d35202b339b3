// Copyright hvdb authors. A collection's index: building, opening and saving
// it through the store, and keeping it in step with the cache. Nothing here
// knows one kind from another: index/registry.cc does.
#include <cstdio>
#include <filesystem>

#include "db/collection_impl.h"

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

}  // namespace

index::RowsView CollectionImpl::View() const {
  return {cache_->arena(), cache_->rows(), words_, cache_->tombstones(), cache_->ids(), cache_->live()};
}

std::string CollectionImpl::IndexFilePath(const std::string& dir, IndexKind kind) const {
  return dir + "/indexes/" + std::to_string(descriptor_.id) + "." + IndexKindName(kind);
}

void CollectionImpl::RemoveIndexFiles(std::optional<IndexKind> keep) const {
  for (IndexKind each : kAllIndexKinds) {
    if (index::TypeOf(each).state_home != index::StateHome::kFile || keep == each) continue;
    std::error_code ec;
    std::filesystem::remove(IndexFilePath(store_->path(), each), ec);
  }
}

Status CollectionImpl::BuildIndex(const IndexOptions& options, std::unique_ptr<index::Index>* built,
                                  const index::BuildProgress& progress) const {
  const std::string where = "collection '" + descriptor_.name + "'";
  auto made = index::TypeOf(options.kind).build(options, View(), UpkeepScan(), progress);
  HVDB_RETURN_IF_ERROR(made.status().WithContext(where));
  *built = std::move(*made);
  return Status::OK();
}

Status CollectionImpl::OpenIndex() {
  const index::IndexType& type = index::TypeOf(index_options_.kind);
  const std::string where =
      "opening the " + std::string(IndexKindName(index_options_.kind)) + " index of collection '" + descriptor_.name + "'";
  if (type.open != nullptr) {
    index::SavedState state;
    state.file = IndexFilePath(store_->path(), index_options_.kind);
    auto opened = type.open(index_options_, state, View(), UpkeepScan());
    if (opened.ok()) {
      index_ = std::move(*opened);
      return Status::OK();
    }
    // The file is the index's own, rebuilt from the rows when damaged.
    if (!opened.status().IsNotFound()) {
      std::fprintf(stderr, "hvdb: %s: %s; rebuilding it\n", where.c_str(), opened.status().message().c_str());
    }
  }
  // No state kept (or none usable): build it now, and write its file now
  // rather than at close, which a killed process never reaches (when that
  // fails, it is still dirty and written at close).
  HVDB_RETURN_IF_ERROR(BuildIndex(index_options_, &index_).WithContext(where));
  if (type.state_home == index::StateHome::kFile && store_->CheckWritable().ok()) {
    if (Status s = WriteIndexFile(*index_, store_->path()); !s.ok()) {
      std::fprintf(stderr, "hvdb: %s: %s\n", where.c_str(), s.message().c_str());
    }
  }
  return Status::OK();
}

Status CollectionImpl::CheckIndexFiles() const {
  ReaderLock lock(cache_mu_);
  const index::IndexType& type = index::TypeOf(index_options_.kind);
  if (type.state_home != index::StateHome::kFile) return Status::OK();
  index::SavedState state;
  state.file = IndexFilePath(store_->path(), index_options_.kind);
  auto loaded = type.open(index_options_, state, View(), UpkeepScan());
  if (loaded.ok() || loaded.status().IsNotFound()) return Status::OK();
  return loaded.status().WithContext("collection '" + descriptor_.name +
                                     "' (the index is rebuilt from the rows at the next open; nothing is lost)");
}

Status CollectionImpl::SaveIndex(const std::string& dir) const {
  ReaderLock lock(cache_mu_);
  if (index::TypeOf(index_->kind()).state_home != index::StateHome::kFile) return Status::OK();
  // Not into the database's own directory when it refuses writes
  // (read-only, or stopped after an error and perhaps no longer ours).
  if (dir == store_->path() && (!index_->dirty() || !store_->CheckWritable().ok())) return Status::OK();
  return WriteIndexFile(*index_, dir);
}

Status CollectionImpl::WriteIndexFile(const index::Index& index, const std::string& dir) const {
  const std::string where = "collection '" + descriptor_.name + "': " + index.name() + " index file";
  const std::string path = IndexFilePath(dir, index.kind());
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return Status::IOError(where + ": creating the directory of '" + path + "': " + ec.message());
  HVDB_ASSIGN_OR_RETURN(std::unique_ptr<storage::DurableFile> file, store_->CreateDurableFile(path));
  HVDB_RETURN_IF_ERROR(
      index.Save([&](std::string_view bytes) { return file->Append(bytes); }, View()).WithContext(where));
  if (file->size() == 0) {
    // Nothing worth keeping (an ivf index not trained yet): no file, rather
    // than an empty one that the next open would call damaged.
    file.reset();
    std::filesystem::remove(path, ec);
    if (ec) return Status::IOError(where + ": removing '" + path + "': " + ec.message());
  } else {
    HVDB_RETURN_IF_ERROR(file->Commit().WithContext(where));
  }
  if (dir == store_->path()) index.MarkSaved();
  return Status::OK();
}

Status CollectionImpl::ReserveIndex(size_t extra_rows) { return index_->Reserve(cache_->rows() + extra_rows); }

void CollectionImpl::IndexAppended(size_t first) {
  const index::RowsView rows = View();
  if (first >= rows.n) return;
  index_->Appended(rows, first);
  MutexLock gpu(gpu_mu_);
  if (gpu_ != nullptr) gpu_->RowsChanged(first, rows.n - first);
}

void CollectionImpl::IndexOverwritten(uint32_t row) {
  index_->Overwritten(View(), row);
  MutexLock gpu(gpu_mu_);
  if (gpu_ != nullptr) gpu_->RowsChanged(row, 1);
}

void CollectionImpl::IndexRemoving(uint32_t row) {
  index_->Removing(View(), row);
  MutexLock gpu(gpu_mu_);
  if (gpu_ != nullptr) gpu_->TombstonesChanged();
}

void CollectionImpl::RebuildIndexIfDue() {
  std::unique_ptr<index::Index> fresh;
  {
    ReaderLock lock(cache_mu_);
    if (!index_->RebuildDue(View()) || !BuildIndex(index_options_, &fresh).ok()) return;
    // Written now, so that a crash does not lose the training; if it fails
    // the new index stays dirty and is written at close.
    if (index::TypeOf(index_options_.kind).state_home == index::StateHome::kFile && store_->CheckWritable().ok()) {
      (void)WriteIndexFile(*fresh, store_->path());
    }
  }
  WriterLock lock(cache_mu_);
  index_ = std::move(fresh);
}

}  // namespace hvdb::db
