// api_bench: the daemon's API side of the benchmark suite (tools/bench/run.sh).
// A plain gRPC client of runsc.api.v1.Sandboxes that times one scenario and
// writes the samples as JSON in hyperfine's shape, {"results": [{"command":
// LABEL, "times": [seconds...]}]}, plus a "summary" object.
//
//   oneshot     CreateSandbox(bundle, start) + Wait + DeleteSandbox: the
//               main process starts with the sandbox
//   oneshot-run RunSandbox(bundle): create, run to the end and delete in
//               one call
//   oneshot-separate
//               CreateSandbox(bundle) + StartSandbox + Wait + DeleteSandbox
//   exec        Run of the bundle's ["/bin/true"] in one running sandbox
//   create      CreateSandbox alone (create-to-ready); deletes are untimed
//   throughput  N creations in a row, then N over --concurrency clients
//   idle        N started sandboxes at once: MemAvailable delta and the
//               summed PSS of every process of every sandbox
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "grpcpp/grpcpp.h"
#include "proto/api.grpc.pb.h"

namespace {

namespace api = runsc::api::v1;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string socket = "/run/runsc/runsc.sock";
  std::string bundle;        // its main process: /bin/true
  std::string sleep_bundle;  // its main process sleeps
  std::string scenario;
  std::string out;
  std::string label = "runsc API";
  int n = 100;
  int warmup = 5;
  int concurrency = 8;
  // Idle time before each timed iteration (a request that finds the daemon
  // idle, as crun's "after a pause" row does; a warm pool refills then).
  int pause_ms = 0;
};

[[noreturn]] void Die(const std::string& what) {
  fprintf(stderr, "api_bench: %s\n", what.c_str());
  exit(1);
}

void Check(const grpc::Status& status, const std::string& what) {
  if (!status.ok()) Die(absl::StrCat(what, ": ", status.error_message()));
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

class Client {
 public:
  explicit Client(const std::string& socket)
      : stub_(api::Sandboxes::NewStub(
            grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials()))) {}

  void Create(const std::string& id, const std::string& bundle, bool start = false) {
    grpc::ClientContext ctx;
    api::CreateSandboxRequest req;
    req.set_id(id);
    req.set_bundle_path(bundle);
    req.set_start(start);
    api::Sandbox out;
    Check(stub_->CreateSandbox(&ctx, req, &out), "CreateSandbox " + id);
  }
  void Start(const std::string& id) {
    grpc::ClientContext ctx;
    api::StartSandboxRequest req;
    req.set_id(id);
    api::Sandbox out;
    Check(stub_->StartSandbox(&ctx, req, &out), "StartSandbox " + id);
  }
  void Wait(const std::string& id) {
    grpc::ClientContext ctx;
    api::WaitRequest req;
    req.set_id(id);
    api::WaitResponse out;
    Check(stub_->Wait(&ctx, req, &out), "Wait " + id);
  }
  void Delete(const std::string& id) {
    grpc::ClientContext ctx;
    api::DeleteSandboxRequest req;
    req.set_id(id);
    req.set_grace_seconds(0.001);
    api::DeleteSandboxResponse out;
    Check(stub_->DeleteSandbox(&ctx, req, &out), "DeleteSandbox " + id);
  }
  // RunSandbox: the one-call one-shot. The bundle's main process must
  // exit 0.
  void RunSandbox(const std::string& id, const std::string& bundle) {
    grpc::ClientContext ctx;
    api::RunSandboxRequest req;
    req.mutable_sandbox()->set_id(id);
    req.mutable_sandbox()->set_bundle_path(bundle);
    api::RunResponse out;
    Check(stub_->RunSandbox(&ctx, req, &out), "RunSandbox " + id);
    if (out.status().code() != 0) Die("RunSandbox: the main process failed");
  }
  void RunTrue(const std::string& id) {
    grpc::ClientContext ctx;
    api::RunRequest req;
    req.set_id(id);
    req.mutable_process()->add_args("/bin/true");
    api::RunResponse out;
    Check(stub_->Run(&ctx, req, &out), "Run " + id);
    if (out.status().code() != 0) Die("Run: /bin/true failed");
  }
  int Pid(const std::string& id) {
    grpc::ClientContext ctx;
    api::GetSandboxRequest req;
    req.set_id(id);
    api::Sandbox out;
    Check(stub_->GetSandbox(&ctx, req, &out), "GetSandbox " + id);
    return out.pid();
  }

 private:
  std::unique_ptr<api::Sandboxes::Stub> stub_;
};

// Times `body(i)` for warmup + n iterations; returns the n timed samples.
std::vector<double> Time(const Options& o, const std::function<void(int)>& body) {
  for (int i = 0; i < o.warmup; ++i) body(-1 - i);
  std::vector<double> samples;
  for (int i = 0; i < o.n; ++i) {
    if (o.pause_ms > 0) usleep(o.pause_ms * 1000);
    auto start = Clock::now();
    body(i);
    samples.push_back(Seconds(Clock::now() - start));
  }
  return samples;
}

std::string Id(const std::string& prefix, int i) {
  return absl::StrCat(prefix, "-", getpid(), "-", i < 0 ? "w" : "", std::abs(i));
}

uint64_t MemAvailableKiB() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemAvailable:", 0) == 0) {
      std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
      uint64_t v = 0;
      if (f.size() >= 2 && absl::SimpleAtoi(f[1], &v)) return v;
    }
  }
  Die("no MemAvailable in /proc/meminfo");
}

// Pss of `pid` and all its descendants, in KiB.
uint64_t TreePssKiB(int pid) {
  uint64_t total = 0;
  std::ifstream rollup(absl::StrCat("/proc/", pid, "/smaps_rollup"));
  std::string line;
  while (std::getline(rollup, line)) {
    if (line.rfind("Pss:", 0) == 0) {
      std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
      uint64_t v = 0;
      if (f.size() >= 2 && absl::SimpleAtoi(f[1], &v)) total += v;
    }
  }
  std::ifstream children(absl::StrCat("/proc/", pid, "/task/", pid, "/children"));
  int child;
  while (children >> child) total += TreePssKiB(child);
  return total;
}

std::string Json(const std::string& label, const std::vector<double>& times,
                 const std::map<std::string, double>& summary) {
  std::vector<std::string> t, s;
  for (double v : times) t.push_back(absl::StrCat(v));
  for (const auto& [k, v] : summary) s.push_back(absl::StrCat("\"", k, "\": ", v));
  return absl::StrCat("{\"results\": [{\"command\": \"", label, "\", \"times\": [",
                      absl::StrJoin(t, ", "), "]}], \"summary\": {", absl::StrJoin(s, ", "),
                      "}}\n");
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die("flag " + a + " needs a value");
      return argv[++i];
    };
    if (a == "--socket") o.socket = value();
    else if (a == "--bundle") o.bundle = value();
    else if (a == "--sleep-bundle") o.sleep_bundle = value();
    else if (a == "--scenario") o.scenario = value();
    else if (a == "--out") o.out = value();
    else if (a == "--label") o.label = value();
    else if (a == "--n") o.n = std::stoi(value());
    else if (a == "--warmup") o.warmup = std::stoi(value());
    else if (a == "--concurrency") o.concurrency = std::stoi(value());
    else if (a == "--pause-ms")
      o.pause_ms = std::stoi(value());
    else Die("unknown flag " + a);
  }
  if (o.scenario.empty() || o.out.empty()) {
    Die("usage: api_bench --scenario "
        "oneshot|oneshot-run|oneshot-separate|exec|get|create|throughput|idle "
        "--out FILE "
        "[--bundle DIR] [--sleep-bundle DIR] [--socket PATH] [--n N] [--warmup N] [--pause-ms MS] "
        "[--concurrency N] [--label TEXT]");
  }
  Client client(o.socket);
  std::vector<double> times;
  std::map<std::string, double> summary;
  if (o.scenario == "oneshot" || o.scenario == "oneshot-separate") {
    // Each call's own time too, so the report says where a one-shot goes.
    const bool separate = o.scenario == "oneshot-separate";
    std::vector<const char*> names;
    std::vector<std::function<void(const std::string&)>> calls;
    if (separate) {
      names = {"create", "start"};
      calls = {[&](const std::string& id) { client.Create(id, o.bundle); },
               [&](const std::string& id) { client.Start(id); }};
    } else {
      names = {"create_and_start"};
      calls = {[&](const std::string& id) { client.Create(id, o.bundle, true); }};
    }
    names.insert(names.end(), {"wait", "delete"});
    calls.push_back([&](const std::string& id) { client.Wait(id); });
    calls.push_back([&](const std::string& id) { client.Delete(id); });
    std::vector<std::vector<double>> phase(calls.size());
    times = Time(o, [&](int i) {
      const std::string id = Id("one", i);
      for (size_t p = 0; p < calls.size(); ++p) {
        auto start = Clock::now();
        calls[p](id);
        if (i >= 0) phase[p].push_back(Seconds(Clock::now() - start));
      }
    });
    for (size_t p = 0; p < calls.size(); ++p) {
      summary[absl::StrCat(names[p], "_median_ms")] = Median(phase[p]) * 1000;
    }
  } else if (o.scenario == "oneshot-run") {
    times = Time(o, [&](int i) { client.RunSandbox(Id("run", i), o.bundle); });
  } else if (o.scenario == "exec") {
    const std::string id = Id("exec", 0);
    client.Create(id, o.sleep_bundle);
    client.Start(id);
    times = Time(o, [&](int) { client.RunTrue(id); });
    client.Delete(id);
  } else if (o.scenario == "get") {
    // The daemon's round trip alone: GetSandbox, which reads the daemon's
    // own table and calls no sandbox.
    const std::string id = Id("get", 0);
    client.Create(id, o.sleep_bundle);
    times = Time(o, [&](int) { client.Pid(id); });
    client.Delete(id);
  } else if (o.scenario == "create") {
    std::vector<std::string> made;
    times = Time(o, [&](int i) {
      made.push_back(Id("ready", i));
      client.Create(made.back(), o.bundle);
    });
    for (const auto& id : made) client.Delete(id);
  } else if (o.scenario == "throughput") {
    // In a row.
    std::vector<std::string> ids;
    for (int i = 0; i < o.n; ++i) ids.push_back(Id("seq", i));
    auto start = Clock::now();
    for (const auto& id : ids) client.Create(id, o.bundle);
    summary["sequential_per_s"] = o.n / Seconds(Clock::now() - start);
    for (const auto& id : ids) client.Delete(id);
    // Over several clients, each on its own channel.
    std::atomic<int> next{0};
    std::vector<std::thread> threads;
    start = Clock::now();
    for (int t = 0; t < o.concurrency; ++t) {
      threads.emplace_back([&] {
        Client own(o.socket);
        for (int i; (i = next.fetch_add(1)) < o.n;) own.Create(Id("par", i), o.bundle);
      });
    }
    for (auto& t : threads) t.join();
    summary["concurrent_per_s"] = o.n / Seconds(Clock::now() - start);
    summary["concurrency"] = o.concurrency;
    for (int i = 0; i < o.n; ++i) client.Delete(Id("par", i));
    times = {o.n / summary["sequential_per_s"]};
  } else if (o.scenario == "idle") {
    const uint64_t before = MemAvailableKiB();
    std::vector<std::string> ids;
    for (int i = 0; i < o.n; ++i) {
      ids.push_back(Id("idle", i));
      client.Create(ids.back(), o.sleep_bundle);
      client.Start(ids.back());
    }
    sleep(2);  // let lazily touched memory settle
    const uint64_t after = MemAvailableKiB();
    uint64_t pss = 0;
    for (const auto& id : ids) pss += TreePssKiB(client.Pid(id));
    summary["n"] = o.n;
    summary["memavailable_delta_mib_per_sandbox"] =
        (static_cast<double>(before) - static_cast<double>(after)) / 1024.0 / o.n;
    summary["pss_mib_per_sandbox"] = static_cast<double>(pss) / 1024.0 / o.n;
    // All still answer Exec.
    for (const auto& id : ids) client.RunTrue(id);
    for (const auto& id : ids) client.Delete(id);
  } else {
    Die("unknown scenario " + o.scenario);
  }
  if (!times.empty()) summary["median_ms"] = Median(times) * 1000;
  std::ofstream(o.out) << Json(o.label, times, summary);
  fprintf(stderr, "api_bench %s:", o.scenario.c_str());
  for (const auto& [k, v] : summary) fprintf(stderr, " %s=%.3f", k.c_str(), v);
  fprintf(stderr, "\n");
  return 0;
}
