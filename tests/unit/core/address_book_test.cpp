#include "node/core/address_book.hpp"

#include <gtest/gtest.h>

#include <string>

namespace eachare {
namespace {

TEST(AddressBook, InternsDenseIdsInFirstSeenOrder) {
  address_book book;
  EXPECT_EQ(book.intern("127.0.0.1:9001"), 0u);
  EXPECT_EQ(book.intern("127.0.0.1:9002"), 1u);
  EXPECT_EQ(book.intern("127.0.0.1:9001"), 0u);
  EXPECT_EQ(book.size(), 2u);
  EXPECT_EQ(book.name(1), "127.0.0.1:9002");
}

TEST(AddressBook, FindDoesNotCreate) {
  address_book book;
  EXPECT_EQ(book.find("127.0.0.1:9001"), no_peer);
  EXPECT_EQ(book.size(), 0u);
  book.intern("127.0.0.1:9001");
  EXPECT_EQ(book.find("127.0.0.1:9001"), 0u);
}

TEST(AddressBook, TextIsTheIdentityWithoutNormalising) {
  address_book book;
  const peer_id a = book.intern("localhost:9000");
  const peer_id b = book.intern("127.0.0.1:9000");
  EXPECT_NE(a, b);
}

TEST(AddressBook, LooksUpByStringViewIntoAnyBuffer) {
  address_book book;
  book.intern("10.0.0.1:1234");
  const std::string line = "10.0.0.1:1234 5 HELLO";
  EXPECT_EQ(book.find(std::string_view(line).substr(0, 13)), 0u);
  EXPECT_EQ(book.intern(std::string_view(line).substr(0, 13)), 0u);
}

TEST(AddressBook, NamesStayValidAsTheBookGrows) {
  address_book book;
  const std::string& first = book.name(book.intern("127.0.0.1:1"));
  for (int i = 2; i < 2000; ++i) book.intern("127.0.0.1:" + std::to_string(i));
  // Reference stability matters: observers and tables hold names across interning.
  EXPECT_EQ(first, "127.0.0.1:1");
  EXPECT_EQ(book.find("127.0.0.1:1999"), 1998u);
  EXPECT_EQ(book.size(), 1999u);
}

}  // namespace
}  // namespace eachare
