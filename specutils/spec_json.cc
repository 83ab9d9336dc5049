#include "specutils/spec_json.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "runsc/util/json_string.h"

namespace runsc::specutils {

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

void Write(const Message& m, int depth, std::string* out);

// One value of `field`: the `index`-th if it is repeated, else the single one.
std::string Value(const Message& m, const FieldDescriptor* f, int index, int depth) {
  const Reflection* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrCat(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrCat(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
    case FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return util::JsonQuote((rep ? r->GetRepeatedEnum(m, f, index) : r->GetEnum(m, f))->name());
    case FieldDescriptor::CPPTYPE_STRING:
      return util::JsonQuote(rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f));
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      std::string nested;
      Write(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f), depth, &nested);
      return nested;
    }
  }
  return "null";
}

void Write(const Message& m, int depth, std::string* out) {
  const Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  if (fields.empty()) {
    *out += "{}";
    return;
  }
  const std::string pad(2 * (depth + 1), ' ');
  const std::string close(2 * depth, ' ');
  *out += "{\n";
  for (size_t i = 0; i < fields.size(); ++i) {
    const FieldDescriptor* f = fields[i];
    *out += absl::StrCat(pad, util::JsonQuote(f->json_name()), ": ");
    if (f->is_map()) {
      // Map entries are messages with a key and a value field.
      const FieldDescriptor* key = f->message_type()->map_key();
      const FieldDescriptor* value = f->message_type()->map_value();
      *out += "{\n";
      const int n = r->FieldSize(m, f);
      for (int j = 0; j < n; ++j) {
        const Message& entry = r->GetRepeatedMessage(m, f, j);
        std::string k = Value(entry, key, 0, depth + 2);
        if (k.front() != '"') k = util::JsonQuote(k);  // JSON keys are strings
        *out += absl::StrCat(pad, "  ", k, ": ", Value(entry, value, 0, depth + 2),
                             j + 1 < n ? ",\n" : "\n");
      }
      *out += pad + "}";
    } else if (f->is_repeated()) {
      *out += "[\n";
      const int n = r->FieldSize(m, f);
      for (int j = 0; j < n; ++j) {
        *out += absl::StrCat(pad, "  ", Value(m, f, j, depth + 2), j + 1 < n ? ",\n" : "\n");
      }
      *out += pad + "]";
    } else {
      *out += Value(m, f, 0, depth + 1);
    }
    *out += i + 1 < fields.size() ? ",\n" : "\n";
  }
  *out += close + "}";
}

}  // namespace

std::string SpecJson(const Message& message) {
  std::string out;
  Write(message, 0, &out);
  return out + "\n";
}

}  // namespace runsc::specutils
