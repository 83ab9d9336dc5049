// runsc: one static binary that is the sandbox process (`runsc boot`,
// internal) and the command-line tool. main() only dispatches.
#include <malloc.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "boot/boot.h"
#include "runsc/cgroup_commands.h"
#include "runsc/check_command.h"
#include "runsc/cli_common.h"
#include "runsc/container_commands.h"
#include "runsc/daemon.h"
#include "runsc/do_command.h"
#include "runsc/process_commands.h"
#include "runsc/util/lazy_event_engine.h"
#include "runsc/util/log.h"
#include "runsc/util/version.h"

namespace {

struct Command {
  const char* name;
  int (*run)(int argc, char** argv);
  const char* help;  // nullptr: internal, not listed
};

const Command kCommands[] = {
    {"daemon", runsc::cli::DaemonMain, "serve the runsc gRPC API on a unix socket"},
    {"do", runsc::cli::DoCommand, "run a command in a fresh sandbox (host template)"},
    {"create", runsc::cli::CreateCommand, "create a sandbox from a bundle; its process waits"},
    {"start", runsc::cli::StartCommand, "let a created sandbox's main process run"},
    {"run", runsc::cli::RunCommand, "create a sandbox from a bundle and run it"},
    {"exec", runsc::cli::ExecCommand, "run another process in a running sandbox"},
    {"kill", runsc::cli::KillCommand, "signal a sandbox's main process (or --all)"},
    {"delete", runsc::cli::DeleteCommand, "remove a stopped sandbox (--force: any)"},
    {"state", runsc::cli::StateCommand, "print a sandbox's OCI state as JSON"},
    {"list", runsc::cli::ListCommand, "list sandboxes (--format table|json, -q)"},
    {"ps", runsc::cli::PsCommand, "list a sandbox's processes (--format json)"},
    {"wait", runsc::cli::WaitCommand, "wait for a sandbox's main process to exit"},
    {"events", runsc::cli::EventsCommand, "print a sandbox's stats and OOM events (runc JSON)"},
    {"pause", runsc::cli::PauseCommand, "freeze every process of a container"},
    {"resume", runsc::cli::ResumeCommand, "thaw a paused container"},
    {"update", runsc::cli::UpdateCommand, "change a container's limits (-r FILE or flags)"},
    {"features", runsc::cli::FeaturesCommand, "print what this runtime supports (runc JSON)"},
    {"spec", runsc::cli::SpecCommand, "write a new config.json in the bundle"},
    {"check", runsc::cli::CheckCommand,
     "boot a sandbox, query it, print its confinement, tear it down"},
    {"boot", runsc::boot::BootMain, nullptr},
};

void Usage(FILE* out) {
  fprintf(out, "Usage: runsc [global flags] COMMAND [flags]\n\nCommands:\n");
  for (const Command& c : kCommands) {
    if (c.help != nullptr) fprintf(out, "  %-10s %s\n", c.name, c.help);
  }
  fprintf(out,
          "\nGlobal flags:\n"
          "  --root DIR   state root (default /run/runsc)\n"
          "  --log FILE   write log lines (and errors) to FILE instead of stderr\n"
          "  --log-format text|json\n"
          "               json: one {\"level\",\"msg\",\"time\"} object a line\n"
          "  --debug      log debug lines too\n"
          "  --binary-cache DIR|off\n"
          "               where the copy of this binary that create and run's sandboxes\n"
          "               exec is kept, in 2 MiB folios where the filesystem has them\n"
          "               (default /var/cache/runsc; the daemon has --binary-on-huge-pages)\n"
          "  --systemd-cgroup\n"
          "               cgroupsPath is systemd's slice:prefix:name (needs systemd)\n"
          "  --version    print the version\n"
          "  --help       this help; COMMAND --help for a command's\n");
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil keeps the mutex deadlock detector on (builds with NDEBUG
  // have it off): every Lock and Unlock, gRPC's included, updates a
  // process-wide lock-order graph under a global lock, three times the cost
  // of the lock itself uncontended, and the first one zeroes a 32 KiB table.
  // It is a debugging aid; the test binaries keep it, this one runs without.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Global flags come before the command; --root is passed on to it.
  std::vector<char*> forwarded;
  std::string log_file, log_format = "text";
  std::string unknown_flag;  // the first global flag runsc does not know
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    std::string arg = argv[i];
    // runc's logging flags, as containerd's shim and podman pass them.
    auto value = [&](const std::string& name, std::string* out) {
      if (arg == name && i + 1 < argc) {
        *out = argv[++i];
        return true;
      }
      if (arg.rfind(name + "=", 0) == 0) {
        *out = arg.substr(name.size() + 1);
        return true;
      }
      return false;
    };
    if (value("--log", &log_file) || value("--log-format", &log_format)) continue;
    if (std::string dir; value("--binary-cache", &dir)) {
      if (dir.empty() || (dir != "off" && dir[0] != '/')) {
        fprintf(stderr, "runsc: --binary-cache: want an absolute directory or off, got '%s'\n",
                dir.c_str());
        return 2;
      }
      runsc::cli::SetBinaryCache(dir);
      continue;
    }
    if (arg == "--debug") {
      runsc::util::SetLogLevel(runsc::util::LogLevel::kDebug);
      continue;
    }
    if ((arg == "--version" || arg == "-v") && unknown_flag.empty()) {
      // runc's layout: the version, then the spec's and libseccomp's.
      printf("runsc version %s\nspec: 1.0.2\nlibseccomp: %u.%u.%u\n", runsc::util::kVersion,
             seccomp_version()->major, seccomp_version()->minor, seccomp_version()->micro);
      return 0;
    }
    // runc's flags for what runsc has no use for: criu (no checkpoints
    // here), and rootless, false or auto (runsc runs as root; "true" asks
    // for what it does not do).
    if (std::string unused; value("--criu", &unused)) continue;
    // Booleans as Go's strconv.ParseBool, which runc's flags use, reads them.
    auto parse_bool = [](const std::string& v) -> std::optional<bool> {
      for (const char* t : {"1", "t", "T", "true", "TRUE", "True"}) {
        if (v == t) return true;
      }
      for (const char* f : {"0", "f", "F", "false", "FALSE", "False"}) {
        if (v == f) return false;
      }
      return std::nullopt;
    };
    if (std::string rootless; value("--rootless", &rootless)) {
      if (rootless != "auto" && parse_bool(rootless) != false) {
        fprintf(stderr, "runsc: --rootless=%s: runsc runs as root only (false or auto)\n",
                rootless.c_str());
        return 2;
      }
      continue;
    }
    if (arg.rfind("--systemd-cgroup=", 0) == 0) {
      const std::optional<bool> on = parse_bool(arg.substr(strlen("--systemd-cgroup=")));
      if (!on.has_value()) {
        fprintf(stderr, "runsc: %s: want a boolean\n", arg.c_str());
        return 2;
      }
      static char systemd_cgroup[] = "--systemd-cgroup";
      if (*on) forwarded.push_back(systemd_cgroup);
      continue;
    }
    if ((arg == "--help" || arg == "-h") && unknown_flag.empty()) {
      Usage(stdout);
      return 0;
    }
    if (arg == "--root" && i + 1 < argc) {
      forwarded.push_back(argv[i]);
      forwarded.push_back(argv[++i]);
    } else if (arg.rfind("--root=", 0) == 0 || arg == "--systemd-cgroup") {
      forwarded.push_back(argv[i]);
    } else if (unknown_flag.empty()) {
      // Reported once --log (which may follow) is known.
      unknown_flag = arg;
    }
  }
  if (log_format != "text" && log_format != "json") {
    fprintf(stderr, "runsc: --log-format: want text or json, got '%s'\n", log_format.c_str());
    return 2;
  }
  if (!log_file.empty()) {
    absl::Status opened = runsc::util::SetLogFile(log_file, log_format == "json");
    if (!opened.ok()) {
      fprintf(stderr, "runsc: %s\n", std::string(opened.message()).c_str());
      return 1;
    }
  }
  // Callers such as containerd's shim read a failure from --log, not from
  // the stderr it gives the container.
  auto fail = [](const std::string& message) {
    fprintf(stderr, "runsc: %s\n", message.c_str());
    if (runsc::util::HasLogFile())
      runsc::util::Log(runsc::util::LogLevel::kError, "runsc", message);
    Usage(stderr);
    return 2;
  };
  if (!unknown_flag.empty()) return fail("flag provided but not defined: " + unknown_flag);
  if (i == argc) {
    Usage(stderr);
    return 2;
  }
  for (const Command& c : kCommands) {
    if (strcmp(argv[i], c.name) != 0) continue;
    // Global flags go first, so a command's own positional arguments (and
    // an exec'd command's flags) stay where the user put them.
    std::vector<char*> args = {argv[i]};
    args.insert(args.end(), forwarded.begin(), forwarded.end());
    args.insert(args.end(), argv + i + 1, argv + argc);
    args.push_back(nullptr);
    // One malloc arena, before any thread exists. glibc gives each thread
    // that allocates an arena of its own (a 64 MiB mapping, its first pages
    // faulted in); the supervisor's and the CLI's threads are few and
    // mostly idle, and each arena cost memory in every sandbox and time at
    // every start and exit. The daemon, whose threads serve calls at once,
    // keeps glibc's default.
    //
    // For the same commands, gRPC's EventEngine starts on first use only:
    // its default one starts three threads that neither the supervisor's
    // control server nor the CLI's channels, on iomgr over unix sockets, ever
    // use (runsc/util/lazy_event_engine.h).
    if (strcmp(c.name, "daemon") != 0) {
      mallopt(M_ARENA_MAX, 1);
      runsc::util::UseLazyEventEngine();
    }
    const int code = c.run(static_cast<int>(args.size()) - 1, args.data());
    // The command has released what it owns. Static destructors would run
    // beside gRPC's idle threads (where a command used gRPC, it stays up),
    // so the process ends here, with stdio flushed.
    fflush(nullptr);
    _exit(code);
  }
  return fail(absl::StrCat("unknown command '", argv[i], "'"));
}
