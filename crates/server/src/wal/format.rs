//! On-disk layout of a WAL segment.
//!
//! A segment starts with a 16-byte header: the magic `LWSEGWAL`, the format version (u32 LE) and a
//! CRC32C of those 12 bytes, so a half-written or foreign file is told apart from a valid one.
//! Records follow back to back; each is a 16-byte frame header — payload length (u32 LE), CRC32C
//! (u32 LE) over the sequence number and payload, sequence number (u64 LE) — then the payload.
//! Covering the sequence number by the CRC means a flipped bit there cannot reorder replay.

/// The first 8 bytes of every segment file.
pub const MAGIC: [u8; 8] = *b"LWSEGWAL";
/// The only format version this build writes and reads.
pub const VERSION: u32 = 1;
/// Bytes before the first record.
pub const SEGMENT_HEADER_LEN: usize = 16;
/// Bytes of framing before each payload.
pub const RECORD_HEADER_LEN: usize = 16;
/// Largest payload accepted: bigger lengths in a frame are treated as corruption, not allocated.
pub const MAX_PAYLOAD_LEN: usize = 256 * 1024 * 1024;

/// The segment header bytes for this build.
pub fn segment_header() -> [u8; SEGMENT_HEADER_LEN] {
    let mut h = [0u8; SEGMENT_HEADER_LEN];
    h[..8].copy_from_slice(&MAGIC);
    h[8..12].copy_from_slice(&VERSION.to_le_bytes());
    let crc = crc32c::crc32c(&h[..12]);
    h[12..16].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Why a segment header was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("segment header is {0} bytes, expected {SEGMENT_HEADER_LEN}")]
    Short(usize),
    #[error("bad magic (not a linewise WAL segment)")]
    Magic,
    #[error("segment header checksum mismatch")]
    Checksum,
    #[error("unsupported WAL format version {0} (this build reads version {VERSION})")]
    Version(u32),
}

/// Checks a segment header.
pub fn check_segment_header(bytes: &[u8]) -> Result<(), HeaderError> {
    if bytes.len() < SEGMENT_HEADER_LEN {
        return Err(HeaderError::Short(bytes.len()));
    }
    if bytes[..8] != MAGIC {
        return Err(HeaderError::Magic);
    }
    let crc = u32::from_le_bytes(bytes[12..16].try_into().expect("4 bytes"));
    if crc32c::crc32c(&bytes[..12]) != crc {
        return Err(HeaderError::Checksum);
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version != VERSION {
        return Err(HeaderError::Version(version));
    }
    Ok(())
}

fn record_crc(seq: u64, payload: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(&seq.to_le_bytes()), payload)
}

/// Appends one framed record to `out`.
pub fn encode_record(out: &mut Vec<u8>, seq: u64, payload: &[u8]) {
    let len = u32::try_from(payload.len()).expect("payload length checked by the caller");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&record_crc(seq, payload).to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(payload);
}

/// One record decoded from a byte slice.
#[derive(Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    pub seq: u64,
    pub payload: &'a [u8],
    /// Total bytes the record occupies (header + payload).
    pub len: usize,
}

/// Why the bytes at some offset are not a valid record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("record header cut short ({have} of {RECORD_HEADER_LEN} bytes)")]
    ShortHeader { have: usize },
    #[error("record length {len} exceeds the {MAX_PAYLOAD_LEN}-byte limit")]
    TooLong { len: usize },
    #[error("record of {need} bytes cut short ({have} bytes left in the file)")]
    ShortPayload { need: usize, have: usize },
    #[error("record checksum mismatch")]
    Checksum,
}

impl FrameError {
    /// True when the record simply runs past the end of the file — what an interrupted append leaves.
    pub fn is_truncation(self) -> bool {
        matches!(
            self,
            FrameError::ShortHeader { .. } | FrameError::ShortPayload { .. }
        )
    }
}

/// Decodes the record at the start of `bytes`.
pub fn decode_record(bytes: &[u8]) -> Result<Frame<'_>, FrameError> {
    if bytes.len() < RECORD_HEADER_LEN {
        return Err(FrameError::ShortHeader { have: bytes.len() });
    }
    let len = u32::from_le_bytes(bytes[0..4].try_into().expect("4 bytes")) as usize;
    if len > MAX_PAYLOAD_LEN {
        return Err(FrameError::TooLong { len });
    }
    let total = RECORD_HEADER_LEN + len;
    if bytes.len() < total {
        return Err(FrameError::ShortPayload {
            need: total,
            have: bytes.len(),
        });
    }
    let crc = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes"));
    let seq = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
    let payload = &bytes[RECORD_HEADER_LEN..total];
    if record_crc(seq, payload) != crc {
        return Err(FrameError::Checksum);
    }
    Ok(Frame {
        seq,
        payload,
        len: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips() {
        let mut buf = Vec::new();
        encode_record(&mut buf, 42, b"hello");
        let f = decode_record(&buf).unwrap();
        assert_eq!((f.seq, f.payload, f.len), (42, &b"hello"[..], buf.len()));
    }

    #[test]
    fn every_single_bit_flip_is_detected() {
        let mut buf = Vec::new();
        encode_record(&mut buf, 7, b"weather,loc=a t=1 1");
        for bit in 0..buf.len() * 8 {
            let mut bad = buf.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(decode_record(&bad).is_err(), "bit {bit} flip not detected");
        }
    }

    #[test]
    fn header_checks() {
        let h = segment_header();
        assert_eq!(check_segment_header(&h), Ok(()));
        assert_eq!(check_segment_header(&h[..5]), Err(HeaderError::Short(5)));
        let mut bad = h;
        bad[0] = b'X';
        assert_eq!(check_segment_header(&bad), Err(HeaderError::Magic));
        let mut bad = h;
        bad[13] ^= 1;
        assert_eq!(check_segment_header(&bad), Err(HeaderError::Checksum));
    }
}
