//! Progress on long steps, on standard error; silent when it is not a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A byte-counting bar for reading a file of `total` bytes.
pub fn bytes(total: u64, message: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{msg:30} [{bar:30}] {bytes}/{total_bytes} ({eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message.to_string());
    bar
}

/// A counter for producing `total` items (e.g. generated leads).
pub fn items(total: u64, message: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{msg:30} [{bar:30}] {pos}/{len} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message.to_string());
    bar
}

/// A spinner for a step of unknown length; drawn only after two seconds.
pub fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    bar.set_message(message.to_string());
    bar.enable_steady_tick(std::time::Duration::from_secs(2));
    bar
}

/// The process's resident memory in bytes, from `/proc/self/status` (None where there is
/// none).
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// What the program does at every step boundary (every [`lap`]), set once with
/// [`on_step_boundary`].
static STEP_BOUNDARY: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

/// Sets what runs at every step boundary, before the lap is measured: the binary hands freed
/// memory back to the system there (the library knows no allocator). A second call is ignored.
pub fn on_step_boundary(hook: fn()) {
    let _ = STEP_BOUNDARY.set(hook);
}

/// A step boundary: runs the hook set with [`on_step_boundary`], if any. Then, for profiling,
/// with `LEADTUNE_LAPS` set, prints to standard error the seconds since the
/// first lap and since the previous one, the CPU seconds used since the previous one (user +
/// system, from `/proc/self/stat`), the system seconds and minor page faults among them, with
/// `label` and the resident memory (from
/// `/proc/self/status` where there is one). Prints nothing otherwise.
pub fn lap(label: &str) {
    use std::sync::{Mutex, OnceLock};
    use std::time::Instant;
    static ON: OnceLock<bool> = OnceLock::new();
    type Stat = (f64, f64, f64);
    static LAST: Mutex<Option<(Instant, Instant, Stat)>> = Mutex::new(None);
    if let Some(hook) = STEP_BOUNDARY.get() {
        hook();
    }
    if !*ON.get_or_init(|| std::env::var_os("LEADTUNE_LAPS").is_some()) {
        return;
    }
    let now = Instant::now();
    let Ok(mut last) = LAST.lock() else { return };
    // User + system CPU seconds so far (fields 14 and 15 of /proc/self/stat, in ticks of 1/100
    // s), system seconds alone, and minor page faults so far (field 10).
    let stat = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1;
            let f: Vec<&str> = after.split_whitespace().collect();
            let user = f.get(11)?.parse::<f64>().ok()? / 100.0;
            let sys = f.get(12)?.parse::<f64>().ok()? / 100.0;
            Some((user + sys, sys, f.get(7)?.parse::<f64>().ok()?))
        })
        .unwrap_or((0.0, 0.0, 0.0));
    let (first, previous, before) = last.unwrap_or((now, now, stat));
    *last = Some((first, now, stat));
    let rss = resident_bytes().map_or(String::new(), |bytes| {
        format!(" rss {:.2} GiB", bytes as f64 / 1_073_741_824.0)
    });
    eprintln!(
        "[lap] {:7.2} s (+{:6.2}, cpu {:6.2}, sys {:5.2}, faults {:8}) {label}{rss}",
        (now - first).as_secs_f64(),
        (now - previous).as_secs_f64(),
        stat.0 - before.0,
        stat.1 - before.1,
        stat.2 - before.2
    );
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    static BOUNDARIES: AtomicUsize = AtomicUsize::new(0);

    fn count() {
        BOUNDARIES.fetch_add(1, Ordering::SeqCst);
    }

    /// Every lap runs the hook set once; a second hook is ignored.
    #[test]
    fn every_lap_is_a_step_boundary() {
        super::on_step_boundary(count);
        super::on_step_boundary(|| panic!("a second hook replaced the first"));
        let before = BOUNDARIES.load(Ordering::SeqCst);
        super::lap("one");
        super::lap("two");
        assert!(BOUNDARIES.load(Ordering::SeqCst) >= before + 2);
    }
}
