// Reading config.json builds no descriptor: the generated reader's point
// (oci_json_gen.cc). Linked as runsc is (statically, with protobuf's
// registrations held back until a descriptor is first asked for), so that
// building one shows as a file registered.
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "proto/oci.pb.h"
#include "runsc/util/lazy_descriptors.h"
#include "specutils/oci_spec.h"

namespace runsc::specutils {
namespace {

TEST(OciJsonDescriptorTest, ReadingASpecRegistersNoDescriptor) {
  std::ifstream in("specutils/testdata/runc_spec_config.json");
  std::stringstream json;
  json << in.rdbuf();
  ASSERT_FALSE(json.str().empty());
  const int held = util::HeldDescriptorCount();
  ASSERT_GT(held, 0);
  absl::StatusOr<runsc::oci::v1::Spec> spec = ParseSpecJson(json.str());
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->process().args(0), "sh");
  EXPECT_TRUE(
      ParseSpecJson("{\"process\": {\"args\": 1}}").status().message().find("process.args") !=
      std::string::npos);
  EXPECT_EQ(util::HeldDescriptorCount(), held);
  // What the count would show for a reader that used reflection.
  ASSERT_NE(spec->GetDescriptor(), nullptr);
  EXPECT_LT(util::HeldDescriptorCount(), held);
}

}  // namespace
}  // namespace runsc::specutils
