// Copyright hvdb authors.
#include "storage/row_source.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <string_view>
#include <vector>
#include <sys/stat.h>

#include "hvdb/db.h"
#include "kernels/crc32c.h"
#include "storage/endian.h"
#include "storage/npy.h"
#include "storage/vector_file.h"

namespace hvdb::storage {
namespace {

// Owns a FILE* opened for buffered sequential reading.
class InputFile {
 public:
  ~InputFile() {
    if (file_ != nullptr) std::fclose(file_);
  }
  Status Open(const std::string& path) {
    path_ = path;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return Status::IOError("cannot open '" + path + "': " + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) return Status::InvalidArgument("'" + path + "' is a directory, not a file");
    file_ = std::fopen(path.c_str(), "rb");
    if (file_ == nullptr) return Status::IOError("cannot open '" + path + "': " + std::strerror(errno));
    std::setvbuf(file_, nullptr, _IOFBF, 4 << 20);
    size_ = static_cast<uint64_t>(st.st_size);
    regular_ = S_ISREG(st.st_mode);
    return Status::OK();
  }
  // A regular file, whose size is known (not a pipe).
  bool regular() const { return regular_; }
  std::FILE* get() const { return file_; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  uint64_t size_ = 0;
  bool regular_ = false;
};

Status RowError(const std::string& path, const std::string& where, const std::string& reason) {
  return Status::InvalidArgument("'" + path + "', " + where + ": " + reason);
}

// Longest line of a text source: a 64 KiB key, a TAB and the hex digits of
// the largest dimension (2^20 bits), with room to spare.
constexpr size_t kMaxTextLineBytes = size_t{1} << 20;
// Longest line of a keys file: one key and a '\r'.
constexpr size_t kMaxKeyLineBytes = kMaxKeyBytes + 1;

enum class Line { kRead, kEnd, kTooLong };

// A line of a text file without its '\n' (and a '\r' before it), of at most
// `limit` bytes: kTooLong as soon as it passes them (a file without line
// breaks, /dev/zero, is never held whole).
Line ReadLine(std::FILE* file, std::string* line, uint64_t* bytes, size_t limit) {
  line->clear();
  int c;
  bool any = false;
  while ((c = std::getc(file)) != EOF) {
    any = true;
    ++*bytes;
    if (c == '\n') break;
    if (line->size() == limit) return Line::kTooLong;
    line->push_back(static_cast<char>(c));
  }
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return any ? Line::kRead : Line::kEnd;
}

Status TooLong(const std::string& path, uint64_t line, size_t limit) {
  return RowError(path, "line " + std::to_string(line), "longer than " + std::to_string(limit) + " bytes");
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class NpySource : public RowSource {
 public:
  Status Open(const std::string& path, const BulkLoadOptions& options, uint64_t dim) {
    HVDB_RETURN_IF_ERROR(file_.Open(path));
    name_ = "'" + path + "'";
    HVDB_ASSIGN_OR_RETURN(shape_, ReadNpyHeader(file_.get(), name_));
    HVDB_ASSIGN_OR_RETURN(format_, NpyRowFormat::Make(shape_, options.npy, name_));
    if (format_.dim() != dim) {
      return Status::InvalidArgument(name_ + " holds " + format_.Describe() + ", vectors of dim " +
                                     std::to_string(format_.dim()) + "; the collection has dim " +
                                     std::to_string(dim));
    }
    row_.resize(format_.row_bytes());
    bytes_read_ = shape_.data_offset;
    if (!options.keys_path.empty()) {
      keys_ = std::make_unique<InputFile>();
      HVDB_RETURN_IF_ERROR(keys_->Open(options.keys_path));
    }
    return Status::OK();
  }
  bool numbers_rows() const override { return keys_ == nullptr; }
  void NumberRowsFrom(uint64_t first) override { first_number_ = first; }
  uint64_t total_rows() const override { return shape_.rows; }
  uint64_t total_bytes() const override { return file_.size() + (keys_ ? keys_->size() : 0); }
  uint64_t bytes_read() const override { return bytes_read_; }

  Result<bool> Next(std::string* key, char* bits) override {
    if (row_number_ == shape_.rows) {
      if (keys_) {
        std::string extra;
        uint64_t ignored = 0;
        for (Line l; (l = ReadLine(keys_->get(), &extra, &ignored, kMaxKeyLineBytes)) != Line::kEnd;) {
          if (l == Line::kTooLong || !extra.empty()) {
            return Status::InvalidArgument("keys file '" + keys_->path() + "' has more lines than the " +
                                           std::to_string(shape_.rows) + " rows of '" + file_.path() + "'");
          }
        }
      }
      return false;
    }
    if (std::fread(row_.data(), 1, row_.size(), file_.get()) != row_.size()) {
      return RowError(file_.path(), "row " + std::to_string(row_number_), "file ends inside the row");
    }
    HVDB_RETURN_IF_ERROR(format_.Decode(row_.data(), row_number_, name_, bits));
    bytes_read_ += row_.size();
    if (keys_) {
      const Line l = ReadLine(keys_->get(), key, &bytes_read_, kMaxKeyLineBytes);
      if (l == Line::kTooLong) {
        return RowError(keys_->path(), "line " + std::to_string(row_number_ + 1), "key longer than 65536 bytes");
      }
      if (l == Line::kEnd) {
        return Status::InvalidArgument("keys file '" + keys_->path() + "' ends at line " + std::to_string(row_number_) +
                                       " but '" + file_.path() + "' has " + std::to_string(shape_.rows) + " rows");
      }
      if (key->empty()) return RowError(keys_->path(), "line " + std::to_string(row_number_ + 1), "empty key");
    } else {
      // The largest numbers (2^64 - 1 at most) wrap; BulkLoad bounds first_number_.
      *key = std::to_string(first_number_ + row_number_);
    }
    ++row_number_;
    return true;
  }

 private:
  InputFile file_;
  std::string name_;
  std::unique_ptr<InputFile> keys_;
  NpyShape shape_;
  NpyRowFormat format_;
  std::vector<unsigned char> row_;
  uint64_t row_number_ = 0, first_number_ = 0;
  uint64_t bytes_read_ = 0;
};

class HvdbSource : public RowSource {
 public:
  Status Open(const std::string& path, uint64_t dim) {
    HVDB_RETURN_IF_ERROR(file_.Open(path));
    unsigned char header[kVectorFileHeaderBytes];
    if (std::fread(header, 1, sizeof header, file_.get()) != sizeof header ||
        std::memcmp(header, kVectorFileMagic, 8) != 0) {
      return Status::InvalidArgument("'" + path + "' is not an hvdb vector file (no HVDBVECS magic)");
    }
    version_ = static_cast<uint32_t>(GetLittleEndian(header + 8, 4));
    if (version_ != 1 && version_ != kVectorFileVersion) {
      return Status::InvalidArgument("'" + path + "' is an hvdb vector file of version " + std::to_string(version_) +
                                     "; this build reads versions 1 and " + std::to_string(kVectorFileVersion));
    }
    if (const uint64_t flags = GetLittleEndian(header + 12, 4); flags != 0) {
      return Status::InvalidArgument("'" + path + "' sets flags " + std::to_string(flags) +
                                     " that this build does not know (an hvdb vector file from a newer hvdb?)");
    }
    const uint64_t file_dim = GetLittleEndian(header + 16, 8);
    rows_ = GetLittleEndian(header + 24, 8);
    if (file_dim != dim) {
      return Status::InvalidArgument("'" + path + "' holds vectors of dim " + std::to_string(file_dim) +
                                     ", the collection has dim " + std::to_string(dim));
    }
    row_bytes_ = dim / 8;
    // Every row takes at least its length, a 1-byte key and its bits.
    const uint64_t room = file_.size() - std::min<uint64_t>(file_.size(), sizeof header + VectorFileTrailerBytes(version_));
    if (file_.regular() && rows_ > room / (4 + 1 + row_bytes_)) {
      return Status::InvalidArgument("'" + path + "': the header promises " + std::to_string(rows_) +
                                     " rows, more than its " + std::to_string(file_.size()) + " bytes can hold");
    }
    crc_ = kernels::Crc32c(header, sizeof header);
    bytes_read_ = sizeof header;
    return Status::OK();
  }
  uint64_t total_rows() const override { return rows_; }
  uint64_t total_bytes() const override { return file_.size(); }
  uint64_t bytes_read() const override { return bytes_read_; }

  Result<bool> Next(std::string* key, char* bits) override {
    const std::string where = "row " + std::to_string(row_);
    if (row_ == rows_) {
      unsigned char trailer[20];
      const size_t n = VectorFileTrailerBytes(version_);
      if (std::fread(trailer, 1, n, file_.get()) != n || std::memcmp(trailer, kVectorFileTrailer, 8) != 0 ||
          GetLittleEndian(trailer + 8, 8) != rows_) {
        return RowError(file_.path(), "end", "missing or wrong trailer (the file is truncated or damaged)");
      }
      if (version_ >= 2 && GetLittleEndian(trailer + 16, 4) != crc_) {
        return Status::Corruption("'" + file_.path() + "' is damaged: its CRC-32C does not match its contents");
      }
      if (std::fgetc(file_.get()) != EOF) return RowError(file_.path(), "end", "bytes after the trailer");
      return false;
    }
    unsigned char len_bytes[4];
    if (std::fread(len_bytes, 1, 4, file_.get()) != 4) return RowError(file_.path(), where, "file is truncated");
    const uint64_t len = GetLittleEndian(len_bytes, 4);
    if (len < kMinKeyBytes || len > kMaxKeyBytes) {
      return RowError(file_.path(), where, "key of " + std::to_string(len) + " bytes (1 to 65536 allowed)");
    }
    key->resize(len);
    if (std::fread(key->data(), 1, len, file_.get()) != len ||
        std::fread(bits, 1, row_bytes_, file_.get()) != row_bytes_) {
      return RowError(file_.path(), where, "file is truncated");
    }
    crc_ = kernels::Crc32c(len_bytes, 4, crc_);
    crc_ = kernels::Crc32c(key->data(), len, crc_);
    crc_ = kernels::Crc32c(bits, row_bytes_, crc_);
    bytes_read_ += 4 + len + row_bytes_;
    ++row_;
    return true;
  }

 private:
  InputFile file_;
  uint32_t version_ = 0;
  uint32_t crc_ = 0;  // of every byte read so far
  uint64_t rows_ = 0, row_ = 0, row_bytes_ = 0, bytes_read_ = 0;
};

class TextSource : public RowSource {
 public:
  Status Open(const std::string& path, uint64_t dim) {
    HVDB_RETURN_IF_ERROR(file_.Open(path));
    dim_ = dim;
    return Status::OK();
  }
  uint64_t total_rows() const override { return 0; }
  uint64_t total_bytes() const override { return file_.size(); }
  uint64_t bytes_read() const override { return bytes_read_; }

  Result<bool> Next(std::string* key, char* bits) override {
    while (true) {
      const Line l = ReadLine(file_.get(), &line_, &bytes_read_, kMaxTextLineBytes);
      if (l == Line::kEnd) {
        if (std::ferror(file_.get())) return Status::IOError("reading '" + file_.path() + "'");
        return false;
      }
      ++line_number_;
      if (l == Line::kTooLong) return TooLong(file_.path(), line_number_, kMaxTextLineBytes);
      if (!line_.empty()) break;  // blank lines are allowed and skipped
    }
    const std::string where = "line " + std::to_string(line_number_);
    const size_t tab = line_.find('\t');
    if (tab == std::string::npos) return RowError(file_.path(), where, "no TAB between key and hex");
    if (tab == 0) return RowError(file_.path(), where, "empty key");
    if (tab > kMaxKeyBytes) return RowError(file_.path(), where, "key longer than 65536 bytes");
    const std::string_view hex = std::string_view(line_).substr(tab + 1);
    if (hex.size() != dim_ / 4) {
      return RowError(file_.path(), where,
                      std::to_string(hex.size()) + " hex digits (" + std::to_string(hex.size() * 4) +
                          " bits), the collection has dim " + std::to_string(dim_) + " (" +
                          std::to_string(dim_ / 4) + " digits)");
    }
    for (size_t w = 0; w < dim_ / 64; ++w) {
      uint64_t word = 0;
      for (size_t d = 0; d < 16; ++d) {
        const int v = HexValue(hex[w * 16 + d]);
        if (v < 0) {
          return RowError(file_.path(), where,
                          "'" + std::string(1, hex[w * 16 + d]) + "' at hex digit " + std::to_string(w * 16 + d) +
                              " is not a hex digit");
        }
        word = (word << 4) | static_cast<uint64_t>(v);
      }
      for (int b = 0; b < 8; ++b) bits[w * 8 + b] = static_cast<char>((word >> (8 * b)) & 0xff);
    }
    key->assign(line_.data(), tab);
    return true;
  }

 private:
  InputFile file_;
  uint64_t dim_ = 0, line_number_ = 0, bytes_read_ = 0;
  std::string line_;
};

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

BulkLoadOptions::Format DetectFormat(const std::string& path, BulkLoadOptions::Format requested) {
  using Format = BulkLoadOptions::Format;
  if (requested != Format::kAuto) return requested;
  if (EndsWith(path, ".npy")) return Format::kNpy;
  if (EndsWith(path, ".hvdb")) return Format::kHvdb;
  return Format::kText;
}

Result<uint64_t> ProbeSourceDim(const std::string& path, const BulkLoadOptions& options) {
  using Format = BulkLoadOptions::Format;
  InputFile file;
  HVDB_RETURN_IF_ERROR(file.Open(path));
  switch (DetectFormat(path, options.format)) {
    case Format::kNpy: {
      HVDB_ASSIGN_OR_RETURN(const NpyShape shape, ReadNpyHeader(file.get(), "'" + path + "'"));
      HVDB_ASSIGN_OR_RETURN(const NpyRowFormat format, NpyRowFormat::Make(shape, options.npy, "'" + path + "'"));
      return format.dim();
    }
    case Format::kHvdb: {
      unsigned char header[kVectorFileHeaderBytes];
      if (std::fread(header, 1, sizeof header, file.get()) != sizeof header ||
          std::memcmp(header, kVectorFileMagic, 8) != 0) {
        return Status::InvalidArgument("'" + path + "' is not an hvdb vector file (no HVDBVECS magic)");
      }
      return GetLittleEndian(header + 16, 8);
    }
    default: {
      std::string line;
      uint64_t bytes = 0;
      for (uint64_t number = 1;; ++number) {
        const Line l = ReadLine(file.get(), &line, &bytes, kMaxTextLineBytes);
        if (l == Line::kEnd) break;
        if (l == Line::kTooLong) return TooLong(path, number, kMaxTextLineBytes);
        if (line.empty()) continue;
        const size_t tab = line.find('\t');
        if (tab == std::string::npos) return RowError(path, "line " + std::to_string(number), "no TAB between key and hex");
        return (line.size() - tab - 1) * 4;
      }
      return Status::InvalidArgument("'" + path + "' holds no rows to take a dimension from");
    }
  }
}

namespace {

class MemorySource : public RowSource {
 public:
  MemorySource(const uint8_t* bits, uint64_t rows, uint64_t dim, std::span<const std::string_view> keys)
      : bits_(bits), rows_(rows), row_bytes_(dim / 8), keys_(keys) {}
  bool numbers_rows() const override { return keys_.empty(); }
  void NumberRowsFrom(uint64_t first) override { first_number_ = first; }
  uint64_t total_rows() const override { return rows_; }
  uint64_t total_bytes() const override { return rows_ * row_bytes_; }
  uint64_t bytes_read() const override { return next_ * row_bytes_; }

  Result<bool> Next(std::string* key, char* bits) override {
    if (next_ == rows_) return false;
    std::memcpy(bits, bits_ + next_ * row_bytes_, row_bytes_);
    if (keys_.empty()) {
      *key = std::to_string(first_number_ + next_);  // BulkLoad bounds first_number_
    } else {
      key->assign(keys_[next_]);
    }
    ++next_;
    return true;
  }

 private:
  const uint8_t* bits_;
  uint64_t rows_, row_bytes_;
  std::span<const std::string_view> keys_;
  uint64_t next_ = 0, first_number_ = 0;
};

}  // namespace

Result<std::unique_ptr<RowSource>> MemoryRowSource(const uint8_t* bits, uint64_t rows, uint64_t dim,
                                                   std::span<const std::string_view> keys) {
  if (!keys.empty() && keys.size() != rows) {
    return Status::InvalidArgument(std::to_string(keys.size()) + " keys for " + std::to_string(rows) +
                                   " rows; give one key per row, or none to number the rows");
  }
  if (bits == nullptr && rows > 0) return Status::InvalidArgument("no row data for " + std::to_string(rows) + " rows");
  if (dim == 0 || dim % 64 != 0) return Status::InvalidArgument("dim " + std::to_string(dim) + " is not a multiple of 64");
  return std::unique_ptr<RowSource>(std::make_unique<MemorySource>(bits, rows, dim, keys));
}

Result<std::unique_ptr<RowSource>> OpenRowSource(const std::string& path, const BulkLoadOptions& options,
                                                 uint64_t dim) {
  using Format = BulkLoadOptions::Format;
  const Format format = DetectFormat(path, options.format);
  if (format != Format::kNpy && !options.keys_path.empty()) {
    return Status::InvalidArgument("a keys file is only used with .npy sources; '" + path +
                                   "' carries its own keys");
  }
  // Options that would be ignored are refused, so that nothing is loaded
  // other than as asked.
  if (format != Format::kNpy && (options.npy.unpacked || options.npy.pad)) {
    return Status::InvalidArgument(std::string(options.npy.unpacked ? "unpacked" : "pad") +
                                   " applies to .npy sources; '" + path + "' is not one");
  }
  if (options.first_row_number && (format != Format::kNpy || !options.keys_path.empty())) {
    return Status::InvalidArgument("a first row number numbers the rows of a .npy without a keys file; '" + path +
                                   "' has its keys");
  }
  switch (format) {
    case Format::kNpy: {
      auto source = std::make_unique<NpySource>();
      HVDB_RETURN_IF_ERROR(source->Open(path, options, dim));
      return std::unique_ptr<RowSource>(std::move(source));
    }
    case Format::kHvdb: {
      auto source = std::make_unique<HvdbSource>();
      HVDB_RETURN_IF_ERROR(source->Open(path, dim));
      return std::unique_ptr<RowSource>(std::move(source));
    }
    default: {
      auto source = std::make_unique<TextSource>();
      HVDB_RETURN_IF_ERROR(source->Open(path, dim));
      return std::unique_ptr<RowSource>(std::move(source));
    }
  }
}

}  // namespace hvdb::storage
