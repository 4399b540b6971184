#include "node/core/errors.hpp"

#include <string>

namespace eachare {
namespace {

class eachare_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "eachare"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::ok:
        return "success";
      case errc::connection_refused:
        return "connection refused";
      case errc::timed_out:
        return "timed out";
      case errc::connection_reset:
        return "connection reset";
      case errc::closed_without_reply:
        return "connection closed without a reply";
      case errc::line_too_long:
        return "line too long";
      case errc::malformed_reply:
        return "malformed reply";
      case errc::unexpected_reply:
        return "unexpected reply";
      case errc::unreachable:
        return "unreachable";
      case errc::cancelled:
        return "cancelled";
      case errc::not_found:
        return "no such file";
      case errc::invalid_name:
        return "invalid file name";
      case errc::not_regular_file:
        return "not a regular file";
      case errc::io_error:
        return "input/output error";
      case errc::too_large:
        return "too large";
      case errc::out_of_descriptors:
        return "too many open files here (local EMFILE/ENFILE)";
    }
    return "unknown eachare error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& eachare_category() noexcept {
  // A function-local static: one category object, so error_code comparison by address works.
  static const eachare_error_category category;
  return category;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), eachare_category()};
}

}  // namespace eachare
