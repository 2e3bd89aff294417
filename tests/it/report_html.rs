//! `report.html` in a real browser: headless Chromium loads the page, and the test listens for
//! console messages (Chromium logs each as `CONSOLE`) and for any request (Chromium is pointed
//! at a local proxy that records every request it is sent). A canary page with an external image
//! and a `console.error` first proves that the harness sees both.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{leadtune_ok, root};

/// Chromium: `LEADTUNE_CHROMIUM`, else `chromium` on the path, installed by the project's
/// script when missing.
fn chromium() -> PathBuf {
    if let Ok(p) = std::env::var("LEADTUNE_CHROMIUM") {
        return PathBuf::from(p);
    }
    let found = || {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join("chromium"))
                .find(|p| p.is_file())
        })
    };
    if let Some(p) = found() {
        return p;
    }
    eprintln!("chromium is missing: running scripts/install-chromium.sh");
    let status = Command::new(root().join("scripts/install-chromium.sh"))
        .status()
        .expect("run scripts/install-chromium.sh");
    assert!(
        status.success(),
        "the report's browser test needs Chromium: scripts/install-chromium.sh could not \
         install it (set LEADTUNE_CHROMIUM to a Chromium binary)"
    );
    found().expect("chromium on the path after scripts/install-chromium.sh")
}

/// Requests Chromium makes by itself (time, update and sign-in checks) despite the flags that
/// turn background networking off; anything else came from the page.
fn chromium_own(request: &str) -> bool {
    let host = request
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .split(['/', ':'])
        .next()
        .unwrap_or("")
        .to_string();
    let fonts = host.starts_with("fonts.");
    !fonts
        && ["google.com", "googleapis.com", "gvt1.com", "gstatic.com"]
            .iter()
            .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

struct Visit {
    console: Vec<String>,
    requests: Vec<String>,
}

/// Loads `page` in headless Chromium, takes a screenshot to `shot`, and reports what the page
/// logged and requested.
fn visit(page: &Path, shot: &Path, profile: &Path) -> Visit {
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = proxy.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    {
        let seen = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in proxy.incoming().flatten() {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let mut line = String::new();
                let _ = BufReader::new(&stream).read_line(&mut line);
                seen.lock().unwrap().push(line.trim().to_string());
            }
        });
    }
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--enable-logging=stderr",
            "--v=0",
            "--hide-scrollbars",
            "--window-size=1280,2400",
        ])
        .arg(format!("--proxy-server=http://127.0.0.1:{port}"))
        .arg("--proxy-bypass-list=<-loopback>")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .filter(|l| l.contains(":CONSOLE"))
            .collect::<Vec<_>>()
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "chromium did not finish loading {} in 120 s",
                page.display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let console = reader.join().unwrap();
    // Requests still in flight reach the proxy within moments.
    std::thread::sleep(Duration::from_millis(300));
    let requests = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|r| !chromium_own(r))
        .cloned()
        .collect();
    Visit { console, requests }
}

fn png(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_default();
    assert!(
        bytes.starts_with(b"\x89PNG"),
        "no screenshot at {}",
        path.display()
    );
    bytes
}

#[test]
fn the_report_loads_in_chromium_with_no_console_message_and_no_request() {
    let dir = tempfile::tempdir().unwrap();
    // The harness can fail: a page that logs an error and fetches an image is caught.
    let canary = dir.path().join("canary.html");
    std::fs::write(
        &canary,
        "<!DOCTYPE html><html><body><img src=\"http://example.com/pixel.png\">\
         <script>console.error('canary')</script></body></html>",
    )
    .unwrap();
    let v = visit(
        &canary,
        &dir.path().join("canary.png"),
        &dir.path().join("profile-canary"),
    );
    assert!(
        v.console.iter().any(|l| l.contains("canary")),
        "the harness missed a console.error: {:?}",
        v.console
    );
    assert!(
        v.requests.iter().any(|r| r.contains("example.com")),
        "the harness missed a request: {:?}",
        v.requests
    );

    let out = dir.path().join("run");
    leadtune_ok(&root(), &["run", "--out", out.to_str().unwrap()]);
    let page = out.join("report.html");
    let shot = dir.path().join("report.png");
    let v = visit(&page, &shot, &dir.path().join("profile"));
    assert!(v.console.is_empty(), "console: {:#?}", v.console);
    assert!(v.requests.is_empty(), "requests: {:#?}", v.requests);
    assert!(png(&shot).len() > 50_000, "a blank screenshot");
    // Every chart the page promises is inlined, not linked.
    let html = std::fs::read_to_string(&page).unwrap();
    // (minijinja writes the `/` of `image/svg+xml` as an entity, which the browser decodes.)
    let inlined = html.matches("src=\"data:image").count();
    assert!(inlined >= 8, "{inlined} inlined charts");
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
}

/// Names that would run as markup if a value were not escaped.
const EVIL: [&str; 4] = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "A & B \"quoted\" 'single'",
    "=HYPERLINK(\"http://x\",\"y\")",
];

#[test]
fn every_value_on_the_page_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let mut leads = String::from("lead_id,created_at,first_response_at,source,campaign,plan\n");
    let mut deals = String::from("deal_id,lead_id,status,closed_at,amount\n");
    for i in 0..800 {
        let month = 1 + i % 12;
        let day = 1 + i % 28;
        leads.push_str(&format!(
            "L{i},2023-{month:02}-{day:02}T09:00:00,2023-{month:02}-{day:02}T1{}:00:00,\"{}\",\"{}\",\"{}\"\n",
            i % 10,
            EVIL[i % 4].replace('"', "\"\""),
            EVIL[(i + 1) % 4].replace('"', "\"\""),
            EVIL[(i / 4) % 4].replace('"', "\"\""),
        ));
        if i % 3 == 0 {
            deals.push_str(&format!(
                "D{i},L{i},{},2024-{month:02}-28,100\n",
                if i % 2 == 0 || i % 5 == 0 {
                    "won"
                } else {
                    "lost"
                },
            ));
        }
    }
    let mut spend = String::from("source,campaign,period,cost\n");
    for s in EVIL {
        spend.push_str(&format!(
            "\"{}\",\"{}\",2023-03,250\n",
            s.replace('"', "\"\""),
            s.replace('"', "\"\"")
        ));
    }
    std::fs::write(dir.path().join("leads.csv"), leads).unwrap();
    std::fs::write(dir.path().join("deals.csv"), deals).unwrap();
    std::fs::write(dir.path().join("spend.csv"), spend).unwrap();
    std::fs::write(
        dir.path().join("leadtune.toml"),
        "[input]\nleads = \"leads.csv\"\ndeals = \"deals.csv\"\nspend = \"spend.csv\"\n\
         [outcome]\nhorizon_days = 400\n",
    )
    .unwrap();
    leadtune_ok(
        dir.path(),
        &["run", "--out", "out", "--as-of", "2025-06-30"],
    );
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    let near = |needle: &str| -> Vec<String> {
        html.match_indices(needle)
            .map(|(i, _)| {
                html.get(i.saturating_sub(40)..i + 40)
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    };
    for escaped in [
        "&lt;script&gt;alert(1)&lt;",
        "&lt;img src=x onerror=alert(2)&gt;",
        "A &amp; B &quot;quoted&quot;",
    ] {
        assert!(html.contains(escaped), "{escaped}: {:#?}", near("alert"));
    }
    assert!(!html.contains("<script"), "no script element");
    assert!(!html.contains("<img src=x"));
    // The charts (inlined and as files) carry the names escaped too.
    let charts = dir.path().join("out/charts");
    let mut svgs = 0;
    for entry in std::fs::read_dir(&charts).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "svg") {
            svgs += 1;
            let svg = std::fs::read_to_string(&path).unwrap();
            assert!(!svg.contains("<script"), "{}", path.display());
            assert!(!svg.contains("<img"), "{}", path.display());
        }
    }
    assert!(svgs >= 4, "{svgs} charts");
    // And in a browser nothing runs: an injected script or handler would log a CSP violation.
    let v = visit(
        &dir.path().join("out/report.html"),
        &dir.path().join("evil.png"),
        &dir.path().join("profile"),
    );
    assert!(v.console.is_empty(), "console: {:#?}", v.console);
    assert!(v.requests.is_empty(), "requests: {:#?}", v.requests);
}
