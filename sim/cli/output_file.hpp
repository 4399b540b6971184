// write_output_file: how eachare-sim writes a report or transcript it was asked for: the whole
// text, replacing the file, and one line on stderr naming the path when that fails.
//
// Threading rule: any thread; the caller owns the path.
#pragma once

#include <fstream>
#include <iostream>
#include <string>

namespace eachare::cli {

inline bool write_output_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "eachare-sim: cannot write " << path << '\n';
    return false;
  }
  return true;
}

}  // namespace eachare::cli
