// UidRangeAllocator: hands out the private host uid/gid range of each
// sandbox's workloads: 65536 consecutive ids, never host 0, never shared by
// two live sandboxes. Ranges start at host id 2^30 (far above any distro's
// system, user and subuid ranges) in 49152 slots.
//
// A slot is held by a file <dir>/<slot> that names its owner (with a nonce
// of the holder's): written unnamed (O_TMPFILE) and then linked as the
// slot, which fails if the slot is taken, so every process using the same
// state root (the daemon and the daemonless CLI alike) shares one
// allocator without a lock, and a slot file always names its holder,
// whenever its maker crashed. Releases of one slot take turns on its file's
// flock.
//
// Thread safety: thread-safe (the filesystem arbitrates).
#ifndef RUNSC_SANDBOX_UID_RANGE_H_
#define RUNSC_SANDBOX_UID_RANGE_H_

#include <stdint.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "specutils/id_map.h"

namespace runsc::sandbox {

struct UidRange {
  uint32_t slot = 0;
  uint32_t host_base = 0;  // first host uid (and gid)
  // What the slot's file holds for this holder ("<owner> <nonce>"), so that
  // a release frees the slot only while it is still this holder's. Empty
  // for a range recorded by a build before it: released unchecked.
  std::string token;
  static constexpr uint32_t kSize = 65536;
};

class UidRangeAllocator final {
 public:
  static constexpr uint32_t kFirstHostId = specutils::kPrivateRangesFirstHostId;
  static constexpr uint32_t kSlots = (0xFFFFFFFFu - kFirstHostId) / UidRange::kSize;

  // `unnamed_files`: false makes each slot file from a named temporary file,
  // as where the file system has no O_TMPFILE (for tests).
  explicit UidRangeAllocator(std::string dir, bool unnamed_files = true)
      : dir_(std::move(dir)), unnamed_files_(unnamed_files) {}

  // Claims a free range for `owner` (a sandbox id). RESOURCE_EXHAUSTED when
  // every slot is taken.
  absl::StatusOr<UidRange> Allocate(absl::string_view owner);
  // Frees a range; freeing a free range is not an error, and neither is
  // freeing one that another holder has taken since (its slot is left be:
  // a stale second release must never hand a live sandbox's ids out again).
  absl::Status Release(const UidRange& range);
  // Whether `range`'s slot is still held by it (its file holds its token).
  // False for a range without a token, which cannot be told apart.
  bool HeldBy(const UidRange& range) const;
  // The ranges currently held, with their owners.
  absl::StatusOr<std::vector<std::pair<UidRange, std::string>>> List() const;

  static UidRange RangeOfSlot(uint32_t slot) {
    return {slot, kFirstHostId + slot * UidRange::kSize, ""};
  }

 private:
  std::string dir_;
  bool unnamed_files_;
};

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_UID_RANGE_H_
