#include "runsc/cgroup_commands.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "proto/oci.pb.h"
#include "runsc/cli_common.h"
#include "runsc/util/file_util.h"
#include "runsc/util/status_macros.h"
#include "sandbox/cgroup.h"
#include "sandbox/sandbox.h"
#include "specutils/oci_spec.h"

namespace runsc::cli {

namespace {

// runc's event JSON (types.Event): {"type":"stats","id":ID,"data":{...}}
// with the fields our cgroup reports, in runc's order, or
// {"type":"oom","id":ID}. As in runc, a pids limit of 0 (none) is left out.
std::string StatsEventJson(const std::string& id, const sandbox::CgroupStats& s) {
  return absl::StrCat(
      "{\"type\":\"stats\",\"id\":\"", id, "\",\"data\":{\"cpu\":{\"usage\":{\"total\":",
      s.cpu_usage_ns, ",\"kernel\":", s.cpu_kernel_ns, ",\"user\":", s.cpu_user_ns,
      "}},\"memory\":{\"usage\":{\"limit\":", s.memory_limit, ",\"usage\":", s.memory_current,
      ",\"max\":", s.memory_peak, ",\"failcnt\":", s.memory_failcnt,
      "}},\"pids\":{\"current\":", s.pids_current,
      s.pids_limit != 0 ? absl::StrCat(",\"limit\":", s.pids_limit) : "", "}}}");
}

}  // namespace

constexpr char kEventsUsage[] =
    "Usage: runsc [--root DIR] events [--stats] [--interval 5s] ID\n\n"
    "Prints the sandbox's resource usage as runc's JSON events, one a line:\n"
    "once with --stats, else every --interval, plus an \"oom\" event whenever\n"
    "the OOM killer strikes, until the container stops.\n";

int EventsCommand(int argc, char** argv) {
  FlagSpec spec;
  spec.with_value = {"interval"};
  spec.booleans = {"stats", "help"};
  spec.aliases = {{"h", "help"}};
  int code = 0;
  std::optional<ParsedFlags> f = ParseCommand("events", kEventsUsage, spec, argc, argv, 1, &code);
  if (!f) return code;
  const std::string& id = f->positional[0];
  absl::Duration interval;
  if (!absl::ParseDuration(f->Get("interval", "5s"), &interval) ||
      interval <= absl::ZeroDuration()) {
    return Error("events", "--interval: want a positive duration such as 5s or 500ms");
  }
  absl::StatusOr<Attached> attached = Open(*f, id);
  if (!attached.ok()) return Error("events", std::string(attached.status().message()));
  sandbox::Sandbox& box = *attached->box;
  absl::StatusOr<sandbox::CgroupStats> stats = box.Stats();
  if (!stats.ok()) return Error("events", std::string(stats.status().message()));
  if (f->Has("stats")) {
    printf("%s\n", StatsEventJson(id, *stats).c_str());
    return 0;
  }
  uint64_t ooms_seen = stats->oom_kills;
  absl::Time next_stats = absl::Now();
  for (;;) {
    // Read before the stats, so an OOM kill that ends the container is
    // still reported.
    const bool running = box.ContainerStatus(box.Record()) != "stopped";
    stats = box.Stats();
    if (!stats.ok()) break;  // the sandbox is gone
    if (stats->oom_kills > ooms_seen) {
      ooms_seen = stats->oom_kills;
      printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", id.c_str());
    }
    if (absl::Now() >= next_stats) {
      printf("%s\n", StatsEventJson(id, *stats).c_str());
      next_stats = absl::Now() + interval;
    }
    fflush(stdout);
    if (!running) break;
    absl::SleepFor(std::min(interval, absl::Milliseconds(250)));
  }
  return 0;
}


namespace {

// pause and resume: the same command, either way.
int FreezeCommand(const char* name, const char* usage, bool frozen, int argc, char** argv) {
  FlagSpec spec;
  int code = 0;
  std::optional<ParsedFlags> f = ParseCommand(name, usage, spec, argc, argv, 1, &code);
  if (!f) return code;
  const std::string& id = f->positional[0];
  absl::StatusOr<Attached> attached = OpenRunning(*f, id);
  if (!attached.ok()) return Error(name, std::string(attached.status().message()));
  sandbox::Sandbox& box = *attached->box;
  const std::string status = box.ContainerStatus(attached->record);
  absl::Status done;
  if (status != (frozen ? "running" : "paused")) {
    done = absl::FailedPreconditionError(
        frozen ? absl::StrCat("container ", id, " is not running (", status, ")")
               : absl::StrCat("container ", id, " is not paused (", status, ")"));
  } else {
    done = box.Freeze(frozen);
  }
  return done.ok() ? 0 : Error(name, std::string(done.message()));
}

}  // namespace

constexpr char kPauseUsage[] =
    "Usage: runsc [--root DIR] pause ID\n\n"
    "Freezes every process of the running container ID (its cgroup's freezer).\n";
constexpr char kResumeUsage[] =
    "Usage: runsc [--root DIR] resume ID\n\n"
    "Thaws the processes of the paused container ID.\n";

int PauseCommand(int argc, char** argv) {
  return FreezeCommand("pause", kPauseUsage, true, argc, argv);
}
int ResumeCommand(int argc, char** argv) {
  return FreezeCommand("resume", kResumeUsage, false, argc, argv);
}

namespace {

// runc's update flags for what runsc does not limit: accepted by the
// parser, so that using one is a clear error rather than an unknown flag.
constexpr const char* kUnsupportedUpdateFlags[] = {
    "blkio-weight",      "cpu-rt-period",   "cpu-rt-runtime", "kernel-memory",
    "kernel-memory-tcp", "l3-cache-schema", "mem-bw-schema"};

// A flag's integer value, into `set` when given.
absl::Status IntFlag(const ParsedFlags& f, const char* name, std::function<void(int64_t)> set) {
  if (f.values.count(name) == 0) return absl::OkStatus();
  int64_t v;
  if (!absl::SimpleAtoi(f.Get(name), &v)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, ": '", f.Get(name),
                                                   "' is not an integer"));
  }
  set(v);
  return absl::OkStatus();
}

// A byte count as runc's update reads one (go-units' RAMInBytes): a number,
// decimals allowed, then an optional space and binary unit (k, m, g, t or
// p, either case) with an optional "i" and "b": "512m", "1.5 GiB". -1 is
// none.
absl::Status BytesFlag(const ParsedFlags& f, const char* name, std::function<void(int64_t)> set) {
  if (f.values.count(name) == 0) return absl::OkStatus();
  std::string text = absl::AsciiStrToLower(f.Get(name));
  if (absl::EndsWith(text, "b")) text.pop_back();
  if (absl::EndsWith(text, "i")) text.pop_back();
  int shift = 0;
  if (!text.empty()) {
    const size_t unit = std::string("kmgtp").find(text.back());
    if (unit != std::string::npos) {
      shift = 10 * static_cast<int>(unit + 1);
      text.pop_back();
      if (absl::EndsWith(text, " ")) text.pop_back();
    }
  }
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": '", f.Get(name), "' is not a byte count (like 512m)"));
  };
  int64_t v;
  if (absl::SimpleAtoi(text, &v)) {
    if (shift > 0 && (v < 0 || v > (INT64_MAX >> shift))) return bad();
    set(v << shift);
    return absl::OkStatus();
  }
  double d;
  if (text.find('.') == std::string::npos || !absl::SimpleAtod(text, &d) || !(d >= 0) ||
      d * static_cast<double>(int64_t{1} << shift) >= 9.2e18) {
    return bad();
  }
  set(static_cast<int64_t>(d * static_cast<double>(int64_t{1} << shift)));
  return absl::OkStatus();
}

// The resources `update` asks for: -r FILE ("-": stdin) as linux.resources
// JSON, then the flags on top.
absl::StatusOr<runsc::oci::v1::Resources> WantedResources(const ParsedFlags& f) {
  runsc::oci::v1::Resources r;
  if (f.values.count("resources") != 0) {
    const std::string file = f.Get("resources");
    std::string text;
    if (file == "-") {
      std::stringstream in;
      in << std::cin.rdbuf();
      text = in.str();
    } else {
      ASSIGN_OR_RETURN(
          text, util::ReadRegularFile(file, specutils::kMaxSpecFileBytes, 0, /*pipes_too=*/true));
    }
    absl::StatusOr<runsc::oci::v1::Resources> parsed =
        specutils::ParseResourcesJson(text, file == "-" ? "stdin" : file);
    if (!parsed.ok()) return parsed.status();
    r = *parsed;
  }
  for (const char* unsupported : kUnsupportedUpdateFlags) {
    if (f.values.count(unsupported) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", unsupported,
                       ": runsc limits only memory, swap, cpu, cpusets, pids and huge pages"));
    }
  }
  absl::Status s;
  s.Update(BytesFlag(f, "memory", [&](int64_t v) { r.mutable_memory()->set_limit(v); }));
  s.Update(BytesFlag(f, "memory-swap", [&](int64_t v) { r.mutable_memory()->set_swap(v); }));
  s.Update(BytesFlag(f, "memory-reservation",
                     [&](int64_t v) { r.mutable_memory()->set_reservation(v); }));
  s.Update(IntFlag(f, "cpu-quota", [&](int64_t v) { r.mutable_cpu()->set_quota(v); }));
  s.Update(IntFlag(f, "cpu-period", [&](int64_t v) { r.mutable_cpu()->set_period(v); }));
  s.Update(IntFlag(f, "cpu-share", [&](int64_t v) { r.mutable_cpu()->set_shares(v); }));
  s.Update(IntFlag(f, "pids-limit", [&](int64_t v) { r.mutable_pids()->set_limit(v); }));
  if (f.values.count("cpuset-cpus") != 0) r.mutable_cpu()->set_cpus(f.Get("cpuset-cpus"));
  if (f.values.count("cpuset-mems") != 0) r.mutable_cpu()->set_mems(f.Get("cpuset-mems"));
  if (!s.ok()) return s;
  return r;
}

}  // namespace

constexpr char kUpdateUsage[] =
    "Usage: runsc [--root DIR] update [-r FILE|-] [--memory BYTES] [--memory-swap BYTES]\n"
    "             [--memory-reservation BYTES] [--cpu-quota US] [--cpu-period US]\n"
    "             [--cpu-share N] [--pids-limit N] [--cpuset-cpus LIST]\n"
    "             [--cpuset-mems LIST] ID\n\n"
    "Changes the limits of container ID: -r reads a linux.resources JSON object\n"
    "(\"-\": stdin), as runc's update does; the flags apply on top of it.\n";

int UpdateCommand(int argc, char** argv) {
  FlagSpec spec;
  spec.with_value = {"resources",  "memory",    "memory-swap", "memory-reservation", "cpu-quota",
                     "cpu-period", "cpu-share", "pids-limit",  "cpuset-cpus",        "cpuset-mems"};
  spec.with_value.insert(std::begin(kUnsupportedUpdateFlags), std::end(kUnsupportedUpdateFlags));
  spec.aliases = {{"r", "resources"}};
  int code = 0;
  std::optional<ParsedFlags> f = ParseCommand("update", kUpdateUsage, spec, argc, argv, 1, &code);
  if (!f) return code;
  absl::StatusOr<runsc::oci::v1::Resources> wanted = WantedResources(*f);
  if (!wanted.ok()) return Error("update", std::string(wanted.status().message()));
  runsc::boot::v1::ResourceConfig resources;
  absl::Status converted = specutils::ConvertResources(*wanted, &resources);
  if (!converted.ok()) return Error("update", std::string(converted.message()));
  absl::StatusOr<Attached> attached = OpenRunning(*f, f->positional[0]);
  if (!attached.ok()) return Error("update", std::string(attached.status().message()));
  absl::Status updated = attached->box->UpdateResources(resources);
  return updated.ok() ? 0 : Error("update", std::string(updated.message()));
}

}  // namespace runsc::cli
