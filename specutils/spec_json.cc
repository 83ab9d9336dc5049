#include "specutils/spec_json.h"

#include <stdint.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/descriptor.h"
#include "runsc/util/json_string.h"
#include "runsc/util/status_macros.h"
#include "specutils/json_reader.h"

namespace runsc::specutils {

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

void Write(const Message& m, int depth, std::string* out);

// The shortest of 15 or 17 significant digits that reads back exactly; the
// proto3 mapping's strings where JSON has no number.
std::string Number(double v) {
  if (std::isnan(v)) return "\"NaN\"";
  if (std::isinf(v)) return v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  std::string out = absl::StrFormat("%.15g", v);
  double back;
  if (!absl::SimpleAtod(out, &back) || back != v) out = absl::StrFormat("%.17g", v);
  return out;
}

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
      return Number(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return Number(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
    case FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false";
    case FieldDescriptor::CPPTYPE_ENUM: {
      // A number the enum does not name (proto3 keeps them) as the number.
      const int number = rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f);
      const google::protobuf::EnumValueDescriptor* value =
          f->enum_type()->FindValueByNumber(number);
      return value != nullptr ? util::JsonQuote(value->name()) : absl::StrCat(number);
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      const std::string s = rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
      // bytes as base64, as the proto3 mapping (and ParseJson) has them.
      return util::JsonQuote(f->type() == FieldDescriptor::TYPE_BYTES ? absl::Base64Escape(s) : s);
    }
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

// ParseJson: any message, its fields set through reflection as the
// JsonReader reads them.
class ReflectiveReader {
 public:
  explicit ReflectiveReader(JsonReader& in) : in_(in) {}

  absl::Status ReadMessage(Message* m, int depth);

 private:
  absl::Status ReadField(Message* m, const FieldDescriptor* f, int depth);
  // One value of `f` into `m`: appended if `add`, else set.
  absl::Status ReadValue(Message* m, const FieldDescriptor* f, bool add, int depth);

  JsonReader& in_;
};

// The field of `d` named `key` by its JSON name or its proto name, as
// protobuf's own parser accepts both.
const FieldDescriptor* FindField(const Descriptor* d, absl::string_view key) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->json_name() == key || f->name() == key) return f;
  }
  return nullptr;
}

absl::Status ReflectiveReader::ReadMessage(Message* m, int depth) {
  if (depth > JsonReader::kMaxDepth) return in_.Error("nested too deeply");
  const Descriptor* d = m->GetDescriptor();
  if (absl::StartsWith(d->full_name(), "google.protobuf.")) {
    return in_.Error(absl::StrCat("well-known type ", d->full_name(), " is not supported"));
  }
  return in_.ReadObject([&](const std::string& key) {
    const FieldDescriptor* f = FindField(d, key);
    // Fields of newer spec versions, or of other runtimes' extensions.
    if (f == nullptr) return in_.SkipValue(depth + 1);
    if (in_.AtNull()) {
      // proto3 JSON: null is the field's default.
      m->GetReflection()->ClearField(m, f);
      return absl::OkStatus();
    }
    return ReadField(m, f, depth + 1);
  });
}

absl::Status ReflectiveReader::ReadField(Message* m, const FieldDescriptor* f, int depth) {
  const Reflection* r = m->GetReflection();
  if (!f->is_repeated()) return ReadValue(m, f, false, depth);
  if (f->is_map()) {
    // A map given twice gets the entries of both (a key in both: the
    // later value), as Go reads into a map.
    const FieldDescriptor* key_field = f->message_type()->map_key();
    const FieldDescriptor* value_field = f->message_type()->map_value();
    // Every map of ours is keyed by strings, as JSON objects are.
    if (key_field->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
      return in_.Error("maps with keys other than strings are not supported");
    }
    return in_.ReadObject([&](const std::string& key) {
      Message* entry = r->AddMessage(m, f);
      entry->GetReflection()->SetString(entry, key_field, key);
      // null leaves the entry's value at its default.
      if (in_.AtNull()) return absl::OkStatus();
      return ReadValue(entry, value_field, false, depth);
    });
  }
  // A list given twice: the later one stands, as Go reads into a slice.
  r->ClearField(m, f);
  return in_.ReadList([&] {
    if (!in_.AtNull()) return ReadValue(m, f, true, depth);
    // What Go's encoding/json makes of a null element: the zero value.
    const FieldDescriptor::CppType type = f->cpp_type();
    JsonReader zero(type == FieldDescriptor::CPPTYPE_STRING    ? "\"\""
                    : type == FieldDescriptor::CPPTYPE_BOOL    ? "false"
                    : type == FieldDescriptor::CPPTYPE_MESSAGE ? "{}"
                                                               : "0");
    return ReflectiveReader(zero).ReadValue(m, f, true, depth);
  });
}

absl::Status ReflectiveReader::ReadValue(Message* m, const FieldDescriptor* f, bool add,
                                         int depth) {
  const Reflection* r = m->GetReflection();
  const size_t start = in_.ValueStart();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      RETURN_IF_ERROR(in_.ReadInt(&v));
      add ? r->AddInt32(m, f, v) : r->SetInt32(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      RETURN_IF_ERROR(in_.ReadInt(&v));
      add ? r->AddInt64(m, f, v) : r->SetInt64(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v;
      RETURN_IF_ERROR(in_.ReadInt(&v));
      add ? r->AddUInt32(m, f, v) : r->SetUInt32(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      RETURN_IF_ERROR(in_.ReadInt(&v));
      add ? r->AddUInt64(m, f, v) : r->SetUInt64(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double v;
      RETURN_IF_ERROR(in_.ReadDouble(&v));
      add ? r->AddDouble(m, f, v) : r->SetDouble(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double v;
      RETURN_IF_ERROR(in_.ReadDouble(&v));
      if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max()) {
        return in_.Error(absl::StrCat(v, " is out of range for a float"), start);
      }
      add ? r->AddFloat(m, f, static_cast<float>(v)) : r->SetFloat(m, f, static_cast<float>(v));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v;
      RETURN_IF_ERROR(in_.ReadBool(&v));
      add ? r->AddBool(m, f, v) : r->SetBool(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      int32_t number;
      if (in_.PeekValue() == '"') {
        std::string name;
        RETURN_IF_ERROR(in_.ReadString(&name));
        const google::protobuf::EnumValueDescriptor* value = f->enum_type()->FindValueByName(name);
        if (value == nullptr) {
          return in_.Error(absl::StrCat("'", name, "' is not a value of ", f->enum_type()->name()),
                           start);
        }
        number = value->number();
      } else {
        RETURN_IF_ERROR(in_.ReadInt(&number));
      }
      add ? r->AddEnumValue(m, f, number) : r->SetEnumValue(m, f, number);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string s;
      RETURN_IF_ERROR(in_.ReadString(&s));
      if (f->type() == FieldDescriptor::TYPE_BYTES) {
        std::string decoded;
        if (!absl::Base64Unescape(s, &decoded) && !absl::WebSafeBase64Unescape(s, &decoded)) {
          return in_.Error("expected base64", start);
        }
        s = std::move(decoded);
      }
      add ? r->AddString(m, f, std::move(s)) : r->SetString(m, f, std::move(s));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return ReadMessage(add ? r->AddMessage(m, f) : r->MutableMessage(m, f), depth);
  }
  return in_.Error("unsupported field type");
}

}  // namespace

std::string SpecJson(const Message& message) {
  std::string out;
  Write(message, 0, &out);
  return out + "\n";
}

absl::Status ParseJson(absl::string_view json, Message* message) {
  message->Clear();
  JsonReader in(json);
  return in.ReadAll([&] { return ReflectiveReader(in).ReadMessage(message, 0); });
}

}  // namespace runsc::specutils
