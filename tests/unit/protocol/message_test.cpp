#include "node/protocol/message.hpp"

#include <gtest/gtest.h>

namespace eachare {
namespace {

TEST(Message, StatusSpellings) {
  EXPECT_EQ(to_string(peer_status::online), "ONLINE");
  EXPECT_EQ(to_string(peer_status::offline), "OFFLINE");
}

TEST(Message, TypeSpellings) {
  EXPECT_EQ(to_string(message_type::hello), "HELLO");
  EXPECT_EQ(to_string(message_type::get_peers), "GET_PEERS");
  EXPECT_EQ(to_string(message_type::peer_list), "PEER_LIST");
  EXPECT_EQ(to_string(message_type::bye), "BYE");
  EXPECT_EQ(to_string(message_type::ls), "LS");
  EXPECT_EQ(to_string(message_type::ls_list), "LS_LIST");
  EXPECT_EQ(to_string(message_type::dl), "DL");
  EXPECT_EQ(to_string(message_type::file), "FILE");
}

TEST(Message, TypeFollowsTheBodyAlternative) {
  message m;
  m.body = dl_body{"a.txt", 256, 1};
  EXPECT_EQ(m.type(), message_type::dl);
  m.body = peer_list_body{};
  EXPECT_EQ(m.type(), message_type::peer_list);
}

TEST(Message, RequestsAndTheirReplies) {
  EXPECT_TRUE(expects_reply(message_type::get_peers));
  EXPECT_TRUE(expects_reply(message_type::ls));
  EXPECT_TRUE(expects_reply(message_type::dl));
  EXPECT_FALSE(expects_reply(message_type::hello));
  EXPECT_FALSE(expects_reply(message_type::bye));
  EXPECT_EQ(reply_type_for(message_type::get_peers), message_type::peer_list);
  EXPECT_EQ(reply_type_for(message_type::ls), message_type::ls_list);
  EXPECT_EQ(reply_type_for(message_type::dl), message_type::file);
  EXPECT_TRUE(is_reply_type(message_type::file));
  EXPECT_FALSE(is_reply_type(message_type::dl));
}

}  // namespace
}  // namespace eachare
