#include "sandbox/tar.h"

#include <string.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "runsc/util/status_macros.h"

namespace runsc::sandbox {
namespace {

constexpr size_t kBlock = 512;
// Extended header data (PAX records, GNU long names) is buffered whole; this
// bounds what an archive can make the reader allocate.
constexpr uint64_t kMaxRecord = uint64_t{1} << 20;
constexpr uint64_t kMaxSize = kMaxTarFileSize;

// A ustar header field: its offset and width in the block.
struct Field {
  size_t offset;
  size_t width;
};
constexpr Field kName{0, 100};
constexpr Field kMode{100, 8};
constexpr Field kUid{108, 8};
constexpr Field kGid{116, 8};
constexpr Field kSize{124, 12};
constexpr Field kMtime{136, 12};
constexpr Field kChksum{148, 8};
constexpr Field kLinkname{157, 100};
constexpr Field kPrefix{345, 155};  // ustar only: GNU keeps other data here
constexpr size_t kTypeflag = 156;
constexpr size_t kMagic = 257;  // 6 bytes of magic, then 2 of version

const char kZeros[2 * kBlock] = {};

size_t Padding(uint64_t size) { return (kBlock - size % kBlock) % kBlock; }

std::string EntryLabel(absl::string_view name) {
  return absl::StrCat("tar entry '", absl::CHexEscape(name), "'");
}

absl::Status EntryError(absl::string_view name, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(EntryLabel(name), ": ", what));
}

absl::Status HeaderError(uint64_t offset, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("tar header at offset ", offset, ": ", what));
}

absl::string_view Raw(const char* h, Field f) {
  return {h + f.offset, f.width};
}

// A string field: up to its first NUL, or the whole field.
absl::string_view Str(const char* h, Field f) {
  absl::string_view s = Raw(h, f);
  return s.substr(0, s.find('\0'));
}

// A numeric field: octal digits after optional spaces, ended by a space, a NUL
// or the field's end (an empty field is 0); or GNU base-256, flagged by the
// first byte's high bit: a big-endian two's complement number in the rest.
// nullopt if malformed or beyond int64.
std::optional<int64_t> ParseNumber(absl::string_view f) {
  if (!f.empty() && (f[0] & 0x80) != 0) {
    const uint8_t invert = (f[0] & 0x40) != 0 ? 0xff : 0;
    uint64_t x = 0;
    for (size_t i = 0; i < f.size(); ++i) {
      uint8_t c = static_cast<uint8_t>(f[i]) ^ invert;
      if (i == 0) c &= 0x7f;
      if ((x >> 56) != 0) return std::nullopt;
      x = x << 8 | c;
    }
    if ((x >> 63) != 0) return std::nullopt;
    return invert != 0 ? ~static_cast<int64_t>(x) : static_cast<int64_t>(x);
  }
  size_t i = 0;
  while (i < f.size() && f[i] == ' ') ++i;
  int64_t value = 0;  // fields have at most 12 digits: no overflow
  for (; i < f.size() && f[i] >= '0' && f[i] <= '7'; ++i) {
    value = value * 8 + (f[i] - '0');
  }
  for (; i < f.size(); ++i) {
    if (f[i] != ' ' && f[i] != '\0') return std::nullopt;
  }
  return value;
}

// Parses numeric field `f` of header `h`, which must lie in [lo, hi].
absl::StatusOr<int64_t> ParseField(const char* h, Field f,
                                   absl::string_view what, int64_t lo,
                                   int64_t hi, absl::string_view entry) {
  std::optional<int64_t> v = ParseNumber(Raw(h, f));
  if (!v) return EntryError(entry, absl::StrCat("malformed ", what, " field"));
  if (*v < lo || *v > hi) {
    return EntryError(entry, absl::StrCat(what, " ", *v, " is out of range"));
  }
  return *v;
}

// Plain decimal digits, as in PAX records.
std::optional<uint64_t> ParseDecimal(absl::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;  // 19 digits < 2^64
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// The clean relative form of an archive path: '/'-separated components with
// empty and "." ones dropped (so leading "./" and '/' go, as GNU tar strips
// them). An error naming `raw` if a component is ".." or the path has a NUL.
absl::StatusOr<std::string> CleanPath(absl::string_view raw) {
  if (raw.find('\0') != absl::string_view::npos) {
    return EntryError(raw, "path contains a NUL byte");
  }
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(raw, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") return EntryError(raw, "path contains a '..' component");
    parts.push_back(part);
  }
  return absl::StrJoin(parts, "/");
}

void PutString(char* h, Field f, absl::string_view s) {
  memcpy(h + f.offset, s.data(), std::min(s.size(), f.width));
}

bool FitsOctal(Field f, uint64_t value) {
  return value < (uint64_t{1} << (3 * (f.width - 1)));
}

// Zero-padded octal digits and a NUL, filling the field.
void PutOctal(char* h, Field f, uint64_t value) {
  for (size_t i = f.width - 1; i-- > 0; value >>= 3) {
    h[f.offset + i] = static_cast<char>('0' + (value & 7));
  }
  h[f.offset + f.width - 1] = '\0';
}

// Fills in the numeric fields, the magic and the checksum of header `h`.
void FinishHeader(char* h, uint32_t mode, uint32_t uid, uint32_t gid,
                  uint64_t size, uint64_t mtime) {
  PutOctal(h, kMode, mode);
  PutOctal(h, kUid, uid);
  PutOctal(h, kGid, gid);
  PutOctal(h, kSize, size);
  PutOctal(h, kMtime, mtime);
  memcpy(h + kMagic, "ustar", 6);   // and its NUL
  memcpy(h + kMagic + 6, "00", 2);  // the version
  // The checksum is summed with its own field as spaces, then stored as six
  // digits, a NUL and that last space (GNU tar's layout).
  memset(h + kChksum.offset, ' ', kChksum.width);
  uint32_t sum = 0;
  for (size_t i = 0; i < kBlock; ++i) sum += static_cast<unsigned char>(h[i]);
  PutOctal(h, {kChksum.offset, 7}, sum);
}

// Appends the PAX record "<length> <key>=<value>\n", whose decimal length
// counts the whole record, its own digits included.
void AppendPaxRecord(std::string* out, absl::string_view key,
                     absl::string_view value) {
  const size_t body = key.size() + value.size() + 3;  // ' ', '=', '\n'
  size_t len = body;
  while (len != body + absl::StrCat(len).size()) {
    len = body + absl::StrCat(len).size();
  }
  absl::StrAppend(out, len, " ", key, "=", value, "\n");
}

}  // namespace

// TarWriter

absl::Status TarWriter::CheckOpen() const {
  if (!status_.ok()) return status_;
  if (finished_) return absl::FailedPreconditionError("tar stream is finished");
  return absl::OkStatus();
}

absl::Status TarWriter::Emit(absl::string_view bytes) {
  if (status_.ok() && !bytes.empty()) status_ = sink_(bytes);
  return status_;
}

absl::Status TarWriter::WriteHeader(const TarEntry& e) {
  RETURN_IF_ERROR(CheckOpen());
  if (remaining_ > 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        EntryLabel(entry_), ": ", remaining_, " bytes of data missing"));
  }
  const absl::string_view path = e.path;
  absl::StatusOr<std::string> clean = CleanPath(path);
  if (path.empty() || !clean.ok() || *clean != path) {
    return EntryError(path, "path is not clean and relative");
  }
  if (e.type == TarEntry::Type::kSymlink &&
      (e.link_target.empty() ||
       e.link_target.find('\0') != std::string::npos)) {
    return EntryError(path, "symlink target is empty or contains a NUL byte");
  }
  const uint64_t size = e.type == TarEntry::Type::kFile ? e.size : 0;
  if (size > kMaxSize) {
    return EntryError(path, absl::StrCat("size ", size, " exceeds 2^40"));
  }

  std::string pax;  // PAX records for what does not fit the ustar fields
  char h[kBlock] = {};
  // ustar splits a path longer than the name field at a '/' into prefix and
  // name. A path that cannot be split goes to PAX; the name field then holds
  // its truncation, for readers without PAX support.
  const size_t slash = path.rfind('/', kPrefix.width);
  if (path.size() <= kName.width) {
    PutString(h, kName, path);
  } else if (slash != absl::string_view::npos &&
             path.size() - slash - 1 <= kName.width) {
    PutString(h, kPrefix, path.substr(0, slash));
    PutString(h, kName, path.substr(slash + 1));
  } else {
    AppendPaxRecord(&pax, "path", path);
    PutString(h, kName, path);
  }
  if (e.type == TarEntry::Type::kSymlink) {
    if (e.link_target.size() > kLinkname.width) {
      AppendPaxRecord(&pax, "linkpath", e.link_target);
    }
    PutString(h, kLinkname, e.link_target);
  }
  // A number that does not fit its octal field goes to PAX; the field says 0.
  const auto number = [&pax](Field f, absl::string_view key, int64_t v) {
    if (v >= 0 && FitsOctal(f, static_cast<uint64_t>(v))) return v;
    AppendPaxRecord(&pax, key, absl::StrCat(v));
    return int64_t{0};
  };
  const int64_t uid = number(kUid, "uid", e.uid);
  const int64_t gid = number(kGid, "gid", e.gid);
  const int64_t size_field = number(kSize, "size", static_cast<int64_t>(size));
  const int64_t mtime = number(kMtime, "mtime", e.mtime);
  switch (e.type) {
    case TarEntry::Type::kFile:
      h[kTypeflag] = '0';
      break;
    case TarEntry::Type::kDirectory:
      h[kTypeflag] = '5';
      break;
    case TarEntry::Type::kSymlink:
      h[kTypeflag] = '2';
      break;
  }
  FinishHeader(h, e.mode & 07777, uid, gid, size_field, mtime);

  if (!pax.empty()) {
    char x[kBlock] = {};
    PutString(x, kName, "././@PaxHeader");
    x[kTypeflag] = 'x';
    FinishHeader(x, 0644, 0, 0, pax.size(), 0);
    RETURN_IF_ERROR(Emit({x, kBlock}));
    RETURN_IF_ERROR(Emit(pax));
    RETURN_IF_ERROR(Emit({kZeros, Padding(pax.size())}));
  }
  RETURN_IF_ERROR(Emit({h, kBlock}));
  entry_ = e.path;
  remaining_ = size;
  pad_ = Padding(size);
  return absl::OkStatus();
}

absl::Status TarWriter::WriteData(absl::string_view data) {
  RETURN_IF_ERROR(CheckOpen());
  if (data.size() > remaining_) {
    return absl::FailedPreconditionError(
        absl::StrCat(EntryLabel(entry_), ": ", data.size() - remaining_,
                     " bytes of data beyond the entry's size"));
  }
  remaining_ -= data.size();
  RETURN_IF_ERROR(Emit(data));
  if (remaining_ == 0) return Emit({kZeros, pad_});
  return absl::OkStatus();
}

absl::Status TarWriter::Finish() {
  RETURN_IF_ERROR(CheckOpen());
  if (remaining_ > 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        EntryLabel(entry_), ": ", remaining_, " bytes of data missing"));
  }
  finished_ = true;
  return Emit({kZeros, 2 * kBlock});
}

// TarReader

absl::Status TarReader::Feed(absl::string_view data) {
  while (status_.ok() && !data.empty()) status_ = Step(&data);
  return status_;
}

absl::Status TarReader::Step(absl::string_view* data) {
  const absl::string_view in = *data;
  const auto take = [&](uint64_t want) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(want, in.size()));
    data->remove_prefix(n);
    offset_ += n;
    return in.substr(0, n);
  };
  switch (state_) {
    case State::kHeader: {
      const absl::string_view piece = take(kBlock - header_len_);
      memcpy(header_ + header_len_, piece.data(), piece.size());
      header_len_ += piece.size();
      if (header_len_ < kBlock) return absl::OkStatus();
      header_len_ = 0;
      return ParseHeader();
    }
    case State::kData: {
      const absl::string_view piece = take(remaining_);
      remaining_ -= piece.size();
      RETURN_IF_ERROR(handler_->OnData(piece));
      if (remaining_ > 0) return absl::OkStatus();
      state_ = pad_ > 0 ? State::kPad : State::kHeader;
      return handler_->OnEntryEnd();
    }
    case State::kRecord: {
      const absl::string_view piece = take(remaining_);
      record_.append(piece.data(), piece.size());
      remaining_ -= piece.size();
      return remaining_ > 0 ? absl::OkStatus() : ParseRecord();
    }
    case State::kPad:
      pad_ -= take(pad_).size();
      if (pad_ == 0) state_ = State::kHeader;
      return absl::OkStatus();
    case State::kEnd:
      take(in.size());
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status TarReader::ParseHeader() {
  header_offset_ = offset_ - kBlock;
  const char* h = header_;
  if (memcmp(h, kZeros, kBlock) == 0) {
    // End of archive. GNU tar, too, stops at the first zero block.
    if (pending_.present) {
      return HeaderError(header_offset_,
                         "archive ends before the entry of an extended header");
    }
    state_ = State::kEnd;
    return absl::OkStatus();
  }
  // The checksum sums the header's bytes with its own field as spaces. Some
  // old tars summed signed chars; GNU tar accepts either sum.
  int64_t unsigned_sum = 0;
  int64_t signed_sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    const bool own = i >= kChksum.offset && i < kChksum.offset + kChksum.width;
    unsigned_sum += own ? ' ' : static_cast<unsigned char>(h[i]);
    signed_sum += own ? ' ' : static_cast<signed char>(h[i]);
  }
  const std::optional<int64_t> checksum = ParseNumber(Raw(h, kChksum));
  if (!checksum || (*checksum != unsigned_sum && *checksum != signed_sum)) {
    return HeaderError(header_offset_,
                       "bad header checksum (corrupt or not a tar archive)");
  }
  // POSIX ustar is "ustar\0" and a version (GNU tar ignores the version);
  // GNU's own format is "ustar  \0". Old v7 archives have no magic.
  const bool ustar = memcmp(h + kMagic, "ustar\0", 6) == 0;
  if (!ustar && memcmp(h + kMagic, "ustar  \0", 8) != 0) {
    return HeaderError(header_offset_,
                       "no ustar magic (old v7 archives are not supported)");
  }
  const char type = h[kTypeflag];

  // Extended headers: their data, buffered, describes the next entry.
  if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
    const std::optional<int64_t> size = ParseNumber(Raw(h, kSize));
    if (!size || *size < 0) {
      return HeaderError(header_offset_, "malformed extended header size");
    }
    if (static_cast<uint64_t>(*size) > kMaxRecord) {
      return HeaderError(
          header_offset_,
          absl::StrCat("extended header of ", *size,
                       " bytes exceeds the limit of ", kMaxRecord));
    }
    record_type_ = type;
    record_.clear();
    remaining_ = static_cast<uint64_t>(*size);
    pad_ = Padding(remaining_);
    state_ = State::kRecord;
    return remaining_ > 0 ? absl::OkStatus() : ParseRecord();
  }

  std::string raw;
  if (pending_.path) {
    raw = *pending_.path;
  } else if (ustar && h[kPrefix.offset] != '\0') {
    raw = absl::StrCat(Str(h, kPrefix), "/", Str(h, kName));
  } else {
    raw = std::string(Str(h, kName));
  }
  TarEntry e;
  switch (type) {
    case '0':
    case '7':  // contiguous file: a regular file everywhere
      e.type = TarEntry::Type::kFile;
      break;
    case '\0':  // pre-POSIX regular file; a trailing '/' made it a directory
      e.type = absl::EndsWith(raw, "/") ? TarEntry::Type::kDirectory
                                        : TarEntry::Type::kFile;
      break;
    case '5':
      e.type = TarEntry::Type::kDirectory;
      break;
    case '2':
      e.type = TarEntry::Type::kSymlink;
      break;
    case '1':
      return EntryError(raw, "hard links are not supported");
    case '3':
    case '4':
      return EntryError(raw, "device files are not copied");
    case '6':
      return EntryError(raw, "FIFOs are not copied");
    case 'S':
      return EntryError(raw, "sparse files are not supported");
    default:
      return EntryError(raw, absl::StrCat("unsupported entry type '",
                                          absl::CHexEscape({&type, 1}), "'"));
  }
  if (pending_.sparse) return EntryError(raw, "sparse files are not supported");

  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMaxId = std::numeric_limits<uint32_t>::max();
  ASSIGN_OR_RETURN(const int64_t mode,
                   ParseField(h, kMode, "mode", kMin, kMax, raw));
  ASSIGN_OR_RETURN(const int64_t uid,
                   ParseField(h, kUid, "uid", 0, kMaxId, raw));
  ASSIGN_OR_RETURN(const int64_t gid,
                   ParseField(h, kGid, "gid", 0, kMaxId, raw));
  ASSIGN_OR_RETURN(const int64_t mtime,
                   ParseField(h, kMtime, "mtime", kMin, kMax, raw));
  ASSIGN_OR_RETURN(const int64_t size,
                   ParseField(h, kSize, "size", 0, kMaxSize, raw));
  e.mode = static_cast<uint32_t>(mode) & 07777;
  e.uid = pending_.uid.value_or(static_cast<uint32_t>(uid));
  e.gid = pending_.gid.value_or(static_cast<uint32_t>(gid));
  e.mtime = pending_.mtime.value_or(mtime);
  // Directories and symlinks have no data whatever their size says (POSIX).
  if (e.type == TarEntry::Type::kFile) {
    e.size = pending_.size.value_or(static_cast<uint64_t>(size));
  }
  if (e.type == TarEntry::Type::kSymlink) {
    e.link_target = pending_.link_target ? *pending_.link_target
                                         : std::string(Str(h, kLinkname));
    if (e.link_target.empty()) return EntryError(raw, "symlink has no target");
    if (e.link_target.find('\0') != std::string::npos) {
      return EntryError(raw, "symlink target contains a NUL byte");
    }
  }
  pending_ = Pending();
  ASSIGN_OR_RETURN(e.path, CleanPath(raw));
  if (e.path.empty()) {
    // The archive's top directory itself ("./" from `tar -C dir -c .`):
    // the destination exists already.
    if (e.type == TarEntry::Type::kDirectory && !raw.empty()) {
      return absl::OkStatus();
    }
    return EntryError(raw, "empty path");
  }

  ++entries_;
  RETURN_IF_ERROR(handler_->OnEntry(e));
  if (e.size == 0) return handler_->OnEntryEnd();
  entry_name_ = std::move(raw);
  remaining_ = e.size;
  pad_ = Padding(e.size);
  state_ = State::kData;
  return absl::OkStatus();
}

absl::Status TarReader::ParseRecord() {
  state_ = pad_ > 0 ? State::kPad : State::kHeader;
  if (record_type_ == 'L' || record_type_ == 'K') {
    // GNU long (link) name: the name and a NUL.
    std::string name = record_.substr(0, record_.find('\0'));
    (record_type_ == 'L' ? pending_.path : pending_.link_target) =
        std::move(name);
    pending_.present = true;
    return absl::OkStatus();
  }
  // PAX records: "<length> <key>=<value>\n", the decimal length counting the
  // whole record. Global ('g') records are checked, then ignored.
  absl::string_view rest = record_;
  while (!rest.empty()) {
    const size_t space = rest.find(' ');
    const std::optional<uint64_t> len =
        space == absl::string_view::npos ? std::nullopt
                                         : ParseDecimal(rest.substr(0, space));
    if (!len || *len < space + 2 || *len > rest.size() ||
        rest[*len - 1] != '\n') {
      return HeaderError(header_offset_, "malformed PAX record");
    }
    const absl::string_view record = rest.substr(space + 1, *len - space - 2);
    rest.remove_prefix(*len);
    const size_t eq = record.find('=');
    if (eq == 0 || eq == absl::string_view::npos) {
      return HeaderError(header_offset_, "malformed PAX record");
    }
    if (record_type_ == 'x') {
      RETURN_IF_ERROR(
          ApplyPaxRecord(record.substr(0, eq), record.substr(eq + 1)));
    }
  }
  if (record_type_ == 'x') pending_.present = true;
  return absl::OkStatus();
}

absl::Status TarReader::ApplyPaxRecord(absl::string_view key,
                                       absl::string_view value) {
  const auto bad = [&] {
    return HeaderError(
        header_offset_,
        absl::StrCat("invalid PAX ", key, " '",
                     absl::CHexEscape(value.substr(0, 64)), "'"));
  };
  // An empty value cancels the key: the ustar field applies again.
  const bool unset = value.empty();
  std::optional<uint64_t> number;
  if (key == "size" || key == "uid" || key == "gid") {
    number = ParseDecimal(value);
    const uint64_t max =
        key == "size" ? kMaxSize : std::numeric_limits<uint32_t>::max();
    if (!unset && (!number || *number > max)) return bad();
  }
  if (key == "path") {
    pending_.path.reset();
    if (!unset) pending_.path.emplace(value);
  } else if (key == "linkpath") {
    pending_.link_target.reset();
    if (!unset) pending_.link_target.emplace(value);
  } else if (key == "size") {
    pending_.size = number;
  } else if (key == "uid") {
    pending_.uid = number;
  } else if (key == "gid") {
    pending_.gid = number;
  } else if (key == "mtime") {
    // Seconds, maybe negative, maybe with a fraction: keep the integer part.
    pending_.mtime.reset();
    if (unset) return absl::OkStatus();
    absl::string_view seconds = value.substr(0, value.find('.'));
    const absl::string_view fraction = value.substr(seconds.size());
    const bool negative = absl::ConsumePrefix(&seconds, "-");
    const std::optional<uint64_t> s = ParseDecimal(seconds);
    const bool fraction_ok =
        fraction.empty() ||
        std::all_of(fraction.begin() + 1, fraction.end(),
                    [](char c) { return c >= '0' && c <= '9'; });
    if (!s || *s > uint64_t{std::numeric_limits<int64_t>::max()} ||
        !fraction_ok) {
      return bad();
    }
    pending_.mtime =
        negative ? -static_cast<int64_t>(*s) : static_cast<int64_t>(*s);
  } else if (absl::StartsWith(key, "GNU.sparse.")) {
    pending_.sparse = true;
  }
  return absl::OkStatus();
}

absl::Status TarReader::Finish() {
  if (!status_.ok()) return status_;
  switch (state_) {
    case State::kHeader:
      if (header_len_ > 0) {
        status_ =
            HeaderError(offset_ - header_len_, "archive ends inside a header");
        break;
      }
      [[fallthrough]];
    case State::kPad:  // the entry is whole; only its padding is missing
      if (pending_.present) {
        status_ =
            HeaderError(header_offset_,
                        "archive ends before the entry of an extended header");
      }
      break;
    case State::kData:
      status_ = EntryError(entry_name_,
                           absl::StrCat("archive ends ", remaining_,
                                        " bytes before the end of the data"));
      break;
    case State::kRecord:
      status_ =
          HeaderError(header_offset_, "archive ends inside an extended header");
      break;
    case State::kEnd:
      break;
  }
  return status_;
}

}  // namespace runsc::sandbox
