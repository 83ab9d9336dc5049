#include "specutils/json_reader.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "runsc/util/json_string.h"

namespace runsc::specutils {

namespace {

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

}  // namespace

absl::Status JsonReader::Error(absl::string_view what, size_t at) const {
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
  return absl::InvalidArgumentError(absl::StrCat(path_.empty() ? "" : path_ + ": ", what, " (line ",
                                                 line, ", column ", column, ")"));
}

absl::Status JsonReader::Expect(char c) {
  SkipSpace();
  if (Peek() != c) {
    return Error(c == '{'   ? "expected an object"
                 : c == '[' ? "expected a list"
                            : absl::StrCat("expected '", std::string(1, c), "'"));
  }
  ++pos_;
  return absl::OkStatus();
}

bool JsonReader::Literal(absl::string_view word) {
  if (!absl::StartsWith(in_.substr(pos_), word)) return false;
  pos_ += word.size();
  return true;
}

absl::StatusOr<bool> JsonReader::More(char close) {
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
    } else if (cp == 0 && path_ != "annotations" && !absl::StartsWith(path_, "annotations.")) {
      // The kernel takes paths, arguments and names as C strings: one
      // would end at the NUL, and mean something other than it says.
      // Annotations never reach it: any string, as runc takes them.
      return Error("a NUL (\\u0000) in a string, which no path, argument or name may hold");
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

absl::Status JsonReader::ReadInteger(int64_t min, uint64_t max, bool* negative,
                                     uint64_t* magnitude) {
  SkipSpace();
  const size_t start = pos_;
  std::string quoted;
  absl::string_view token;
  if (Peek() == '"') {
    // proto3 JSON writes 64-bit integers as strings: a JSON number, quoted,
    // and nothing else ("+12", " 12", "012" and "12 " are not).
    RETURN_IF_ERROR(ReadString(&quoted));
    JsonReader inner(quoted);
    absl::string_view inner_token;
    const bool number = !quoted.empty() && (quoted[0] == '-' || absl::ascii_isdigit(quoted[0])) &&
                        inner.ReadNumberToken(&inner_token).ok() && inner.pos_ == quoted.size();
    if (!number) return Error(absl::StrCat("expected an integer, got ", quoted), start);
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

absl::Status JsonReader::ReadBool(bool* out) {
  SkipSpace();
  if (Literal("true")) {
    *out = true;
  } else if (Literal("false")) {
    *out = false;
  } else {
    return Error("expected true or false");
  }
  return absl::OkStatus();
}

}  // namespace runsc::specutils
