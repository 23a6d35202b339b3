// Copyright hvdb authors.
#include "benchmarks/index_bench.h"

#include "benchmarks/bench_util.h"

#include <stdlib.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>

#include "benchmarks/faiss_ivf.h"
#include "benchmarks/json_line.h"
#include "examples/fashion_mnist_data.h"
#include "hdc/splitmix.h"
#include "hvdb/hdc.h"
#include "hvdb/hvdb.h"
#include "hvdb/io.h"

namespace hvdb::bench {
namespace {

struct Rng {
  uint64_t state;
  uint64_t Next() { return hdc::SplitMix64Next(state); }
  // A word whose bits are set with probability 1/8, 1/4, 5/16 or 3/8.
  uint64_t Mask(int level) {
    const uint64_t a = Next(), b = Next();
    switch (level) {
      case 0: return a & b & Next();
      case 1: return a & b;
      case 2: return a & (b | (Next() & Next()));  // 1/2 x (1/2 + 1/8) = 5/16
      default: return a & (b | Next());
    }
  }
};

struct Dataset {
  std::string name;
  size_t bits = 0;
  std::vector<Hypervector> rows, queries;
};

// (a) uniform random rows; each query has ten planted neighbours at 12.5% to
// 37.5% noise (so its exact top 10 is them). (b) 1000 centres, rows 25% to
// 31% away from theirs; queries are fresh members of random centres.
Dataset Make(const std::string& name, size_t n, size_t nq, size_t dim, uint64_t seed) {
  Dataset d{name, dim, {}, {}};
  Rng rng{seed};
  const size_t words = dim / 64;
  auto random = [&] {
    Hypervector v = Hypervector::Zeros(dim).value();
    for (size_t w = 0; w < words; ++w) v.data()[w] = rng.Next();
    return v;
  };
  auto noisy = [&](const Hypervector& base, int level) {
    Hypervector v = base;
    for (size_t w = 0; w < words; ++w) v.data()[w] ^= rng.Mask(level);
    return v;
  };
  if (name == "planted") {
    for (size_t q = 0; q < nq; ++q) d.queries.push_back(random());
    for (size_t i = 0; i < n; ++i) {
      d.rows.push_back(i < 10 * nq ? noisy(d.queries[i / 10], static_cast<int>(i % 4)) : random());
    }
  } else {
    std::vector<Hypervector> centres;
    for (size_t c = 0; c < 1000; ++c) centres.push_back(random());
    for (size_t i = 0; i < n; ++i) d.rows.push_back(noisy(centres[i % 1000], 1 + static_cast<int>(i % 2)));
    for (size_t q = 0; q < nq; ++q) d.queries.push_back(noisy(centres[rng.Next() % 1000], 1));
  }
  return d;
}

std::string Squeeze(std::string_view text) {
  std::string out;
  for (char ch : text) {
    const bool space = ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out.push_back(space ? ' ' : ch);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Sentences from Debian's text packages: WordNet's glosses and examples
// (wordnet-base) and the fortune cookies (fortunes), 20 bytes or longer,
// distinct, in a seeded random order.
std::vector<std::string> DebianSentences(uint64_t seed) {
  std::vector<std::string> out;
  auto keep = [&](std::string_view piece) {
    std::string s = Squeeze(piece);
    while (!s.empty() && (s.front() == '"' || s.front() == ' ')) s.erase(s.begin());
    while (!s.empty() && (s.back() == '"' || s.back() == ' ')) s.pop_back();
    if (s.size() >= 20) out.push_back(std::move(s));
  };
  for (const char* part : {"noun", "verb", "adj", "adv"}) {
    std::ifstream in(std::string("/usr/share/wordnet/data.") + part);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("  ", 0) == 0) continue;  // the licence header
      const size_t bar = line.find("| ");
      if (bar == std::string::npos) continue;
      std::string_view gloss(line);
      gloss.remove_prefix(bar + 2);
      for (size_t semi; (semi = gloss.find(';')) != std::string_view::npos; gloss.remove_prefix(semi + 1)) {
        keep(gloss.substr(0, semi));
      }
      keep(gloss);
    }
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/share/games/fortunes", ec)) {
    if (entry.path().has_extension() || !entry.is_regular_file()) continue;  // .dat indexes, .u8 copies
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    std::string_view all = text.view();
    for (size_t end; !all.empty(); all.remove_prefix(std::min(all.size(), end + 2))) {
      end = all.find(". ");
      keep(all.substr(0, std::min(all.size(), end == std::string_view::npos ? all.size() : end + 1)));
      if (end == std::string_view::npos) break;
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  Rng rng{seed};
  for (size_t i = out.size(); i > 1; --i) std::swap(out[i - 1], out[rng.Next() % i]);
  return out;
}

// (c) Sentences encoded with the letter-trigram text encoder. "text": the
// first nq sentences are held out as queries (their neighbours are merely
// sentences with more trigrams in common). "text-edited": the queries are
// stored sentences with their first word dropped (find the sentence meant).
Dataset MakeText(const std::string& name, size_t n, size_t nq, size_t dim, uint64_t seed) {
  Dataset d{name, dim, {}, {}};
  const std::vector<std::string> sentences = DebianSentences(seed);
  if (sentences.size() < 2 * nq) return d;
  const size_t rows = std::min(sentences.size() - nq, n);
  std::vector<std::string_view> texts(sentences.begin() + static_cast<ptrdiff_t>(nq),
                                      sentences.begin() + static_cast<ptrdiff_t>(nq + rows));
  std::vector<std::string> edited;
  for (size_t q = 0; q < nq; ++q) {
    std::string_view s = name == "text" ? sentences[q] : texts[q * (rows / nq)];
    if (name != "text") s.remove_prefix(std::min(s.size(), s.find(' ') + 1));
    edited.emplace_back(s);
  }
  texts.insert(texts.end(), edited.begin(), edited.end());
  auto encoded = hdc::TextBatch(texts, 3, hdc::SeedFromName("text"), dim);
  if (!encoded.ok()) return d;
  d.rows.assign(encoded->begin(), encoded->begin() + static_cast<ptrdiff_t>(rows));
  d.queries.assign(encoded->begin() + static_cast<ptrdiff_t>(rows), encoded->end());
  return d;
}

// (d) Fashion-MNIST as HDC codes (examples/fashion_mnist_data.h, 32 levels):
// the first n of the 60k training images as rows, the first nq of the 10k
// test images as queries.
Dataset MakeFashion(size_t n, size_t nq, size_t dim) {
  Dataset d{"fashion", dim, {}, {}};
  const examples::FashionMnistEncoder encoder(hdc::SeedFromName("fashion-mnist"), dim, 32);
  examples::FashionMnistImages train, test;
  if (!encoder.Load(false, std::min<size_t>(n, 60000), &train) || !encoder.Load(true, std::min<size_t>(nq, 10000), &test)) {
    return d;
  }
  d.rows = std::move(train.encoded);
  d.queries = std::move(test.encoded);
  return d;
}

// The rows and queries of two .npy files (packed uint8 rows), named by the
// rows file's stem. InvalidArgument naming the file that is unreadable,
// empty or of another width than the other.
Result<Dataset> ReadFiles(const std::string& rows_file, const std::string& queries_file) {
  Dataset d{std::filesystem::path(rows_file).stem().string(), 0, {}, {}};
  HVDB_ASSIGN_OR_RETURN(d.rows, ReadNpy(rows_file));
  HVDB_ASSIGN_OR_RETURN(d.queries, ReadNpy(queries_file));
  if (d.rows.empty() || d.queries.empty()) {
    return Status::InvalidArgument("--rows " + rows_file + " and --query-file " + queries_file +
                                   " must both hold rows; one is empty");
  }
  d.bits = d.rows[0].dim();
  if (const Status valid = ValidateDim(d.bits); !valid.ok()) {
    return Status::InvalidArgument("--rows " + rows_file + ": " + valid.message());
  }
  if (d.queries[0].dim() != d.bits) {
    return Status::InvalidArgument("--query-file " + queries_file + " has rows of " +
                                   std::to_string(d.queries[0].dim()) + " bits, --rows " + rows_file + " of " +
                                   std::to_string(d.bits));
  }
  return d;
}

JsonLine Line(const Dataset& d, const char* index) {
  JsonLine line;
  line.Add("bench", "index").Add("dataset", d.name).Add("n", d.rows.size()).Add("bits", d.bits).Add("index", index);
  return line;
}

// recall@k: the share of the exact top k's keys among the keys found, all
// queries together.
double Recall(const std::vector<std::vector<SearchHit>>& exact, const std::vector<std::vector<std::string>>& found) {
  size_t hit = 0, want = 0;
  for (size_t q = 0; q < exact.size(); ++q) {
    std::set<std::string> truth;
    for (const auto& h : exact[q]) truth.insert(h.key);
    want += truth.size();
    for (const std::string& key : found[q]) hit += truth.count(key);
  }
  return static_cast<double>(hit) / static_cast<double>(std::max<size_t>(want, 1));
}

// The best of several passes of the queries: 3 at least and 0.5 s in all
// (at most 100 passes), since one pass of a fast index takes milliseconds,
// which a busy VM blurs; or, with --pass-seconds, until that long in all
// (a profiler attached meanwhile sees the search alone).
struct PassTimer {
  std::optional<double> seconds;  // --pass-seconds

  double Best(const std::function<void()>& pass) const {
    const double wanted = seconds.value_or(0.5);
    const int max_passes = seconds.has_value() ? INT_MAX : 100;
    double best = 1e300, total = 0;
    for (int passes = 0; passes < 3 || (total < wanted && passes < max_passes); ++passes) {
      const double start = Now();
      pass();
      const double took = Now() - start;
      best = std::min(best, took);
      total += took;
    }
    return best;
  }
};

// Times the queries (PassTimer); prints recall@10 against `exact`,
// queries/s beside the flat scan's, and the rows each query compared.
void Measure(const PassTimer& timer, Collection* coll, const Dataset& d, const SearchOptions& options,
             const std::vector<std::vector<SearchHit>>& exact, double flat_qps, JsonLine line) {
  SearchStats stats;
  const auto got = coll->SearchBatch(d.queries, options, &stats);
  const double qps = static_cast<double>(d.queries.size()) /
                     timer.Best([&] { (void)coll->SearchBatch(d.queries, options); });
  if (!got.ok()) {
    line.Add("error", got.status().ToString()).Print();
    return;
  }
  size_t nearest = 0;
  std::vector<std::vector<std::string>> keys(d.queries.size());
  for (size_t q = 0; q < d.queries.size(); ++q) {
    // The nearest distance found (ties make "the nearest row" ambiguous).
    nearest += !exact[q].empty() && !(*got)[q].empty() && (*got)[q][0].distance == exact[q][0].distance;
    for (const auto& h : (*got)[q]) keys[q].push_back(h.key);
  }
  line.Add("answered_by", IndexKindName(stats.plan.index))
      .Add("recall_at_10", Recall(exact, keys))
      .Add("recall_at_1", static_cast<double>(nearest) / static_cast<double>(d.queries.size()))
      .Add("qps", qps).Add("flat_qps", flat_qps).Add("speedup_vs_flat", qps / flat_qps)
      .Add("rows_scanned_per_query", stats.rows_scanned);
  // What one compared pair costs, beside one pair of the exact scan (which
  // compares every row with every query).
  if (stats.rows_scanned > 0) {
    const double pair_s = 1 / (qps * static_cast<double>(stats.rows_scanned));
    const double flat_pair_s = 1 / (flat_qps * static_cast<double>(d.rows.size()));
    line.Add("ns_per_pair", pair_s * 1e9).Add("flat_ns_per_pair", flat_pair_s * 1e9)
        .Add("pair_cost_vs_flat", pair_s / flat_pair_s);
  }
  line.Print();
}

}  // namespace

int RunIndexBench(const IndexBenchConfig& c) {
  const std::string scratch = MakeScratchDir(c.dir, "hvdb-index-bench");
  if (scratch.empty()) return 1;
  const size_t k = 10;
  const PassTimer timer{c.pass_seconds};
  std::vector<std::string> sets = c.datasets;
  if (!c.rows_file.empty()) sets.insert(sets.begin(), "");  // the files' set, first
  for (const std::string& set : sets) {
    Dataset d;
    if (set.empty()) {
      Result<Dataset> read = ReadFiles(c.rows_file, c.queries_file);
      if (!read.ok()) {
        std::fprintf(stderr, "hvdb-bench index: %s\n", read.status().ToString().c_str());
        return 1;
      }
      d = std::move(read).value();
    } else {
      d = set.rfind("text", 0) == 0 ? MakeText(set, c.n, c.queries, c.bits, c.seed)
          : set == "fashion"        ? MakeFashion(c.n, c.queries, c.bits)
                                    : Make(set, c.n, c.queries, c.bits, c.seed);
    }
    const std::string& which = d.name;
    if (d.rows.empty()) {
      JsonLine().Add("bench", "index").Add("dataset", which)
          .Add("skipped", which == "fashion" ? "no images: install dataset-fashion-mnist (scripts/install-deps.sh)"
                                             : "no sentences: install wordnet-base and fortunes (scripts/install-deps.sh)")
          .Print();
      continue;
    }
    if (!c.save_datasets.empty()) {
      const std::string stem = c.save_datasets + "/" + which + "-" + std::to_string(d.bits);
      for (const auto& [part, vectors] : {std::pair{"rows", &d.rows}, std::pair{"queries", &d.queries}}) {
        if (const Status s = WriteNpy(stem + "-" + part + ".npy", *vectors); !s.ok()) {
          std::fprintf(stderr, "hvdb-bench index: --save-datasets: %s\n", s.ToString().c_str());
          return 1;
        }
      }
      JsonLine().Add("bench", "index").Add("dataset", which).Add("saved", stem + "-{rows,queries}.npy")
          .Add("n", d.rows.size()).Add("queries", d.queries.size()).Add("bits", d.bits).Print();
      continue;
    }
    std::unique_ptr<DB> db;
    if (!DB::Open({}, scratch + "/" + which, &db).ok()) return 1;
    if (!db->CreateCollection("c", {.dim = d.bits}).ok()) return 1;
    Collection* coll = nullptr;
    (void)db->GetCollection("c", &coll);
    for (size_t i = 0; i < d.rows.size();) {
      WriteBatch batch;
      for (size_t end = std::min(d.rows.size(), i + 65536); i < end; ++i) batch.Put(std::to_string(i), d.rows[i]);
      if (!coll->Write(batch, {.sync = false}).ok()) return 1;
    }
    // Close and open the database again: seconds the open took (the rows
    // come back from RocksDB; the index from its file or from the rows).
    const std::string path = scratch + "/" + which;
    auto reopen = [&]() -> double {
      db.reset();
      const double start = Now();
      if (!DB::Open({}, path, &db).ok() || !db->GetCollection("c", &coll).ok()) return -1;
      return Now() - start;
    };
    // The first open after the load replays RocksDB's log; the second is
    // the steady state every later open is compared with.
    const double flat_reopen_s = reopen() < 0 ? -1 : reopen();
    if (flat_reopen_s < 0) return 1;
    const auto exact = coll->SearchBatch(d.queries, {.k = k, .exact = true}).value();
    const double flat_qps =
        static_cast<double>(d.queries.size()) /
        timer.Best([&] { (void)coll->SearchBatch(d.queries, {.k = k, .exact = true}); });
    double start = Now();
    Line(d, "flat").Add("recall_at_10", 1.0).Add("qps", flat_qps).Add("flat_qps", flat_qps)
        .Add("speedup_vs_flat", 1.0).Add("rows_scanned_per_query", d.rows.size()).Add("reopen_s", flat_reopen_s)
        .Print();

    for (size_t p : c.prefix_bits) {
      if (p >= d.bits || !coll->SetIndex({.kind = hvdb::IndexKind::kPrefix, .prefix_bits = p}).ok()) continue;
      const double reopen_s = reopen();
      if (reopen_s < 0) return 1;
      for (size_t cand : c.candidates) {
        JsonLine line = Line(d, "prefix");
        line.Add("prefix_bits", p).Add("candidates", cand).Add("reopen_s", reopen_s).Add("flat_reopen_s", flat_reopen_s);
        Measure(timer, coll, d, {.k = k, .candidates = cand}, exact, flat_qps, std::move(line));
      }
    }
    for (size_t nlist : c.nlist) {
      if (4 * nlist > d.rows.size()) continue;
      start = Now();
      const Status built = coll->SetIndex({.kind = hvdb::IndexKind::kIvf, .ivf_nlist = nlist});
      const double build_s = Now() - start;
      if (!built.ok()) {
        Line(d, "ivf").Add("nlist", nlist).Add("error", built.ToString()).Print();
        continue;
      }
      const CollectionStats st = coll->Stats();
      const double reopen_s = reopen();
      if (reopen_s < 0) return 1;
      // nlist 0: the count chosen from the data (lists).
      for (size_t nprobe : c.nprobe) {
        if (nprobe > st.ivf_lists) continue;
        JsonLine line = Line(d, "ivf");
        line.Add("nlist", nlist).Add("lists", st.ivf_lists).Add("nprobe", nprobe).Add("build_s", build_s)
            .Add("index_bytes", st.index_bytes)
            .Add("reopen_s", reopen_s).Add("flat_reopen_s", flat_reopen_s);
        Measure(timer, coll, d, {.k = k, .nprobe = nprobe}, exact, flat_qps, std::move(line));
      }
    }
    if (d.rows.size() <= c.faiss_ivf_max_n && !c.nlist.empty() && c.nlist[0] > 0 && 4 * c.nlist[0] <= d.rows.size()) {
      // FAISS's binary IVF with the first nlist, beside hvdb's.
      const size_t words = d.bits / 64;
      std::vector<uint64_t> rows(d.rows.size() * words), queries(d.queries.size() * words);
      for (size_t i = 0; i < d.rows.size(); ++i) std::copy_n(d.rows[i].data(), words, &rows[i * words]);
      for (size_t i = 0; i < d.queries.size(); ++i) std::copy_n(d.queries[i].data(), words, &queries[i * words]);
      const FaissIvf faiss(rows.data(), d.rows.size(), words, c.nlist[0]);
      rows = {};
      for (size_t nprobe : c.nprobe) {
        if (nprobe > c.nlist[0]) continue;
        const std::vector<int64_t> labels = faiss.Search(queries.data(), d.queries.size(), k, nprobe);
        const double qps = static_cast<double>(d.queries.size()) /
                           timer.Best([&] { (void)faiss.Search(queries.data(), d.queries.size(), k, nprobe); });
        std::vector<std::vector<std::string>> keys(d.queries.size());
        for (size_t q = 0; q < d.queries.size(); ++q) {
          for (size_t j = 0; j < k; ++j) {
            if (labels[q * k + j] >= 0) keys[q].push_back(std::to_string(labels[q * k + j]));  // keys are row numbers
          }
        }
        Line(d, "faiss-ivf").Add("nlist", c.nlist[0]).Add("nprobe", nprobe)
            .Add("build_s", faiss.train_s + faiss.add_s).Add("train_s", faiss.train_s)
            .Add("recall_at_10", Recall(exact, keys))
            .Add("qps", qps).Add("flat_qps", flat_qps).Add("speedup_vs_flat", qps / flat_qps)
            .Print();
      }
    }
    if (d.rows.size() <= c.hnsw_max_n) {
      for (size_t efc : c.ef_construction) {
        start = Now();
        const Status built =
            coll->SetIndex({.kind = hvdb::IndexKind::kHnsw, .hnsw_m = 16, .hnsw_ef_construction = efc});
        const double build_s = Now() - start;
        if (!built.ok()) {
          Line(d, "hnsw").Add("ef_construction", efc).Add("error", built.ToString()).Print();
          continue;
        }
        const CollectionStats st = coll->Stats();
        for (size_t ef : c.ef) {
          JsonLine line = Line(d, "hnsw");
          line.Add("m", size_t{16}).Add("ef_construction", efc).Add("ef", ef).Add("build_s", build_s)
              .Add("index_bytes", st.index_bytes);
          Measure(timer, coll, d, {.k = k, .ef = ef}, exact, flat_qps, std::move(line));
        }
      }
    } else {
      Line(d, "hnsw").Add("skipped", "n above --hnsw-max-n " + std::to_string(c.hnsw_max_n)).Print();
    }
    db.reset();
    std::error_code ec;
    std::filesystem::remove_all(scratch + "/" + which, ec);
  }
  std::error_code ec;
  std::filesystem::remove_all(scratch, ec);
  return 0;
}

}  // namespace hvdb::bench
