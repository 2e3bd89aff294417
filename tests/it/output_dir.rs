//! The output directory (issue 27, items 3 and 6): what is carried over from an earlier run
//! (regular files and directories only, never through a link, never a FIFO), which
//! directories are refused, the lock against a second run, a swap that cannot happen, and
//! `generate` into a directory that holds files.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{command, leadtune, leadtune_ok, root, text};

/// The small fixture (inputs and `leadtune.toml`) in a fresh temp dir, below `sub` of it.
fn small(sub: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let at = dir.path().join(sub);
    std::fs::create_dir_all(&at).unwrap();
    for entry in std::fs::read_dir(root().join("tests/fixtures/small")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), at.join(entry.file_name())).unwrap();
    }
    (dir, at)
}

/// Every file below `dir`, by relative path, with its bytes.
fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                files.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// The hidden entries of `dir` (staging directories, lock files).
fn hidden(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[track_caller]
fn assert_refused(out: &Output, fragments: &[&str]) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for f in fragments {
        assert!(stderr.contains(f), "{f:?} not in: {stderr}");
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(unix)]
#[test]
fn links_fifos_and_devices_of_an_old_output_are_left_behind_not_followed() {
    use std::os::unix::fs::symlink;
    let (dir, at) = small("w");
    leadtune_ok(&at, &["traits", "--out", "out"]);
    let out = at.join("out");
    // The analyst's own files, with their permissions.
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    set_mode(&out.join("notes.txt"), 0o600);
    std::fs::create_dir(out.join("mine")).unwrap();
    std::fs::write(out.join("mine/a.txt"), "a").unwrap();
    set_mode(&out.join("mine/a.txt"), 0o640);
    // A link to a system directory, a link to a file, a FIFO (opening it would block for
    // ever) and a link inside a carried directory.
    symlink("/etc", out.join("etc")).unwrap();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "not to be copied").unwrap();
    set_mode(&secret, 0o600);
    symlink(&secret, out.join("linked.txt")).unwrap();
    symlink(&secret, out.join("mine/linked.txt")).unwrap();
    let fifo = std::ffi::CString::new(out.join("pipe").to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let mut child = command(&at)
        .args(["traits", "--out", "out"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed().as_secs() > 120 {
            let _ = child.kill();
            panic!("traits hangs on an old output holding a FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let run = child.wait_with_output().unwrap();
    let stderr = text(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    for name in ["etc", "linked.txt", "pipe"] {
        assert!(
            std::fs::symlink_metadata(out.join(name)).is_err(),
            "{name} was carried over"
        );
        assert!(
            stderr.contains(&format!("{name} not carried over")),
            "no warning for {name}: {stderr}"
        );
    }
    assert!(
        stderr.contains("a symbolic link") && stderr.contains("FIFO"),
        "{stderr}"
    );
    assert!(std::fs::symlink_metadata(out.join("mine/linked.txt")).is_err());
    // Regular files carried with their permissions; the run's own outputs written anew.
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(mode(&out.join("notes.txt")), 0o600);
    assert_eq!(
        std::fs::read_to_string(out.join("mine/a.txt")).unwrap(),
        "a"
    );
    assert_eq!(mode(&out.join("mine/a.txt")), 0o640);
    assert!(out.join("manifest.json").is_file());
    // Nothing of /etc anywhere, the linked file where it was.
    assert!(
        !files(&out)
            .keys()
            .any(|k| k.contains("passwd") || k.contains("hosts"))
    );
    assert_eq!(
        std::fs::read_to_string(&secret).unwrap(),
        "not to be copied"
    );
    assert_eq!(hidden(&at), Vec::<String>::new());
}

#[test]
fn the_root_the_home_directory_and_a_folder_of_the_inputs_are_refused() {
    let (dir, at) = small("w");
    let out = leadtune(&at, &["traits", "--out", "/"]);
    assert_refused(&out, &["refused as the output directory", "root directory"]);
    // The home directory, and a folder holding it.
    let home = dir.path().join("home/me");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("diary.txt"), "mine").unwrap();
    for (target, why) in [
        (home.clone(), "it is your home directory"),
        (dir.path().join("home"), "it holds your home directory"),
    ] {
        let out = command(&at)
            .env("HOME", &home)
            .args(["traits", "--out", target.to_str().unwrap()])
            .output()
            .unwrap();
        assert_refused(&out, &["refused as the output directory", why]);
    }
    assert_eq!(
        files(&dir.path().join("home"))
            .into_keys()
            .collect::<Vec<_>>(),
        vec!["me/diary.txt".to_string()]
    );
    // The inputs' own folder (`--out .` beside them), and one above it.
    let before = files(dir.path());
    for target in [".", ".."] {
        let out = leadtune(&at, &["traits", "--out", target]);
        assert_refused(
            &out,
            &["refused as the output directory", "holds this run's input"],
        );
    }
    assert!(files(dir.path()) == before, "a refused run changed files");
    // A folder beside the inputs is fine.
    leadtune_ok(&at, &["traits", "--out", "reports/latest"]);
}

#[test]
fn score_and_export_sql_never_write_over_their_inputs() {
    let dir = tempfile::tempdir().unwrap();
    crate::privacy::write_history(dir.path());
    leadtune_ok(dir.path(), &["run", "--out", "out"]);
    let before = files(dir.path());
    for (args, input) in [
        (
            vec![
                "score",
                "--model",
                "out/scoring-config.json",
                "--leads",
                "leads.csv",
            ],
            "leads.csv",
        ),
        (
            vec![
                "score",
                "--model",
                "out/scoring-config.json",
                "--leads",
                "leads.csv",
            ],
            "out/scoring-config.json",
        ),
        (
            vec![
                "export-sql",
                "--model",
                "out/scoring-config.json",
                "--dialect",
                "sqlite",
            ],
            "out/scoring-config.json",
        ),
    ] {
        let mut args = args.clone();
        args.extend(["--out", input]);
        let out = leadtune(dir.path(), &args);
        assert_refused(
            &out,
            &["refused as the output file", "this command's input"],
        );
    }
    assert!(
        files(dir.path()) == before,
        "a refused command changed files"
    );
}

#[test]
fn a_second_run_on_a_locked_output_exits_1_naming_the_first() {
    let (_dir, at) = small("w");
    leadtune_ok(&at, &["traits", "--out", "out"]);
    let before = files(&at.join("out"));
    // Hold the lock as a run does: the file locked, our pid in it.
    let lock_path = at.join(".out.leadtune.lock");
    let mut lock = std::fs::File::create(&lock_path).unwrap();
    lock.try_lock().unwrap();
    use std::io::Write;
    writeln!(lock, "{}", std::process::id()).unwrap();
    let out = leadtune(&at, &["traits", "--out", "out"]);
    assert_refused(
        &out,
        &[
            &format!("another leadtune run (pid {})", std::process::id()),
            ".out.leadtune.lock",
            "another --out",
        ],
    );
    assert!(files(&at.join("out")) == before);
    drop(lock);
    // Released (as when that run ends, however it ends): the next run goes through, and
    // removes the lock file it took.
    leadtune_ok(&at, &["traits", "--out", "out"]);
    assert_eq!(hidden(&at), Vec::<String>::new());
}

#[test]
fn concurrent_runs_on_one_output_never_break_each_other() {
    let (_dir, at) = small("w");
    for _round in 0..3 {
        let children: Vec<_> = (0..3)
            .map(|_| {
                command(&at)
                    .args(["traits", "--out", "out"])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut succeeded = 0;
        for child in children {
            let out = child.wait_with_output().unwrap();
            let stderr = text(&out.stderr);
            if out.status.success() {
                succeeded += 1;
            } else {
                // The only failure allowed: the lock, with its clear message.
                assert_eq!(out.status.code(), Some(1), "{stderr}");
                assert!(stderr.contains("another leadtune run (pid "), "{stderr}");
            }
        }
        assert!(succeeded >= 1);
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(at.join("out/manifest.json")).unwrap()).unwrap();
        assert_eq!(m["command"], "traits");
        assert_eq!(hidden(&at), Vec::<String>::new());
    }
}

/// Runs `args` in `cwd` as a user the permissions hold for: this one, or `nobody` (with
/// `tree` handed to it) when the tests run as root, whom a read-only mode does not stop.
#[cfg(unix)]
fn unprivileged(cwd: &Path, tree: &Path, args: &[&str]) -> Output {
    use std::os::unix::process::CommandExt;
    let mut cmd = command(cwd);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let status = std::process::Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(tree)
            .status()
            .unwrap();
        assert!(status.success());
        cmd.uid(65534).gid(65534);
    }
    cmd.args(args).output().unwrap()
}

#[cfg(unix)]
#[test]
fn a_swap_that_cannot_happen_leaves_the_old_outputs_intact_and_visible() {
    let (dir, at) = small("w");
    set_mode(dir.path(), 0o755);
    leadtune_ok(&at, &["traits", "--out", "p/out"]);
    let parent = at.join("p");
    let out_dir = parent.join("out");
    std::fs::write(out_dir.join("notes.txt"), "mine").unwrap();
    let before = files(&out_dir);
    // The parent read-only: no staging directory, no lock, no swap.
    set_mode(&parent, 0o555);
    let out = unprivileged(&at, dir.path(), &["traits", "--out", "p/out"]);
    set_mode(&parent, 0o755);
    assert_refused(&out, &["not writable"]);
    assert!(files(&out_dir) == before, "the old outputs changed");
    assert_eq!(hidden(&parent), Vec::<String>::new());
    // The output directory itself read-only: refused before anything is written (it would
    // be swapped out and could not be removed).
    set_mode(&out_dir, 0o555);
    let out = unprivileged(&at, dir.path(), &["traits", "--out", "p/out"]);
    set_mode(&out_dir, 0o755);
    assert_refused(&out, &["read-only", "chmod u+w"]);
    assert!(files(&out_dir) == before, "the old outputs changed");
    assert_eq!(hidden(&parent), Vec::<String>::new());
    // Writable again: the run goes through and keeps the analyst's file.
    let out = unprivileged(&at, dir.path(), &["traits", "--out", "p/out"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(out_dir.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(hidden(&parent), Vec::<String>::new());
}

#[test]
fn generate_refuses_a_directory_holding_files_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("g");
    std::fs::create_dir(&g).unwrap();
    std::fs::write(g.join("leads.csv"), "my own leads").unwrap();
    let out = leadtune(dir.path(), &["generate", "--out", "g", "--leads", "200"]);
    assert_refused(&out, &["not empty", "leads.csv", "--force"]);
    assert_eq!(
        std::fs::read_to_string(g.join("leads.csv")).unwrap(),
        "my own leads"
    );
    assert!(!g.join("leadtune.toml").exists());
    // An empty or new directory is fine; --force overwrites.
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    leadtune_ok(
        dir.path(),
        &["generate", "--out", "empty", "--leads", "200"],
    );
    leadtune_ok(
        dir.path(),
        &["generate", "--out", "g", "--leads", "200", "--force"],
    );
    assert_eq!(
        std::fs::read(g.join("leads.csv")).unwrap(),
        std::fs::read(dir.path().join("empty/leads.csv")).unwrap()
    );
}

#[test]
fn traits_after_run_leaves_none_of_the_run_s_outputs_beside_its_own() {
    let dir = tempfile::tempdir().unwrap();
    crate::privacy::write_history(dir.path());
    leadtune_ok(dir.path(), &["run", "--out", "out"]);
    let out = dir.path().join("out");
    for name in ["scoring-config.json", "report.html", "points.csv", "charts"] {
        assert!(out.join(name).exists(), "run wrote no {name}");
    }
    std::fs::write(out.join("my-notes.txt"), "mine").unwrap();
    leadtune_ok(dir.path(), &["traits", "--out", "out"]);
    for name in [
        "scoring-config.json",
        "scoring-config.schema.json",
        "report.html",
        "points.csv",
        "evaluation.json",
        "scored_leads.parquet",
        "charts",
    ] {
        assert!(
            !out.join(name).exists(),
            "{name} of the run kept beside traits"
        );
    }
    assert!(out.join("traits.csv").is_file());
    assert_eq!(
        std::fs::read_to_string(out.join("my-notes.txt")).unwrap(),
        "mine"
    );
    let m = crate::common::json(&out.join("manifest.json"));
    assert_eq!(m["command"], "traits");
}
