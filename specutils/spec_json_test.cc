#include "specutils/spec_json.h"

#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "proto/api.pb.h"
#include "proto/oci.pb.h"
#include "proto/state.pb.h"

namespace runsc::specutils {
namespace {

using google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using ::testing::Not;

// What protobuf's own parser makes of `json`, with unknown fields ignored.
template <typename M>
M ProtobufParse(const std::string& json) {
  M out;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(json, &out, options);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return out;
}

template <typename M>
absl::StatusOr<M> Parse(const std::string& json) {
  M out;
  absl::Status status = ParseJson(json, &out);
  if (!status.ok()) return status;
  return out;
}

std::string ReadTestdata(const std::string& name) {
  std::ifstream in("specutils/testdata/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

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
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(SpecJson(in), &out).ok()) << SpecJson(in);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(in, out)) << out.DebugString();
}

TEST(SpecJsonTest, EmptyMessageIsAnEmptyObject) {
  EXPECT_EQ(SpecJson(runsc::oci::v1::Spec()), "{}\n");
}

TEST(SpecJsonTest, DoublesReadBackExactly) {
  runsc::api::v1::Sandbox sandbox;
  sandbox.set_created_unix_seconds(1764735524.123456789);
  sandbox.set_expires_unix_seconds(0.1);
  auto back = Parse<runsc::api::v1::Sandbox>(SpecJson(sandbox));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->created_unix_seconds(), sandbox.created_unix_seconds());
  EXPECT_EQ(back->expires_unix_seconds(), 0.1);
  EXPECT_THAT(SpecJson(sandbox), HasSubstr("\"expiresUnixSeconds\": 0.1\n"));
}

// ParseJson against protobuf's own parser, which it replaces: the same
// message from the same text.

TEST(ParseJsonTest, RuncsSpecReadsAsProtobufReadsIt) {
  const std::string json = ReadTestdata("runc_spec_config.json");
  ASSERT_FALSE(json.empty());
  auto ours = Parse<runsc::oci::v1::Spec>(json);
  ASSERT_TRUE(ours.ok()) << ours.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*ours, ProtobufParse<runsc::oci::v1::Spec>(json)));
  EXPECT_EQ(ours->process().args(0), "sh");
  EXPECT_GT(ours->linux().namespaces_size(), 3);
}

TEST(ParseJsonTest, ReadsWhatSpecJsonWrites) {
  auto back = Parse<runsc::oci::v1::Spec>(SpecJson(Sample()));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*back, Sample())) << back->DebugString();
  EXPECT_EQ(back->process().rlimits(0).hard(), 18446744073709551615ull);
  EXPECT_TRUE(back->linux().resources().memory().has_swap());
}

TEST(ParseJsonTest, ReadsRecordsProtobufsPrinterWrote) {
  // Records written before ParseJson: 64-bit integers as strings.
  runsc::state::v1::SandboxRecord record;
  record.set_id("box");
  record.set_pid(4242);
  record.set_start_time(18446744073709551000ull);
  record.set_created_unix_nanos(-5);
  record.add_cgroup_paths("/sys/fs/cgroup/pids/runsc/box");
  (*record.mutable_labels())["team"] = "a\"b\\c\u00e9";
  record.set_main_held(true);
  record.mutable_container()->set_hostname("h");
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(record, &json, options).ok());
  ASSERT_THAT(json, HasSubstr("\"18446744073709551000\""));
  auto ours = Parse<runsc::state::v1::SandboxRecord>(json);
  ASSERT_TRUE(ours.ok()) << ours.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*ours, record)) << ours->DebugString();
}

TEST(ParseJsonTest, TheSameMessageAsProtobufForEachForm) {
  const std::string json = R"({
    "oci_version": "1.1.0",
    "process": {
      "args": ["sh", "-c", "echo \"\u00e9\ud83d\ude00\/\b\f\n\r\t\\"],
      "user": {"uid": "1000", "gid": 1e3, "umask": 0, "additionalGids": [1, 2.0]},
      "oomScoreAdj": -1000,
      "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 18446744073709551615, "soft": "1024"}],
      "terminal": false,
      "futureKey": {"nested": [1, {"deeper": null}, "x", true, -0.5e-3]},
      "cwd": null
    },
    "annotations": {"a": "2", "b": "", "c\u0000": "x\u0000y"},
    "linux": {"resources": {"memory": {"limit": -9223372036854775808, "swap": 0}},
              "sysctl": {}, "namespaces": []},
    "mounts": null
  })";
  auto ours = Parse<runsc::oci::v1::Spec>(json);
  ASSERT_TRUE(ours.ok()) << ours.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*ours, ProtobufParse<runsc::oci::v1::Spec>(json)))
      << ours->DebugString();
  EXPECT_EQ(ours->oci_version(), "1.1.0");
  EXPECT_EQ(ours->process().args(2), "echo \"\xc3\xa9\xf0\x9f\x98\x80/\b\f\n\r\t\\");
  EXPECT_EQ(ours->process().user().uid(), 1000u);
  EXPECT_EQ(ours->process().user().gid(), 1000u);
  EXPECT_TRUE(ours->process().user().has_umask());
  EXPECT_THAT(ours->process().user().additional_gids(), ::testing::ElementsAre(1, 2));
  EXPECT_EQ(ours->process().oom_score_adj(), -1000);
  EXPECT_EQ(ours->annotations().at("a"), "2");
  // Annotations never reach the kernel: a NUL is theirs to hold, as runc's.
  EXPECT_EQ(ours->annotations().at(std::string("c\0", 2)), std::string("x\0y", 3));
  EXPECT_EQ(ours->linux().resources().memory().limit(), INT64_MIN);
}

TEST(ParseJsonTest, EnumsAndBytesAsProtobufReadsThem) {
  for (const std::string json : {R"({"network": "NETWORK_MODE_NONE", "ttlSeconds": "Infinity"})",
                                 R"({"network": 1, "ttlSeconds": 2.5, "labels": {"k": "v"}})"}) {
    auto ours = Parse<runsc::api::v1::CreateSandboxRequest>(json);
    ASSERT_TRUE(ours.ok()) << ours.status();
    EXPECT_TRUE(MessageDifferencer::Equals(
        *ours, ProtobufParse<runsc::api::v1::CreateSandboxRequest>(json)))
        << json;
  }
  auto run = Parse<runsc::api::v1::RunRequest>(R"({"stdin": "aGk/Pw==", "timeoutSeconds": "0.5"})");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->stdin(), "hi??");
  EXPECT_EQ(run->timeout_seconds(), 0.5);
  EXPECT_THAT(Parse<runsc::api::v1::CreateSandboxRequest>(R"({"network": "NETWORK_MODE_WIFI"})")
                  .status()
                  .message(),
              HasSubstr("network: 'NETWORK_MODE_WIFI' is not a value of NetworkMode"));
}

TEST(ParseJsonTest, ReadsBackBytesAndUnnamedEnumValuesSpecJsonWrites) {
  runsc::api::v1::RunRequest run;
  run.set_stdin(std::string("hi??\0\xff", 6));
  EXPECT_THAT(SpecJson(run), HasSubstr("\"stdin\": \"aGk/PwD/\""));
  auto run_back = Parse<runsc::api::v1::RunRequest>(SpecJson(run));
  ASSERT_TRUE(run_back.ok()) << run_back.status();
  EXPECT_EQ(run_back->stdin(), run.stdin());

  runsc::api::v1::CreateSandboxRequest create;
  create.set_network(static_cast<runsc::api::v1::NetworkMode>(7));  // proto3 keeps it
  EXPECT_THAT(SpecJson(create), HasSubstr("\"network\": 7"));
  auto create_back = Parse<runsc::api::v1::CreateSandboxRequest>(SpecJson(create));
  ASSERT_TRUE(create_back.ok()) << create_back.status();
  EXPECT_EQ(create_back->network(), 7);
}

TEST(ParseJsonTest, ReplacesWhatTheMessageHeld) {
  runsc::oci::v1::Spec spec;
  spec.set_hostname("old");
  ASSERT_TRUE(ParseJson(R"({"ociVersion": "1"})", &spec).ok());
  EXPECT_EQ(spec.hostname(), "");
  EXPECT_EQ(spec.oci_version(), "1");
}

// Where Go's encoding/json (runc) and protobuf differ on well-formed input,
// Go's reading stands: protobuf refuses the duplicate key.
TEST(ParseJsonTest, DuplicatesAndNullsAsGoReadsThem) {
  auto spec = Parse<runsc::oci::v1::Spec>(R"({
    "annotations": {"a": "1", "b": null, "a": "2"},
    "process": {"args": ["sh", null], "env": ["A=1"], "env": ["B=2"]},
    "mounts": [null, {"destination": "/tmp"}],
    "annotations": {"c": "3", "a": "4"}
  })");
  ASSERT_TRUE(spec.ok()) << spec.status();
  // A map given twice: merged, the later value for a key in both.
  EXPECT_EQ(spec->annotations().size(), 3u);
  EXPECT_EQ(spec->annotations().at("a"), "4");
  EXPECT_EQ(spec->annotations().at("b"), "");
  EXPECT_EQ(spec->annotations().at("c"), "3");
  EXPECT_THAT(spec->process().args(), ::testing::ElementsAre("sh", ""));
  EXPECT_THAT(spec->process().env(), ::testing::ElementsAre("B=2"));
  ASSERT_EQ(spec->mounts_size(), 2);
  EXPECT_EQ(spec->mounts(0).destination(), "");
  EXPECT_EQ(spec->mounts(1).destination(), "/tmp");
}

// Bad input: an error naming the field and the place, never a crash. Go's
// encoding/json refuses each of these too; protobuf 3.21 lets some through
// (trailing commas, a raw tab, "yes" for a bool, a string for a list).
TEST(ParseJsonTest, ErrorsNameTheFieldAndThePlace) {
  const struct {
    std::string json;
    std::string message;
  } cases[] = {
      {R"({"process": {"args": ["sh", 1]}})",
       "process.args[1]: expected a string (line 1, column 29)"},
      {R"({"process": {"args": "sh"}})", "process.args: expected a list"},
      {R"({"process": ["sh"]})", "process: expected an object"},
      {"{\"process\":\n  {\"user\": {\"uid\": -1}}}",
       "process.user.uid: -1 is out of range [0, 4294967295] (line 2"},
      {R"({"process": {"user": {"uid": 4294967296}}})",
       "process.user.uid: 4294967296 is out of range"},
      {R"({"process": {"user": {"uid": 1.5}}})",
       "process.user.uid: expected an integer, got 1.5 (line 1, column 30)"},
      {R"({"process": {"user": {"uid": "12a"}}})",
       "process.user.uid: expected an integer, got 12a (line 1, column 30)"},
      {R"({"process": {"oomScoreAdj": 2147483648}})",
       "process.oomScoreAdj: 2147483648 is out of range"},
      {R"({"process": {"rlimits": [{"hard": 18446744073709551616}]}})",
       "process.rlimits[0].hard: 18446744073709551616 is out of range"},
      {R"({"process": {"rlimits": [{"soft": 1e300}]}})", "too large for this form"},
      {R"({"process": {"rlimits": [{"hard": 9007199254740993.0}]}})",
       "process.rlimits[0].hard: 9007199254740993.0 is too large for this form"},
      {R"({"process": {"terminal": "yes"}})", "process.terminal: expected true or false"},
      {R"({"annotations": {"a": 1}})", "annotations.a: expected a string"},
      {R"({"hostname": "a\x}")", "hostname: bad escape '\\x'"},
      {R"({"hostname": "\ud800"})", "hostname: unpaired UTF-16 surrogate"},
      {R"({"hostname": "\udc00\ud800"})", "hostname: unpaired UTF-16 surrogate"},
      // A NUL would end the string where the kernel reads it.
      {R"({"process": {"args": ["/bin/true\u0000rm -rf /"]}})",
       "process.args[0]: a NUL (\\u0000) in a string"},
      {R"({"process": {"env": ["A=1\u0000LD_PRELOAD=x"]}})", "process.env[0]: a NUL"},
      {R"({"mounts": [{"destination": "/a\u0000b"}]})", "mounts[0].destination: a NUL"},
      {"{\"hostname\": \"a\xff\"}", "hostname: invalid UTF-8 in a string"},
      {"{\"hostname\": \"\xc0\xaf\"}", "hostname: invalid UTF-8 in a string"},
      {"{\"hostname\": \"\xed\xa0\x80\"}", "hostname: invalid UTF-8 in a string"},
      {"{\"hostname\": \"a\tb\"}", "hostname: control character in a string"},
      {R"({"hostname": "abc)", "hostname: unterminated string"},
      {R"({"hostname": "a",})", "expected a string (line 1, column 18)"},
      {R"({"hostname": "a" "domainname": "b"})", "expected ',' or '}'"},
      {R"({"mounts": [{}, {}})", "mounts: expected ',' or ']'"},
      {R"({"hostname" "a"})", "expected ':'"},
      {R"({"process": {)", "process: expected a string (line 1, column 14)"},
      {R"({"root": {"readonly": tru}})", "root.readonly: expected true or false"},
      {R"({"unknown": [1, 2,]})", "unknown[2]: expected a number"},
      {R"({"unknown": -})", "unknown: expected a number"},
      {R"({"unknown": 01})", "expected ',' or '}'"},
      {R"({"unknown": 1.})", "unknown: expected digits after '.'"},
      {R"({"unknown": 1e})", "unknown: expected digits in the exponent"},
      {R"({} {})", "unexpected text after the top-level object"},
      {R"([])", "expected an object (line 1, column 1)"},
      {"", "expected an object"},
  };
  for (const auto& c : cases) {
    auto parsed = Parse<runsc::oci::v1::Spec>(c.json);
    ASSERT_FALSE(parsed.ok()) << c.json;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_THAT(parsed.status().message(), HasSubstr(c.message)) << c.json;
  }
}

TEST(ParseJsonTest, DeepNestingIsAnErrorNotACrash) {
  // Skipped (unknown) values and known messages alike are bounded.
  const std::string deep_unknown =
      "{\"x\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto parsed = Parse<runsc::oci::v1::Spec>(deep_unknown);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(std::string(parsed.status().message()), ::testing::StartsWith("x[0][0][0]"));
  EXPECT_THAT(parsed.status().message(), HasSubstr("]: nested too deeply"));

  // Nesting that real extensions use is read (and skipped) as before.
  const std::string nested = "{\"x\": " + std::string(50, '[') + std::string(50, ']') + "}";
  EXPECT_TRUE(Parse<runsc::oci::v1::Spec>(nested).ok());
}

// Damaged copies of a real config.json: each is read or refused with
// InvalidArgument, never a crash, a hang or another code. A fixed seed keeps
// the run the same every time.
TEST(ParseJsonTest, DamagedSpecsAreReadOrRefusedNeverACrash) {
  const std::string original = ReadTestdata("runc_spec_config.json");
  ASSERT_FALSE(original.empty());
  std::mt19937 random(20261203);
  const std::string specials = "{}[]\":,\\-0123456789eE.ntfu \x00\x80\xff";
  int refused = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string json = original;
    const int edits = 1 + static_cast<int>(random() % 4);
    for (int e = 0; e < edits && !json.empty(); ++e) {
      const size_t at = random() % json.size();
      const char c = specials[random() % specials.size()];
      switch (random() % 4) {
        case 0:
          json[at] = c;
          break;
        case 1:
          json.insert(at, 1, c);
          break;
        case 2:
          json.erase(at, 1 + random() % 8);
          break;
        case 3:
          json.resize(at);
          break;
      }
    }
    runsc::oci::v1::Spec spec;
    const absl::Status status = ParseJson(json, &spec);
    if (!status.ok()) {
      ++refused;
      ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status << "\n" << json;
      ASSERT_THAT(std::string(status.message()), HasSubstr("(line ")) << json;
    }
  }
  // Most damage breaks the JSON; some only changes a string or drops a key.
  EXPECT_GT(refused, 1500);
  EXPECT_LT(refused, 3000);
}

}  // namespace
}  // namespace runsc::specutils
