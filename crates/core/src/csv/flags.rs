//! A mapping written as the `linewise convert --from csv` flags that give it, so a conversion the
//! page (or one run of the command) made can be repeated exactly in a script.
use alloc::format;
use alloc::string::{String, ToString};

use super::Mapping;

impl Mapping {
    /// `--measurement … --delimiter … --precision … --column NAME=ROLE …`, every column named (the
    /// command's own guess then plays no part), each word quoted for a POSIX shell where needed.
    pub fn flags(&self) -> String {
        let mut flags = format!(
            "--measurement {} --delimiter {} --precision {}",
            shell_word(&self.measurement),
            shell_word(&char::from(self.delimiter).to_string()),
            self.precision
        );
        for c in &self.columns {
            flags.push_str(" --column ");
            flags.push_str(&shell_word(&format!("{}={}", c.name, c.role.spelling())));
        }
        flags
    }
}

/// `word` quoted for a POSIX shell when it needs to be.
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:=/,@%+".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv::{ColumnMap, Role, TimeFormat};
    use crate::{FieldType, Precision};
    use alloc::vec;

    #[test]
    fn flags_name_every_column_and_quote_what_a_shell_would_split() {
        let mapping = Mapping {
            columns: vec![
                ColumnMap {
                    name: "time".into(),
                    role: Role::Time(TimeFormat::Auto),
                },
                ColumnMap {
                    name: "room name".into(),
                    role: Role::Tag,
                },
                ColumnMap {
                    name: "temp".into(),
                    role: Role::Field(FieldType::Float),
                },
            ],
            measurement: "it's home".into(),
            precision: Precision::Second,
            delimiter: b';',
        };
        assert_eq!(
            mapping.flags(),
            "--measurement 'it'\\''s home' --delimiter ';' --precision s --column time=time:auto \
             --column 'room name=tag' --column temp=float"
        );
        assert_eq!(shell_word(""), "''");
    }
}
