// Copyright hvdb authors. Fashion-MNIST (Debian's dataset-fashion-mnist) as
// binary hypervectors: an image is the bundle over its 784 pixels of
// bind(position symbol, level code of the intensity). Shared by the example
// (fashion_mnist.cc) and `hvdb-bench index --datasets fashion`.
#ifndef HVDB_EXAMPLES_FASHION_MNIST_DATA_H_
#define HVDB_EXAMPLES_FASHION_MNIST_DATA_H_

#include <hvdb/hvdb.h>
#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hvdb::examples {

inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist/";
inline constexpr size_t kFashionMnistPixels = 28 * 28;

struct FashionMnistImages {
  std::vector<Hypervector> encoded;
  std::vector<uint8_t> labels;
};

// The payload of an IDX file (gzip), after its header of `header` bytes.
inline bool ReadIdx(const std::string& path, size_t header, size_t count, size_t item_bytes, std::vector<uint8_t>* out) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  std::vector<uint8_t> skip(header);
  out->resize(count * item_bytes);
  const bool ok = gzread(f, skip.data(), static_cast<unsigned>(header)) == static_cast<int>(header) &&
                  gzread(f, out->data(), static_cast<unsigned>(out->size())) == static_cast<int>(out->size());
  gzclose(f);
  return ok;
}

class FashionMnistEncoder {
 public:
  // Symbols and level codes from the item memory `seed`, D = dim bits.
  FashionMnistEncoder(uint64_t seed, size_t dim, size_t levels) : seed_(seed), dim_(dim) {
    for (size_t p = 0; p < kFashionMnistPixels; ++p) {
      position_.push_back(hdc::Symbol(seed, "pixel " + std::to_string(p), dim).value());
    }
    const hdc::ScalarCode code{.lo = 0, .hi = 255, .levels = levels, .seed = seed};
    for (int v = 0; v < 256; ++v) level_.push_back(hdc::Level(v, code, dim).value());
  }

  // The first n images of the training set (test: the t10k set) and their
  // labels; false when the files cannot be read.
  bool Load(bool test, size_t n, FashionMnistImages* out) const {
    const std::string images = test ? "t10k-images-idx3-ubyte.gz" : "train-images-idx3-ubyte.gz";
    const std::string labels = test ? "t10k-labels-idx1-ubyte.gz" : "train-labels-idx1-ubyte.gz";
    std::vector<uint8_t> pixels;
    if (!ReadIdx(kFashionMnistDir + images, 16, n, kFashionMnistPixels, &pixels) ||
        !ReadIdx(kFashionMnistDir + labels, 8, n, 1, &out->labels)) {
      return false;
    }
    hdc::BundleAccumulator acc(dim_);
    out->encoded.clear();
    for (size_t i = 0; i < n; ++i) {
      acc.Clear();
      for (size_t p = 0; p < kFashionMnistPixels; ++p) {
        acc.AddBound(position_[p].data(), level_[pixels[i * kFashionMnistPixels + p]].data());
      }
      out->encoded.push_back(acc.Majority(seed_).value());
    }
    return true;
  }

 private:
  uint64_t seed_;
  size_t dim_;
  std::vector<Hypervector> position_, level_;
};

}  // namespace hvdb::examples

#endif  // HVDB_EXAMPLES_FASHION_MNIST_DATA_H_
