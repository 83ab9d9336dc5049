// Root tests of the built-in host template: no bundle needed.
#include "sandbox/host_template.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/sandbox.h"
#include "test/bundle_util.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

class HostTemplateTest : public ::testing::Test {
 protected:
  ProcessResult Run(const std::vector<std::string>& args) {
    sandbox::HostTemplateOptions options;
    options.args = args;
    options.hostname = "tmpl";
    auto config = sandbox::HostTemplate(options);
    EXPECT_TRUE(config.ok()) << config.status();
    sandbox::SandboxOptions sandbox_options;
    sandbox_options.id = "tmpl";
    sandbox_options.state_root = root_.path();
    sandbox_options.runsc_path = RunscPath();
    sandbox_options.container = *config;
    auto box = sandbox::Sandbox::Create(sandbox_options);
    EXPECT_TRUE(box.ok()) << box.status();
    if (!box.ok()) return {};
    auto result = RunInSandbox(**box);
    EXPECT_TRUE(result.ok()) << result.status();
    EXPECT_TRUE((*box)->Destroy().ok());
    return result.ok() ? *result : ProcessResult{};
  }

  TempStateRoot root_;
};

TEST_F(HostTemplateTest, PythonRunsImmediately) {
  struct stat st;
  if (stat("/usr/bin/python3", &st) != 0) GTEST_SKIP() << "this host has no /usr/bin/python3";
  ProcessResult r = Run({"python3", "-c", "print(1)"});
  EXPECT_EQ(r.out, "1\n") << r.err;
  EXPECT_EQ(r.status.code(), 0);
}

TEST_F(HostTemplateTest, HostSystemIsReadOnlyAndTmpIsPrivate) {
  ProcessResult r = Run({"/bin/sh", "-c",
                         "touch /usr/x 2>/dev/null; echo usr=$?; echo hi > /tmp/f && cat /tmp/f;"
                         " ls /; cat /etc/hostname; stat -c %u /usr/bin/env"});
  EXPECT_THAT(r.out, HasSubstr("usr=1"));
  EXPECT_THAT(r.out, HasSubstr("hi\n"));
  EXPECT_THAT(r.out, HasSubstr("tmpl\n"));
  // Root-owned host files are no id of the container's (not idmapped):
  // the overflow id.
  EXPECT_THAT(r.out, HasSubstr("\n65534\n"));
  // Nothing of the host's root beyond the template's view.
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("root\nrun\nsbin\nsrv")));
  struct stat st;
  EXPECT_NE(stat("/tmp/f", &st), 0) << "the workload's /tmp leaked to the host";
}

// A group member's workloads are templates: a file only host root may
// read stays so, although the container's root runs the workload.
TEST_F(HostTemplateTest, HostRootsPrivateFilesStayPrivate) {
  const std::string secret = absl::StrCat("/usr/lib/runsc-test-secret-", getpid());
  {
    util::UniqueFd fd(open(secret.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    ASSERT_TRUE(fd) << secret << ": " << strerror(errno);
    ASSERT_EQ(write(fd.get(), "s3cret", 6), 6);
  }
  absl::Cleanup remove = [&] { unlink(secret.c_str()); };
  ProcessResult r = Run({"/bin/sh", "-c", absl::StrCat("cat ", secret, "; echo rc=$?; id -u")});
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("s3cret")));
  EXPECT_THAT(r.out, HasSubstr("rc=1\n0\n")) << r.err;  // the container's root, refused
}

TEST_F(HostTemplateTest, GeneratedEtcHasNoHostSecrets) {
  ProcessResult r = Run({"/bin/sh", "-c", "cat /etc/passwd; ls /etc"});
  EXPECT_EQ(r.out,
            "root:x:0:0:root:/root:/bin/sh\n"
            "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
            "group\nhostname\nhosts\npasswd\n");
}

}  // namespace
}  // namespace runsc::testing
