// Copyright hvdb authors. Bulk load from .npy (with and without a keys file),
// hvdb vector files and text; every kind of bad input leaves the collection as
// it was.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <thread>

#include "tests/db/db_test_util.h"

namespace hvdb::testing {
namespace {

constexpr size_t kDim = 512;

class BulkLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = OpenOrDie(dir_ / "db");
    ASSERT_TRUE(db_->CreateCollection("c", {.dim = kDim}).ok());
    c_ = GetOrDie(db_.get(), "c");
    rng_.seed(DbTestSeed() + 11);
    // Something to lose: ten rows written one by one.
    for (int i = 0; i < 10; ++i) Put("old" + std::to_string(i), Rand());
  }

  Hypervector Rand() { return Hypervector::Random(kDim, rng_()).value(); }
  void Put(const std::string& key, const Hypervector& v) {
    ASSERT_TRUE(c_->Put(key, v).ok());
    model_.Put(key, v);
  }
  std::vector<Hypervector> Rows(size_t n) {
    std::vector<Hypervector> rows;
    for (size_t i = 0; i < n; ++i) rows.push_back(Rand());
    return rows;
  }
  void WriteText(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }
  // The load fails with InvalidArgument mentioning every fragment, and the
  // collection still equals the model.
  void ExpectRejected(const std::string& file, std::vector<std::string> fragments, BulkLoadOptions options = {}) {
    auto r = c_->BulkLoad(file, options);
    ASSERT_FALSE(r.ok()) << file;
    for (const auto& f : fragments) {
      EXPECT_NE(r.status().message().find(f), std::string::npos) << "'" << f << "' not in: " << r.status().ToString();
    }
    ExpectUnchanged();
  }
  void ExpectUnchanged() {
    model_.ExpectEquals(*c_);
    EXPECT_TRUE(db_->Verify().ok()) << db_->Verify().ToString();
    const auto q = Rand();
    auto hits = c_->Search(q, {.k = 1000});
    ASSERT_TRUE(hits.ok());
    EXPECT_EQ(hits->size(), model_.size());
  }
  void ExpectSearchesMatch() {
    for (int i = 0; i < 3; ++i) {
      const Hypervector q = Rand();
      auto hits = c_->Search(q, {.k = 20});
      ASSERT_TRUE(hits.ok());
      const auto want = model_.Search(q, 20);
      ASSERT_EQ(hits->size(), want.size());
      for (size_t j = 0; j < want.size(); ++j) {
        EXPECT_EQ((*hits)[j].key, want[j].key);
        EXPECT_EQ((*hits)[j].distance, want[j].distance);
      }
    }
  }

  TempDir dir_;
  std::unique_ptr<DB> db_;
  Collection* c_ = nullptr;
  std::mt19937_64 rng_;
  Model model_{kDim};
};

TEST_F(BulkLoadTest, NpyWithRowNumbersAsKeys) {
  auto rows = Rows(3000);
  rows[2999] = rows[5];  // an exact tie: row 5 was loaded first
  WriteNpy(dir_ / "rows.npy", rows, kDim);
  std::vector<BulkLoadProgress> seen;
  auto r = c_->BulkLoad(dir_ / "rows.npy", {.progress_every = 1000}, [&](const BulkLoadProgress& p) {
    seen.push_back(p);
    return true;
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows, 3000u);
  EXPECT_EQ(r->replaced, 0u);
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen.back().rows, 3000u);
  EXPECT_EQ(seen.front().total_rows, 3000u);
  for (size_t i = 0; i < rows.size(); ++i) model_.Load(std::to_string(i), rows[i]);
  model_.ExpectEquals(*c_);
  auto tie = c_->Search(rows[5], {.k = 2});
  ASSERT_TRUE(tie.ok());
  EXPECT_EQ((*tie)[0].key, "5");
  EXPECT_EQ((*tie)[1].key, "2999");
  ExpectSearchesMatch();
  // Reopen: the loaded rows come back from RocksDB in the same order.
  db_.reset();
  db_ = OpenOrDie(dir_ / "db");
  c_ = GetOrDie(db_.get(), "c");
  model_.ExpectEquals(*c_);
  ExpectSearchesMatch();
  EXPECT_TRUE(db_->Verify().ok());
}

TEST_F(BulkLoadTest, NpyWithKeysFileReplacesExistingKeys) {
  auto rows = Rows(100);
  std::string keys;
  for (int i = 0; i < 100; ++i) keys += (i % 10 == 0 ? "old" + std::to_string(i / 10) : "new" + std::to_string(i)) + "\n";
  WriteNpy(dir_ / "rows.npy", rows, kDim);
  WriteText(dir_ / "keys.txt", keys);
  auto r = c_->BulkLoad(dir_ / "rows.npy", {.keys_path = dir_ / "keys.txt"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows, 100u);
  EXPECT_EQ(r->replaced, 10u);
  for (int i = 0; i < 100; ++i) {
    model_.Load(i % 10 == 0 ? "old" + std::to_string(i / 10) : "new" + std::to_string(i), rows[i]);
  }
  model_.ExpectEquals(*c_);
  EXPECT_EQ(c_->Count(), 100u);
  ExpectSearchesMatch();
  EXPECT_TRUE(db_->Verify().ok());
}

TEST_F(BulkLoadTest, TextLines) {
  const Hypervector a = Rand(), b = Rand();
  WriteText(dir_ / "rows.tsv", "alpha\t" + a.ToHex() + "\r\n\nbeta\t" + b.ToHex() + "\n");
  auto r = c_->BulkLoad(dir_ / "rows.tsv");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows, 2u);
  model_.Load("alpha", a);
  model_.Load("beta", b);
  model_.ExpectEquals(*c_);
  EXPECT_EQ(*SourceDim(dir_ / "rows.tsv"), kDim);
}

TEST_F(BulkLoadTest, BadNpyFilesLoadNothing) {
  auto rows = Rows(50);
  WriteNpy(dir_ / "wide.npy", Rows(5), kDim);  // fine, for cutting up below
  WriteNpy(dir_ / "ok.npy", rows, kDim);
  ExpectRejected(dir_ / "missing.npy", {"missing.npy"});
  WriteText(dir_ / "magic.npy", "not numpy at all");
  ExpectRejected(dir_ / "magic.npy", {"magic.npy", "magic"});
  std::vector<Hypervector> other;
  for (int i = 0; i < 5; ++i) other.push_back(Hypervector::Random(1024, i).value());
  WriteNpy(dir_ / "dim.npy", other, 1024);
  ExpectRejected(dir_ / "dim.npy", {"dim.npy", "1024 bits", "dim 512"});
  // Truncated: the header promises more rows than the file holds.
  std::ifstream in(dir_ / "ok.npy", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  WriteText(dir_ / "short.npy", bytes.substr(0, bytes.size() - 100));
  ExpectRejected(dir_ / "short.npy", {"short.npy", "truncated"});
  std::string f4 = bytes;
  f4.replace(f4.find("|u1"), 3, "<f4");
  WriteText(dir_ / "f4.npy", f4);
  ExpectRejected(dir_ / "f4.npy", {"f4.npy", "dtype"});
  // Keys file: a key twice, too few and too many lines, an empty line.
  std::string keys;
  for (int i = 0; i < 50; ++i) keys += "k" + std::to_string(i == 40 ? 7 : i) + "\n";
  WriteText(dir_ / "dup.txt", keys);
  ExpectRejected(dir_ / "ok.npy", {"row 40", "'k7'", "twice", "row 7"}, {.keys_path = dir_ / "dup.txt"});
  WriteText(dir_ / "few.txt", "a\nb\n");
  ExpectRejected(dir_ / "ok.npy", {"few.txt", "ends at line 2"}, {.keys_path = dir_ / "few.txt"});
  std::string unique;
  for (int i = 0; i < 50; ++i) unique += "k" + std::to_string(i) + "\n";
  WriteText(dir_ / "many.txt", unique + "extra\n");
  ExpectRejected(dir_ / "ok.npy", {"many.txt", "more lines"}, {.keys_path = dir_ / "many.txt"});
  WriteText(dir_ / "empty.txt", "a\n\nc\n");
  ExpectRejected(dir_ / "ok.npy", {"empty.txt", "line 2", "empty key"}, {.keys_path = dir_ / "empty.txt"});
  ExpectRejected(dir_ / "ok.npy", {"keys file"}, {.format = BulkLoadOptions::Format::kText, .keys_path = "x"});
}

// A .npy file with `dict` as its header and `data_bytes` zero bytes of rows.
std::string NpyWithHeader(std::string dict, size_t data_bytes) {
  dict.append((64 - (10 + dict.size() + 1) % 64) % 64, ' ');
  dict.push_back('\n');
  std::string out = "\x93NUMPY";
  out.push_back(1);
  out.push_back(0);
  out.push_back(static_cast<char>(dict.size() & 0xff));
  out.push_back(static_cast<char>(dict.size() >> 8));
  return out + dict + std::string(data_bytes, '\0');
}

// The header is read as numpy reads it: one reading for every file, and the
// same refusals (regressions from the reliability campaign).
TEST_F(BulkLoadTest, NpyHeadersAreReadAsNumpyReadsThem) {
  const size_t row = kDim / 8;
  // A negative dimension was read as 4 rows.
  WriteText(dir_ / "neg.npy", NpyWithHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (-4, 64), }", 4 * row));
  ExpectRejected(dir_ / "neg.npy", {"neg.npy", "signed"});
  // Two 'shape' keys: numpy keeps the last (one row), so does hvdb.
  WriteText(dir_ / "two.npy", NpyWithHeader("{'descr': '|u1', 'shape': (4, 64), 'fortran_order': False, "
                                            "'shape': (1, 64), }", 4 * row));
  auto two = c_->BulkLoad(dir_ / "two.npy");
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  EXPECT_EQ(two->rows, 1u);
  model_.Load("0", Hypervector::Zeros(kDim).value());
  ExpectUnchanged();
  // Keys numpy refuses, values that are not literals, fractions, bools as packed bytes.
  WriteText(dir_ / "extra.npy", NpyWithHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 64), "
                                              "'x': 'y'}", row));
  ExpectRejected(dir_ / "extra.npy", {"extra.npy", "exactly", "'x'"});
  WriteText(dir_ / "frac.npy", NpyWithHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (1.5, 64)}", row));
  ExpectRejected(dir_ / "frac.npy", {"frac.npy", "not an integer"});
  WriteText(dir_ / "call.npy", NpyWithHeader("{'descr': '|u1', 'fortran_order': False, 'shape': f(1)}", row));
  ExpectRejected(dir_ / "call.npy", {"call.npy", "malformed"});
  WriteText(dir_ / "bool.npy", NpyWithHeader("{'descr': '|b1', 'fortran_order': False, 'shape': (1, 64)}", row));
  // A bool array is one bit per element: 64 bits, not the collection's 512.
  ExpectRejected(dir_ / "bool.npy", {"bool.npy", "bool, one bit per element", "dim 64", "dim 512"});
  WriteText(dir_ / "fortran.npy", NpyWithHeader("{'descr': '|u1', 'fortran_order': True, 'shape': (1, 64)}", row));
  ExpectRejected(dir_ / "fortran.npy", {"fortran.npy", "Fortran"});
  WriteText(dir_ / "open.npy", NpyWithHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 64)", row));
  ExpectRejected(dir_ / "open.npy", {"open.npy", "malformed"});
  // A shape whose product wraps around 2^64 (it once came out as 0 rows
  // and a bad_alloc in hvdb search --queries).
  const std::string wrap = "{'descr': '|u1', 'fortran_order': False, 'shape': (281474976710656, 281474976710656)}";
  WriteText(dir_ / "wrap.npy", NpyWithHeader(wrap, 128));
  ExpectRejected(dir_ / "wrap.npy", {"wrap.npy"});
  auto read = ReadNpy(dir_ / "wrap.npy");
  EXPECT_TRUE(read.status().IsInvalidArgument()) << read.status().ToString();
  WriteText(dir_ / "wrap2.npy", NpyWithHeader("{'descr': '|u1', 'fortran_order': False, "
                                              "'shape': (18446744073709551615, 2)}", 128));
  EXPECT_TRUE(ReadNpy(dir_ / "wrap2.npy").status().IsInvalidArgument());
}

// hvdb::WriteNpy writes through the durable writer: the file reads back, no
// temporary file stays, and a write that fails leaves the old file whole.
TEST_F(BulkLoadTest, WriteNpyIsWhollyWrittenOrNotAtAll) {
  const std::vector<Hypervector> rows = {Hypervector::Random(128, 1).value(), Hypervector::Random(128, 2).value()};
  ASSERT_TRUE(hvdb::WriteNpy(dir_ / "w.npy", rows).ok());
  auto back = ReadNpy(dir_ / "w.npy");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, rows);
  const std::vector<Hypervector> mixed = {Hypervector::Random(128, 3).value(), Hypervector::Random(64, 4).value()};
  EXPECT_TRUE(hvdb::WriteNpy(dir_ / "w.npy", mixed).IsInvalidArgument());
  EXPECT_EQ(ReadNpy(dir_ / "w.npy").value(), rows);
  EXPECT_TRUE(hvdb::WriteNpy(dir_ / "no-such-dir/w.npy", rows).IsIOError());
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
  }
}

// Every format Export writes loads back as the same keys and vectors in the
// same order; keys a line-based format cannot hold are refused, no file written.
TEST_F(BulkLoadTest, ExportByExtensionRoundTrips) {
  ASSERT_TRUE(c_->Delete("old3").ok());
  model_.Delete("old3");
  for (const std::string name : {"c.npy", "c.hvdb", "c.txt"}) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(c_->Export(dir_ / name).ok());
    const std::string copy_name = "copy" + name.substr(2);
    ASSERT_TRUE(db_->CreateCollection(copy_name, {.dim = kDim}).ok());
    Collection* copy = GetOrDie(db_.get(), copy_name);
    BulkLoadOptions options;
    if (name == "c.npy") {
      ASSERT_EQ(ExportKeysPath(dir_ / name).value_or(""), dir_ / "c.keys");
      options.keys_path = dir_ / "c.keys";
    } else {
      EXPECT_FALSE(ExportKeysPath(dir_ / name).has_value());
    }
    auto r = copy->BulkLoad(dir_ / name, options);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->rows, 9u);
    EXPECT_FALSE(r->first_row_number.has_value());
    auto a = c_->NewIterator(), b = copy->NewIterator();
    for (; a->Valid(); a->Next(), b->Next()) {
      ASSERT_TRUE(b->Valid());
      EXPECT_EQ(a->key(), b->key());
      EXPECT_TRUE(a->vector() == b->vector());
    }
    EXPECT_FALSE(b->Valid());
  }
  for (const std::string name : {"c.npy", "c.hvdb", "c.txt"}) EXPECT_EQ(SourceDim(dir_ / name).value_or(0), kDim);
  // The .npy is a plain numpy array: ReadNpy gives the vectors in order.
  auto rows = ReadNpy(dir_ / "c.npy");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 9u);
  EXPECT_TRUE((*rows)[0] == *c_->Get("old0"));
  // A key with a line break fits only .hvdb; a TAB does not fit text.
  Put("two\nlines", Rand());
  for (const std::string name : {"bad.npy", "bad.txt"}) {
    const Status s = c_->Export(dir_ / name);
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_NE(s.message().find("line break"), std::string::npos) << s.ToString();
    EXPECT_FALSE(std::filesystem::exists(dir_ / name));
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "bad.keys"));
  EXPECT_TRUE(c_->Export(dir_ / "bad.hvdb").ok());
  ASSERT_TRUE(c_->Delete("two\nlines").ok());
  model_.Delete("two\nlines");
  Put("a\tb", Rand());
  EXPECT_NE(c_->Export(dir_ / "tab.txt").message().find("TAB"), std::string::npos);
  EXPECT_TRUE(c_->Export(dir_ / "tab.npy").ok());
  // A format the name does not say, given explicitly.
  EXPECT_TRUE(c_->Export(dir_ / "rows.bin", {.format = FileFormat::kNpy, .keys_path = dir_ / "rows.k"}).ok());
  EXPECT_TRUE(ReadNpy(dir_ / "rows.bin").ok());
  EXPECT_TRUE(std::filesystem::exists(dir_ / "rows.k"));
}

// One bit per element from bool rows (and uint8 0/1 rows when asked), padded
// when asked; keyless loads numbered after the largest decimal key.
TEST_F(BulkLoadTest, BoolRowsAndKeylessNumbering) {
  const size_t cols = kDim - 24;  // not a multiple of 64: needs pad
  std::string bools(2 * cols, '\0');
  for (size_t i = 0; i < bools.size(); ++i) bools[i] = static_cast<char>(rng_() & 1);
  auto npy = [&](const std::string& descr, const std::string& data) {
    std::string text = NpyWithHeader("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (2, " +
                                         std::to_string(cols) + ")}", 0);
    return text + data;
  };
  WriteText(dir_ / "b.npy", npy("|b1", bools));
  WriteText(dir_ / "u.npy", npy("|u1", bools));
  ExpectRejected(dir_ / "b.npy", {"b.npy", "multiple of 64", "pad each row with zero bits to 512"});
  ExpectRejected(dir_ / "u.npy", {"u.npy", "multiple of 64"}, {.npy = {.unpacked = true}});
  std::string twos = bools;
  twos[cols + 5] = 2;
  WriteText(dir_ / "twos.npy", npy("|b1", twos));
  ExpectRejected(dir_ / "twos.npy", {"row 1, column 5", "not a bit"}, {.npy = {.pad = true}});
  // "old0".."old9" are not decimal keys; "007" is not either (numbers are
  // written without leading zeros), "41" is.
  Put("007", Rand());
  Put("41", Rand());
  auto r = c_->BulkLoad(dir_ / "b.npy", {.npy = {.pad = true}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->first_row_number, std::optional<uint64_t>(42));
  for (size_t row = 0; row < 2; ++row) {
    Hypervector want = Hypervector::Zeros(kDim).value();
    for (size_t j = 0; j < cols; ++j) want.set_bit(j, bools[row * cols + j] != 0);
    model_.Load(std::to_string(42 + row), want);
  }
  model_.ExpectEquals(*c_);
  r = c_->BulkLoad(dir_ / "u.npy", {.npy = {.unpacked = true, .pad = true}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->first_row_number, std::optional<uint64_t>(44));
  EXPECT_EQ(*c_->Get("44"), *c_->Get("42"));
  model_.Load("44", *c_->Get("42"));
  model_.Load("45", *c_->Get("43"));
  // Numbered from 42 again on request: the same vectors replace themselves.
  r = c_->BulkLoad(dir_ / "b.npy", {.first_row_number = 42, .npy = {.pad = true}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replaced, 2u);
  model_.Load("42", *c_->Get("44"));
  model_.Load("43", *c_->Get("45"));
  // Numbers that would pass 2^64 - 1 are refused.
  ExpectRejected(dir_ / "b.npy", {"passes 2^64 - 1"},
                 {.first_row_number = UINT64_MAX, .npy = {.pad = true}});
  EXPECT_EQ(*SourceDim(dir_ / "b.npy", {.npy = {.pad = true}}), kDim);
  EXPECT_FALSE(SourceDim(dir_ / "b.npy").ok());
}

// Readers never hold a whole line that has no end (.import /dev/zero grew
// without limit).
TEST_F(BulkLoadTest, LinesAreCapped) {
  WriteText(dir_ / "long.tsv", std::string((size_t{1} << 20) + 10, 'a'));
  ExpectRejected(dir_ / "long.tsv", {"long.tsv", "line 1", "longer than 1048576 bytes"});
  EXPECT_FALSE(SourceDim(dir_ / "long.tsv").ok());
  WriteNpy(dir_ / "one.npy", Rows(1), kDim);
  WriteText(dir_ / "longkey.txt", std::string(70000, 'k') + "\n");
  ExpectRejected(dir_ / "one.npy", {"longkey.txt", "line 1", "longer than 65536"}, {.keys_path = dir_ / "longkey.txt"});
  if (std::filesystem::exists("/dev/zero")) {
    ExpectRejected("/dev/zero", {"/dev/zero", "longer than"}, {.format = BulkLoadOptions::Format::kText});
  }
}

TEST_F(BulkLoadTest, BadTextAndHvdbFilesLoadNothing) {
  const std::string hex = Rand().ToHex();
  WriteText(dir_ / "notab.tsv", "a\t" + hex + "\nb " + hex + "\n");
  ExpectRejected(dir_ / "notab.tsv", {"notab.tsv", "line 2", "no TAB"});
  std::string bad = hex;
  bad[17] = 'g';
  WriteText(dir_ / "hex.tsv", "a\t" + hex + "\nb\t" + hex + "\nc\t" + bad + "\n");
  ExpectRejected(dir_ / "hex.tsv", {"line 3", "'g'", "digit 17"});
  WriteText(dir_ / "len.tsv", "a\t" + hex.substr(0, 64) + "\n");
  ExpectRejected(dir_ / "len.tsv", {"line 1", "64 hex digits", "dim 512"});
  WriteText(dir_ / "nokey.tsv", "\t" + hex + "\n");
  ExpectRejected(dir_ / "nokey.tsv", {"line 1", "empty key"});
  WriteText(dir_ / "dup.tsv", "a\t" + hex + "\nb\t" + hex + "\na\t" + hex + "\n");
  ExpectRejected(dir_ / "dup.tsv", {"row 2", "'a'", "twice"});

  ASSERT_TRUE(c_->Export(dir_ / "c.hvdb").ok());
  std::ifstream in(dir_ / "c.hvdb", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  WriteText(dir_ / "cut.hvdb", bytes.substr(0, bytes.size() - 20));
  ExpectRejected(dir_ / "cut.hvdb", {"cut.hvdb"});
  WriteText(dir_ / "notail.hvdb", bytes.substr(0, bytes.size() - 16));
  ExpectRejected(dir_ / "notail.hvdb", {"notail.hvdb", "trailer"});
  std::string v3 = bytes;
  v3[8] = 3;
  WriteText(dir_ / "v3.hvdb", v3);
  ExpectRejected(dir_ / "v3.hvdb", {"version 3"});
  // A flag this build does not know is refused, not ignored.
  std::string flagged = bytes;
  flagged[12] = 1;
  WriteText(dir_ / "flags.hvdb", flagged);
  ExpectRejected(dir_ / "flags.hvdb", {"flags.hvdb", "flags 1"});
  // One flipped bit anywhere in the rows: the CRC-32C refuses the whole file.
  for (size_t at : {size_t{40}, bytes.size() / 2, bytes.size() - 21}) {
    std::string flipped = bytes;
    flipped[at] ^= 0x10;
    WriteText(dir_ / "flip.hvdb", flipped);
    auto r = c_->BulkLoad(dir_ / "flip.hvdb");
    EXPECT_FALSE(r.ok()) << "byte " << at;
    ExpectUnchanged();
  }
  // A header promising more rows than the file can hold is refused up front.
  std::string huge = bytes;
  for (int i = 24; i < 32; ++i) huge[i] = '\x7f';
  WriteText(dir_ / "huge.hvdb", huge);
  ExpectRejected(dir_ / "huge.hvdb", {"huge.hvdb", "promises"});
  // Version 1 (no CRC in its trailer) still loads.
  std::string v1 = bytes.substr(0, bytes.size() - 4);
  v1[8] = 1;
  WriteText(dir_ / "v1.hvdb", v1);
  auto loaded = c_->BulkLoad(dir_ / "v1.hvdb");
  EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
}

TEST_F(BulkLoadTest, IoErrorsLoadNothing) {
  WriteNpy(dir_ / "rows.npy", Rows(100), kDim);
  // The SST files cannot be created: a file stands where their directory should be.
  WriteText(dir_ / "blocked", "");
  auto r = c_->BulkLoad(dir_ / "rows.npy", {.temp_dir = dir_ / "blocked/sub"});
  EXPECT_TRUE(r.status().IsIOError()) << r.status().ToString();
  EXPECT_NE(r.status().message().find("blocked"), std::string::npos) << r.status().ToString();
  ExpectUnchanged();
  // The source is a directory.
  std::filesystem::create_directory(dir_ / "dir.npy");
  EXPECT_FALSE(c_->BulkLoad(dir_ / "dir.npy").ok());
  ExpectUnchanged();
  // Export to a directory that does not exist fails and writes nothing.
  EXPECT_TRUE(c_->Export(dir_ / "missing/out.hvdb").IsIOError());
  ExpectUnchanged();
}

TEST_F(BulkLoadTest, CancelledLoadLoadsNothing) {
  WriteNpy(dir_ / "rows.npy", Rows(5000), kDim);
  auto r = c_->BulkLoad(dir_ / "rows.npy", {.progress_every = 1000},
                        [](const BulkLoadProgress& p) { return p.rows < 3000; });
  EXPECT_TRUE(r.status().IsUnavailable()) << r.status().ToString();
  EXPECT_NE(r.status().message().find("cancelled"), std::string::npos);
  ExpectUnchanged();
  // The next load works, and no temporary files are left behind.
  ASSERT_TRUE(c_->BulkLoad(dir_ / "rows.npy").ok());
  EXPECT_EQ(c_->Count(), 5010u);
  size_t leftovers = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "db/ingest")) leftovers += e.is_regular_file();
  EXPECT_EQ(leftovers, 0u);
}

TEST_F(BulkLoadTest, SearchesAndWritesDuringALoad) {
  WriteNpy(dir_ / "rows.npy", Rows(20000), kDim);
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    const Hypervector q = Hypervector::Random(kDim, 5).value();
    while (!done) {
      // Readers see the collection before the load or after it, never between
      // (the concurrent Put lands before or after the whole load).
      const uint64_t count = c_->Count();
      if (count != 10 && count != 11 && count != 20010 && count != 20011) ++bad;
      auto hits = c_->Search(q, {.k = 3});
      if (!hits.ok() || hits->size() != 3) ++bad;
    }
  });
  std::thread writer([&] {
    // A writer waits for the load and then goes ahead.
    if (!c_->Put("late", Hypervector::Random(kDim, 6).value()).ok()) ++bad;
  });
  auto r = c_->BulkLoad(dir_ / "rows.npy", {.progress_every = 1000});
  writer.join();
  done = true;
  reader.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(c_->Count(), 20011u);
  EXPECT_TRUE(db_->Verify().ok());
}

// Rows in memory (BulkLoadRows, what the Python package's bulk_load of an
// array calls) load as the same rows from a file would: keyed, numbered after
// the largest decimal key, and all or nothing with errors naming the row.
TEST_F(BulkLoadTest, RowsInMemoryLoadAsAFileWould) {
  const size_t row_bytes = kDim / 8;
  auto rows = Rows(5);
  std::vector<uint8_t> bits(rows.size() * row_bytes);
  for (size_t i = 0; i < rows.size(); ++i) std::memcpy(bits.data() + i * row_bytes, rows[i].data(), row_bytes);
  std::vector<std::string> names = {"a", "b", "old3", "d", "e"};
  std::vector<std::string_view> keys(names.begin(), names.end());
  auto keyed = c_->BulkLoadRows(bits.data(), rows.size(), keys);
  ASSERT_TRUE(keyed.ok()) << keyed.status().ToString();
  EXPECT_EQ(keyed->rows, 5u);
  EXPECT_EQ(keyed->replaced, 1u);  // old3
  for (size_t i = 0; i < rows.size(); ++i) model_.Load(names[i], rows[i]);
  ExpectUnchanged();
  ExpectSearchesMatch();

  Put("41", Rand());  // keyless rows are numbered after the largest decimal key
  auto numbered = c_->BulkLoadRows(bits.data(), 2, {});
  ASSERT_TRUE(numbered.ok()) << numbered.status().ToString();
  EXPECT_EQ(numbered->first_row_number, 42u);
  model_.Load("42", rows[0]);
  model_.Load("43", rows[1]);
  ExpectUnchanged();

  // Refusals, each leaving the collection as it was.
  names[3] = "a";
  std::vector<std::string_view> twice(names.begin(), names.end());
  auto dup = c_->BulkLoadRows(bits.data(), rows.size(), twice);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().message(), "rows in memory, row 3: key 'a' appears twice in the load (first at row 0)");
  auto short_keys = c_->BulkLoadRows(bits.data(), rows.size(), std::span(keys).first(2));
  EXPECT_EQ(short_keys.status().message(), "2 keys for 5 rows; give one key per row, or none to number the rows");
  std::vector<std::string_view> empty_key = {"x", ""};
  auto empty = c_->BulkLoadRows(bits.data(), 2, empty_key);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("rows in memory, row 1: "), std::string::npos) << empty.status().ToString();
  EXPECT_TRUE(c_->BulkLoadRows(nullptr, 2, {}).status().IsInvalidArgument());
  EXPECT_TRUE(c_->BulkLoadRows(bits.data(), 2, {}, {.npy = {.pad = true}}).status().IsInvalidArgument());
  EXPECT_TRUE(c_->BulkLoadRows(bits.data(), 2, std::span(keys).first(2), {.first_row_number = 7}).status().IsInvalidArgument());
  ExpectUnchanged();
  // Nothing to load is a load of nothing.
  auto none = c_->BulkLoadRows(nullptr, 0, {});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(none->rows, 0u);
  ExpectUnchanged();
}

}  // namespace
}  // namespace hvdb::testing
