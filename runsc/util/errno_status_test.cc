#include "runsc/util/errno_status.h"

#include <errno.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runsc::util {
namespace {

using ::testing::HasSubstr;

TEST(ErrnoStatusTest, NamesErrnoAndObject) {
  absl::Status s = ErrnoError(EPERM, "mount 'proc' on 'proc'");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("mount 'proc' on 'proc': EPERM"));
}

TEST(ErrnoStatusTest, NotFoundMapsToNotFound) {
  EXPECT_EQ(ErrnoError(ENOENT, "open 'x'").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrnoName(ENOENT), "ENOENT");
}

TEST(ErrnoStatusTest, AnnotateKeepsCodeAndAddsContext) {
  absl::Status s = Annotate(ErrnoError(EEXIST, "mkdir 'a'"), "create state");
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(s.message()), HasSubstr("create state: mkdir 'a'"));
  EXPECT_EQ(ErrnoOf(s), EEXIST);
  EXPECT_TRUE(Annotate(absl::OkStatus(), "x").ok());
  EXPECT_EQ(ErrnoOf(absl::InternalError("no errno")), 0);
}

}  // namespace
}  // namespace runsc::util
