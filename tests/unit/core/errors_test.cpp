#include "node/core/errors.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace eachare {
namespace {

TEST(Errors, CategoryIsNamedEachare) {
  EXPECT_STREQ(eachare_category().name(), "eachare");
  EXPECT_EQ(&make_error_code(errc::timed_out).category(), &eachare_category());
}

TEST(Errors, EveryCodeHasItsOwnMessage) {
  std::set<std::string> seen;
  for (int v = 0; v <= static_cast<int>(errc::too_large); ++v) {
    const std::string text = make_error_code(static_cast<errc>(v)).message();
    EXPECT_FALSE(text.empty()) << v;
    EXPECT_TRUE(seen.insert(text).second) << "duplicate message " << text;
  }
  EXPECT_EQ(make_error_code(errc::connection_refused).message(), "connection refused");
}

TEST(Errors, EnumConvertsImplicitlyToErrorCode) {
  std::error_code ec = errc::not_found;
  EXPECT_TRUE(ec);
  EXPECT_EQ(ec, errc::not_found);
  EXPECT_NE(ec, errc::io_error);
  EXPECT_NE(ec, std::make_error_code(std::errc::no_such_file_or_directory));
  std::error_code ok = errc::ok;
  EXPECT_EQ(ok.value(), 0);
}

TEST(Errors, UnknownValueStillDescribesItself) {
  const std::error_code ec(999, eachare_category());
  EXPECT_NE(ec.message().find("999"), std::string::npos);
}

}  // namespace
}  // namespace eachare
