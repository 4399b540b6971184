// trace_recorder: a trace_listener for tests that keeps every event (detail copied), with small
// queries. Single-threaded, like the trace it listens to.
#pragma once

#include <string>
#include <vector>

#include "sim/trace.hpp"

namespace eachare::sim::testing {

struct recorded_event {
  trace_event e;
  std::string detail;
  std::string line;
};

class trace_recorder final : public trace_listener {
 public:
  void on_trace_event(const trace_event& e) override {
    events.push_back(recorded_event{e, std::string(e.detail), std::string(e.line)});
    events.back().e.detail = {};
    events.back().e.line = {};
  }

  std::vector<trace_event> of(trace_kind k) const {
    std::vector<trace_event> out;
    for (const auto& r : events) {
      if (r.e.kind == k) out.push_back(r.e);
    }
    return out;
  }
  std::vector<trace_event> of(trace_kind k, node_id n) const {
    std::vector<trace_event> out;
    for (const auto& r : events) {
      if (r.e.kind == k && r.e.node == n) out.push_back(r.e);
    }
    return out;
  }
  std::vector<std::string> details(trace_kind k, node_id n) const {
    std::vector<std::string> out;
    for (const auto& r : events) {
      if (r.e.kind == k && r.e.node == n) out.push_back(r.detail);
    }
    return out;
  }

  std::vector<std::string> lines(trace_kind k, node_id n) const {
    std::vector<std::string> out;
    for (const auto& r : events) {
      if (r.e.kind == k && r.e.node == n) out.push_back(r.line);
    }
    return out;
  }

  std::vector<recorded_event> events;
};

}  // namespace eachare::sim::testing
