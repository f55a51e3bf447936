//! The bounded reader every importer reads through.
//!
//! It counts the bytes handed out and refuses to go past `max_input_bytes`; for XML it
//! also measures the run of bytes since the last `<` or `>`, so no single tag or text
//! node (which quick-xml buffers whole) can grow past `max_token_bytes`.

use std::io::{self, BufRead, Read};

use crate::{ImportError, Limits};

#[derive(Debug)]
enum GuardLimit {
    Input(u64),
    Token(usize),
}

impl std::fmt::Display for GuardLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GuardLimit::Input(l) => write!(f, "input larger than {l} bytes"),
            GuardLimit::Token(l) => write!(f, "token longer than {l} bytes"),
        }
    }
}

impl std::error::Error for GuardLimit {}

/// The limit an I/O error from [`Guarded`] stands for.
pub(crate) fn limit_of(e: &io::Error) -> Option<ImportError> {
    let inner = e.get_ref()?.downcast_ref::<GuardLimit>()?;
    Some(match inner {
        GuardLimit::Input(limit) => ImportError::TooLarge { limit: *limit },
        GuardLimit::Token(limit) => ImportError::TokenTooLong { limit: *limit },
    })
}

pub(crate) struct Guarded<R> {
    inner: R,
    read: u64,
    max_input: u64,
    max_token: usize,
    /// Bytes since the last delimiter; only measured when `delims` is set.
    run: usize,
    delims: Option<[u8; 2]>,
}

impl<R: BufRead> Guarded<R> {
    pub(crate) fn new(inner: R, limits: Limits) -> Self {
        Guarded {
            inner,
            read: 0,
            max_input: limits.max_input_bytes,
            max_token: limits.max_token_bytes,
            run: 0,
            delims: None,
        }
    }

    /// Measure runs between `<` and `>` from now on.
    pub(crate) fn xml_mode(&mut self) {
        self.delims = Some([b'<', b'>']);
    }

    pub(crate) fn max_token(&self) -> usize {
        self.max_token
    }

    /// The first buffered bytes, without consuming them.
    pub(crate) fn peek_head(&mut self) -> Result<&[u8], ImportError> {
        self.inner.fill_buf().map_err(ImportError::Io)
    }

    fn check(&self) -> io::Result<()> {
        if self.read > self.max_input {
            return Err(io::Error::other(GuardLimit::Input(self.max_input)));
        }
        if self.run > self.max_token {
            return Err(io::Error::other(GuardLimit::Token(self.max_token)));
        }
        Ok(())
    }
}

impl<R: BufRead> Read for Guarded<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            if let (Some(dst), Some(src)) = (out.get_mut(..n), buf.get(..n)) {
                dst.copy_from_slice(src);
            }
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Guarded<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.check()?;
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Some([a, b]) = self.delims
            && let Ok(buf) = self.inner.fill_buf()
        {
            let part = buf.get(..amt).unwrap_or(buf);
            match part.iter().rposition(|&c| c == a || c == b) {
                Some(i) => self.run = part.len() - i - 1,
                None => self.run += part.len(),
            }
        }
        self.read += amt as u64;
        self.inner.consume(amt);
    }
}
