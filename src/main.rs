use std::process::ExitCode;

use clap::Parser;

/// mimalloc keeps freed pages for reuse: the system allocator hands large blocks back to the
/// kernel and zeroes fresh ones on every allocation, which cost a fifth of a 10M-lead run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    no_huge_pages();
    memory::keep_freed_between_steps();
    let cli = leadtune::cli::Cli::parse();
    match std::panic::catch_unwind(|| leadtune::cmd::run(cli)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(e.exit_code())
        }
        Err(_) => {
            eprintln!("error: leadtune crashed (a bug: please report it with the message above)");
            ExitCode::from(2)
        }
    }
}

/// Transparent huge pages off for this process. mimalloc asks for them on its 1 GiB arenas;
/// a huge page is resident whole as soon as one byte of it is touched, and is faulted in again
/// whole after mimalloc hands part of it back. At 10M leads that held 0.8 GiB more at the peak
/// (`leadtune validate`: 10.0 GiB with, 9.2 GiB without), for no gain in time.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE only sets a flag of this process; on failure
    // (an old kernel) nothing changes.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Freed memory kept for the next step, handed back at step boundaries when too much is kept.
///
/// By default mimalloc hands memory freed by a step back to the kernel a second
/// later, and the next step, asking for as much again, has every page of it faulted in and
/// zeroed anew: at 10M leads that was 6 million page faults and a quarter of the CPU time. So
/// freed memory is kept, and at each step boundary ([`leadtune::progress::lap`]) it is handed
/// back only when the process holds more than [`memory::KEEP`] above what it held after the
/// last hand-back.
mod memory {
    use std::sync::atomic::{AtomicU64, Ordering};

    use leadtune::progress::resident_bytes;

    /// mimalloc's `mi_option_purge_delay` (mimalloc 3's `mi_option_e`, which libmimalloc-sys
    /// does not name): milliseconds before freed memory is handed back.
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

    /// Held memory, as a share of what was held after the last hand-back, beyond which freed
    /// memory is handed back at the next step boundary.
    pub const KEEP: f64 = 0.25;

    /// Resident bytes after the last hand-back (0 before the first).
    static AFTER_LAST: AtomicU64 = AtomicU64::new(0);

    /// Sets it up, where the resident memory can be read and the purge delay is mimalloc's
    /// default of 1 s (not set by `MIMALLOC_PURGE_DELAY`, and the option is the one meant).
    pub fn keep_freed_between_steps() {
        if resident_bytes().is_none() {
            return;
        }
        // SAFETY: reads and sets one of mimalloc's options; any value is valid.
        unsafe {
            if libmimalloc_sys::mi_option_get(PURGE_DELAY) != 1000 {
                return;
            }
            libmimalloc_sys::mi_option_set(PURGE_DELAY, 3_600_000);
        }
        leadtune::progress::on_step_boundary(step_boundary);
    }

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
}
