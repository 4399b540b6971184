// Fuzz target: codec decode of any line; where it decodes, encode(decode(x)) decodes again to the
// same message and encodes to the same line (the codec's round trip). The one field encode does
// not copy is FILE's size, which it writes as the real byte count (protocol.md §2).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz/fuzz_check.hpp"
#include "node/protocol/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  eachare::message m;
  const auto status = eachare::decode(line, m);
  if (!status.ok()) {
    FUZZ_CHECK(status.detail.find('\n') == std::string::npos, "a decode error is one line");
    return 0;
  }
  const std::string encoded = eachare::encode(m);
  FUZZ_CHECK(encoded.find('\n') == std::string::npos, "an encoded message is one line");
  eachare::message again;
  const auto status2 = eachare::decode(encoded, again);
  FUZZ_CHECK(status2.ok(), "what encode writes decodes");
  if (auto* f = std::get_if<eachare::file_body>(&m.body)) f->size_field = f->data.size();
  FUZZ_CHECK(again == m, "decode(encode(m)) == m");
  FUZZ_CHECK(eachare::encode(again) == encoded, "encode is stable over the round trip");
  return 0;
}
