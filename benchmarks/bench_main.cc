// main() of goro_bench: Google Benchmark's, unless the binary was started in
// one of the child modes registered with goro_bench::register_child_mode.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "benchmark/benchmark.h"
#include "benchmarks/bench_util.h"

extern char** environ;

namespace goro_bench {
namespace {

std::map<std::string, double (*)()>& child_modes() {
  static std::map<std::string, double (*)()> modes;
  return modes;
}

}  // namespace

long resident_bytes() {
  long pages_total = 0, pages_resident = 0;
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  const int n = std::fscanf(f, "%ld %ld", &pages_total, &pages_resident);
  std::fclose(f);
  if (n != 2) return -1;
  return pages_resident * sysconf(_SC_PAGESIZE);
}

bool register_child_mode(const char* flag, double (*measure)()) {
  child_modes()[flag] = measure;
  return true;
}

double run_self_for_number(const char* flag) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  char self[] = "/proc/self/exe";
  char* argv[] = {self, const_cast<char*>(flag), nullptr};
  pid_t pid;
  const int rc = posix_spawn(&pid, self, &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return -1;
  }
  std::string out;
  char buf[256];
  ssize_t got;
  while ((got = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, got);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || out.empty()) return -1;
  return std::strtod(out.c_str(), nullptr);
}

}  // namespace goro_bench

int main(int argc, char** argv) {
  if (argc == 2) {
    auto& modes = goro_bench::child_modes();
    auto it = modes.find(argv[1]);
    if (it != modes.end()) {
      std::printf("%.1f\n", it->second());
      return 0;
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
