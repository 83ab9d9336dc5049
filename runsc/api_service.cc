#include "runsc/api_service.h"

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "runsc/api_convert.h"
#include "runsc/exec_reactor.h"
#include "runsc/util/grpc_status.h"
#include "specutils/oci_spec.h"
#include "specutils/sandbox_id.h"

namespace runsc::cli {

namespace api = runsc::api::v1;
using util::ToGrpcStatus;

namespace {

// The longest a delete gives the main process to end after SIGTERM.
constexpr double kMaxGraceSeconds = 600;
// Ten years: a sandbox that should outlive that asks for no TTL.
constexpr double kMaxTtlSeconds = 10 * 365 * 86400.0;

grpc::Status Invalid(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

grpc::Status RequireId(const std::string& id) {
  return id.empty() ? Invalid("id: must be set") : grpc::Status::OK;
}

// A path the kernel reads as a C string: a NUL would cut it short, so that
// the call acted on another path than the one it named.
grpc::Status RequirePath(const std::string& path, absl::string_view field) {
  if (path.empty()) return Invalid(absl::StrCat(field, ": must be set"));
  return ToGrpcStatus(specutils::CheckNoNul(path, field));
}

// The deadline the client gave, as a cap for our own waits.
absl::Duration Remaining(grpc::ServerContext* context, absl::Duration fallback) {
  auto deadline = context->deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return fallback;
  absl::Duration left = absl::FromChrono(deadline - std::chrono::system_clock::now());
  return std::min(left, fallback);
}

grpc::Status ToRunResponse(const absl::StatusOr<sandbox::RunResult>& result,
                           api::RunResponse* out) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  out->set_stdout(result->out);
  out->set_stderr(result->err);
  out->set_stdout_truncated(result->out_truncated);
  out->set_stderr_truncated(result->err_truncated);
  ToProto(result->status, out->mutable_status());
  out->mutable_status()->set_timed_out(result->timed_out);
  return grpc::Status::OK;
}

// A run's output is buffered in the daemon and answered in one message:
// each stream's cap must leave both within the largest message it sends.
int64_t MostOutput(int max_message_bytes) {
  return std::max<int64_t>((static_cast<int64_t>(max_message_bytes) - 4096) / 2, 0);
}

// The cap a run asked for (`max_output_bytes`), or the default: 1 MiB, or
// less if the largest message holds less.
size_t MaxOutput(int64_t max_output_bytes, int max_message_bytes) {
  if (max_output_bytes > 0) return static_cast<size_t>(max_output_bytes);
  return static_cast<size_t>(std::min<int64_t>(1 << 20, MostOutput(max_message_bytes)));
}

grpc::Status CheckMaxOutput(int64_t max_output_bytes, int max_message_bytes) {
  if (max_output_bytes < 0) return Invalid("max_output_bytes: must not be negative");
  const int64_t most = MostOutput(max_message_bytes);
  if (max_output_bytes > most) {
    return Invalid(absl::StrCat("max_output_bytes: ", max_output_bytes, " is over ", most,
                                ", what two streams of it leave of the daemon's largest message (",
                                max_message_bytes, " bytes, --max-message-bytes)"));
  }
  return grpc::Status::OK;
}

grpc::Status ToResources(const api::Resources& in, runsc::boot::v1::ResourceConfig* out) {
  if (in.memory_limit_bytes() < 0) return Invalid("resources.memory_limit_bytes: must not be negative");
  if (in.memory_swap_bytes() < 0) return Invalid("resources.memory_swap_bytes: must not be negative");
  if (in.pids_limit() < 0) return Invalid("resources.pids_limit: must not be negative");
  if (in.cpu_quota_us() < 0) return Invalid("resources.cpu_quota_us: must not be negative");
  if (absl::Status floor =
          specutils::CheckMemoryLimit(in.memory_limit_bytes(), "resources.memory_limit_bytes");
      !floor.ok()) {
    return ToGrpcStatus(floor);
  }
  if (in.memory_swap_bytes() > 0 && in.memory_limit_bytes() > 0 &&
      in.memory_swap_bytes() < in.memory_limit_bytes()) {
    return Invalid("resources.memory_swap_bytes: memory+swap is below memory_limit_bytes");
  }
  if (in.cpu_quota_us() > 0 && in.cpu_quota_us() < 1000) {
    return Invalid("resources.cpu_quota_us: below the kernel's minimum of 1000");
  }
  if (in.cpu_quota_us() > specutils::kMaxCpuQuotaUs) {
    return Invalid(absl::StrCat("resources.cpu_quota_us: ", in.cpu_quota_us(),
                                " is over the kernel's most, ", specutils::kMaxCpuQuotaUs));
  }
  if (in.pids_limit() > specutils::kMaxPidsLimit) {
    return Invalid(absl::StrCat("resources.pids_limit: ", in.pids_limit(),
                                " is over the kernel's most, ", specutils::kMaxPidsLimit));
  }
  // The kernel's ranges (as for a spec's linux.resources.cpu): outside
  // them the cgroup write fails naming a file, not the field.
  if (in.cpu_period_us() != 0 && (in.cpu_period_us() < 1000 || in.cpu_period_us() > 1000000)) {
    return Invalid(
        absl::StrCat("resources.cpu_period_us: ", in.cpu_period_us(), " is outside 1000..1000000"));
  }
  if (in.cpu_shares() != 0 && (in.cpu_shares() < 2 || in.cpu_shares() > 262144)) {
    return Invalid(
        absl::StrCat("resources.cpu_shares: ", in.cpu_shares(), " is outside 2..262144"));
  }
  if (in.memory_limit_bytes() > 0) out->set_memory_max(in.memory_limit_bytes());
  if (in.memory_swap_bytes() > 0) out->set_memory_swap(in.memory_swap_bytes());
  if (in.pids_limit() > 0) out->set_pids_max(in.pids_limit());
  if (in.cpu_quota_us() > 0) out->set_cpu_quota(in.cpu_quota_us());
  if (in.cpu_period_us() > 0) out->set_cpu_period(in.cpu_period_us());
  if (in.cpu_shares() > 0) out->set_cpu_shares(in.cpu_shares());
  return grpc::Status::OK;
}

}  // namespace

class ApiService::InFlight {
 public:
  explicit InFlight(ApiService* service) : service_(service) {
    absl::MutexLock lock(&service_->mu_);
    ++service_->inflight_;
  }
  ~InFlight() {
    absl::MutexLock lock(&service_->mu_);
    --service_->inflight_;
  }

 private:
  ApiService* const service_;
};

bool ApiService::WaitUntilIdle(absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return inflight_ == 0; };
    if (!mu_.AwaitWithDeadline(absl::Condition(&idle), deadline)) return false;
  }
  // Interactive Execs too (the callback API's, which no InFlight counts):
  // one about to end ends, rather than be cancelled with its process.
  return execs_.AwaitNoneLive(deadline);
}

namespace {

// Labels within ApiService's bounds: each is kept in the daemon's memory
// and the sandbox's record, and every List answers with them.
grpc::Status CheckLabels(const google::protobuf::Map<std::string, std::string>& labels,
                         absl::string_view prefix) {
  if (labels.size() > static_cast<size_t>(ApiService::kMaxLabels)) {
    return Invalid(absl::StrCat(prefix, "labels: ", labels.size(), " labels, more than ",
                                ApiService::kMaxLabels));
  }
  for (const auto& [key, value] : labels) {
    if (key.empty() || key.size() > ApiService::kMaxLabelKeyBytes) {
      return Invalid(absl::StrCat(prefix, "labels: a key of ", key.size(), " bytes (1 to ",
                                  ApiService::kMaxLabelKeyBytes, ")"));
    }
    if (value.size() > ApiService::kMaxLabelValueBytes) {
      return Invalid(absl::StrCat(prefix, "labels[", key, "]: ", value.size(), " bytes, more than ",
                                  ApiService::kMaxLabelValueBytes));
    }
  }
  return grpc::Status::OK;
}

// The shortest TTL or grace period taken: a shorter one would round to none.
constexpr double kMinSeconds = 0.001;

// The manager's request for `req`; errors name the field under `prefix`.
// `bundles`: whether the caller may name a bundle_path.
grpc::Status ToCreateRequest(const api::CreateSandboxRequest& req, absl::string_view prefix,
                             bool bundles, sandbox::CreateRequest* create) {
  if (!std::isfinite(req.ttl_seconds()) || req.ttl_seconds() < 0) {
    return Invalid(absl::StrCat(prefix, "ttl_seconds: must be a non-negative number"));
  }
  // A positive TTL that rounds to none would never expire; one past the
  // limit would be clamped to a date it did not ask for.
  if (req.ttl_seconds() != 0 &&
      (req.ttl_seconds() < kMinSeconds || req.ttl_seconds() > kMaxTtlSeconds)) {
    return Invalid(absl::StrCat(prefix, "ttl_seconds: ", req.ttl_seconds(),
                                " is neither 0 (never) nor between ", kMinSeconds, " and ",
                                kMaxTtlSeconds));
  }
  if (!api::NetworkMode_IsValid(req.network())) {
    return Invalid(absl::StrCat(prefix, "network: ", req.network(), " is not a NetworkMode"));
  }
  if (grpc::Status s = CheckLabels(req.labels(), prefix); !s.ok()) return s;
  create->id = req.id();
  if (req.has_bundle_path()) {
    if (auto s = RequirePath(req.bundle_path(), absl::StrCat(prefix, "bundle_path")); !s.ok()) {
      return s;
    }
    if (!bundles) {
      return grpc::Status(
          grpc::StatusCode::PERMISSION_DENIED,
          absl::StrCat(prefix,
                       "bundle_path: a bundle's paths are read, mounted and bound by the daemon "
                       "as root, so only root may name one; members of the daemon's group get "
                       "host templates"));
    }
    create->bundle = req.bundle_path();
  } else if (req.has_host_template() && !req.host_template().args().empty()) {
    for (int i = 0; i < req.host_template().args_size(); ++i) {
      const std::string field = absl::StrCat(prefix, "host_template.args[", i, "]");
      if (i == 0 && req.host_template().args(0).empty()) {
        return Invalid(absl::StrCat(field, ": must not be empty"));
      }
      absl::Status arg = specutils::CheckNoNul(req.host_template().args(i), field);
      if (!arg.ok()) return ToGrpcStatus(arg);
    }
    create->template_args.assign(req.host_template().args().begin(),
                                 req.host_template().args().end());
  }
  if (req.has_resources()) {
    runsc::boot::v1::ResourceConfig resources;
    grpc::Status status = ToResources(req.resources(), &resources);
    if (!status.ok()) {
      return grpc::Status(status.error_code(), absl::StrCat(prefix, status.error_message()));
    }
    create->resources = resources;
  }
  create->labels = {req.labels().begin(), req.labels().end()};
  create->ttl = absl::Seconds(req.ttl_seconds());
  create->network_none = req.network() == api::NETWORK_MODE_NONE;
  create->start = req.start();
  return grpc::Status::OK;
}

}  // namespace

grpc::Status ApiService::CreateSandbox(grpc::ServerContext* context,
                                       const api::CreateSandboxRequest* req, api::Sandbox* out) {
  InFlight in_flight(this);
  sandbox::CreateRequest create;
  if (grpc::Status s = ToCreateRequest(*req, "", bundles_, &create); !s.ok()) return s;
  absl::StatusOr<sandbox::SandboxView> view = manager_->CreateSandbox(create);
  if (!view.ok()) return ToGrpcStatus(view.status());
  if (context->IsCancelled()) {
    // The client has gone or its deadline passed: it will never read the
    // answer, nor learn a generated id, and the sandbox would hold its
    // slot, uid range and cgroups for good. It goes, as RunSandbox's does.
    (void)manager_->DeleteCreated(*view);
    return grpc::Status(
        grpc::StatusCode::CANCELLED,
        absl::StrCat("sandbox '", view->id, "' was deleted: the call ended before its create did"));
  }
  ToProto(*view, out);
  return grpc::Status::OK;
}

grpc::Status ApiService::StartSandbox(grpc::ServerContext*, const api::StartSandboxRequest* req,
                                      api::Sandbox* out) {
  InFlight in_flight(this);
  if (auto s = RequireId(req->id()); !s.ok()) return s;
  absl::StatusOr<sandbox::SandboxView> view = manager_->StartSandbox(req->id());
  if (!view.ok()) return ToGrpcStatus(view.status());
  ToProto(*view, out);
  return grpc::Status::OK;
}

grpc::Status ApiService::DeleteSandbox(grpc::ServerContext*, const api::DeleteSandboxRequest* req,
                                       api::DeleteSandboxResponse*) {
  InFlight in_flight(this);
  if (auto s = RequireId(req->id()); !s.ok()) return s;
  if (!std::isfinite(req->grace_seconds()) || req->grace_seconds() < 0) {
    return Invalid("grace_seconds: must be a non-negative number");
  }
  // The delete holds the sandbox meanwhile (another delete, the TTL's
  // included, waits for it).
  if (req->grace_seconds() > kMaxGraceSeconds) {
    return Invalid(absl::StrCat("grace_seconds: ", req->grace_seconds(), " is over the limit of ",
                                kMaxGraceSeconds));
  }
  if (req->grace_seconds() > 0 && req->grace_seconds() < kMinSeconds) {
    return Invalid(absl::StrCat("grace_seconds: ", req->grace_seconds(), " is below ", kMinSeconds,
                                " (0 is the default of 5)"));
  }
  absl::Duration grace =
      req->grace_seconds() > 0 ? absl::Seconds(req->grace_seconds()) : absl::Seconds(5);
  // The daemon's stop cuts the grace short (it waited up to 600 s for it),
  // and the delete goes on with the kill. A client's going does not: the
  // workload's grace period is not the client's deadline.
  sandbox::CallCanceller cancel;
  CallWatch::Scope watched(&call_watch_, /*context=*/nullptr, &cancel);
  return ToGrpcStatus(manager_->DeleteSandbox(req->id(), grace, &cancel));
}

grpc::Status ApiService::GetSandbox(grpc::ServerContext*, const api::GetSandboxRequest* req,
                                    api::Sandbox* out) {
  InFlight in_flight(this);
  if (auto s = RequireId(req->id()); !s.ok()) return s;
  absl::StatusOr<sandbox::SandboxView> view = manager_->GetSandbox(req->id());
  if (!view.ok()) return ToGrpcStatus(view.status());
  ToProto(*view, out);
  return grpc::Status::OK;
}

grpc::Status ApiService::ListSandboxes(grpc::ServerContext*, const api::ListSandboxesRequest* req,
                                       api::ListSandboxesResponse* out) {
  InFlight in_flight(this);
  if (req->page_size() < 0) return Invalid("page_size: must not be negative");
  if (!req->page_token().empty() && !specutils::ValidateSandboxId(req->page_token()).ok()) {
    return Invalid(absl::StrCat("page_token: '", req->page_token(),
                                "' is not one a ListSandboxes response gave"));
  }
  std::map<std::string, std::string> selector(req->label_selector().begin(),
                                              req->label_selector().end());
  // A page ends at page_size, or before the response would outgrow the
  // largest message (a few KiB kept for gRPC's framing): a thousand
  // sandboxes with large labels could not be listed at all.
  const size_t room =
      static_cast<size_t>(max_message_bytes_) - std::min<size_t>(max_message_bytes_ / 4, 4096);
  size_t bytes = 0;
  for (const auto& view : manager_->ListSandboxes(selector)) {
    if (!req->page_token().empty() && view.id <= req->page_token()) continue;
    if (req->page_size() > 0 && out->sandboxes_size() == req->page_size()) {
      out->set_next_page_token(out->sandboxes(out->sandboxes_size() - 1).id());
      break;
    }
    api::Sandbox entry;
    ToProto(view, &entry);
    // A repeated field's element: its bytes, a tag and a length.
    const size_t size = entry.ByteSizeLong() + 8;
    if (bytes + size > room) {
      // A client that does not page would take a part for the whole, and
      // sandboxes left out for gone: it is told instead.
      if (req->page_size() == 0) {
        return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            absl::StrCat("the list is over the daemon's largest message (",
                                         max_message_bytes_,
                                         " bytes, --max-message-bytes): ask for it in pages "
                                         "(page_size)"));
      }
      if (out->sandboxes_size() == 0) {
        return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            absl::StrCat("sandbox '", view.id, "': its entry (", size,
                                         " bytes) is over the daemon's largest message (",
                                         max_message_bytes_, " bytes, --max-message-bytes)"));
      }
      out->set_next_page_token(out->sandboxes(out->sandboxes_size() - 1).id());
      break;
    }
    bytes += size;
    *out->add_sandboxes() = std::move(entry);
  }
  return grpc::Status::OK;
}

// One of the --max-execs processes running at once, held by a Run or a
// RunSandbox as by an Exec, and its share of --max-run-bytes: each holds
// up to twice its output caps and its stdin in the daemon's memory, and a
// thread.
class ApiService::RunSlot {
 public:
  RunSlot(ApiService* service, size_t stdin_bytes, size_t max_output)
      : service_(service), bytes_(2 * stdin_bytes + 4 * static_cast<uint64_t>(max_output)) {
    if (!service_->execs_.TryStartRunning()) {
      status_ = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                             absl::StrCat(service_->execs_.max_running(),
                                          " Execs and Runs already run (the daemon's --max-execs); "
                                          "try again when one has ended"));
      return;
    }
    absl::MutexLock lock(&service_->mu_);
    if (service_->run_bytes_ + bytes_ > service_->max_run_bytes_) {
      status_ = grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          absl::StrCat("this run may hold ", bytes_,
                       " bytes of the daemon's memory (its stdin and each stream's cap, twice), "
                       "and the runs under way hold ",
                       service_->run_bytes_, " of the ", service_->max_run_bytes_,
                       " they may (the daemon's --max-run-bytes); try again when one has ended, "
                       "or with a smaller max_output_bytes"));
      service_->execs_.StopRunning();
      return;
    }
    service_->run_bytes_ += bytes_;
  }
  ~RunSlot() {
    if (!status_.ok()) return;
    service_->execs_.StopRunning();
    absl::MutexLock lock(&service_->mu_);
    service_->run_bytes_ -= bytes_;
  }
  RunSlot(const RunSlot&) = delete;
  RunSlot& operator=(const RunSlot&) = delete;
  const grpc::Status& status() const { return status_; }

 private:
  ApiService* const service_;
  const uint64_t bytes_;
  grpc::Status status_;
};

class ApiService::LongCall {
 public:
  LongCall(ApiService* service, const char* what) : service_(service), what_(what) {
    absl::MutexLock lock(&service_->mu_);
    held_ = service_->long_calls_ < service_->max_long_calls_;
    if (held_) ++service_->long_calls_;
  }
  ~LongCall() {
    if (!held_) return;
    absl::MutexLock lock(&service_->mu_);
    --service_->long_calls_;
  }
  LongCall(const LongCall&) = delete;
  LongCall& operator=(const LongCall&) = delete;
  grpc::Status status() const {
    if (held_) return grpc::Status::OK;
    return grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat(what_, ": ", service_->max_long_calls_,
                     " Waits, Events streams and copies are already open (the daemon's "
                     "--max-execs); try again when one has ended"));
  }

 private:
  ApiService* const service_;
  const char* const what_;
  bool held_ = false;
};

grpc::Status ApiService::Run(grpc::ServerContext* context, const api::RunRequest* req,
                             api::RunResponse* out) {
  InFlight in_flight(this);
  if (auto s = RequireId(req->id()); !s.ok()) return s;
  if (auto s = CheckMaxOutput(req->max_output_bytes(), max_message_bytes_); !s.ok()) return s;
  if (!std::isfinite(req->timeout_seconds()) || req->timeout_seconds() < 0) {
    return Invalid("timeout_seconds: must be a non-negative number");
  }
  RunSlot slot(this, req->stdin().size(), MaxOutput(req->max_output_bytes(), max_message_bytes_));
  if (!slot.status().ok()) return slot.status();
  absl::StatusOr<runsc::boot::v1::ProcessConfig> process =
      manager_->ExecProcess(req->id(), ToOverrides(req->process()));
  if (!process.ok()) return ToGrpcStatus(process.status());
  sandbox::RunRequest run;
  run.id = req->id();
  run.process = *process;
  run.stdin_data = req->stdin();
  run.max_output = MaxOutput(req->max_output_bytes(), max_message_bytes_);
  absl::Duration timeout =
      req->timeout_seconds() > 0 ? absl::Seconds(req->timeout_seconds()) : absl::Minutes(1);
  run.timeout = Remaining(context, timeout);
  // Until the end, the client's going (the process is then killed) or the
  // daemon's stop.
  return ToRunResponse(Watched(context,
                               [&](sandbox::CallCanceller* cancel) {
                                 run.cancel = cancel;
                                 return manager_->Run(run);
                               }),
                       out);
}

grpc::Status ApiService::RunSandbox(grpc::ServerContext* context, const api::RunSandboxRequest* req,
                                    api::RunResponse* out) {
  InFlight in_flight(this);
  if (auto s = CheckMaxOutput(req->max_output_bytes(), max_message_bytes_); !s.ok()) return s;
  if (!std::isfinite(req->timeout_seconds()) || req->timeout_seconds() < 0) {
    return Invalid("timeout_seconds: must be a non-negative number");
  }
  RunSlot slot(this, req->stdin().size(), MaxOutput(req->max_output_bytes(), max_message_bytes_));
  if (!slot.status().ok()) return slot.status();
  sandbox::CreateRequest create;
  if (grpc::Status s = ToCreateRequest(req->sandbox(), "sandbox.", bundles_, &create); !s.ok()) {
    return s;
  }
  const size_t max_output = MaxOutput(req->max_output_bytes(), max_message_bytes_);
  const absl::Duration timeout =
      req->timeout_seconds() > 0 ? absl::Seconds(req->timeout_seconds()) : absl::Minutes(1);
  return ToRunResponse(Watched(context,
                               [&](sandbox::CallCanceller* cancel) {
                                 return manager_->RunSandbox(std::move(create), req->stdin(),
                                                             max_output,
                                                             Remaining(context, timeout), cancel);
                               }),
                       out);
}

grpc::Status ApiService::Signal(grpc::ServerContext*, const api::SignalRequest* req,
                                api::SignalResponse*) {
  InFlight in_flight(this);
  if (auto s = RequireId(req->id()); !s.ok()) return s;
  if (req->signal() <= 0 || req->signal() > 64) {
    return Invalid(absl::StrCat("signal: ", req->signal(), " is not a signal number"));
  }
  return ToGrpcStatus(manager_->Signal(req->id(), req->pid(), req->signal(), req->all()));
}

grpc::Status ApiService::Wait(grpc::ServerContext* context, const api::WaitRequest* req,
                              api::WaitResponse* out) {
  InFlight in_flight(this);
  if (auto s = RequireId(req->id()); !s.ok()) return s;
  LongCall slot(this, "Wait");
  if (!slot.status().ok()) return slot.status();
  int pid = req->pid();
  if (pid == 0) {
    absl::StatusOr<int> main_pid = manager_->MainPid(req->id());
    if (!main_pid.ok()) return ToGrpcStatus(main_pid.status());
    if (*main_pid == 0) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          absl::StrCat("sandbox '", req->id(), "' has not been started"));
    }
    pid = *main_pid;
  }
  // Until the exit, the client's going or the daemon's stop.
  absl::StatusOr<runsc::control::v1::ExitStatus> status =
      Watched(context, [&](sandbox::CallCanceller* cancel) {
        return manager_->Wait(req->id(), pid, Remaining(context, absl::Hours(24)), cancel);
      });
  if (!status.ok()) return ToGrpcStatus(status.status());
  ToProto(*status, out->mutable_status());
  return grpc::Status::OK;
}

grpc::Status ApiService::ListProcesses(grpc::ServerContext*, const api::ListProcessesRequest* req,
                                       api::ListProcessesResponse* out) {
  InFlight in_flight(this);
  if (auto s = RequireId(req->id()); !s.ok()) return s;
  absl::StatusOr<runsc::control::v1::ListProcessesResponse> ps = manager_->ListProcesses(req->id());
  if (!ps.ok()) return ToGrpcStatus(ps.status());
  for (const auto& p : ps->processes()) {
    auto* proc = out->add_processes();
    proc->set_pid(p.pid());
    *proc->mutable_args() = p.args();
    proc->set_main(p.main());
  }
  return grpc::Status::OK;
}

grpc::Status ApiService::Stats(grpc::ServerContext*, const api::StatsRequest* req,
                               api::StatsResponse* out) {
  InFlight in_flight(this);
  if (auto s = RequireId(req->id()); !s.ok()) return s;
  absl::StatusOr<sandbox::CgroupStats> stats = manager_->Stats(req->id());
  if (!stats.ok()) return ToGrpcStatus(stats.status());
  out->set_cpu_usage_ns(stats->cpu_usage_ns);
  out->set_memory_current_bytes(stats->memory_current);
  out->set_memory_peak_bytes(stats->memory_peak);
  out->set_pids_current(stats->pids_current);
  out->set_oom_kills(stats->oom_kills);
  return grpc::Status::OK;
}

grpc::Status ApiService::CopyIn(grpc::ServerContext*,
                                grpc::ServerReader<api::CopyInRequest>* reader,
                                api::CopyInResponse* out) {
  InFlight in_flight(this);
  LongCall slot(this, "CopyIn");
  if (!slot.status().ok()) return slot.status();
  api::CopyInRequest req;
  if (!reader->Read(&req) || !req.has_start()) {
    return Invalid("start: the first message must name the sandbox and the directory");
  }
  if (auto s = RequireId(req.start().id()); !s.ok()) return s;
  if (auto s = RequirePath(req.start().path(), "start.path"); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<sandbox::ContainerFiles>> files =
      manager_->OpenFiles(req.start().id());
  if (!files.ok()) return ToGrpcStatus(files.status());
  absl::StatusOr<std::unique_ptr<sandbox::ContainerFiles::Extraction>> extraction =
      (*files)->CopyIn(req.start().path());
  if (!extraction.ok()) return ToGrpcStatus(extraction.status());
  while (reader->Read(&req)) {
    if (!req.has_data()) return Invalid("data: only tar data may follow start");
    if (absl::Status s = (*extraction)->Feed(req.data()); !s.ok()) return ToGrpcStatus(s);
  }
  absl::StatusOr<sandbox::ContainerFiles::Extraction::Summary> summary = (*extraction)->Finish();
  if (!summary.ok()) return ToGrpcStatus(summary.status());
  out->set_entries(summary->entries);
  out->set_bytes(summary->bytes);
  return grpc::Status::OK;
}

grpc::Status ApiService::CopyOut(grpc::ServerContext*, const api::CopyOutRequest* req,
                                 grpc::ServerWriter<api::CopyOutResponse>* writer) {
  InFlight in_flight(this);
  if (auto s = RequireId(req->id()); !s.ok()) return s;
  LongCall slot(this, "CopyOut");
  if (!slot.status().ok()) return slot.status();
  if (auto s = RequirePath(req->path(), "path"); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<sandbox::ContainerFiles>> files = manager_->OpenFiles(req->id());
  if (!files.ok()) return ToGrpcStatus(files.status());
  // Pieces of about 64 KiB; Write blocks while the client is behind.
  constexpr size_t kPiece = 64 * 1024;
  api::CopyOutResponse piece;
  auto flush = [&]() -> absl::Status {
    if (piece.data().empty()) return absl::OkStatus();
    if (!writer->Write(piece)) return absl::CancelledError("the client went away");
    piece.clear_data();
    return absl::OkStatus();
  };
  uint64_t sent = 0;
  absl::Status status = (*files)->CopyOut(req->path(), [&](absl::string_view data) {
    sent += data.size();
    if (req->max_bytes() > 0 && sent > req->max_bytes()) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "'", req->path(), "' copies to more than max_bytes (", req->max_bytes(), ") of tar"));
    }
    piece.mutable_data()->append(data.data(), data.size());
    return piece.data().size() >= kPiece ? flush() : absl::OkStatus();
  });
  if (status.ok()) status = flush();
  return ToGrpcStatus(status);
}

// Not counted in flight: a stream lasts until its client leaves, and the
// daemon ends them all by closing the event bus when it stops.
grpc::Status ApiService::Events(grpc::ServerContext* context, const api::EventsRequest* req,
                                grpc::ServerWriter<api::Event>* writer) {
  LongCall slot(this, "Events");
  if (!slot.status().ok()) return slot.status();
  // Subscribed before the check, so nothing between the two is missed.
  std::unique_ptr<sandbox::EventBus::Subscription> sub = manager_->events().Subscribe(req->id());
  // One sandbox's: the one with the id now. A deleted one of the same id
  // may still have events to come (its "deleted" among them): not ours.
  uint64_t serial = 0;
  if (!req->id().empty()) {
    absl::StatusOr<uint64_t> exists = manager_->Serial(req->id());
    if (!exists.ok()) return ToGrpcStatus(exists.status());
    serial = *exists;
  }
  // Tells the client it is subscribed: every later event will reach it.
  writer->SendInitialMetadata();
  for (;;) {
    if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    absl::StatusOr<sandbox::SandboxEvent> event = sub->Next(absl::Milliseconds(200));
    if (absl::IsDeadlineExceeded(event.status())) continue;
    if (!event.ok()) return ToGrpcStatus(event.status());
    if (serial != 0 && event->serial != serial) continue;
    api::Event out;
    ToProto(*event, &out);
    if (!writer->Write(out)) return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
    // One sandbox's stream ends with it: a later sandbox of the same id is
    // another object, and its client would otherwise wait forever.
    if (serial != 0 && event->type == "deleted") return grpc::Status::OK;
  }
}

grpc::ServerBidiReactor<api::ExecRequest, api::ExecResponse>* ApiService::Exec(
    grpc::CallbackServerContext* context) {
  // Counted from here to the reactor's end: a client that opens streams and
  // never starts them (each holds three eventfds) is bounded too.
  if (!execs_.TryAdd()) {
    return new RefusedExec(grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat("Exec: ", execs_.max_live(),
                     " Exec streams are already open, started or not (twice the daemon's "
                     "--max-execs); try again when one has ended")));
  }
  return new ExecReactor(manager_, context, &execs_);
}

}  // namespace runsc::cli
