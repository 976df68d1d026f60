//! Colour for `heartbeat status`: state words in green (as wanted), yellow
//! (on the way) or red (needs an admin), only on a terminal and never when
//! `NO_COLOR` is set to anything (https://no-color.org). Pipes, files and
//! scripts get the plain words they always got.

use crate::control::{LinkState, LocalState, PeerStatus};
use std::fmt::Display;
use std::io::IsTerminal;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Good,
    Busy,
    Bad,
}

impl Tone {
    fn sgr(self) -> &'static str {
        match self {
            Tone::Good => "32",
            Tone::Busy => "33",
            Tone::Bad => "1;31",
        }
    }

    pub fn peer(s: PeerStatus) -> Tone {
        match s {
            PeerStatus::Active => Tone::Good,
            PeerStatus::Init | PeerStatus::Up => Tone::Busy,
            PeerStatus::Dead => Tone::Bad,
        }
    }

    pub fn link(s: LinkState) -> Tone {
        match s {
            LinkState::Up => Tone::Good,
            LinkState::Init => Tone::Busy,
            LinkState::Dead => Tone::Bad,
        }
    }

    pub fn local(s: LocalState) -> Tone {
        match s {
            LocalState::Running | LocalState::Stopped => Tone::Good,
            LocalState::Starting | LocalState::Stopping => Tone::Busy,
            LocalState::StopFailed => Tone::Bad,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Palette {
    on: bool,
}

impl Palette {
    /// Colour when stdout is a terminal and NO_COLOR is unset or empty.
    pub fn for_stdout() -> Palette {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Palette::new(std::io::stdout().is_terminal() && !no_color)
    }

    pub fn new(on: bool) -> Palette {
        Palette { on }
    }

    /// `word` in `tone`'s colour, or as it is.
    pub fn paint(self, word: impl Display, tone: Tone) -> String {
        if self.on {
            format!("\x1b[{}m{word}\x1b[0m", tone.sgr())
        } else {
            word.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_plain_unless_colour_is_on() {
        assert_eq!(Palette::new(false).paint("dead", Tone::Bad), "dead");
        assert_eq!(
            Palette::new(true).paint("dead", Tone::Bad),
            "\x1b[1;31mdead\x1b[0m"
        );
        assert_eq!(Tone::peer(PeerStatus::Active), Tone::Good);
        assert_eq!(Tone::local(LocalState::StopFailed), Tone::Bad);
    }
}
