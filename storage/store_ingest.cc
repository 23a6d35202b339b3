// Copyright hvdb authors. Store's bulk ingestion: rows written into SST files
// beside the database, then ingested into the keys and vectors families in
// one atomic step.
#include <rocksdb/sst_file_writer.h>

#include <chrono>
#include <filesystem>

#include "storage/key_codec.h"
#include "storage/store_rep.h"

namespace hvdb::storage {
namespace {

namespace fs = std::filesystem;

rocksdb::Slice AsSlice(const RowKey& key) { return {key.data(), key.size()}; }

class SstIngestion : public Ingestion {
 public:
  // REQUIRES: rep->db_mu held (shared).
  SstIngestion(Store::Rep* rep, uint32_t collection, std::string stem)
      : rep_(rep),
        keys_family_(rep->families[kKeys]),
        vectors_family_(rep->families[kVectors]),
        collection_(collection),
        stem_(std::move(stem)) {
    ++rep_->pins;
  }

  ~SstIngestion() override {
    std::error_code ec;
    for (const std::string& f : files_) fs::remove(f, ec);
    --rep_->pins;
  }

  Status AddRow(uint64_t row, std::string_view key, std::string_view bits) override {
    if (!puts_open_) {
      HVDB_RETURN_IF_ERROR(OpenPair("put", &put_keys_, &put_vectors_));
      puts_open_ = true;
    }
    const RowKey k = EncodeRowKey(collection_, row);
    HVDB_RETURN_IF_ERROR(FromRocks(put_keys_->Put(AsSlice(k), rocksdb::Slice(key.data(), key.size())),
                                   "writing " + files_[files_.size() - 2]));
    return FromRocks(put_vectors_->Put(AsSlice(k), rocksdb::Slice(bits.data(), bits.size())),
                     "writing " + files_.back());
  }

  Status AddDeletions(const std::vector<uint64_t>& rows) override {
    if (rows.empty()) return Status::OK();
    HVDB_RETURN_IF_ERROR(OpenPair("delete", &del_keys_, &del_vectors_));
    for (uint64_t row : rows) {
      const RowKey k = EncodeRowKey(collection_, row);
      HVDB_RETURN_IF_ERROR(FromRocks(del_keys_->Delete(AsSlice(k)), "writing deletions"));
      HVDB_RETURN_IF_ERROR(FromRocks(del_vectors_->Delete(AsSlice(k)), "writing deletions"));
    }
    return Status::OK();
  }

  Status Ingest() override {
    rocksdb::IngestExternalFileArg keys, vectors;
    // Deletions hold smaller row ids than the new rows, so files do not overlap.
    if (del_keys_) {
      HVDB_RETURN_IF_ERROR(Finish(del_keys_.get(), del_key_file_, &keys));
      HVDB_RETURN_IF_ERROR(Finish(del_vectors_.get(), del_vector_file_, &vectors));
    }
    if (put_keys_) {
      HVDB_RETURN_IF_ERROR(Finish(put_keys_.get(), put_key_file_, &keys));
      HVDB_RETURN_IF_ERROR(Finish(put_vectors_.get(), put_vector_file_, &vectors));
    }
    if (keys.external_files.empty()) return Status::OK();
    HVDB_RETURN_IF_ERROR(rep_->CheckWritable());
    rocksdb::IngestExternalFileOptions io;
    io.move_files = true;
    io.failed_move_fall_back_to_copy = true;
    io.snapshot_consistency = true;
    io.allow_global_seqno = true;
    io.allow_blocking_flush = true;
    // The whole-file checksums the writers computed go to the MANIFEST as
    // they are: RocksDB 7.8 cannot read a file back to compute them while
    // the database reads through mmap (it fails with "file read failed").
    io.verify_file_checksum = false;
    keys.column_family = keys_family_;
    keys.options = io;
    vectors.column_family = vectors_family_;
    vectors.options = io;
    std::vector<rocksdb::IngestExternalFileArg> args = {std::move(keys), std::move(vectors)};
    ReaderLock lock(rep_->db_mu);
    const Status s = FromRocks(rep_->db->IngestExternalFiles(args), "ingesting the loaded rows");
    if (s.IsIOError() || s.IsResourceExhausted() || s.IsCorruption()) rep_->StopWriting(s);
    return s;
  }

 private:
  Status OpenPair(const std::string& kind, std::unique_ptr<rocksdb::SstFileWriter>* keys,
                  std::unique_ptr<rocksdb::SstFileWriter>* vectors) {
    const std::string key_file = stem_ + "-" + kind + "-keys.sst";
    const std::string vector_file = stem_ + "-" + kind + "-vectors.sst";
    files_.push_back(key_file);
    files_.push_back(vector_file);
    (kind == "put" ? put_key_file_ : del_key_file_) = key_file;
    (kind == "put" ? put_vector_file_ : del_vector_file_) = vector_file;
    rocksdb::EnvOptions env;
    *keys = std::make_unique<rocksdb::SstFileWriter>(env, rep_->rocks_options, keys_family_);
    *vectors = std::make_unique<rocksdb::SstFileWriter>(env, rep_->rocks_options, vectors_family_);
    HVDB_RETURN_IF_ERROR(FromRocks((*keys)->Open(key_file), "creating " + key_file));
    return FromRocks((*vectors)->Open(vector_file), "creating " + vector_file);
  }

  static Status Finish(rocksdb::SstFileWriter* writer, const std::string& file, rocksdb::IngestExternalFileArg* out) {
    rocksdb::ExternalSstFileInfo info;
    HVDB_RETURN_IF_ERROR(FromRocks(writer->Finish(&info), "finishing " + file));
    out->external_files.push_back(file);
    out->files_checksums.push_back(info.file_checksum);
    out->files_checksum_func_names.push_back(info.file_checksum_func_name);
    return Status::OK();
  }

  Store::Rep* rep_;
  rocksdb::ColumnFamilyHandle* keys_family_;
  rocksdb::ColumnFamilyHandle* vectors_family_;
  uint32_t collection_;
  std::string stem_;
  std::vector<std::string> files_;
  bool puts_open_ = false;
  std::string put_key_file_, put_vector_file_, del_key_file_, del_vector_file_;
  std::unique_ptr<rocksdb::SstFileWriter> put_keys_, put_vectors_, del_keys_, del_vectors_;
};

}  // namespace

Result<std::unique_ptr<Ingestion>> Store::NewIngestion(uint32_t collection, const std::string& temp_dir) {
  HVDB_RETURN_IF_ERROR(CheckWritable());
  const fs::path dir = temp_dir.empty() ? fs::path(rep_->path) / "ingest" : fs::path(temp_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("creating directory '" + dir.string() + "': " + ec.message());
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  const std::string stem = (dir / ("load-" + std::to_string(now) + "-" + std::to_string(rep_->ingest_serial++))).string();
  ReaderLock lock(rep_->db_mu);
  return std::unique_ptr<Ingestion>(new SstIngestion(rep_.get(), collection, stem));
}

}  // namespace hvdb::storage
