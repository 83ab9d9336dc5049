// The generated OCI reader (oci_json.h) against ParseJson (spec_json.h),
// which reads by reflection: the same message, or the same error, from the
// same text, for every field of every message and for malformed input.
#include "specutils/oci_json.h"

#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "proto/oci.pb.h"
#include "specutils/spec_json.h"

namespace runsc::specutils {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::util::MessageDifferencer;

std::string ReadTestdata(const std::string& name) {
  std::ifstream in("specutils/testdata/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// `m` with its maps' entries merged (a key given twice: the later value),
// as every reader of the maps sees them.
template <typename M>
M AsMaps(const M& m) {
  M out;
  EXPECT_TRUE(out.ParseFromString(m.SerializeAsString()));
  return out;
}

// Both readers on `json`: the same status (code and message) and, read or
// not, the same message. Returns whether it read.
template <typename M>
bool ReadAlike(const std::string& json) {
  M generated, reflective;
  const absl::Status g = ParseOciJson(json, &generated);
  const absl::Status r = ParseJson(json, &reflective);
  EXPECT_EQ(g, r) << json;
  // On an error each holds what it read before it: the same, as both read
  // the same way. A map read by reflection holds a key given twice twice,
  // until it is read as a map (the later stands): compared as maps.
  EXPECT_TRUE(MessageDifferencer::Equals(AsMaps(generated), AsMaps(reflective)))
      << json << "\ngenerated:\n"
      << generated.DebugString() << "reflective:\n"
      << reflective.DebugString();
  return g.ok();
}

// Sets every field of `m` (and of its messages, `depth` deep): lists and
// maps with two entries, strings that need escaping, integers at their
// types' edges, and with `zero_optionals` each field with presence (proto3
// optional) to its zero value, which must still read back as present.
void Fill(Message* m, int depth, bool zero_optionals, int* counter) {
  const Descriptor* d = m->GetDescriptor();
  const Reflection* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const int n = ++*counter;
    if (f->is_map()) {
      for (int k = 0; k < 2; ++k) {
        Message* entry = r->AddMessage(m, f);
        const Descriptor* e = entry->GetDescriptor();
        entry->GetReflection()->SetString(entry, e->map_key(), absl::StrCat("key.", n, "/", k));
        entry->GetReflection()->SetString(entry, e->map_value(), absl::StrCat("v\"", n, "\\", k));
      }
      continue;
    }
    const int count = f->is_repeated() ? 2 : 1;
    const bool zero =
        zero_optionals && f->has_presence() && f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE;
    for (int k = 0; k < count; ++k) {
      const bool add = f->is_repeated();
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING: {
          const std::string v = zero ? "" : absl::StrCat(f->name(), " \"", n, "\"\t\u00e9\\", k);
          add ? r->AddString(m, f, v) : r->SetString(m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_BOOL:
          add ? r->AddBool(m, f, k == 0) : r->SetBool(m, f, !zero);
          break;
        case FieldDescriptor::CPPTYPE_INT32: {
          const int32_t v = zero ? 0 : (k == 0 ? -2147483647 - 1 : n);
          add ? r->AddInt32(m, f, v) : r->SetInt32(m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_INT64: {
          const int64_t v = zero ? 0 : (k == 0 ? -9223372036854775807 - 1 : 9007199254740993 + n);
          add ? r->AddInt64(m, f, v) : r->SetInt64(m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_UINT32: {
          const uint32_t v = zero ? 0 : 4294967295u - n - k;
          add ? r->AddUInt32(m, f, v) : r->SetUInt32(m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_UINT64: {
          const uint64_t v = zero ? 0 : 18446744073709551615ull - n - k;
          add ? r->AddUInt64(m, f, v) : r->SetUInt64(m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_MESSAGE:
          if (depth > 0)
            Fill(add ? r->AddMessage(m, f) : r->MutableMessage(m, f), depth - 1, zero_optionals,
                 counter);
          break;
        default:
          FAIL() << f->full_name() << ": a type this test does not fill; oci_json_gen refuses it";
      }
    }
  }
}

template <typename M>
M Full(bool zero_optionals = true) {
  M m;
  int counter = 0;
  Fill(&m, 6, zero_optionals, &counter);
  return m;
}

template <typename M>
void ReadsEveryFieldBack(bool zero_optionals) {
  const M full = Full<M>(zero_optionals);
  // As runsc writes specs (JSON names, integers as numbers), and as
  // protobuf's printer does with the proto names (64-bit integers as
  // strings): both readers take both.
  std::string proto_names;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(full, &proto_names, options).ok());
  for (const std::string& json : {SpecJson(full), proto_names}) {
    M generated;
    const absl::Status status = ParseOciJson(json, &generated);
    ASSERT_TRUE(status.ok()) << status << "\n" << json;
    EXPECT_TRUE(MessageDifferencer::Equals(generated, full)) << generated.DebugString();
    EXPECT_TRUE(ReadAlike<M>(json));
  }
}

TEST(OciJsonTest, EveryFieldOfEveryTopLevelMessageReadsBack) {
  for (bool zero_optionals : {true, false}) {
    ReadsEveryFieldBack<runsc::oci::v1::Spec>(zero_optionals);
    ReadsEveryFieldBack<runsc::oci::v1::Process>(zero_optionals);
    ReadsEveryFieldBack<runsc::oci::v1::Resources>(zero_optionals);
  }
}

// Every message type set in `m`, itself included.
void Present(const Message& m, std::set<std::string>* out) {
  out->insert(m.GetDescriptor()->full_name());
  std::vector<const FieldDescriptor*> fields;
  m.GetReflection()->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || f->is_map()) continue;
    if (!f->is_repeated()) {
      Present(m.GetReflection()->GetMessage(m, f), out);
      continue;
    }
    for (int k = 0; k < m.GetReflection()->FieldSize(m, f); ++k) {
      Present(m.GetReflection()->GetRepeatedMessage(m, f, k), out);
    }
  }
}

TEST(OciJsonTest, TheFullSpecHoldsEveryMessageOfTheFile) {
  // Else a message added to oci.proto out of Spec's reach would go untested
  // above.
  const runsc::oci::v1::Spec full = Full<runsc::oci::v1::Spec>();
  std::set<std::string> present, all;
  Present(full, &present);
  const google::protobuf::FileDescriptor* file = full.GetDescriptor()->file();
  for (int i = 0; i < file->message_type_count(); ++i) {
    all.insert(file->message_type(i)->full_name());
  }
  EXPECT_EQ(present, all);
}

TEST(OciJsonTest, RuncsSpecReadsAlike) {
  const std::string json = ReadTestdata("runc_spec_config.json");
  ASSERT_FALSE(json.empty());
  EXPECT_TRUE(ReadAlike<runsc::oci::v1::Spec>(json));
  runsc::oci::v1::Spec spec;
  ASSERT_TRUE(ParseOciJson(json, &spec).ok());
  EXPECT_EQ(spec.process().args(0), "sh");
  EXPECT_GT(spec.linux().namespaces_size(), 3);
}

TEST(OciJsonTest, NullsListsMapsAndNamesReadAlike) {
  for (
      const char* json : {
          R"({})",
          R"( {"ociVersion": null} )",
          R"({"oci_version": "by its proto name"})",
          R"({"process": null})",
          R"({"process": {"args": null}})",
          R"({"process": {"args": ["a", null, "b"]}})",
          R"({"process": {"args": ["a"], "args": ["b", "c"]}})",
          R"({"process": {"cwd": "/a"}, "process": {"terminal": true}})",
          R"({"process": {"noNewPrivileges": true, "no_new_privileges": false}})",
          R"({"process": {"oomScoreAdj": 0}})",
          R"({"process": {"oomScoreAdj": 5, "oomScoreAdj": null}})",
          R"({"process": {"user": {"uid": "0", "gid": 0, "umask": null, "additionalGids": [1, null]}}})",
          R"({"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 18446744073709551615, "soft": "1024"}]}})",
          R"({"process": {"rlimits": [null, {"soft": 1e3, "hard": "2E2"}]}})",
          R"({"process": {"user": {"uid": "-0", "gid": "7"}}})",
          R"({"annotations": {"a": "1", "b": null}, "annotations": {"a": "2"}})",
          R"({"annotations": {"a": "1", "a": "3"}})",
          R"({"annotations": null})",
          R"({"mounts": [null, {"destination": "/x", "options": ["ro", null]}]})",
          R"({"linux": {"resources": {"memory": {"limit": "123", "swap": 0, "kernel": null}}}})",
          R"({"linux": {"resources": {"memory": {"limit": -1e2}}, "sysctl": {"k": "v"}}})",
          R"({"linux": {"namespaces": [{"type": "pid", "path": null}]}})",
          R"({"hooks": {"prestart": [{"path": "/x", "timeout": null, "env": []}]}})",
          R"({"vendor": {"deep": [1, {"x": [null, true, false, "s", -0.5e-3]}]}, "ociVersion": "1"})",
          "{\"ociVersion\": \"\\u00e9\\ud83d\\ude00\\n\\/\"}",
      }) {
    EXPECT_TRUE(ReadAlike<runsc::oci::v1::Spec>(json)) << json;
  }
}

TEST(OciJsonTest, ErrorsAreTheSame) {
  for (const std::string& json : std::vector<std::string>{
           "",
           "[]",
           "\"spec\"",
           "null",
           R"({"process": {)",
           R"({"a": 1,})",
           R"({"a" 1})",
           R"({} x)",
           R"({"process": []})",
           R"({"process": {"args": "sh"}})",
           R"({"process": {"args": [1]}})",
           R"({"process": {"terminal": "true"}})",
           R"({"process": {"terminal": 1}})",
           R"({"process": {"user": {"uid": -1}}})",
           R"({"process": {"user": {"uid": 4294967296}}})",
           R"({"process": {"user": {"uid": "root"}}})",
           R"({"linux": {"resources": {"memory": {"limit": 1.5}}}})",
           R"({"linux": {"resources": {"memory": {"limit": 1e300}}}})",
           R"({"linux": {"resources": {"memory": {"limit": 9007199254740993.0}}}})",
           R"({"linux": {"sysctl": {"k": 5}}})",
           R"({"annotations": []})",
           R"({"mounts": {"destination": "/x"}})",
           "{\"ociVersion\": \"\\ud800\"}",
           "{\"ociVersion\": \"\\x\"}",
           "{\"ociVersion\": \"a\tb\"}",
           "{\"ociVersion\": \"\xc3\x28\"}",
           "{\"ociVersion\": \"unterminated",
           R"({"process": {"rlimits": [{"hard": 01}]}})",
           R"({"process": {"user": {"uid": "+1"}}})",
           R"({"process": {"user": {"uid": " 1"}}})",
           R"({"process": {"user": {"uid": "01"}}})",
           R"({"process": {"user": {"uid": "1 "}}})",
           R"({"process": {"user": {"uid": ""}}})",
           R"({"process": {"user": {"uid": "1.5"}}})",
           std::string(100, '[') + std::string(100, ']'),
           "{\"vendor\": " + std::string(100, '[') + std::string(100, ']') + "}",
       }) {
    EXPECT_FALSE(ReadAlike<runsc::oci::v1::Spec>(json)) << json;
  }
  runsc::oci::v1::Spec spec;
  const absl::Status status = ParseOciJson(R"({"process": {"args": ["sh", 2]}})", &spec);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "process.args[1]: expected a string (line 1, column 29)");
}

// Messages inside messages, and inside lists of them, each one level deeper:
// the nesting limit falls at the same value in both readers, wherever it is
// reached.
TEST(OciJsonTest, TheNestingLimitFallsAlike) {
  int read = 0, refused = 0;
  for (int brackets = 50; brackets <= 70; ++brackets) {
    const std::string deep = std::string(brackets, '[') + std::string(brackets, ']');
    for (const std::string& json : {
             "{\"vendor\": " + deep + "}",
             "{\"process\": {\"user\": {\"vendor\": " + deep + "}}}",
             "{\"mounts\": [{\"vendor\": " + deep + "}]}",
             "{\"linux\": {\"resources\": {\"devices\": [{\"vendor\": " + deep + "}]}}}",
         }) {
      (ReadAlike<runsc::oci::v1::Spec>(json) ? read : refused)++;
    }
  }
  EXPECT_GT(read, 0);
  EXPECT_GT(refused, 0);
}

// runc's spec, damaged at random: a character dropped, doubled, replaced by
// one that matters to JSON, or the text cut short. Both readers must agree
// on every one (seeded, so a failure repeats).
TEST(OciJsonTest, DamagedSpecsReadAlike) {
  const std::string json = ReadTestdata("runc_spec_config.json");
  ASSERT_FALSE(json.empty());
  std::mt19937 random(20261205);
  constexpr char kSignificant[] = "{}[]:,\"\\-0123456789.eEtrufalsn \n\x01\xff";
  int read = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string damaged = json;
    for (int edits = 1 + static_cast<int>(random() % 3); edits > 0; --edits) {
      const size_t at = random() % damaged.size();
      switch (random() % 4) {
        case 0:
          damaged.erase(at, 1);
          break;
        case 1:
          damaged.insert(at, 1, damaged[at]);
          break;
        case 2:
          damaged[at] = kSignificant[random() % (sizeof(kSignificant) - 1)];
          break;
        default:
          damaged.resize(at);
      }
      if (damaged.empty()) damaged = "{";
    }
    if (ReadAlike<runsc::oci::v1::Spec>(damaged)) ++read;
  }
  // Some damage leaves valid JSON (a doubled digit, a space): both paths ran.
  EXPECT_GT(read, 100);
  EXPECT_LT(read, 2900);
}

}  // namespace
}  // namespace runsc::specutils
