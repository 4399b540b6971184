#include "sim/cli/real_mode.hpp"

#include <map>
#include <memory>
#include <string>

#include "real/world/real_world.hpp"

namespace eachare::cli {

scenario::world_factory real_world_factory(const real_flags& flags) {
  return [flags](const scenario::world_setup& setup) -> std::unique_ptr<sim::peer_world> {
    real::real_world_options o;
    o.seed = setup.seed;
    o.network = setup.network;
    o.time_scale = flags.time_scale;
    o.ports_auto = flags.ports_auto;
    o.port_lo = flags.port_lo;
    o.port_hi = flags.port_hi;
    if (flags.address_map != nullptr && flags.ports_auto) {
      // Scenario address -> peer name, so the map reads "p3 127.0.0.1:9003 -> 127.0.0.1:41234".
      std::map<std::string, std::string> names;
      for (const auto& p : setup.source->peers) names[p.address] = p.name;
      std::ostream* out = flags.address_map;
      o.on_address = [names, out](const std::string& from, const std::string& to) {
        auto it = names.find(from);
        *out << "  " << (it == names.end() ? std::string("(absent)") : it->second) << ' ' << from
             << " -> " << to << '\n';
      };
    }
    return std::make_unique<real::real_world>(std::move(o));
  };
}

bool parse_port_range(const std::string& text, std::uint16_t& lo, std::uint16_t& hi,
                      std::string& error) {
  const auto dash = text.find('-');
  unsigned long a = 0;
  unsigned long b = 0;
  bool ok = dash != std::string::npos && dash > 0 && dash + 1 < text.size() &&
            text.find_first_not_of("0123456789-") == std::string::npos &&
            text.find('-', dash + 1) == std::string::npos && dash <= 5 && text.size() - dash <= 6;
  if (ok) {
    a = std::stoul(text.substr(0, dash));
    b = std::stoul(text.substr(dash + 1));
    ok = a >= 1 && a <= b && b <= 65535;
  }
  if (!ok) {
    error = "--port-range expects LO-HI with 1 <= LO <= HI <= 65535, got '" + text + "'";
    return false;
  }
  lo = static_cast<std::uint16_t>(a);
  hi = static_cast<std::uint16_t>(b);
  return true;
}

namespace {

template <class T>
std::string join(const std::vector<T>& v) {
  std::string out;
  for (const auto& x : v) {
    if (!out.empty()) out += ", ";
    if constexpr (std::is_same_v<T, std::string>) {
      out += x;
    } else {
      out += x.first + " " + [](const auto& y) {
        if constexpr (std::is_same_v<std::decay_t<decltype(y)>, std::string>) {
          return y;
        } else {
          return std::to_string(y);
        }
      }(x.second);
    }
  }
  return out.empty() ? "(none)" : out;
}

}  // namespace

std::vector<std::string> compare_outcomes(const scenario::run_result& v,
                                          const scenario::run_result& r) {
  std::vector<std::string> out;
  std::map<std::string, bool> real_checks;
  for (const auto& c : r.checks) real_checks[c.name] = c.passed;
  for (const auto& c : v.checks) {
    auto it = real_checks.find(c.name);
    if (it == real_checks.end()) continue;
    if (it->second != c.passed) {
      out.push_back("check " + c.name + ": " + (c.passed ? "pass" : "FAIL") + " in virtual time, " +
                    (it->second ? "pass" : "FAIL") + " in real time");
    }
  }
  for (std::size_t i = 0; i < v.outcome.size() && i < r.outcome.size(); ++i) {
    const auto& a = v.outcome[i];
    const auto& b = r.outcome[i];
    if (a.status != b.status) {
      out.push_back(a.name + ": status " + a.status + " in virtual time, " + b.status +
                    " in real time");
    }
    if (a.table != b.table) {
      // Only the entries that differ: "p3 ONLINE/OFFLINE" (virtual/real), "absent" when missing.
      std::map<std::string, std::pair<std::string, std::string>> rows;
      for (const auto& [peer, st] : a.table) rows[peer].first = st;
      for (const auto& [peer, st] : b.table) rows[peer].second = st;
      std::string what;
      for (const auto& [peer, st] : rows) {
        if (st.first == st.second) continue;
        if (!what.empty()) what += ", ";
        what += peer + " " + (st.first.empty() ? "absent" : st.first) + "/" +
                (st.second.empty() ? "absent" : st.second);
      }
      out.push_back(a.name + "'s table (virtual/real): " + what);
    }
    if (a.files != b.files) {
      out.push_back(a.name + ": files {" + join(a.files) + "} in virtual time, {" + join(b.files) +
                    "} in real time");
    }
    if (a.stats != b.stats) {
      out.push_back(a.name + ": statistics {" + join(a.stats) + "} in virtual time, {" +
                    join(b.stats) + "} in real time");
    }
  }
  return out;
}

}  // namespace eachare::cli
