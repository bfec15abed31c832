//! A forked child process driven step by step over two pipes, for the workloads that
//! observe memory across `fork()` (`cow`, `fork-cost`).
//!
//! The parent and the child exchange 8-byte words: the parent tells the child what to do
//! next and waits for its answer, so every observation (a pagemap read, a READ through a
//! pin) happens at a known point of the child's life. The child ends with `_exit()` (no
//! destructors, no stdio flush of the parent's buffers); a dead child makes the parent's
//! read fail instead of hanging, and a dead parent makes the child exit (PDEATHSIG and EOF).

use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, pipe, ForkResult, Pid};
use std::fs::File;
use std::io::{Read, Write};

/// One end of the word channel.
pub struct Link {
    tx: File,
    rx: File,
}

impl Link {
    /// Send one word.
    pub fn tell(&mut self, w: u64) -> Result<(), String> {
        self.tx
            .write_all(&w.to_ne_bytes())
            .map_err(|e| format!("pipe write: {e}"))
    }

    /// Wait for one word; an error when the other side is gone.
    pub fn hear(&mut self) -> Result<u64, String> {
        let mut b = [0u8; 8];
        self.rx
            .read_exact(&mut b)
            .map_err(|e| format!("the other process went away ({e})"))?;
        Ok(u64::from_ne_bytes(b))
    }
}

/// The parent's handle on a forked child. Dropping it kills and reaps the child.
pub struct Forked {
    pub pid: Pid,
    pub link: Link,
    reaped: bool,
}

impl Forked {
    /// Fork; the child runs `body` with its end of the link and `_exit`s with its return
    /// value. The calling process must be single-threaded (the workloads are).
    pub fn spawn<F: FnOnce(&mut Link) -> i32>(body: F) -> Result<Forked, String> {
        let (p_rx, c_tx) = pipe().map_err(|e| format!("pipe: {e}"))?;
        let (c_rx, p_tx) = pipe().map_err(|e| format!("pipe: {e}"))?;
        match unsafe { fork() } {
            Ok(ForkResult::Child) => {
                unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
                drop(p_rx);
                drop(p_tx);
                let mut link = Link {
                    tx: File::from(c_tx),
                    rx: File::from(c_rx),
                };
                let code = body(&mut link);
                unsafe { libc::_exit(code) }
            }
            Ok(ForkResult::Parent { child }) => Ok(Forked {
                pid: child,
                link: Link {
                    tx: File::from(p_tx),
                    rx: File::from(p_rx),
                },
                reaped: false,
            }),
            Err(e) => Err(format!("fork: {e}")),
        }
    }

    /// The child's pid as a /proc path component.
    pub fn proc_pid(&self) -> String {
        self.pid.as_raw().to_string()
    }

    /// Wait for the child to end (after telling it to).
    pub fn wait(mut self) -> Result<WaitStatus, String> {
        self.reaped = true;
        waitpid(self.pid, None).map_err(|e| format!("waitpid: {e}"))
    }
}

impl Drop for Forked {
    fn drop(&mut self) {
        if !self.reaped {
            let _ = kill(self.pid, Signal::SIGKILL);
            let _ = waitpid(self.pid, None);
        }
    }
}
