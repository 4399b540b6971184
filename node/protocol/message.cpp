#include "node/protocol/message.hpp"

namespace eachare {

std::string_view to_string(message_type t) {
  switch (t) {
    case message_type::hello:
      return "HELLO";
    case message_type::get_peers:
      return "GET_PEERS";
    case message_type::peer_list:
      return "PEER_LIST";
    case message_type::bye:
      return "BYE";
    case message_type::ls:
      return "LS";
    case message_type::ls_list:
      return "LS_LIST";
    case message_type::dl:
      return "DL";
    case message_type::file:
      return "FILE";
  }
  return "UNKNOWN";
}

}  // namespace eachare
