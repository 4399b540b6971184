#include "sim/memory_file_store.hpp"

#include <algorithm>

#include "node/core/errors.hpp"
#include "node/protocol/codec.hpp"
#include "sim/rng.hpp"

namespace eachare::sim {

const memory_file_store::snapshot& memory_file_store::files() const {
  static const snapshot none;
  return files_ ? *files_ : none;
}

memory_file_store::snapshot& memory_file_store::make_files() {
  if (!files_) files_ = std::make_unique<snapshot>();
  return *files_;
}

void memory_file_store::restore(snapshot s) {
  if (s.empty()) {
    files_.reset();
  } else {
    make_files() = std::move(s);
  }
}

std::vector<stored_file> memory_file_store::list() {
  std::vector<stored_file> out;
  const snapshot& all = files();
  out.reserve(all.size());
  // std::map iterates in byte order of the names, which is the order list() promises.
  for (const auto& [name, content] : all) {
    if (!is_safe_file_name(name)) continue;
    out.push_back(stored_file{name, content ? content->size() : 0});
  }
  return out;
}

std::error_code memory_file_store::size_of(std::string_view name, std::uint64_t& size) {
  if (!is_safe_file_name(name)) return errc::invalid_name;
  auto it = files().find(name);
  if (it == files().end()) return errc::not_found;
  size = it->second ? it->second->size() : 0;
  return {};
}

std::error_code memory_file_store::read(std::string_view name, std::uint64_t offset,
                                        std::uint64_t length, std::string& out) {
  if (!is_safe_file_name(name)) return errc::invalid_name;
  auto it = files().find(name);
  if (it == files().end()) return errc::not_found;
  if (!it->second) return {};
  const std::string& data = *it->second;
  if (offset >= data.size()) return {};
  const std::uint64_t n = std::min<std::uint64_t>(length, data.size() - offset);
  out.append(data, static_cast<std::size_t>(offset), static_cast<std::size_t>(n));
  return {};
}

std::error_code memory_file_store::open_part(std::string_view name, std::uint64_t /*size*/,
                                             part_id& part) {
  if (!is_safe_file_name(name)) return errc::invalid_name;
  if (!parts_) parts_ = std::make_unique<part_state>();
  part = ++parts_->next_part;
  auto& p = parts_->parts[part];
  p.name = std::string(name);
  return {};
}

std::error_code memory_file_store::write_part(part_id part, std::uint64_t offset,
                                              std::string_view data) {
  if (!parts_) return errc::not_found;
  auto it = parts_->parts.find(part);
  if (it == parts_->parts.end()) return errc::not_found;
  std::string& d = it->second.data;
  if (d.size() < offset + data.size()) d.resize(static_cast<std::size_t>(offset + data.size()));
  std::copy(data.begin(), data.end(), d.begin() + static_cast<std::ptrdiff_t>(offset));
  return {};
}

std::error_code memory_file_store::commit_part(part_id part) {
  if (!parts_) return errc::not_found;
  auto it = parts_->parts.find(part);
  if (it == parts_->parts.end()) return errc::not_found;
  put(std::move(it->second.name), std::make_shared<const std::string>(std::move(it->second.data)));
  parts_->parts.erase(it);
  ++parts_->writes;
  return {};
}

void memory_file_store::discard_part(part_id part) {
  if (parts_) parts_->parts.erase(part);
}

void memory_file_store::put(std::string name, file_content content) {
  make_files().insert_or_assign(std::move(name), std::move(content));
}

void memory_file_store::put(std::string name, std::string_view content) {
  put(std::move(name), std::make_shared<const std::string>(content));
}

file_content memory_file_store::get(std::string_view name) const {
  auto it = files().find(name);
  return it == files().end() ? nullptr : it->second;
}

std::string generate_file_content(std::uint64_t seed, std::string_view name, std::uint64_t size) {
  // FNV-1a of the name picks the stream; the size is mixed in so two sizes of one name differ.
  std::uint64_t h = 14695981039346656037ull;
  for (char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  rng r(derive_seed(derive_seed(seed, h), size));
  std::string out(static_cast<std::size_t>(size), '\0');
  std::size_t i = 0;
  while (i < out.size()) {
    std::uint64_t w = r.next_u64();
    for (int k = 0; k < 8 && i < out.size(); ++k, ++i) {
      out[i] = static_cast<char>(static_cast<unsigned char>(w));
      w >>= 8;
    }
  }
  return out;
}

}  // namespace eachare::sim
