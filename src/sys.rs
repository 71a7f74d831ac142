//! The only module with `unsafe`: thin wrappers over the system calls that privileges and
//! namespaces need (libc has no safe form of them). Each block calls one function with
//! arguments that are valid for it and checks its result.
#![allow(unsafe_code)]

use std::io;

/// The real user and group ids of this process.
pub fn ids() -> (u32, u32) {
    // SAFETY: getuid and getgid take no arguments, cannot fail and touch no memory of ours.
    unsafe { (libc::getuid(), libc::getgid()) }
}

/// The effective user id.
pub fn euid() -> u32 {
    // SAFETY: as for getuid.
    unsafe { libc::geteuid() }
}

fn check(ret: libc::c_int) -> io::Result<()> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Become `uid`/`gid` for good (supplementary groups: just `gid`), as tcpdump's `-Z` does.
/// Fails unless the process could change its ids (root or CAP_SETUID/CAP_SETGID).
pub fn drop_privileges(uid: u32, gid: u32) -> io::Result<()> {
    let groups = [gid as libc::gid_t];
    // SAFETY: `groups` is a valid array of 1 gid_t that outlives the call.
    check(unsafe { libc::setgroups(1, groups.as_ptr()) })?;
    // SAFETY: plain integer arguments.
    check(unsafe { libc::setresgid(gid, gid, gid) })?;
    // SAFETY: plain integer arguments.
    check(unsafe { libc::setresuid(uid, uid, uid) })?;
    // Make sure there is no way back.
    // SAFETY: plain integer argument; we expect this to fail.
    if uid != 0 && unsafe { libc::setuid(0) } == 0 {
        return Err(io::Error::other(
            "could regain root after dropping privileges",
        ));
    }
    Ok(())
}

/// Move this (single-threaded) process into a new user and network namespace, where it is
/// root with its own loopback, and bring that loopback up. Works without privileges where the
/// kernel allows unprivileged user namespaces.
pub fn enter_private_netns() -> io::Result<()> {
    let (uid, gid) = ids();
    // SAFETY: plain flag argument; the caller guarantees no other thread exists yet.
    check(unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET) })?;
    std::fs::write("/proc/self/setgroups", "deny")?;
    std::fs::write("/proc/self/uid_map", format!("0 {uid} 1"))?;
    std::fs::write("/proc/self/gid_map", format!("0 {gid} 1"))?;
    set_interface_up("lo")
}

/// `ip link set NAME up`.
pub fn set_interface_up(name: &str) -> io::Result<()> {
    // SAFETY: plain arguments; the result is checked before use.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let result = (|| {
        // SAFETY: ifreq is plain old data; all zeros is a valid value.
        let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
        let bytes = name.as_bytes();
        if bytes.len() >= req.ifr_name.len() {
            return Err(io::Error::other("interface name too long"));
        }
        for (dst, src) in req.ifr_name.iter_mut().zip(bytes) {
            *dst = *src as libc::c_char;
        }
        // SAFETY: fd is an open socket and req a valid ifreq for SIOCGIFFLAGS.
        check(unsafe { libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut req) })?;
        // SAFETY: reading the union member SIOCGIFFLAGS just wrote.
        unsafe {
            req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
        }
        // SAFETY: as above, for SIOCSIFFLAGS.
        check(unsafe { libc::ioctl(fd, libc::SIOCSIFFLAGS, &req) })
    })();
    // SAFETY: fd is ours and closed once.
    unsafe { libc::close(fd) };
    result
}

/// SO_LINGER with a zero timeout: close() then resets the connection instead of sending FIN.
pub fn set_linger_zero(fd: std::os::fd::RawFd) -> io::Result<()> {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: fd is an open socket of the caller's; `linger` is valid for the given size.
    check(unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    })
}

/// Wait until `fd` is readable or `timeout` passes (poll(2)); true when readable.
pub fn wait_readable(fd: std::os::fd::RawFd, timeout: std::time::Duration) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
    // SAFETY: `pfd` is one valid pollfd that outlives the call; nfds is 1.
    let ret = unsafe { libc::poll(&mut pfd, 1, ms) };
    match ret {
        -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => Ok(false),
        -1 => Err(io::Error::last_os_error()),
        0 => Ok(false),
        _ => Ok(true),
    }
}

/// How soon the allocator (mimalloc) gives freed memory back to the system: never when
/// `keep` (its pages are then faulted in again only the first time), else after 100 ms.
///
/// A replay's memory is flat: what it frees (summaries drawn, event batches, the buffers of
/// retired connections) it soon allocates again, so pages given back come back as page
/// faults, each a trap and a zeroed page. Where tracking binds (summaries only), keeping
/// them gained 1–2 % (a million connections: 11,300 faults with 100 ms, 5,800 kept); where
/// drawing binds (the ladder, JSON) it gained nothing and cost 6 MB of peak memory (the
/// ladder 48 → 55 MB), and a live capture that runs for hours should give back what a burst
/// took. Not sooner than 100 ms: with 1 ms the tracking thread kept giving pages back and
/// faulting them in again (about 8 % of its time); a second (mimalloc's default) let memory
/// pile up. The option is addressed by number, so it is only set when it holds its
/// documented default (an `MIMALLOC_PURGE_DELAY` from the environment wins).
pub fn release_freed_memory(keep: bool) {
    // `mi_option_purge_delay` in mimalloc v3 (libmimalloc-sys 0.1.49, pinned by Cargo.lock),
    // whose default is 1000 (ms); v2's was 10. Negative: never.
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: reads an integer from mimalloc's option table; any option number is accepted.
    // Not thread-safe: main calls this before starting any thread.
    let current = unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
    if matches!(current, 10 | 1000) {
        let delay = if keep { -1 } else { 100 };
        // SAFETY: writes an integer into mimalloc's option table, as above.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, delay) };
    }
}

/// Ask the CPU to bring `value`'s memory into the cache (every 64-byte line of it), ahead of
/// its use: a hint, with no effect on what the program computes.
#[inline]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let start = (value as *const T).cast::<i8>();
        let size = std::mem::size_of::<T>();
        // Every 64 bytes from the start, and the last byte: each line `value` occupies,
        // whatever its alignment, by a count of prefetches known when compiling (a straight
        // run of instructions; a loop up to the end of the start's line had a trip count
        // that varied with the address, and mispredicted). The last byte needs no prefetch
        // of its own when it cannot lie in another line than the start: a type aligned to
        // whole lines ends one, and one no larger than its alignment (a `u64`) never
        // straddles two.
        let mut offset = 0;
        while offset < size {
            // SAFETY: a prefetch never faults and reads nothing the program sees; the address
            // is inside `value` (wrapping arithmetic keeps it a plain address computation).
            unsafe { _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(offset)) };
            offset += 64;
        }
        let align = std::mem::align_of::<T>();
        if align % 64 != 0 && size > align {
            // SAFETY: as above; the address is `value`'s last byte.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(size - 1)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// Prefetching for writing (`PREFETCHW`), where the processor has it: asked once, when made,
/// then used as often as needed without asking again (the answer read from a `OnceLock` on
/// every frame made the reading thread 7 % slower).
#[derive(Clone, Copy, Debug)]
pub struct PrefetchWrite {
    available: bool,
}

impl PrefetchWrite {
    pub fn new() -> PrefetchWrite {
        #[cfg(target_arch = "x86_64")]
        let available = has_prefetchw();
        #[cfg(not(target_arch = "x86_64"))]
        let available = false;
        PrefetchWrite { available }
    }

    /// Ask the CPU to bring `value`'s memory into the cache ready to be written (every 64-byte
    /// line of it): a hint, with no effect on what the program computes.
    #[inline]
    pub fn prefetch<T>(self, value: &T) {
        #[cfg(target_arch = "x86_64")]
        if self.available {
            let start = (value as *const T).cast::<u8>();
            let size = std::mem::size_of::<T>();
            let mut offset = 0;
            while offset < size {
                // SAFETY: PREFETCHW (present: `available`) never faults and changes nothing
                // the program sees; the address is inside `value`.
                unsafe {
                    std::arch::asm!(
                        "prefetchw byte ptr [{0}]",
                        in(reg) start.wrapping_add(offset),
                        options(nostack, preserves_flags, readonly)
                    )
                };
                offset += 64;
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = value;
    }
}

impl Default for PrefetchWrite {
    fn default() -> Self {
        PrefetchWrite::new()
    }
}

/// Does the processor have `PREFETCHW` (CPUID 8000_0001h, ECX bit 8)? Asked once.
#[cfg(target_arch = "x86_64")]
fn has_prefetchw() -> bool {
    use std::arch::x86_64::__cpuid;
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| {
        // SAFETY: CPUID exists on every x86-64 processor.
        #[allow(unused_unsafe)]
        let max = unsafe { __cpuid(0x8000_0000) }.eax;
        if max < 0x8000_0001 {
            return false;
        }
        // SAFETY: as above; leaf 8000_0000h says that leaf 8000_0001h exists.
        #[allow(unused_unsafe)]
        let ecx = unsafe { __cpuid(0x8000_0001) }.ecx;
        ecx & (1 << 8) != 0
    })
}

/// Ask the system to back `region` with huge pages (2 MiB) where it can: its 2 MiB-aligned
/// part, given by `madvise(MADV_HUGEPAGE)`. A hint, with no effect on what the program
/// computes; memory not yet touched is what it applies to, and the process must be allowed
/// them ([`allow_advised_huge_pages`]).
pub fn advise_huge_pages<T>(region: &[T]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = region.as_ptr() as usize;
        let end = start + std::mem::size_of_val(region);
        let (from, to) = (start.next_multiple_of(HUGE), end / HUGE * HUGE);
        if from < to {
            // SAFETY: madvise with MADV_HUGEPAGE changes how the kernel backs these pages, not
            // their contents or their mapping; the range lies within `region`, which this
            // process owns, and an error (no THP in this kernel) leaves everything as it was.
            unsafe { libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = region;
}

/// Let the memory given to [`advise_huge_pages`] have huge pages, and only that memory.
///
/// mimalloc, built without them (the `no_thp` feature: with them a replay's peak memory grew
/// by 12-22 MB, over issue 7's 64 MB), turns huge pages off for the whole process at start
/// (`PR_SET_THP_DISABLE`). Linux 6.18 can keep them off except where asked for
/// (`PR_THP_DISABLE_EXCEPT_ADVISED`); older kernels lift the ban where the system gives huge
/// pages only when asked anyway (`enabled` is `madvise`), and keep it otherwise.
pub fn allow_advised_huge_pages() {
    #[cfg(target_os = "linux")]
    {
        // <linux/prctl.h>, Linux 6.18; not yet in the libc crate.
        const PR_THP_DISABLE_EXCEPT_ADVISED: libc::c_ulong = 1 << 1;
        // SAFETY: PR_SET_THP_DISABLE only sets the process's huge-page policy; the unused
        // arguments are zero, as prctl(2) requires, and a kernel without the flag refuses it
        // (EINVAL) without changing anything.
        let rc = unsafe {
            libc::prctl(
                libc::PR_SET_THP_DISABLE,
                1 as libc::c_ulong,
                PR_THP_DISABLE_EXCEPT_ADVISED,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
            )
        };
        if rc == 0 {
            return;
        }
        let on_request = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
            .is_ok_and(|mode| mode.contains("[madvise]"));
        if on_request {
            // SAFETY: as above; this lifts the process's ban.
            unsafe {
                libc::prctl(
                    libc::PR_SET_THP_DISABLE,
                    0 as libc::c_ulong,
                    0 as libc::c_ulong,
                    0 as libc::c_ulong,
                    0 as libc::c_ulong,
                )
            };
        }
    }
}

/// The CPU time (user and system) the calling thread has used so far, if the system tells.
pub fn thread_cpu_time() -> Option<std::time::Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given, which lives on this stack
    // frame; CLOCK_THREAD_CPUTIME_ID takes no other argument.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    let secs = u64::try_from(ts.tv_sec).ok()?;
    let nanos = u32::try_from(ts.tv_nsec).ok()?;
    (rc == 0).then(|| std::time::Duration::new(secs, nanos))
}

#[cfg(test)]
mod tests {
    /// `PREFETCHW` is used exactly where Linux says the processor has it, and prefetching
    /// changes nothing.
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    #[test]
    fn prefetch_for_writing_where_the_processor_has_it() {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap();
        let flags = cpuinfo.lines().find(|l| l.starts_with("flags")).unwrap();
        let linux_says = flags.split_whitespace().any(|f| f == "3dnowprefetch");
        assert_eq!(super::has_prefetchw(), linux_says);
        let value = [7u64; 40];
        super::PrefetchWrite::new().prefetch(&value);
        assert_eq!(value, [7u64; 40]);
    }

    #[test]
    fn ids_are_read() {
        let (uid, _gid) = super::ids();
        assert_eq!(uid, super::euid(), "tests do not run setuid");
    }

    /// Memory advised into huge pages gets them, where the system gives them on request.
    #[cfg(target_os = "linux")]
    #[test]
    fn advised_memory_gets_huge_pages() {
        let mode = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
            .unwrap_or_default();
        if !(mode.contains("[madvise]") || mode.contains("[always]")) {
            eprintln!("skipped: this system gives no transparent huge pages ({mode:?})");
            return;
        }
        super::allow_advised_huge_pages();
        let mut buf: Vec<u8> = Vec::with_capacity(16 << 20);
        super::advise_huge_pages(buf.spare_capacity_mut());
        buf.resize(16 << 20, 1);
        // Its first 2 MiB boundary, in the mapping that madvise split off for the advised part
        // (in /proc/self/smaps): that mapping's huge pages.
        let at = (buf.as_ptr() as usize).next_multiple_of(2 << 20);
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut inside = false;
        let mut huge_kb = None;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ') {
                if let Some((from, to)) = range.split_once('-') {
                    if let (Ok(from), Ok(to)) = (
                        usize::from_str_radix(from, 16),
                        usize::from_str_radix(to, 16),
                    ) {
                        inside = (from..to).contains(&at);
                        continue;
                    }
                }
            }
            if inside {
                if let Some(kb) = line.strip_prefix("AnonHugePages:") {
                    huge_kb = kb.trim().trim_end_matches(" kB").parse::<u64>().ok();
                }
            }
        }
        assert!(
            huge_kb.is_some_and(|kb| kb >= 2048),
            "16 MiB advised and written, huge pages: {huge_kb:?} kB"
        );
    }
}
