// Fuzz target: base64 decode of any text; where it decodes, the bytes survive another encode and
// decode; and any bytes, encoded, decode back to themselves.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "node/protocol/base64.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string raw;
  if (eachare::base64::decode_to(text, raw)) {
    FUZZ_CHECK(raw.size() <= text.size(), "decoding never grows the text");
    const std::string back = eachare::base64::encode(raw);
    std::string again;
    FUZZ_CHECK(eachare::base64::decode_to(back, again) && again == raw,
               "decode(encode(decode(x))) == decode(x)");
  }
  // Any bytes encode, and decode back to themselves.
  const std::string encoded = eachare::base64::encode(text);
  FUZZ_CHECK(encoded.size() == eachare::base64::encoded_size(text.size()), "encoded_size");
  std::string decoded;
  FUZZ_CHECK(eachare::base64::decode_to(encoded, decoded) && decoded == text,
             "decode(encode(x)) == x");
  return 0;
}
