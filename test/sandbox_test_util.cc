#include "test/sandbox_test_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace runsc::testing {

namespace {
std::string& MutableRunscPath() {
  static std::string* path = new std::string;
  return *path;
}
}  // namespace

const std::string& RunscPath() { return MutableRunscPath(); }
void SetRunscPath(const std::string& path) { MutableRunscPath() = path; }

TempStateRoot::TempStateRoot() {
  char tmpl[] = "/tmp/runsc-test-XXXXXX";
  char* dir = mkdtemp(tmpl);
  EXPECT_NE(dir, nullptr);
  path_ = dir ? dir : "";
}

TempStateRoot::~TempStateRoot() {
  if (!path_.empty()) rmdir(path_.c_str());
}

namespace {
int RemoveEntry(const char* path, const struct stat*, int, struct FTW* at) {
  if (at->level > 0) remove(path);  // the root itself: TempStateRoot's
  return 0;
}
}  // namespace

ScratchDir::~ScratchDir() {
  if (!path().empty()) nftw(path().c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Readlink(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf) - 1);
  if (n < 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

std::map<std::string, std::string> ParseStatus(const std::string& text) {
  std::map<std::string, std::string> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    absl::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value[0] == '\t' || value[0] == ' ')) {
      value.remove_prefix(1);
    }
    out[std::string(line.substr(0, colon))] = std::string(value);
  }
  return out;
}

std::pair<int, std::string> RunShell(const std::string& command) {
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return {-1, ""};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

bool ProcessGoneWithin(pid_t pid, int millis) {
  for (int waited = 0;; waited += 10) {
    if (kill(pid, 0) != 0 && errno == ESRCH) return true;
    if (waited >= millis) return false;
    usleep(10 * 1000);
  }
}

bool FillFileSystem(const std::string& path) {
  const int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const std::string block(4096, 'x');
  while (write(fd, block.data(), block.size()) > 0) {
  }
  const bool full = errno == ENOSPC;
  close(fd);
  return full;
}

std::vector<std::string> HostMountPoints() {
  // Podman's and containerd's own mounts (their storage, a pod's network
  // namespace, a task's rootfs) come and go while the podman and containerd tests run beside
  // this one; runsc never mounts there.
  constexpr absl::string_view kEngines[] = {"/var/lib/containers/", "/run/containers/",
                                            "/var/lib/containerd/", "/run/containerd/",
                                            "/run/netns/"};
  std::vector<std::string> out;
  for (absl::string_view line :
       absl::StrSplit(ReadFile("/proc/self/mountinfo"), '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    if (fields.size() <= 4) continue;
    const absl::string_view point = fields[4];
    bool engine = false;
    for (absl::string_view prefix : kEngines) {
      engine |= absl::StartsWith(absl::StrCat(point, "/"), prefix);
    }
    // A containerd under test keeps its tasks' state in the test's own
    // temporary root: it mounts each task's rootfs there.
    engine |= absl::StrContains(point, "/io.containerd.runtime.v2.task/");
    // A daemon under test beside this one keeps the binary its sandboxes
    // run on a tmpfs at <its state root>/.binary (runsc/util/
    // huge_page_binary.h) while it runs; daemon_test checks its lifetime.
    engine |= absl::EndsWith(point, "/.binary");
    // A test's own shared mount, and what it checks does not leak under it.
    engine |= absl::StrContains(absl::StrCat(point, "/"), absl::StrCat("/", kTestOwnMount, "/"));
    if (!engine) out.emplace_back(point);
  }
  return out;
}

}  // namespace runsc::testing
