// The wasi_snapshot_preview1 ABI: errno, flags, rights, record layouts.
//
// Values and byte offsets are the specification's (witx, preview1). Records
// are written field by field at these offsets (little-endian), never by
// copying host structs.
#pragma once

#include <cstdint>

namespace ember::wasi {

enum class Errno : uint16_t {
#define EMBER_WASI_ERRNO(name, value, text, host) name = value,
#include "wasi/errno.def"
};

// Linux errno -> WASI errno (Io for anything unknown).
Errno errno_from_host(int host_errno);

enum : uint8_t {
  kFiletypeUnknown = 0,
  kFiletypeBlockDevice = 1,
  kFiletypeCharDevice = 2,
  kFiletypeDirectory = 3,
  kFiletypeRegularFile = 4,
  kFiletypeSocketDgram = 5,
  kFiletypeSocketStream = 6,
  kFiletypeSymlink = 7,
};

enum : uint32_t {
  kClockRealtime = 0,
  kClockMonotonic = 1,
  kClockProcessCputime = 2,
  kClockThreadCputime = 3,
};

enum : uint8_t { kWhenceSet = 0, kWhenceCur = 1, kWhenceEnd = 2 };

enum : uint16_t {  // fdflags
  kFdflagAppend = 1,
  kFdflagDsync = 2,
  kFdflagNonblock = 4,
  kFdflagRsync = 8,
  kFdflagSync = 16,
};
enum : uint16_t {  // oflags
  kOflagCreat = 1,
  kOflagDirectory = 2,
  kOflagExcl = 4,
  kOflagTrunc = 8,
};
enum : uint32_t { kLookupSymlinkFollow = 1 };
enum : uint16_t {  // fstflags
  kFstAtim = 1,
  kFstAtimNow = 2,
  kFstMtim = 4,
  kFstMtimNow = 8,
};
enum : uint8_t { kEventClock = 0, kEventFdRead = 1, kEventFdWrite = 2 };
enum : uint16_t { kSubclockAbstime = 1 };
enum : uint16_t { kEventFdHangup = 1 };
enum : uint16_t { kRiRecvPeek = 1, kRiRecvWaitall = 2 };
enum : uint16_t { kRoRecvDataTruncated = 1 };
enum : uint8_t { kSdRd = 1, kSdWr = 2 };
enum : uint8_t { kPreopenTypeDir = 0 };

// Rights bits.
enum : uint64_t {
  kRightFdDatasync = 1ull << 0,
  kRightFdRead = 1ull << 1,
  kRightFdSeek = 1ull << 2,
  kRightFdFdstatSetFlags = 1ull << 3,
  kRightFdSync = 1ull << 4,
  kRightFdTell = 1ull << 5,
  kRightFdWrite = 1ull << 6,
  kRightFdAdvise = 1ull << 7,
  kRightFdAllocate = 1ull << 8,
  kRightPathCreateDirectory = 1ull << 9,
  kRightPathCreateFile = 1ull << 10,
  kRightPathLinkSource = 1ull << 11,
  kRightPathLinkTarget = 1ull << 12,
  kRightPathOpen = 1ull << 13,
  kRightFdReaddir = 1ull << 14,
  kRightPathReadlink = 1ull << 15,
  kRightPathRenameSource = 1ull << 16,
  kRightPathRenameTarget = 1ull << 17,
  kRightPathFilestatGet = 1ull << 18,
  kRightPathFilestatSetSize = 1ull << 19,
  kRightPathFilestatSetTimes = 1ull << 20,
  kRightFdFilestatGet = 1ull << 21,
  kRightFdFilestatSetSize = 1ull << 22,
  kRightFdFilestatSetTimes = 1ull << 23,
  kRightPathSymlink = 1ull << 24,
  kRightPathRemoveDirectory = 1ull << 25,
  kRightPathUnlinkFile = 1ull << 26,
  kRightPollFdReadwrite = 1ull << 27,
  kRightSockShutdown = 1ull << 28,
  kRightSockAccept = 1ull << 29,
  kRightsAll = (1ull << 30) - 1,
};

// Rights that only make sense on a regular file / a directory / a stream.
inline constexpr uint64_t kRightsFile =
    kRightFdDatasync | kRightFdRead | kRightFdSeek | kRightFdFdstatSetFlags | kRightFdSync |
    kRightFdTell | kRightFdWrite | kRightFdAdvise | kRightFdAllocate | kRightFdFilestatGet |
    kRightFdFilestatSetSize | kRightFdFilestatSetTimes | kRightPollFdReadwrite;
inline constexpr uint64_t kRightsDir =
    kRightFdFdstatSetFlags | kRightFdSync | kRightFdAdvise | kRightPathCreateDirectory |
    kRightPathCreateFile | kRightPathLinkSource | kRightPathLinkTarget | kRightPathOpen |
    kRightFdReaddir | kRightPathReadlink | kRightPathRenameSource | kRightPathRenameTarget |
    kRightPathFilestatGet | kRightPathFilestatSetSize | kRightPathFilestatSetTimes |
    kRightFdFilestatGet | kRightFdFilestatSetTimes | kRightPathSymlink | kRightPathRemoveDirectory |
    kRightPathUnlinkFile;
inline constexpr uint64_t kRightsStream = kRightFdRead | kRightFdWrite | kRightFdFdstatSetFlags |
                                          kRightFdFilestatGet | kRightPollFdReadwrite;
inline constexpr uint64_t kRightsSocket = kRightsStream | kRightSockShutdown | kRightSockAccept;

// Record sizes and field offsets.
inline constexpr uint32_t kIovecSize = 8;  // buf u32 @0, len u32 @4
inline constexpr uint32_t kFdstatSize =
    24;  // filetype u8 @0, flags u16 @2, base u64 @8, inh u64 @16
inline constexpr uint32_t kFilestatSize =
    64;  // dev @0 ino @8 type u8 @16 nlink @24 size @32 atim @40 mtim @48 ctim @56
inline constexpr uint32_t kPrestatSize = 8;  // tag u8 @0, name_len u32 @4
inline constexpr uint32_t kDirentSize = 24;  // next u64 @0, ino u64 @8, namlen u32 @16, type u8 @20
inline constexpr uint32_t kSubscriptionSize = 48;  // userdata @0, tag u8 @8, union @16
inline constexpr uint32_t kEventSize =
    32;  // userdata @0, error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24

}  // namespace ember::wasi
