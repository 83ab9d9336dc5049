// SpecJson: a spec (or any proto message) as the JSON that runc, crun and
// gVisor parse. Protobuf's own JSON printer writes 64-bit integers as
// strings (the proto3 JSON mapping), which Go's encoding/json refuses for
// the spec's uint64/int64 fields ("cannot unmarshal string into ...
// POSIXRlimit.process.rlimits.hard of type uint64"). This writer follows the
// same field names and presence rules, with every integer a JSON number.
#ifndef RUNSC_SPECUTILS_SPEC_JSON_H_
#define RUNSC_SPECUTILS_SPEC_JSON_H_

#include <string>

#include "google/protobuf/message.h"

namespace runsc::specutils {

// Set fields only (as the proto3 printer), camelCase names, two-space
// indentation, a trailing newline. Enums are written by name.
std::string SpecJson(const google::protobuf::Message& message);

}  // namespace runsc::specutils

#endif  // RUNSC_SPECUTILS_SPEC_JSON_H_
