//! [`LoggedWrite`]: what one validated write becomes (a [`WriteBatch`], the buffer's input) plus
//! the catalog ids of its database and tables, and its byte encoding for the WAL.
//!
//! The WAL stores these bytes opaquely and hands them back on replay, so the encoding is
//! self-describing: every table travels as an Arrow IPC stream carrying its own schema (ns
//! timestamps, typed fields, dictionary tags). The ids say which database the rows belong to: a
//! record of a deleted database is skipped by id on replay and when persisting, so it never
//! reaches a new database of the same name (names are kept for messages only).
//!
//! Layout (integers little-endian):
//! `b"LWB2"`, `u32` db id, `u32` db length, db, `u32` table count, then per table:
//! `u32` table id, `u32` name length, name, `u32` IPC length, Arrow IPC stream.
//! Records of the first format, `b"LWB1"` (the same without ids), are still read: their ids are
//! looked up by name.
use std::io::Cursor;

use arrow::error::ArrowError;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use thiserror::Error;

use crate::buffer::WriteBatch;
use crate::catalog::{DbId, TableId};

const MAGIC: &[u8; 4] = b"LWB2";
/// The first format, without ids.
const MAGIC_V1: &[u8; 4] = b"LWB1";

/// The catalog ids of a batch's database and of each of its tables (in the batch's order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchIds {
    pub db: DbId,
    pub tables: Vec<TableId>,
}

/// One WAL record: a write's rows and the ids they were validated against.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedWrite {
    /// `None` only for records of the first format (written before ids existed).
    pub ids: Option<BatchIds>,
    pub batch: WriteBatch,
}

#[derive(Debug, Error)]
pub enum BatchDecodeError {
    #[error("write batch does not start with the LWB2 (or LWB1) magic")]
    BadMagic,
    #[error("write batch truncated at byte {0}")]
    Truncated(usize),
    #[error("write batch has a name that is not UTF-8 at byte {0}")]
    BadName(usize),
    #[error("write batch table '{table}' holds {batches} record batches, expected 1")]
    BatchCount { table: String, batches: usize },
    #[error("write batch has {0} trailing bytes")]
    Trailing(usize),
    #[error("write batch table '{table}': {source}")]
    Arrow { table: String, source: ArrowError },
}

impl LoggedWrite {
    pub fn encode(&self) -> Result<Vec<u8>, BatchEncodeError> {
        let ids = self.ids.as_ref().ok_or(BatchEncodeError::NoIds)?;
        let batch = &self.batch;
        if ids.tables.len() != batch.tables.len() {
            return Err(BatchEncodeError::IdCount {
                ids: ids.tables.len(),
                tables: batch.tables.len(),
            });
        }
        let mut out = Vec::with_capacity(64 + batch.tables.len() * 1024);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&ids.db.to_le_bytes());
        put_bytes(&mut out, batch.db.as_bytes());
        out.extend_from_slice(&(batch.tables.len() as u32).to_le_bytes());
        for ((name, rb), id) in batch.tables.iter().zip(&ids.tables) {
            out.extend_from_slice(&id.to_le_bytes());
            put_bytes(&mut out, name.as_bytes());
            let mut ipc = Vec::new();
            {
                let mut w = StreamWriter::try_new(&mut ipc, &rb.schema())?;
                w.write(rb)?;
                w.finish()?;
            }
            put_bytes(&mut out, &ipc);
        }
        Ok(out)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, BatchDecodeError> {
        let mut r = Reader { bytes, pos: 0 };
        let with_ids = match r.take(4)? {
            m if m == MAGIC => true,
            m if m == MAGIC_V1 => false,
            _ => return Err(BatchDecodeError::BadMagic),
        };
        let db_id = if with_ids { Some(r.u32()?) } else { None };
        let db = r.string()?;
        let count = r.u32()? as usize;
        let mut tables = Vec::with_capacity(count.min(4096));
        let mut table_ids = Vec::with_capacity(if with_ids { count.min(4096) } else { 0 });
        for _ in 0..count {
            if with_ids {
                table_ids.push(r.u32()?);
            }
            let table = r.string()?;
            let len = r.u32()? as usize;
            let ipc = r.take(len)?;
            let arrow = |source| BatchDecodeError::Arrow {
                table: table.clone(),
                source,
            };
            let reader = StreamReader::try_new(Cursor::new(ipc), None).map_err(arrow)?;
            let mut batches = reader.collect::<Result<Vec<_>, _>>().map_err(arrow)?;
            if batches.len() != 1 {
                return Err(BatchDecodeError::BatchCount {
                    table,
                    batches: batches.len(),
                });
            }
            let batch = batches.remove(0);
            tables.push((table, batch));
        }
        if r.pos != bytes.len() {
            return Err(BatchDecodeError::Trailing(bytes.len() - r.pos));
        }
        Ok(LoggedWrite {
            ids: db_id.map(|db| BatchIds {
                db,
                tables: table_ids,
            }),
            batch: WriteBatch { db, tables },
        })
    }
}

#[derive(Debug, Error)]
pub enum BatchEncodeError {
    #[error("a write is logged only with the ids of its database and tables")]
    NoIds,
    #[error("write batch has {ids} table ids for {tables} tables")]
    IdCount { ids: usize, tables: usize },
    #[error(transparent)]
    Arrow(#[from] ArrowError),
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BatchDecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or(BatchDecodeError::Truncated(self.pos))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u32(&mut self) -> Result<u32, BatchDecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self) -> Result<String, BatchDecodeError> {
        let len = self.u32()? as usize;
        let at = self.pos;
        let b = self.take(len)?;
        String::from_utf8(b.to_vec()).map_err(|_| BatchDecodeError::BadName(at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, StringDictionaryBuilder, TimestampNanosecondArray};
    use arrow::datatypes::Int32Type;
    use arrow::record_batch::RecordBatch;
    use std::sync::Arc;

    fn sample() -> LoggedWrite {
        let mut room = StringDictionaryBuilder::<Int32Type>::new();
        room.append_value("Kitchen");
        room.append_null();
        let batch = RecordBatch::try_from_iter(vec![
            ("room", Arc::new(room.finish()) as _),
            (
                "temp",
                Arc::new(Float64Array::from(vec![Some(21.5), None])) as _,
            ),
            (
                "time",
                Arc::new(TimestampNanosecondArray::from(vec![1, 2]).with_timezone("UTC")) as _,
            ),
        ])
        .unwrap();
        LoggedWrite {
            ids: Some(BatchIds {
                db: 3,
                tables: vec![7, 9],
            }),
            batch: WriteBatch {
                db: "sensors".into(),
                tables: vec![("home".into(), batch.clone()), ("other".into(), batch)],
            },
        }
    }

    #[test]
    fn round_trips() {
        let b = sample();
        let bytes = b.encode().unwrap();
        assert_eq!(LoggedWrite::decode(&bytes).unwrap(), b);
    }

    #[test]
    fn reads_records_written_before_ids() {
        let b = sample();
        let mut v1 = MAGIC_V1.to_vec();
        put_bytes(&mut v1, b.batch.db.as_bytes());
        v1.extend_from_slice(&2u32.to_le_bytes());
        for (name, rb) in &b.batch.tables {
            put_bytes(&mut v1, name.as_bytes());
            let mut ipc = Vec::new();
            let mut w = StreamWriter::try_new(&mut ipc, &rb.schema()).unwrap();
            w.write(rb).unwrap();
            w.finish().unwrap();
            drop(w);
            put_bytes(&mut v1, &ipc);
        }
        let read = LoggedWrite::decode(&v1).unwrap();
        assert_eq!(read.ids, None);
        assert_eq!(read.batch, b.batch);
    }

    #[test]
    fn logs_only_with_ids() {
        let mut b = sample();
        b.ids.as_mut().unwrap().tables.pop();
        assert!(matches!(
            b.encode(),
            Err(BatchEncodeError::IdCount { ids: 1, tables: 2 })
        ));
        b.ids = None;
        assert!(matches!(b.encode(), Err(BatchEncodeError::NoIds)));
    }

    #[test]
    fn rejects_damage() {
        let bytes = sample().encode().unwrap();
        assert!(matches!(
            LoggedWrite::decode(&bytes[..bytes.len() - 3]),
            Err(BatchDecodeError::Truncated(_)) | Err(BatchDecodeError::Arrow { .. })
        ));
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert!(matches!(
            LoggedWrite::decode(&bad),
            Err(BatchDecodeError::BadMagic)
        ));
        let mut long = bytes;
        long.push(0);
        assert!(matches!(
            LoggedWrite::decode(&long),
            Err(BatchDecodeError::Trailing(1))
        ));
    }
}
