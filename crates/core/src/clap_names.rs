//! With the `clap` feature: `--precision` takes the units of [`Precision::CHOICES`] by their short
//! spellings (shown in the help), and their other spellings as hidden aliases.
use clap::builder::PossibleValue;
use clap::ValueEnum;

use crate::Precision;

impl ValueEnum for Precision {
    fn value_variants<'a>() -> &'a [Self] {
        &Precision::CHOICES
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let mut names = self.spellings();
        let short = names.next()?;
        Some(PossibleValue::new(short).aliases(names))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_choices_and_their_spellings() {
        assert_eq!(Precision::from_str("ms", false), Ok(Precision::Millisecond));
        assert_eq!(Precision::from_str("second", false), Ok(Precision::Second));
        assert!(Precision::from_str("h", false).is_err());
        let shown: Vec<String> = Precision::value_variants()
            .iter()
            .filter_map(|p| p.to_possible_value())
            .map(|v| v.get_name().to_string())
            .collect();
        assert_eq!(shown, ["auto", "ns", "us", "ms", "s"]);
    }
}
