#include "specutils/spec_json.h"

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "proto/oci.pb.h"

namespace runsc::specutils {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

runsc::oci::v1::Spec Sample() {
  runsc::oci::v1::Spec s;
  s.set_oci_version("1.0.2");
  auto* p = s.mutable_process();
  p->add_args("sh");
  p->add_args("-c");
  p->add_args("echo \"quoted\"\\\n\ttab");
  auto* rl = p->add_rlimits();
  rl->set_type("RLIMIT_NOFILE");
  rl->set_hard(18446744073709551615ull);  // RLIM_INFINITY: beyond a double
  rl->set_soft(1024);
  auto* memory = s.mutable_linux()->mutable_resources()->mutable_memory();
  memory->set_limit(-1);
  memory->set_swap(0);  // an optional field set to 0 is still written
  (*s.mutable_annotations())["org.example/n"] = "42";
  s.mutable_root()->set_readonly(true);
  return s;
}

TEST(SpecJsonTest, IntegersAreNumbersAsGoExpects) {
  const std::string json = SpecJson(Sample());
  EXPECT_THAT(json, HasSubstr("\"hard\": 18446744073709551615"));
  EXPECT_THAT(json, HasSubstr("\"soft\": 1024"));
  EXPECT_THAT(json, HasSubstr("\"limit\": -1"));
  EXPECT_THAT(json, HasSubstr("\"swap\": 0"));
  EXPECT_THAT(json, Not(HasSubstr("\"1024\"")));
  // Strings stay strings, even when they look like numbers.
  EXPECT_THAT(json, HasSubstr("\"org.example/n\": \"42\""));
  EXPECT_THAT(json, HasSubstr("\"ociVersion\": \"1.0.2\""));
  EXPECT_THAT(json, HasSubstr("\"readonly\": true"));
}

TEST(SpecJsonTest, ProtobufsOwnParserReadsItBackUnchanged) {
  const runsc::oci::v1::Spec in = Sample();
  runsc::oci::v1::Spec out;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(SpecJson(in), &out).ok())
      << SpecJson(in);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(in, out))
      << out.DebugString();
}

TEST(SpecJsonTest, EmptyMessageIsAnEmptyObject) {
  EXPECT_EQ(SpecJson(runsc::oci::v1::Spec()), "{}\n");
}

}  // namespace
}  // namespace runsc::specutils
