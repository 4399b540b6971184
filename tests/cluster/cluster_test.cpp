// Tests of the cluster recipes in tools/cluster (docs/sweeps.md): the Kubernetes manifest parses
// (yaml-cpp) as an Indexed Job with as many shards as completions plus a merge Job; the commands
// the manifest, the Slurm script and the GNU parallel one-liner would run are run here, with the
// index variables those engines set, and the shard each one ran and the merged report are checked
// against an unsharded run. The Dockerfile is checked statically (Debian 12, the runtime package
// of every library eachare-sim links) and built only when a Docker engine answers.
//
// Runs shell commands from the repository root; scratch files go to a fresh /tmp directory.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#ifndef EACHARE_SIM_PATH
#error "EACHARE_SIM_PATH must name the eachare-sim binary"
#endif
#ifndef EACHARE_SOURCE_DIR
#error "EACHARE_SOURCE_DIR must name the repository root"
#endif

namespace {

namespace fs = std::filesystem;
using env_map = std::map<std::string, std::string>;

const std::string root = EACHARE_SOURCE_DIR;
const std::string sim = EACHARE_SIM_PATH;
const std::string cluster = root + "/tools/cluster";

// A quick sweep for the tests: two regression files (a glob, as FILES is in the recipes) and a
// scenario that fails at every seed, so merged exit codes and failure lists are exercised.
const std::string test_files =
    "scenarios/regression/ep*.yaml tests/scenario/data/failing_check.yaml";
const std::string test_seeds = "1..3";

std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct outcome {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs `script` with sh -c in the repository root, with `env` added to the environment and the
// directory of the eachare-sim under test first on PATH (where the image has it).
outcome run_sh(const std::string& script, const env_map& env, const std::string& shell = "sh") {
  std::string cmd = "cd " + sh_quote(root) + " && env PATH=" +
                    sh_quote(fs::path(sim).parent_path().string() + ":" + std::getenv("PATH"));
  for (const auto& [k, v] : env) cmd += " " + k + "=" + sh_quote(v);
  cmd += " " + shell + " -c " + sh_quote(script) + " 2>&1";
  outcome o;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return o;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) o.output.append(buf, n);
  const int status = pclose(p);
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return o;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json read_json(const fs::path& p) {
  return nlohmann::json::parse(read_text(p));
}

// The report without what differs from machine to machine.
nlohmann::json without_wall_clock(nlohmann::json j) {
  for (auto& e : j["scenarios"]) {
    e.erase("wall_seconds");
    e.erase("peak_rss_bytes");
  }
  return j;
}

class scratch_dir {
 public:
  scratch_dir() {
    char tmpl[] = "/tmp/eachare-cluster-test.XXXXXX";
    const char* made = mkdtemp(tmpl);
    path_ = made != nullptr ? made : "";
  }
  ~scratch_dir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// What the unsharded sweep of the test files writes, to compare merges with.
nlohmann::json unsharded_report(const fs::path& dir) {
  const auto out = dir / "unsharded.json";
  const auto r = run_sh("eachare-sim run " + test_files + " --seeds " + test_seeds +
                            " --jobs 1 --quiet --report-json " + sh_quote(out.string()),
                        {});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  return read_json(out);
}

// Checks the shard reports `shard-I-of-N.json` in `dir`: each one ran shard I/N of the sweep.
void expect_shards(const fs::path& dir, int n) {
  for (int i = 1; i <= n; ++i) {
    const auto p = dir / ("shard-" + std::to_string(i) + "-of-" + std::to_string(n) + ".json");
    ASSERT_TRUE(fs::exists(p)) << p;
    const auto j = read_json(p);
    EXPECT_EQ(j["sweep"]["shard"], std::to_string(i) + "/" + std::to_string(n)) << p;
    EXPECT_EQ(j["sweep"]["seeds"], test_seeds);
    for (const auto& e : j["scenarios"]) {
      EXPECT_EQ(e["run"].get<int>() % n, i - 1) << p << ": run " << e["run"] << " in shard " << i;
    }
  }
}

// -- Kubernetes -----------------------------------------------------------------------------------

struct k8s_manifest {
  std::vector<YAML::Node> docs;
  YAML::Node pvc, shards, merge;
};

k8s_manifest load_manifest() {
  k8s_manifest m;
  m.docs = YAML::LoadAllFromFile(cluster + "/k8s-sweep.yaml");
  for (const auto& d : m.docs) {
    const auto kind = d["kind"].as<std::string>();
    const auto name = d["metadata"]["name"].as<std::string>();
    if (kind == "PersistentVolumeClaim") m.pvc = d;
    if (kind == "Job" && name == "eachare-sweep") m.shards = d;
    if (kind == "Job" && name == "eachare-sweep-merge") m.merge = d;
  }
  return m;
}

env_map env_of(const YAML::Node& container) {
  env_map env;
  for (const auto& e : container["env"]) {
    env[e["name"].as<std::string>()] = e["value"].as<std::string>();
  }
  return env;
}

// `command: [sh, -c]` with the script as the one argument.
std::string script_of(const YAML::Node& container) {
  EXPECT_EQ(container["command"][0].as<std::string>(), "sh");
  EXPECT_EQ(container["command"][1].as<std::string>(), "-c");
  EXPECT_EQ(container["args"].size(), 1u);
  return container["args"][0].as<std::string>();
}

TEST(KubernetesManifest, ParsesAsAnIndexedJobWithAShardPerCompletionAndAMergeJob) {
  const auto m = load_manifest();
  ASSERT_EQ(m.docs.size(), 3u);
  ASSERT_TRUE(m.pvc && m.shards && m.merge);
  const auto spec = m.shards["spec"];
  EXPECT_EQ(m.shards["apiVersion"].as<std::string>(), "batch/v1");
  EXPECT_EQ(spec["completionMode"].as<std::string>(), "Indexed");
  const auto completions = spec["completions"].as<int>();
  EXPECT_EQ(spec["parallelism"].as<int>(), completions);
  const auto shard = spec["template"]["spec"]["containers"][0];
  EXPECT_EQ(spec["template"]["spec"]["restartPolicy"].as<std::string>(), "Never");
  EXPECT_EQ(env_of(shard).at("SHARDS"), std::to_string(completions));
  EXPECT_NE(script_of(shard).find("JOB_COMPLETION_INDEX"), std::string::npos);
  // A bad file or flag (exit 2) fails the Job instead of retrying it.
  const auto rule = spec["podFailurePolicy"]["rules"][0];
  EXPECT_EQ(rule["action"].as<std::string>(), "FailJob");
  EXPECT_EQ(rule["onExitCodes"]["containerName"].as<std::string>(),
            shard["name"].as<std::string>());
  EXPECT_EQ(rule["onExitCodes"]["values"][0].as<int>(), 2);
  // Shards and merge share the claimed volume, mounted where REPORTS says.
  const auto claim = m.pvc["metadata"]["name"].as<std::string>();
  const auto merge_pod = m.merge["spec"]["template"]["spec"];
  for (const auto& pod : {spec["template"]["spec"], merge_pod}) {
    EXPECT_EQ(pod["volumes"][0]["persistentVolumeClaim"]["claimName"].as<std::string>(), claim);
  }
  for (const auto& c : {shard, merge_pod["initContainers"][0], merge_pod["containers"][0]}) {
    EXPECT_EQ(c["volumeMounts"][0]["mountPath"].as<std::string>(), env_of(c).at("REPORTS"));
    EXPECT_EQ(env_of(c).at("SHARDS"), std::to_string(completions));
  }
}

TEST(KubernetesManifest, EachCompletionIndexRunsItsShardAndTheMergeJobJoinsThem) {
  const auto m = load_manifest();
  ASSERT_TRUE(m.shards && m.merge);
  scratch_dir tmp;
  const auto shard = m.shards["spec"]["template"]["spec"]["containers"][0];
  const int n = m.shards["spec"]["completions"].as<int>();
  for (int index = 0; index < n; ++index) {
    auto env = env_of(shard);
    env["SEEDS"] = test_seeds;
    env["FILES"] = test_files;
    env["REPORTS"] = tmp.path().string();
    env["JOB_COMPLETION_INDEX"] = std::to_string(index);  // what the Job controller sets
    const auto r = run_sh(script_of(shard), env);
    // Some runs fail (failing_check.yaml): the shard still succeeds, its report says so.
    EXPECT_EQ(r.exit_code, 0) << r.output;
  }
  expect_shards(tmp.path(), n);

  const auto pod = m.merge["spec"]["template"]["spec"];
  auto wait_env = env_of(pod["initContainers"][0]);
  wait_env["REPORTS"] = tmp.path().string();
  const auto waited = run_sh(script_of(pod["initContainers"][0]), wait_env);
  EXPECT_EQ(waited.exit_code, 0) << waited.output;
  auto merge_env = env_of(pod["containers"][0]);
  merge_env["REPORTS"] = tmp.path().string();
  const auto merged = run_sh(script_of(pod["containers"][0]), merge_env);
  EXPECT_EQ(merged.exit_code, 1) << merged.output;  // the sweep's verdict: failing_check failed
  EXPECT_NE(merged.output.find("not as expected (3):"), std::string::npos) << merged.output;
  EXPECT_EQ(without_wall_clock(read_json(tmp.path() / "sweep.json")),
            without_wall_clock(unsharded_report(tmp.path())));
  EXPECT_TRUE(fs::exists(tmp.path() / "sweep.xml"));
}

TEST(KubernetesManifest, MergeWaitGivesUpAfterItsNamedBound) {
  const auto m = load_manifest();
  ASSERT_TRUE(m.merge);
  scratch_dir tmp;
  const auto init = m.merge["spec"]["template"]["spec"]["initContainers"][0];
  auto env = env_of(init);
  env["REPORTS"] = tmp.path().string();
  env["WAIT_SECONDS"] = "0";
  std::ofstream(tmp.path() / "shard-1-of-4.json") << "{}";
  const auto r = run_sh(script_of(init), env);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("WAIT_SECONDS=0 passed with 1 of 4 shard reports"), std::string::npos)
      << r.output;
}

// -- Slurm ----------------------------------------------------------------------------------------

TEST(SlurmScript, IsValidBashWithSbatchDirectives) {
  const auto r = run_sh("bash -n tools/cluster/slurm-sweep.sh", {});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const auto text = read_text(cluster + "/slurm-sweep.sh");
  EXPECT_NE(text.find("\n#SBATCH --job-name="), std::string::npos);
  EXPECT_EQ(text.find("#SBATCH --array"), std::string::npos)
      << "the array size comes from `submit` (SHARDS), so the merge job is not an array";
}

TEST(SlurmScript, EachArrayTaskRunsItsShardAndTheMergeJoinsThem) {
  scratch_dir tmp;
  // An array numbered 5..8: the script counts shards from the array's first index.
  for (int id = 5; id <= 8; ++id) {
    const env_map env = {{"SLURM_ARRAY_TASK_ID", std::to_string(id)},
                         {"SLURM_ARRAY_TASK_MIN", "5"},
                         {"SLURM_ARRAY_TASK_COUNT", "4"},
                         {"SHARDS", "4"},
                         {"SEEDS", test_seeds},
                         {"FILES", test_files},
                         {"REPORTS", tmp.path().string()}};
    const auto r = run_sh("tools/cluster/slurm-sweep.sh shard", env);
    EXPECT_EQ(r.exit_code, 0) << r.output;
  }
  expect_shards(tmp.path(), 4);
  const auto merged =
      run_sh("tools/cluster/slurm-sweep.sh merge", {{"REPORTS", tmp.path().string()}});
  EXPECT_EQ(merged.exit_code, 1) << merged.output;
  EXPECT_EQ(without_wall_clock(read_json(tmp.path() / "sweep.json")),
            without_wall_clock(unsharded_report(tmp.path())));
}

TEST(SlurmScript, ShardOutsideAnArrayTaskAndUnknownModesExit2) {
  const auto outside = run_sh("tools/cluster/slurm-sweep.sh shard", {});
  EXPECT_EQ(outside.exit_code, 2);
  EXPECT_NE(outside.output.find("SLURM_ARRAY_TASK_ID is not set"), std::string::npos)
      << outside.output;
  const auto unknown = run_sh("tools/cluster/slurm-sweep.sh launch", {});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.output.find("not 'launch'"), std::string::npos) << unknown.output;
}

// -- GNU parallel ---------------------------------------------------------------------------------

TEST(GnuParallel, OneLinerRunsEveryShardAndMerges) {
  if (run_sh("parallel --version", {}).output.find("GNU parallel") == std::string::npos) {
    GTEST_SKIP() << "GNU parallel is not installed (tools/deps.sh installs it)";
  }
  scratch_dir tmp;
  const auto r = run_sh("tools/cluster/parallel-sweep.sh", {{"SHARDS", "3"},
                                                            {"SEEDS", test_seeds},
                                                            {"FILES", test_files},
                                                            {"REPORTS", tmp.path().string()}});
  EXPECT_EQ(r.exit_code, 1) << r.output;  // merge's verdict
  expect_shards(tmp.path(), 3);
  EXPECT_EQ(without_wall_clock(read_json(tmp.path() / "sweep.json")),
            without_wall_clock(unsharded_report(tmp.path())));
}

// -- Docker ---------------------------------------------------------------------------------------

TEST(Dockerfile, BuildsOnDebian12AndInstallsWhatEachareSimLinks) {
  const auto text = read_text(cluster + "/Dockerfile");
  std::vector<std::string> from;
  std::istringstream lines(text);
  for (std::string l; std::getline(lines, l);) {
    if (l.rfind("FROM ", 0) == 0) from.push_back(l);
  }
  ASSERT_EQ(from.size(), 2u) << "a build stage and a runtime stage";
  for (const auto& f : from) EXPECT_EQ(f.rfind("FROM debian:12", 0), 0u) << f;
  EXPECT_NE(text.find("--target eachare-sim"), std::string::npos);
  EXPECT_NE(text.find("ENTRYPOINT [\"eachare-sim\"]"), std::string::npos);
  // Every shared library the binary needs comes from the base image or a package the runtime
  // stage installs.
  const auto runtime = text.substr(text.rfind("FROM "));
  // With merged /usr, ldd may say /lib/... where dpkg knows /usr/lib/..., so match the tail.
  const auto libs = run_sh("for l in $(ldd " + sh_quote(sim) +
                               " | awk '/=> \\//{print $3}'); do dpkg-query -S \"*${l#/usr}\";"
                               " done 2>/dev/null | cut -d: -f1 | sort -u",
                           {});
  ASSERT_EQ(libs.exit_code, 0) << libs.output;
  std::istringstream pkgs(libs.output);
  int checked = 0;
  for (std::string pkg; std::getline(pkgs, pkg);) {
    if (pkg == "libc6" || pkg == "libstdc++6" || pkg == "libgcc-s1") continue;  // in debian:12
    ++checked;
    EXPECT_NE(runtime.find(pkg), std::string::npos) << "the runtime stage does not install " << pkg;
  }
  EXPECT_GE(checked, 1) << "expected at least yaml-cpp: " << libs.output;
}

TEST(Dockerfile, ImageBuildsAndRunsAScenarioWhenDockerRuns) {
  if (run_sh("docker info >/dev/null 2>&1", {}).exit_code != 0) {
    GTEST_SKIP() << "no Docker engine answers `docker info`; the image build is skipped";
  }
  const auto build =
      run_sh("docker build -q -f tools/cluster/Dockerfile -t eachare-test:latest .", {});
  ASSERT_EQ(build.exit_code, 0) << build.output;
  const auto r = run_sh("docker run --rm eachare-test:latest run scenarios/smoke/default.yaml", {});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("result: PASS"), std::string::npos) << r.output;
}

}  // namespace
