// The manager's and the control plane's types as runsc.api.v1 messages:
// the one place the daemon's API adapters (ApiService, ExecReactor) turn
// them into protos.
#ifndef RUNSC_RUNSC_API_CONVERT_H_
#define RUNSC_RUNSC_API_CONVERT_H_

#include "proto/api.pb.h"
#include "proto/control.pb.h"
#include "sandbox/event_bus.h"
#include "sandbox/manager.h"
#include "specutils/process_override.h"

namespace runsc::cli {

// What a Run's or an Exec's `process` asks of the main process's settings.
specutils::ProcessOverrides ToOverrides(const runsc::api::v1::ProcessSpec& p);

void ToProto(const sandbox::SandboxView& view, runsc::api::v1::Sandbox* out);
void ToProto(const runsc::control::v1::ExitStatus& in, runsc::api::v1::ExitStatus* out);
void ToProto(const sandbox::SandboxEvent& event, runsc::api::v1::Event* out);

}  // namespace runsc::cli

#endif  // RUNSC_RUNSC_API_CONVERT_H_
