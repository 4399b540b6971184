#include "node/protocol/base64.hpp"

#include <gtest/gtest.h>

#include <string>

namespace eachare {
namespace {

struct vector_case {
  const char* raw;
  const char* encoded;
};

// RFC 4648 §10.
constexpr vector_case rfc_vectors[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

std::string decoded(std::string_view text) {
  std::string out;
  EXPECT_TRUE(base64::decode_to(text, out)) << text;
  return out;
}

bool rejects(std::string_view text) {
  std::string out;
  return !base64::decode_to(text, out);
}

TEST(Base64, EncodesRfc4648Vectors) {
  for (const auto& v : rfc_vectors) EXPECT_EQ(base64::encode(v.raw), v.encoded) << v.raw;
}

TEST(Base64, DecodesRfc4648Vectors) {
  for (const auto& v : rfc_vectors) EXPECT_EQ(decoded(v.encoded), v.raw) << v.encoded;
}

TEST(Base64, EncodedSizeMatchesOutput) {
  for (std::size_t n = 0; n < 20; ++n) {
    EXPECT_EQ(base64::encode(std::string(n, 'x')).size(), base64::encoded_size(n)) << n;
  }
}

TEST(Base64, RoundTripsEveryByteValue) {
  std::string raw;
  for (int i = 0; i < 256; ++i) raw.push_back(static_cast<char>(i));
  // Every length 0..256 so each padding case sees every byte in every position.
  for (std::size_t n = 0; n <= raw.size(); ++n) {
    const std::string_view part(raw.data(), n);
    EXPECT_EQ(decoded(base64::encode(part)), part) << n;
  }
}

TEST(Base64, EncodesHighBytesWithTheStandardAlphabet) {
  EXPECT_EQ(base64::encode(std::string("\xfb\xff\xbf", 3)), "+/+/");
  EXPECT_EQ(base64::encode(std::string("\0\0\0", 3)), "AAAA");
}

TEST(Base64, EncodeAndDecodeAppendToExistingContent) {
  std::string out = "prefix ";
  base64::encode_to("foo", out);
  EXPECT_EQ(out, "prefix Zm9v");
  std::string raw = "x";
  ASSERT_TRUE(base64::decode_to("Zm9v", raw));
  EXPECT_EQ(raw, "xfoo");
}

TEST(Base64, RejectsLengthNotMultipleOfFour) {
  EXPECT_TRUE(rejects("Z"));
  EXPECT_TRUE(rejects("Zm9"));
  EXPECT_TRUE(rejects("Zm9vY"));
  EXPECT_TRUE(rejects("Zg="));
}

TEST(Base64, RejectsCharactersOutsideTheAlphabet) {
  EXPECT_TRUE(rejects("Zm9*"));
  EXPECT_TRUE(rejects("Zm-v"));  // URL-safe alphabet is not ours
  EXPECT_TRUE(rejects("Zm_v"));
  EXPECT_TRUE(rejects("Zm9v Zm9v"));
  EXPECT_TRUE(rejects("Zm9\n"));
  EXPECT_TRUE(rejects(std::string_view("Zm9\0", 4)));
  EXPECT_TRUE(rejects("Zm9\xff"));
}

TEST(Base64, RejectsMisplacedPadding) {
  EXPECT_TRUE(rejects("===="));
  EXPECT_TRUE(rejects("Z==="));
  EXPECT_TRUE(rejects("Zg=A"));
  EXPECT_TRUE(rejects("Z=g="));
  EXPECT_TRUE(rejects("Zg==Zm9v"));  // padding in a quartet that is not the last
  EXPECT_TRUE(rejects("Zm8=Zm9v"));
}

TEST(Base64, DecodesALargeBufferExactly) {
  std::string raw(100'003, '\0');
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<char>((i * 131 + 7) & 0xFF);
  const std::string text = base64::encode(raw);
  EXPECT_EQ(text.size(), base64::encoded_size(raw.size()));
  EXPECT_EQ(decoded(text), raw);
}

}  // namespace
}  // namespace eachare
