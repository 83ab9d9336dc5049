// Root tests of the limits a container gets through runc's command line:
// the spec's linux.resources (given, or refused by field, never dropped),
// `update`, the memory floor, the scheduler, I/O priority and personality,
// and the cgroup mount that shows them to the workload.
#include <sys/capability.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "test/cli_fixture.h"
#include "test/oci_runtime_fixture.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

TEST_F(OciRuntimeTest, TheCgroupMountShowsTheContainersOwnLimitsReadOnly) {
  if (access("/sys/fs/cgroup/memory", F_OK) != 0) GTEST_SKIP() << "no v1 memory hierarchy";
  SetArgs({"sh", "-c",
           "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; "
           "echo 1 > /sys/fs/cgroup/memory/memory.limit_in_bytes && echo raised-it; "
           "mkdir /sys/fs/cgroup/memory/escape && echo made-a-cgroup; "
           "echo $$ > /sys/fs/cgroup/cpu/cgroup.procs && echo moved"},
          64 << 20);
  auto [code, out] = Runsc("run a");
  EXPECT_THAT(out, ::testing::StartsWith(absl::StrCat(64 << 20, "\n"))) << out;
  EXPECT_THAT(out, HasSubstr("Read-only file system"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("raised-it")));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("made-a-cgroup")));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("moved")));
}

TEST_F(OciRuntimeTest, UpdateChangesTheLimits) {
  SetArgs({"sleep", "1000"}, 64 << 20);
  pid_t pid = Create("a");
  ASSERT_EQ(Runsc("start a").first, 0);
  const std::string cgroup = MemoryCgroupOf(pid);
  if (cgroup.empty()) GTEST_SKIP() << "no v1 memory hierarchy on this host";
  auto [code, out] = Runsc("update --memory 50000000 --memory-swap 50000000 a");
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(ReadFile(cgroup + "/memory.limit_in_bytes"), "49999872\n");  // page-aligned
  // -r FILE: runc's linux.resources JSON.
  const std::string file = root_.path() + "/r.json";
  std::ofstream(file) << R"({"pids":{"limit":42}})";
  auto [rcode, rout] = Runsc("update -r " + file + " a");
  EXPECT_EQ(rcode, 0) << rout;
  const std::string pids = absl::StrReplaceAll(cgroup, {{"/memory/", "/pids/"}});
  EXPECT_EQ(ReadFile(pids + "/pids.max"), "42\n");
  // Raised past the memory+swap in force: swap goes first, as runc writes
  // them (memory first failed: the kernel keeps memory <= memory+swap).
  const bool memsw = access((cgroup + "/memory.memsw.limit_in_bytes").c_str(), F_OK) == 0;
  std::tie(code, out) = Runsc(
      absl::StrCat("update --memory 200000000 ", memsw ? "--memory-swap 400000000 " : "", "a"));
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(ReadFile(cgroup + "/memory.limit_in_bytes"), "199999488\n");
  if (memsw) {
    EXPECT_EQ(ReadFile(cgroup + "/memory.memsw.limit_in_bytes"), "399998976\n");
  }
  // -1 lifts a limit (it was dropped, and the update said 0).
  const std::string unlimited = ReadFile("/sys/fs/cgroup/memory/memory.limit_in_bytes");
  std::tie(code, out) = Runsc("update --memory -1 --pids-limit -1 a");
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(ReadFile(cgroup + "/memory.limit_in_bytes"), unlimited);
  if (memsw) {
    EXPECT_EQ(ReadFile(cgroup + "/memory.memsw.limit_in_bytes"), unlimited);
  }
  EXPECT_EQ(ReadFile(pids + "/pids.max"), "max\n");
  const std::string cpu = absl::StrReplaceAll(cgroup, {{"/memory/", "/cpu/"}});
  if (access((cpu + "/cpu.cfs_quota_us").c_str(), F_OK) == 0) {
    ASSERT_EQ(Runsc("update --cpu-quota 50000 --cpu-period 100000 a").first, 0);
    ASSERT_EQ(Runsc("update --cpu-period 200000 a").first, 0);  // the quota stays
    EXPECT_EQ(ReadFile(cpu + "/cpu.cfs_quota_us"), "50000\n");
    EXPECT_EQ(ReadFile(cpu + "/cpu.cfs_period_us"), "200000\n");
    ASSERT_EQ(Runsc("update --cpu-quota -1 a").first, 0);
    EXPECT_EQ(ReadFile(cpu + "/cpu.cfs_quota_us"), "-1\n");
  }
  ExpectError("update --memory lots a", "--memory: 'lots' is not a byte count (like 512m)");
  ExpectError("update --memory 99999999999p a", "--memory: '99999999999p' is not a byte count");
  // runc's units (go-units' RAMInBytes): binary, any case.
  std::tie(code, out) =
      Runsc(absl::StrCat("update --memory '0.5 GiB' ", memsw ? "--memory-swap 1g " : "", "a"));
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(ReadFile(cgroup + "/memory.limit_in_bytes"), absl::StrCat(512 << 20, "\n"));
  ExpectError("update --cpu-rt-period 1000 a", "--cpu-rt-period");
  // A cpuset, which runsc gives where the container was made with one.
  ExpectError("update --cpuset-cpus 0 a", "linux.resources.cpu.cpus: no cpuset cgroup");
  ExpectError("update --memory 4096 a", "linux.resources.memory.limit: 4096 is below");
  EXPECT_THAT(Runsc("update --memory 50000000 ghost").second, HasSubstr("'ghost'"));
  EXPECT_EQ(Runsc("kill a KILL").first, 0);
  EXPECT_EQ(Reap(pid), 137);
}

// A spec's limit that runsc does not give was dropped without a word (a
// cpuset, block I/O, huge pages, memory.high); a workload ran unconfined
// by it. What runsc cannot give is refused naming the field, and huge
// page limits, the memory reservation and unified files are given.
TEST_F(OciRuntimeTest, SpecLimitsAreGivenOrRefusedNeverDropped) {
  SetArgs({"sleep", "1000"});
  const runsc::oci::v1::Spec plain = LoadSpec();
  for (const auto& [json, says] : std::vector<std::pair<std::string, std::string>>{
           {R"({"cpu": {"cpus": "0-x"}})", "linux.resources.cpu.cpus: '0-x' is not a list"},
           {R"({"cpu": {"realtimePeriod": 1000}})", "linux.resources.cpu.realtimePeriod"},
           {R"({"memory": {"swappiness": 101}})", "linux.resources.memory.swappiness: 101"},
           {R"({"blockIO": {"weight": 10}})", "linux.resources.blockIO: runsc does not"},
           {R"({"blockIO": {"throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 5}]}})",
            "linux.resources.blockIO"},
           {R"({"memory": {"kernelTCP": 1048576}})", "linux.resources.memory.kernelTCP"},
           {R"({"hugepageLimits": [{"pageSize": "2M", "limit": 0}]})",
            "linux.resources.hugepageLimits[0].pageSize: '2M' is not a page size"},
           {R"({"unified": {"../../x": "1"}})", "is not a controller's file"},
           {R"({"unified": {"cgroup.procs": "1"}})", "is not a controller's file"}}) {
    runsc::oci::v1::Spec spec = plain;
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(json, spec.mutable_linux()->mutable_resources())
            .ok())
        << json;
    SaveSpec(spec);
    auto [code, out] = Runsc("run x");
    EXPECT_EQ(code, 1) << json << ": " << out;
    EXPECT_THAT(out, HasSubstr(says)) << json;
    EXPECT_THAT(Runsc("state x").second, HasSubstr("does not exist")) << json;
  }
  if (access("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK) != 0) {
    GTEST_SKIP() << "this kernel has no 2 MiB huge pages";
  }
  runsc::oci::v1::Spec spec = plain;
  // Docker's "no value"s (a blkio weight of 0, swappiness -1) are none.
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  R"({"memory": {"reservation": 33554432, "swappiness": 18446744073709551615},
                      "cpu": {"cpus": "0", "mems": "0"},
                      "blockIO": {"weight": 0},
                      "hugepageLimits": [{"pageSize": "2MB", "limit": 0}]})",
                  spec.mutable_linux()->mutable_resources())
                  .ok());
  SaveSpec(spec);
  pid_t pid = Create("a");
  ASSERT_GT(pid, 0);
  ASSERT_EQ(Runsc("start a").first, 0);
  const pid_t workload = atoi(WorkloadHostPid("a").c_str());
  ASSERT_GT(workload, 0);
  std::string hugetlb, unified;
  for (absl::string_view line :
       absl::StrSplit(ReadFile(absl::StrCat("/proc/", workload, "/cgroup")), '\n')) {
    std::vector<std::string> f = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (f.size() == 3 && f[1] == "hugetlb") hugetlb = "/sys/fs/cgroup/hugetlb" + f[2];
    if (f.size() == 3 && f[0] == "0") unified = "/sys/fs/cgroup/unified" + f[2];
  }
  if (hugetlb.empty()) hugetlb = unified;
  EXPECT_EQ(
      ReadFile(hugetlb + "/hugetlb.2MB.max") + ReadFile(hugetlb + "/hugetlb.2MB.limit_in_bytes"),
      "0\n")
      << hugetlb;
  // Its cpuset: one CPU, whatever the host has.
  EXPECT_EQ(ParseStatus(ReadFile(absl::StrCat("/proc/", workload, "/status")))["Cpus_allowed_list"],
            "0");
  const std::string memory = MemoryCgroupOf(workload);
  const std::string reservation =
      memory.empty() ? unified + "/memory.low" : memory + "/memory.soft_limit_in_bytes";
  EXPECT_EQ(ReadFile(reservation), "33554432\n");
  auto [rcode, rout] = Runsc("update --memory-reservation 16777216 --cpuset-cpus 0-0 a");
  EXPECT_EQ(rcode, 0) << rout;
  EXPECT_EQ(ReadFile(reservation), "16777216\n");
  if (!memory.empty()) {  // swappiness is v1's
    const std::string swappiness = root_.path() + "/swappiness.json";
    std::ofstream(swappiness) << R"({"memory": {"swappiness": 10}})";
    auto [scode, sout] = Runsc("update -r " + swappiness + " a");
    EXPECT_EQ(scode, 0) << sout;
    EXPECT_EQ(ReadFile(memory + "/memory.swappiness"), "10\n");
  }
  // A unified file of a controller this host keeps in v1 is refused by
  // update, naming it; one in the unified hierarchy is written.
  const std::string file = root_.path() + "/r.json";
  if (!memory.empty()) {
    std::ofstream(file) << R"({"unified": {"memory.high": "100000000"}})";
    ExpectError("update -r " + file + " a",
                "linux.resources.unified[\"memory.high\"]: the memory controller is not in");
  }
  std::ofstream(file) << R"({"unified": {"hugetlb.2MB.max": "4194304"}})";
  if (hugetlb == unified) {
    auto [ucode, uout] = Runsc("update -r " + file + " a");
    EXPECT_EQ(ucode, 0) << uout;
    EXPECT_EQ(ReadFile(unified + "/hugetlb.2MB.max"), "4194304\n");
  }
  EXPECT_EQ(Runsc("kill a KILL").first, 0);
  EXPECT_EQ(Reap(pid), 137);
}

// A limit the launcher's start (charged to the container's cgroup while it
// shares this command's memory) could hit: an OOM kill there took the
// `runsc run` command itself (137). Refused, naming the field.
TEST_F(OciRuntimeTest, AMemoryLimitBelowTheFloorIsRefusedNotOomKilled) {
  SetArgs({"true"}, 4096);
  auto [code, out] = Runsc("run tiny");
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("linux.resources.memory.limit: 4096 is below the least limit"));
  EXPECT_THAT(Runsc("state tiny").second, HasSubstr("does not exist"));
}

TEST_F(OciRuntimeTest, SchedulerIoPriorityAndPersonalityAreApplied) {
  runsc::oci::v1::Spec spec = LoadSpec();
  SetProcess(&spec, {"sleep", "1000"});
  spec.mutable_process()->mutable_scheduler()->set_policy("SCHED_BATCH");
  spec.mutable_process()->mutable_scheduler()->set_nice(7);
  spec.mutable_process()->mutable_io_priority()->set_class_("IOPRIO_CLASS_BE");
  spec.mutable_process()->mutable_io_priority()->set_priority(6);
  spec.mutable_linux()->mutable_personality()->set_domain("LINUX32");
  SaveSpec(spec);
  pid_t pid = Create("a");
  ASSERT_EQ(Runsc("start a").first, 0);
  const std::string host = WorkloadHostPid("a");
  ASSERT_FALSE(host.empty());
  // Seen from the host, with util-linux's tools.
  EXPECT_THAT(RunShell("chrt -p " + host).second, HasSubstr("SCHED_BATCH"));
  EXPECT_THAT(RunShell("ionice -p " + host).second, HasSubstr("best-effort: prio 6"));
  EXPECT_EQ(RunShell("ps -o ni= -p " + host).second, "  7\n");
  EXPECT_EQ(ReadFile("/proc/" + host + "/personality"), "00000008\n");
  EXPECT_EQ(Runsc("kill a KILL").first, 0);
  EXPECT_EQ(Reap(pid), 137);
  ASSERT_EQ(Runsc("delete a").first, 0);

  // A real-time policy needs a host capability no sandbox has: a clear no.
  spec.mutable_process()->mutable_scheduler()->set_policy("SCHED_FIFO");
  spec.mutable_process()->mutable_scheduler()->set_nice(0);
  spec.mutable_process()->mutable_scheduler()->set_priority(10);
  SaveSpec(spec);
  ExpectError("run a",
              "process.scheduler: sched_setattr(policy 1) (real-time and deadline "
              "policies need CAP_SYS_NICE");
}

// podman's default ulimits (nofile 1048576, say) are over most hosts' hard
// limits, and a workload in a user namespace can only lower its hard
// limits: every such container failed at create. The host raises them for
// it, as runc, root, gives them.
TEST_F(OciRuntimeTest, RlimitsOverTheCallersHardLimitsAreGiven) {
  // Raising a hard limit takes CAP_SYS_RESOURCE, which some hosts take from
  // root (this test's VM: its bounding set lacks it). There no runtime,
  // runc either, can give such a limit.
  cap_t caps = cap_get_proc();
  cap_flag_value_t resource = CAP_CLEAR;
  cap_get_flag(caps, CAP_SYS_RESOURCE, CAP_EFFECTIVE, &resource);
  cap_free(caps);
  if (resource != CAP_SET)
    GTEST_SKIP() << "root here lacks CAP_SYS_RESOURCE: no hard limit can rise";
  // Ours lowered for the while (the run inherits them, and must raise
  // them), well under fs.nr_open; put back after (we may: CAP_SYS_RESOURCE).
  struct rlimit nofile_was, memlock_was;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &nofile_was), 0);
  ASSERT_EQ(getrlimit(RLIMIT_MEMLOCK, &memlock_was), 0);
  absl::Cleanup restore = [&] {
    setrlimit(RLIMIT_NOFILE, &nofile_was);
    setrlimit(RLIMIT_MEMLOCK, &memlock_was);
  };
  const struct rlimit low_nofile = {4096, 4096}, low_memlock = {65536, 65536};
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low_nofile), 0);
  ASSERT_EQ(setrlimit(RLIMIT_MEMLOCK, &low_memlock), 0);
  const uint64_t higher = 5096;
  runsc::oci::v1::Spec spec = LoadSpec();
  SetProcess(&spec, {"sh", "-c", "ulimit -Hn; ulimit -n; ulimit -Hl"});
  spec.mutable_process()->clear_rlimits();
  auto* r = spec.mutable_process()->add_rlimits();
  r->set_type("RLIMIT_NOFILE");
  r->set_hard(higher);
  r->set_soft(higher);
  r = spec.mutable_process()->add_rlimits();
  r->set_type("RLIMIT_MEMLOCK");
  r->set_hard(RLIM_INFINITY);
  r->set_soft(RLIM_INFINITY);
  SaveSpec(spec);
  auto [code, out] = Runsc("run a");
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, absl::StrCat(higher, "\n", higher, "\nunlimited\n"));
}

}  // namespace
}  // namespace runsc::testing
