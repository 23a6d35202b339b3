// Copyright hvdb authors. hvdb-bench: JSON lines, one object per measurement.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "benchmarks/db_bench.h"
#include "benchmarks/gpu_bench.h"
#include "benchmarks/hdc_bench.h"
#include "benchmarks/index_bench.h"
#include "benchmarks/kernel_bench.h"
#include "benchmarks/serve_bench.h"
#include "hvdb/hypervector.h"

namespace {

using hvdb::bench::KernelBenchConfig;

const char kUsage[] =
    "usage: hvdb-bench load [--n N[,N...]] [--bits B] [--dir D] [--no-faiss] [--seed S]\n"
    "  Bulk load of N random vectors from .npy (default 1000000,10000000 at 2048 bits), then reopen:\n"
    "  vectors/s, MB/s, peak RSS, reopen rate, beside file read/write roofs and FAISS's index I/O.\n"
    "usage: hvdb-bench query [--n N] [--bits B] [--queries Q] [--k K] [--threads T] [--dir D] [--no-faiss]\n"
    "  Search through the DB API beside the kernel on the same rows (default N=1000000, Q=1000).\n"
    "usage: hvdb-bench hdc [--n N] [--bits B[,B...]] [--threads T]\n"
    "  Batch bind, permute, bundle (groups of 16) and text encoding: ops/s and GB/s beside the read roof.\n"
    "usage: hvdb-bench index [--n N] [--bits B] [--queries Q] [--datasets planted,clustered,text,text-edited,fashion]\n"
    "         [--prefix-bits P,...] [--candidates C,...] [--nlist L,...] [--nprobe P,...] [--ef E,...]\n"
    "         [--ef-construction E,...] [--hnsw-max-n N]\n"
    "         [--faiss-ivf-max-n N] [--save-datasets DIR] [--rows FILE.npy --query-file FILE.npy]\n"
    "         [--pass-seconds S]\n"
    "  recall@10 against the exact scan and queries/s for each index and knob, on planted, clustered,\n"
    "  text and Fashion-MNIST data (fashion: opt-in; docs/perf.md; benchmarks/plot_index.py draws the curves).\n"
    "  --nlist 0: the count chosen from the data (each line's lists says which).\n"
    "  --rows/--query-file: also a set read from .npy files of packed uint8 rows (measured first; the\n"
    "  bits are the files'; index_peers.py --minilm --save-codes writes MiniLM's), --datasets '' for it alone.\n"
    "  --save-datasets: write each dataset's rows and queries as .npy in DIR and measure nothing\n"
    "  (the peers' benchmark, benchmarks/python/index_peers.py, reads them).\n"
    "  --pass-seconds: time each measurement's passes this long in all (unset: 0.5 s and at most 100 passes),\n"
    "  the best pass reported; a long one leaves time to attach a profiler (docs/perf.md).\n"
    "usage: hvdb-bench gpu [--n N] [--bits B] [--k K] [--batches B,...] [--dir D]\n"
    "  GPU search through the DB (device gpu): one-query latency, batch throughput beside the\n"
    "  popcount and copy roofs and the CPU, the CPU/GPU crossover, streaming beyond the budget.\n"
    "  Without a search device it prints why and exits 0 (HVDB_FAKE_GPU simulates one).\n"
    "usage: hvdb-bench kernels [--n N] [--bits B[,B...]] [--queries Q] [--k K] [--threads T]\n"
    "                          [--kernels scalar,avx2,avx512] [--no-faiss] [--max-batch-seconds S] [--seed S]\n"
    "  Defaults: N=1000000, B=2048,10048, Q=1000, K=10, every core, every supported kernel, FAISS on.\n"
    "  Prints roof lines (read bandwidth, popcount rate) and one line per kernel and FAISS IndexBinaryFlat.\n"
    "usage: hvdb-bench serve [--n N] [--bits B] [--clients C] [--seconds S] [--write-fraction F] [--k K]\n"
    "                        [--slow N] [--stalled N] [--workers W] [--embedded-threads T] [--grace S]\n"
    "                        [--dir D] [--hvdb PATH] [--seed S]\n"
    "  hvdb serve under load (defaults: N=100000 x 2048 bits preloaded, C=64 clients, half JSON lines and\n"
    "  half HTTP keep-alive, S=10 s, F=0.2 puts, the rest searches with k=10): requests/s, p50/p99/max\n"
    "  latency and errors per protocol, while N slow clients (answers read 200 ms late, default 2) and 2N\n"
    "  stalled ones (a burst sent, never read; nothing sent; default 2) per protocol stay connected; one\n"
    "  client alone per protocol; the server's RSS (start, peak, end) and how long SIGTERM takes (--grace,\n"
    "  10). Beside: the same mix through the embedded API, one thread alone, then as many threads as the\n"
    "  server has workers and as C (T: that many only). Exits 1 on any error or a server not stopped in time.\n"
    "  The server: PATH, else ../shell/hvdb beside hvdb-bench; W: its --workers (0: its default).\n";

bool ParseSize(const char* text, size_t* out) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0') return false;
  *out = static_cast<size_t>(v);
  return true;
}

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream ss(text);
  for (std::string p; std::getline(ss, p, ',');) {
    if (!p.empty()) parts.push_back(p);
  }
  return parts;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "hvdb-bench: %s\n%s", message.c_str(), kUsage);
  return 2;
}

// Walks the FLAG VALUE pairs of one benchmark: --no-faiss clears *faiss,
// --help prints the usage; every other flag and its value go to on_value,
// which returns an empty string when it took them, else the error. Returns
// -1 when the benchmark should run, else the exit status.
int ParseFlags(int argc, char** argv, bool* faiss,
               const std::function<std::string(std::string_view flag, const char* value)>& on_value) {
  for (int i = 0; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--no-faiss") {
      *faiss = false;
      continue;
    }
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= argc) return Fail("missing value after " + std::string(flag));
    if (std::string error = on_value(flag, argv[++i]); !error.empty()) return Fail(error);
  }
  return -1;
}

// "A,B,C" as positive numbers; false when one is not.
bool ParseSizes(const char* value, std::vector<size_t>* out, bool zero_allowed = false) {
  out->clear();
  for (const std::string& part : SplitComma(value)) {
    size_t number = 0;
    if (!ParseSize(part.c_str(), &number) || (number == 0 && !zero_allowed)) return false;
    out->push_back(number);
  }
  return !out->empty();
}

// A numeric flag and what to do with its value.
using NumberFlags = std::vector<std::pair<std::string_view, std::function<void(size_t)>>>;

// Applies `flag` from `flags`; the error names a value that is not a number
// or a flag that is not there.
std::string SetNumber(std::string_view flag, const char* value, const NumberFlags& flags) {
  for (const auto& [name, set] : flags) {
    if (name != flag) continue;
    size_t number = 0;
    if (!ParseSize(value, &number)) return std::string(flag) + ": '" + value + "' is not a number";
    set(number);
    return {};
  }
  return "unknown option " + std::string(flag);
}

using ListFlags = std::vector<std::pair<std::string_view, std::vector<size_t>*>>;

// When flag names one of `lists`, sets it from "A,B,C" and returns true,
// *error saying what was wrong (empty when nothing was).
bool SetList(std::string_view flag, const char* value, const ListFlags& lists, std::string* error) {
  for (const auto& [name, list] : lists) {
    if (flag != name) continue;
    if (!ParseSizes(value, list)) *error = std::string(flag) + ": '" + value + "' is not a list";
    return true;
  }
  return false;
}

int Kernels(int argc, char** argv) {
  KernelBenchConfig c;
  const int status = ParseFlags(argc, argv, &c.faiss, [&](std::string_view flag, const char* value) -> std::string {
    if (flag == "--bits") {
      if (!ParseSizes(value, &c.bits)) return "--bits: '" + std::string(value) + "' is not a list of numbers";
    } else if (flag == "--kernels") {
      c.kernels = SplitComma(value);
    } else if (flag == "--max-batch-seconds") {
      c.max_batch_seconds = std::atof(value);
    } else {
      return SetNumber(flag, value,
                       {{"--n", [&](size_t v) { c.n = v; }},
                        {"--queries", [&](size_t v) { c.queries = v; }},
                        {"--k", [&](size_t v) { c.k = v; }},
                        {"--threads", [&](size_t v) { c.threads = static_cast<unsigned>(v); }},
                        {"--seed", [&](size_t v) { c.seed = v; }}});
    }
    return {};
  });
  if (status >= 0) return status;
  if (c.n == 0 || c.queries == 0 || c.k == 0) return Fail("--n, --queries and --k must be at least 1");
  return hvdb::bench::RunKernelBench(c);
}

int Db(int argc, char** argv, bool load) {
  hvdb::bench::DbBenchConfig c;
  if (!load) c.n = {1000000};
  const int status = ParseFlags(argc, argv, &c.faiss, [&](std::string_view flag, const char* value) -> std::string {
    if (flag == "--n") {
      if (!ParseSizes(value, &c.n)) return "--n: '" + std::string(value) + "' is not a list of positive numbers";
      return {};
    }
    if (flag == "--dir") {
      c.dir = value;
      return {};
    }
    NumberFlags numbers = {{"--bits", [&](size_t v) { c.bits = v; }},
                           {"--threads", [&](size_t v) { c.threads = static_cast<unsigned>(v); }},
                           {"--seed", [&](size_t v) { c.seed = v; }}};
    if (!load) {
      numbers.push_back({"--queries", [&](size_t v) { c.queries = v; }});
      numbers.push_back({"--k", [&](size_t v) { c.k = v; }});
    }
    return SetNumber(flag, value, numbers);
  });
  if (status >= 0) return status;
  if (c.queries == 0 || c.k == 0) return Fail("--queries and --k must be at least 1");
  return load ? hvdb::bench::RunLoadBench(c) : hvdb::bench::RunQueryBench(c);
}

int Index(int argc, char** argv) {
  hvdb::bench::IndexBenchConfig c;
  bool unused_faiss = true;
  const int status = ParseFlags(argc, argv, &unused_faiss, [&](std::string_view flag, const char* value) -> std::string {
    std::string error;
    if (flag == "--nlist") {  // 0: chosen from the data
      if (!ParseSizes(value, &c.nlist, /*zero_allowed=*/true)) return "--nlist: '" + std::string(value) + "' is not a list";
      return error;
    }
    if (SetList(flag, value,
                {{"--prefix-bits", &c.prefix_bits}, {"--candidates", &c.candidates},
                 {"--nprobe", &c.nprobe}, {"--ef", &c.ef}, {"--ef-construction", &c.ef_construction}},
                &error)) {
      return error;
    }
    if (flag == "--datasets") {
      // Not SplitComma: that one skips empty items, and an empty name is an error here.
      c.datasets.clear();
      for (std::string_view rest = value; !rest.empty();) {
        const size_t comma = std::min(rest.find(','), rest.size());
        const std::string name(rest.substr(0, comma));
        if (name != "planted" && name != "clustered" && name != "text" && name != "text-edited" && name != "fashion") {
          return "--datasets: '" + name + "' is not planted, clustered, text, text-edited or fashion";
        }
        c.datasets.push_back(name);
        rest.remove_prefix(std::min(rest.size(), comma + 1));
      }
      return {};
    }
    if (flag == "--dir") {
      c.dir = value;
      return {};
    }
    if (flag == "--save-datasets") {
      c.save_datasets = value;
      return {};
    }
    if (flag == "--rows" || flag == "--query-file") {
      (flag == "--rows" ? c.rows_file : c.queries_file) = value;
      return {};
    }
    if (flag == "--pass-seconds") {
      char* end = nullptr;
      const double v = std::strtod(value, &end);
      if (end == value || *end != '\0' || !(v >= 0 && v <= 86400)) {
        return "--pass-seconds: '" + std::string(value) + "' is not a number of seconds in [0, 86400]";
      }
      c.pass_seconds = v;
      return {};
    }
    return SetNumber(flag, value,
                     {{"--n", [&](size_t v) { c.n = v; }},
                      {"--bits", [&](size_t v) { c.bits = v; }},
                      {"--queries", [&](size_t v) { c.queries = v; }},
                      {"--hnsw-max-n", [&](size_t v) { c.hnsw_max_n = v; }},
                      {"--faiss-ivf-max-n", [&](size_t v) { c.faiss_ivf_max_n = v; }},
                      {"--seed", [&](size_t v) { c.seed = v; }}});
  });
  if (status >= 0) return status;
  if (c.rows_file.empty() != c.queries_file.empty()) return Fail("--rows and --query-file go together");
  if (!hvdb::ValidateDim(c.bits).ok() || c.queries == 0 || c.n < 10 * c.queries) {
    return Fail("--bits must be a valid dimension and --n at least 10 x --queries (at least 1)");
  }
  return hvdb::bench::RunIndexBench(c);
}

int Gpu(int argc, char** argv) {
  hvdb::bench::GpuBenchConfig c;
  bool unused_faiss = true;
  const int status = ParseFlags(argc, argv, &unused_faiss, [&](std::string_view flag, const char* value) -> std::string {
    if (std::string error; SetList(flag, value, {{"--batches", &c.batches}}, &error)) return error;
    if (flag == "--dir") {
      c.dir = value;
      return {};
    }
    return SetNumber(flag, value,
                     {{"--n", [&](size_t v) { c.n = v; }},
                      {"--bits", [&](size_t v) { c.bits = v; }},
                      {"--k", [&](size_t v) { c.k = v; }},
                      {"--seed", [&](size_t v) { c.seed = v; }}});
  });
  if (status >= 0) return status;
  if (!hvdb::ValidateDim(c.bits).ok() || c.n == 0 || c.k == 0 || c.k > 1024 || c.batches.empty()) {
    return Fail("--bits must be a valid dimension, --n at least 1, --k in [1, 1024], --batches not empty");
  }
  return hvdb::bench::RunGpuBench(c);
}

int Serve(int argc, char** argv) {
  hvdb::bench::ServeBenchConfig c;
  bool unused_faiss = true;
  const int status = ParseFlags(argc, argv, &unused_faiss, [&](std::string_view flag, const char* value) -> std::string {
    if (flag == "--dir") {
      c.dir = value;
      return {};
    }
    if (flag == "--hvdb") {
      c.hvdb = value;
      return {};
    }
    if (flag == "--seconds" || flag == "--write-fraction") {
      char* end = nullptr;
      const double v = std::strtod(value, &end);
      if (end == value || *end != '\0' || !(v >= 0)) return std::string(flag) + ": '" + value + "' is not a number";
      (flag == "--seconds" ? c.seconds : c.write_fraction) = v;
      return {};
    }
    return SetNumber(flag, value,
                     {{"--n", [&](size_t v) { c.n = v; }},
                      {"--bits", [&](size_t v) { c.bits = v; }},
                      {"--clients", [&](size_t v) { c.clients = v; }},
                      {"--k", [&](size_t v) { c.k = v; }},
                      {"--slow", [&](size_t v) { c.slow = v; }},
                      {"--stalled", [&](size_t v) { c.stalled = v; }},
                      {"--workers", [&](size_t v) { c.workers = static_cast<unsigned>(v); }},
                      {"--embedded-threads", [&](size_t v) { c.embedded_threads = static_cast<unsigned>(v); }},
                      {"--grace", [&](size_t v) { c.grace_seconds = static_cast<unsigned>(v); }},
                      {"--seed", [&](size_t v) { c.seed = v; }}});
  });
  if (status >= 0) return status;
  if (!hvdb::ValidateDim(c.bits).ok() || c.k == 0 || c.n < c.k || c.clients < 2 || c.clients > 4096 ||
      c.slow > 256 || c.stalled > 256 || c.seconds <= 0 || c.write_fraction > 1) {
    return Fail("--bits must be a valid dimension, --k at least 1, --n at least --k, --clients in [2, 4096],\n"
                "--slow and --stalled at most 256, --seconds above 0, --write-fraction in [0, 1]");
  }
  return hvdb::bench::RunServeBench(c);
}

int Hdc(int argc, char** argv) {
  hvdb::bench::HdcBenchConfig c;
  bool unused_faiss = true;
  const int status = ParseFlags(argc, argv, &unused_faiss, [&](std::string_view flag, const char* value) -> std::string {
    if (flag == "--bits") {
      if (!ParseSizes(value, &c.bits)) return "--bits: '" + std::string(value) + "' is not a list of numbers";
      return {};
    }
    return SetNumber(flag, value,
                     {{"--n", [&](size_t v) { c.n = v; }},
                      {"--texts", [&](size_t v) { c.texts = v; }},
                      {"--threads", [&](size_t v) { c.threads = static_cast<unsigned>(v); }}});
  });
  if (status >= 0) return status;
  if (c.n < c.bundle_members || c.texts == 0) return Fail("--n must be at least 16 and --texts at least 1");
  return hvdb::bench::RunHdcBench(c);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (std::strcmp(argv[1], "kernels") == 0) return Kernels(argc - 2, argv + 2);
  if (std::strcmp(argv[1], "hdc") == 0) return Hdc(argc - 2, argv + 2);
  if (std::strcmp(argv[1], "index") == 0) return Index(argc - 2, argv + 2);
  if (std::strcmp(argv[1], "gpu") == 0) return Gpu(argc - 2, argv + 2);
  if (std::strcmp(argv[1], "load") == 0) return Db(argc - 2, argv + 2, true);
  if (std::strcmp(argv[1], "query") == 0) return Db(argc - 2, argv + 2, false);
  if (std::strcmp(argv[1], "serve") == 0) return Serve(argc - 2, argv + 2);
  return Fail(std::string("unknown benchmark '") + argv[1] + "'");
}
