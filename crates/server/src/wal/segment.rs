//! Reading segment files back: listing, decoding every record, and telling a torn tail (what a crash
//! during an append leaves, safe to cut) from damage in the middle (never silently skipped).
use super::format::{self, FrameError, HeaderError, SEGMENT_HEADER_LEN};
use bytes::Bytes;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// File name suffix of segments.
const SUFFIX: &str = ".wal";

/// The file name of segment `id`: zero-padded so names sort like ids.
pub fn segment_file_name(id: u64) -> String {
    format!("{id:020}{SUFFIX}")
}

/// One record read back from a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub seq: u64,
    pub payload: Bytes,
}

/// The records of one segment, in file order.
#[derive(Debug)]
pub struct SegmentContents {
    pub id: u64,
    pub path: PathBuf,
    pub records: Vec<Record>,
    /// Bytes kept in the file (after any torn tail was cut).
    pub len: u64,
}

/// Why a segment could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read WAL directory {path}: {source}")]
    Dir { path: PathBuf, source: io::Error },
    #[error("cannot read WAL segment {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("WAL segment {path} has a bad header: {reason}")]
    Header { path: PathBuf, reason: HeaderError },
    #[error(
        "WAL segment {path} is corrupt at byte offset {offset}: {reason}; start with \
         --wal-skip-corrupt to skip the damaged bytes (the writes in them are lost)"
    )]
    Corrupt {
        path: PathBuf,
        offset: u64,
        reason: CorruptReason,
    },
}

/// What was wrong at a corrupt offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CorruptReason {
    #[error("{0}")]
    Frame(FrameError),
    #[error("sequence number {seq} does not follow {previous}")]
    SequenceOrder { seq: u64, previous: u64 },
}

/// How to treat damage while reading.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// The segment is the newest one, so an incomplete final record is an interrupted append.
    pub is_last: bool,
    /// Skip damaged bytes in the middle (resynchronising on the next valid record) instead of failing.
    pub skip_corrupt: bool,
}

/// What was cut or skipped while reading, for the start-up log.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReadReport {
    /// Bytes of an incomplete final record removed from the end of the last segment.
    pub torn_tail_bytes: u64,
    /// (offset, bytes) of each damaged region skipped because of `skip_corrupt`.
    pub skipped: Vec<(u64, u64)>,
}

/// Segment ids and paths in `dir`, oldest first. Files that are not segments are ignored.
pub fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, ReadError> {
    let dir_err = |source| ReadError::Dir {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(dir_err)? {
        let entry = entry.map_err(dir_err)?;
        let name = entry.file_name();
        let Some(id) = name
            .to_str()
            .and_then(|n| n.strip_suffix(SUFFIX))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        out.push((id, entry.path()));
    }
    out.sort_unstable_by_key(|(id, _)| *id);
    Ok(out)
}

/// Decodes the bytes of a segment file. `previous_seq` is the last sequence number of the segments
/// before it (records must continue upwards from it).
pub fn decode_segment(
    path: &Path,
    bytes: Bytes,
    previous_seq: u64,
    opts: ReadOptions,
) -> Result<(Vec<Record>, u64, ReadReport), ReadError> {
    let mut report = ReadReport::default();
    if let Err(reason) = format::check_segment_header(&bytes) {
        // A crash while creating the newest segment can leave its header short or zeroed.
        if opts.is_last && (bytes.len() < SEGMENT_HEADER_LEN || bytes.iter().all(|b| *b == 0)) {
            report.torn_tail_bytes = bytes.len() as u64;
            return Ok((Vec::new(), 0, report));
        }
        return Err(ReadError::Header {
            path: path.to_path_buf(),
            reason,
        });
    }
    let mut records = Vec::new();
    let mut last_seq = previous_seq;
    let mut offset = SEGMENT_HEADER_LEN;
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        let problem = match format::decode_record(rest) {
            Ok(frame) if frame.seq > last_seq => {
                records.push(Record {
                    seq: frame.seq,
                    payload: bytes.slice(offset + format::RECORD_HEADER_LEN..offset + frame.len),
                });
                last_seq = frame.seq;
                offset += frame.len;
                continue;
            }
            Ok(frame) => CorruptReason::SequenceOrder {
                seq: frame.seq,
                previous: last_seq,
            },
            Err(e) => CorruptReason::Frame(e),
        };
        if opts.is_last && is_torn_tail(rest, problem) {
            report.torn_tail_bytes = rest.len() as u64;
            return Ok((records, offset as u64, report));
        }
        if !opts.skip_corrupt {
            return Err(ReadError::Corrupt {
                path: path.to_path_buf(),
                offset: offset as u64,
                reason: problem,
            });
        }
        match resync(rest, last_seq) {
            Some(skip) => {
                report.skipped.push((offset as u64, skip as u64));
                offset += skip;
            }
            None => {
                report.skipped.push((offset as u64, rest.len() as u64));
                return Ok((records, offset as u64, report));
            }
        }
    }
    Ok((records, bytes.len() as u64, report))
}

/// An interrupted append leaves a final record that runs past the end of the file, a final record
/// whose bytes did not all reach the disk (checksum mismatch, nothing after it), or zeros.
fn is_torn_tail(rest: &[u8], problem: CorruptReason) -> bool {
    if rest.iter().all(|b| *b == 0) {
        return true;
    }
    match problem {
        CorruptReason::Frame(e) if e.is_truncation() => true,
        CorruptReason::Frame(FrameError::Checksum) => {
            let len = u32::from_le_bytes(rest[0..4].try_into().expect("4 bytes")) as usize;
            format::RECORD_HEADER_LEN + len == rest.len()
        }
        _ => false,
    }
}

/// The distance to the next offset holding a valid record that continues the sequence.
fn resync(rest: &[u8], last_seq: u64) -> Option<usize> {
    (1..rest.len())
        .find(|&skip| matches!(format::decode_record(&rest[skip..]), Ok(f) if f.seq > last_seq))
}

/// Reads a segment file, cutting a torn tail off the file itself (so it cannot later look like
/// damage in the middle of an older segment).
pub fn read_segment(
    id: u64,
    path: &Path,
    previous_seq: u64,
    opts: ReadOptions,
) -> Result<(SegmentContents, ReadReport), ReadError> {
    let io_err = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = Bytes::from(fs::read(path).map_err(io_err)?);
    let file_len = bytes.len() as u64;
    let (records, keep, report) = decode_segment(path, bytes, previous_seq, opts)?;
    if keep < file_len {
        let file = fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(io_err)?;
        file.set_len(keep).map_err(io_err)?;
        file.sync_all().map_err(io_err)?;
    }
    Ok((
        SegmentContents {
            id,
            path: path.to_path_buf(),
            records,
            len: keep,
        },
        report,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wal::format::{encode_record, segment_header};

    fn segment(records: &[(u64, &[u8])]) -> Vec<u8> {
        let mut buf = segment_header().to_vec();
        for (seq, p) in records {
            encode_record(&mut buf, *seq, p);
        }
        buf
    }

    const LAST: ReadOptions = ReadOptions {
        is_last: true,
        skip_corrupt: false,
    };
    const SEALED: ReadOptions = ReadOptions {
        is_last: false,
        skip_corrupt: false,
    };

    fn decode(
        bytes: Vec<u8>,
        opts: ReadOptions,
    ) -> Result<(Vec<Record>, u64, ReadReport), ReadError> {
        decode_segment(Path::new("seg.wal"), Bytes::from(bytes), 0, opts)
    }

    fn seqs(r: &[Record]) -> Vec<u64> {
        r.iter().map(|r| r.seq).collect()
    }

    #[test]
    fn reads_all_records() {
        let (r, keep, rep) = decode(segment(&[(1, b"a"), (2, b"bb"), (5, b"")]), SEALED).unwrap();
        assert_eq!(seqs(&r), [1, 2, 5]);
        assert_eq!(r[1].payload, Bytes::from_static(b"bb"));
        assert_eq!(rep, ReadReport::default());
        assert_eq!(
            keep as usize,
            segment(&[(1, b"a"), (2, b"bb"), (5, b"")]).len()
        );
    }

    #[test]
    fn truncated_tail_at_every_length_is_cut() {
        let full = segment(&[(1, b"first"), (2, b"second record")]);
        let first_end = segment(&[(1, b"first")]).len();
        for cut in first_end + 1..full.len() {
            let (r, keep, rep) = decode(full[..cut].to_vec(), LAST).unwrap();
            assert_eq!(seqs(&r), [1], "cut at {cut}");
            assert_eq!(keep as usize, first_end);
            assert_eq!(rep.torn_tail_bytes as usize, cut - first_end);
        }
    }

    #[test]
    fn zero_filled_tail_is_cut() {
        let mut bytes = segment(&[(1, b"first")]);
        let good = bytes.len();
        bytes.extend_from_slice(&[0u8; 4096]);
        let (r, keep, rep) = decode(bytes, LAST).unwrap();
        assert_eq!(
            (seqs(&r), keep as usize, rep.torn_tail_bytes),
            (vec![1], good, 4096)
        );
    }

    #[test]
    fn bit_flip_in_final_record_is_a_torn_tail() {
        let mut bytes = segment(&[(1, b"first"), (2, b"second")]);
        let n = bytes.len();
        bytes[n - 2] ^= 0x10;
        let (r, _, rep) = decode(bytes, LAST).unwrap();
        assert_eq!(seqs(&r), [1]);
        assert!(rep.torn_tail_bytes > 0);
    }

    #[test]
    fn bit_flip_in_the_middle_names_file_and_offset() {
        let mut bytes = segment(&[(1, b"first"), (2, b"second"), (3, b"third")]);
        let off = segment(&[(1, b"first")]).len();
        bytes[off + 18] ^= 0x01;
        let err = decode(bytes, LAST).unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, ReadError::Corrupt { offset, .. } if offset as usize == off),
            "{msg}"
        );
        assert!(
            msg.contains("seg.wal") && msg.contains(&format!("offset {off}")),
            "{msg}"
        );
        assert!(msg.contains("--wal-skip-corrupt"), "{msg}");
    }

    #[test]
    fn damage_in_a_sealed_segment_is_never_a_torn_tail() {
        let full = segment(&[(1, b"first"), (2, b"second")]);
        let err = decode(full[..full.len() - 1].to_vec(), SEALED).unwrap_err();
        assert!(matches!(err, ReadError::Corrupt { .. }), "{err}");
    }

    #[test]
    fn skip_corrupt_resumes_at_the_next_valid_record() {
        let mut bytes = segment(&[(1, b"first"), (2, b"second"), (3, b"third")]);
        let off = segment(&[(1, b"first")]).len();
        bytes[off + 1] ^= 0xff; // the length field: the frame can no longer be stepped over
        let opts = ReadOptions {
            is_last: false,
            skip_corrupt: true,
        };
        let (r, _, rep) = decode(bytes, opts).unwrap();
        assert_eq!(seqs(&r), [1, 3]);
        assert_eq!(rep.skipped, vec![(off as u64, 16 + 6)]);
    }

    #[test]
    fn sequence_going_backwards_is_corruption() {
        let err = decode(segment(&[(5, b"a"), (4, b"b"), (6, b"c")]), SEALED).unwrap_err();
        assert!(err.to_string().contains("does not follow 5"), "{err}");
    }

    #[test]
    fn half_written_header_of_newest_segment_is_torn() {
        let (r, keep, rep) = decode(segment_header()[..7].to_vec(), LAST).unwrap();
        assert_eq!((r.len(), keep, rep.torn_tail_bytes), (0, 0, 7));
        let err = decode(b"GARBAGE-GARBAGE-GARBAGE".to_vec(), LAST).unwrap_err();
        assert!(matches!(err, ReadError::Header { .. }), "{err}");
    }

    #[test]
    fn read_segment_truncates_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(segment_file_name(3));
        let mut bytes = segment(&[(1, b"first")]);
        let good = bytes.len() as u64;
        bytes.extend_from_slice(&[9, 0, 0]);
        fs::write(&path, &bytes).unwrap();
        let (c, rep) = read_segment(3, &path, 0, LAST).unwrap();
        assert_eq!((c.records.len(), c.len, rep.torn_tail_bytes), (1, good, 3));
        assert_eq!(fs::metadata(&path).unwrap().len(), good);
        assert_eq!(list_segments(dir.path()).unwrap(), vec![(3, path)]);
    }
}
