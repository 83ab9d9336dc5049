#include "runsc/check_command.h"

#include <stdio.h>
#include <string.h>

#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runsc/util/file_util.h"
#include "sandbox/control_client.h"
#include "sandbox/sandbox.h"
#include "specutils/sandbox_id.h"

namespace runsc::cli {
namespace {

void Usage(FILE* out) {
  fprintf(out,
          "Usage: runsc [--root DIR] check [--id ID]\n\n"
          "Boots a sandbox, queries its control plane, prints its confinement\n"
          "as seen from the host, and tears it down.\n\n"
          "  --id ID     sandbox id (default: random)\n"
          "  --root DIR  state root (default: /run/runsc)\n");
}

// Prints the /proc/PID/status lines that describe the confinement.
void PrintPosture(pid_t pid) {
  std::istringstream status(util::ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/status")));
  std::string line;
  for (const char* key : {"Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:",
                          "CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:",
                          "Seccomp:"}) {
    status.clear();
    status.seekg(0);
    while (std::getline(status, line)) {
      if (absl::StartsWith(line, key)) printf("  %s\n", line.c_str());
    }
  }
}

}  // namespace

int CheckCommand(int argc, char** argv) {
  sandbox::SandboxOptions options;
  options.id = specutils::GenerateSandboxId();
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      Usage(stdout);
      return 0;
    } else if (arg == "--id" && i + 1 < argc) {
      options.id = argv[++i];
    } else if (absl::StartsWith(arg, "--id=")) {
      options.id = arg.substr(5);
    } else if (arg == "--root" && i + 1 < argc) {
      options.state_root = argv[++i];
    } else if (absl::StartsWith(arg, "--root=")) {
      options.state_root = arg.substr(7);
    } else {
      fprintf(stderr, "runsc check: unknown argument '%s'\n", arg.c_str());
      Usage(stderr);
      return 2;
    }
  }
  const absl::Time start = absl::Now();
  auto sandbox = sandbox::Sandbox::Create(options);
  if (!sandbox.ok()) {
    fprintf(stderr, "runsc check: %s\n", std::string(sandbox.status().message()).c_str());
    return 1;
  }
  const absl::Duration boot = absl::Now() - start;
  std::shared_ptr<sandbox::ControlClient> client = (*sandbox)->control();
  auto info = client->Info();
  if (!info.ok()) {
    fprintf(stderr, "runsc check: Control.Info: %s\n",
            std::string(info.status().message()).c_str());
    return 1;
  }
  printf("sandbox %s ready in %s (host pid %d)\n", info->sandbox_id().c_str(),
         absl::FormatDuration(boot).c_str(), (*sandbox)->pid());
  printf("control plane: pid %d uid %u gid %u runsc %s\n", info->pid(),
         info->uid(), info->gid(), info->version().c_str());
  printf("confinement seen from the host:\n");
  PrintPosture((*sandbox)->pid());
  absl::Status shutdown = client->Shutdown();
  auto exit = (*sandbox)->Wait(absl::Seconds(5));
  absl::Status destroyed = (*sandbox)->Destroy();
  if (!shutdown.ok() || !exit.ok() || !destroyed.ok()) {
    fprintf(stderr, "runsc check: teardown: %s %s %s\n",
            std::string(shutdown.message()).c_str(),
            std::string(exit.status().message()).c_str(),
            std::string(destroyed.message()).c_str());
    return 1;
  }
  printf("sandbox %s shut down (%s) and removed\n", info->sandbox_id().c_str(),
         exit->ToString().c_str());
  return 0;
}

}  // namespace runsc::cli
