#include "sim/fault_model.hpp"

#include <cmath>

namespace eachare::sim {
namespace {

duration from_ms(double ms) {
  if (!(ms > 0)) return duration{0};
  return duration{static_cast<std::int64_t>(std::llround(ms * 1e6))};
}

}  // namespace

delay_distribution delay_distribution::constant(double ms) {
  delay_distribution d;
  d.dist = kind::constant;
  d.ms = ms;
  return d;
}

delay_distribution delay_distribution::uniform(double min_ms, double max_ms) {
  delay_distribution d;
  d.dist = kind::uniform;
  d.ms = 0;
  d.min_ms = min_ms;
  d.max_ms = max_ms;
  return d;
}

delay_distribution delay_distribution::exponential(double min_ms, double mean_ms) {
  delay_distribution d;
  d.dist = kind::exponential;
  d.ms = 0;
  d.min_ms = min_ms;
  d.mean_ms = mean_ms;
  return d;
}

duration delay_distribution::sample(rng& r) const {
  switch (dist) {
    case kind::constant:
      return from_ms(ms);
    case kind::uniform:
      return from_ms(r.uniform_real(min_ms, max_ms));
    case kind::exponential: {
      const double tail = mean_ms > min_ms ? mean_ms - min_ms : 0.0;
      return from_ms(min_ms + r.exponential(tail));
    }
  }
  return duration{0};
}

}  // namespace eachare::sim
