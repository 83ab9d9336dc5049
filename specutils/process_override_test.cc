#include "specutils/process_override.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runsc::specutils {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

runsc::boot::v1::ProcessConfig Base() {
  runsc::boot::v1::ProcessConfig base;
  base.add_args("sleep");
  base.add_env("PATH=/bin");
  base.add_env("LANG=C");
  base.set_cwd("/");
  base.set_uid(1000);
  base.set_no_new_privileges(true);
  base.mutable_capabilities()->set_bounding(0x20000420);
  return base;
}

TEST(ProcessOverrideTest, KeepsTheMainProcessConfinementAndAppliesOverrides) {
  ProcessOverrides o;
  o.args = {"sh", "-c", "id"};
  o.env = {"LANG=en_US.UTF-8", "X=1"};
  o.cwd = "/tmp/../home";
  o.uid = 0;
  auto p = OverrideProcess(Base(), o);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->args(), ElementsAre("sh", "-c", "id"));
  EXPECT_THAT(p->env(), ElementsAre("PATH=/bin", "LANG=en_US.UTF-8", "X=1"));
  EXPECT_EQ(p->cwd(), "/home");
  EXPECT_EQ(p->uid(), 0u);
  EXPECT_TRUE(p->no_new_privileges());
  EXPECT_EQ(p->capabilities().bounding(), 0x20000420u);
}

TEST(ProcessOverrideTest, ErrorsNameTheField) {
  ProcessOverrides o;
  EXPECT_THAT(std::string(OverrideProcess(Base(), o).status().message()),
              HasSubstr("process.args: must not be empty"));
  o.args = {"x"};
  o.env = {"NOEQUALS"};
  EXPECT_THAT(std::string(OverrideProcess(Base(), o).status().message()),
              HasSubstr("process.env[0]"));
  o.env = {};
  o.uid = 4294967295u;
  EXPECT_THAT(std::string(OverrideProcess(Base(), o).status().message()),
              HasSubstr("process.uid: 4294967295 is (uid_t)-1"));
  o.uid = 0;
  o.additional_gids = {5, 4294967295u};
  EXPECT_THAT(std::string(OverrideProcess(Base(), o).status().message()),
              HasSubstr("process.additional_gids[1]: 4294967295"));
  o.additional_gids = {};
  o.cwd = "relative";
  EXPECT_THAT(std::string(OverrideProcess(Base(), o).status().message()),
              HasSubstr("process.cwd: must be an absolute path"));
  o.cwd = std::string("/tmp\0/etc", 9);
  EXPECT_THAT(std::string(OverrideProcess(Base(), o).status().message()),
              HasSubstr("process.cwd: must not contain a NUL byte"));
  o.cwd = "";
  o.args = {"ls", std::string("a\0b", 3)};
  EXPECT_THAT(std::string(OverrideProcess(Base(), o).status().message()),
              HasSubstr("process.args[1]: must not contain a NUL byte"));
  o.args = {"ls"};
  o.env = {"A=1", std::string("B=1\0C=2", 7)};
  EXPECT_THAT(std::string(OverrideProcess(Base(), o).status().message()),
              HasSubstr("process.env[1]: must not contain a NUL byte"));
}

// An entry replaces every earlier one of its key, the base's and the
// request's own; the rest keep their order.
TEST(ProcessOverrideTest, AnEnvEntryReplacesEveryEarlierOneOfItsKey) {
  runsc::boot::v1::ProcessConfig base = Base();
  base.add_env("LANG=fr");  // a base with its key twice
  base.add_env("LANGUAGE=de");
  ProcessOverrides o;
  o.args = {"x"};
  o.env = {"X=1", "LANG=en", "Y=2", "X=3", "LANG=", "PATH=/usr/bin:/bin"};
  auto p = OverrideProcess(base, o);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->env(), ElementsAre("LANGUAGE=de", "Y=2", "X=3", "LANG=", "PATH=/usr/bin:/bin"));
  // No overrides: the base's as they were, duplicates and all.
  o.env.clear();
  p = OverrideProcess(base, o);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->env(), ElementsAre("PATH=/bin", "LANG=C", "LANG=fr", "LANGUAGE=de"));
}

// What fits in one request (a million short entries fit in 16 MiB) is
// merged in one pass: a scan of the list so far for each entry took hours
// at this size, under the lock of the sandbox's entry in the daemon.
TEST(ProcessOverrideTest, AHugeEnvIsMergedInOnePass) {
  ProcessOverrides o;
  o.args = {"x"};
  for (int i = 0; i < 400000; ++i) o.env.push_back(absl::StrCat("K", i % 300000, "=", i));
  auto p = OverrideProcess(Base(), o);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->env_size(), 2 + 300000);
  EXPECT_EQ(p->env(0), "PATH=/bin");
  EXPECT_EQ(p->env(2), "K100000=100000");  // the first key not repeated
  EXPECT_EQ(p->env(2 + 300000 - 1), "K99999=399999");
}

}  // namespace
}  // namespace runsc::specutils
