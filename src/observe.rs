//! What a long run tells whoever started it, while it runs: each step as it ends, and progress
//! bars on long steps.
//!
//! The library only calls an [`Observer`] passed in; it prints nothing itself and keeps no
//! global state. The binary's observer ([`Console`]) draws the bars on standard error, prints
//! the laps with `LEADTUNE_LAPS` set, and runs the binary's own step-boundary hook (where the
//! allocator hands freed memory back); a library user passes [`Silent`] or their own.

use std::sync::Mutex;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A long step's progress: what it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Bytes of a file read, out of this many.
    Bytes(u64),
    /// Items made (leads generated), out of this many.
    Items(u64),
    /// A step of unknown length.
    Step,
}

/// Told of a run's steps as they end, and asked for a bar to show a long step's progress.
/// Both have do-nothing defaults. `Sync`: stages call it from their worker threads too.
pub trait Observer: Sync {
    /// A step has ended; `label` names it (`"ingest: leads read"`).
    fn step(&self, label: &str) {
        let _ = label;
    }

    /// A bar for a long step; the stage advances and finishes it. Hidden by default.
    fn progress(&self, work: Work, message: &str) -> ProgressBar {
        let _ = (work, message);
        ProgressBar::hidden()
    }
}

/// Observes nothing: for library callers and tests.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Observer for Silent {}

/// The command line's observer: bars on standard error (drawn when it is a terminal), laps
/// with `LEADTUNE_LAPS` set, and the binary's hook at every step boundary.
pub struct Console {
    /// Run at every step boundary, before the lap is measured (the binary hands freed memory
    /// back there; the library knows no allocator).
    on_step: Option<fn()>,
    /// `Some` when laps are printed: the first lap's and the previous lap's instants and CPU.
    laps: Option<Mutex<Option<(Instant, Instant, Cpu)>>>,
}

/// CPU seconds (user + system), system seconds alone, and minor page faults, so far.
type Cpu = (f64, f64, f64);

impl Console {
    /// `on_step`: the binary's step-boundary hook. Laps are printed when `LEADTUNE_LAPS` is set.
    pub fn new(on_step: Option<fn()>) -> Console {
        Console {
            on_step,
            laps: std::env::var_os("LEADTUNE_LAPS").map(|_| Mutex::new(None)),
        }
    }
}

impl Observer for Console {
    /// Runs the hook; then, with `LEADTUNE_LAPS` set, prints to standard error the seconds since
    /// the first lap and since the previous one, the CPU seconds used since the previous one
    /// (user + system, from `/proc/self/stat`), the system seconds and minor page faults among
    /// them, with `label` and the resident memory (where `/proc/self/status` has it).
    fn step(&self, label: &str) {
        if let Some(hook) = self.on_step {
            hook();
        }
        let Some(laps) = &self.laps else { return };
        let now = Instant::now();
        let Ok(mut last) = laps.lock() else { return };
        let cpu = cpu_so_far();
        let (first, previous, before) = last.unwrap_or((now, now, cpu));
        *last = Some((first, now, cpu));
        let rss = resident_bytes().map_or(String::new(), |bytes| {
            format!(" rss {:.2} GiB", bytes as f64 / 1_073_741_824.0)
        });
        eprintln!(
            "[lap] {:7.2} s (+{:6.2}, cpu {:6.2}, sys {:5.2}, faults {:8}) {label}{rss}",
            (now - first).as_secs_f64(),
            (now - previous).as_secs_f64(),
            cpu.0 - before.0,
            cpu.1 - before.1,
            cpu.2 - before.2
        );
    }

    fn progress(&self, work: Work, message: &str) -> ProgressBar {
        match work {
            Work::Bytes(total) => bar(
                Some(total),
                "{msg:30} [{bar:30}] {bytes}/{total_bytes} ({eta})",
                message,
            ),
            Work::Items(total) => bar(
                Some(total),
                "{msg:30} [{bar:30}] {pos}/{len} ({eta})",
                message,
            ),
            Work::Step => {
                // Drawn only after two seconds.
                let spinner = bar(None, "{spinner} {msg} ({elapsed})", message);
                spinner.enable_steady_tick(std::time::Duration::from_secs(2));
                spinner
            }
        }
    }
}

/// A bar on standard error with `template` (a bar of `=>` where it has one).
fn bar(total: Option<u64>, template: &str, message: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message.to_string());
    bar
}

/// User + system CPU seconds so far (fields 14 and 15 of `/proc/self/stat`, in ticks of 1/100
/// s), system seconds alone, and minor page faults so far (field 10); zeros where there is no
/// `/proc`.
fn cpu_so_far() -> Cpu {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1;
            let f: Vec<&str> = after.split_whitespace().collect();
            let user = f.get(11)?.parse::<f64>().ok()? / 100.0;
            let sys = f.get(12)?.parse::<f64>().ok()? / 100.0;
            Some((user + sys, sys, f.get(7)?.parse::<f64>().ok()?))
        })
        .unwrap_or((0.0, 0.0, 0.0))
}

/// The process's resident memory in bytes, from `/proc/self/status` (None where there is
/// none).
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    static BOUNDARIES: AtomicUsize = AtomicUsize::new(0);

    fn count() {
        BOUNDARIES.fetch_add(1, Ordering::SeqCst);
    }

    /// Every step the console is told of runs its hook once.
    #[test]
    fn every_step_is_a_boundary() {
        let console = Console::new(Some(count));
        let before = BOUNDARIES.load(Ordering::SeqCst);
        console.step("one");
        console.step("two");
        assert_eq!(BOUNDARIES.load(Ordering::SeqCst), before + 2);
    }

    /// The silent observer's bars draw nothing.
    #[test]
    fn silent_bars_are_hidden() {
        assert!(Silent.progress(Work::Step, "x").is_hidden());
        assert!(Silent.progress(Work::Bytes(10), "x").is_hidden());
    }
}
