// TarWriter and TarReader: the streaming POSIX tar codec of the CopyIn and
// CopyOut streams, which move file trees into and out of a sandbox.
//
// TarWriter emits ustar headers, preceded by a PAX 'x' extended header for an
// entry whose path, link target or numbers do not fit the ustar fields, so
// GNU tar, bsdtar and Go's archive/tar all read its output.
//
// TarReader is a push parser for UNTRUSTED input. It reads what GNU tar
// writes in its gnu, ustar and posix (pax) formats, hands file data on as it
// arrives and buffers extended headers only up to 1 MiB, so its memory stays
// bounded whatever the input. Only regular files, directories and symlinks
// are carried: hard links, devices, FIFOs and sparse files are rejected.
// Paths come out clean and relative (an absolute path loses its leading '/',
// as with GNU tar); link targets are passed on verbatim for the consumer to
// resolve safely. Every malformed or unsupported input is INVALID_ARGUMENT
// naming the entry, or the byte offset of a header whose name is not known.
//
// Thread safety: neither class is thread-safe; each serves one stream.
#ifndef RUNSC_SANDBOX_TAR_H_
#define RUNSC_SANDBOX_TAR_H_

#include <stddef.h>
#include <stdint.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace runsc::sandbox {

struct TarEntry {
  enum class Type { kFile, kDirectory, kSymlink };
  Type type = Type::kFile;
  // Relative and clean: no leading '/', no "." or ".." components, no empty
  // components, no trailing '/'.
  std::string path;
  uint32_t mode = 0;  // permission bits only (& 07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime = 0;  // seconds since the epoch
  uint64_t size = 0;  // kFile only: the number of data bytes that follow
  // kSymlink only. Kept verbatim (it may be absolute): the consumer resolves
  // it safely.
  std::string link_target;
};

// The largest file an archive holds: no real file is larger, and the bound
// keeps all offset arithmetic far from overflow.
inline constexpr uint64_t kMaxTarFileSize = uint64_t{1} << 40;

class TarWriter {
 public:
  // Output goes to `sink` in pieces. A sink error stops the writer and is
  // returned from every later call.
  explicit TarWriter(std::function<absl::Status(absl::string_view)> sink)
      : sink_(std::move(sink)) {}

  // Starts an entry. INVALID_ARGUMENT if the path is not clean (see TarEntry),
  // a symlink's target is empty or has a NUL, or a file is larger than 2^40
  // bytes (TarReader's limit). For kFile exactly e.size bytes must then
  // follow through WriteData: FAILED_PRECONDITION if they have not when the
  // next WriteHeader or Finish comes, or if WriteData is given more.
  absl::Status WriteHeader(const TarEntry& e);
  absl::Status WriteData(absl::string_view data);
  // Writes the two zero blocks that end the archive. FAILED_PRECONDITION if
  // file data is missing; no call is accepted after it.
  absl::Status Finish();

 private:
  absl::Status CheckOpen() const;
  absl::Status Emit(absl::string_view bytes);

  std::function<absl::Status(absl::string_view)> sink_;
  absl::Status status_;  // the first sink error
  bool finished_ = false;
  std::string entry_;       // path of the current entry, for errors
  uint64_t remaining_ = 0;  // data bytes the current entry still needs
  size_t pad_ = 0;          // zero bytes that complete its last data block
};

class TarReader {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual absl::Status OnEntry(const TarEntry& entry) = 0;
    // Pieces of the current kFile entry's content, in order.
    virtual absl::Status OnData(absl::string_view data) = 0;
    // After the last OnData (for directories and symlinks, right after
    // OnEntry).
    virtual absl::Status OnEntryEnd() = 0;
  };

  explicit TarReader(Handler* handler) : handler_(handler) {}

  // Consumes the next piece of the stream; pieces may split it anywhere. The
  // first error (a handler's error is returned unchanged) stops the reader and
  // is returned from every later call.
  absl::Status Feed(absl::string_view data);
  // The stream is complete. INVALID_ARGUMENT if it ended inside a header, an
  // entry's data or before the entry an extended header announced. A stream
  // that ends after a whole entry without the end-of-archive zero blocks is
  // accepted (as GNU tar does); anything after them is ignored.
  absl::Status Finish();
  // Entries delivered to OnEntry so far.
  uint64_t entries() const { return entries_; }

 private:
  enum class State {
    kHeader,  // collecting a header block
    kData,    // passing an entry's data to the handler
    kRecord,  // collecting an extended header's data
    kPad,     // skipping the padding after data or a record
    kEnd,     // after the end-of-archive block: ignoring the rest
  };

  // What extended headers ('x' PAX, GNU 'L'/'K') say about the next entry.
  struct Pending {
    bool present = false;
    std::optional<std::string> path;
    std::optional<std::string> link_target;
    std::optional<uint64_t> size;
    std::optional<uint32_t> uid;
    std::optional<uint32_t> gid;
    std::optional<int64_t> mtime;
    bool sparse = false;
  };

  // Consumes a prefix (at least one byte) of a non-empty `data`.
  absl::Status Step(absl::string_view* data);
  absl::Status ParseHeader();
  absl::Status ParseRecord();
  absl::Status ApplyPaxRecord(absl::string_view key, absl::string_view value);

  Handler* handler_;
  absl::Status status_;  // the first error
  State state_ = State::kHeader;
  uint64_t offset_ = 0;  // stream bytes consumed
  uint64_t entries_ = 0;
  char header_[512];
  size_t header_len_ = 0;
  uint64_t header_offset_ = 0;  // of the last header parsed
  uint64_t remaining_ = 0;      // bytes of kData or kRecord still due
  size_t pad_ = 0;              // bytes to skip after them
  std::string entry_name_;      // the kData entry's raw name, for errors
  char record_type_ = 0;        // 'x', 'g', 'L' or 'K'
  std::string record_;
  Pending pending_;
};

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_TAR_H_
