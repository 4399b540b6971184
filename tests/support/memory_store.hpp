// memory_store: an in-memory shared directory for tests, with the same name checks and error
// codes as the real one. Single-threaded: used on the node's executor only.
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "node/core/errors.hpp"
#include "node/core/ports.hpp"
#include "node/protocol/codec.hpp"

namespace eachare::test {

class memory_store final : public file_store {
 public:
  // Test set-up: a regular file, or an entry that exists but is not a regular file.
  void put(std::string name, std::string content) { files_[std::move(name)] = std::move(content); }
  void put_directory(std::string name) { directories_.insert(std::move(name)); }

  // The content under `name`, or nullptr.
  const std::string* get(std::string_view name) const {
    auto it = files_.find(name);
    return it == files_.end() ? nullptr : &it->second;
  }
  std::size_t file_count() const { return files_.size(); }

  // Every committed write, in order (names).
  const std::vector<std::string>& commits() const { return commits_; }
  // Every read, as "name@offset+length".
  const std::vector<std::string>& reads() const { return reads_; }
  // Failure injection: writing chunks into a part fails with `ec` (empty: no failure).
  void fail_writes(std::error_code ec) { fail_writes_ = ec; }
  // Failure injection: the next `times` commits fail with `ec`, keeping the part.
  void fail_commits(std::error_code ec, int times = 1'000'000) {
    fail_commit_ = ec;
    fail_commits_left_ = times;
  }
  // Parts open now (downloads in progress or waiting to commit), and the bytes they hold.
  std::size_t open_parts() const { return parts_.size(); }
  std::size_t part_bytes() const {
    std::size_t n = 0;
    for (const auto& [id, p] : parts_) n += p.data.size();
    return n;
  }

  std::vector<stored_file> list() override {
    std::vector<stored_file> out;
    for (const auto& [name, content] : files_) {
      if (is_safe_file_name(name)) out.push_back({name, content.size()});
    }
    return out;
  }

  std::error_code size_of(std::string_view name, std::uint64_t& size) override {
    const std::string* content = nullptr;
    if (auto ec = lookup(name, content)) return ec;
    size = content->size();
    return {};
  }

  std::error_code read(std::string_view name, std::uint64_t offset, std::uint64_t length,
                       std::string& out) override {
    const std::string* content = nullptr;
    if (auto ec = lookup(name, content)) return ec;
    reads_.push_back(std::string(name) + "@" + std::to_string(offset) + "+" +
                     std::to_string(length));
    if (offset >= content->size()) return {};
    out.append(*content, static_cast<std::size_t>(offset), static_cast<std::size_t>(length));
    return {};
  }

  std::error_code open_part(std::string_view name, std::uint64_t, part_id& id) override {
    if (!is_safe_file_name(name)) return make_error_code(errc::invalid_name);
    id = ++next_part_;
    parts_[id].name = std::string(name);
    return {};
  }

  std::error_code write_part(part_id id, std::uint64_t offset, std::string_view data) override {
    auto it = parts_.find(id);
    if (it == parts_.end()) return make_error_code(errc::not_found);
    if (fail_writes_) return fail_writes_;
    std::string& d = it->second.data;
    // Grows only as far as the bytes written, like a sparse file on disk.
    if (d.size() < offset + data.size()) d.resize(static_cast<std::size_t>(offset + data.size()));
    std::copy(data.begin(), data.end(), d.begin() + static_cast<std::ptrdiff_t>(offset));
    return {};
  }

  std::error_code commit_part(part_id id) override {
    auto it = parts_.find(id);
    if (it == parts_.end()) return make_error_code(errc::not_found);
    if (directories_.contains(it->second.name)) return make_error_code(errc::not_regular_file);
    if (fail_commits_left_ > 0) {
      --fail_commits_left_;
      return fail_commit_;
    }
    files_.insert_or_assign(it->second.name, std::move(it->second.data));
    commits_.push_back(it->second.name);
    parts_.erase(it);
    return {};
  }

  void discard_part(part_id id) override { parts_.erase(id); }

 private:
  std::error_code lookup(std::string_view name, const std::string*& content) const {
    if (!is_safe_file_name(name)) return make_error_code(errc::invalid_name);
    if (directories_.contains(name)) return make_error_code(errc::not_regular_file);
    auto it = files_.find(name);
    if (it == files_.end()) return make_error_code(errc::not_found);
    content = &it->second;
    return {};
  }

  std::map<std::string, std::string, std::less<>> files_;
  std::set<std::string, std::less<>> directories_;
  std::vector<std::string> commits_;
  std::vector<std::string> reads_;
  struct part {
    std::string name;
    std::string data;
  };
  std::map<part_id, part> parts_;
  part_id next_part_ = 0;
  std::error_code fail_writes_;
  std::error_code fail_commit_;
  int fail_commits_left_ = 0;
};

}  // namespace eachare::test
