// Copyright hvdb authors. Helpers for the DB tests: scratch directories, a
// seed per run, and a model of a collection searched by a plain scalar scan.
#ifndef HVDB_TESTS_DB_DB_TEST_UTIL_H_
#define HVDB_TESTS_DB_DB_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "hvdb/hvdb.h"
#include "tests/test_seed.h"

namespace hvdb {
// Readable failures: a hit prints as key@distance.
inline void PrintTo(const SearchHit& hit, std::ostream* os) { *os << hit.key << "@" << hit.distance; }
}  // namespace hvdb

namespace hvdb::testing {

inline uint64_t DbTestSeed() { return ProcessSeed(); }

// A directory under $TMPDIR (or /tmp) removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base ? base : "/tmp") + "/hvdb-test-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::unique_ptr<DB> OpenOrDie(const std::string& path, const Options& options = {}) {
  std::unique_ptr<DB> db;
  const Status s = DB::Open(options, path, &db);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return db;
}

inline Collection* GetOrDie(DB* db, const std::string& name) {
  Collection* c = nullptr;
  const Status s = db->GetCollection(name, &c);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return c;
}

// What a collection should hold, searched by brute force: ties go to the key
// inserted first (a replaced key keeps its place; a bulk load moves it).
class Model {
 public:
  explicit Model(size_t dim) : dim_(dim) {}

  void Put(const std::string& key, const Hypervector& v) {
    auto it = rows_.find(key);
    if (it != rows_.end()) it->second.second = v;
    else rows_.emplace(key, std::make_pair(next_++, v));
  }
  // A key loaded in bulk takes the load's place in insertion order.
  void Load(const std::string& key, const Hypervector& v) {
    rows_.erase(key);
    rows_.emplace(key, std::make_pair(next_++, v));
  }
  void Delete(const std::string& key) { rows_.erase(key); }
  size_t size() const { return rows_.size(); }
  const std::map<std::string, std::pair<uint64_t, Hypervector>>& rows() const { return rows_; }

  std::vector<SearchHit> Search(const Hypervector& q, size_t k, std::optional<uint32_t> radius = {}) const {
    std::vector<std::pair<std::pair<uint32_t, uint64_t>, std::string>> all;
    for (const auto& [key, row] : rows_) {
      uint32_t d = 0;
      for (size_t w = 0; w < q.words(); ++w) d += std::popcount(q.data()[w] ^ row.second.data()[w]);
      if (radius && d > *radius) continue;
      all.push_back({{d, row.first}, key});
    }
    std::sort(all.begin(), all.end());
    if (k > 0 && all.size() > k) all.resize(k);
    std::vector<SearchHit> hits;
    for (const auto& [order, key] : all) {
      hits.push_back({key, order.first, 1.0 - static_cast<double>(order.first) / static_cast<double>(dim_)});
    }
    return hits;
  }

  // Expects `c` to hold exactly the model (Count, Get of every key).
  void ExpectEquals(const Collection& c) const {
    ASSERT_EQ(c.Count(), rows_.size());
    for (const auto& [key, row] : rows_) {
      auto got = c.Get(key);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ASSERT_TRUE(*got == row.second) << "key " << key;
    }
  }

 private:
  size_t dim_;
  uint64_t next_ = 0;
  std::map<std::string, std::pair<uint64_t, Hypervector>> rows_;
};

// A vector near `base`: `flips` distinct bits flipped.
inline Hypervector Near(const Hypervector& base, size_t flips, std::mt19937_64& rng) {
  Hypervector v = base;
  std::vector<size_t> bits(base.dim());
  for (size_t i = 0; i < bits.size(); ++i) bits[i] = i;
  std::shuffle(bits.begin(), bits.end(), rng);
  for (size_t i = 0; i < flips; ++i) v.set_bit(bits[i], !v.bit(bits[i]));
  return v;
}

// Writes rows as a .npy file of packed uint8 rows (hvdb's bit layout).
inline void WriteNpy(const std::string& path, const std::vector<Hypervector>& rows, size_t dim) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::string dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (" + std::to_string(rows.size()) + ", " +
                     std::to_string(dim / 8) + "), }";
  dict.append((64 - (10 + dict.size() + 1) % 64) % 64, ' ');
  dict.push_back('\n');
  const unsigned char prefix[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<unsigned char>(dict.size() & 0xff),
                                    static_cast<unsigned char>(dict.size() >> 8)};
  std::fwrite(prefix, 1, 10, f);
  std::fwrite(dict.data(), 1, dict.size(), f);
  for (const auto& r : rows) std::fwrite(r.data(), 8, r.words(), f);
  std::fclose(f);
}

}  // namespace hvdb::testing

#endif  // HVDB_TESTS_DB_DB_TEST_UTIL_H_
