//! The allocator and its tuning: the binary's business only (the library never calls it).
//!
//! mimalloc keeps freed pages for reuse: the system allocator hands large blocks back to the
//! kernel and zeroes fresh ones on every allocation, which cost a fifth of a 10M-lead run.
//! Freed memory is kept for the next step and handed back at step boundaries when too much is
//! kept ([`step_boundary`], run by the command line's observer at every step).

use std::sync::atomic::{AtomicU64, Ordering};

use leadtune::observe::resident_bytes;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (mimalloc 3's `mi_option_e`, which libmimalloc-sys
/// does not name): milliseconds before freed memory is handed back.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Held memory, as a share of what was held after the last hand-back, beyond which freed
/// memory is handed back at the next step boundary.
const KEEP: f64 = 0.25;

/// Resident bytes after the last hand-back (0 before the first).
static AFTER_LAST: AtomicU64 = AtomicU64::new(0);

/// Sets the process up; returns the hook to run at every step boundary, if there is one.
///
/// Transparent huge pages go off for this process: mimalloc asks for them on its 1 GiB arenas;
/// a huge page is resident whole as soon as one byte of it is touched, and is faulted in again
/// whole after mimalloc hands part of it back. At 10M leads that held 0.8 GiB more at the peak
/// (`leadtune validate`: 10.0 GiB with, 9.2 GiB without), for no gain in time.
///
/// Then freed memory is kept between steps. By default mimalloc hands memory freed by a step
/// back to the kernel a second later, and the next step, asking for as much again, has every
/// page of it faulted in and zeroed anew: at 10M leads that was 6 million page faults and a
/// quarter of the CPU time. So the purge delay is lengthened, and at each step boundary freed
/// memory is handed back only when the process holds more than [`KEEP`] above what it held
/// after the last hand-back. Only where the resident memory can be read and the purge delay is
/// mimalloc's default of 1 s (not set by `MIMALLOC_PURGE_DELAY`, and the option is the one
/// meant).
pub fn tune() -> Option<fn()> {
    no_huge_pages();
    resident_bytes()?;
    // SAFETY: reads and sets one of mimalloc's options; any value is valid.
    unsafe {
        if libmimalloc_sys::mi_option_get(PURGE_DELAY) != 1000 {
            return None;
        }
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 3_600_000);
    }
    Some(step_boundary)
}

fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE only sets a flag of this process; on failure
    // (an old kernel) nothing changes.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Hands freed memory back when the process holds a quarter more than after the last time.
fn step_boundary() {
    let Some(held) = resident_bytes() else { return };
    if held as f64 > AFTER_LAST.load(Ordering::Relaxed) as f64 * (1.0 + KEEP) {
        // Every thread's freed pages go back to their arenas, then the arenas' freed
        // memory to the kernel.
        rayon::broadcast(|_| hand_back());
        hand_back();
        AFTER_LAST.store(resident_bytes().unwrap_or(held), Ordering::Relaxed);
    }
}

fn hand_back() {
    // SAFETY: mimalloc's collection of the calling thread's free pages and of every
    // arena's freed memory; safe at any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}
