// Root tests of the OCI hooks as the runtime CLI runs them: each at its
// point, with the state on its stdin, the container's own as the
// container's root in its namespaces, and what a failing, slow or
// concurrent one leaves.
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/cli_fixture.h"
#include "test/oci_runtime_fixture.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// `run` with a terminal of its own proxies the pty; a hook that fails
// before the start used to leave the command waiting for the proxy, whose
// pty the held main process kept open, for good (with the terminal raw
// and ^C blocked). It ends with the hook's error and leaves nothing.
TEST_F(OciRuntimeTest, ARunWithATerminalWhoseHookFailsEnds) {
  runsc::oci::v1::Spec spec = LoadSpec();
  SetProcess(&spec, {"true"});
  spec.mutable_process()->set_terminal(true);
  auto* hook = spec.mutable_hooks()->mutable_prestart()->Add();
  hook->set_path("/bin/false");
  SaveSpec(spec);
  auto [code, out] = RunShell(absl::StrCat("cd ", bundle_, " && timeout -s KILL 30 ", runsc_,
                                           " --root ", state_, " run t </dev/null 2>&1"));
  EXPECT_EQ(code, 1) << out;  // 137: still waiting when timeout killed it
  EXPECT_THAT(out, HasSubstr("prestart"));
  EXPECT_THAT(Runsc("state t").second, HasSubstr("does not exist"));
  Runsc("delete --force t");
}

// Two deletes at once (a runtime's cleanup beside a user's): one deletes,
// the other finds nothing, and the poststop hooks run once.
TEST_F(OciRuntimeTest, ConcurrentDeletesRunThePoststopHooksOnce) {
  const std::string ran = root_.path() + "/poststop.ran";
  runsc::oci::v1::Spec spec = LoadSpec();
  SetProcess(&spec, {"sleep", "1000"});
  AddShellHook(spec.mutable_hooks()->mutable_poststop(), "echo ran >> " + ran);
  SaveSpec(spec);
  pid_t pid = Create("a");
  ASSERT_EQ(Runsc("start a").first, 0);
  const std::string del = absl::StrCat(runsc_, " --root ", state_, " delete --force a");
  auto [code, out] = RunShell(absl::StrCat("(", del, "; echo rc=$?) & (", del, "; echo rc=$?) & (",
                                           del, "; echo rc=$?); wait"));
  EXPECT_EQ(Reap(pid), 137);
  EXPECT_EQ(ReadFile(ran), "ran\n") << out;
  // Each succeeds, as runc's: --force of a container already gone is no
  // error.
  EXPECT_EQ(out, "rc=0\nrc=0\nrc=0\n");
  EXPECT_EQ(Runsc("list -q").second, "");
}

// A start beside a create whose hooks still run waits for them: it used to
// find the create's record unfinished and refuse ("created through the
// daemon"), or let the main process run before its createRuntime hook.
TEST_F(OciRuntimeTest, AStartWaitsForTheCreatesHooks) {
  const std::string shared = root_.path() + "/shared";
  ASSERT_NO_FATAL_FAILURE(MakeWritableDir(shared));
  runsc::oci::v1::Spec spec = LoadSpec();
  SetProcess(&spec, {"sh", "-c", "echo main >> /shared/order"});
  AddBind(&spec, shared, "/shared");
  AddShellHook(
      spec.mutable_hooks()->mutable_create_runtime(),
      absl::StrCat("sleep 0.5; echo hook >> ", shared, "/order; chmod 666 ", shared, "/order"));
  SaveSpec(spec);
  const std::string cli = absl::StrCat("cd ", bundle_, " && ", runsc_, " --root ", state_);
  auto [code, out] = RunShell(absl::StrCat(
      "(", cli, " create --pid-file ", root_.path(), "/a.pid a </dev/null >/dev/null 2>&1 &); ",
      "i=0; until ", cli, " state a >/dev/null 2>&1 || ",
      "[ $i -ge 1000 ]; do sleep 0.01; i=$((i+1)); done; ", cli, " start a 2>&1; echo rc=$?"));
  EXPECT_THAT(out, HasSubstr("rc=0")) << out;
  pid_t pid = static_cast<pid_t>(atoi(ReadFile(root_.path() + "/a.pid").c_str()));
  ASSERT_GT(pid, 0);
  EXPECT_EQ(Reap(pid), 0);
  EXPECT_EQ(ReadFile(shared + "/order"), "hook\nmain\n");
}

TEST_F(OciRuntimeTest, HooksRunAtTheirPointsWithTheStateOnStdin) {
  const std::string shared = root_.path() + "/shared";
  ASSERT_NO_FATAL_FAILURE(MakeWritableDir(shared));
  runsc::oci::v1::Spec spec = LoadSpec();
  SetProcess(&spec, {"true"});
  AddBind(&spec, shared, "/shared");
  // Each hook saves its stdin; the container's ones also where they run
  // (hostname, and a path only the container's mount namespace has).
  auto hook = [&](google::protobuf::RepeatedPtrField<runsc::oci::v1::Hook>* list,
                  const std::string& name, bool in_container) {
    const std::string dir = in_container ? "/shared" : shared;
    AddShellHook(list, absl::StrCat("cat > ", dir, "/", name, ".json; hostname > ", dir, "/", name,
                                    ".host; cat /proc/self/uid_map > ", dir, "/", name,
                                    ".map; ls -l /proc/self/fd/ > ", dir, "/", name, ".fds"))
        ->set_timeout(10);
  };
  auto* hooks = spec.mutable_hooks();
  hook(hooks->mutable_prestart(), "prestart", false);
  hook(hooks->mutable_create_runtime(), "createRuntime", false);
  hook(hooks->mutable_create_container(), "createContainer", true);
  hook(hooks->mutable_start_container(), "startContainer", true);
  hook(hooks->mutable_poststart(), "poststart", false);
  hook(hooks->mutable_poststop(), "poststop", false);
  (*spec.mutable_annotations())["org.example.hooked"] = "yes";
  // A state larger than a pipe holds: it went into one before anything read
  // it, and the create hung.
  const std::string big(100000, 'x');
  (*spec.mutable_annotations())["org.example.big"] = big;
  SaveSpec(spec);
  pid_t pid = Create("a");
  for (const char* name : {"prestart", "createRuntime", "createContainer"}) {
    EXPECT_THAT(ReadFile(absl::StrCat(shared, "/", name, ".json")),
                HasSubstr(absl::StrCat("\"id\":\"a\",\"status\":\"creating\",\"pid\":", pid,
                                       ",\"bundle\":\"", bundle_,
                                       "\",\"annotations\":{\"org.example.big\":\"", big,
                                       "\",\"org.example.hooked\":\"yes\"}")))
        << name;
  }
  EXPECT_EQ(access((shared + "/startContainer.json").c_str(), F_OK), -1) << "ran before start";
  ASSERT_EQ(Runsc("start a").first, 0);
  EXPECT_THAT(ReadFile(shared + "/startContainer.json"), HasSubstr("\"status\":\"created\""));
  EXPECT_THAT(ReadFile(shared + "/poststart.json"), HasSubstr("\"status\":\"running\""));
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  EXPECT_EQ(ReadFile(shared + "/createContainer.host"), spec.hostname() + "\n");
  EXPECT_EQ(ReadFile(shared + "/startContainer.host"), spec.hostname() + "\n");
  EXPECT_EQ(ReadFile(shared + "/prestart.host"), std::string(host) + "\n");
  // The container's hooks run as its root, in the workloads' user
  // namespace: their interpreter and libraries are the image's, and must
  // never run as the host's root. The runtime's run as it does.
  for (const char* name : {"createContainer", "startContainer"}) {
    const std::string map = ReadFile(absl::StrCat(shared, "/", name, ".map"));
    EXPECT_THAT(map, HasSubstr("100000")) << name;
    EXPECT_THAT(map, Not(HasSubstr("4294967295"))) << name;
  }
  EXPECT_THAT(ReadFile(shared + "/prestart.map"), HasSubstr("4294967295"));
  // Nothing of the CLI's but stdio reaches a hook (its state directory's
  // lock, in the container's namespaces, would be a host directory there).
  for (const char* name : {"prestart", "createContainer", "startContainer", "poststart"}) {
    const std::string fds = ReadFile(absl::StrCat(shared, "/", name, ".fds"));
    EXPECT_THAT(fds, HasSubstr(" 0 -> ")) << name;
    EXPECT_THAT(fds, Not(HasSubstr(state_))) << name << ": " << fds;
  }
  EXPECT_EQ(Reap(pid), 0);
  EXPECT_EQ(access((shared + "/poststop.json").c_str(), F_OK), -1) << "ran before delete";
  ASSERT_EQ(Runsc("delete a").first, 0);
  EXPECT_THAT(ReadFile(shared + "/poststop.json"), HasSubstr("\"status\":\"stopped\""));
  EXPECT_THAT(ReadFile(shared + "/poststop.json"), HasSubstr("\"org.example.hooked\":\"yes\"}"));
}

TEST_F(OciRuntimeTest, RunWithHooksHoldsTheProcessUntilTheyHaveRun) {
  // `run` starts the main process at once only when nothing has to happen
  // between create and start; with hooks it is held, and a startContainer
  // hook's work is there before the process runs.
  const std::string shared = root_.path() + "/shared";
  ASSERT_NO_FATAL_FAILURE(MakeWritableDir(shared));
  runsc::oci::v1::Spec spec = LoadSpec();
  SetProcess(&spec, {"sh", "-c", "test -f /shared/hooked && echo saw-the-hook"});
  AddBind(&spec, shared, "/shared");
  AddShellHook(spec.mutable_hooks()->mutable_start_container(), "sleep 0.2; touch /shared/hooked");
  AddShellHook(spec.mutable_hooks()->mutable_poststart(), "cat > " + shared + "/poststart.json");
  SaveSpec(spec);
  auto [code, out] = Runsc("run a");
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("saw-the-hook"));
  EXPECT_THAT(ReadFile(shared + "/poststart.json"), HasSubstr("\"status\":\"running\""));
}

// What the hooks before the failing one set up is undone: the poststop
// hooks run, as runc's do, since no `delete` would find the container.
TEST_F(OciRuntimeTest, AFailingHookFailsCreateAndLeavesNothing) {
  runsc::oci::v1::Spec spec = LoadSpec();
  spec.mutable_process()->set_terminal(false);
  const std::string undone = root_.path() + "/poststop.ran";
  AddShellHook(spec.mutable_hooks()->mutable_poststop(), "echo undone >> " + undone);
  runsc::oci::v1::Hook* h = AddShellHook(spec.mutable_hooks()->mutable_create_runtime(),
                                         "echo no network for you; exit 3");
  SaveSpec(spec);
  ExpectError("create a",
              "hooks.createRuntime[0] '/bin/busybox': exit status 3: no network for you");
  EXPECT_EQ(Runsc("list -q").second, "");
  EXPECT_TRUE(ListDir(state_).empty());
  EXPECT_EQ(ReadFile(undone), "undone\n") << "the poststop hooks of a failed create did not run";
  ExpectError("run a", "no network for you");
  EXPECT_EQ(ReadFile(undone), "undone\nundone\n")
      << "the poststop hooks of a failed run did not run";
  ASSERT_EQ(unlink(undone.c_str()), 0);
  // A hook that outlives its timeout fails too.
  h->clear_args();
  h->add_args("busybox");
  h->add_args("sleep");
  h->add_args("30");
  h->set_timeout(1);
  SaveSpec(spec);
  const absl::Time start = absl::Now();
  ExpectError("create a", "timed out after 1 s");
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

// A container's hook runs image code (its shell, loader and libraries): it
// ran with the caller's session keyring, which fork keeps, and in the
// caller's cgroups, out of the container's limits and freezer, with
// whatever it left running.
TEST_F(OciRuntimeTest, AContainersHookHasNeitherTheCallersKeyringNorItsCgroups) {
  constexpr int kSessionKeyring = -3;  // KEY_SPEC_SESSION_KEYRING
  const long key =
      syscall(SYS_add_key, "user", "runsc-test-hook-secret", "s3cret", 6, kSessionKeyring);
  ASSERT_GT(key, 0) << strerror(errno);
  const std::string shared = root_.path() + "/shared";
  ASSERT_NO_FATAL_FAILURE(MakeWritableDir(shared));
  runsc::oci::v1::Spec spec = LoadSpec();
  SetProcess(&spec, {"sh", "-c", "cat /proc/self/cgroup > /shared/main.cgroup"});
  AddBind(&spec, shared, "/shared");
  ASSERT_EQ(RunShell("cp test/probe " + bundle_ + "/rootfs/bin/probe").first, 0);
  // /proc/keys lists no key of another user namespace's, possessed or not:
  // the search is what possession allows.
  AddShellHook(spec.mutable_hooks()->mutable_create_container(),
               "probe findkey runsc-test-hook-secret > /shared/hook.search; "
               "cat /proc/self/cgroup > /shared/hook.cgroup")
      ->set_timeout(10);
  SaveSpec(spec);
  auto [code, out] = Runsc("run a");
  syscall(SYS_keyctl, 3 /* KEYCTL_REVOKE */, key);
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(ReadFile(shared + "/hook.search"), "ENOKEY\n");
  // In the container's cgroup namespace, its own cgroups are "/"; the
  // caller's would show as a path up and out of it ("/../..").
  const std::string cgroups = ReadFile(shared + "/hook.cgroup");
  EXPECT_THAT(cgroups, Not(HasSubstr("/.."))) << cgroups;
  EXPECT_EQ(cgroups, ReadFile(shared + "/main.cgroup"));
}

}  // namespace
}  // namespace runsc::testing
