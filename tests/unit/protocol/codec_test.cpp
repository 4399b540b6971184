#include "node/protocol/codec.hpp"

#include <gtest/gtest.h>

#include <charconv>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "node/protocol/base64.hpp"

namespace eachare {
namespace {

constexpr const char* origin = "127.0.0.1:9001";

message make(message_body body, std::uint64_t clock = 7) {
  return message{origin, clock, std::move(body)};
}

message decode_ok(std::string_view line) {
  message m;
  const auto status = decode(line, m);
  EXPECT_TRUE(status.ok()) << to_string(status.error) << ": " << status.detail;
  return m;
}

decode_status decode_status_of(std::string_view line) {
  message m;
  return decode(line, m);
}

decode_error decode_error_of(std::string_view line) {
  return decode_status_of(line).error;
}

void expect_round_trip(const message& m, std::string_view expected_line) {
  const std::string line = encode(m);
  EXPECT_EQ(line, expected_line);
  EXPECT_EQ(decode_ok(line), m);
}

std::string binary_bytes(std::size_t n) {
  std::string data(n, '\0');
  for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<char>(i & 0xFF);
  return data;
}

// ----------------------------------------------------------------------------------------------
// Round trips and exact encodings.

TEST(Codec, RoundTripsHello) {
  expect_round_trip(make(hello_body{}, 1), "127.0.0.1:9001 1 HELLO");
}

TEST(Codec, RoundTripsGetPeers) {
  expect_round_trip(make(get_peers_body{}, 2), "127.0.0.1:9001 2 GET_PEERS");
}

TEST(Codec, RoundTripsBye) {
  expect_round_trip(make(bye_body{}, 3), "127.0.0.1:9001 3 BYE");
}

TEST(Codec, RoundTripsLs) {
  expect_round_trip(make(ls_body{}, 4), "127.0.0.1:9001 4 LS");
}

TEST(Codec, RoundTripsPeerList) {
  peer_list_body b;
  b.entries = {{"127.0.0.1:9002", peer_status::online, 5},
               {"localhost:9003", peer_status::offline, 0}};
  expect_round_trip(make(b, 12),
                    "127.0.0.1:9001 12 PEER_LIST 2 127.0.0.1:9002:ONLINE:5 "
                    "localhost:9003:OFFLINE:0");
}

TEST(Codec, RoundTripsEmptyPeerListAsCountZero) {
  expect_round_trip(make(peer_list_body{}, 1), "127.0.0.1:9001 1 PEER_LIST 0");
}

TEST(Codec, RoundTripsLsList) {
  ls_list_body b;
  b.files = {{"hello.txt", 7}, {"mil.txt", 1000}};
  expect_round_trip(make(b, 9), "127.0.0.1:9001 9 LS_LIST 2 hello.txt:7 mil.txt:1000");
}

TEST(Codec, RoundTripsEmptyLsListAsCountZero) {
  expect_round_trip(make(ls_list_body{}, 9), "127.0.0.1:9001 9 LS_LIST 0");
}

TEST(Codec, RoundTripsLsListNameContainingColon) {
  ls_list_body b;
  b.files = {{"a:b.txt", 12}, {"x::y", 0}};
  expect_round_trip(make(b, 9), "127.0.0.1:9001 9 LS_LIST 2 a:b.txt:12 x::y:0");
}

TEST(Codec, RoundTripsDlChunk) {
  expect_round_trip(make(dl_body{"mil.txt", 256, 3}, 20), "127.0.0.1:9001 20 DL mil.txt 256 3");
}

TEST(Codec, RoundTripsPartTwoWholeFileDl) {
  expect_round_trip(make(dl_body{"hello.txt", 0, 0}, 20), "127.0.0.1:9001 20 DL hello.txt 0 0");
}

TEST(Codec, RoundTripsFileWithBinaryData) {
  const std::string data = binary_bytes(256);
  const message m = make(file_body{"bin.dat", 256, 5, data}, 30);
  expect_round_trip(m, "127.0.0.1:9001 30 FILE bin.dat 256 5 " + base64::encode(data));
}

TEST(Codec, RoundTripsTextFile) {
  expect_round_trip(make(file_body{"hello.txt", 7, 0, "hello!\n"}, 31),
                    "127.0.0.1:9001 31 FILE hello.txt 7 0 aGVsbG8hCg==");
}

TEST(Codec, EncodesEmptyFileChunkWithEmptyBase64Field) {
  // The trailing space keeps the four-field shape; our decoder reads it back as empty data.
  const message m = make(file_body{"empty.txt", 0, 4, ""}, 31);
  const std::string line = encode(m);
  EXPECT_EQ(line, "127.0.0.1:9001 31 FILE empty.txt 0 4 ");
  EXPECT_EQ(decode_ok(line), m);
}

TEST(Codec, EncodesLastChunkOfThousandByteFileWithItsRealSize) {
  // protocol.md §2: chunk 3 of a 1000-byte file at chunk size 256 carries 232 bytes.
  std::string file(1000, '\0');
  for (std::size_t i = 0; i < file.size(); ++i) file[i] = static_cast<char>('a' + i % 26);
  const std::string chunk = file.substr(3 * 256);
  ASSERT_EQ(chunk.size(), 232u);
  // size_field says 256 (as an echoing peer would); we always send the real byte count.
  const message m = make(file_body{"mil.txt", 256, 3, chunk}, 40);
  EXPECT_EQ(encode(m), "127.0.0.1:9001 40 FILE mil.txt 232 3 " + base64::encode(chunk));
  const message back = decode_ok(encode(m));
  const auto& body = std::get<file_body>(back.body);
  EXPECT_EQ(body.size_field, 232u);
  EXPECT_EQ(body.chunk_index, 3u);
  EXPECT_EQ(body.data, chunk);
}

TEST(Codec, EncodeToAppends) {
  std::string out = "x";
  encode_to(make(hello_body{}, 1), out);
  EXPECT_EQ(out, "x127.0.0.1:9001 1 HELLO");
}

TEST(Codec, EncodesMaximumClock) {
  expect_round_trip(make(hello_body{}, limits::max_clock),
                    "127.0.0.1:9001 9223372036854775807 HELLO");
}

TEST(Codec, DecodesIntoAMessageThatHeldAnotherType) {
  message m = decode_ok("127.0.0.1:9002 3 LS_LIST 1 a.txt:4");
  ASSERT_TRUE(decode(std::string_view("127.0.0.1:9003 4 PEER_LIST 1 h:1:ONLINE:2"), m).ok());
  EXPECT_EQ(m.origin, "127.0.0.1:9003");
  EXPECT_EQ(m.clock, 4u);
  ASSERT_EQ(m.type(), message_type::peer_list);
  EXPECT_EQ(std::get<peer_list_body>(m.body).entries.size(), 1u);
}

TEST(Codec, ReusingAMessageDropsEntriesOfTheLongerPreviousList) {
  message m = decode_ok("127.0.0.1:9002 3 PEER_LIST 3 a:1:ONLINE:0 b:2:ONLINE:0 c:3:OFFLINE:1");
  ASSERT_TRUE(decode("127.0.0.1:9002 4 PEER_LIST 1 d:4:OFFLINE:9", m).ok());
  const auto& entries = std::get<peer_list_body>(m.body).entries;
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0], (peer_entry{"d:4", peer_status::offline, 9}));
}

TEST(Codec, DecodesPeerListWithTenThousandEntries) {
  peer_list_body b;
  for (std::uint64_t i = 0; i < 10'000; ++i) {
    b.entries.push_back({"10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ":" +
                             std::to_string(1 + i % 60000),
                         i % 2 ? peer_status::online : peer_status::offline, i});
  }
  const message m = make(b, 99);
  EXPECT_EQ(decode_ok(encode(m)), m);
}

TEST(Codec, AcceptsMaximumPeerListEntries) {
  peer_list_body b;
  b.entries.assign(limits::max_peer_list_entries, peer_entry{"h:1", peer_status::online, 0});
  const message m = make(b, 1);
  EXPECT_EQ(decode_ok(encode(m)), m);
}

TEST(Codec, AcceptsFileChunkOfExactlyTheLimit) {
  const message m = make(file_body{"big", 0, 0, std::string(limits::max_chunk_bytes, 'z')}, 1);
  const std::string line = encode(m);
  EXPECT_LE(line.size(), limits::max_line_bytes);
  const message back = decode_ok(line);
  EXPECT_EQ(std::get<file_body>(back.body).data.size(), limits::max_chunk_bytes);
}

// ----------------------------------------------------------------------------------------------
// Quirks of peers in the wild (protocol.md §7): each accepted.

TEST(CodecQuirks, AcceptsTrailingNewline) {
  EXPECT_EQ(decode_ok("127.0.0.1:9002 5 HELLO\n"), (message{"127.0.0.1:9002", 5, hello_body{}}));
}

TEST(CodecQuirks, AcceptsCarriageReturnNewline) {
  EXPECT_EQ(decode_ok("127.0.0.1:9002 5 GET_PEERS\r\n"),
            (message{"127.0.0.1:9002", 5, get_peers_body{}}));
}

TEST(CodecQuirks, CutsAtNulAfterNewline) {
  const std::string line("127.0.0.1:9002 5 BYE\n\0\0garbage", 30);
  EXPECT_EQ(decode_ok(line), (message{"127.0.0.1:9002", 5, bye_body{}}));
}

TEST(CodecQuirks, CutsAtNulWithoutNewline) {
  const std::string line("127.0.0.1:9002 5 LS\0 trailing fields", 36);
  EXPECT_EQ(decode_ok(line), (message{"127.0.0.1:9002", 5, ls_body{}}));
}

TEST(CodecQuirks, AcceptsTrailingSpaces) {
  const message m = decode_ok("127.0.0.1:9002 5 PEER_LIST 1 h:1:ONLINE:3   \r\n");
  ASSERT_EQ(m.type(), message_type::peer_list);
  EXPECT_EQ(std::get<peer_list_body>(m.body).entries,
            (std::vector<peer_entry>{{"h:1", peer_status::online, 3}}));
}

TEST(CodecQuirks, AcceptsRunsOfSpacesBetweenFields) {
  const message m = decode_ok("127.0.0.1:9002   5  DL   a.txt  256    2");
  EXPECT_EQ(m, (message{"127.0.0.1:9002", 5, dl_body{"a.txt", 256, 2}}));
}

TEST(CodecQuirks, AcceptsLeadingSpaces) {
  EXPECT_EQ(decode_ok("  127.0.0.1:9002 5 HELLO"), (message{"127.0.0.1:9002", 5, hello_body{}}));
}

TEST(CodecQuirks, AcceptsPeersListSpelledWithAnS) {
  const message m = decode_ok("127.0.0.1:9002 5 PEERS_LIST 1 h:1:OFFLINE:0");
  ASSERT_EQ(m.type(), message_type::peer_list);
  EXPECT_EQ(std::get<peer_list_body>(m.body).entries.size(), 1u);
  // ...and we answer in the standard spelling.
  EXPECT_EQ(encode(m), "127.0.0.1:9002 5 PEER_LIST 1 h:1:OFFLINE:0");
}

TEST(CodecQuirks, TrustsPeerListEntriesWhenCountIsTooLarge) {
  const message m = decode_ok("127.0.0.1:9002 5 PEER_LIST 5 a:1:ONLINE:0 b:2:OFFLINE:1");
  EXPECT_EQ(std::get<peer_list_body>(m.body).entries.size(), 2u);
}

TEST(CodecQuirks, TrustsPeerListEntriesWhenCountIsTooSmall) {
  const message m = decode_ok("127.0.0.1:9002 5 PEER_LIST 0 a:1:ONLINE:0 b:2:OFFLINE:1");
  EXPECT_EQ(std::get<peer_list_body>(m.body).entries.size(), 2u);
}

TEST(CodecQuirks, TrustsLsListEntriesWhenCountDisagrees) {
  const message m = decode_ok("127.0.0.1:9002 5 LS_LIST 7 a.txt:1");
  EXPECT_EQ(std::get<ls_list_body>(m.body).files, (std::vector<file_entry>{{"a.txt", 1}}));
}

TEST(CodecQuirks, PeerListWithoutCountIsEmpty) {
  const message m = decode_ok("127.0.0.1:9002 5 PEER_LIST\n");
  ASSERT_EQ(m.type(), message_type::peer_list);
  EXPECT_TRUE(std::get<peer_list_body>(m.body).entries.empty());
}

TEST(CodecQuirks, LsListWithoutCountIsEmpty) {
  const message m = decode_ok("127.0.0.1:9002 5 LS_LIST");
  ASSERT_EQ(m.type(), message_type::ls_list);
  EXPECT_TRUE(std::get<ls_list_body>(m.body).files.empty());
}

TEST(CodecQuirks, FileWithoutBase64FieldHasEmptyData) {
  const message m = decode_ok("127.0.0.1:9002 5 FILE a.txt 0 0\n");
  EXPECT_EQ(m, (message{"127.0.0.1:9002", 5, file_body{"a.txt", 0, 0, ""}}));
}

TEST(CodecQuirks, FileKeepsEchoedSizeFieldButDataIsTheDecodedBytes) {
  const message m = decode_ok("127.0.0.1:9002 5 FILE mil.txt 256 3 Zm9v");
  const auto& body = std::get<file_body>(m.body);
  EXPECT_EQ(body.size_field, 256u);
  EXPECT_EQ(body.data, "foo");
}

TEST(CodecQuirks, DlAcceptsAnyNameTokenForTheFileStoreToJudge) {
  const message m = decode_ok("127.0.0.1:9002 5 DL ../../etc/passwd 0 0");
  EXPECT_EQ(std::get<dl_body>(m.body).name, "../../etc/passwd");
}

TEST(CodecQuirks, AcceptsHostNameOrigin) {
  EXPECT_EQ(decode_ok("localhost:9002 1 HELLO").origin, "localhost:9002");
}

// ----------------------------------------------------------------------------------------------
// Malformed lines (protocol.md §6): each refused with its own error.

TEST(CodecMalformed, EmptyLine) {
  EXPECT_EQ(decode_error_of(""), decode_error::empty_line);
}

TEST(CodecMalformed, LineOfOnlyWhitespaceAndNewline) {
  EXPECT_EQ(decode_error_of("   \r\n"), decode_error::empty_line);
}

TEST(CodecMalformed, LineThatIsOnlyANul) {
  EXPECT_EQ(decode_error_of(std::string_view("\0HELLO", 6)), decode_error::empty_line);
}

TEST(CodecMalformed, OneField) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002"), decode_error::too_few_fields);
}

TEST(CodecMalformed, TwoFields) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5\n"), decode_error::too_few_fields);
}

TEST(CodecMalformed, OriginWithoutPort) {
  EXPECT_EQ(decode_error_of("127.0.0.1 5 HELLO"), decode_error::bad_origin);
}

TEST(CodecMalformed, OriginWithPortZero) {
  EXPECT_EQ(decode_error_of("127.0.0.1:0 5 HELLO"), decode_error::bad_origin);
}

TEST(CodecMalformed, OriginWithBadHostCharacter) {
  EXPECT_EQ(decode_error_of("127.0.0.1_x:9000 5 HELLO"), decode_error::bad_origin);
}

TEST(CodecMalformed, ClockWithNonDigits) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5a HELLO"), decode_error::bad_clock);
}

TEST(CodecMalformed, ClockThatOverflows64Bits) {
  const auto status = decode_status_of("127.0.0.1:9002 18446744073709551616 HELLO");
  EXPECT_EQ(status.error, decode_error::bad_clock);
  EXPECT_NE(status.detail.find("64 bits"), std::string::npos) << status.detail;
}

TEST(CodecMalformed, ClockAtTheCeilingIsAcceptedAndOneAboveIsRefused) {
  EXPECT_EQ(decode_ok("127.0.0.1:9002 " + std::to_string(limits::max_clock) + " HELLO").clock,
            limits::max_clock);
  const auto status =
      decode_status_of("127.0.0.1:9002 " + std::to_string(limits::max_clock + 1) + " HELLO");
  EXPECT_EQ(status.error, decode_error::bad_clock);
  EXPECT_NE(status.detail.find("exceeds the limit of 9223372036854775807"), std::string::npos)
      << status.detail;
}

TEST(CodecMalformed, ClockOfUint64MaxAndMaxMinusOneIsRefused) {
  // 2^64 - 1 once wrapped the receiver's clock to 0.
  EXPECT_EQ(decode_error_of("127.0.0.1:47999 18446744073709551615 HELLO"), decode_error::bad_clock);
  EXPECT_EQ(decode_error_of("127.0.0.1:47999 18446744073709551614 HELLO"), decode_error::bad_clock);
}

TEST(CodecMalformed, PeerListEntryClockOverTheCeilingIsABadEntry) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 PEER_LIST 1 h:1:ONLINE:18446744073709551615"),
            decode_error::bad_entry);
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 PEER_LIST 1 h:1:ONLINE:" +
                            std::to_string(limits::max_clock + 1)),
            decode_error::bad_entry);
  const message m =
      decode_ok("127.0.0.1:9002 5 PEER_LIST 1 h:1:ONLINE:" + std::to_string(limits::max_clock));
  EXPECT_EQ(std::get<peer_list_body>(m.body).entries.at(0).clock, limits::max_clock);
}

TEST(CodecMalformed, PeerListEntryWithAHostOverTheLimitIsABadEntry) {
  // One such entry of 30 MB, learned twice, once made our next PEER_LIST a 60 MB line.
  const std::string longest(limits::max_host_bytes, 'h');
  EXPECT_TRUE(decode_status_of("127.0.0.1:9002 5 PEER_LIST 1 " + longest + ":1:ONLINE:0").ok());
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 PEER_LIST 1 " + longest + "h:1:ONLINE:0"),
            decode_error::bad_entry);
  // The 30 MB entry itself: refused on the line's length before the entry is even looked at.
  const std::string huge(30'000'000, 'h');
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 PEER_LIST 1 " + huge + ":1:ONLINE:0"),
            decode_error::line_too_long);
}

TEST(CodecMalformed, OriginWithAHostOverTheLimit) {
  EXPECT_EQ(decode_error_of(std::string(limits::max_host_bytes + 1, 'h') + ":9002 5 HELLO"),
            decode_error::bad_origin);
}

TEST(CodecMalformed, PeerListLineOverTheByteLimitIsRefused) {
  // Entries of 250-byte hosts: few enough for the entry limit, too many bytes.
  const std::string entry = " " + std::string(240, 'h') + ".example:9000:ONLINE:1";
  std::string line = "127.0.0.1:9002 5 PEER_LIST 1";
  while (line.size() <= limits::max_peer_list_bytes) line += entry;
  const auto status = decode_status_of(line);
  EXPECT_EQ(status.error, decode_error::line_too_long);
  EXPECT_NE(status.detail.find("PEER_LIST"), std::string::npos) << status.detail;
}

TEST(Codec, EncodedSizeOfAPeerEntryIsWhatItAddsToTheLine) {
  const peer_entry e{"127.0.0.1:9002", peer_status::offline, 1234};
  const message empty = make(peer_list_body{}, 99);
  const message one = make(peer_list_body{{e}}, 99);
  EXPECT_EQ(encode(one).size() - encode(empty).size(), encoded_size(e));
  EXPECT_EQ(encode(one).size() - encoded_size(e), peer_list_header_size(origin, 99, 1));
}

TEST(CodecMalformed, NegativeClock) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 -1 HELLO"), decode_error::bad_clock);
}

TEST(CodecMalformed, ClockWithPlusSign) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 +1 HELLO"), decode_error::bad_clock);
}

TEST(CodecMalformed, UnknownType) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 PING"), decode_error::unknown_type);
}

TEST(CodecMalformed, TypeInLowerCase) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 hello"), decode_error::unknown_type);
}

TEST(CodecMalformed, PeerListCountNotANumber) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 PEER_LIST x h:1:ONLINE:0"), decode_error::bad_count);
}

TEST(CodecMalformed, PeerListFirstEntryInPlaceOfCount) {
  // N is optional only when there is nothing at all after the type.
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 PEER_LIST h:1:ONLINE:0"), decode_error::bad_count);
}

TEST(CodecMalformed, PeerListCountOverLimit) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 PEER_LIST " +
                            std::to_string(limits::max_peer_list_entries + 1)),
            decode_error::bad_count);
}

TEST(CodecMalformed, PeerListWithMoreEntriesThanTheLimit) {
  std::string line = "127.0.0.1:9002 5 PEER_LIST 1";
  for (std::size_t i = 0; i <= limits::max_peer_list_entries; ++i) line += " h:1:ONLINE:0";
  EXPECT_EQ(decode_error_of(line), decode_error::bad_count);
}

TEST(CodecMalformed, LsListCountNotANumber) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 LS_LIST -1"), decode_error::bad_count);
}

TEST(CodecMalformed, LsListCountOverLimit) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 LS_LIST " +
                            std::to_string(limits::max_ls_list_entries + 1)),
            decode_error::bad_count);
}

TEST(CodecMalformed, LsListWithMoreEntriesThanTheLimit) {
  std::string line = "127.0.0.1:9002 5 LS_LIST 0";
  for (std::size_t i = 0; i <= limits::max_ls_list_entries; ++i) line += " a:1";
  EXPECT_EQ(decode_error_of(line), decode_error::bad_count);
}

TEST(CodecMalformed, PeerListEntryWithThreeFieldsNamesTheEntry) {
  const auto status =
      decode_status_of("127.0.0.1:9002 5 PEER_LIST 3 a:1:ONLINE:0 b:2:ONLINE:0 1.2.3.4:5:ONLINE");
  EXPECT_EQ(status.error, decode_error::bad_entry);
  EXPECT_EQ(status.detail, "PEER_LIST entry 3 '1.2.3.4:5:ONLINE' needs 4 ':'-separated fields");
}

TEST(CodecMalformed, PeerListEntryWithFiveFields) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 PEER_LIST 1 h:1:ONLINE:0:9"),
            decode_error::bad_entry);
}

TEST(CodecMalformed, PeerListEntryWithBadAddress) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 PEER_LIST 1 h:0:ONLINE:0"), decode_error::bad_entry);
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 PEER_LIST 1 :1:ONLINE:0"), decode_error::bad_entry);
}

TEST(CodecMalformed, PeerListEntryWithUnknownStatus) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 PEER_LIST 1 h:1:AWAY:0"), decode_error::bad_entry);
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 PEER_LIST 1 h:1:online:0"), decode_error::bad_entry);
}

TEST(CodecMalformed, PeerListEntryWithNonNumericClock) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 PEER_LIST 1 h:1:ONLINE:x"), decode_error::bad_entry);
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 PEER_LIST 1 h:1:ONLINE:"), decode_error::bad_entry);
}

TEST(CodecMalformed, LsListEntryWithoutColon) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 LS_LIST 1 a.txt"), decode_error::bad_entry);
}

TEST(CodecMalformed, LsListEntryWithEmptyName) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 LS_LIST 1 :12"), decode_error::bad_entry);
}

TEST(CodecMalformed, LsListEntryWithNonNumericSize) {
  const auto status = decode_status_of("127.0.0.1:9002 5 LS_LIST 2 a.txt:1 b.txt:1k");
  EXPECT_EQ(status.error, decode_error::bad_entry);
  EXPECT_NE(status.detail.find("LS_LIST entry 2 'b.txt:1k'"), std::string::npos) << status.detail;
}

TEST(CodecMalformed, LsListEntryWithOverlongName) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 LS_LIST 1 " +
                            std::string(limits::max_file_name_bytes + 1, 'n') + ":1"),
            decode_error::bad_entry);
}

TEST(CodecMalformed, DlWithMissingArguments) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 DL a.txt 256"), decode_error::bad_argument);
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 DL"), decode_error::bad_argument);
}

TEST(CodecMalformed, DlWithExtraArgument) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 DL a.txt 256 0 x"), decode_error::bad_argument);
}

TEST(CodecMalformed, DlWithNonNumericChunkSize) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 DL a.txt big 0"), decode_error::bad_argument);
}

TEST(CodecMalformed, DlWithNonNumericChunkIndex) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 DL a.txt 256 -1"), decode_error::bad_argument);
}

TEST(CodecMalformed, DlWithChunkSizeOverLimit) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 DL a.txt " +
                            std::to_string(limits::max_chunk_bytes + 1) + " 0"),
            decode_error::bad_argument);
}

TEST(CodecMalformed, FileWithMissingArguments) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 FILE a.txt 3"), decode_error::bad_argument);
}

TEST(CodecMalformed, FileWithExtraArgument) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 FILE a.txt 3 0 Zm9v Zm9v"),
            decode_error::bad_argument);
}

TEST(CodecMalformed, FileWithNonNumericSize) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 FILE a.txt three 0 Zm9v"),
            decode_error::bad_argument);
}

TEST(CodecMalformed, FileWithNonNumericIndex) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 FILE a.txt 3 x Zm9v"), decode_error::bad_argument);
}

TEST(CodecMalformed, FileWithBadBase64) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 FILE a.txt 3 0 Zm9"), decode_error::bad_base64);
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 FILE a.txt 3 0 Zm9*"), decode_error::bad_base64);
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 FILE a.txt 3 0 Zg==Zg=="), decode_error::bad_base64);
}

TEST(CodecMalformed, FileChunkOneByteOverTheLimit) {
  const std::string data(limits::max_chunk_bytes + 1, 'z');
  const std::string line = "127.0.0.1:9002 5 FILE big 0 0 " + base64::encode(data);
  ASSERT_LE(line.size(), limits::max_line_bytes);
  EXPECT_EQ(decode_error_of(line), decode_error::bad_argument);
}

TEST(CodecMalformed, FileBase64LongerThanTheLargestChunk) {
  const std::string data(limits::max_chunk_bytes + 4, 'z');
  const std::string line = "127.0.0.1:9002 5 FILE big 0 0 " + base64::encode(data);
  ASSERT_LE(line.size(), limits::max_line_bytes);
  EXPECT_EQ(decode_error_of(line), decode_error::bad_argument);
}

TEST(CodecMalformed, HelloWithExtraField) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 HELLO x"), decode_error::trailing_garbage);
}

TEST(CodecMalformed, GetPeersWithExtraField) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 GET_PEERS 0"), decode_error::trailing_garbage);
}

TEST(CodecMalformed, ByeWithExtraField) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 BYE now\n"), decode_error::trailing_garbage);
}

TEST(CodecMalformed, LsWithExtraField) {
  EXPECT_EQ(decode_error_of("127.0.0.1:9002 5 LS *"), decode_error::trailing_garbage);
}

TEST(CodecMalformed, LineLongerThanTheLimit) {
  std::string line = "127.0.0.1:9002 5 HELLO ";
  line.resize(limits::max_line_bytes + 1, 'x');
  EXPECT_EQ(decode_error_of(line), decode_error::line_too_long);
}

TEST(CodecMalformed, DetailEscapesControlCharactersAndTruncatesLongValues) {
  std::string origin_field = "bad\x01\x1b[31m";
  origin_field.append(1000, 'o');
  const auto status = decode_status_of(origin_field + " 5 HELLO");
  EXPECT_EQ(status.error, decode_error::bad_origin);
  EXPECT_LT(status.detail.size(), 200u) << status.detail;
  for (char c : status.detail) {
    EXPECT_GE(static_cast<unsigned char>(c), 0x20) << status.detail;
    EXPECT_NE(static_cast<unsigned char>(c), 0x7F) << status.detail;
  }
  EXPECT_NE(status.detail.find("\\x01"), std::string::npos) << status.detail;
}

TEST(CodecMalformed, EveryErrorHasAPhrase) {
  for (int e = 0; e <= static_cast<int>(decode_error::trailing_garbage); ++e) {
    const auto phrase = to_string(static_cast<decode_error>(e));
    EXPECT_FALSE(phrase.empty());
    EXPECT_NE(phrase, "unknown decode error");
  }
  EXPECT_EQ(to_string(decode_error::bad_clock), "bad clock field");
}

// ----------------------------------------------------------------------------------------------
// File name safety.

TEST(FileNameSafety, AcceptsOrdinaryNames) {
  EXPECT_TRUE(is_safe_file_name("ok.txt"));
  EXPECT_TRUE(is_safe_file_name(".hidden"));
  EXPECT_TRUE(is_safe_file_name("a..b"));
  EXPECT_TRUE(is_safe_file_name(std::string(limits::max_file_name_bytes, 'a')));
}

TEST(FileNameSafety, AcceptsColonBecauseTheWireSplitsAtTheLastOne) {
  EXPECT_TRUE(is_safe_file_name("a:b.txt"));
}

TEST(FileNameSafety, RejectsDotAndDotDot) {
  EXPECT_FALSE(is_safe_file_name("."));
  EXPECT_FALSE(is_safe_file_name(".."));
}

TEST(FileNameSafety, RejectsPathSeparators) {
  EXPECT_FALSE(is_safe_file_name("a/b"));
  EXPECT_FALSE(is_safe_file_name("/etc/passwd"));
  EXPECT_FALSE(is_safe_file_name("a\\b"));
  EXPECT_FALSE(is_safe_file_name("../x"));
}

TEST(FileNameSafety, RejectsNulSpaceAndControlCharacters) {
  EXPECT_FALSE(is_safe_file_name(std::string_view("a\0b", 3)));
  EXPECT_FALSE(is_safe_file_name("a b"));
  EXPECT_FALSE(is_safe_file_name("a\tb"));
  EXPECT_FALSE(is_safe_file_name("a\nb"));
  EXPECT_FALSE(is_safe_file_name("a\x7f"));
}

TEST(FileNameSafety, RejectsEmptyAndOverlongNames) {
  EXPECT_FALSE(is_safe_file_name(""));
  EXPECT_FALSE(is_safe_file_name(std::string(256, 'a')));
}

// ----------------------------------------------------------------------------------------------
// PEER_LIST written piece by piece, and entries off the decoder's common path.

TEST(Codec, PeerListWrittenPieceByPieceIsTheEncodedLine) {
  peer_list_body list;
  list.entries = {
      {"127.0.0.1:9002", peer_status::online, 0},
      {"a-b.example:65535", peer_status::offline, 9},
      {"10.0.0.1:1024", peer_status::online, 10},
      {"h:1", peer_status::offline, limits::max_clock},
  };
  const message m = make(list, 123456789);
  std::string pieces;
  append_peer_list_header(pieces, m.origin, m.clock, list.entries.size());
  std::size_t size = peer_list_header_size(m.origin, m.clock, list.entries.size());
  for (const peer_entry& e : list.entries) {
    append_peer_entry(pieces, e.address, e.status, e.clock);
    size += encoded_size(e);
  }
  EXPECT_EQ(pieces, encode(m));
  EXPECT_EQ(pieces.size(), size);
}

TEST(Codec, DecimalWidthIsTheDigitCountToCharsWritesAroundEveryPowerOfTen) {
  std::vector<std::uint64_t> values = {0, std::numeric_limits<std::uint64_t>::max()};
  for (std::uint64_t p = 1;; p *= 10) {
    values.insert(values.end(), {p - 1, p, p + 1, 2 * p - 1});
    if (p > std::numeric_limits<std::uint64_t>::max() / 10) break;
  }
  for (const std::uint64_t v : values) {
    char digits[24];
    const auto written = std::to_chars(digits, digits + sizeof digits, v).ptr - digits;
    EXPECT_EQ(decimal_width(v), static_cast<std::size_t>(written)) << v;
  }
}

TEST(Codec, PeerEntryWrittenInPlaceMatchesAppendForEveryAddressLength) {
  // write_peer_entry copies short pieces with fixed-size moves whose choice depends on the length
  // (under 4, 4-7, 8-15, 16-32, longer): every length from 3 to 60 bytes, with clocks of 1, 2, 10
  // and 19 digits, must give append_peer_entry's bytes and end exactly at encoded_size().
  for (std::size_t host = 1; host <= 54; ++host) {
    std::string address(host, 'h');
    for (std::size_t i = 0; i < host; ++i) address[i] = static_cast<char>('a' + i % 26);
    address += ":1";
    if (host % 3 == 0) address += "2345";
    for (const std::uint64_t clock :
         {std::uint64_t{0}, std::uint64_t{42}, std::uint64_t{1000000000}, limits::max_clock}) {
      for (const peer_status status : {peer_status::online, peer_status::offline}) {
        const peer_entry e{address, status, clock};
        std::string appended = "x";
        append_peer_entry(appended, address, status, clock);
        std::string written(1 + encoded_size(e) + 8, '#');
        written[0] = 'x';
        const char* end = write_peer_entry(written.data() + 1, address, status, clock);
        ASSERT_EQ(static_cast<std::size_t>(end - written.data()), 1 + encoded_size(e)) << address;
        // Nothing is written past the entry.
        EXPECT_EQ(written.substr(1 + encoded_size(e)), std::string(8, '#')) << address;
        written.resize(1 + encoded_size(e));
        EXPECT_EQ(written, appended) << address << " " << clock;
      }
    }
  }
}

TEST(Codec, PeerEntryClocksAreWrittenAsToCharsWritesThemAtEveryWidth) {
  // write_peer_entry writes a clock below 10^8 eight digits at once (codec_detail::eight_digits)
  // and copies the significant ones: every clock up to 99,999, the neighbours of every power of
  // ten, and pseudo-random clocks of every width below 10^8, against std::to_chars.
  std::vector<std::uint64_t> clocks;
  for (std::uint64_t c = 0; c < 100'000; ++c) clocks.push_back(c);
  for (std::uint64_t p = 10; p <= limits::max_clock / 10; p *= 10) {
    clocks.insert(clocks.end(), {p - 1, p, p + 1, 2 * p - 1, 9 * p + p - 1});
  }
  clocks.push_back(limits::max_clock);
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < 200'000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    clocks.push_back(x % (std::uint64_t{1} << (1 + i % 27)));  // widths 1 to 9
  }
  const std::string address = "10.0.0.1:5000";
  for (const std::uint64_t clock : clocks) {
    for (const peer_status status : {peer_status::online, peer_status::offline}) {
      char digits[24];
      const char* end = std::to_chars(digits, digits + sizeof digits, clock).ptr;
      const std::string expected = " " + address + ":" + std::string(to_string(status)) + ":" +
                                   std::string(static_cast<const char*>(digits), end);
      std::string written(expected.size() + 8, '#');
      const char* w = write_peer_entry(written.data(), address, status, clock);
      ASSERT_EQ(static_cast<std::size_t>(w - written.data()), expected.size()) << clock;
      ASSERT_EQ(written.substr(0, expected.size()), expected) << clock;
      ASSERT_EQ(written.substr(expected.size()), std::string(8, '#')) << clock;  // nothing past it
    }
  }
}

TEST(Codec, WideEntriesInARowStopWhereTheSpacingOrTheEntryChanges) {
  // decode_peer_list runs from one wide entry to the next while a single space separates them;
  // a run of spaces, a trailing space, an entry off the wide path or a bad entry hands back to
  // the field cursor. Each line decodes to the same entries as the same list with single
  // spaces, or fails naming the same entry.
  const std::string a = "192.168.100.200:40001:ONLINE:12";
  const std::string b = "192.168.100.201:40002:OFFLINE:3456789";
  const std::string c = "192.168.100.202:40003:ONLINE:1234567890123";  // clock past 8 digits
  const std::string d = "h:1:ONLINE:0";                                // short
  const std::vector<peer_entry> want = {
      {"192.168.100.200:40001", peer_status::online, 12},
      {"192.168.100.201:40002", peer_status::offline, 3456789},
      {"192.168.100.202:40003", peer_status::online, 1234567890123},
      {"h:1", peer_status::online, 0},
      {"192.168.100.200:40001", peer_status::online, 12}};
  const std::string head = "127.0.0.1:9002 5 PEER_LIST 5 ";
  for (const std::string& list :
       {a + " " + b + " " + c + " " + d + " " + a, a + "  " + b + " " + c + "   " + d + " " + a,
        a + " " + b + " " + c + " " + d + " " + a + " ",
        a + " " + b + " " + c + " " + d + " " + a + "   ",
        " " + a + " " + b + "  " + c + " " + d + "  " + a + "  "}) {
    const message m = decode_ok(head + list);
    EXPECT_EQ(std::get<peer_list_body>(m.body).entries, want) << list;
  }
  // A long entry last, ending the line with no space after it.
  const message last = decode_ok(head + a + " " + c);
  ASSERT_EQ(std::get<peer_list_body>(last.body).entries.size(), 2u);
  EXPECT_EQ(std::get<peer_list_body>(last.body).entries[1], want[2]);
  // A bad third entry between wide ones: the error names entry 3.
  const decode_status bad =
      decode_status_of(head + a + " " + b + " " + "192.168.100.202:40003:AWAY:1 " + a + " " + a);
  EXPECT_EQ(bad.error, decode_error::bad_entry);
  EXPECT_NE(bad.detail.find("entry 3"), std::string::npos) << bad.detail;
}

TEST(Codec, PeerEntryBookIdIsNeitherOnTheWireNorCompared) {
  peer_list_body with_id;
  with_id.entries = {{"127.0.0.1:9002", peer_status::online, 4, 17}};
  peer_list_body without_id;
  without_id.entries = {{"127.0.0.1:9002", peer_status::online, 4}};
  EXPECT_EQ(encode(make(with_id)), encode(make(without_id)));
  EXPECT_EQ(with_id, without_id);
  // Decoding into a message that held a node's entries clears their ids.
  message reused = make(with_id);
  ASSERT_TRUE(decode(encode(make(with_id)), reused).ok());
  EXPECT_EQ(std::get<peer_list_body>(reused.body).entries[0].book_id, no_book_id);
}

TEST(Codec, EntriesOffTheCommonPathDecodeAsBefore) {
  // Leading zeros, a 19-digit clock, runs of spaces, a host name: each decodes as it always did.
  const message m = decode_ok(
      "127.0.0.1:9002 5 PEER_LIST 4 a:1:ONLINE:0   b:00007:OFFLINE:007 "
      "h-1.example:65535:OFFLINE:9223372036854775807 c:2:ONLINE:18");
  const auto& entries = std::get<peer_list_body>(m.body).entries;
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0], (peer_entry{"a:1", peer_status::online, 0}));
  EXPECT_EQ(entries[1], (peer_entry{"b:00007", peer_status::offline, 7}));
  EXPECT_EQ(entries[2], (peer_entry{"h-1.example:65535", peer_status::offline, limits::max_clock}));
  EXPECT_EQ(entries[3], (peer_entry{"c:2", peer_status::online, 18}));
}

TEST(Codec, BadEntryAfterGoodOnesIsNamedWithItsPosition) {
  const auto port = decode_status_of("127.0.0.1:9002 5 PEER_LIST 2 a:1:ONLINE:0 b:65536:ONLINE:0");
  EXPECT_EQ(port.error, decode_error::bad_entry);
  EXPECT_EQ(port.detail, "PEER_LIST entry 2 'b:65536:ONLINE:0' has an invalid host:port address");
  const auto clock = decode_status_of("127.0.0.1:9002 5 PEER_LIST 2 a:1:ONLINE:0 b:1:ONLINE:1x");
  EXPECT_EQ(clock.error, decode_error::bad_entry);
  EXPECT_EQ(clock.detail,
            "PEER_LIST entry 2 'b:1:ONLINE:1x' has a clock that is not a non-negative decimal "
            "number");
  const auto status = decode_status_of("127.0.0.1:9002 5 PEER_LIST 2 a:1:ONLINE:0 b:1:ONLINE");
  EXPECT_EQ(status.detail, "PEER_LIST entry 2 'b:1:ONLINE' needs 4 ':'-separated fields");
}

TEST(Codec, LineEndsAtTheFirstNulOrNewlineWhicheverComesFirst) {
  const message nul_first =
      decode_ok(std::string_view("127.0.0.1:9002 5 PEER_LIST 1 h:1:ONLINE:3\0x y\nz", 47));
  EXPECT_EQ(std::get<peer_list_body>(nul_first.body).entries.size(), 1u);
  const message newline_first =
      decode_ok(std::string_view("127.0.0.1:9002 5 PEER_LIST 1 h:1:ONLINE:3\nx y\0z", 47));
  EXPECT_EQ(std::get<peer_list_body>(newline_first.body).entries.size(), 1u);
  EXPECT_EQ(std::get<peer_list_body>(newline_first.body).entries[0].clock, 3u);
}

}  // namespace
}  // namespace eachare

namespace eachare {
namespace {

// An entry followed by at least 32 more bytes is decoded by classifying 32 bytes at once; the
// last entry of a line, shorter than that, byte by byte. Both ways must accept and reject the
// same entries with the same result, so every entry below is decoded both first (wide) and last
// (byte-wise) in a two-entry list and the outcomes compared.
TEST(Codec, PeerEntriesDecodeTheSameWhereverTheyStandInTheLine) {
  const std::string host30(30, 'a');
  const std::vector<std::string> entries = {
      "10.0.19.136:5999:ONLINE:12345",
      "a:1:OFFLINE:0",
      "Host-Name.Example:65535:ONLINE:999999999999999999",  // 18-digit clock
      "h:1:ONLINE:1234567890123456789",                     // 19 digits
      "h:65536:ONLINE:1",
      "h:0:ONLINE:1",
      "h:00000:ONLINE:1",
      "h:09000:ONLINE:1",
      "h:123456:ONLINE:1",
      host30 + ":9000:ONLINE:7",
      host30 + "b:9000:ONLINE:7",  // 31 bytes of host: past the window
      host30 + ":12345:OFFLINE:7",
      "h_x:9000:ONLINE:1",
      "h\xc3\xa9:9000:ONLINE:1",
      ":9000:ONLINE:1",
      "h::ONLINE:1",
      "h:9000:online:1",
      "h:9000:ONLINE:",
      "h:9000:ONLINE:1x",
      "h:9000:ONLINE:1:2",
      "h:9000:OFFLINEX:1",
      "h:9000",
      "h@:9000:ONLINE:1",
      "h[:9000:ONLINE:1",
      "h`:9000:ONLINE:1",
      "h{:9000:ONLINE:1",
  };
  const std::string other = "192.168.100.200:40000:OFFLINE:4242424242";
  for (const std::string& e : entries) {
    message first, last;
    const decode_status a = decode("127.0.0.1:9001 3 PEER_LIST 2 " + e + " " + other, first);
    const decode_status b = decode("127.0.0.1:9001 3 PEER_LIST 2 " + other + " " + e, last);
    ASSERT_EQ(a.ok(), b.ok()) << e << ": " << a.detail << " / " << b.detail;
    if (!a.ok()) continue;
    const auto& x = std::get<peer_list_body>(first.body).entries;
    const auto& y = std::get<peer_list_body>(last.body).entries;
    ASSERT_EQ(x.size(), 2u);
    ASSERT_EQ(y.size(), 2u);
    EXPECT_EQ(x[0], y[1]) << e;
    EXPECT_EQ(x[1], y[0]) << e;
  }
  // The ones that are valid decode to what they say.
  message m;
  ASSERT_TRUE(decode("o:1 3 PEER_LIST 2 10.0.19.136:5999:ONLINE:12345 " + other, m).ok());
  const auto& got = std::get<peer_list_body>(m.body).entries;
  EXPECT_EQ(got[0], (peer_entry{"10.0.19.136:5999", peer_status::online, 12345}));
  EXPECT_EQ(got[1], (peer_entry{"192.168.100.200:40000", peer_status::offline, 4242424242}));
}

TEST(Codec, PeerEntryClocksOfEveryWidthDecodeToTheirValueWhereverTheyStand) {
  // Clocks of 1 to 18 digits (the 32-byte path reads up to 8 at once, then goes byte-wise), with
  // leading zeros, behind addresses short and long enough to end the entry inside the 32 bytes
  // or past them; the same entry decoded ahead of a long one and at the line's end.
  const std::string other = "192.168.100.200:40000:OFFLINE:4242424242";
  // 10.0.0.1:1024 then 10.0.0.2:1025: the reused entry's address is overwritten in place by
  // another of the same length.
  const std::vector<std::string> addresses = {"h:1", "10.0.0.1:1024", "10.0.0.2:1025",
                                              "10.0.19.136:59999", "host-name.example.org:9000"};
  message first, last;  // reused across the loop, as the simulator reuses its decoded replies
  for (const std::string& address : addresses) {
    for (const char* status : {"ONLINE", "OFFLINE"}) {
      std::uint64_t value = 0;
      std::string digits;
      for (int width = 1; width <= 18; ++width) {
        const char d = static_cast<char>('0' + (width * 7) % 10);
        digits.push_back(d);
        value = value * 10 + static_cast<std::uint64_t>(d - '0');
        for (const std::string& clock : {digits, "000" + digits}) {
          const std::string e = address + ":" + status + ":" + clock;
          ASSERT_TRUE(decode("o:1 3 PEER_LIST 2 " + e + " " + other, first).ok()) << e;
          ASSERT_TRUE(decode("o:1 3 PEER_LIST 2 " + other + " " + e, last).ok()) << e;
          const peer_entry want{
              address, status[1] == 'N' ? peer_status::online : peer_status::offline, value};
          EXPECT_EQ(std::get<peer_list_body>(first.body).entries.at(0), want) << e;
          EXPECT_EQ(std::get<peer_list_body>(last.body).entries.at(1), want) << e;
        }
      }
    }
  }
}

}  // namespace
}  // namespace eachare
