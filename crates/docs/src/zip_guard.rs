//! Limits for every zipped format Khiên opens (XLSX, DOCX, scanner archives).
//!
//! A few kilobytes of ZIP can inflate to gigabytes, and the sizes an archive declares
//! can lie. So an archive is checked twice: once by its central directory before any
//! entry is opened, and again while entries are inflated, counting the bytes really
//! produced. Both checks give the same typed error, never a panic.

use std::io::{self, Cursor, Read, Seek};

use zip::ZipArchive;

const MIB: u64 = 1024 * 1024;
const MAX_READ: usize = 64 * 1024;

/// What an archive may hold. [`ZipLimits::office`] suits office documents uploaded by
/// people; a caller with other needs builds its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZipLimits {
    /// Entries in the central directory, directories included.
    pub max_entries: usize,
    /// Bytes inflated from all entries together.
    pub max_total_uncompressed: u64,
    /// Bytes inflated from any one entry.
    pub max_entry_uncompressed: u64,
    /// Inflated bytes per compressed byte, for entries above `ratio_applies_above`.
    pub max_ratio: u64,
    /// Small XML parts legitimately compress far better than 200:1, and cannot hurt:
    /// the ratio only matters once an entry is big.
    pub ratio_applies_above: u64,
}

impl ZipLimits {
    /// Office documents: a real workbook or report of a unit is a few megabytes.
    pub const fn office() -> Self {
        ZipLimits {
            max_entries: 2_000,
            max_total_uncompressed: 64 * MIB,
            max_entry_uncompressed: 32 * MIB,
            max_ratio: 200,
            ratio_applies_above: MIB,
        }
    }
}

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits::office()
    }
}

/// Why an archive was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZipGuardError {
    /// No central directory, damaged or encrypted data, or a compression we do not read.
    #[error("not a readable ZIP archive")]
    NotZip,
    #[error("the archive has more than {limit} entries")]
    TooManyEntries { limit: usize },
    /// `entry` is the entry that crossed the limit, whether its own or the archive's.
    #[error("{entry}: the archive inflates to more than {limit} bytes")]
    TooLarge { entry: String, limit: u64 },
    #[error("{entry}: inflates more than {limit} times its compressed size")]
    RatioTooHigh { entry: String, limit: u64 },
}

impl ZipGuardError {
    /// The guard's error behind an I/O error from a [`GuardedEntry`], so that a parser
    /// reading through it (which only sees `io::Error`) can still tell a bomb from damage.
    pub fn from_io(e: &io::Error) -> ZipGuardError {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<ZipGuardError>())
            .cloned()
            .unwrap_or(ZipGuardError::NotZip)
    }
}

/// Checks a whole archive: its central directory, then every entry inflated to nowhere.
/// For callers that hand the archive on to code without its own guard.
pub fn check_archive<R: Read + Seek>(reader: R, limits: ZipLimits) -> Result<(), ZipGuardError> {
    let mut archive = GuardedArchive::new(reader, limits)?;
    for index in 0..archive.len() {
        let mut entry = archive.entry_at(index)?;
        io::copy(&mut entry, &mut io::sink()).map_err(|e| ZipGuardError::from_io(&e))?;
    }
    Ok(())
}

/// [`check_archive`] for an archive already in memory.
pub fn check_bytes(bytes: &[u8], limits: ZipLimits) -> Result<(), ZipGuardError> {
    check_archive(Cursor::new(bytes), limits)
}

/// An archive whose central directory passed the limits; its entries are read through
/// [`GuardedEntry`], which keeps enforcing them on the bytes really inflated.
pub struct GuardedArchive<R> {
    archive: ZipArchive<R>,
    limits: ZipLimits,
    /// Shared by every entry read from this archive, so that many small entries cannot
    /// add up to more than the archive's limit either.
    inflated: u64,
}

impl<'a> GuardedArchive<Cursor<&'a [u8]>> {
    pub fn from_bytes(bytes: &'a [u8], limits: ZipLimits) -> Result<Self, ZipGuardError> {
        GuardedArchive::new(Cursor::new(bytes), limits)
    }
}

impl<R: Read + Seek> GuardedArchive<R> {
    /// Reads the central directory and refuses the archive if what it declares is
    /// already beyond the limits.
    pub fn new(reader: R, limits: ZipLimits) -> Result<Self, ZipGuardError> {
        let archive = ZipArchive::new(reader).map_err(|_| ZipGuardError::NotZip)?;
        if archive.len() > limits.max_entries {
            return Err(ZipGuardError::TooManyEntries {
                limit: limits.max_entries,
            });
        }
        let mut total: u64 = 0;
        for index in 0..archive.len() {
            let entry = archive
                .by_index_data(index)
                .map_err(|_| ZipGuardError::NotZip)?;
            let name = || String::from_utf8_lossy(entry.name_raw()).into_owned();
            let size = entry.size();
            if size > limits.max_entry_uncompressed {
                return Err(ZipGuardError::TooLarge {
                    entry: name(),
                    limit: limits.max_entry_uncompressed,
                });
            }
            total = total.saturating_add(size);
            if total > limits.max_total_uncompressed {
                return Err(ZipGuardError::TooLarge {
                    entry: name(),
                    limit: limits.max_total_uncompressed,
                });
            }
            if ratio_too_high(size, entry.compressed_size(), &limits) {
                return Err(ZipGuardError::RatioTooHigh {
                    entry: name(),
                    limit: limits.max_ratio,
                });
            }
        }
        Ok(GuardedArchive {
            archive,
            limits,
            inflated: 0,
        })
    }

    pub fn len(&self) -> usize {
        self.archive.len()
    }

    pub fn is_empty(&self) -> bool {
        self.archive.is_empty()
    }

    pub fn limits(&self) -> ZipLimits {
        self.limits
    }

    /// The index of an entry by its exact name, or failing that ignoring ASCII case:
    /// some writers spell `xl/sharedStrings.xml` differently and Excel does not care.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.archive.index_for_name(name).or_else(|| {
            self.archive
                .file_names_raw()
                .position(|n| n.eq_ignore_ascii_case(name.as_bytes()))
        })
    }

    /// Opens an entry by name; `None` when the archive has no such entry.
    pub fn entry(&mut self, name: &str) -> Result<Option<GuardedEntry<'_>>, ZipGuardError> {
        match self.index_of(name) {
            Some(index) => self.entry_at(index).map(Some),
            None => Ok(None),
        }
    }

    pub fn entry_at(&mut self, index: usize) -> Result<GuardedEntry<'_>, ZipGuardError> {
        let GuardedArchive {
            archive,
            limits,
            inflated,
        } = self;
        let inner = archive.by_index(index).map_err(|_| ZipGuardError::NotZip)?;
        let name = String::from_utf8_lossy(inner.name_raw()).into_owned();
        let compressed = inner.compressed_size();
        Ok(GuardedEntry {
            inner: Box::new(inner),
            name,
            compressed,
            produced: 0,
            inflated,
            limits: *limits,
            failed: None,
        })
    }

    /// Reads a whole entry into memory, within the limits.
    pub fn read_entry(&mut self, name: &str) -> Result<Option<Vec<u8>>, ZipGuardError> {
        let Some(mut entry) = self.entry(name)? else {
            return Ok(None);
        };
        let mut out = Vec::new();
        entry
            .read_to_end(&mut out)
            .map_err(|e| ZipGuardError::from_io(&e))?;
        Ok(Some(out))
    }
}

fn ratio_too_high(size: u64, compressed: u64, limits: &ZipLimits) -> bool {
    size > limits.ratio_applies_above && size > compressed.saturating_mul(limits.max_ratio)
}

/// One entry being inflated. Its reads fail (with a [`ZipGuardError`] inside the
/// `io::Error`, see [`ZipGuardError::from_io`]) as soon as the bytes produced pass a
/// limit, whatever the archive declared.
///
/// The zip crate (9.x) also stops an entry at the size it declares and calls the excess
/// damage; this count does not rely on that, and it alone keeps the archive's total.
pub struct GuardedEntry<'a> {
    inner: Box<dyn Read + 'a>,
    name: String,
    compressed: u64,
    produced: u64,
    inflated: &'a mut u64,
    limits: ZipLimits,
    /// A refused entry stays refused, even if the caller retries the read.
    failed: Option<ZipGuardError>,
}

impl GuardedEntry<'_> {
    pub fn name(&self) -> &str {
        &self.name
    }

    fn breach(&self) -> Option<ZipGuardError> {
        let too_large = |limit| ZipGuardError::TooLarge {
            entry: self.name.clone(),
            limit,
        };
        if self.produced > self.limits.max_entry_uncompressed {
            return Some(too_large(self.limits.max_entry_uncompressed));
        }
        if *self.inflated > self.limits.max_total_uncompressed {
            return Some(too_large(self.limits.max_total_uncompressed));
        }
        if ratio_too_high(self.produced, self.compressed, &self.limits) {
            return Some(ZipGuardError::RatioTooHigh {
                entry: self.name.clone(),
                limit: self.limits.max_ratio,
            });
        }
        None
    }
}

impl Read for GuardedEntry<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = &self.failed {
            return Err(io::Error::other(e.clone()));
        }
        // Bounding each read bounds how far past a limit the inflater can get before the
        // count notices, whatever buffer the caller (say `read_to_end`) hands in.
        let len = buf.len().min(MAX_READ);
        let n = self.inner.read(&mut buf[..len])?;
        let n64 = n as u64;
        self.produced = self.produced.saturating_add(n64);
        *self.inflated = self.inflated.saturating_add(n64);
        if let Some(e) = self.breach() {
            self.failed = Some(e.clone());
            return Err(io::Error::other(e));
        }
        Ok(n)
    }
}

/// Archives for tests, honest or lying.
#[cfg(test)]
pub(crate) mod testing {
    use std::io::{Cursor, Write};

    use zip::CompressionMethod;
    use zip::write::SimpleFileOptions;

    pub(crate) fn archive(entries: &[(&str, &[u8])]) -> Vec<u8> {
        archive_with(entries, CompressionMethod::Deflated)
    }

    pub(crate) fn archive_with(entries: &[(&str, &[u8])], method: CompressionMethod) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(method);
        for (name, data) in entries {
            w.start_file(*name, options).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn u16_at(b: &[u8], at: usize) -> usize {
        usize::from(u16::from_le_bytes([b[at], b[at + 1]]))
    }

    fn u32_at(b: &[u8], at: usize) -> usize {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
    }

    /// Rewrites the uncompressed size every entry declares, in its local header and in
    /// the central directory alike, as a bomb would. Walks the real structure (an archive
    /// without a comment, as `archive` writes), so that compressed data that happens to
    /// look like a header is left alone.
    pub(crate) fn lie_about_sizes(bytes: &mut [u8], declared: u32) {
        let eocd = bytes.len() - 22;
        assert_eq!(&bytes[eocd..eocd + 4], b"PK\x05\x06");
        let entries = u16_at(bytes, eocd + 10);
        let mut at = u32_at(bytes, eocd + 16);
        for _ in 0..entries {
            assert_eq!(&bytes[at..at + 4], b"PK\x01\x02");
            let local = u32_at(bytes, at + 42);
            assert_eq!(&bytes[local..local + 4], b"PK\x03\x04");
            bytes[at + 24..at + 28].copy_from_slice(&declared.to_le_bytes());
            bytes[local + 22..local + 26].copy_from_slice(&declared.to_le_bytes());
            at += 46 + u16_at(bytes, at + 28) + u16_at(bytes, at + 30) + u16_at(bytes, at + 32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{archive, lie_about_sizes};
    use super::*;

    #[test]
    fn reads_an_ordinary_archive() {
        let bytes = archive(&[("a.xml", b"<a/>"), ("b/c.txt", b"hello")]);
        check_bytes(&bytes, ZipLimits::office()).unwrap();
        let mut z = GuardedArchive::from_bytes(&bytes, ZipLimits::office()).unwrap();
        assert_eq!(z.len(), 2);
        assert_eq!(z.read_entry("b/c.txt").unwrap().unwrap(), b"hello");
        assert_eq!(z.read_entry("B/C.TXT").unwrap().unwrap(), b"hello");
        assert!(z.read_entry("missing").unwrap().is_none());
    }

    #[test]
    fn refuses_what_is_not_a_zip() {
        for bytes in [&b""[..], b"PK\x03\x04garbage", b"name,type\n"] {
            assert_eq!(
                check_bytes(bytes, ZipLimits::office()),
                Err(ZipGuardError::NotZip)
            );
        }
        let mut truncated = archive(&[("a.txt", &[7u8; 10_000])]);
        truncated.truncate(truncated.len() / 2);
        assert_eq!(
            check_bytes(&truncated, ZipLimits::office()),
            Err(ZipGuardError::NotZip)
        );
    }

    #[test]
    fn refuses_too_many_entries() {
        let names: Vec<String> = (0..30).map(|i| format!("e{i}")).collect();
        let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
        let bytes = archive(&entries);
        let limits = ZipLimits {
            max_entries: 29,
            ..ZipLimits::office()
        };
        assert_eq!(
            check_bytes(&bytes, limits),
            Err(ZipGuardError::TooManyEntries { limit: 29 })
        );
        check_bytes(&bytes, ZipLimits::office()).unwrap();
    }

    #[test]
    fn refuses_declared_sizes_beyond_the_limits() {
        let big = vec![b'a'; 200_000];
        let bytes = archive(&[("big", &big)]);
        let small_entry = ZipLimits {
            max_entry_uncompressed: 100_000,
            ..ZipLimits::office()
        };
        assert!(matches!(
            check_bytes(&bytes, small_entry),
            Err(ZipGuardError::TooLarge { limit: 100_000, .. })
        ));
        let strict_ratio = ZipLimits {
            ratio_applies_above: 1_000,
            max_ratio: 10,
            ..ZipLimits::office()
        };
        assert!(matches!(
            check_bytes(&bytes, strict_ratio),
            Err(ZipGuardError::RatioTooHigh { limit: 10, .. })
        ));
        let two = archive(&[("one", &big), ("two", &big)]);
        let small_total = ZipLimits {
            max_total_uncompressed: 300_000,
            ..ZipLimits::office()
        };
        assert!(matches!(
            check_bytes(&two, small_total),
            Err(ZipGuardError::TooLarge { limit: 300_000, ref entry }) if entry == "two"
        ));
    }

    #[test]
    fn a_lie_about_sizes_is_damage() {
        let big = vec![b'a'; 3_000_000];
        let mut bytes = archive(&[("big", &big)]);
        lie_about_sizes(&mut bytes, 1_000);
        // The central directory now looks harmless, but the entry cannot be read past
        // what it declared.
        let mut z = GuardedArchive::from_bytes(&bytes, ZipLimits::office()).unwrap();
        assert_eq!(z.read_entry("big"), Err(ZipGuardError::NotZip));
        assert_eq!(
            check_bytes(&bytes, ZipLimits::office()),
            Err(ZipGuardError::NotZip)
        );
    }

    /// An entry over any reader, as if its archive had declared `compressed` and nothing
    /// else: the count alone must stop it.
    fn entry_over<'a>(
        inner: impl Read + 'a,
        compressed: u64,
        inflated: &'a mut u64,
        limits: ZipLimits,
    ) -> GuardedEntry<'a> {
        GuardedEntry {
            inner: Box::new(inner),
            name: "x.xml".into(),
            compressed,
            produced: 0,
            inflated,
            limits,
            failed: None,
        }
    }

    #[test]
    fn counts_what_is_really_inflated() {
        let endless = || io::repeat(b'a');
        let mut total = 0;
        let mut e = entry_over(endless(), 10_000, &mut total, ZipLimits::office());
        let mut sink = Vec::new();
        let err = e.read_to_end(&mut sink).unwrap_err();
        assert_eq!(
            ZipGuardError::from_io(&err),
            ZipGuardError::RatioTooHigh {
                entry: "x.xml".into(),
                limit: 200
            }
        );
        // Stopped within one read of the limit, and stays stopped.
        assert!(sink.len() <= 2_000_000 + MAX_READ, "{}", sink.len());
        assert!(e.read(&mut [0u8; 16]).is_err());

        let mut total = 0;
        let mut e = entry_over(endless(), u64::MAX, &mut total, ZipLimits::office());
        let err = io::copy(&mut e, &mut io::sink()).unwrap_err();
        assert_eq!(
            ZipGuardError::from_io(&err),
            ZipGuardError::TooLarge {
                entry: "x.xml".into(),
                limit: 32 * MIB
            }
        );
        drop(e);
        assert!(total <= 32 * MIB + MAX_READ as u64);
    }

    #[test]
    fn the_archive_total_counts_every_entry_read() {
        let limits = ZipLimits {
            max_total_uncompressed: 100_000,
            ..ZipLimits::office()
        };
        let mut total = 0;
        let mut first = entry_over(io::repeat(b'a').take(60_000), 60_000, &mut total, limits);
        assert_eq!(io::copy(&mut first, &mut io::sink()).unwrap(), 60_000);
        drop(first);
        let mut second = entry_over(io::repeat(b'a').take(60_000), 60_000, &mut total, limits);
        let err = io::copy(&mut second, &mut io::sink()).unwrap_err();
        assert!(matches!(
            ZipGuardError::from_io(&err),
            ZipGuardError::TooLarge { limit: 100_000, .. }
        ));
        // Two entries read from one archive share its count.
        let part = vec![b'a'; 60_000];
        let bytes = archive(&[("one", &part)]);
        let mut z = GuardedArchive::from_bytes(&bytes, limits).unwrap();
        assert_eq!(z.read_entry("one").unwrap().unwrap().len(), 60_000);
        assert!(matches!(
            z.read_entry("one"),
            Err(ZipGuardError::TooLarge { limit: 100_000, .. })
        ));
    }

    #[test]
    fn an_io_error_that_is_not_the_guard_is_damage() {
        let e = io::Error::new(io::ErrorKind::InvalidData, "Invalid checksum");
        assert_eq!(ZipGuardError::from_io(&e), ZipGuardError::NotZip);
    }
}
