// Writes the OCI spec's JSON reader (oci_json.h, oci_json.cc) from
// oci.proto's descriptors, when runsc is built.
//
// ParseJson (spec_json.h) reads any message by reflection, and the first
// use of reflection in a process builds the descriptors of the message's
// .proto file: most of the 1 to 1.2 ms that a CLI command's first read of
// config.json took. The generated reader reads by the same rules, on the
// same JsonReader, through the generated accessors, so `runsc create` and
// `runsc run` never build a descriptor. oci_json_test holds the two readers
// to the same results and the same errors.
//
// For each message: one function that reads a JSON object into it, with a
// branch per field (its JSON name or its proto name, as ParseJson matches
// them, in the fields' order); an unknown key's value is skipped. What
// ParseJson does for each field, it does: null clears the field, a list
// replaces the list (a null element is the zero value), a map's entries are
// added (a null value is the default), a message is merged into.
//
// Usage: oci_json_gen HEADER SOURCE
#include <stdio.h>
#include <stdlib.h>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "proto/oci.pb.h"

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;

[[noreturn]] void Die(const std::string& why) {
  fprintf(stderr, "oci_json_gen: %s\n", why.c_str());
  exit(1);
}

std::string ClassName(const Descriptor* d) {
  if (d->containing_type() != nullptr) return ClassName(d->containing_type()) + "_" + d->name();
  return absl::StrCat("::", absl::StrReplaceAll(d->file()->package(), {{".", "::"}}),
                      "::", d->name());
}

// The accessors' stem, as protoc names it: the field's name, with an
// underscore after a C++ keyword (`class_()`). A name this list and
// protoc's disagree on fails the build (no such accessor); it cannot
// misread.
std::string Accessor(const FieldDescriptor* f) {
  static const std::set<std::string> kKeywords = {
      "alignas",      "alignof",  "and",       "and_eq",   "asm",       "auto",
      "bitand",       "bitor",    "bool",      "break",    "case",      "catch",
      "char",         "class",    "compl",     "const",    "constexpr", "const_cast",
      "continue",     "decltype", "default",   "delete",   "do",        "double",
      "dynamic_cast", "else",     "enum",      "explicit", "export",    "extern",
      "false",        "float",    "for",       "friend",   "goto",      "if",
      "inline",       "int",      "long",      "mutable",  "namespace", "new",
      "noexcept",     "not",      "not_eq",    "nullptr",  "operator",  "or",
      "or_eq",        "private",  "protected", "public",   "register",  "reinterpret_cast",
      "return",       "short",    "signed",    "sizeof",   "static",    "static_assert",
      "static_cast",  "struct",   "switch",    "template", "this",      "thread_local",
      "throw",        "true",     "try",       "typedef",  "typeid",    "typename",
      "union",        "unsigned", "using",     "virtual",  "void",      "volatile",
      "wchar_t",      "while",    "xor",       "xor_eq"};
  std::string name = absl::AsciiStrToLower(f->name());
  if (kKeywords.count(name) != 0) name += "_";
  return name;
}

// The C++ type a scalar field's value is read into, and how.
struct Scalar {
  std::string type;
  std::string read;  // the JsonReader method
  std::string zero;  // Go's zero value, what a null list element becomes
};

Scalar ScalarOf(const FieldDescriptor* f) {
  switch (f->type()) {
    case FieldDescriptor::TYPE_STRING:
      return {"std::string", "ReadString", "std::string()"};
    case FieldDescriptor::TYPE_BOOL:
      return {"bool", "ReadBool", "false"};
    case FieldDescriptor::TYPE_INT32:
    case FieldDescriptor::TYPE_SINT32:
    case FieldDescriptor::TYPE_SFIXED32:
      return {"int32_t", "ReadInt", "0"};
    case FieldDescriptor::TYPE_INT64:
    case FieldDescriptor::TYPE_SINT64:
    case FieldDescriptor::TYPE_SFIXED64:
      return {"int64_t", "ReadInt", "0"};
    case FieldDescriptor::TYPE_UINT32:
    case FieldDescriptor::TYPE_FIXED32:
      return {"uint32_t", "ReadInt", "0"};
    case FieldDescriptor::TYPE_UINT64:
    case FieldDescriptor::TYPE_FIXED64:
      return {"uint64_t", "ReadInt", "0"};
    case FieldDescriptor::TYPE_DOUBLE:
      return {"double", "ReadDouble", "0"};
    default:
      // Floats, enums and bytes each have a rule of their own in
      // ParseJson; oci.proto has none. Fail the build rather than guess.
      Die(absl::StrCat(f->full_name(), " is a ", f->type_name(),
                       ", which this generator does not write: add it here and to oci_json_test"));
  }
}

// The condition that picks `f` for a key.
std::string KeyTest(const FieldDescriptor* f) {
  std::string test = absl::StrCat("key == \"", absl::CEscape(f->json_name()), "\"");
  if (f->name() != f->json_name()) {
    absl::StrAppend(&test, " || key == \"", absl::CEscape(f->name()), "\"");
  }
  return test;
}

// The statements that read a scalar into a new `value` and then run `use`.
std::string ReadScalar(const Scalar& s, const std::string& indent, const std::string& use) {
  return absl::StrCat(indent, s.type, " value;\n", indent, "RETURN_IF_ERROR(in.", s.read,
                      "(&value));\n", indent, use, "\n", indent, "return absl::OkStatus();\n");
}

std::string FieldBranch(const FieldDescriptor* f) {
  const std::string a = Accessor(f);
  std::string out = absl::StrCat("    if (", KeyTest(f), ") {\n", "      if (in.AtNull()) {\n",
                                 "        m->clear_", a, "();\n",
                                 "        return absl::OkStatus();\n", "      }\n");
  if (f->is_map()) {
    const FieldDescriptor* key = f->message_type()->map_key();
    const FieldDescriptor* value = f->message_type()->map_value();
    if (key->type() != FieldDescriptor::TYPE_STRING) {
      Die(absl::StrCat(f->full_name(), ": maps with keys other than strings are not supported"));
    }
    if (value->type() == FieldDescriptor::TYPE_MESSAGE) {
      Die(absl::StrCat(f->full_name(), ": maps of messages are not written by this generator"));
    }
    const Scalar s = ScalarOf(value);
    absl::StrAppend(
        &out, "      return in.ReadObject([&](const std::string& entry) -> absl::Status {\n",
        "        auto& slot = (*m->mutable_", a, "())[entry];\n", "        slot = ", s.zero, ";\n",
        "        if (in.AtNull()) return absl::OkStatus();\n",
        ReadScalar(s, "        ", "slot = std::move(value);"), "      });\n");
  } else if (f->is_repeated() && f->type() == FieldDescriptor::TYPE_MESSAGE) {
    absl::StrAppend(&out, "      m->clear_", a, "();\n",
                    "      return in.ReadList([&]() -> absl::Status {\n",
                    "        auto* element = m->add_", a, "();\n",
                    "        if (in.AtNull()) return absl::OkStatus();\n",
                    "        return Read(in, element, depth + 1);\n", "      });\n");
  } else if (f->is_repeated()) {
    const Scalar s = ScalarOf(f);
    absl::StrAppend(&out, "      m->clear_", a, "();\n",
                    "      return in.ReadList([&]() -> absl::Status {\n",
                    "        if (in.AtNull()) {\n", "          m->add_", a, "(", s.zero, ");\n",
                    "          return absl::OkStatus();\n", "        }\n",
                    ReadScalar(s, "        ", absl::StrCat("m->add_", a, "(std::move(value));")),
                    "      });\n");
  } else if (f->type() == FieldDescriptor::TYPE_MESSAGE) {
    absl::StrAppend(&out, "      return Read(in, m->mutable_", a, "(), depth + 1);\n");
  } else {
    const Scalar s = ScalarOf(f);
    absl::StrAppend(&out,
                    ReadScalar(s, "      ", absl::StrCat("m->set_", a, "(std::move(value));")));
  }
  absl::StrAppend(&out, "    }\n");
  return out;
}

std::string Reader(const Descriptor* d) {
  std::string out =
      absl::StrCat("absl::Status Read(JsonReader& in, ", ClassName(d), "* m, int depth) {\n",
                   "  if (depth > JsonReader::kMaxDepth) return in.Error(\"nested too deeply\");\n",
                   "  return in.ReadObject([&](const std::string& key) -> absl::Status {\n");
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->real_containing_oneof() != nullptr) {
      Die(absl::StrCat(f->full_name(), " is in a oneof, which this generator does not write"));
    }
    absl::StrAppend(&out, FieldBranch(f));
  }
  absl::StrAppend(&out, "    // Fields of newer spec versions, or of other runtimes' extensions.\n",
                  "    return in.SkipValue(depth + 1);\n", "  });\n", "}\n\n");
  return out;
}

// Every message of the file, nested ones included, but map entries.
void Collect(const Descriptor* d, std::vector<const Descriptor*>* out) {
  if (d->options().map_entry()) return;
  out->push_back(d);
  for (int i = 0; i < d->nested_type_count(); ++i) Collect(d->nested_type(i), out);
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) Die("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) Die("usage: oci_json_gen HEADER SOURCE");
  const FileDescriptor* file = runsc::oci::v1::Spec::descriptor()->file();
  std::vector<const Descriptor*> messages;
  for (int i = 0; i < file->message_type_count(); ++i) Collect(file->message_type(i), &messages);

  const std::string banner = absl::StrCat("// Generated by specutils/oci_json_gen.cc from ",
                                          file->name(), ". Do not edit.\n");
  std::string header =
      absl::StrCat(banner,
                   "//\n"
                   "// ParseOciJson reads one JSON object into `message` (cleared first) by the\n"
                   "// rules and with the errors of specutils::ParseJson (spec_json.h), through\n"
                   "// the generated accessors: no descriptor is built.\n"
                   "#ifndef RUNSC_SPECUTILS_OCI_JSON_H_\n"
                   "#define RUNSC_SPECUTILS_OCI_JSON_H_\n\n"
                   "#include \"absl/status/status.h\"\n"
                   "#include \"absl/strings/string_view.h\"\n"
                   "#include \"proto/oci.pb.h\"\n\n"
                   "namespace runsc::specutils {\n\n");
  for (const Descriptor* d : messages) {
    absl::StrAppend(&header, "absl::Status ParseOciJson(absl::string_view json, ", ClassName(d),
                    "* message);\n");
  }
  absl::StrAppend(&header,
                  "\n}  // namespace runsc::specutils\n\n#endif  // RUNSC_SPECUTILS_OCI_JSON_H_\n");

  std::string source = absl::StrCat(banner,
                                    "#include \"specutils/oci_json.h\"\n\n"
                                    "#include <stdint.h>\n\n"
                                    "#include <string>\n"
                                    "#include <utility>\n\n"
                                    "#include \"runsc/util/status_macros.h\"\n"
                                    "#include \"specutils/json_reader.h\"\n\n"
                                    "namespace runsc::specutils {\n\n"
                                    "namespace {\n\n");
  for (const Descriptor* d : messages) {
    absl::StrAppend(&source, "absl::Status Read(JsonReader& in, ", ClassName(d),
                    "* m, int depth);\n");
  }
  absl::StrAppend(&source, "\n");
  for (const Descriptor* d : messages) absl::StrAppend(&source, Reader(d));
  absl::StrAppend(&source, "}  // namespace\n\n");
  for (const Descriptor* d : messages) {
    absl::StrAppend(&source, "absl::Status ParseOciJson(absl::string_view json, ", ClassName(d),
                    "* message) {\n", "  message->Clear();\n", "  JsonReader in(json);\n",
                    "  return in.ReadAll([&] { return Read(in, message, 0); });\n", "}\n\n");
  }
  absl::StrAppend(&source, "}  // namespace runsc::specutils\n");

  Write(argv[1], header);
  Write(argv[2], source);
  return 0;
}
