// Codec: encode and decode of every message type; PEER_LIST with 10, 1,000 and 10,000 entries;
// FILE with 256 B, 64 KiB and 1 MiB payloads. Bytes/s counts the line's length.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "node/protocol/codec.hpp"
#include "node/protocol/message.hpp"

namespace eachare::bench {
namespace {

const std::string origin = "127.0.0.1:9001";

message peer_list_of(std::int64_t n) {
  peer_list_body body;
  body.entries.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    body.entries.push_back({"10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250) +
                                ":" + std::to_string(9000 + i % 1000),
                            i % 3 ? peer_status::online : peer_status::offline,
                            static_cast<std::uint64_t>(i * 7)});
  }
  return {origin, 42, std::move(body)};
}

message ls_list_of(std::int64_t n) {
  ls_list_body body;
  for (std::int64_t i = 0; i < n; ++i) {
    body.files.push_back(
        {"file-" + std::to_string(i) + ".bin", static_cast<std::uint64_t>(i) * 1000});
  }
  return {origin, 42, std::move(body)};
}

message file_of(std::int64_t bytes) {
  std::string data(static_cast<std::size_t>(bytes), '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131) & 0xFF);
  return {origin, 42, file_body{"big.bin", data.size(), 3, std::move(data)}};
}

// The message a benchmark argument selects: 0..7 one of each type (lists of 3 entries).
message sample(std::int64_t kind) {
  switch (kind) {
    case 0:
      return {origin, 7, hello_body{}};
    case 1:
      return {origin, 7, get_peers_body{}};
    case 2:
      return peer_list_of(3);
    case 3:
      return {origin, 7, bye_body{}};
    case 4:
      return {origin, 7, ls_body{}};
    case 5:
      return ls_list_of(3);
    case 6:
      return {origin, 7, dl_body{"mil.txt", 256, 3}};
    default:
      return file_of(232);
  }
}

void run_encode(benchmark::State& state, const message& m) {
  std::string line;
  for (auto _ : state) {
    line.clear();
    encode_to(m, line);
    benchmark::DoNotOptimize(line.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(line.size()));
  state.SetItemsProcessed(state.iterations());
}

void run_decode(benchmark::State& state, const message& m) {
  const std::string line = encode(m);
  message out;
  for (auto _ : state) {
    const decode_status st = decode(line, out);
    if (!st.ok()) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(line.size()));
  state.SetItemsProcessed(state.iterations());
}

void BM_encode(benchmark::State& state) {
  const message m = sample(state.range(0));
  state.SetLabel(std::string(to_string(m.type())));
  run_encode(state, m);
}
void BM_decode(benchmark::State& state) {
  const message m = sample(state.range(0));
  state.SetLabel(std::string(to_string(m.type())));
  run_decode(state, m);
}
void BM_encode_peer_list(benchmark::State& state) {
  run_encode(state, peer_list_of(state.range(0)));
}
void BM_decode_peer_list(benchmark::State& state) {
  run_decode(state, peer_list_of(state.range(0)));
}
void BM_encode_file(benchmark::State& state) {
  run_encode(state, file_of(state.range(0)));
}
void BM_decode_file(benchmark::State& state) {
  run_decode(state, file_of(state.range(0)));
}

BENCHMARK(BM_encode)->DenseRange(0, 7);
BENCHMARK(BM_decode)->DenseRange(0, 7);
BENCHMARK(BM_encode_peer_list)->Arg(10)->Arg(1000)->Arg(10000);
BENCHMARK(BM_decode_peer_list)->Arg(10)->Arg(1000)->Arg(10000);
BENCHMARK(BM_encode_file)->Arg(256)->Arg(64 << 10)->Arg(1 << 20);
BENCHMARK(BM_decode_file)->Arg(256)->Arg(64 << 10)->Arg(1 << 20);

}  // namespace
}  // namespace eachare::bench

BENCHMARK_MAIN();
