// Our protos as the JSON that runc, crun and gVisor read and write: the
// OCI spec (config.json, process.json, resources), and the sandbox records.
//
// SpecJson writes. Protobuf's own JSON printer writes 64-bit integers as
// strings (the proto3 JSON mapping), which Go's encoding/json refuses for the
// spec's uint64/int64 fields ("cannot unmarshal string into ...
// POSIXRlimit.process.rlimits.hard of type uint64"). This writer follows the
// same field names and presence rules, with every integer a JSON number.
//
// ParseJson reads, by the proto3 JSON mapping that protobuf's own parser
// follows (JSON or proto field names, integers as numbers or strings, null as
// the default), reading straight into the message by reflection. As to JSON
// itself it is as strict as Go's encoding/json, which runc reads config.json
// with: no trailing commas, no raw control characters in strings, a value of
// the field's type (protobuf 3.21 lets each of these through). Where Go and
// protobuf differ on well-formed input, it follows Go: a duplicate key's
// last value stands (a map's entries are merged), and a null list element or
// map value is the default value. Invalid UTF-8 and unpaired surrogates are
// refused, as protobuf refuses them (Go would put U+FFFD in their place).
// Protobuf 3.21's parser also converts every message type into a
// google.protobuf.Type and streams through a resolver first: a CLI
// command's first parse of a 2.5 KiB config.json took 1.4 to 1.7 ms with it
// and 1.0 to 1.2 ms with this reader, nearly all of that protobuf building
// the descriptors on first use. So the OCI spec's messages (config.json,
// process.json, resources) are read by a reader generated from oci.proto
// at build time (oci_json.h), by these same rules on the same JsonReader,
// which builds none; ParseJson reads the rest (an earlier build's JSON
// sandbox records).
#ifndef RUNSC_SPECUTILS_SPEC_JSON_H_
#define RUNSC_SPECUTILS_SPEC_JSON_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace runsc::specutils {

// Set fields only (as the proto3 printer), camelCase names, two-space
// indentation, a trailing newline. Enums are written by name.
std::string SpecJson(const google::protobuf::Message& message);

// Reads one JSON object into `message` (cleared first). Unknown keys are
// skipped: the spec allows extensions, and records may come from newer
// versions. Malformed JSON, a value of the wrong type or out of its field's
// range, invalid UTF-8, an unknown enum name and nesting deeper than 64 are
// InvalidArgument, naming the field's path (`process.args[2]`) and the line
// and column; `message` then holds what was read before the error.
// Well-known types (google.protobuf.*) and maps keyed by anything but
// strings are not supported; none of our protos use them.
absl::Status ParseJson(absl::string_view json, google::protobuf::Message* message);

}  // namespace runsc::specutils

#endif  // RUNSC_SPECUTILS_SPEC_JSON_H_
