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

// ParseJson: the reader. A recursive-descent JSON parser that sets fields
// through reflection as it reads; no intermediate tree.
class JsonReader {
 public:
  explicit JsonReader(absl::string_view in) : in_(in) {}

  absl::Status Read(Message* m) {
    SkipSpace();
    RETURN_IF_ERROR(ReadMessage(m, 0));
    SkipSpace();
    if (pos_ != in_.size()) return Error("unexpected text after the top-level object");
    return absl::OkStatus();
  }

 private:
  // Deeper than any message we define; bounds the recursion on hostile input.
  static constexpr int kMaxDepth = 64;

  // An error at the current position, or at `at`: where the value that is
  // wrong began, for errors found once it has been read.
  absl::Status Error(absl::string_view what, size_t at = absl::string_view::npos) const {
    if (at == absl::string_view::npos) at = pos_;
    int line = 1, column = 1;
    for (size_t i = 0; i < at && i < in_.size(); ++i) {
      if (in_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return absl::InvalidArgumentError(absl::StrCat(path_.empty() ? "" : path_ + ": ", what,
                                                   " (line ", line, ", column ", column, ")"));
  }

  void SkipSpace() {
    while (pos_ < in_.size() &&
           (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r')) {
      ++pos_;
    }
  }
  char Peek() const { return pos_ < in_.size() ? in_[pos_] : '\0'; }
  absl::Status Expect(char c) {
    SkipSpace();
    if (Peek() != c) {
      return Error(c == '{'   ? "expected an object"
                   : c == '[' ? "expected a list"
                              : absl::StrCat("expected '", std::string(1, c), "'"));
    }
    ++pos_;
    return absl::OkStatus();
  }
  // After SkipSpace: consumes `word` if it is next.
  bool Literal(absl::string_view word) {
    if (!absl::StartsWith(in_.substr(pos_), word)) return false;
    pos_ += word.size();
    return true;
  }
  // After a member or an element: true if a ',' (and so another) follows,
  // false at `close`.
  absl::StatusOr<bool> More(char close) {
    SkipSpace();
    if (Peek() == ',') {
      ++pos_;
      return true;
    }
    if (Peek() == close) {
      ++pos_;
      return false;
    }
    return Error(absl::StrCat("expected ',' or '", std::string(1, close), "'"));
  }
  bool AtNull() {
    SkipSpace();
    return Literal("null");
  }

  absl::Status ReadString(std::string* out);
  absl::Status ReadNumberToken(absl::string_view* token);
  // An object, calling `member(key)` where each member's value starts; it
  // reads the value, named `key` in error paths.
  template <typename Member>
  absl::Status ReadObject(Member member);
  // A list, calling `element()` where each element starts, named [i].
  template <typename Element>
  absl::Status ReadList(Element element);
  absl::Status SkipValue(int depth);
  absl::Status ReadMessage(Message* m, int depth);
  absl::Status ReadField(Message* m, const FieldDescriptor* f, int depth);
  // One value of `f` into `m`: appended if `add`, else set.
  absl::Status ReadValue(Message* m, const FieldDescriptor* f, bool add, int depth);
  // An integer as a JSON number or a string holding one, within [min, max].
  absl::Status ReadInteger(int64_t min, uint64_t max, bool* negative, uint64_t* magnitude);
  absl::Status ReadDouble(double* out);

  absl::string_view in_;
  size_t pos_ = 0;
  std::string path_;  // of the value being read, for errors
};

// Appends code point `cp` (at most 0x10FFFF, not a surrogate) as UTF-8.
void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool ParseHex4(absl::string_view s, uint32_t* out) {
  if (s.size() < 4) return false;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v |= c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v |= c - 'A' + 10;
    } else {
      return false;
    }
  }
  *out = v;
  return true;
}

// The field of `d` named `key` by its JSON name or its proto name, as
// protobuf's own parser accepts both.
const FieldDescriptor* FindField(const Descriptor* d, absl::string_view key) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->json_name() == key || f->name() == key) return f;
  }
  return nullptr;
}

absl::Status JsonReader::ReadString(std::string* out) {
  SkipSpace();
  if (Peek() != '"') return Error("expected a string");
  ++pos_;
  out->clear();
  while (true) {
    if (pos_ >= in_.size()) return Error("unterminated string");
    const unsigned char c = in_[pos_];
    if (c == '"') {
      ++pos_;
      return absl::OkStatus();
    }
    if (c < 0x20) return Error("control character in a string");
    if (c >= 0x80) {
      const size_t n = util::Utf8SequenceLength(in_.substr(pos_));
      if (n == 0) return Error("invalid UTF-8 in a string");
      out->append(in_.data() + pos_, n);
      pos_ += n;
      continue;
    }
    ++pos_;
    if (c != '\\') {
      out->push_back(static_cast<char>(c));
      continue;
    }
    if (pos_ >= in_.size()) return Error("unterminated string");
    const char e = in_[pos_++];
    // The one-letter escapes, and what each stands for.
    constexpr absl::string_view kEscapes = "\"\\/bfnrt";
    constexpr absl::string_view kMeanings = "\"\\/\b\f\n\r\t";
    if (const size_t i = kEscapes.find(e); i != absl::string_view::npos) {
      out->push_back(kMeanings[i]);
      continue;
    }
    if (e != 'u') return Error(absl::StrCat("bad escape '\\", std::string(1, e), "'"));
    uint32_t cp;
    if (!ParseHex4(in_.substr(pos_), &cp)) return Error("bad \\u escape");
    pos_ += 4;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t low;
      if (!absl::StartsWith(in_.substr(pos_), "\\u") || !ParseHex4(in_.substr(pos_ + 2), &low) ||
          low < 0xDC00 || low > 0xDFFF) {
        return Error("unpaired UTF-16 surrogate in a \\u escape");
      }
      pos_ += 6;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return Error("unpaired UTF-16 surrogate in a \\u escape");
    }
    AppendUtf8(cp, out);
  }
}

absl::Status JsonReader::ReadNumberToken(absl::string_view* token) {
  SkipSpace();
  const size_t start = pos_;
  const auto digits = [&] {
    const size_t from = pos_;
    while (pos_ < in_.size() && absl::ascii_isdigit(in_[pos_])) ++pos_;
    return pos_ > from;
  };
  if (Peek() == '-') ++pos_;
  if (Peek() == '0') {
    ++pos_;
  } else if (!digits()) {
    pos_ = start;
    return Error("expected a number");
  }
  if (Peek() == '.') {
    ++pos_;
    if (!digits()) return Error("expected digits after '.'");
  }
  if (Peek() == 'e' || Peek() == 'E') {
    ++pos_;
    if (Peek() == '+' || Peek() == '-') ++pos_;
    if (!digits()) return Error("expected digits in the exponent");
  }
  *token = in_.substr(start, pos_ - start);
  return absl::OkStatus();
}

template <typename Member>
absl::Status JsonReader::ReadObject(Member member) {
  RETURN_IF_ERROR(Expect('{'));
  SkipSpace();
  if (Peek() == '}') {
    ++pos_;
    return absl::OkStatus();
  }
  const size_t path_length = path_.size();
  while (true) {
    std::string key;
    RETURN_IF_ERROR(ReadString(&key));
    RETURN_IF_ERROR(Expect(':'));
    absl::StrAppend(&path_, path_length == 0 ? "" : ".", key);
    RETURN_IF_ERROR(member(key));
    path_.resize(path_length);
    ASSIGN_OR_RETURN(const bool more, More('}'));
    if (!more) return absl::OkStatus();
  }
}

template <typename Element>
absl::Status JsonReader::ReadList(Element element) {
  RETURN_IF_ERROR(Expect('['));
  SkipSpace();
  if (Peek() == ']') {
    ++pos_;
    return absl::OkStatus();
  }
  const size_t path_length = path_.size();
  for (int i = 0;; ++i) {
    absl::StrAppend(&path_, "[", i, "]");
    RETURN_IF_ERROR(element());
    path_.resize(path_length);
    ASSIGN_OR_RETURN(const bool more, More(']'));
    if (!more) return absl::OkStatus();
  }
}

absl::Status JsonReader::SkipValue(int depth) {
  if (depth > kMaxDepth) return Error("nested too deeply");
  SkipSpace();
  switch (Peek()) {
    case '"': {
      std::string ignored;
      return ReadString(&ignored);
    }
    case '{':
      return ReadObject([&](const std::string&) { return SkipValue(depth + 1); });
    case '[':
      return ReadList([&] { return SkipValue(depth + 1); });
    default:
      if (Literal("true") || Literal("false") || Literal("null")) return absl::OkStatus();
      absl::string_view number;
      return ReadNumberToken(&number);
  }
}

absl::Status JsonReader::ReadMessage(Message* m, int depth) {
  if (depth > kMaxDepth) return Error("nested too deeply");
  const Descriptor* d = m->GetDescriptor();
  if (absl::StartsWith(d->full_name(), "google.protobuf.")) {
    return Error(absl::StrCat("well-known type ", d->full_name(), " is not supported"));
  }
  return ReadObject([&](const std::string& key) {
    const FieldDescriptor* f = FindField(d, key);
    // Fields of newer spec versions, or of other runtimes' extensions.
    if (f == nullptr) return SkipValue(depth + 1);
    if (AtNull()) {
      // proto3 JSON: null is the field's default.
      m->GetReflection()->ClearField(m, f);
      return absl::OkStatus();
    }
    return ReadField(m, f, depth + 1);
  });
}

absl::Status JsonReader::ReadField(Message* m, const FieldDescriptor* f, int depth) {
  const Reflection* r = m->GetReflection();
  if (!f->is_repeated()) return ReadValue(m, f, false, depth);
  if (f->is_map()) {
    // A map given twice gets the entries of both (a key in both: the
    // later value), as Go reads into a map.
    const FieldDescriptor* key_field = f->message_type()->map_key();
    const FieldDescriptor* value_field = f->message_type()->map_value();
    // Every map of ours is keyed by strings, as JSON objects are.
    if (key_field->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
      return Error("maps with keys other than strings are not supported");
    }
    return ReadObject([&](const std::string& key) {
      Message* entry = r->AddMessage(m, f);
      entry->GetReflection()->SetString(entry, key_field, key);
      // null leaves the entry's value at its default.
      if (AtNull()) return absl::OkStatus();
      return ReadValue(entry, value_field, false, depth);
    });
  }
  // A list given twice: the later one stands, as Go reads into a slice.
  r->ClearField(m, f);
  return ReadList([&] {
    if (!AtNull()) return ReadValue(m, f, true, depth);
    // What Go's encoding/json makes of a null element: the zero value.
    const FieldDescriptor::CppType type = f->cpp_type();
    JsonReader zero(type == FieldDescriptor::CPPTYPE_STRING    ? "\"\""
                    : type == FieldDescriptor::CPPTYPE_BOOL    ? "false"
                    : type == FieldDescriptor::CPPTYPE_MESSAGE ? "{}"
                                                               : "0");
    return zero.ReadValue(m, f, true, depth);
  });
}

absl::Status JsonReader::ReadInteger(int64_t min, uint64_t max, bool* negative,
                                     uint64_t* magnitude) {
  SkipSpace();
  const size_t start = pos_;
  std::string quoted;
  absl::string_view token;
  if (Peek() == '"') {
    // proto3 JSON writes 64-bit integers as strings.
    RETURN_IF_ERROR(ReadString(&quoted));
    token = quoted;
  } else {
    RETURN_IF_ERROR(ReadNumberToken(&token));
  }
  const std::string text(token);
  const auto out_of_range = [&] {
    return Error(absl::StrCat(text, " is out of range [", min, ", ", max, "]"), start);
  };
  *negative = absl::StartsWith(token, "-");
  const absl::string_view digits = token.substr(*negative ? 1 : 0);
  if (!digits.empty() && std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit)) {
    if (!absl::SimpleAtoi(digits, magnitude)) return out_of_range();
  } else {
    // 1e3 or 2.0: a whole number written otherwise; exact only up to 2^53.
    double d;
    if (!absl::SimpleAtod(token, &d) || !std::isfinite(d) || d != std::trunc(d)) {
      return Error(absl::StrCat("expected an integer, got ", text), start);
    }
    // From 2^53 up a double no longer holds every integer: 9007199254740993.0
    // would silently become ...992.
    if (std::fabs(d) >= 9007199254740992.0) {
      return Error(absl::StrCat(text, " is too large for this form; write the integer's digits"),
                   start);
    }
    *magnitude = static_cast<uint64_t>(std::fabs(d));
    *negative = d < 0;
  }
  if (*magnitude == 0) *negative = false;
  // -min as an unsigned number, without overflowing at INT64_MIN.
  const uint64_t max_negative = min < 0 ? static_cast<uint64_t>(-(min + 1)) + 1 : 0;
  if (*negative ? *magnitude > max_negative : *magnitude > max) {
    return out_of_range();
  }
  return absl::OkStatus();
}

absl::Status JsonReader::ReadDouble(double* out) {
  SkipSpace();
  const size_t start = pos_;
  if (Peek() != '"') {
    absl::string_view token;
    RETURN_IF_ERROR(ReadNumberToken(&token));
    if (!absl::SimpleAtod(token, out) || !std::isfinite(*out)) {
      return Error(absl::StrCat(token, " is out of range for a double"), start);
    }
    return absl::OkStatus();
  }
  std::string s;
  RETURN_IF_ERROR(ReadString(&s));
  if (s == "NaN") {
    *out = std::numeric_limits<double>::quiet_NaN();
  } else if (s == "Infinity") {
    *out = std::numeric_limits<double>::infinity();
  } else if (s == "-Infinity") {
    *out = -std::numeric_limits<double>::infinity();
  } else {
    JsonReader inner(s);
    inner.path_ = path_;
    absl::string_view token;
    if (!inner.ReadNumberToken(&token).ok() || inner.pos_ != s.size() ||
        !absl::SimpleAtod(token, out) || !std::isfinite(*out)) {
      return Error(absl::StrCat("expected a number, got \"", s, "\""), start);
    }
  }
  return absl::OkStatus();
}

absl::Status JsonReader::ReadValue(Message* m, const FieldDescriptor* f, bool add, int depth) {
  const Reflection* r = m->GetReflection();
  SkipSpace();
  const size_t start = pos_;
  bool negative = false;
  uint64_t magnitude = 0;
  const auto as_signed = [&] {
    return negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  };
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      RETURN_IF_ERROR(ReadInteger(std::numeric_limits<int32_t>::min(),
                                  std::numeric_limits<int32_t>::max(), &negative, &magnitude));
      const int32_t v = static_cast<int32_t>(as_signed());
      add ? r->AddInt32(m, f, v) : r->SetInt32(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      RETURN_IF_ERROR(ReadInteger(std::numeric_limits<int64_t>::min(),
                                  std::numeric_limits<int64_t>::max(), &negative, &magnitude));
      add ? r->AddInt64(m, f, as_signed()) : r->SetInt64(m, f, as_signed());
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      RETURN_IF_ERROR(ReadInteger(0, std::numeric_limits<uint32_t>::max(), &negative, &magnitude));
      const uint32_t v = static_cast<uint32_t>(magnitude);
      add ? r->AddUInt32(m, f, v) : r->SetUInt32(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      RETURN_IF_ERROR(ReadInteger(0, std::numeric_limits<uint64_t>::max(), &negative, &magnitude));
      add ? r->AddUInt64(m, f, magnitude) : r->SetUInt64(m, f, magnitude);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double v;
      RETURN_IF_ERROR(ReadDouble(&v));
      add ? r->AddDouble(m, f, v) : r->SetDouble(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double v;
      RETURN_IF_ERROR(ReadDouble(&v));
      if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max()) {
        return Error(absl::StrCat(v, " is out of range for a float"), start);
      }
      add ? r->AddFloat(m, f, static_cast<float>(v)) : r->SetFloat(m, f, static_cast<float>(v));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v;
      if (Literal("true")) {
        v = true;
      } else if (Literal("false")) {
        v = false;
      } else {
        return Error("expected true or false");
      }
      add ? r->AddBool(m, f, v) : r->SetBool(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      int number;
      if (Peek() == '"') {
        std::string name;
        RETURN_IF_ERROR(ReadString(&name));
        const google::protobuf::EnumValueDescriptor* value = f->enum_type()->FindValueByName(name);
        if (value == nullptr) {
          return Error(absl::StrCat("'", name, "' is not a value of ", f->enum_type()->name()),
                       start);
        }
        number = value->number();
      } else {
        RETURN_IF_ERROR(ReadInteger(std::numeric_limits<int32_t>::min(),
                                    std::numeric_limits<int32_t>::max(), &negative, &magnitude));
        number = static_cast<int32_t>(as_signed());
      }
      add ? r->AddEnumValue(m, f, number) : r->SetEnumValue(m, f, number);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string s;
      RETURN_IF_ERROR(ReadString(&s));
      if (f->type() == FieldDescriptor::TYPE_BYTES) {
        std::string decoded;
        if (!absl::Base64Unescape(s, &decoded) && !absl::WebSafeBase64Unescape(s, &decoded)) {
          return Error("expected base64", start);
        }
        s = std::move(decoded);
      }
      add ? r->AddString(m, f, std::move(s)) : r->SetString(m, f, std::move(s));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return ReadMessage(add ? r->AddMessage(m, f) : r->MutableMessage(m, f), depth);
  }
  return Error("unsupported field type");
}

}  // namespace

std::string SpecJson(const Message& message) {
  std::string out;
  Write(message, 0, &out);
  return out + "\n";
}

absl::Status ParseJson(absl::string_view json, Message* message) {
  message->Clear();
  return JsonReader(json).Read(message);
}

}  // namespace runsc::specutils
