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

TEST(AddressBook, NameSizesAndTheLongestNameFollowWhatWasInterned) {
  address_book book;
  EXPECT_EQ(book.longest_name(), 0u);
  const peer_id a = book.intern("h:1");
  const std::string huge(70'000, 'x');  // past the 16-bit size array: asked of the name itself
  const peer_id b = book.intern(huge);
  const peer_id c = book.intern("127.0.0.1:9001");
  EXPECT_EQ(book.name_size(a), 3u);
  EXPECT_EQ(book.name_size(b), huge.size());
  EXPECT_EQ(book.name_size(c), 14u);
  EXPECT_EQ(book.longest_name(), huge.size());
  for (int i = 0; i < 3000; ++i) book.intern("10.0.0." + std::to_string(i) + ":9000");
  for (peer_id id = 0; id < book.size(); ++id) ASSERT_EQ(book.name_size(id), book.name(id).size());
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
  EXPECT_EQ(&first, &book.name(0));
  EXPECT_EQ(book.find("127.0.0.1:1999"), 1998u);
  EXPECT_EQ(book.size(), 1999u);
  // Every id names its own text, on both sides of the storage's chunk boundaries.
  for (peer_id id = 0; id < 1999; ++id) {
    ASSERT_EQ(book.name(id), "127.0.0.1:" + std::to_string(id + 1)) << id;
    ASSERT_EQ(book.find(book.name(id)), id);
  }
}

TEST(AddressBook, NamesDifferingInOneByteAreDistinctAtEveryLength) {
  // Names are compared by overlapping words for 8-32 bytes and by memcmp otherwise: for every
  // length from 1 to 40 and every position, a name that differs only there is another id, and
  // each name finds its own.
  address_book book;
  for (std::size_t n = 1; n <= 40; ++n) {
    const std::string base(n, 'a');
    const peer_id base_id = book.intern(base);
    for (std::size_t k = 0; k < n; ++k) {
      std::string other = base;
      other[k] = 'b';
      const peer_id id = book.intern(other);
      EXPECT_NE(id, base_id) << n << " " << k;
      EXPECT_EQ(book.find(other), id);
      EXPECT_EQ(book.name(id), other);
    }
    EXPECT_EQ(book.find(base), base_id);
    // A prefix or an extension of a name is not that name.
    EXPECT_NE(book.find(base + "a"), base_id);
    EXPECT_NE(book.find(base.substr(0, n - 1)), base_id);
  }
}

}  // namespace
}  // namespace eachare
