//! Any bytes: no panic; diagnostics are well-formed; every accepted line survives
//! write-then-parse unchanged; the validator never panics either.
#![no_main]
use libfuzzer_sys::fuzz_target;
use linewise_core::{parse_lines, BatchValidator, Precision, WriteError};

fuzz_target!(|data: &[u8]| {
    let mut validator = BatchValidator::new(Precision::Auto, None);
    let mut last_line = 0;
    for result in parse_lines(data) {
        match result {
            Ok(line) => {
                assert!(line.line_number > last_line);
                last_line = line.line_number;
                let _ = validator.check(&line, 0);
                let point = line.to_point();
                match point.to_line_protocol() {
                    Ok(text) => {
                        let back = parse_lines(text.as_bytes())
                            .next()
                            .unwrap()
                            .unwrap()
                            .to_point();
                        assert_eq!(back, point, "{text:?}");
                    }
                    Err(WriteError::UnwritableCharacter { .. }) => {}
                    Err(e) => panic!("{e}"),
                }
            }
            Err(d) => {
                assert!(d.line >= d.record_line && d.record_line > last_line);
                last_line = d.record_line;
                assert!(d.column >= 1 && d.end_column > d.column);
                assert!(d.start <= d.end && d.end <= data.len());
                assert!(d.record.start <= d.start && d.record.end <= data.len());
                assert!(!d.message.is_empty());
            }
        }
    }
});
