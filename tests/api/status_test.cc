// Copyright hvdb authors.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "hvdb/result.h"
#include "hvdb/status.h"

namespace hvdb {
namespace {

TEST(Status, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_TRUE(s.message().empty());
}

TEST(Status, EachCodeKeepsItsMessage) {
  EXPECT_TRUE(Status::NotFound("key 'a'").IsNotFound());
  EXPECT_TRUE(Status::InvalidArgument("x").IsInvalidArgument());
  EXPECT_TRUE(Status::Corruption("x").IsCorruption());
  EXPECT_TRUE(Status::IOError("x").IsIOError());
  EXPECT_TRUE(Status::ResourceExhausted("x").IsResourceExhausted());
  EXPECT_TRUE(Status::Unavailable("x").IsUnavailable());
  EXPECT_TRUE(Status::AlreadyExists("x").IsAlreadyExists());
  EXPECT_FALSE(Status::AlreadyExists("x").IsInvalidArgument());
  EXPECT_EQ(Status::AlreadyExists("collection 'c' already exists").ToString(),
            "AlreadyExists: collection 'c' already exists");
  EXPECT_EQ(Status::AlreadyExists("x").WithContext("create").code(), Status::Code::kAlreadyExists);
  const Status s = Status::InvalidArgument("collection 'x' has dim 2048, query has 1024");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.ToString(), "InvalidArgument: collection 'x' has dim 2048, query has 1024");
  EXPECT_EQ(s.WithContext("search").message(), "search: collection 'x' has dim 2048, query has 1024");
  EXPECT_TRUE(Status::OK().WithContext("ignored").ok());
}

Status FailsWhenNegative(int v) {
  if (v < 0) return Status::InvalidArgument("v is negative: " + std::to_string(v));
  return Status::OK();
}

Status Chain(int v) {
  HVDB_RETURN_IF_ERROR(FailsWhenNegative(v));
  return Status::NotFound("reached the end");
}

TEST(Status, ReturnIfErrorPropagates) {
  EXPECT_TRUE(Chain(-1).IsInvalidArgument());
  EXPECT_TRUE(Chain(1).IsNotFound());
}

Result<int> Half(int v) {
  if (v % 2 != 0) return Status::InvalidArgument(std::to_string(v) + " is odd");
  return v / 2;
}

Result<int> Quarter(int v) {
  HVDB_ASSIGN_OR_RETURN(int half, Half(v));
  HVDB_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(Result, HoldsValueOrError) {
  Result<int> ok = Half(8);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 4);
  EXPECT_TRUE(ok.status().ok());
  Result<int> bad = Half(3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "3 is odd");
  EXPECT_EQ(bad.value_or(-1), -1);
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().message(), "3 is odd");
}

TEST(Result, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(5));
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 5);
}

TEST(Result, OkStatusWithoutValueBecomesError) {
  Result<int> r(Status::OK());
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
}

TEST(ResultDeathTest, ValueOfErrorAbortsWithTheStatus) {
  Result<int> bad = Half(3);
  EXPECT_DEATH((void)bad.value(), "3 is odd");
}

}  // namespace
}  // namespace hvdb
