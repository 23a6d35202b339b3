// Copyright hvdb authors.
#include "storage/row_sink.h"

#include <filesystem>

#include "storage/endian.h"
#include "storage/npy.h"
#include "storage/row_source.h"
#include "storage/vector_file.h"

namespace hvdb::storage {
namespace {

// What a line-based file cannot hold in a key: ReadLine ends a line at '\n'
// and drops a '\r' before it.
const char* LineProblem(std::string_view key) {
  if (key.find('\n') != std::string_view::npos) return "holds a line break";
  if (!key.empty() && key.back() == '\r') return "ends in a carriage return";
  return nullptr;
}

Status Unwritable(const char* problem, const char* where) {
  return Status::InvalidArgument(std::string("the key ") + problem + ", which " + where +
                                 " cannot hold; an .hvdb file keeps any key");
}

class HvdbSink : public RowSink {
 public:
  HvdbSink(std::unique_ptr<DurableFile> file, uint64_t dim, uint64_t rows) : writer_(std::move(file), dim, rows) {}
  Status Start() { return writer_.Start(); }
  Status Add(std::string_view key, std::string_view bits) override { return writer_.Add(key, bits); }
  Status Finish() override { return writer_.Finish(); }

 private:
  VectorFileWriter writer_;
};

class NpySink : public RowSink {
 public:
  NpySink(std::unique_ptr<DurableFile> rows_file, std::unique_ptr<DurableFile> keys_file, uint64_t rows)
      : rows_file_(std::move(rows_file)), keys_file_(std::move(keys_file)), rows_(rows) {}
  Status Start(uint64_t dim) { return rows_file_->Append(NpyHeader(rows_, dim / 8)); }
  Status Add(std::string_view key, std::string_view bits) override {
    if (const char* problem = LineProblem(key)) return Unwritable(problem, "a keys file (one key per line)");
    ++added_;
    HVDB_RETURN_IF_ERROR(rows_file_->Append(bits));
    HVDB_RETURN_IF_ERROR(keys_file_->Append(key));
    return keys_file_->Append("\n");
  }
  Status Finish() override {
    if (added_ != rows_) {
      return Status::InvalidArgument("'" + rows_file_->path() + "': " + std::to_string(added_) + " rows written, " +
                                     std::to_string(rows_) + " promised in the header");
    }
    // The keys first: a failure between the two leaves a new keys file beside
    // the old .npy, which a load refuses (the line counts differ) rather than
    // pairing old rows with new keys silently, unless both hold as many rows.
    HVDB_RETURN_IF_ERROR(keys_file_->Commit());
    return rows_file_->Commit();
  }

 private:
  std::unique_ptr<DurableFile> rows_file_, keys_file_;
  uint64_t rows_;
  uint64_t added_ = 0;
};

class TextSink : public RowSink {
 public:
  TextSink(std::unique_ptr<DurableFile> file, uint64_t rows) : file_(std::move(file)), rows_(rows) {}
  Status Add(std::string_view key, std::string_view bits) override {
    // A '\r' at the key's end sits before the TAB, where a reader keeps it.
    if (key.find('\n') != std::string_view::npos) return Unwritable("holds a line break", "a line of text");
    if (key.find('\t') != std::string_view::npos) return Unwritable("holds a TAB", "a key<TAB>hex line");
    ++added_;
    line_.assign(key);
    line_.push_back('\t');
    // The hex form of Hypervector::ToHex: words lowest first, each as 16
    // digits most significant first.
    static constexpr char kDigits[] = "0123456789abcdef";
    for (size_t w = 0; w < bits.size() / 8; ++w) {
      const uint64_t word = GetLittleEndian(reinterpret_cast<const unsigned char*>(bits.data()) + 8 * w, 8);
      for (int d = 15; d >= 0; --d) line_.push_back(kDigits[(word >> (4 * d)) & 0xf]);
    }
    line_.push_back('\n');
    return file_->Append(line_);
  }
  Status Finish() override {
    if (added_ != rows_) {
      return Status::InvalidArgument("'" + file_->path() + "': " + std::to_string(added_) + " rows written, " +
                                     std::to_string(rows_) + " promised");
    }
    return file_->Commit();
  }

 private:
  std::unique_ptr<DurableFile> file_;
  uint64_t rows_;
  uint64_t added_ = 0;
  std::string line_;
};

}  // namespace

std::string DefaultKeysPath(const std::string& npy_path) {
  constexpr std::string_view kNpy = ".npy";
  if (npy_path.size() > kNpy.size() && npy_path.compare(npy_path.size() - kNpy.size(), kNpy.size(), kNpy) == 0) {
    return npy_path.substr(0, npy_path.size() - kNpy.size()) + ".keys";
  }
  return npy_path + ".keys";
}

Result<std::unique_ptr<RowSink>> OpenRowSink(const std::string& path, const ExportOptions& options, uint64_t dim,
                                             uint64_t rows, const DurableFileFactory& create) {
  const FileFormat format = DetectFormat(path, options.format);
  if (format != FileFormat::kNpy && !options.keys_path.empty()) {
    return Status::InvalidArgument("a keys file is only written with .npy; '" + path + "' carries its own keys");
  }
  HVDB_ASSIGN_OR_RETURN(std::unique_ptr<DurableFile> file, create(path));
  switch (format) {
    case FileFormat::kNpy: {
      const std::string keys_path = options.keys_path.empty() ? DefaultKeysPath(path) : options.keys_path;
      std::error_code keys_error, path_error;
      const auto keys_resolved = std::filesystem::weakly_canonical(keys_path, keys_error);
      const auto path_resolved = std::filesystem::weakly_canonical(path, path_error);
      if (keys_path == path || (!keys_error && !path_error && keys_resolved == path_resolved)) {
        return Status::InvalidArgument("the keys file and the .npy are both '" + path + "'");
      }
      HVDB_ASSIGN_OR_RETURN(std::unique_ptr<DurableFile> keys, create(keys_path));
      auto sink = std::make_unique<NpySink>(std::move(file), std::move(keys), rows);
      HVDB_RETURN_IF_ERROR(sink->Start(dim));
      return std::unique_ptr<RowSink>(std::move(sink));
    }
    case FileFormat::kHvdb: {
      auto sink = std::make_unique<HvdbSink>(std::move(file), dim, rows);
      HVDB_RETURN_IF_ERROR(sink->Start());
      return std::unique_ptr<RowSink>(std::move(sink));
    }
    default:
      return std::unique_ptr<RowSink>(std::make_unique<TextSink>(std::move(file), rows));
  }
}

}  // namespace hvdb::storage
