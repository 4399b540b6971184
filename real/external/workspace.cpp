#include "real/external/workspace.hpp"

#include "real/external/cleanup.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <system_error>

#include "sim/memory_file_store.hpp"

namespace eachare::external {

std::vector<std::string> split_template(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < text.size()) {
        word += text[++i];
      } else {
        word += c;
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '\\' && i + 1 < text.size()) {
      word += text[++i];
    } else {
      word += c;
    }
  }
  if (quote != 0) {
    throw template_error("the command template has an unclosed " + std::string(1, quote) +
                         " quote: " + std::string(text));
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) throw template_error("the command template is empty");
  require_addr(words);
  return words;
}

void require_addr(const std::vector<std::string>& cmd) {
  for (const auto& w : cmd) {
    if (w.find("{addr}") != std::string::npos) return;
  }
  std::string joined;
  for (const auto& w : cmd) joined += (joined.empty() ? "" : " ") + w;
  throw template_error(
      "the command template has no {addr}, so the program cannot know its "
      "address: " +
      joined);
}

namespace {

void replace_all(std::string& s, std::string_view what, std::string_view with) {
  for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size())) {
    s.replace(at, what.size(), with);
  }
}

}  // namespace

std::vector<std::string> expand(const std::vector<std::string>& cmd, std::string_view addr,
                                std::string_view neighbours, std::string_view shared) {
  std::vector<std::string> out = cmd;
  for (auto& w : out) {
    replace_all(w, "{addr}", addr);
    replace_all(w, "{neighbours}", neighbours);
    replace_all(w, "{shared}", shared);
  }
  return out;
}

workspace::workspace(std::string_view tag, bool keep) : keep_(keep) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / ("eachare-" + std::string(tag) + "-XXXXXX"))
          .string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot create a temporary directory like " + pattern);
  }
  root_ = pattern;
  if (!keep_) cleanup::add_dir(root_);
}

workspace::~workspace() {
  if (keep_) return;
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
  cleanup::remove_dir(root_);
}

std::filesystem::path workspace::write_neighbours(const std::string& peer,
                                                  const std::vector<std::string>& addresses) {
  std::filesystem::create_directories(root_ / peer);
  const auto path = root_ / peer / "neighbours.txt";
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const auto& a : addresses) out << a << '\n';
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
  return path;
}

std::filesystem::path workspace::shared_dir(const std::string& peer) {
  const auto path = root_ / peer / "shared";
  std::filesystem::create_directories(path);
  return path;
}

void workspace::put_generated(const std::string& peer, const std::string& name, std::uint64_t size,
                              std::uint64_t seed) {
  const auto path = shared_dir(peer) / name;
  const auto content = sim::generate_file_content(seed, name, size);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace eachare::external
