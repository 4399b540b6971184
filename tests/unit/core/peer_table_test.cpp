#include "node/core/peer_table.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "node/protocol/lamport_clock.hpp"

namespace eachare {
namespace {

constexpr auto online = peer_status::online;
constexpr auto offline = peer_status::offline;

TEST(PeerTable, DirectMessageAddsUnknownPeerOnline) {
  peer_table t;
  EXPECT_EQ(t.on_direct(7, online, 5), table_change::added);
  ASSERT_NE(t.find(7), nullptr);
  EXPECT_EQ(t.find(7)->status, online);
  EXPECT_EQ(t.find(7)->clock, 5u);
  EXPECT_EQ(t.online_count(), 1u);
}

TEST(PeerTable, DirectMessageAlwaysUpdatesStatusAndKeepsMaxClock) {
  peer_table t;
  t.add_if_absent(1);
  EXPECT_EQ(t.on_direct(1, online, 9), table_change::updated);
  EXPECT_EQ(t.find(1)->clock, 9u);
  // An older clock never lowers the stored one, but the message still counts as an update.
  EXPECT_EQ(t.on_direct(1, online, 3), table_change::updated);
  EXPECT_EQ(t.find(1)->clock, 9u);
  EXPECT_EQ(t.find(1)->status, online);
}

TEST(PeerTable, ByeMarksPeerOffline) {
  peer_table t;
  t.on_direct(1, online, 2);
  EXPECT_EQ(t.online_count(), 1u);
  EXPECT_EQ(t.on_direct(1, offline, 4), table_change::updated);
  EXPECT_EQ(t.find(1)->status, offline);
  EXPECT_EQ(t.find(1)->clock, 4u);
  EXPECT_EQ(t.online_count(), 0u);
}

TEST(PeerTable, ListEntryAddsUnknownPeerWithItsStatusAndClock) {
  peer_table t;
  EXPECT_EQ(t.on_list_entry(3, offline, 12), table_change::added);
  EXPECT_EQ(t.find(3)->status, offline);
  EXPECT_EQ(t.find(3)->clock, 12u);
  EXPECT_EQ(t.online_count(), 0u);
}

TEST(PeerTable, ListEntryUpdatesKnownPeerOnlyOnStrictlyGreaterClock) {
  peer_table t;
  t.on_direct(3, online, 10);
  EXPECT_EQ(t.on_list_entry(3, offline, 10), table_change::unchanged);
  EXPECT_EQ(t.on_list_entry(3, offline, 4), table_change::unchanged);
  EXPECT_EQ(t.find(3)->status, online);
  EXPECT_EQ(t.online_count(), 1u);
  EXPECT_EQ(t.on_list_entry(3, offline, 11), table_change::updated);
  EXPECT_EQ(t.find(3)->status, offline);
  EXPECT_EQ(t.find(3)->clock, 11u);
  EXPECT_EQ(t.online_count(), 0u);
}

TEST(PeerTable, SetStatusKeepsClockAndAddsUnknown) {
  peer_table t;
  t.on_direct(1, online, 8);
  EXPECT_EQ(t.set_status(1, offline), table_change::updated);
  EXPECT_EQ(t.find(1)->clock, 8u);
  EXPECT_EQ(t.set_status(2, online), table_change::added);
  EXPECT_EQ(t.find(2)->clock, 0u);
  EXPECT_EQ(t.online_count(), 1u);
}

TEST(PeerTable, AddIfAbsentDoesNotTouchKnownPeers) {
  peer_table t;
  EXPECT_TRUE(t.add_if_absent(1));
  EXPECT_FALSE(t.add_if_absent(1, online, 5));
  EXPECT_EQ(t.find(1)->status, offline);
  EXPECT_EQ(t.find(1)->clock, 0u);
  EXPECT_EQ(t.size(), 1u);
}

TEST(PeerTable, KeepsInsertionOrder) {
  peer_table t;
  t.add_if_absent(5);
  t.on_list_entry(2, online, 1);
  t.on_direct(9, online, 1);
  t.on_direct(5, online, 1);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t.records()[0].id, 5u);
  EXPECT_EQ(t.records()[1].id, 2u);
  EXPECT_EQ(t.records()[2].id, 9u);
  EXPECT_EQ(t.find(4), nullptr);
}

TEST(PeerTable, OnlineCountStaysExactThroughEveryTransition) {
  peer_table t;
  std::size_t expected = 0;
  std::uint64_t x = 12345;
  for (int step = 0; step < 5000; ++step) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const auto p = static_cast<peer_id>((x >> 33) % 50);
    const auto s = ((x >> 20) & 1) ? online : offline;
    const auto clock = (x >> 40) % 16;
    switch ((x >> 10) % 4) {
      case 0:
        t.on_direct(p, s, clock);
        break;
      case 1:
        t.on_list_entry(p, s, clock);
        break;
      case 2:
        t.set_status(p, s);
        break;
      default:
        t.add_if_absent(p, s, clock);
        break;
    }
    expected = 0;
    for (const peer_record& r : t.records()) expected += r.status == online ? 1 : 0;
    ASSERT_EQ(t.online_count(), expected) << "step " << step;
  }
}

TEST(PeerTable, RecordIsSmall) {
  // 25 million records at 5,000 fully discovered peers: 12 bytes each, not 16.
  EXPECT_EQ(sizeof(peer_record), 12u);
}

TEST(PeerTable, PackedRecordKeepsTheLargestClockAndBothStatuses) {
  peer_table t;
  t.on_direct(1, online, limits::max_clock);
  t.on_list_entry(2, offline, limits::max_clock - 1);
  EXPECT_EQ(t.find(1)->clock, limits::max_clock);
  EXPECT_EQ(t.find(1)->status, online);
  EXPECT_EQ(t.find(2)->clock, limits::max_clock - 1);
  EXPECT_EQ(t.find(2)->status, offline);
  EXPECT_EQ(t.on_list_entry(2, online, limits::max_clock), table_change::updated);
  EXPECT_EQ(t.find(2)->clock, limits::max_clock);
  EXPECT_EQ(t.find(2)->status, online);
  // Clocks past the protocol's bound never reach a table (decode refuses them); if one did, it
  // would saturate instead of wrapping to a small value.
  t.on_direct(3, online, ~std::uint64_t{0});
  EXPECT_EQ(t.find(3)->clock, limits::max_clock);
  EXPECT_EQ(t.online_count(), 3u);  // 1, 2 (updated to ONLINE) and 3
}

TEST(PeerTable, GrowsByAQuarterNotByDoubling) {
  peer_table t;
  for (peer_id p = 0; p < 5000; ++p) {
    ASSERT_TRUE(t.add_if_absent(p));
    // Slack: at most a quarter of the records (plus the first few), not up to a half.
    ASSERT_LE(t.records().capacity(), t.size() + t.size() / 4 + 2) << "at " << p;
  }
}

// Small tables (a ring peer's two neighbours) have no index at all: lookups scan the records.
// Every lookup must still be exact across the switch to hash slots at the ninth entry.
TEST(PeerTable, FindsEveryPeerAcrossTheSwitchFromScanningToHashSlots) {
  peer_table t;
  std::vector<peer_id> added;
  for (peer_id p = 1000; added.size() < 12; p += 977) {
    ASSERT_TRUE(t.add_if_absent(p, online, p));
    added.push_back(p);
    for (std::size_t k = 0; k < added.size(); ++k) {
      const peer_record* r = t.find(added[k]);
      ASSERT_NE(r, nullptr) << added.size() << " entries, id " << added[k];
      EXPECT_EQ(r - t.records().data(), static_cast<std::ptrdiff_t>(k));
      EXPECT_EQ(r->clock, added[k]);
    }
    EXPECT_EQ(t.find(no_peer), nullptr);
    EXPECT_EQ(t.find(3), nullptr);
    EXPECT_FALSE(t.add_if_absent(added.front()));
  }
}

// The index switches between hash slots (sparse ids) and a plain array (dense ids) as the table
// grows; every lookup must find exactly the ids added, in every phase.
TEST(PeerTable, FindsEveryPeerWhileIdsGoDenseThenSparseAgain) {
  peer_table t;
  std::vector<peer_id> added;
  auto check = [&](const char* phase) {
    for (std::size_t k = 0; k < added.size(); ++k) {
      const peer_record* r = t.find(added[k]);
      ASSERT_NE(r, nullptr) << phase << " id " << added[k];
      EXPECT_EQ(r->id, added[k]) << phase;
      EXPECT_EQ(r - t.records().data(), static_cast<std::ptrdiff_t>(k)) << phase;
    }
    for (peer_id absent : {peer_id{5000}, peer_id{100001}, no_peer}) {
      EXPECT_EQ(t.find(absent), nullptr) << phase << " id " << absent;
    }
  };
  for (peer_id p = 1; p < 600; p += 7) {  // sparse: hash slots
    ASSERT_TRUE(t.add_if_absent(p));
    added.push_back(p);
  }
  check("sparse");
  for (peer_id p = 0; p < 600; ++p) {  // fills the gaps: dense, array by id
    if (t.add_if_absent(p)) added.push_back(p);
  }
  check("dense");
  EXPECT_FALSE(t.add_if_absent(300));
  ASSERT_TRUE(t.add_if_absent(1000));  // still within 6x: the array grows
  added.push_back(1000);
  check("dense, grown");
  ASSERT_TRUE(t.add_if_absent(100000));  // far beyond 6x: back to hash slots
  added.push_back(100000);
  check("sparse again");
  EXPECT_EQ(t.size(), added.size());
}

// position_of() first tries the position it found last; that shortcut must never answer for
// another peer or for an absent one, whatever was looked up or changed in between.
TEST(PeerTable, LookupsRightAfterAnotherPeersLookupOrUpdateFindTheirOwnRecord) {
  for (const peer_id size : {peer_id{3}, peer_id{40}, peer_id{700}}) {
    peer_table t;
    for (peer_id p = 0; p < size; ++p) ASSERT_TRUE(t.add_if_absent(p * 3, offline, p));
    for (peer_id p = 0; p < size; ++p) {
      const peer_id id = p * 3;
      ASSERT_NE(t.find(id), nullptr);
      EXPECT_EQ(t.find(id)->id, id);
      EXPECT_EQ(t.find(id + 1), nullptr) << size;  // just after a hit
      EXPECT_EQ(t.on_list_entry(id, online, p + 100), table_change::updated);
      EXPECT_EQ(t.find(id)->clock, p + 100);
      EXPECT_EQ(t.find(id)->status, online);
      const peer_id other = ((p + 1) % size) * 3;
      EXPECT_EQ(t.on_direct(other, online, 0), table_change::updated);
      EXPECT_EQ(t.find(other)->id, other);
      EXPECT_EQ(t.find(id)->id, id);
    }
    // After an add the last found position is the new record's.
    EXPECT_EQ(t.set_status(1, online), table_change::added);
    EXPECT_EQ(t.find(1)->id, 1u);
    EXPECT_EQ(t.find(1) - t.records().data(), static_cast<std::ptrdiff_t>(size));
    EXPECT_EQ(t.find(0)->id, 0u);
  }
}

TEST(PeerTable, FullTableRefusesUnknownPeersButStillUpdatesKnownOnes) {
  peer_table t(2);
  EXPECT_EQ(t.on_direct(1, peer_status::online, 1), table_change::added);
  EXPECT_EQ(t.on_list_entry(2, peer_status::offline, 1), table_change::added);
  EXPECT_TRUE(t.full());
  EXPECT_EQ(t.on_direct(3, peer_status::online, 1), table_change::full);
  EXPECT_EQ(t.on_list_entry(3, peer_status::online, 1), table_change::full);
  EXPECT_EQ(t.set_status(3, peer_status::online), table_change::full);
  EXPECT_FALSE(t.add_if_absent(3));
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.find(3), nullptr);
  EXPECT_EQ(t.on_direct(2, peer_status::online, 5), table_change::updated);
  EXPECT_EQ(t.find(2)->clock, 5u);
}

}  // namespace
}  // namespace eachare
