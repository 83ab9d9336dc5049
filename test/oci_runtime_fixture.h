// The fixture of the root runtime-mode tests: CliTest, as a subreaper (as
// conmon and containerd's shim are), with ways to create, reap and inspect
// a container.
#ifndef RUNSC_TEST_OCI_RUNTIME_FIXTURE_H_
#define RUNSC_TEST_OCI_RUNTIME_FIXTURE_H_

#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/cli_fixture.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {

// The spec's process runs `args`, without a terminal.
inline void SetProcess(runsc::oci::v1::Spec* spec, const std::vector<std::string>& args) {
  spec->mutable_process()->set_terminal(false);
  spec->mutable_process()->clear_args();
  for (const std::string& arg : args) spec->mutable_process()->add_args(arg);
}

// Binds host directory `source` at `destination` in the container.
inline void AddBind(runsc::oci::v1::Spec* spec, const std::string& source,
                    const std::string& destination) {
  auto* m = spec->add_mounts();
  m->set_destination(destination);
  m->set_type("bind");
  m->set_source(source);
  m->add_options("rbind");
}

// Appends to `hooks` one that runs `script` with busybox's sh (on the host,
// or in the container for the container's hooks); returns it.
inline runsc::oci::v1::Hook* AddShellHook(
    google::protobuf::RepeatedPtrField<runsc::oci::v1::Hook>* hooks, const std::string& script) {
  runsc::oci::v1::Hook* hook = hooks->Add();
  hook->set_path("/bin/busybox");
  for (const char* arg : {"busybox", "sh", "-c"}) hook->add_args(arg);
  hook->add_args(script);
  return hook;
}

class OciRuntimeTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    // As conmon and the shim are: a detached sandbox is reparented to us.
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  }

  // `runsc create` with its stdio on files, and a pid file; returns the pid.
  pid_t Create(const std::string& id, const std::string& extra = "") {
    const std::string pid_file = root_.path() + "/" + id + ".pid";
    auto [code, out] = RunShell(absl::StrCat("cd ", bundle_, " && ", runsc_, " --root ", state_,
                                             " create --pid-file ", pid_file, " ", extra, " ", id,
                                             " </dev/null >", root_.path(), "/", id,
                                             ".out 2>&1; echo rc=$?"));
    EXPECT_THAT(out, ::testing::HasSubstr("rc=0")) << ReadFile(root_.path() + "/" + id + ".out");
    return static_cast<pid_t>(atoi(ReadFile(pid_file).c_str()));
  }

  // Reaps `pid` (our descendant by reparenting) and returns its shell code.
  int Reap(pid_t pid) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // The host path of `pid`'s cgroup in the v1 memory hierarchy (or v2).
  std::string MemoryCgroupOf(pid_t pid) {
    for (absl::string_view line :
         absl::StrSplit(ReadFile(absl::StrCat("/proc/", pid, "/cgroup")), '\n')) {
      std::vector<std::string> f = absl::StrSplit(line, absl::MaxSplits(':', 2));
      if (f.size() == 3 && f[1] == "memory") return "/sys/fs/cgroup/memory" + f[2];
    }
    return "";
  }

  // Makes `dir` a directory every container may write (a bind's source),
  // 0777 past the umask: the container's own hooks and processes write
  // there as the container's root, not the host's. Call it under
  // ASSERT_NO_FATAL_FAILURE.
  void MakeWritableDir(const std::string& dir) {
    ASSERT_EQ(mkdir(dir.c_str(), 0777), 0);
    ASSERT_EQ(chmod(dir.c_str(), 0777), 0);
  }

  // The first host pid `ps --format json` lists.
  std::string WorkloadHostPid(const std::string& id) {
    auto [code, ps] = Runsc("ps --format json " + id);
    EXPECT_EQ(code, 0) << ps;
    absl::string_view pids = absl::StripTrailingAsciiWhitespace(ps);
    pids = absl::StripSuffix(absl::StripPrefix(pids, "["), "]");
    return std::string(pids.substr(0, pids.find(',')));
  }
};

}  // namespace runsc::testing

#endif  // RUNSC_TEST_OCI_RUNTIME_FIXTURE_H_
