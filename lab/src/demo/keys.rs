//! Keys that act when pressed: the terminal goes to cbreak mode (no line
//! buffering, no echo; Ctrl-C still interrupts) while the live view runs,
//! and a [`RawMode`] guard puts it back in `Drop`, so a quit, an error, a
//! panic or Ctrl-C (which ends the loop, see `INTERRUPTED`) all leave the
//! user's shell as it was. Without a terminal (stdin a pipe or /dev/null)
//! the keys arrive as the pipe delivers them.

use nix::sys::termios::{self, LocalFlags, SetArg, SpecialCharacterIndices, Termios};
use std::io::Read;
use std::sync::mpsc::{Receiver, channel};

/// The terminal's settings before the demo changed them.
pub struct RawMode {
    saved: Termios,
}

impl RawMode {
    /// Cbreak mode on stdin; `None` when stdin is not a terminal.
    pub fn enter() -> Option<RawMode> {
        let stdin = std::io::stdin();
        let saved = termios::tcgetattr(&stdin).ok()?;
        let mut raw = saved.clone();
        raw.local_flags
            .remove(LocalFlags::ICANON | LocalFlags::ECHO);
        // One byte at a time, waiting for it.
        raw.control_chars[SpecialCharacterIndices::VMIN as usize] = 1;
        raw.control_chars[SpecialCharacterIndices::VTIME as usize] = 0;
        termios::tcsetattr(&stdin, SetArg::TCSANOW, &raw).ok()?;
        Some(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(std::io::stdin(), SetArg::TCSANOW, &self.saved);
    }
}

/// Each key (byte) read from stdin, from a thread of its own so the view
/// keeps redrawing while nobody types. The channel closes at end of input.
pub fn reader() -> Receiver<u8> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut b = [0u8; 1];
        while let Ok(1) = stdin.read(&mut b) {
            if tx.send(b[0]).is_err() {
                break;
            }
        }
    });
    rx
}
