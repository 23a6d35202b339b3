// Copyright hvdb authors.
#include "storage/salvage.h"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "storage/key_codec.h"
#include "storage/store_rep.h"
#include "storage/wal_reader.h"

namespace hvdb::storage {
namespace {

namespace fs = std::filesystem;

struct Log {
  uint64_t number = 0;
  std::string path;
  WalContents contents;
};

// Sees every batch that recovery replays.
class ReplayRecorder : public rocksdb::WalFilter {
 public:
  WalProcessingOption LogRecordFound(unsigned long long log_number, const std::string&,
                                     const rocksdb::WriteBatch& batch, rocksdb::WriteBatch*, bool*) override {
    const std::string& rep = batch.Data();
    if (rep.size() >= 8) replayed.insert({log_number, GetLittleEndian(rep.data(), 8)});
    return WalProcessingOption::kContinueProcessing;
  }
  const char* Name() const override { return "HvdbReplayRecorder"; }
  std::set<std::pair<uint64_t, uint64_t>> replayed;  // (log number, sequence)
};

// What dropped batches did, per collection, in hvdb's terms.
class DroppedSummary : public rocksdb::WriteBatch::Handler {
 public:
  DroppedSummary(Store* store, std::map<uint32_t, std::string> names) : store_(store), names_(std::move(names)) {
    for (int f = 0; f < kFamilies; ++f) family_of_[store->rep().families[f]->GetID()] = static_cast<Family>(f);
  }

  rocksdb::Status PutCF(uint32_t family, const rocksdb::Slice& key, const rocksdb::Slice& value) override {
    Touch(family, key, value, /*put=*/true);
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t family, const rocksdb::Slice& key) override {
    Touch(family, key, {}, /*put=*/false);
    return rocksdb::Status::OK();
  }
  rocksdb::Status SingleDeleteCF(uint32_t family, const rocksdb::Slice& key) override { return DeleteCF(family, key); }
  rocksdb::Status DeleteRangeCF(uint32_t family, const rocksdb::Slice& begin, const rocksdb::Slice&) override {
    auto it = family_of_.find(family);
    if (it != family_of_.end() && begin.size() == 4) {
      Of(static_cast<uint32_t>(GetBigEndian(begin.data(), 4))).dropped = true;
    } else {
      ++other_;
    }
    return rocksdb::Status::OK();
  }
  rocksdb::Status MergeCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
    ++other_;
    return rocksdb::Status::OK();
  }

  // Rows are written as a key and its bits in one batch.
  void StartBatch() { batch_rows_.clear(); }

  std::vector<std::string> Lines() const {
    std::vector<std::string> lines;
    for (const auto& [id, c] : collections_) {
      std::string line = "collection " + Name(id) + ":";
      auto part = [&](uint64_t n, const std::string& what, const std::vector<std::string>& examples) {
        if (n == 0) return;
        line += std::string(line.back() == ':' ? " " : ", ") + std::to_string(n) + " " + what;
        if (examples.empty()) return;
        line += " (";
        for (size_t i = 0; i < examples.size(); ++i) line += (i ? ", " : "") + examples[i];
        if (n > examples.size()) line += ", ...";
        line += ")";
      };
      part(c.rows_written, "rows written", c.written);
      part(c.rows_deleted, "rows deleted", c.deleted);
      part(c.vectors_replaced, "vectors replaced", c.replaced);
      part(c.accumulators, "accumulator writes", c.accumulator_names);
      if (c.descriptor) line += std::string(line.back() == ':' ? " " : ", ") + "created or changed";
      if (c.dropped) line += std::string(line.back() == ':' ? " " : ", ") + "dropped";
      if (c.index_state) line += std::string(line.back() == ':' ? " " : ", ") + "index state written";
      lines.push_back(line);
    }
    for (const std::string& name : created_) lines.push_back("collection " + name + ": created");
    for (const std::string& name : dropped_names_) lines.push_back("collection " + name + ": dropped");
    if (other_ > 0) lines.push_back(std::to_string(other_) + " other database records");
    return lines;
  }

 private:
  static constexpr size_t kExamples = 10;
  struct Collection {
    uint64_t rows_written = 0, rows_deleted = 0, vectors_replaced = 0, accumulators = 0;
    std::vector<std::string> written, deleted, replaced, accumulator_names;
    bool descriptor = false, dropped = false, index_state = false;
  };

  static std::string Quote(std::string_view bytes) {
    std::string out = "'";
    for (unsigned char c : bytes.substr(0, 40)) {
      if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
        out.push_back(static_cast<char>(c));
      } else {
        static const char* kHex = "0123456789abcdef";
        out += "\\x";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
      }
    }
    return out + (bytes.size() > 40 ? "...'" : "'");
  }
  std::string Name(uint32_t id) const {
    auto it = names_.find(id);
    return it != names_.end() ? Quote(it->second) : "id " + std::to_string(id) + " (not in the catalog)";
  }
  Collection& Of(uint32_t id) { return collections_[id]; }
  static void Example(std::vector<std::string>* list, std::string text) {
    if (list->size() < kExamples) list->push_back(std::move(text));
  }
  // The user key of a row the salvaged database still holds.
  std::string KeyOfRow(std::string_view row_key) const {
    std::string value;
    const rocksdb::Status s = store_->rep().db->Get(rocksdb::ReadOptions(), store_->rep().families[kKeys],
                                                    rocksdb::Slice(row_key.data(), row_key.size()), &value);
    return s.ok() ? Quote(value) : "row " + std::to_string(RowKeyId(row_key));
  }

  void Touch(uint32_t family_id, const rocksdb::Slice& key, const rocksdb::Slice& value, bool put) {
    auto it = family_of_.find(family_id);
    if (it == family_of_.end()) {
      ++other_;
      return;
    }
    const std::string_view k(key.data(), key.size());
    switch (it->second) {
      case kKeys:
      case kVectors: {
        if (k.size() != kRowKeyBytes) break;
        Collection& c = Of(static_cast<uint32_t>(GetBigEndian(k.data(), 4)));
        if (it->second == kKeys && put) {
          ++c.rows_written;
          Example(&c.written, Quote({value.data(), value.size()}));
          batch_rows_.insert(std::string(k));
        } else if (it->second == kKeys) {
          ++c.rows_deleted;
          Example(&c.deleted, KeyOfRow(k));
        } else if (put && batch_rows_.count(std::string(k)) == 0) {  // not the bits of a row written with it
          ++c.vectors_replaced;
          Example(&c.replaced, KeyOfRow(k));
        }
        return;
      }
      case kAccumulators: {
        if (k.size() < 4) break;
        Collection& c = Of(static_cast<uint32_t>(GetBigEndian(k.data(), 4)));
        ++c.accumulators;
        Example(&c.accumulator_names, Quote(k.substr(4)));
        return;
      }
      case kCatalog: {
        for (const auto& [id, name] : names_) {
          if (name == k) {
            (put ? Of(id).descriptor : Of(id).dropped) = true;
            return;
          }
        }
        (put ? created_ : dropped_names_).push_back(Quote(k));
        return;
      }
      case kDefault: {
        if (k.size() == 10 && k.substr(0, 6) == "index/") {
          Of(static_cast<uint32_t>(GetBigEndian(k.data() + 6, 4))).index_state = true;
          return;
        }
        break;
      }
      default:
        break;
    }
    ++other_;
  }

  Store* store_;
  std::map<uint32_t, std::string> names_;
  std::map<uint32_t, Family> family_of_;
  std::map<uint32_t, Collection> collections_;
  std::vector<std::string> created_, dropped_names_;  // collections the catalog does not hold
  std::set<std::string> batch_rows_;  // row keys written to `keys` in the batch being read
  uint64_t other_ = 0;
};

uint64_t LogNumber(const fs::path& file) {
  uint64_t n = 0;
  for (char c : file.stem().string()) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

}  // namespace

Status SalvageLogs(const std::string& path, SalvageResult* result) {
  *result = SalvageResult();
  std::vector<Log> logs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    if (entry.path().extension() == ".log" && LogNumber(entry.path()) > 0) {
      logs.push_back({LogNumber(entry.path()), entry.path().string(), {}});
    }
  }
  if (ec) return Status::IOError("listing '" + path + "': " + ec.message());
  std::sort(logs.begin(), logs.end(), [](const Log& a, const Log& b) { return a.number < b.number; });
  size_t first_damaged = logs.size();
  for (size_t i = 0; i < logs.size(); ++i) {
    HVDB_RETURN_IF_ERROR(ReadWal(logs[i].path, &logs[i].contents, WalKind::kLog, /*keep_batches=*/true));
    if (logs[i].contents.damaged && first_damaged == logs.size()) first_damaged = i;
  }
  if (first_damaged == logs.size()) return Status::OK();  // nothing to salvage

  const Log& damaged = logs[first_damaged];
  result->damaged_log = damaged.path;
  result->damage_offset = damaged.contents.damage_offset;
  result->damage = damaged.contents.damage;
  // Every log is kept as it was, beside the database.
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  result->copy_dir = (fs::path(path) / ("salvage-" + std::to_string(now))).string();
  fs::create_directories(result->copy_dir, ec);
  for (const Log& log : logs) {
    if (!ec) fs::copy_file(log.path, fs::path(result->copy_dir) / fs::path(log.path).filename(), ec);
  }
  if (ec) return Status::IOError("copying the logs to '" + result->copy_dir + "': " + ec.message());

  ReplayRecorder recorder;
  std::unique_ptr<Store> store;
  HVDB_RETURN_IF_ERROR(
      OpenStore(Options(), path, {.wal_filter = &recorder, .point_in_time = true}, &store).WithContext("salvaging"));
  result->salvaged = true;
  result->kept_batches = recorder.replayed.size();
  std::map<uint32_t, std::string> names;
  if (auto catalog = store->ReadCatalog(); catalog.ok()) {
    for (const CollectionDescriptor& d : *catalog) names[d.id] = d.name;
  }
  DroppedSummary summary(store.get(), std::move(names));
  for (size_t i = first_damaged; i < logs.size(); ++i) {
    const WalContents& contents = logs[i].contents;
    result->unreadable_bytes += contents.unreadable_bytes;
    for (const WalBatch& batch : contents.batches) {
      if (recorder.replayed.count({logs[i].number, batch.sequence}) != 0) continue;
      ++result->dropped_batches;
      result->dropped_operations += batch.count;
      rocksdb::WriteBatch decoded(batch.rep);
      summary.StartBatch();
      (void)decoded.Iterate(&summary);
    }
  }
  result->dropped = summary.Lines();
  return Status::OK();
}

}  // namespace hvdb::storage
