// workspace: what an external program needs on disk before it starts, and its command line —
// a temporary directory per run holding, per external peer, the neighbours file (one ip:port a
// line) and the shared directory with the scenario's files (the bytes the simulator would
// generate from the seed, so a download can be checked the same way); the command template split
// into words and its placeholders {addr}, {neighbours} and {shared} filled in. The directory is
// removed at the end unless it is kept (--keep).
//
// Threading rule: single-threaded (owned by the run that uses it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eachare::external {

// A bad command template (no {addr}, an unclosed quote); what() is one line.
class template_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How to run one implementation (YAML `implementations:` or `grade --impl`).
struct implementation {
  std::string name;
  std::vector<std::string> cmd;  // words, with placeholders
  std::string cwd;               // empty: the grader's working directory
  std::vector<std::pair<std::string, std::string>> env;
  bool use_pty = true;
};

// Splits a template the way a shell would split plain words: spaces separate, '...' and "..."
// group, a backslash escapes the next character. Throws template_error for an unclosed quote,
// an empty template, or a template without {addr} (the program could not know its address).
std::vector<std::string> split_template(std::string_view text);

// Throws template_error unless some word contains {addr}.
void require_addr(const std::vector<std::string>& cmd);

// Every {addr}, {neighbours} and {shared} replaced in every word.
std::vector<std::string> expand(const std::vector<std::string>& cmd, std::string_view addr,
                                std::string_view neighbours, std::string_view shared);

class workspace {
 public:
  // Creates a fresh directory under the system temp directory, named after `tag`.
  explicit workspace(std::string_view tag, bool keep = false);
  ~workspace();
  workspace(const workspace&) = delete;
  workspace& operator=(const workspace&) = delete;

  const std::filesystem::path& root() const { return root_; }
  // <root>/<peer>/neighbours.txt with the given addresses, one a line.
  std::filesystem::path write_neighbours(const std::string& peer,
                                         const std::vector<std::string>& addresses);
  // <root>/<peer>/shared, created empty.
  std::filesystem::path shared_dir(const std::string& peer);
  // Writes a file of `size` bytes generated from (seed, name, size) as the simulator does.
  void put_generated(const std::string& peer, const std::string& name, std::uint64_t size,
                     std::uint64_t seed);

 private:
  std::filesystem::path root_;
  bool keep_;
};

}  // namespace eachare::external
