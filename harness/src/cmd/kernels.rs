//! `pinbench kernels list|prepare`.

use crate::cli::KernelsCommand;
use crate::exit;
use crate::kernel::{self, cache, debian};

pub fn main(c: KernelsCommand) -> anyhow::Result<i32> {
    match c {
        KernelsCommand::List { available } => {
            if available {
                let releases = debian::available_releases()?;
                if releases.is_empty() {
                    return Err(kernel::KernelError::NoAptKernels.into());
                }
                for r in releases {
                    let cached = if debian::cache_dir(&r).exists() {
                        "  (cached)"
                    } else {
                        ""
                    };
                    println!("debian:{r}{cached}");
                }
            } else {
                let dir = cache::root().join("debian");
                let mut any = false;
                if let Ok(rd) = std::fs::read_dir(&dir) {
                    let mut names: Vec<String> = rd
                        .filter_map(|e| e.ok())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .filter(|n| !n.starts_with('.'))
                        .collect();
                    names.sort_by_key(|n| debian::version_key(n));
                    for n in names {
                        println!("debian:{n}");
                        any = true;
                    }
                }
                if !any {
                    eprintln!("no kernels in {} yet; `pinbench kernels list --available` shows what can be fetched", dir.display());
                }
            }
            Ok(exit::OK)
        }
        KernelsCommand::Prepare { specs } => {
            let mut code = exit::OK;
            let available = || debian::available_releases();
            for s in specs {
                let progress = |m: &str| eprintln!("[{s}] {m}");
                match kernel::prepare(&s, &available, &progress).and_then(|k| {
                    let ko = kernel::module::build(&k)?;
                    Ok((k, ko))
                }) {
                    Ok((k, ko)) => println!(
                        "{s}: {} image {} module {}",
                        k.release,
                        k.image.display(),
                        ko.display()
                    ),
                    Err(e) => {
                        eprintln!("error: {s}: {e:#}");
                        code = crate::cmd::exit_code_of(&e);
                    }
                }
            }
            Ok(code)
        }
    }
}
