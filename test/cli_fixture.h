// The fixture of the root CLI tests: a busybox bundle written by `runsc
// spec`, a private state root, and ways to run the runsc binary on them as a
// user (or podman, or containerd's shim) would.
#ifndef RUNSC_TEST_CLI_FIXTURE_H_
#define RUNSC_TEST_CLI_FIXTURE_H_

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "proto/oci.pb.h"
#include "runsc/util/packet.h"
#include "runsc/util/unique_fd.h"
#include "specutils/spec_json.h"
#include "test/bundle_util.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char resolved[PATH_MAX];
    ASSERT_NE(realpath(RunscPath().c_str(), resolved), nullptr);
    runsc_ = resolved;  // the commands run from inside the bundle
    bundle_ = root_.path() + "/bundle";
    state_ = root_.path() + "/state";
    ASSERT_TRUE(MakeBusyboxRootfs(bundle_).ok());
    ASSERT_EQ(Runsc("spec --bundle " + bundle_).first, 0);
  }
  void TearDown() override {
    Runsc("delete --force a");
    Runsc("delete --force b");
    EXPECT_EQ(system(absl::StrCat("rm -rf ", root_.path(), "/*").c_str()), 0);
  }

  // Runs `runsc --root STATE ARGS` through the shell; returns (code, stdout+stderr).
  std::pair<int, std::string> Runsc(const std::string& args, const std::string& stdin_text = "") {
    return RunShell(absl::StrCat("cd ", bundle_, " && printf '%s' '", stdin_text, "' | ",
                                 runsc_, " --root ", state_, " ", args, " 2>&1"));
  }

  // A detached run keeps the stdio it was given (as runc's does), so it must
  // not get our capture pipe: its stdio here is /dev/null.
  int RunDetached(const std::string& id) {
    std::string cmd = absl::StrCat("cd ", bundle_, " && ", runsc_, " --root ", state_,
                                   " run -d ", id, " </dev/null >/dev/null 2>&1");
    int status = system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // Runs `runsc ARGS`, expecting it to fail with a message containing `says`.
  void ExpectError(const std::string& args, const std::string& says) {
    auto [code, out] = Runsc(args);
    EXPECT_NE(code, 0) << args;
    EXPECT_THAT(out, ::testing::HasSubstr(says)) << args;
  }

  // A listening unix stream socket at `path`, as conmon's console socket.
  static util::UniqueFd ListenAt(const std::string& path) {
    util::UniqueFd listener(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    EXPECT_EQ(bind(listener.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(listener.get(), 1), 0);
    return listener;
  }

  // Accepts one connection and returns the one fd sent on it, as runc's
  // console-socket and pidfd-socket protocols send one; empty otherwise.
  static util::UniqueFd ReceiveOneFd(int listener) {
    util::UniqueFd conn(accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) return util::UniqueFd();
    google::protobuf::StringValue name;
    std::vector<util::UniqueFd> fds;
    if (!util::RecvPacket(conn.get(), &name, &fds).ok() || fds.size() != 1) {
      return util::UniqueFd();
    }
    return std::move(fds[0]);
  }

  // The bundle's spec, and a way to write it back.
  runsc::oci::v1::Spec LoadSpec() {
    std::ifstream in(bundle_ + "/config.json");
    std::stringstream text;
    text << in.rdbuf();
    runsc::oci::v1::Spec spec;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(text.str(), &spec).ok());
    return spec;
  }
  // Integers as JSON numbers, as `runsc spec` writes them: runc reads this
  // file too.
  void SaveSpec(const runsc::oci::v1::Spec& spec) {
    std::ofstream(bundle_ + "/config.json") << specutils::SpecJson(spec);
  }

  // Rewrites the bundle's process args (and turns the terminal off, unless
  // `terminal`), with a memory limit if `memory_limit` is not 0.
  void SetArgs(const std::vector<std::string>& args, int64_t memory_limit = 0,
               bool terminal = false) {
    runsc::oci::v1::Spec spec = LoadSpec();
    spec.mutable_process()->set_terminal(terminal);
    spec.mutable_process()->clear_args();
    for (const auto& a : args) spec.mutable_process()->add_args(a);
    if (memory_limit != 0) {
      auto* memory = spec.mutable_linux()->mutable_resources()->mutable_memory();
      memory->set_limit(memory_limit);
      memory->set_swap(memory_limit);
    }
    SaveSpec(spec);
  }

  TempStateRoot root_;
  std::string runsc_, bundle_, state_;
};

}  // namespace runsc::testing

#endif  // RUNSC_TEST_CLI_FIXTURE_H_
