#include "node/protocol/peer_address.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace eachare {
namespace {

TEST(PeerAddress, ParsesDottedIpv4AndPort) {
  const auto a = peer_address::parse("127.0.0.1:9001");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9001);
}

TEST(PeerAddress, ParsesHostNameWithDashesAndDots) {
  const auto a = peer_address::parse("my-host.example.org:80");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->host, "my-host.example.org");
  EXPECT_EQ(a->port, 80);
}

TEST(PeerAddress, KeepsLocalhostDistinctFromLoopbackIp) {
  const auto a = peer_address::parse("localhost:9000");
  const auto b = peer_address::parse("127.0.0.1:9000");
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->to_string(), "localhost:9000");
}

TEST(PeerAddress, AcceptsPortBounds) {
  EXPECT_TRUE(peer_address::parse("h:1").has_value());
  const auto max = peer_address::parse("h:65535");
  ASSERT_TRUE(max.has_value());
  EXPECT_EQ(max->port, 65535);
}

TEST(PeerAddress, RejectsPortZeroAndAbove65535) {
  EXPECT_FALSE(peer_address::parse("h:0").has_value());
  EXPECT_FALSE(peer_address::parse("h:65536").has_value());
  EXPECT_FALSE(peer_address::parse("h:99999").has_value());
  EXPECT_FALSE(peer_address::parse("h:1000000").has_value());
  EXPECT_FALSE(peer_address::parse("h:18446744073709551617").has_value());
}

TEST(PeerAddress, RejectsMissingOrNonNumericPort) {
  EXPECT_FALSE(peer_address::parse("127.0.0.1").has_value());
  EXPECT_FALSE(peer_address::parse("127.0.0.1:").has_value());
  EXPECT_FALSE(peer_address::parse("127.0.0.1:abc").has_value());
  EXPECT_FALSE(peer_address::parse("127.0.0.1:-1").has_value());
  EXPECT_FALSE(peer_address::parse("127.0.0.1:+80").has_value());
  EXPECT_FALSE(peer_address::parse("127.0.0.1:80 ").has_value());
}

TEST(PeerAddress, RejectsEmptyHostAndBadHostCharacters) {
  EXPECT_FALSE(peer_address::parse(":9000").has_value());
  EXPECT_FALSE(peer_address::parse("").has_value());
  EXPECT_FALSE(peer_address::parse("a b:9000").has_value());
  EXPECT_FALSE(peer_address::parse("a_b:9000").has_value());
  EXPECT_FALSE(peer_address::parse("a/b:9000").has_value());
  EXPECT_FALSE(peer_address::parse(std::string_view("a\0b:9000", 8)).has_value());
}

TEST(PeerAddress, SplitsAtLastColonSoExtraColonsLandInTheHostAndAreRejected) {
  // "1.2.3.4:5:ONLINE" would otherwise sneak a PEER_LIST entry through as an address.
  EXPECT_FALSE(peer_address::parse("1.2.3.4:5:6").has_value());
  EXPECT_FALSE(peer_address::parse("::1:9000").has_value());
}

TEST(PeerAddress, ToStringRoundTrips) {
  const peer_address a{"10.0.0.7", 12345};
  EXPECT_EQ(a.to_string(), "10.0.0.7:12345");
  EXPECT_EQ(peer_address::parse(a.to_string()), a);
}

TEST(PeerAddress, IsValidAgreesWithParse) {
  for (const char* text :
       {"127.0.0.1:9001", "h:1", "h:0", "h:65536", ":1", "h:", "a b:1", "x.y-z:443", "1:2:3"}) {
    EXPECT_EQ(is_valid_peer_address(text), peer_address::parse(text).has_value()) << text;
  }
}

TEST(PeerAddress, RejectsAHostLongerThanTheLimit) {
  const std::string longest(limits::max_host_bytes, 'a');
  EXPECT_TRUE(peer_address::parse(longest + ":9000").has_value());
  EXPECT_FALSE(peer_address::parse(longest + "a:9000").has_value());
  EXPECT_FALSE(is_valid_peer_address(longest + "a:9000"));
}

TEST(PeerAddress, PrefixBeforeColonAgreesWithTheFullCheck) {
  const std::string longest(limits::max_host_bytes, 'h');
  const std::vector<std::string> addresses = {
      "127.0.0.1:9000",
      "a-b.example:65535",
      "h:1",
      "h:00001",
      ":1",
      "h:0",
      "h:65536",
      "h:123456",
      "h:",
      "h",
      "h:1x",
      "ho st:1",
      "h_1:2",
      longest + ":1",
      longest + "a:1",
  };
  for (const std::string& a : addresses) {
    for (const std::string& rest : {std::string(":ONLINE:0"), std::string(":")}) {
      const std::size_t expected = is_valid_peer_address(a) ? a.size() : 0;
      EXPECT_EQ(address_prefix_before_colon(a + rest), expected) << a << rest;
    }
    // No ':' after the address: never a prefix.
    EXPECT_EQ(address_prefix_before_colon(a), 0u) << a;
    EXPECT_EQ(address_prefix_before_colon(a + " "), 0u) << a;
  }
}

}  // namespace
}  // namespace eachare
