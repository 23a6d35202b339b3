// Copyright hvdb authors. hvdb/io.h over the storage readers.
#include "hvdb/io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <memory>

#include "storage/durable_file.h"
#include "storage/npy.h"
#include "storage/row_sink.h"
#include "storage/row_source.h"

namespace hvdb {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

}  // namespace

Result<std::vector<Hypervector>> ReadNpy(const std::string& path, const NpyReadOptions& options) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) return Status::IOError("cannot open '" + path + "': " + std::strerror(errno));
  const std::string name = "'" + path + "'";
  HVDB_ASSIGN_OR_RETURN(const storage::NpyShape shape, storage::ReadNpyHeader(f.get(), name));
  HVDB_ASSIGN_OR_RETURN(const storage::NpyRowFormat format, storage::NpyRowFormat::Make(shape, options, name));
  if (Status s = ValidateDim(format.dim()); !s.ok()) return s.WithContext(name);
  std::vector<Hypervector> out;
  std::vector<unsigned char> row(format.row_bytes());
  // A pipe's header is not checked against a file size: grow as rows arrive.
  out.reserve(std::min<uint64_t>(shape.rows, uint64_t{1} << 16));
  for (uint64_t r = 0; r < shape.rows; ++r) {
    HVDB_ASSIGN_OR_RETURN(Hypervector v, Hypervector::Zeros(format.dim()));
    if (std::fread(row.data(), 1, row.size(), f.get()) != row.size()) {
      return Status::InvalidArgument(name + ", row " + std::to_string(r) + ": file ends inside the row");
    }
    HVDB_RETURN_IF_ERROR(format.Decode(row.data(), r, name, reinterpret_cast<char*>(v.data())));
    out.push_back(std::move(v));
  }
  return out;
}

Status WriteNpy(const std::string& path, std::span<const Hypervector> vectors) {
  const size_t dim = vectors.empty() ? 64 : vectors[0].dim();
  for (size_t i = 0; i < vectors.size(); ++i) {
    if (vectors[i].dim() != dim) {
      return Status::InvalidArgument("vector " + std::to_string(i) + " has dim " + std::to_string(vectors[i].dim()) +
                                     ", vector 0 has " + std::to_string(dim));
    }
  }
  // Complete or absent, and durable (a failed write keeps the old file).
  HVDB_ASSIGN_OR_RETURN(std::unique_ptr<storage::DurableFile> file, storage::CreateDurableFile(path));
  HVDB_RETURN_IF_ERROR(file->Append(storage::NpyHeader(vectors.size(), dim / 8)));
  for (const Hypervector& v : vectors) {
    HVDB_RETURN_IF_ERROR(file->Append({reinterpret_cast<const char*>(v.data()), v.words() * 8}));
  }
  return file->Commit();
}

std::optional<std::string> ExportKeysPath(const std::string& path, const ExportOptions& options) {
  if (storage::DetectFormat(path, options.format) != FileFormat::kNpy) return std::nullopt;
  return options.keys_path.empty() ? storage::DefaultKeysPath(path) : options.keys_path;
}

std::optional<std::string> KeysBeside(const std::string& path, const BulkLoadOptions& options) {
  if (storage::DetectFormat(path, options.format) != FileFormat::kNpy) return std::nullopt;
  std::string keys = storage::DefaultKeysPath(path);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(keys, ec)) return std::nullopt;
  return keys;
}

Result<uint64_t> SourceDim(const std::string& path, const BulkLoadOptions& options) {
  return storage::ProbeSourceDim(path, options);
}

}  // namespace hvdb
