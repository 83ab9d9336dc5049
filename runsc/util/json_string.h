// JsonQuote: a string as a JSON string literal, quotes included. For the
// few places that write JSON by hand (the JSON log, SpecJson).
#ifndef RUNSC_UTIL_JSON_STRING_H_
#define RUNSC_UTIL_JSON_STRING_H_

#include <string>

#include "absl/strings/string_view.h"

namespace runsc::util {

std::string JsonQuote(absl::string_view s);

}  // namespace runsc::util

#endif  // RUNSC_UTIL_JSON_STRING_H_
