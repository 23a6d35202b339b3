// Copyright hvdb authors.
#include "benchmarks/hdc_bench.h"

#include "benchmarks/bench_util.h"

#include <chrono>
#include <string>
#include <string_view>

#include "benchmarks/json_line.h"
#include "hdc/splitmix.h"
#include "benchmarks/roofs.h"
#include "hvdb/hdc.h"
#include "kernels/device/search_device.h"
#include "kernels/hamming.h"

namespace hvdb::bench {
namespace {

// Best of three runs of fn, in seconds.
template <typename Fn>
double Best(Fn fn) {
  double best = 1e300;
  for (int r = 0; r < 3; ++r) {
    const double start = Now();
    fn();
    best = std::min(best, Now() - start);
  }
  return best;
}

}  // namespace

int RunHdcBench(const HdcBenchConfig& c) {
  const unsigned threads = c.threads ? c.threads : kernels::DefaultThreads();
  for (size_t bits : c.bits) {
    if (!ValidateDim(bits).ok()) {
      std::fprintf(stderr, "hvdb-bench: %s\n", ValidateDim(bits).ToString().c_str());
      return 2;
    }
    const size_t words = bits / 64, n = c.n;
    std::vector<uint64_t> a(n * words), b(n * words), out(n * words);
    uint64_t state = bits;
    for (auto* buf : {&a, &b}) {
      for (auto& w : *buf) w = hdc::SplitMix64Next(state);
    }
    const double bytes = static_cast<double>(n * words * 8);
    const double roof = MeasureReadGbs(a.data(), a.size() * 8, threads);
    auto line = [&](const char* op, double seconds, double ops, double moved, const char* device = "cpu") {
      JsonLine()
          .Add("bench", "hdc").Add("op", op).Add("device", device).Add("bits", bits).Add("n", n).Add("threads", threads)
          .Add("ops_per_s", ops / seconds).Add("gb_per_s", moved / seconds / 1e9).Add("roof_read_gbs", roof)
          .Add("fraction_of_read_roof", moved / seconds / 1e9 / roof)
          .Print();
    };
    // Bytes moved: what is read plus what is written.
    const size_t groups = n / c.bundle_members;
    // The CPU forms, then (where there is a search device) the device forms,
    // copies to and from it included; the roof stays the host's read bandwidth.
    std::vector<std::pair<Device, const char*>> devices = {{Device::kCpu, "cpu"}};
    if (!kernels::SearchDevices().empty()) devices.push_back({Device::kGpu, "gpu"});
    for (const auto& [device, name] : devices) {
      line("bind", Best([&] { (void)hdc::BindBatch(a.data(), b.data(), n, bits, out.data(), false, threads, device); }),
           static_cast<double>(n), 3 * bytes, name);
      line("permute", Best([&] { (void)hdc::PermuteBatch(a.data(), n, bits, 1001, out.data(), threads, device); }),
           static_cast<double>(n), 2 * bytes, name);
      line("bundle", Best([&] {
             (void)hdc::BundleBatch(a.data(), groups, c.bundle_members, bits, out.data(), hdc::kDefaultTieSeed, threads,
                                    device);
           }),
           static_cast<double>(groups * c.bundle_members), bytes, name);
    }
    // Text: sentences of about 60 characters, letter trigrams.
    std::vector<std::string> sentences;
    for (size_t i = 0; i < c.texts; ++i) {
      sentences.push_back("sentence " + std::to_string(i * 7919) + " of the quick brown fox, jumping over " +
                          std::to_string(i) + " dogs");
    }
    const std::vector<std::string_view> views(sentences.begin(), sentences.end());
    const double text_s = Best([&] { (void)hdc::TextBatch(views, 3, 1, bits, threads); });
    line("text_trigrams", text_s, static_cast<double>(c.texts), static_cast<double>(c.texts * words * 8));
  }
  return 0;
}

}  // namespace hvdb::bench
