#include "sim/packed_peer_list.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace eachare::sim {
namespace {

std::string packed_addr(int i) {
  return "10.0." + std::to_string(i / 250) + "." + std::to_string(1 + i % 250) + ":" +
         std::to_string(1024 + i);
}

// A book holding `n` addresses and a PEER_LIST from id 0 naming ids 1..n-1 with assorted statuses
// and clocks (small, multi-byte varints, the largest clock).
struct list_fixture {
  explicit list_fixture(int n) {
    for (int i = 0; i < n; ++i) book.intern(packed_addr(i));
    reply.origin = packed_addr(0);
    reply.clock = 77;
    auto& entries = reply.body.emplace<peer_list_body>().entries;
    for (int i = 1; i < n; ++i) {
      const std::uint64_t clock = i % 3 == 0 ? 0 : i % 3 == 1 ? std::uint64_t{1} << (i % 62) : 5;
      entries.emplace_back(packed_addr(i), i % 2 == 0 ? peer_status::online : peer_status::offline,
                           i == n - 1 ? limits::max_clock : clock, static_cast<peer_id>(i));
    }
  }
  address_book book;
  message reply;
};

TEST(PackedPeerList, DecodesToTheLineEncodeWritesWithTheBookIdsAsHints) {
  for (const int n : {2, 3, 200, 3000}) {  // 3000: ids past the book's first chunk
    list_fixture f(n);
    std::string scratch, packed;
    std::size_t bytes = 0;
    ASSERT_TRUE(pack_peer_list(f.reply, 0, f.book, scratch, packed, bytes)) << n;
    std::string encoded;
    encode_to(f.reply, encoded);
    EXPECT_EQ(bytes, encoded.size() + 1) << n;
    if (n >= 200) {  // past the header's size
      EXPECT_LT(packed.size(), encoded.size() / 3) << n;
    }
    EXPECT_EQ(packed_entry_count(packed), static_cast<std::uint32_t>(n - 1));

    const name_snapshot names(f.book);
    decoded_reply out;
    decode_packed_reply(packed, names, out);
    ASSERT_TRUE(out.status.ok()) << out.status.detail;
    EXPECT_EQ(out.line, encoded) << n;
    EXPECT_EQ(out.msg, f.reply) << n;  // book_id is not compared: checked below
    const auto& got = std::get<peer_list_body>(out.msg.body).entries;
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].book_id, i + 1) << n;
  }
}

TEST(PackedPeerList, RepliesThatCannotTravelPackedAreRefused) {
  list_fixture f(5);
  std::string scratch, packed;
  std::size_t bytes = 0;
  // An origin whose book name is not the reply's ORIGIN.
  EXPECT_FALSE(pack_peer_list(f.reply, 1, f.book, scratch, packed, bytes));
  EXPECT_FALSE(pack_peer_list(f.reply, no_peer, f.book, scratch, packed, bytes));
  // An entry without a book id (not built by a node of this world).
  message foreign = f.reply;
  std::get<peer_list_body>(foreign.body).entries[2].book_id = no_book_id;
  EXPECT_FALSE(pack_peer_list(foreign, 0, f.book, scratch, packed, bytes));
  // Not a PEER_LIST.
  message hello;
  hello.origin = packed_addr(0);
  hello.body = hello_body{};
  EXPECT_FALSE(pack_peer_list(hello, 0, f.book, scratch, packed, bytes));
}

TEST(PackedPeerList, ASnapshotKeepsNamingEarlierIdsWhileTheBookGrows) {
  address_book book;
  for (int i = 0; i < 1500; ++i) book.intern(packed_addr(i));
  const name_snapshot names(book);
  EXPECT_EQ(names.chunk_count(), book.chunk_count());
  for (int i = 1500; i < 5000; ++i) book.intern(packed_addr(i));  // new chunks, a regrown index
  EXPECT_GT(book.chunk_count(), names.chunk_count());
  for (int i = 0; i < 1500; ++i) {
    ASSERT_EQ(names.name(static_cast<peer_id>(i)), packed_addr(i)) << i;
    ASSERT_EQ(&names.name(static_cast<peer_id>(i)), &book.name(static_cast<peer_id>(i))) << i;
  }
}

}  // namespace
}  // namespace eachare::sim
