// Copyright hvdb authors.
#include "hvdb/hypervector.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <random>
#include <string>

namespace hvdb {
namespace {

TEST(Hypervector, ValidDimensions) {
  for (size_t dim : {size_t{64}, size_t{1024}, size_t{2048}, size_t{8192}, size_t{10048}, size_t{65536}, kMaxDim}) {
    Result<Hypervector> hv = Hypervector::Zeros(dim);
    ASSERT_TRUE(hv.ok()) << dim;
    EXPECT_EQ(hv->dim(), dim);
    EXPECT_EQ(hv->words(), dim / 64);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(hv->data()) % 64, 0u) << "64-byte alignment, dim " << dim;
    EXPECT_EQ(hv->popcount(), 0u);
  }
}

TEST(Hypervector, InvalidDimensionsNameTheProblem) {
  for (size_t dim : {size_t{0}, size_t{1}, size_t{63}, size_t{100}, size_t{2047}}) {
    Result<Hypervector> hv = Hypervector::Random(dim, 1);
    ASSERT_FALSE(hv.ok());
    EXPECT_NE(hv.status().message().find(std::to_string(dim)), std::string::npos) << hv.status().ToString();
    EXPECT_NE(hv.status().message().find("multiple of 64"), std::string::npos);
  }
  Result<Hypervector> huge = Hypervector::Zeros(kMaxDim + 64);
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("maximum"), std::string::npos);
}

// SplitMix64's published first outputs for seed 0 (Vigna's reference code):
// the generator is the same on every platform.
TEST(Hypervector, RandomIsSplitMix64) {
  Hypervector hv = *Hypervector::Random(192, 0);
  EXPECT_EQ(hv.data()[0], 0xe220a8397b1dcdafULL);
  EXPECT_EQ(hv.data()[1], 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(hv.data()[2], 0x06c45d188009454fULL);
}

TEST(Hypervector, RandomIsDeterministicAndBalanced) {
  Hypervector a = *Hypervector::Random(10048, 42);
  Hypervector b = *Hypervector::Random(10048, 42);
  Hypervector c = *Hypervector::Random(10048, 43);
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a == c);
  // Half the bits set, within 5 standard deviations (sd = sqrt(D)/2 ~ 50).
  EXPECT_NEAR(static_cast<double>(a.popcount()), 5024.0, 250.0);
  EXPECT_NEAR(static_cast<double>(*HammingDistance(a, c)), 5024.0, 250.0);
  // A shorter vector with the same seed is a prefix.
  Hypervector prefix = *Hypervector::Random(1024, 42);
  for (size_t w = 0; w < prefix.words(); ++w) EXPECT_EQ(prefix.data()[w], a.data()[w]);
}

TEST(Hypervector, HexRoundTrip) {
  std::mt19937_64 rng(std::random_device{}());
  for (size_t dim : {size_t{64}, size_t{1024}, size_t{10048}}) {
    Hypervector hv = *Hypervector::Random(dim, rng());
    const std::string hex = hv.ToHex();
    EXPECT_EQ(hex.size(), dim / 4);
    Result<Hypervector> back = Hypervector::FromHex(hex);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, hv);
  }
}

TEST(Hypervector, HexLayoutIsLowestWordFirstMostSignificantDigitFirst) {
  Hypervector hv = *Hypervector::Zeros(128);
  hv.set_bit(0, true);    // word 0 = 1
  hv.set_bit(127, true);  // word 1 = 0x8000000000000000
  EXPECT_EQ(hv.ToHex(), "0000000000000001" "8000000000000000");
  Hypervector upper = *Hypervector::FromHex("00000000000000FF");
  EXPECT_EQ(upper.data()[0], 0xffu);
  EXPECT_TRUE(upper.bit(7));
  EXPECT_FALSE(upper.bit(8));
}

TEST(Hypervector, BadHexIsRejectedWithPosition) {
  Result<Hypervector> odd = Hypervector::FromHex("abc");
  ASSERT_FALSE(odd.ok());
  EXPECT_NE(odd.status().message().find("16 per 64-bit word"), std::string::npos);
  Result<Hypervector> bad = Hypervector::FromHex("000000000000000g");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'g' at offset 15"), std::string::npos) << bad.status().ToString();
  EXPECT_FALSE(Hypervector::FromHex("").ok());
}

TEST(Hypervector, ValueSemantics) {
  Hypervector a = *Hypervector::Random(2048, 7);
  Hypervector copy = a;
  EXPECT_EQ(copy, a);
  EXPECT_NE(copy.data(), a.data());
  copy.set_bit(5, !copy.bit(5));
  EXPECT_FALSE(copy == a);
  EXPECT_EQ(*HammingDistance(a, copy), 1u);
  Hypervector moved = std::move(copy);
  EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_EQ(moved.dim(), 2048u);
  Hypervector other = *Hypervector::Random(64, 1);
  other = a;
  EXPECT_EQ(other, a);
  other = Hypervector();
  EXPECT_TRUE(other.empty());
}

TEST(Hypervector, FromWordsChecksCount) {
  const uint64_t words[2] = {1, 2};
  EXPECT_TRUE(Hypervector::FromWords(128, words).ok());
  Result<Hypervector> bad = Hypervector::FromWords(192, words);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("needs 3 words, got 2"), std::string::npos);
}

TEST(Hypervector, DistanceAndSimilarity) {
  Hypervector a = *Hypervector::Random(1024, 1);
  Hypervector b = a;
  for (size_t i = 0; i < 256; ++i) b.set_bit(i * 4, !b.bit(i * 4));
  EXPECT_EQ(*HammingDistance(a, b), 256u);
  EXPECT_DOUBLE_EQ(*Similarity(a, b), 0.75);
  Result<uint32_t> mismatch = HammingDistance(a, *Hypervector::Zeros(2048));
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.status().message(), "hypervectors have dim 1024 and 2048");
}

}  // namespace
}  // namespace hvdb
