#include "node/core/neighbours.hpp"

#include <gtest/gtest.h>

namespace eachare {
namespace {

using strings = std::vector<std::string>;

TEST(Neighbours, ReadsOneAddressPerLineInFileOrder) {
  const auto r = parse_neighbours("127.0.0.1:9002\n127.0.0.1:9003\n", "127.0.0.1:9001");
  EXPECT_EQ(r.addresses, (strings{"127.0.0.1:9002", "127.0.0.1:9003"}));
  EXPECT_TRUE(r.warnings.empty());
}

TEST(Neighbours, SkipsBlankLinesWhitespaceAndCarriageReturns) {
  const auto r = parse_neighbours("\n  127.0.0.1:9002 \r\n\t\r\n127.0.0.1:9003", "x:1");
  EXPECT_EQ(r.addresses, (strings{"127.0.0.1:9002", "127.0.0.1:9003"}));
  EXPECT_TRUE(r.warnings.empty());
}

TEST(Neighbours, SkipsSelfAndDuplicatesSilently) {
  const auto r =
      parse_neighbours("127.0.0.1:9001\n127.0.0.1:9002\n127.0.0.1:9002\n", "127.0.0.1:9001");
  EXPECT_EQ(r.addresses, (strings{"127.0.0.1:9002"}));
  EXPECT_TRUE(r.warnings.empty());
}

TEST(Neighbours, WarnsAboutMalformedLinesByNumber) {
  const auto r = parse_neighbours("127.0.0.1:9002\n\nabc\n127.0.0.1:0\n127.0.0.1:9003\n", "x:1");
  EXPECT_EQ(r.addresses, (strings{"127.0.0.1:9002", "127.0.0.1:9003"}));
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_EQ(r.warnings[0], "neighbours file line 3: 'abc' is not ip:port, skipped");
  EXPECT_EQ(r.warnings[1], "neighbours file line 4: '127.0.0.1:0' is not ip:port, skipped");
}

TEST(Neighbours, KeepsTheTextAsTheIdentity) {
  const auto r = parse_neighbours("localhost:9002\n127.0.0.1:9002\n", "x:1");
  EXPECT_EQ(r.addresses, (strings{"localhost:9002", "127.0.0.1:9002"}));
}

TEST(Neighbours, EmptyTextGivesNothing) {
  const auto r = parse_neighbours("", "127.0.0.1:9001");
  EXPECT_TRUE(r.addresses.empty());
  EXPECT_TRUE(r.warnings.empty());
}

}  // namespace
}  // namespace eachare
