// Helpers for root tests that inspect sandboxes from the host.
#ifndef RUNSC_TEST_SANDBOX_TEST_UTIL_H_
#define RUNSC_TEST_SANDBOX_TEST_UTIL_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "runsc/util/test_dirs.h"

namespace runsc::testing {

// The runsc binary under test: argv[1] of the test (see test/BUILD.bazel).
const std::string& RunscPath();
void SetRunscPath(const std::string& path);

// A fresh state root under /tmp (short, for unix socket paths); removed by
// the destructor (it must be empty by then, which tests assert).
class TempStateRoot {
 public:
  TempStateRoot();
  ~TempStateRoot();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A TempStateRoot for what other programs write (podman's and
// containerd's state, an image, a volume), which the tests do not assert
// on: the destructor removes everything in it first, never crossing into a
// mount (what is mounted there stays, and so does its mount point).
class ScratchDir : public TempStateRoot {
 public:
  ~ScratchDir();
};

std::string ReadFile(const std::string& path);
std::string Readlink(const std::string& path);
// Directory entries except "." and "..", sorted.
using util::ListDir;
// "Key:" -> rest of line (tabs kept) from a /proc status file.
std::map<std::string, std::string> ParseStatus(const std::string& text);
// Runs `command` with /bin/sh; returns its exit code (-1 if it did not exit)
// and its stdout.
std::pair<int, std::string> RunShell(const std::string& command);
// Whether process `pid` is gone (ESRCH) within `millis` ms. An orphan's end
// is not yet its pid's: init reaps it when it gets to it, and until then
// kill(pid, 0) finds the zombie.
bool ProcessGoneWithin(pid_t pid, int millis);
// Writes file `path` until its file system has no block left: whether it
// ended full (ENOSPC). A new, empty file still fits then.
bool FillFileSystem(const std::string& path);

// The name of a directory a test mounts on itself (a shared tmpfs), which
// HostMountPoints leaves out: tests run beside each other.
inline constexpr char kTestOwnMount[] = "test-own-mount";

// The mount points listed in /proc/self/mountinfo, but those of the
// container engines other tests drive (podman's and containerd's storage,
// /run/netns).
std::vector<std::string> HostMountPoints();

}  // namespace runsc::testing

#endif  // RUNSC_TEST_SANDBOX_TEST_UTIL_H_
