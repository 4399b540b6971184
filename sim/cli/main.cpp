// eachare-sim: the command line of the simulated test bench — `validate` checks scenario files,
// `run` plays them in virtual time and reports every check. Single-threaded.
//
// Exit codes (docs/scenarios.md): 0 every scenario as expected; 1 a check failed or an
// `expect: fail` scenario passed; 2 a scenario file is invalid (nothing runs) or bad usage.
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <vector>

#include "sim/scenario/loader.hpp"

#ifndef EACHARE_VERSION
#define EACHARE_VERSION "0.0.0"
#endif

namespace {

namespace scn = eachare::scenario;

constexpr int exit_ok = 0;
constexpr int exit_invalid = 2;

int validate(const std::vector<std::string>& files) {
  int rc = exit_ok;
  for (const auto& f : files) {
    try {
      const auto s = scn::load_file(f);
      std::cout << f << ": ok (" << s.name << ", " << s.peers.size() << " peers, "
                << s.timeline.size() << " steps, " << s.checks.size() << " checks)\n";
    } catch (const scn::scenario_error& e) {
      std::cerr << e.what() << '\n';
      rc = exit_invalid;
    }
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"eachare-sim: run EACHare peers in virtual time from scenario files"};
  app.set_version_flag("--version", std::string("eachare-sim ") + EACHARE_VERSION);
  app.require_subcommand(1);

  std::vector<std::string> validate_files;
  auto* validate_cmd = app.add_subcommand("validate", "check scenario files without running them");
  validate_cmd->add_option("FILE", validate_files, "scenario files (YAML)")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : exit_invalid;
  }
  if (*validate_cmd) return validate(validate_files);
  return exit_invalid;
}
