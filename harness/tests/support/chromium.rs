//! Headless Chromium for the HTML report tests: load a file, collect what its console said,
//! dump the DOM, take a screenshot and tell whether the screenshot shows anything.
//!
//! Debian's `chromium` package (installed by scripts/setup-host.sh); run as root with
//! `--no-sandbox`, with a fresh profile, and every background network feature off. The page
//! under test has no script, so *any* console message (Chromium logs them as
//! `INFO:CONSOLE` with `--enable-logging=stderr --v=0`, whatever their level) is a failure:
//! it means something ran or failed to load.

#![allow(dead_code)]

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The browser binary; panics with the fix when it is missing (never a silent skip).
pub fn binary() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "headless Chromium is needed to test the HTML report and was not found in PATH: \
         install Debian's `chromium` package (`apt-get install chromium`, or run \
         scripts/setup-host.sh, which .ci/run calls)"
    );
}

/// What loading a page gave.
#[derive(Debug)]
pub struct Loaded {
    /// The DOM after load (`--dump-dom`).
    pub dom: String,
    /// Console messages the page produced.
    pub console: Vec<String>,
}

/// Run chromium with `args` on `url`, stdout and stderr into files, killed (with its
/// process group) after `timeout`. Returns (stdout, stderr).
fn run(args: &[String], url: &str, timeout: Duration) -> (String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (out_p, err_p) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let profile = dir.path().join("profile");
    let mut child = Command::new(binary())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_p).unwrap())
        .stderr(std::fs::File::create(&err_p).unwrap())
        .process_group(0)
        .spawn()
        .expect("start chromium");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if start.elapsed() > timeout {
            // Chromium's helpers share its process group: end them all.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = std::fs::read_to_string(&out_p).unwrap_or_default();
    let err = String::from_utf8_lossy(&std::fs::read(&err_p).unwrap_or_default()).into_owned();
    let status = status.unwrap_or_else(|| {
        panic!("chromium did not finish within {timeout:?} on {url}; its stderr:\n{err}")
    });
    assert!(
        status.success(),
        "chromium failed ({status}) on {url}:\n{err}"
    );
    (out, err)
}

fn url_of(html: &Path) -> String {
    format!(
        "file://{}",
        html.canonicalize().expect("html exists").display()
    )
}

/// Load `html`, return its DOM and console messages.
pub fn load(html: &Path) -> Loaded {
    let (dom, err) = run(
        &[
            "--enable-logging=stderr".into(),
            "--v=0".into(),
            "--dump-dom".into(),
        ],
        &url_of(html),
        Duration::from_secs(120),
    );
    let console = err
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .map(str::to_string)
        .collect();
    Loaded { dom, console }
}

/// Screenshot `html` into `png` at `width` x `height`.
pub fn screenshot(html: &Path, png: &Path, width: u32, height: u32) {
    run(
        &[
            format!("--window-size={width},{height}"),
            format!("--screenshot={}", png.display()),
        ],
        &url_of(html),
        Duration::from_secs(120),
    );
    assert!(
        png.is_file(),
        "chromium wrote no screenshot {}",
        png.display()
    );
}

/// Distinct colours in a PNG and the fraction of pixels that are not white.
pub fn colours(png: &Path) -> (usize, f64) {
    let decoder = png::Decoder::new(std::fs::File::open(png).expect("open png"));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png frame");
    let data = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    assert_eq!(info.bit_depth, png::BitDepth::Eight, "unexpected PNG depth");
    let mut seen = std::collections::HashSet::new();
    let mut non_white = 0usize;
    let mut total = 0usize;
    for px in data.chunks_exact(channels) {
        let rgb = [px[0], px[1.min(channels - 1)], px[2.min(channels - 1)]];
        seen.insert(rgb);
        total += 1;
        non_white += (rgb != [255, 255, 255]) as usize;
    }
    (seen.len(), non_white as f64 / total.max(1) as f64)
}
