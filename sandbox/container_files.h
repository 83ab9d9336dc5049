// ContainerFiles: moves file trees into and out of a running sandbox's
// container filesystem as tar streams (the daemon's CopyIn and CopyOut),
// from the host.
//
// The container's root is reached through /proc/<launcher>/root: the
// launcher is pid 1 of the container, and its root is the container's, with
// every mount of the container's mount namespace under it. Every path is
// resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), and the
// last component is never followed when written, so no symlink (absolute,
// relative, or planted by the workload meanwhile) leads outside the
// container.
//
// All file access runs as the container's root user: the calling thread's
// fsuid and fsgid become the host ids the container's 0 maps to (which also
// drops host root's file capabilities for the duration). Files created by
// CopyIn belong to the container's root, whatever the archive says (as with
// `docker cp`); CopyOut reports owners as container ids (65534 for ids
// outside the sandbox's range). CopyOut does not cross into other mounts
// (like tar --one-file-system), and skips devices, FIFOs and sockets.
//
// Thread safety: an object serves one copy on one thread.
#ifndef RUNSC_SANDBOX_CONTAINER_FILES_H_
#define RUNSC_SANDBOX_CONTAINER_FILES_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/tar.h"
#include "specutils/id_map.h"

namespace runsc::sandbox {

class ContainerFiles final {
 public:
  // CopyIn refuses archives whose file data exceeds this, or with more
  // entries than this (each makes an inode, charged to the daemon, not the
  // sandbox), or an entry nested deeper than CopyOut would copy (its path
  // is walked component by component).
  static constexpr uint64_t kMaxCopyInBytes = uint64_t{1} << 30;
  static constexpr uint64_t kMaxCopyInEntries = uint64_t{1} << 20;
  // CopyOut refuses a tree nested deeper than this below the path copied
  // (each level holds two fds and a frame of the walk: a workload's tree
  // thousands of levels deep would otherwise exhaust the daemon's stack),
  // or a directory with more entries than this (their names are sorted in
  // memory).
  static constexpr int kMaxCopyOutDepth = 256;
  static constexpr size_t kMaxCopyOutDirEntries = size_t{1} << 20;

  // `launcher` is the launcher's host pid, a child of `sandbox` (the sandbox
  // process); `ids` are the container's uid and gid maps (container id ->
  // host id): files are written as the container's root and read back with
  // their owners as the container sees them. The root is opened only if
  // `launcher` is still that child once
  // it is open, so a recycled pid never hands over another process's root.
  static absl::StatusOr<std::unique_ptr<ContainerFiles>> Open(pid_t sandbox, pid_t launcher,
                                                              specutils::WorkloadIds ids);

  // Extracts a tar stream, fed in pieces, into directory `dest` (a path in
  // the container, which must exist, resolved once here). Finish says how
  // much was written.
  class Extraction;
  absl::StatusOr<std::unique_ptr<Extraction>> CopyIn(const std::string& dest);

  // Writes `path` (a file, symlink or directory tree in the container) as a
  // tar stream to `sink`, named by its last component.
  absl::Status CopyOut(const std::string& path,
                       const std::function<absl::Status(absl::string_view)>& sink);

 private:
  ContainerFiles(util::UniqueFd root, specutils::WorkloadIds ids, uint32_t root_uid, uint32_t root_gid)
      : root_(std::move(root)), ids_(std::move(ids)), root_uid_(root_uid), root_gid_(root_gid) {}

  util::UniqueFd root_;  // O_PATH, the container's "/"
  const specutils::WorkloadIds ids_;
  const uint32_t root_uid_, root_gid_;  // the container's root, on the host
};

class ContainerFiles::Extraction final : public TarReader::Handler {
 public:
  ~Extraction() override;
  absl::Status Feed(absl::string_view data);
  struct Summary {
    uint64_t entries = 0;
    uint64_t bytes = 0;
  };
  absl::StatusOr<Summary> Finish();

  absl::Status OnEntry(const TarEntry& entry) override;
  absl::Status OnData(absl::string_view data) override;
  absl::Status OnEntryEnd() override;

 private:
  friend class ContainerFiles;
  Extraction(util::UniqueFd dest_dir, std::string dest, uint32_t uid, uint32_t gid);
  // Makes the directories of `relative` (under dest_) that are missing;
  // returns an O_PATH fd of the last one.
  absl::StatusOr<util::UniqueFd> MakeDirs(const std::string& relative, uint32_t mode);

  const util::UniqueFd dest_dir_;  // O_PATH
  const std::string dest_;         // for messages
  TarReader reader_{this};
  util::UniqueFd file_;  // the file being written
  TarEntry current_;
  uint64_t bytes_ = 0;
  uint64_t entries_ = 0;
  const uint32_t uid_, gid_;  // the host ids files are written as
};

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_CONTAINER_FILES_H_
