#include "runsc/api_convert.h"

#include "absl/time/time.h"

namespace runsc::cli {

specutils::ProcessOverrides ToOverrides(const runsc::api::v1::ProcessSpec& p) {
  specutils::ProcessOverrides overrides;
  overrides.args.assign(p.args().begin(), p.args().end());
  overrides.env.assign(p.env().begin(), p.env().end());
  overrides.cwd = p.cwd();
  if (p.has_uid()) overrides.uid = p.uid();
  if (p.has_gid()) overrides.gid = p.gid();
  overrides.additional_gids.assign(p.additional_gids().begin(), p.additional_gids().end());
  return overrides;
}

namespace api = runsc::api::v1;

namespace {
double UnixSeconds(absl::Time t) { return absl::ToDoubleSeconds(t - absl::UnixEpoch()); }
}  // namespace

void ToProto(const sandbox::SandboxView& view, api::Sandbox* out) {
  out->set_id(view.id);
  out->set_status(view.status);
  out->set_pid(view.pid);
  out->set_main_pid(view.main_pid);
  for (const auto& [k, v] : view.labels) (*out->mutable_labels())[k] = v;
  out->set_created_unix_seconds(UnixSeconds(view.created));
  if (view.expires != absl::InfiniteFuture()) {
    out->set_expires_unix_seconds(UnixSeconds(view.expires));
  }
}

void ToProto(const runsc::control::v1::ExitStatus& in, api::ExitStatus* out) {
  out->set_signaled(in.signaled());
  out->set_code(in.code());
  out->set_signal(in.signal());
  out->set_oom_killed(in.oom_killed());
}

void ToProto(const sandbox::SandboxEvent& event, api::Event* out) {
  out->set_type(event.type);
  out->set_id(event.id);
  out->set_time_unix_seconds(UnixSeconds(event.time));
  out->set_pid(event.pid);
  if (event.type == "exited") ToProto(event.exit, out->mutable_exit());
}

}  // namespace runsc::cli
