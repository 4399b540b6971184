#include "sim/cli/class_file.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>

#include "real/external/workspace.hpp"
#include "sim/scenario/loader.hpp"

namespace eachare::cli {

namespace {

using scenario::scenario_error;

// The longest wall-clock bound a class file may give one (student, scenario file): a day.
constexpr double max_timeout_s = 86'400;

std::string join(std::initializer_list<std::string_view> words) {
  std::string out;
  for (const auto w : words) out += (out.empty() ? "" : ", ") + std::string(w);
  return out;
}

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar: {
      auto s = n.Scalar();
      if (s.size() > 60) s = s.substr(0, 60) + "...";
      return "'" + s + "'";
    }
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

// A student name becomes a directory of the output: nothing that could climb out of it.
bool valid_student_name(const std::string& s) {
  if (s.empty() || s.size() > 100 || s.front() == '.') return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '_' || c == '-' || c == '.';
  });
}

// A list of words back into one template that split_template() splits into the same words.
std::string quote_word(const std::string& w) {
  if (!w.empty() && w.find_first_of(" \t\n'\"\\") == std::string::npos) return w;
  std::string out = "\"";
  for (const char c : w) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

class class_reader {
 public:
  explicit class_reader(std::string path)
      : path_(std::move(path)),
        base_(std::filesystem::absolute(std::filesystem::path(path_)).parent_path()) {}

  [[noreturn]] void fail(const YAML::Mark& m, const std::string& what) const {
    if (m.is_null()) throw scenario_error(path_, 1, 1, what);
    throw scenario_error(path_, m.line + 1, m.column + 1, what);
  }
  [[noreturn]] void fail(const YAML::Node& n, const std::string& what) const {
    fail(n.Mark(), what);
  }

  // The entries of a mapping whose keys are all in `allowed`, none twice.
  std::vector<std::pair<YAML::Node, YAML::Node>> mapping(
      const YAML::Node& n, const std::string& context,
      std::initializer_list<std::string_view> allowed) const {
    if (!n.IsMap()) fail(n, "expected a mapping for " + context + ", got " + describe(n));
    std::vector<std::pair<YAML::Node, YAML::Node>> out;
    std::set<std::string> seen;
    for (const auto& kv : n) {
      const YAML::Node k = kv.first;
      if (!k.IsScalar()) fail(k, "expected a key name in " + context + ", got " + describe(k));
      const auto& key = k.Scalar();
      if (allowed.size() > 0 && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        fail(k, "unknown key '" + key + "' in " + context + " (expected one of: " + join(allowed) +
                    ")");
      }
      if (!seen.insert(key).second) fail(k, "duplicate key '" + key + "' in " + context);
      out.emplace_back(k, kv.second);
    }
    return out;
  }

  std::string scalar(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) fail(n, "expected " + what + ", got " + describe(n));
    return n.Scalar();
  }

  class_file read(const YAML::Node& root) const {
    class_file out;
    out.path = path_;
    if (!root.IsMap()) {
      fail(root, "expected a mapping with 'students' (a class file, docs/scenarios.md), got " +
                     describe(root));
    }
    const YAML::Node* students = nullptr;
    YAML::Node students_node;
    for (const auto& [k, v] : mapping(root, "the class file", {"students", "ep", "timeout_s"})) {
      const auto& key = k.Scalar();
      if (key == "students") {
        students_node = v;
        students = &students_node;
      } else if (key == "ep") {
        const auto s = scalar(v, "ep 1, 2 or 3");
        if (s != "1" && s != "2" && s != "3") fail(v, "expected ep 1, 2 or 3, got " + describe(v));
        out.ep = s[0] - '0';
      } else {
        out.timeout_s = seconds(v);
      }
    }
    if (students == nullptr) {
      fail(root,
           "missing key 'students' in the class file (a mapping of student name to "
           "{cmd, cwd, env})");
    }
    if (!students->IsMap() || students->size() == 0) {
      fail(*students,
           "expected a mapping of student name to {cmd, cwd, env} for students, got " +
               (students->IsMap() ? std::string("an empty mapping") : describe(*students)));
    }
    if (students->size() > max_class_students) {
      fail(*students, "expected at most " + std::to_string(max_class_students) + " students, got " +
                          std::to_string(students->size()));
    }
    for (const auto& [k, v] : mapping(*students, "students", {})) {
      out.students.push_back(student(k, v));
    }
    return out;
  }

  double seconds(const YAML::Node& v) const {
    const auto s = scalar(v, "a number of seconds for timeout_s");
    double d = 0;
    std::istringstream in(s);
    in >> d;
    if (!in || !in.eof() || !std::isfinite(d) || d <= 0 || d > max_timeout_s) {
      fail(v, "expected a number of seconds above 0 and at most " +
                  std::to_string(static_cast<int>(max_timeout_s)) + " for timeout_s, got " +
                  describe(v));
    }
    return d;
  }

  class_student student(const YAML::Node& k, const YAML::Node& v) const {
    class_student st;
    st.name = k.Scalar();
    st.line = k.Mark().line + 1;
    if (!valid_student_name(st.name)) {
      fail(k,
           "expected a student name of letters, digits, '_', '-' and '.' (not first, at most "
           "100), got " +
               describe(k));
    }
    const std::string context = "student '" + st.name + "'";
    if (!v.IsMap()) {
      fail(v, "expected a mapping {cmd, cwd, env} for " + context + ", got " + describe(v));
    }
    bool has_cmd = false;
    for (const auto& [key_node, value] : mapping(v, context, {"cmd", "cwd", "env"})) {
      const auto& key = key_node.Scalar();
      if (key == "cmd") {
        has_cmd = true;
        st.cmd = command(value, context);
      } else if (key == "cwd") {
        const auto dir = scalar(value, "a directory for cwd");
        std::filesystem::path p(dir);
        if (p.is_relative()) p = base_ / p;
        std::error_code ec;
        if (dir.empty() || !std::filesystem::is_directory(p, ec)) {
          fail(value, "expected an existing directory for cwd of " + context + ", got " +
                          describe(value) +
                          " (relative paths start at the class file's directory)");
        }
        st.cwd = p.lexically_normal().string();
      } else {
        for (const auto& [name, val] : mapping(value, "env of " + context, {})) {
          if (name.Scalar().empty() || name.Scalar().find('=') != std::string::npos) {
            fail(name, "expected an environment variable name (no '=') in env of " + context);
          }
          st.env.emplace_back(name.Scalar(), scalar(val, "a string value in env of " + context));
        }
      }
    }
    if (!has_cmd) {
      fail(v, "missing key 'cmd' in " + context +
                  " (its command template, e.g. \"python3 peer.py {addr} {neighbours} "
                  "{shared}\")");
    }
    return st;
  }

  // `cmd` as one template string, or as a list of words (joined back into a template).
  std::string command(const YAML::Node& v, const std::string& context) const {
    std::string text;
    if (v.IsSequence()) {
      if (v.size() == 0) fail(v, "expected a command template for cmd of " + context);
      for (const auto& w : v) {
        text += (text.empty() ? "" : " ") + quote_word(scalar(w, "a word of cmd"));
      }
    } else {
      text = scalar(v, "a command template (a string or a list of words) for cmd of " + context);
    }
    try {
      (void)external::split_template(text);
    } catch (const external::template_error& e) {
      fail(v, std::string(e.what()) + " (cmd of " + context + ")");
    }
    return text;
  }

 private:
  std::string path_;
  std::filesystem::path base_;
};

}  // namespace

class_file load_class_file(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    throw scenario_error(path, 1, 1, "cannot read the class file (no such file)");
  }
  if (!std::filesystem::is_regular_file(status)) {
    throw scenario_error(path, 1, 1, "cannot read the class file (not a regular file)");
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size > max_class_file_bytes) {
    throw scenario_error(
        path, 1, 1,
        "the class file is larger than " + std::to_string(max_class_file_bytes) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) throw scenario_error(path, 1, 1, "cannot read the class file");
  class_reader reader(path);
  YAML::Node root;
  try {
    root = YAML::Load(text.str());
  } catch (const YAML::Exception& e) {
    reader.fail(e.mark, "invalid YAML: " + e.msg);
  }
  try {
    return reader.read(root);
  } catch (const YAML::Exception& e) {
    reader.fail(e.mark, "invalid YAML: " + e.msg);
  }
}

}  // namespace eachare::cli
