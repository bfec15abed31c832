//! The guest's initramfs: a gzip-compressed newc cpio holding `/init`, the workload
//! binaries, the module and `/plan.json`. Written with the `cpio` and `flate2` crates.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// One file to put in the archive.
pub struct Entry {
    /// Path inside the guest, without the leading `/`.
    pub path: String,
    pub data: Source,
    pub mode: u32,
}

pub enum Source {
    File(PathBuf),
    Bytes(Vec<u8>),
}

/// Directories every guest needs (mount points).
const DIRS: &[&str] = &["bin", "dev", "proc", "sys", "tmp", "lib", "lib/modules"];

/// Write the archive to `out`.
pub fn write(out: &Path, entries: &[Entry]) -> Result<()> {
    let f = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut gz =
        flate2::write::GzEncoder::new(std::io::BufWriter::new(f), flate2::Compression::fast());
    let mut ino = 1u32;
    for d in DIRS {
        let w = cpio::newc::Builder::new(d)
            .ino(ino)
            .mode(0o040755)
            .nlink(2)
            .write(&mut gz, 0);
        w.finish()?;
        ino += 1;
    }
    // /dev/console must exist before devtmpfs is mounted: the kernel opens it as init's
    // stdin/stdout/stderr, and without it init's messages would go nowhere.
    let w = cpio::newc::Builder::new("dev/console")
        .ino(ino)
        .mode(0o020600)
        .nlink(1)
        .rdev_major(5)
        .rdev_minor(1)
        .write(&mut gz, 0);
    w.finish()?;
    ino += 1;
    for e in entries {
        let data = match &e.data {
            Source::File(p) => std::fs::read(p)
                .with_context(|| format!("reading {} for the initramfs", p.display()))?,
            Source::Bytes(b) => b.clone(),
        };
        let mut w = cpio::newc::Builder::new(&e.path)
            .ino(ino)
            .mode(0o100000 | e.mode)
            .nlink(1)
            .write(&mut gz, data.len() as u32);
        w.write_all(&data)?;
        w.finish()?;
        ino += 1;
    }
    let gz = cpio::newc::trailer(gz)?;
    gz.finish()?.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_lists_init_and_plan() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("initrd.gz");
        write(
            &out,
            &[
                Entry {
                    path: "init".into(),
                    data: Source::Bytes(b"\x7fELF".to_vec()),
                    mode: 0o755,
                },
                Entry {
                    path: "plan.json".into(),
                    data: Source::Bytes(b"{}".to_vec()),
                    mode: 0o644,
                },
            ],
        )
        .unwrap();
        // Read it back with the same crate: names, modes and contents survive.
        let gz = flate2::read::GzDecoder::new(std::fs::File::open(&out).unwrap());
        let mut r = std::io::BufReader::new(gz);
        let mut seen = Vec::new();
        loop {
            let mut rd = cpio::newc::Reader::new(r).unwrap();
            if rd.entry().is_trailer() {
                break;
            }
            let name = rd.entry().name().to_string();
            let mode = rd.entry().mode();
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut rd, &mut buf).unwrap();
            seen.push((name, mode, buf));
            r = rd.finish().unwrap();
        }
        assert!(seen
            .iter()
            .any(|(n, m, b)| n == "init" && *m == 0o100755 && b == b"\x7fELF"));
        assert!(seen.iter().any(|(n, _, b)| n == "plan.json" && b == b"{}"));
        assert!(seen.iter().any(|(n, m, _)| n == "dev" && *m == 0o040755));
    }
}
