// memory_file_store: eachare::file_store kept in memory — a simulated peer's shared directory.
// Contents are immutable shared buffers, so the same generated file on a hundred peers (and on
// every restart of one) is stored once. Also: generate_file_content(), the deterministic bytes of
// a scenario file from (seed, name, size), so a download can be checked against what it should be.
//
// Threading rule: not thread-safe; owned by one simulated node on the simulation thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "node/core/ports.hpp"

namespace eachare::sim {

using file_content = std::shared_ptr<const std::string>;

class memory_file_store final : public file_store {
 public:
  using snapshot = std::map<std::string, file_content, std::less<>>;

  // --- eachare::file_store (names checked with is_safe_file_name) ---
  std::vector<stored_file> list() override;
  std::error_code size_of(std::string_view name, std::uint64_t& size) override;
  std::error_code read(std::string_view name, std::uint64_t offset, std::uint64_t length,
                       std::string& out) override;
  // Parts live in memory (the simulated disk) until committed; a crash drops them with the node.
  std::error_code open_part(std::string_view name, std::uint64_t size, part_id& part) override;
  std::error_code write_part(part_id part, std::uint64_t offset, std::string_view data) override;
  std::error_code commit_part(part_id part) override;
  void discard_part(part_id part) override;

  // --- set-up and inspection (simulator and tests) ---
  // Puts a file without copying its bytes. Unsafe names are stored too (they are what list()
  // leaves out and read() refuses), so tests can model a directory holding e.g. "a b".
  void put(std::string name, file_content content);
  void put(std::string name, std::string_view content);
  // The content of `name`, or nullptr.
  file_content get(std::string_view name) const;
  std::size_t file_count() const { return files().size(); }
  // Cheap (shared buffers): the whole directory, to restore on restart.
  snapshot take_snapshot() const { return files(); }
  void restore(snapshot s);
  // Number of parts committed (downloads that finished).
  std::uint64_t writes() const { return parts_ ? parts_->writes : 0; }

 private:
  struct pending_part {
    std::string name;
    std::string data;
  };
  struct part_state {
    std::map<part_id, pending_part> parts;
    part_id next_part = 0;
    std::uint64_t writes = 0;
  };
  const snapshot& files() const;
  snapshot& make_files();
  // Both allocated on first use (the first file, the first download): a million simulated
  // ring peers share nothing and download nothing, and paid 80 bytes each for an empty
  // directory and part map (24 now).
  std::unique_ptr<snapshot> files_;
  std::unique_ptr<part_state> parts_;
};

// `size` bytes determined only by (seed, name, size): the same scenario file has the same
// content on every peer and every run. Bytes are arbitrary binary (all 256 values occur), which
// exercises base64 the way real files do.
std::string generate_file_content(std::uint64_t seed, std::string_view name, std::uint64_t size);

}  // namespace eachare::sim
