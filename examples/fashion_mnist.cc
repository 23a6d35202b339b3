// Copyright hvdb authors. Fashion-MNIST (Debian's dataset-fashion-mnist)
// classified two ways with binary hypervectors:
//   1. class prototypes kept in accumulators, 64 per class (each class's
//      images clustered by binary k-means, each cluster bundled): one pass
//      over the training images, then retraining epochs that add each
//      misclassified image to the nearest prototype of its true class and
//      subtract it from the prototype that won;
//   2. k-nearest-neighbour voting through the database's own search over the
//      encoded training images.
// An image is the bundle over its 784 pixels of bind(position symbol,
// level code of the intensity).
//
// Run: build/examples/hvdb_example_fashion_mnist [--db PATH] [--train N] [--test N]
//        [--epochs E] [--k K] [--levels L] [--dim D] [--subprotos S]
#include <hvdb/hvdb.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "examples/fashion_mnist_data.h"

namespace {

constexpr const char* kClasses[] = {"t-shirt", "trouser", "pullover", "dress", "coat",
                                    "sandal",  "shirt",   "sneaker",  "bag",   "ankle-boot"};

double Now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

int Fail(const std::string& message) {
  std::fprintf(stderr, "fashion_mnist: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = "/tmp/hvdb-fashion-mnist";
  size_t train_n = 60000, test_n = 10000, epochs = 5, k = 7, levels = 32, dim = 10048, subprotos = 64;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* v = argv[i + 1];
    if (flag == "--db") path = v;
    else if (flag == "--train") train_n = std::strtoul(v, nullptr, 10);
    else if (flag == "--test") test_n = std::strtoul(v, nullptr, 10);
    else if (flag == "--epochs") epochs = std::strtoul(v, nullptr, 10);
    else if (flag == "--k") k = std::strtoul(v, nullptr, 10);
    else if (flag == "--levels") levels = std::strtoul(v, nullptr, 10);
    else if (flag == "--dim") dim = std::strtoul(v, nullptr, 10);
    else if (flag == "--subprotos") subprotos = std::strtoul(v, nullptr, 10);
    else return Fail("unknown option " + flag);
  }
  if (train_n == 0 || train_n > 60000 || test_n == 0 || test_n > 10000) return Fail("--train 1..60000, --test 1..10000");
  if (subprotos == 0 || subprotos > 1000) return Fail("--subprotos 1..1000");

  std::unique_ptr<hvdb::DB> db;
  if (hvdb::Status s = hvdb::DB::Open({}, path, &db); !s.ok()) return Fail(s.ToString());
  for (const char* name : {"fashion_protos", "fashion_train"}) {
    (void)db->DropCollection(name);
    if (hvdb::Status s = db->CreateCollection(name, {.dim = dim}); !s.ok()) return Fail(s.ToString());
  }
  hvdb::Collection *protos = nullptr, *train = nullptr;
  (void)db->GetCollection("fashion_protos", &protos);
  (void)db->GetCollection("fashion_train", &train);
  const uint64_t seed = protos->item_memory_seed();

  // Item memory: a symbol per pixel position, a level code per intensity.
  const hvdb::examples::FashionMnistEncoder encoder(seed, dim, levels);
  double start = Now();
  hvdb::examples::FashionMnistImages tr, te;
  if (!encoder.Load(false, train_n, &tr) || !encoder.Load(true, test_n, &te)) {
    return Fail(std::string("cannot read the dataset in ") + hvdb::examples::kFashionMnistDir +
                " (scripts/install-deps.sh installs it)");
  }
  const double encode_s = Now() - start;
  std::printf("encoded %zu + %zu images in %.1f s (D = %zu, %zu levels)\n", train_n, test_n, encode_s, dim, levels);

  // ---- 1. Prototypes in accumulators: `subprotos` per class (the class's
  // images clustered by binary k-means), each an accumulator "class#s".
  const size_t protos_n = 10 * subprotos;
  auto proto_name = [&](size_t p) { return std::string(kClasses[p / subprotos]) + "#" + std::to_string(p % subprotos); };
  std::vector<std::vector<hvdb::Hypervector>> groups(protos_n);
  {
    std::vector<std::vector<size_t>> by_class(10);
    for (size_t i = 0; i < train_n; ++i) by_class[tr.labels[i]].push_back(i);
    for (size_t c = 0; c < 10; ++c) {
      // A few rounds of k-means within the class: seeds spread over its
      // members, each member to its nearest centroid, centroids the bundles.
      const auto& members = by_class[c];
      if (members.empty()) continue;
      std::vector<hvdb::Hypervector> centroid;
      for (size_t s = 0; s < subprotos; ++s) centroid.push_back(tr.encoded[members[s * members.size() / subprotos]]);
      std::vector<size_t> group_of(members.size());
      for (int round = 0; round < 3; ++round) {
        std::vector<std::vector<hvdb::Hypervector>> bucket(subprotos);
        for (size_t m = 0; m < members.size(); ++m) {
          uint32_t best_d = ~0u;
          for (size_t s = 0; s < subprotos; ++s) {
            const uint32_t d = hvdb::HammingDistance(tr.encoded[members[m]], centroid[s]).value();
            if (d < best_d) best_d = d, group_of[m] = s;
          }
          bucket[group_of[m]].push_back(tr.encoded[members[m]]);
        }
        for (size_t s = 0; s < subprotos; ++s) {
          if (!bucket[s].empty()) centroid[s] = hvdb::hdc::Bundle(bucket[s]).value();
        }
      }
      for (size_t m = 0; m < members.size(); ++m) groups[c * subprotos + group_of[m]].push_back(tr.encoded[members[m]]);
    }
  }
  std::vector<hvdb::Hypervector> proto(protos_n);
  for (size_t p = 0; p < protos_n; ++p) {
    if (groups[p].empty()) continue;
    if (hvdb::Status s = protos->Accumulate(proto_name(p), groups[p], 1, {.sync = false}); !s.ok()) return Fail(s.ToString());
    proto[p] = protos->ReadAccumulator(proto_name(p)).value();
  }
  groups.clear();
  // The nearest prototype among `first..first + count`.
  auto nearest_in = [&](const hvdb::Hypervector& v, size_t first, size_t count) {
    size_t best = first;
    uint32_t best_d = ~0u;
    for (size_t p = first; p < first + count; ++p) {
      if (proto[p].empty()) continue;
      const uint32_t d = hvdb::HammingDistance(v, proto[p]).value();
      if (d < best_d) best_d = d, best = p;
    }
    return best;
  };
  // Test accuracy through the database: the prototypes stored, one search per test image.
  auto prototype_accuracy = [&]() {
    for (size_t p = 0; p < protos_n; ++p) {
      if (!proto[p].empty()) (void)protos->Put(proto_name(p), proto[p], {.sync = false});
    }
    auto hits = protos->SearchBatch(te.encoded, {.k = 1}).value();
    size_t correct = 0;
    for (size_t i = 0; i < test_n; ++i) {
      correct += !hits[i].empty() && hits[i][0].key.substr(0, hits[i][0].key.find('#')) == kClasses[te.labels[i]];
    }
    return static_cast<double>(correct) / static_cast<double>(test_n);
  };
  std::printf("prototypes (%zu per class), single pass: %.2f%% test accuracy\n", subprotos, 100 * prototype_accuracy());
  double best_proto = 0;
  for (size_t e = 1; e <= epochs; ++e) {
    size_t wrong = 0;
    for (size_t i = 0; i < train_n; ++i) {
      const size_t truth = tr.labels[i], predicted = nearest_in(tr.encoded[i], 0, protos_n);
      if (predicted / subprotos == truth) continue;
      ++wrong;
      const size_t target = nearest_in(tr.encoded[i], truth * subprotos, subprotos);
      const std::span<const hvdb::Hypervector> one(&tr.encoded[i], 1);
      if (!protos->Accumulate(proto_name(target), one, 1, {.sync = false}).ok() ||
          !protos->Accumulate(proto_name(predicted), one, -1, {.sync = false}).ok()) {
        return Fail("accumulate failed");
      }
      proto[target] = protos->ReadAccumulator(proto_name(target)).value();
      proto[predicted] = protos->ReadAccumulator(proto_name(predicted)).value();
    }
    const double accuracy = prototype_accuracy();
    best_proto = std::max(best_proto, accuracy);
    std::printf("prototypes, retraining epoch %zu: %zu training images corrected, %.2f%% test accuracy\n", e, wrong,
                100 * accuracy);
  }

  // ---- 2. k nearest neighbours through the database's search.
  for (size_t i = 0; i < train_n;) {
    hvdb::WriteBatch batch;
    for (size_t end = std::min(train_n, i + 4096); i < end; ++i) {
      batch.Put(std::to_string(i) + ":" + std::to_string(tr.labels[i]), tr.encoded[i]);
    }
    if (hvdb::Status s = train->Write(batch, {.sync = false}); !s.ok()) return Fail(s.ToString());
  }
  hvdb::SearchStats stats;
  start = Now();
  auto hits = train->SearchBatch(te.encoded, {.k = k}, &stats);
  const double search_s = Now() - start;
  if (!hits.ok()) return Fail(hits.status().ToString());
  size_t correct = 0;
  for (size_t i = 0; i < test_n; ++i) {
    // Votes weighted by rank so that a tie goes to the nearer neighbours.
    std::map<int, double> votes;
    for (size_t r = 0; r < (*hits)[i].size(); ++r) {
      const std::string& key = (*hits)[i][r].key;
      votes[std::stoi(key.substr(key.find(':') + 1))] += 1.0 + 1e-3 * static_cast<double>(k - r);
    }
    int best = -1;
    double best_votes = -1;
    for (const auto& [label, v] : votes) {
      if (v > best_votes) best_votes = v, best = label;
    }
    correct += best == te.labels[i];
  }
  const double knn = static_cast<double>(correct) / static_cast<double>(test_n);
  std::printf("k-NN (k = %zu) through Collection::SearchBatch: %.2f%% test accuracy; %zu x %zu searched in %.2f s "
              "(%.3g pairs/s, %s kernel)\n",
              k, 100 * knn, test_n, train_n, search_s,
              static_cast<double>(test_n) * static_cast<double>(train_n) / search_s, stats.plan.kernel.c_str());
  std::printf("best: prototypes %.2f%%, k-NN %.2f%%\n", 100 * best_proto, 100 * knn);
  return 0;
}
