//! The bytes a command reads (`check`, `convert`): a file mapped into memory, or standard input
//! read whole.
//!
//! Mapping instead of reading saves copying the file from the page cache into a buffer of its own
//! size (a 345 MB file cost `check` 0.2 s of system time read, most of its whole run) and lets both
//! checking threads fault in their halves at once.
use std::fs::File;
use std::io::{self, Read};
use std::ops::Deref;
use std::path::Path;

use memmap2::Mmap;

/// Smaller files are read: mapping costs more than copying a few pages.
const MAP_FROM: u64 = 1 << 20;

pub enum Input {
    Mapped(Mmap),
    Read(Vec<u8>),
}

impl Input {
    fn stdin() -> io::Result<Input> {
        let mut buf = Vec::new();
        io::stdin().read_to_end(&mut buf)?;
        Ok(Input::Read(buf))
    }

    /// `-` is standard input. A regular file of at least [`MAP_FROM`] bytes is mapped; anything else (a pipe, a device,
    /// a small file) is read.
    pub fn open(path: &Path) -> io::Result<Input> {
        if path.as_os_str() == "-" {
            return Input::stdin();
        }
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        if meta.is_file() && meta.len() >= MAP_FROM {
            // SAFETY: the map is only read. If another process truncates the file while it is
            // checked, reading past the new end raises SIGBUS, as it does for ripgrep and every
            // tool that maps its input; a file changed in place gives a report of mixed
            // contents, as a read racing the writer would.
            let map = unsafe { Mmap::map(&file)? };
            return Ok(Input::Mapped(map));
        }
        let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.read_to_end(&mut buf)?;
        Ok(Input::Read(buf))
    }
}

impl Deref for Input {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Input::Mapped(map) => map,
            Input::Read(buf) => buf,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn mapped_and_read_files_give_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let big: Vec<u8> = b"m f=1 1\n".repeat((MAP_FROM as usize) / 8 + 1);
        let small = b"m f=1 1\n".to_vec();
        for (name, bytes) in [("big", &big), ("small", &small)] {
            let path = dir.path().join(name);
            File::create(&path).unwrap().write_all(bytes).unwrap();
            let input = Input::open(&path).unwrap();
            assert_eq!(matches!(input, Input::Mapped(_)), name == "big");
            assert_eq!(&*input, bytes.as_slice());
        }
    }
}
