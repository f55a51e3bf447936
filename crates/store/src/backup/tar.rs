//! Just enough POSIX ustar to write our archives and read them back: regular files
//! with short names, nothing else. Operators can list and unpack a backup with `tar`;
//! the reader accepts only what the writer makes, checks every header and never
//! allocates by a size the input states.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::BackupError;

const BLOCK: usize = 512;
/// The largest size 11 octal digits hold.
pub(super) const MAX_MEMBER: u64 = 0o77_777_777_777;

fn bad(why: impl Into<String>) -> BackupError {
    BackupError::Archive(why.into())
}

fn octal(field: &mut [u8], value: u64) {
    // Digits, then a NUL in the last byte.
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    for (slot, b) in field.iter_mut().zip(text.bytes().chain(std::iter::once(0))) {
        *slot = b;
    }
}

/// A header for a regular file `name` of `size` bytes.
fn header(name: &str, size: u64, mtime: u64) -> Result<[u8; BLOCK], BackupError> {
    if name.len() > 100 || !name.is_ascii() {
        return Err(bad(format!("member name too long: {name}")));
    }
    if size > MAX_MEMBER {
        return Err(bad(format!("{name} is larger than a tar member can be")));
    }
    let mut h = [0u8; BLOCK];
    let (name_field, rest) = h.split_at_mut(100);
    name_field
        .iter_mut()
        .zip(name.bytes())
        .for_each(|(s, b)| *s = b);
    octal(&mut rest[..8], 0o600); // mode (100..108)
    octal(&mut rest[8..16], 0); // uid
    octal(&mut rest[16..24], 0); // gid
    octal(&mut rest[24..36], size); // size (124..136)
    octal(&mut rest[36..48], mtime.min(0o77_777_777_777)); // mtime
    rest[48..56].fill(b' '); // checksum (148..156), spaces while summing
    rest[56] = b'0'; // typeflag: regular file
    rest[157..163].copy_from_slice(b"ustar\0"); // magic (257..263)
    rest[163..165].copy_from_slice(b"00");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let mut chk = [0u8; 8];
    octal(&mut chk[..7], u64::from(sum));
    chk[7] = b' ';
    h[148..156].copy_from_slice(&chk);
    Ok(h)
}

/// Writes members one after the other, then the end-of-archive marker.
pub(super) struct Writer<W> {
    out: W,
    mtime: u64,
}

impl<W: AsyncWrite + Unpin> Writer<W> {
    pub(super) fn new(out: W, mtime: u64) -> Self {
        Writer { out, mtime }
    }

    /// Copies exactly `size` bytes from `from` as the member `name`.
    pub(super) async fn member(
        &mut self,
        name: &str,
        size: u64,
        from: &mut (impl AsyncRead + Unpin),
    ) -> Result<(), BackupError> {
        self.out.write_all(&header(name, size, self.mtime)?).await?;
        let copied = tokio::io::copy(&mut (&mut *from).take(size), &mut self.out).await?;
        // A source longer than stated would be cut silently: refuse it instead.
        let longer = from.read(&mut [0u8; 1]).await? != 0;
        if copied != size || longer {
            return Err(bad(format!(
                "{name} changed while being archived ({copied} bytes copied, {size} expected)"
            )));
        }
        self.pad(size).await
    }

    pub(super) async fn bytes(&mut self, name: &str, bytes: &[u8]) -> Result<(), BackupError> {
        self.member(name, bytes.len() as u64, &mut &bytes[..]).await
    }

    async fn pad(&mut self, size: u64) -> Result<(), BackupError> {
        let rem = (size % BLOCK as u64) as usize;
        if rem != 0 {
            self.out.write_all(&[0u8; BLOCK][rem..]).await?;
        }
        Ok(())
    }

    pub(super) async fn finish(mut self) -> Result<W, BackupError> {
        self.out.write_all(&[0u8; 2 * BLOCK]).await?;
        self.out.flush().await?;
        Ok(self.out)
    }
}

/// Reads member headers in order; the caller reads each member's bytes (exactly
/// `size`, e.g. through `take`) before asking for the next.
pub(super) struct Reader<R> {
    input: R,
    /// Padding still to skip after the current member.
    pending_pad: u64,
}

fn parse_octal(field: &[u8], what: &str) -> Result<u64, BackupError> {
    let text: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|&b| b == b' ')
        .take_while(|&b| b != 0 && b != b' ')
        .collect();
    if text.is_empty() || text.len() > 11 || !text.iter().all(|b| (b'0'..=b'7').contains(b)) {
        return Err(bad(format!("bad {what} field in a tar header")));
    }
    // At most 11 octal digits: fits in a u64 without overflow.
    Ok(text.iter().fold(0u64, |n, b| n * 8 + u64::from(b - b'0')))
}

impl<R: AsyncRead + Unpin> Reader<R> {
    pub(super) fn new(input: R) -> Self {
        Reader {
            input,
            pending_pad: 0,
        }
    }

    /// The next member's (name, size), or None at the end of the archive.
    pub(super) async fn next(&mut self) -> Result<Option<(String, u64)>, BackupError> {
        if self.pending_pad > 0 {
            // Less than a block, and zeros as the writer made it: anything else is damage.
            let mut pad = [0u8; BLOCK];
            let pad = pad.get_mut(..self.pending_pad as usize).unwrap_or_default();
            self.input.read_exact(pad).await.map_err(|_| bad("the archive ends inside a member"))?;
            if pad.iter().any(|&b| b != 0) {
                return Err(bad("damaged padding after a member"));
            }
            self.pending_pad = 0;
        }
        let mut h = [0u8; BLOCK];
        match self.input.read_exact(&mut h).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(bad("the archive ends early: cut short, or not made by `khien backup`"));
            }
            Err(e) => return Err(e.into()),
        }
        if h.iter().all(|&b| b == 0) {
            return Ok(None);
        }
        let stated = parse_octal(&h[148..156], "checksum")?;
        let sum: u64 = h
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    u64::from(b' ')
                } else {
                    u64::from(b)
                }
            })
            .sum();
        if sum != stated {
            return Err(bad(
                "a tar header's checksum does not match (not a Khiên backup, or damaged)",
            ));
        }
        if &h[257..262] != b"ustar" {
            return Err(bad("not a ustar archive"));
        }
        if !matches!(h[156], b'0' | 0) || h[345..500].iter().any(|&b| b != 0) {
            return Err(bad("the archive holds something other than plain files"));
        }
        let name_len = h[..100].iter().position(|&b| b == 0).unwrap_or(100);
        let name = std::str::from_utf8(&h[..name_len])
            .map_err(|_| bad("a member name is not UTF-8"))?
            .to_string();
        let size = parse_octal(&h[124..136], "size")?;
        self.pending_pad = (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64;
        Ok(Some((name, size)))
    }

    /// The input, to read the current member's bytes from.
    pub(super) fn input(&mut self) -> &mut R {
        &mut self.input
    }
}
