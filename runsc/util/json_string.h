// JsonQuote: a string as a JSON string literal, quotes included. For the
// few places that write JSON by hand (the JSON log, SpecJson). JSON text is
// UTF-8: what JsonQuote writes reads back only if it was valid UTF-8, which
// IsValidUtf8 tells.
#ifndef RUNSC_UTIL_JSON_STRING_H_
#define RUNSC_UTIL_JSON_STRING_H_

#include <string>

#include "absl/strings/string_view.h"

namespace runsc::util {

std::string JsonQuote(absl::string_view s);

// The length of the well-formed UTF-8 sequence that starts `s`, or 0 if
// there is none: no overlong forms, no surrogates, nothing above U+10FFFF.
size_t Utf8SequenceLength(absl::string_view s);

bool IsValidUtf8(absl::string_view s);

}  // namespace runsc::util

#endif  // RUNSC_UTIL_JSON_STRING_H_
