// Copyright hvdb authors. DB::Open with a file system of the tests' own
// (storage/fault_file_system.h): everything the database writes, and the
// files it reads through RocksDB, go through `faults`.
#ifndef HVDB_DB_OPEN_H_
#define HVDB_DB_OPEN_H_

#include <memory>
#include <string>

#include "hvdb/db.h"
#include "storage/fault_file_system.h"

namespace hvdb::db {

Status OpenDatabase(const Options& options, const std::string& path, std::shared_ptr<storage::FaultFileSystem> faults,
                    std::unique_ptr<DB>* db);

}  // namespace hvdb::db

#endif  // HVDB_DB_OPEN_H_
