#include "specutils/sandbox_id.h"

#include <string>

#include "gtest/gtest.h"

namespace runsc::specutils {
namespace {

TEST(SandboxIdTest, AcceptsRuncStyleIds) {
  EXPECT_TRUE(ValidateSandboxId("abc").ok());
  EXPECT_TRUE(ValidateSandboxId("my_box-1.2+x").ok());
  EXPECT_TRUE(ValidateSandboxId(std::string(64, 'a')).ok());
}

TEST(SandboxIdTest, RejectsUnsafeIdsNamingTheField) {
  for (const char* bad : {"", ".", "..", "-x", "a/b", "a b", "x\n", "ü"}) {
    absl::Status s = ValidateSandboxId(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(s.message().substr(0, 3), "id:") << bad;
  }
  EXPECT_FALSE(ValidateSandboxId(std::string(65, 'a')).ok());
}

TEST(SandboxIdTest, GeneratedIdsAreValidAndDistinct) {
  std::string a = GenerateSandboxId(), b = GenerateSandboxId();
  EXPECT_TRUE(ValidateSandboxId(a).ok());
  EXPECT_EQ(a.size(), 16u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace runsc::specutils
