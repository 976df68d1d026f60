//! Diagnostics produced while reading /etc/ha.d: one message per problem,
//! each naming its file and (when there is one) its line.
//!
//! Owns only the collector and the two public carriers; it must never decide
//! what is an error: the parsers do.

use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// One finding: `FILE:LINE: message` (or `FILE: message` for whole-file ones).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(n) => write!(f, "{}:{}: {}", self.file.display(), n, self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// Every error found in one load, in file order; `Display` prints one per line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<Diagnostic>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Collects errors and warnings so parsing can go on after the first problem.
#[derive(Debug, Default)]
pub struct Diags {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

impl Diags {
    pub fn error(&mut self, file: &Path, line: Option<usize>, message: impl Into<String>) {
        self.errors.push(Diagnostic {
            file: file.to_path_buf(),
            line,
            message: message.into(),
        });
    }

    pub fn warn(&mut self, file: &Path, line: Option<usize>, message: impl Into<String>) {
        self.warnings.push(Diagnostic {
            file: file.to_path_buf(),
            line,
            message: message.into(),
        });
    }

    /// A view bound to one file, so parsers need not repeat the path.
    pub fn for_file<'a>(&'a mut self, file: &'a Path) -> FileDiags<'a> {
        FileDiags { file, diags: self }
    }
}

pub struct FileDiags<'a> {
    pub file: &'a Path,
    diags: &'a mut Diags,
}

impl FileDiags<'_> {
    pub fn error(&mut self, line: usize, message: impl Into<String>) {
        self.diags.error(self.file, Some(line), message);
    }
    pub fn warn(&mut self, line: usize, message: impl Into<String>) {
        self.diags.warn(self.file, Some(line), message);
    }
    /// An error at `line`, or about the whole file when there is no line.
    pub fn error_at(&mut self, line: Option<usize>, message: impl Into<String>) {
        self.diags.error(self.file, line, message);
    }
    pub fn file_error(&mut self, message: impl Into<String>) {
        self.diags.error(self.file, None, message);
    }
    pub fn file_warn(&mut self, message: impl Into<String>) {
        self.diags.warn(self.file, None, message);
    }
    /// A warning at `line`, or about the whole file when there is no line.
    pub fn warn_at(&mut self, line: Option<usize>, message: impl Into<String>) {
        self.diags.warn(self.file, line, message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostic_display_is_file_colon_line_colon_message() {
        let d = Diagnostic {
            file: "/etc/ha.d/ha.cf".into(),
            line: Some(7),
            message: "boom".into(),
        };
        assert_eq!(d.to_string(), "/etc/ha.d/ha.cf:7: boom");
        let whole = Diagnostic { line: None, ..d };
        assert_eq!(whole.to_string(), "/etc/ha.d/ha.cf: boom");
    }

    #[test]
    fn config_errors_print_one_per_line() {
        let mut d = Diags::default();
        d.error(Path::new("a"), Some(1), "x");
        d.error(Path::new("b"), None, "y");
        assert_eq!(ConfigErrors(d.errors).to_string(), "a:1: x\nb: y");
    }
}
