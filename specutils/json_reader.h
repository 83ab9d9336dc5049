// JsonReader: the pieces of a recursive-descent JSON reader that reads
// straight into a message, with no intermediate tree. Two readers stand on
// it: ParseJson (spec_json.h), which sets any message's fields through
// reflection, and the OCI spec's reader (oci_json.h), generated from
// oci.proto when runsc is built, which sets them through the generated
// accessors and so never builds a descriptor. Both read by the same rules,
// which spec_json.h states, and report the same errors: the path of the
// value being read (`process.args[2]`, kept here as objects and lists are
// entered) and the line and column.
//
// Thread safety: one reader per thread.
#ifndef RUNSC_SPECUTILS_JSON_READER_H_
#define RUNSC_SPECUTILS_JSON_READER_H_

#include <stdint.h>

#include <limits>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "runsc/util/status_macros.h"

namespace runsc::specutils {

class JsonReader {
 public:
  // Deeper than any message we define; bounds the recursion on hostile input.
  static constexpr int kMaxDepth = 64;

  explicit JsonReader(absl::string_view in) : in_(in) {}

  // The whole input as one value, read by `read()`, with nothing but space
  // after it.
  template <typename Read>
  absl::Status ReadAll(Read read) {
    SkipSpace();
    RETURN_IF_ERROR(read());
    SkipSpace();
    if (pos_ != in_.size()) return Error("unexpected text after the top-level object");
    return absl::OkStatus();
  }

  // InvalidArgument: `what`, after the path of the value being read, and
  // the line and column of `at` (by default, where the reader is).
  absl::Status Error(absl::string_view what, size_t at = absl::string_view::npos) const;

  // Where the next value starts (space skipped), for an error about it
  // once it has been read.
  size_t ValueStart() {
    SkipSpace();
    return pos_;
  }
  // The first character of the next value ('\0' at the end).
  char PeekValue() {
    SkipSpace();
    return Peek();
  }
  // Consumes a `null` if one is next.
  bool AtNull() {
    SkipSpace();
    return Literal("null");
  }

  // One value of each kind, checked as the field's type requires.
  absl::Status ReadString(std::string* out);
  absl::Status ReadBool(bool* out);
  absl::Status ReadDouble(double* out);
  // An integer as a JSON number or a string holding one (the proto3
  // mapping's form for 64-bit integers), within T's range.
  template <typename T>
  absl::Status ReadInt(T* out) {
    static_assert(std::is_integral_v<T> && sizeof(T) >= 4, "an int32, int64, uint32 or uint64");
    bool negative = false;
    uint64_t magnitude = 0;
    RETURN_IF_ERROR(ReadInteger(std::numeric_limits<T>::min(), std::numeric_limits<T>::max(),
                                &negative, &magnitude));
    // In range, so the two's complement cast is the value.
    *out = static_cast<T>(negative ? 0 - magnitude : magnitude);
    return absl::OkStatus();
  }

  // An object, calling `member(key)` where each member's value starts; it
  // reads (or skips) the value, named `key` in error paths.
  template <typename Member>
  absl::Status ReadObject(Member member);
  // A list, calling `element()` where each element starts, named [i].
  template <typename Element>
  absl::Status ReadList(Element element);
  // Any value, read and dropped (a field this build does not know).
  absl::Status SkipValue(int depth);

 private:
  void SkipSpace() {
    while (pos_ < in_.size() &&
           (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r')) {
      ++pos_;
    }
  }
  char Peek() const { return pos_ < in_.size() ? in_[pos_] : '\0'; }
  absl::Status Expect(char c);
  // After SkipSpace: consumes `word` if it is next.
  bool Literal(absl::string_view word);
  // After a member or an element: true if a ',' (and so another) follows,
  // false at `close`.
  absl::StatusOr<bool> More(char close);
  absl::Status ReadNumberToken(absl::string_view* token);
  // An integer within [min, max], as its sign and magnitude.
  absl::Status ReadInteger(int64_t min, uint64_t max, bool* negative, uint64_t* magnitude);

  absl::string_view in_;
  size_t pos_ = 0;
  std::string path_;  // of the value being read, for errors
};

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

}  // namespace runsc::specutils

#endif  // RUNSC_SPECUTILS_JSON_READER_H_
