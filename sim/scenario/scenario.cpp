#include "sim/scenario/scenario.hpp"

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "node/core/splitmix64.hpp"

namespace eachare::scenario {

namespace {

void add_unique(std::vector<peer_index>& v, peer_index p) {
  if (std::find(v.begin(), v.end(), p) == v.end()) v.push_back(p);
}

}  // namespace

bool is_command(action a) {
  switch (a) {
    case action::hello:
    case action::get_peers:
    case action::list_peers:
    case action::list_local:
    case action::search:
    case action::download:
    case action::show_stats:
    case action::set_chunk_size:
    case action::bye:
      return true;
    default:
      return false;
  }
}

const char* to_string(action a) {
  switch (a) {
    case action::hello:
      return "hello";
    case action::get_peers:
      return "get_peers";
    case action::list_peers:
      return "list_peers";
    case action::list_local:
      return "list_local";
    case action::search:
      return "search";
    case action::download:
      return "download";
    case action::show_stats:
      return "show_stats";
    case action::set_chunk_size:
      return "set_chunk_size";
    case action::bye:
      return "bye";
    case action::partition:
      return "partition";
    case action::heal:
      return "heal";
    case action::crash:
      return "crash";
    case action::restart:
      return "restart";
    case action::start:
      return "start";
    case action::pause:
      return "pause";
    case action::resume:
      return "resume";
    case action::set_network:
      return "set_network";
    case action::inject:
      return "inject";
  }
  return "?";
}

const char* to_string(check_kind k) {
  switch (k) {
    case check_kind::lamport_order:
      return "lamport_order";
    case check_kind::discovery_convergence:
      return "discovery_convergence";
    case check_kind::download_integrity:
      return "download_integrity";
    case check_kind::peer_state:
      return "peer_state";
    case check_kind::grade:
      return "grade";
  }
  return "?";
}

std::optional<peer_index> scenario::find_peer(const std::string& peer_name) const {
  for (std::size_t i = 0; i < peers.size(); ++i) {
    if (peers[i].name == peer_name) return static_cast<peer_index>(i);
  }
  return std::nullopt;
}

void fill_topology(scenario& s, std::uint64_t seed) {
  if (!s.generated) return;
  const std::uint32_t n = s.generated->count;
  auto& ps = s.peers;
  for (auto& p : ps) p.neighbours.clear();
  switch (s.generated->shape.kind) {
    case topology_kind::none:
      break;
    case topology_kind::ring:
    case topology_kind::line: {
      const bool wrap = s.generated->shape.kind == topology_kind::ring;
      for (std::uint32_t i = 0; i < n; ++i) {
        if (i > 0)
          add_unique(ps[i].neighbours, i - 1);
        else if (wrap && n > 1)
          add_unique(ps[i].neighbours, n - 1);
        if (i + 1 < n)
          add_unique(ps[i].neighbours, i + 1);
        else if (wrap && n > 1)
          add_unique(ps[i].neighbours, 0);
        // A neighbour list never names the peer itself (n == 1 ring).
        std::erase(ps[i].neighbours, i);
      }
      break;
    }
    case topology_kind::star:
      for (std::uint32_t i = 1; i < n; ++i) {
        ps[0].neighbours.push_back(i);
        ps[i].neighbours.push_back(0);
      }
      break;
    case topology_kind::complete:
      for (std::uint32_t i = 0; i < n; ++i) {
        for (std::uint32_t j = 0; j < n; ++j) {
          if (i != j) ps[i].neighbours.push_back(j);
        }
      }
      break;
    case topology_kind::random: {
      // A local generator: the topology must not consume draws from the world's engine, or
      // changing the topology would change every delay of the run.
      splitmix64 rng{seed ^ 0x746F706F6C6F6779ull};  // "topology"
      const std::uint32_t k = std::min(s.generated->shape.k, n == 0 ? 0 : n - 1);
      // Partial Fisher-Yates over the other peers (0..n-1 without i, in order): k distinct
      // picks, in draw order. Only the swapped slots are stored, so a peer costs O(k), not O(n).
      std::unordered_map<std::uint32_t, peer_index> swapped;
      for (std::uint32_t i = 0; i < n; ++i) {
        swapped.clear();
        auto slot = [&](std::uint32_t x) -> peer_index {
          const auto it = swapped.find(x);
          if (it != swapped.end()) return it->second;
          return x < i ? x : x + 1;
        };
        for (std::uint32_t d = 0; d < k; ++d) {
          const auto r = d + static_cast<std::uint32_t>(rng.below(n - 1 - d));
          const peer_index at_d = slot(d);
          const peer_index at_r = slot(r);
          swapped[d] = at_r;
          swapped[r] = at_d;
          ps[i].neighbours.push_back(at_r);
        }
      }
      break;
    }
  }
}

std::uint64_t occurrences(const step& st, duration length) {
  if (!st.every || st.every->count() <= 0 || st.at > length) return 1;
  const auto end = std::min(st.until.value_or(length), length);
  if (end < st.at) return 1;
  return 1 + static_cast<std::uint64_t>((end - st.at).count() / st.every->count());
}

std::uint64_t step_occurrences(const scenario& s) {
  std::uint64_t total = 0;
  for (const auto& st : s.timeline) total += occurrences(st, s.length);
  return total;
}

std::optional<std::uint64_t> parse_seed(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const bool all_digits =
      std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
  if (all_digits && text.size() <= 20) {
    std::uint64_t v = 0;
    for (char c : text) {
      const auto d = static_cast<std::uint64_t>(c - '0');
      if (v > (~std::uint64_t{0} - d) / 10) return std::nullopt;
      v = v * 10 + d;
    }
    return v;
  }
  const bool all_hex =
      std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
  if (all_hex && text.size() == 40) {
    // Fold the 160 bits into 64 with a mixing step per 16 hex digits, so every digit matters.
    std::uint64_t folded = 0;
    for (std::size_t start = 0; start < text.size(); start += 16) {
      std::uint64_t part = 0;
      for (std::size_t i = start; i < std::min(text.size(), start + 16); ++i) {
        const auto c =
            static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(text[i])));
        part = part * 16 + static_cast<std::uint64_t>(std::isdigit(c) ? c - '0' : c - 'a' + 10);
      }
      splitmix64 mix{folded ^ part};
      folded = mix.next();
    }
    return folded;
  }
  return std::nullopt;
}

}  // namespace eachare::scenario
