// Fuzz target: the scenario loader on YAML text. Any input ends in a scenario or a
// scenario_error whose every line is `file:line:col: ...` — never a crash, a hang, or another
// exception (which would escape this function and abort).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "sim/scenario/loader.hpp"

namespace {

// "f.yaml:L:C: <something>" with L, C >= 1.
bool is_error_line(std::string_view l) {
  const std::string_view prefix = "f.yaml:";
  if (l.substr(0, prefix.size()) != prefix) return false;
  l.remove_prefix(prefix.size());
  for (int field = 0; field < 2; ++field) {
    std::size_t digits = 0;
    while (digits < l.size() && l[digits] >= '0' && l[digits] <= '9') ++digits;
    if (digits == 0 || l[0] == '0' || digits >= l.size() || l[digits] != ':') return false;
    l.remove_prefix(digits + 1);
  }
  return l.size() > 1 && l[0] == ' ';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto s = eachare::scenario::load_string(text, "f.yaml");
    FUZZ_CHECK(!s.peers.empty(), "a loaded scenario has peers");
    FUZZ_CHECK(eachare::scenario::step_occurrences(s) <= eachare::scenario::max_step_occurrences,
               "step occurrences within the bound");
  } catch (const eachare::scenario::scenario_error& e) {
    const std::string_view all = e.what();
    FUZZ_CHECK(!e.problems().empty(), "an error has at least one problem");
    FUZZ_CHECK(e.problems().size() <= eachare::scenario::max_reported_errors + 1,
               "errors within the bound");
    std::size_t start = 0;
    for (;;) {
      const auto nl = all.find('\n', start);
      const auto line = all.substr(start, nl == std::string_view::npos ? nl : nl - start);
      FUZZ_CHECK(is_error_line(line), "every error line is file:line:col: ...");
      if (nl == std::string_view::npos) break;
      start = nl + 1;
    }
  }
  return 0;
}
