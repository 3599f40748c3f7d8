//! One-time pairing codes: `7-harbor-velvet`. The number (the *nameplate*, 0..=999) is public:
//! it only lets the two devices find each other on a LAN. The two words are the secret SPAKE2
//! password, drawn from the BIP-39 English list (2,048 words, unique in their first four
//! letters, chosen to be easy to read aloud), so they carry 2 x 11 = 22 bits.

use bip39::Language;
use rand::{CryptoRng, Rng, RngCore};
use std::fmt;
use std::str::FromStr;

/// Nameplates are 0..=999: three digits at most to read out.
pub const MAX_NAMEPLATE: u16 = 999;
/// Words in the list.
pub const WORDS: u32 = 2048;
/// Secret words per code.
pub const SECRET_WORDS: u32 = 2;

/// A pairing code. `Debug` hides the secret words.
#[derive(Clone, PartialEq, Eq)]
pub struct PairingCode {
    nameplate: u16,
    words: [u16; 2],
}

impl fmt::Debug for PairingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PairingCode({}-…)", self.nameplate)
    }
}

impl PairingCode {
    /// A fresh code. The caller passes a cryptographically secure generator.
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> PairingCode {
        PairingCode {
            nameplate: rng.gen_range(0..=MAX_NAMEPLATE),
            words: [
                rng.gen_range(0..WORDS as u16),
                rng.gen_range(0..WORDS as u16),
            ],
        }
    }

    /// The public number, used only to find the pairing device.
    pub fn nameplate(&self) -> u16 {
        self.nameplate
    }

    /// The secret part, as SPAKE2's password.
    pub(crate) fn password(&self) -> String {
        let list = Language::English.word_list();
        format!(
            "{}-{}",
            list[usize::from(self.words[0])],
            list[usize::from(self.words[1])]
        )
    }

    /// Bits an attacker must guess (the words; the nameplate is public).
    pub fn secret_bits() -> f64 {
        f64::from(SECRET_WORDS) * f64::from(WORDS).log2()
    }
}

impl fmt::Display for PairingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.nameplate, self.password())
    }
}

/// A code that cannot be read; the message says what a code looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a pairing code: type it as `rapport pair` shows it, for example 7-harbor-velvet"
)]
pub struct ParseCodeError(pub String);

/// A word, or a unique prefix of at least four letters (BIP-39 words are unique in their first
/// four), so `harb` reads as `harbor`.
fn word_index(word: &str) -> Option<u16> {
    let lang = Language::English;
    if let Some(i) = lang.find_word(word) {
        return Some(i);
    }
    if word.len() < 4 {
        return None;
    }
    match lang.words_by_prefix(word) {
        [one] => lang.find_word(one),
        _ => None,
    }
}

impl FromStr for PairingCode {
    type Err = ParseCodeError;
    fn from_str(s: &str) -> Result<Self, ParseCodeError> {
        let bad = || ParseCodeError(s.to_owned());
        let lower = s.trim().to_lowercase();
        let parts: Vec<&str> = lower
            .split(|c: char| c == '-' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .collect();
        let [n, w1, w2] = parts.as_slice() else {
            return Err(bad());
        };
        let nameplate: u16 = n.parse().map_err(|_| bad())?;
        if nameplate > MAX_NAMEPLATE {
            return Err(bad());
        }
        Ok(PairingCode {
            nameplate,
            words: [
                word_index(w1).ok_or_else(bad)?,
                word_index(w2).ok_or_else(bad)?,
            ],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn codes_round_trip_through_text() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        for _ in 0..200 {
            let code = PairingCode::generate(&mut rng);
            let text = code.to_string();
            assert_eq!(text.parse::<PairingCode>(), Ok(code.clone()), "{text}");
            assert_eq!(text.to_uppercase().parse::<PairingCode>(), Ok(code));
        }
    }

    #[test]
    fn codes_accept_prefixes_and_spaces_but_not_garbage() {
        let code: PairingCode = "7-abandon-zoo".parse().expect("valid");
        assert_eq!(code.nameplate(), 7);
        assert_eq!("7 aban zoo".parse::<PairingCode>(), Ok(code));
        for bad in [
            "",
            "7",
            "7-abandon",
            "1000-abandon-zoo",
            "x-abandon-zoo",
            "7-abandon-qqqq",
            "7-a-b-c",
        ] {
            assert!(bad.parse::<PairingCode>().is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_does_not_leak_the_words() {
        let code: PairingCode = "7-abandon-zoo".parse().expect("valid");
        assert!(!format!("{code:?}").contains("zoo"));
    }

    #[test]
    fn secret_part_is_22_bits() {
        assert!((PairingCode::secret_bits() - 22.0).abs() < 1e-9);
    }
}
