#include "boot/seccomp_cache.h"

#include <errno.h>
#include <seccomp.h>

#include <string>

#include "boot/seccomp_loader.h"
#include "gtest/gtest.h"
#include "specutils/seccomp_spec.h"

namespace runsc::boot {
namespace {

using runsc::boot::v1::SeccompProgram;

// The default program with its first rule's action changed to ERRNO(err):
// a program that differs from the built one.
SeccompProgram Variant(int err) {
  SeccompProgram program = specutils::DefaultSeccompProgram();
  if (program.rules_size() == 0) program.add_rules()->set_syscall(SCMP_SYS(getppid));
  program.mutable_rules(0)->set_action(SCMP_ACT_ERRNO(err));
  return program;
}

TEST(SeccompCacheTest, TheBuildsDefaultProgramIsTodays) {
  // The embedded copy was made by seccomp_gen when runsc was built;
  // it must be the program a spec without seccomp gets now, and libseccomp
  // must make the same BPF of it now.
  std::string now;
  ASSERT_TRUE(specutils::DefaultSeccompProgram().SerializeToString(&now));
  EXPECT_EQ(BuiltDefaultSeccompProgram(), now);
  absl::StatusOr<std::string> bpf = CompileSeccompProgram(specutils::DefaultSeccompProgram());
  ASSERT_TRUE(bpf.ok()) << bpf.status();
  EXPECT_EQ(BuiltDefaultSeccompBpf(), *bpf);
}

TEST(SeccompCacheTest, TheDefaultProgramIsNotCompiledAgain) {
  SeccompCache cache;
  absl::StatusOr<const std::string*> bpf = cache.Compiled(specutils::DefaultSeccompProgram());
  ASSERT_TRUE(bpf.ok()) << bpf.status();
  EXPECT_EQ(**bpf, BuiltDefaultSeccompBpf());
  EXPECT_EQ(cache.compilations(), 0);
}

TEST(SeccompCacheTest, AProgramThatDiffersInOneRuleIsCompiled) {
  const SeccompProgram program = Variant(EXDEV);
  SeccompCache cache;
  absl::StatusOr<const std::string*> bpf = cache.Compiled(program);
  ASSERT_TRUE(bpf.ok()) << bpf.status();
  EXPECT_EQ(cache.compilations(), 1);
  EXPECT_NE(**bpf, BuiltDefaultSeccompBpf());
  absl::StatusOr<std::string> fresh = CompileSeccompProgram(program);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(**bpf, *fresh);
}

TEST(SeccompCacheTest, EachDistinctProgramIsCompiledOnce) {
  SeccompCache cache;
  absl::StatusOr<const std::string*> a = cache.Compiled(Variant(EXDEV));
  absl::StatusOr<const std::string*> again = cache.Compiled(Variant(EXDEV));
  absl::StatusOr<const std::string*> other = cache.Compiled(Variant(ENOTTY));
  ASSERT_TRUE(a.ok() && again.ok() && other.ok());
  EXPECT_EQ(*a, *again);
  EXPECT_NE(*a, *other);
  EXPECT_NE(**a, **other);
  EXPECT_EQ(cache.compilations(), 2);
}

TEST(SeccompCacheTest, AProgramThatDoesNotCompileIsAnErrorEachTime) {
  SeccompProgram program;
  program.set_default_action(0x12345678);  // no such action
  SeccompCache cache;
  EXPECT_FALSE(cache.Compiled(program).ok());
  EXPECT_FALSE(cache.Compiled(program).ok());
  EXPECT_EQ(cache.compilations(), 2);
}

}  // namespace
}  // namespace runsc::boot
