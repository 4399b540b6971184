// memory_store: an in-memory shared directory for tests, with the same name checks and error
// codes as the real one. Single-threaded: used on the node's executor only.
#pragma once

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
  // Failure injection: every write fails with io_error, leaving nothing behind.
  void fail_writes(bool fail) { fail_writes_ = fail; }

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

  std::error_code write(std::string_view name, std::string_view content) override {
    if (!is_safe_file_name(name)) return make_error_code(errc::invalid_name);
    if (directories_.contains(name)) return make_error_code(errc::not_regular_file);
    if (fail_writes_) return make_error_code(errc::io_error);
    files_.insert_or_assign(std::string(name), std::string(content));
    commits_.emplace_back(name);
    return {};
  }

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
  bool fail_writes_ = false;
};

}  // namespace eachare::test
