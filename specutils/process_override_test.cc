#include "specutils/process_override.h"

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
  o.cwd = "relative";
  EXPECT_THAT(std::string(OverrideProcess(Base(), o).status().message()),
              HasSubstr("process.cwd: must be an absolute path"));
}

}  // namespace
}  // namespace runsc::specutils
