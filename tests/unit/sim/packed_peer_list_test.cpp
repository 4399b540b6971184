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
    ASSERT_TRUE(pack_peer_list(f.reply, 0, f.book, scratch, packed, &bytes)) << n;
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
    EXPECT_EQ(out.line(), encoded) << n;
    EXPECT_EQ(out.msg, f.reply) << n;  // book_id is not compared: checked below
    const auto& got = std::get<peer_list_body>(out.msg.body).entries;
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].book_id, i + 1) << n;
  }
  // A result reused for a shorter line holds exactly that line (its buffer keeps the longer
  // one's bytes past it), and decodes it alone.
  list_fixture big(3000), small(3);
  std::string scratch, packed_big, packed_small;
  ASSERT_TRUE(pack_peer_list(big.reply, 0, big.book, scratch, packed_big, nullptr));
  ASSERT_TRUE(pack_peer_list(small.reply, 0, small.book, scratch, packed_small, nullptr));
  decoded_reply reused;
  decode_packed_reply(packed_big, name_snapshot(big.book), reused);
  decode_packed_reply(packed_small, name_snapshot(small.book), reused);
  ASSERT_TRUE(reused.status.ok()) << reused.status.detail;
  std::string encoded;
  encode_to(small.reply, encoded);
  EXPECT_EQ(reused.line(), encoded);
  EXPECT_GT(reused.buffer.size(), encoded.size());
  EXPECT_EQ(reused.msg, small.reply);
}

// The same list as a node builds it for the simulator (peer_list_body::by_id) packs to the same
// bytes and line size, and with_names() gives it back its entries with text.
TEST(PackedPeerList, AListBuiltByIdPacksAsItsEntriesDoAndIsNamedBackFromTheBook) {
  for (const int n : {2, 200, 3000}) {
    list_fixture f(n);
    message by_id = f.reply;
    auto& list = std::get<peer_list_body>(by_id.body);
    for (const peer_entry& e : list.entries) list.by_id.push_back({e.book_id, e.status, e.clock});
    list.entries.clear();
    EXPECT_EQ(list.size(), static_cast<std::size_t>(n - 1));

    std::string scratch, from_entries, from_ids, unsized;
    std::size_t entries_bytes = 0, ids_bytes = 0;
    ASSERT_TRUE(pack_peer_list(f.reply, 0, f.book, scratch, from_entries, &entries_bytes)) << n;
    ASSERT_TRUE(pack_peer_list(by_id, 0, f.book, scratch, from_ids, &ids_bytes)) << n;
    EXPECT_EQ(from_ids, from_entries) << n;
    EXPECT_EQ(ids_bytes, entries_bytes) << n;
    // Packed without counting the line's size: the same bytes but the header's size word (the
    // first four bytes, 0 now), and the same line and message once made whole.
    ASSERT_TRUE(pack_peer_list(by_id, 0, f.book, scratch, unsized, nullptr)) << n;
    ASSERT_EQ(unsized.size(), from_ids.size()) << n;
    EXPECT_EQ(unsized.substr(0, 4), std::string(4, '\0')) << n;
    EXPECT_EQ(unsized.substr(4), from_ids.substr(4)) << n;
    const name_snapshot names(f.book);
    decoded_reply sized_out, unsized_out;
    decode_packed_reply(from_ids, names, sized_out);
    decode_packed_reply(unsized, names, unsized_out);
    ASSERT_TRUE(unsized_out.status.ok()) << unsized_out.status.detail;
    EXPECT_EQ(unsized_out.line(), sized_out.line()) << n;
    EXPECT_EQ(unsized_out.line().size() + 1, ids_bytes) << n;
    EXPECT_EQ(unsized_out.msg, f.reply) << n;

    with_names(by_id, f.book);
    EXPECT_TRUE(list.by_id.empty());
    EXPECT_EQ(by_id, f.reply) << n;
    const auto& named = list.entries;
    for (std::size_t i = 0; i < named.size(); ++i) EXPECT_EQ(named[i].book_id, i + 1) << n;
  }
  // Anything else is left as it was.
  list_fixture f(3);
  message copy = f.reply;
  with_names(copy, f.book);
  EXPECT_EQ(copy, f.reply);
  message hello;
  hello.body = hello_body{};
  with_names(hello, f.book);
  EXPECT_TRUE(std::holds_alternative<hello_body>(hello.body));
}

TEST(PackedPeerList, RepliesThatCannotTravelPackedAreRefused) {
  list_fixture f(5);
  std::string scratch, packed;
  std::size_t bytes = 0;
  // An origin whose book name is not the reply's ORIGIN.
  EXPECT_FALSE(pack_peer_list(f.reply, 1, f.book, scratch, packed, &bytes));
  EXPECT_FALSE(pack_peer_list(f.reply, no_peer, f.book, scratch, packed, &bytes));
  // An entry without a book id (not built by a node of this world).
  message foreign = f.reply;
  std::get<peer_list_body>(foreign.body).entries[2].book_id = no_book_id;
  EXPECT_FALSE(pack_peer_list(foreign, 0, f.book, scratch, packed, &bytes));
  // Not a PEER_LIST.
  message hello;
  hello.origin = packed_addr(0);
  hello.body = hello_body{};
  EXPECT_FALSE(pack_peer_list(hello, 0, f.book, scratch, packed, &bytes));
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
