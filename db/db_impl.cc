// Copyright hvdb authors. DB: the catalog of collections over one Store.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>

#include "base/mutex.h"
#include "db/collection_impl.h"
#include "db/open.h"
#include "kernels/device/search_device.h"

namespace hvdb {
namespace {

class DBImpl final : public DB {
 public:
  DBImpl(std::unique_ptr<storage::Store> store, std::string path, bool pinned, uint64_t gpu_memory_bytes,
         uint64_t item_memory_seed)
      : store_(std::move(store)),
        path_(std::move(path)),
        pinned_(pinned),
        gpu_memory_bytes_(gpu_memory_bytes),
        item_memory_seed_(item_memory_seed) {}
  ~DBImpl() override {
    for (const auto& [name, c] : collections_) {
      if (Status s = c->SaveIndex(path_); !s.ok()) std::fprintf(stderr, "hvdb: closing: %s\n", s.message().c_str());
    }
  }

  Status Load() HVDB_EXCLUDES(mu_) {
    WriterLock lock(mu_);  // nothing else sees the DB yet: never waits
    HVDB_ASSIGN_OR_RETURN(auto descriptors, store_->ReadCatalog());
    if (!descriptors.empty()) store_->PrefetchRowFiles();
    for (auto& d : descriptors) {
      auto collection = std::make_unique<db::CollectionImpl>(store_.get(), d, pinned_, gpu_memory_bytes_);
      HVDB_RETURN_IF_ERROR(collection->Load());
      collections_.emplace(d.name, std::move(collection));
    }
    store_->FinishPrefetch();
    return Status::OK();
  }

  Status CreateCollection(const std::string& name, const CollectionOptions& options) override HVDB_EXCLUDES(mu_) {
    HVDB_RETURN_IF_ERROR(ValidateCollectionName(name));
    HVDB_RETURN_IF_ERROR(options.Validate().WithContext("collection '" + name + "'"));
    WriterLock lock(mu_);
    if (auto it = collections_.find(name); it != collections_.end()) {
      return Status::AlreadyExists("collection '" + name + "' already exists (dim " +
                                   std::to_string(it->second->dim()) + ")");
    }
    HVDB_ASSIGN_OR_RETURN(const uint32_t id, store_->ReadNextCollectionId());
    storage::CollectionDescriptor d;
    d.id = id;
    d.name = name;
    d.dim = static_cast<uint32_t>(options.dim);
    d.item_memory_seed = options.item_memory_seed.value_or(item_memory_seed_);
    d.compact_threshold = options.compact_threshold;
    d.index = options.index;
    d.created_unix_seconds = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    storage::StoreBatch batch;
    batch.PutDescriptor(d);
    batch.PutNextCollectionId(id + 1);
    HVDB_RETURN_IF_ERROR(store_->Write(&batch, true));
    auto collection = std::make_unique<db::CollectionImpl>(store_.get(), d, pinned_, gpu_memory_bytes_);
    HVDB_RETURN_IF_ERROR(collection->Load());  // no rows yet; sets up its index
    collections_.emplace(name, std::move(collection));
    return Status::OK();
  }

  Status DropCollection(const std::string& name) override HVDB_EXCLUDES(mu_) {
    WriterLock lock(mu_);
    auto it = collections_.find(name);
    if (it == collections_.end()) return NoSuch(name);
    HVDB_RETURN_IF_ERROR(it->second->Drop());
    dropped_.push_back(std::move(it->second));  // pointers handed out stay valid
    collections_.erase(it);
    return Status::OK();
  }

  std::vector<std::string> ListCollections() const override HVDB_EXCLUDES(mu_) {
    ReaderLock lock(mu_);
    std::vector<std::string> names;
    for (const auto& [name, c] : collections_) names.push_back(name);
    return names;
  }

  Status GetCollection(const std::string& name, Collection** collection) const override HVDB_EXCLUDES(mu_) {
    *collection = nullptr;
    ReaderLock lock(mu_);
    auto it = collections_.find(name);
    if (it == collections_.end()) return NoSuch(name);
    *collection = it->second.get();
    return Status::OK();
  }

  Status Checkpoint(const std::string& dir) override HVDB_EXCLUDES(mu_) {
    HVDB_RETURN_IF_ERROR(store_->Checkpoint(dir));
    ReaderLock lock(mu_);
    for (const auto& [name, c] : collections_) HVDB_RETURN_IF_ERROR(c->SaveIndex(dir));
    return Status::OK();
  }

  Status Resume() override HVDB_EXCLUDES(mu_) {
    if (store_->CheckWritable().ok()) return Status::OK();  // nothing stopped: wait for no one
    WriterLock lock(mu_);  // no collection is created or dropped meanwhile
    // Nor written. A set of locks as long as the map is beyond the analysis
    // (std::unique_lock is invisible to it): Reconcile asserts each held.
    std::vector<std::unique_lock<Mutex>> writers;
    for (const auto& [name, c] : collections_) writers.emplace_back(c->write_mutex());
    bool reopened = false;
    const Status resumed = store_->Resume(&reopened);
    if (!reopened) return resumed;
    // A write that failed may have reached the disk (its log record was
    // written, its sync failed): every collection is reloaded from what the
    // store holds, and so is the catalog, for a create or drop that failed.
    // Also when only a read-only instance could open: reads then see what
    // the disk holds. If reloading fails, writes stop again: a collection
    // left as it was could reuse a row id the disk already holds.
    if (Status s = Reconcile(); !s.ok()) {
      store_->StopWriting(s.WithContext("reloading the collections after resuming"));
      return s.WithContext("resuming");
    }
    return resumed;
  }

  Status Verify() const override HVDB_EXCLUDES(mu_) {
    ReaderLock lock(mu_);
    for (const auto& [name, c] : collections_) HVDB_RETURN_IF_ERROR(c->Verify());
    return Status::OK();
  }

  const std::string& path() const override { return path_; }
  uint64_t item_memory_seed() const override { return item_memory_seed_; }

 private:
  // REQUIRES: every collection's write_mutex() held (Resume holds them all,
  // which the analysis cannot follow; each is asserted below).
  // Every collection reloaded from the store; those whose descriptor is gone
  // dropped, those the catalog gained added.
  Status Reconcile() HVDB_REQUIRES(mu_) {
    HVDB_ASSIGN_OR_RETURN(const std::vector<storage::CollectionDescriptor> stored, store_->ReadCatalog());
    std::map<std::string, std::unique_ptr<db::CollectionImpl>> created;
    for (const storage::CollectionDescriptor& d : stored) {
      if (auto it = collections_.find(d.name); it != collections_.end()) {
        it->second->write_mutex().AssertHeld();
        HVDB_RETURN_IF_ERROR(it->second->ReloadLocked(d));
        continue;
      }
      auto collection = std::make_unique<db::CollectionImpl>(store_.get(), d, pinned_, gpu_memory_bytes_);
      HVDB_RETURN_IF_ERROR(collection->Load());
      created.emplace(d.name, std::move(collection));
    }
    for (auto it = collections_.begin(); it != collections_.end();) {
      const bool gone = std::none_of(stored.begin(), stored.end(), [&](const auto& d) { return d.name == it->first; });
      if (!gone) {
        ++it;
        continue;
      }
      it->second->write_mutex().AssertHeld();
      it->second->MarkDroppedLocked();
      dropped_.push_back(std::move(it->second));  // pointers handed out stay valid
      it = collections_.erase(it);
    }
    collections_.merge(created);
    return Status::OK();
  }

  Status NoSuch(const std::string& name) const HVDB_REQUIRES_SHARED(mu_) {
    std::string known;
    for (const auto& [n, c] : collections_) known += (known.empty() ? "" : ", ") + n;
    return Status::NotFound("no collection '" + name + "' in '" + path_ + "' (" +
                            (known.empty() ? std::string("it has none") : "it has: " + known) + ")");
  }

  std::unique_ptr<storage::Store> store_;  // destroyed last
  const std::string path_;
  const bool pinned_;
  const uint64_t gpu_memory_bytes_;
  const uint64_t item_memory_seed_;
  mutable SharedMutex mu_;
  std::map<std::string, std::unique_ptr<db::CollectionImpl>> collections_ HVDB_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<db::CollectionImpl>> dropped_ HVDB_GUARDED_BY(mu_);
};

}  // namespace

Status DB::Open(const Options& options, const std::string& path, std::unique_ptr<DB>* db) {
  return db::OpenDatabase(options, path, nullptr, db);
}

Status db::OpenDatabase(const Options& options, const std::string& path,
                        std::shared_ptr<storage::FaultFileSystem> faults, std::unique_ptr<DB>* db) {
  db->reset();
  HVDB_RETURN_IF_ERROR(options.Validate());  // before the store, which takes valid options
  std::unique_ptr<storage::Store> store;
  HVDB_RETURN_IF_ERROR(storage::Store::Open(options, path, &store, std::move(faults)));
  if (!options.read_only) {
    // Bulk loads that died before ingesting leave their files here.
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(path) / "ingest", ec);
  }
  const bool pinned = kernels::PinnedMemoryAvailable();
  HVDB_ASSIGN_OR_RETURN(const uint64_t seed, store->ReadItemMemorySeed());
  if (options.item_memory_seed && *options.item_memory_seed != seed) {
    return Status::InvalidArgument("database '" + path + "' has item memory seed " + std::to_string(seed) + ", not " +
                                   std::to_string(*options.item_memory_seed) +
                                   " (Options::item_memory_seed; the seed is chosen when a database is created)");
  }
  auto impl = std::make_unique<DBImpl>(std::move(store), path, pinned, options.gpu_memory_bytes, seed);
  HVDB_RETURN_IF_ERROR(impl->Load());
  *db = std::move(impl);
  return Status::OK();
}

}  // namespace hvdb
