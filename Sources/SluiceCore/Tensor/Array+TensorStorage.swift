#if canImport(Glibc)
import Glibc
#endif

extension Array where Element: BitwiseCopyable {
    /// Storage of this many bytes or more is a fresh mapping on every allocation: glibc's mmap
    /// threshold rises with the blocks freed only up to 32 MiB (DEFAULT_MMAP_THRESHOLD_MAX on
    /// 64-bit), so a larger block is never reused, and every 4 KiB page of it faults when first
    /// written. For a 51 MB answer that is 12,500 faults, about 20 ms on the 2-core test machine,
    /// against 5 ms to write the bytes. Below it, freed blocks come back from the heap warm.
    package static var hugePageBytes: Int { 32 << 20 }

    /// As `init(unsafeUninitializedCapacity:initializingWith:)`, for a tensor's elements: when
    /// the storage is at least `hugePageBytes`, its whole 2 MiB pages are first advised into
    /// transparent huge pages (`MADV_HUGEPAGE`), so writing it faults once per 2 MiB instead of
    /// once per 4 KiB (about 1 ms instead of 20 for 51 MB). Only this array's own storage is
    /// advised, which the kernel forgets when glibc unmaps it; with THP off (`never`) or absent
    /// the advice is refused or ignored and nothing changes. The kernel's `defrag` setting
    /// decides whether a fault may wait for compaction (`madvise`, the default, lets it); a
    /// host with fragmented memory can see that stall instead of the 4 KiB faults.
    ///
    /// Called by backends building large answers, on the request's thread.
    package init(
        tensorCapacity capacity: Int,
        initializingWith initializer: (inout UnsafeMutableBufferPointer<Element>, inout Int) -> Void
    ) {
        self.init(unsafeUninitializedCapacity: capacity) { buffer, initialized in
            let bytes = buffer.count * MemoryLayout<Element>.stride
            if bytes >= Self.hugePageBytes, let base = buffer.baseAddress {
                Self.adviseHugePages(UnsafeMutableRawPointer(base), bytes: bytes)
            }
            initializer(&buffer, &initialized)
        }
    }

    /// Advises the 2 MiB-aligned pages inside `bytes` from `base`; a refusal changes nothing.
    private static func adviseHugePages(_ base: UnsafeMutableRawPointer, bytes: Int) {
        #if canImport(Glibc)
        let huge = 2 << 20
        let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
        let end = (Int(bitPattern: base) + bytes) & ~(huge - 1)
        guard end > start, let first = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(first, end - start, MADV_HUGEPAGE)
        #endif
    }
}
