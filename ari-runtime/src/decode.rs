//! The fast path of event decoding: a strict JSON reader and the
//! [`WireDecode`] trait the generator implements for every model.
//!
//! `serde_json` with derived `Deserialize` spends most of an ARI event's
//! decode in generic machinery: each member name is parsed into a string and
//! matched through a visitor, each value goes through a visitor too, and a
//! channel event has some thirty members. The generated decoders read the
//! bytes directly, match member names as plain `&str`s, borrow every string
//! without escapes and allocate only the owned fields of the result.
//!
//! The fast path never decides that a text is wrong. Whenever it meets
//! something it does not handle, or that might be invalid (a duplicate
//! member, a missing required one, a number out of range, an escape in a
//! member name…), it gives up with [`Mismatch`], and [`decode`] hands the
//! whole text to `serde_json` and the derived `Deserialize`: that gives the
//! value or the exact error serde would have given. So the typed result is
//! always the one serde would produce; the fast path only has to be right
//! when it succeeds. `ari-generated/tests/decoder_fuzz.rs` holds it against
//! serde on mutated recorded events (escapes, numbers, depth, duplicates,
//! order, broken text; `cargo xtask fuzz` runs any amount).

use serde::de::DeserializeOwned;

/// The fast path cannot settle this text; serde decides.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mismatch;

/// Deepest nesting the reader follows. `serde_json` starts a document with a
/// budget of 128 and fails when an object or array brings it to 0, so 127
/// levels are the most it decodes; the reader counts levels of the whole
/// text in the same way (a free-form member's value is handed to serde on
/// its own, where it would be allowed deeper than in the whole document).
const MAX_DEPTH: u32 = 127;

/// A position in one JSON text.
#[doc(hidden)]
pub struct Cursor<'a> {
    text: &'a str,
    pos: usize,
    depth: u32,
}

/// A type the generated fast path can read.
#[doc(hidden)]
pub trait WireDecode: Sized {
    fn wire_decode(cursor: &mut Cursor<'_>) -> Result<Self, Mismatch>;
}

/// Decodes `text` as `T`: the fast path, and serde when it cannot settle.
pub fn decode<T: WireDecode + DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    decode_via(text, Path::Auto)
}

/// Which decoder [`decode_via`] uses. Everything but `Auto` exists so that
/// tests can hold the fast path against serde.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    Auto,
    /// The fast path alone: an error where it would ask serde.
    FastOnly,
    SerdeOnly,
}

#[doc(hidden)]
pub fn decode_via<T: WireDecode + DeserializeOwned>(
    text: &str,
    path: Path,
) -> Result<T, serde_json::Error> {
    if path == Path::SerdeOnly {
        return serde_json::from_str(text);
    }
    match fast_only(text) {
        Some(value) => Ok(value),
        None if path == Path::FastOnly => Err(serde::de::Error::custom(
            "the fast path leaves this text to serde",
        )),
        None => serde_json::from_str(text),
    }
}

/// The fast path alone; `None` where [`decode`] would ask serde.
#[doc(hidden)]
pub fn fast_only<T: WireDecode>(text: &str) -> Option<T> {
    let mut cursor = Cursor::new(text);
    let value = T::wire_decode(&mut cursor).ok()?;
    cursor.skip_whitespace();
    cursor.at_end().then_some(value)
}

/// Bytes that end the plain run of a JSON string: the closing quote, an
/// escape, and the control characters JSON forbids inside strings.
static STRING_STOP: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// The index of the quote that closes a string whose text starts at
/// `start`, over escapes.
fn string_end(bytes: &[u8], start: usize) -> Result<usize, Mismatch> {
    let mut i = start;
    loop {
        i = plain_run_end(bytes, i);
        match bytes.get(i) {
            Some(b'"') => return Ok(i),
            Some(b'\\') => i += 2,
            Some(_) => i += 1,
            None => return Err(Mismatch),
        }
    }
}

/// The index of the first byte at or after `start` that ends a plain string
/// run (see [`STRING_STOP`]), or `bytes.len()`.
///
/// Eight bytes at a time (SWAR): strings are most of an ARI event's bytes.
/// For each byte `b` of a word, the high bit of `(b - k) & !b & 0x80` is set
/// when `b < k` (the classic "has less" trick; with `b ^ c` it finds a byte
/// equal to `c`). Carries only reach bytes above the first hit, so the lowest
/// set bit always marks the first stop.
fn plain_run_end(bytes: &[u8], start: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |word: u64, limit: u64| word.wrapping_sub(ONES * limit) & !word & HIGH;
    let mut i = start;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let stops = below(word, 0x20)
            | below(word ^ (ONES * u64::from(b'"')), 1)
            | below(word ^ (ONES * u64::from(b'\\')), 1);
        if stops != 0 {
            return i + (stops.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&byte) = bytes.get(i) {
        if STRING_STOP[usize::from(byte)] {
            break;
        }
        i += 1;
    }
    i
}

impl<'a> Cursor<'a> {
    pub fn new(text: &'a str) -> Self {
        Cursor {
            text,
            pos: 0,
            depth: 0,
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    pub(crate) fn skip_whitespace(&mut self) {
        // Asterisk writes compact JSON: one compare settles the usual case
        // (every JSON whitespace byte is at most a space).
        while let Some(&byte) = self.bytes().get(self.pos) {
            if byte > b' ' || !matches!(byte, b' ' | b'\n' | b'\r' | b'\t') {
                return;
            }
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), Mismatch> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Mismatch)
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Mismatch> {
        if self.bytes()[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Mismatch)
        }
    }

    fn enter(&mut self) -> Result<(), Mismatch> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Mismatch);
        }
        Ok(())
    }

    /// Reads `open`, then items separated by commas, then `close`; `item`
    /// must consume one item.
    fn sequence(
        &mut self,
        open: u8,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Result<(), Mismatch>,
    ) -> Result<(), Mismatch> {
        self.skip_whitespace();
        self.expect(open)?;
        self.enter()?;
        self.skip_whitespace();
        if self.peek() == Some(close) {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            self.skip_whitespace();
            item(self)?;
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(byte) if byte == close => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(Mismatch),
            }
        }
    }

    /// Reads an object, calling `member` with the cursor on each value.
    /// `member` must consume the value.
    pub fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, &'a str) -> Result<(), Mismatch>,
    ) -> Result<(), Mismatch> {
        self.sequence(b'{', b'}', |cursor| {
            // A name with escapes could equal a field's name once unescaped:
            // serde compares the unescaped form.
            let name = cursor.plain_string()?;
            cursor.skip_whitespace();
            cursor.expect(b':')?;
            cursor.skip_whitespace();
            member(cursor, name)
        })
    }

    /// Reads an array, calling `element` with the cursor on each element.
    pub fn array(
        &mut self,
        element: impl FnMut(&mut Self) -> Result<(), Mismatch>,
    ) -> Result<(), Mismatch> {
        self.sequence(b'[', b']', element)
    }

    /// Reads a member's value into `slot`, once: a second value for the same
    /// member is serde's "duplicate field" error.
    pub fn field<T: WireDecode>(&mut self, slot: &mut Option<T>) -> Result<(), Mismatch> {
        if slot.is_some() {
            return Err(Mismatch);
        }
        *slot = Some(T::wire_decode(self)?);
        Ok(())
    }

    /// A string without escapes, borrowed from the text.
    fn plain_string(&mut self) -> Result<&'a str, Mismatch> {
        self.expect(b'"')?;
        let bytes = self.bytes();
        let start = self.pos;
        let end = plain_run_end(bytes, start);
        if bytes.get(end) != Some(&b'"') {
            return Err(Mismatch);
        }
        self.pos = end + 1;
        // SAFETY: `start` follows an ASCII quote and `end` is the index of an
        // ASCII quote (checked above), so both are char boundaries of `text`
        // and `start <= end <= text.len()`. This slice is taken for every
        // member name and string of every event; the checked form cost 4 %
        // of the decode.
        Ok(unsafe { self.text.get_unchecked(start..end) })
    }

    /// A string value, borrowed when it has no escapes.
    pub fn str_value(&mut self) -> Result<std::borrow::Cow<'a, str>, Mismatch> {
        self.skip_whitespace();
        let start = self.pos;
        match self.plain_string() {
            Ok(plain) => Ok(std::borrow::Cow::Borrowed(plain)),
            Err(Mismatch) => {
                self.pos = start;
                let mut unescaped = String::new();
                self.escaped_string(Some(&mut unescaped))?;
                Ok(std::borrow::Cow::Owned(unescaped))
            }
        }
    }

    /// A string token with escapes, unescaped into `out` (or only checked,
    /// without `out`) in one pass over plain runs. Anything serde might see
    /// otherwise (a lone surrogate, an unknown escape, a raw control
    /// character) is left to serde.
    fn escaped_string(&mut self, mut out: Option<&mut String>) -> Result<(), Mismatch> {
        self.expect(b'"')?;
        let bytes = self.bytes();
        let mut pos = self.pos;
        loop {
            let end = plain_run_end(bytes, pos);
            if let Some(out) = out.as_deref_mut() {
                // `pos` and `end` sit next to ASCII bytes (a quote, an escape's
                // last byte, a stop byte) or at the end: char boundaries.
                out.push_str(self.text.get(pos..end).ok_or(Mismatch)?);
            }
            match bytes.get(end) {
                Some(b'"') => {
                    self.pos = end + 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    let (unescaped, next) = unescape(bytes, end)?;
                    if let Some(out) = out.as_deref_mut() {
                        out.push(unescaped);
                    }
                    pos = next;
                }
                // A raw control character, or the text ends inside the string.
                _ => return Err(Mismatch),
            }
        }
    }

    /// Consumes one JSON value of any shape and decodes its text with serde:
    /// the path for types the fast reader has no reason to specialise
    /// (free-form objects, floats).
    pub fn with_serde<T: DeserializeOwned>(&mut self) -> Result<T, Mismatch> {
        serde_json::from_str(self.value_text()?).map_err(|_| Mismatch)
    }

    /// The same, for a type decoded from its own text (the message enums).
    pub fn with_text<T>(&mut self, decode: impl FnOnce(&str) -> Option<T>) -> Result<T, Mismatch> {
        decode(self.value_text()?).ok_or(Mismatch)
    }

    /// Consumes one value and returns its text.
    fn value_text(&mut self) -> Result<&'a str, Mismatch> {
        self.skip_whitespace();
        let start = self.pos;
        self.skip_value()?;
        self.text.get(start..self.pos).ok_or(Mismatch)
    }

    /// Consumes one value, validating it as strictly as serde would.
    pub fn skip_value(&mut self) -> Result<(), Mismatch> {
        self.skip_whitespace();
        match self.peek().ok_or(Mismatch)? {
            b'"' => {
                let start = self.pos;
                if self.plain_string().is_err() {
                    self.pos = start;
                    self.escaped_string(None)?;
                }
                Ok(())
            }
            b'{' => self.object(|cursor, _| cursor.skip_value()),
            b'[' => self.array(|cursor| cursor.skip_value()),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number_token().map(drop),
        }
    }

    /// Consumes one value by its brackets and quotes alone, without
    /// checking what lies inside: for readers that need a few members of a
    /// text another decoder reads whole later (the router). A value that
    /// ends before the text does is a mismatch; anything else it accepts.
    pub(crate) fn skip_value_unchecked(&mut self) -> Result<(), Mismatch> {
        self.skip_whitespace();
        let bytes = self.bytes();
        let mut i = self.pos;
        let mut depth = 0u32;
        loop {
            let byte = *bytes.get(i).ok_or(Mismatch)?;
            match byte {
                b'"' => i = string_end(bytes, i + 1)? + 1,
                b'{' | b'[' => {
                    depth += 1;
                    i += 1;
                }
                // At depth 0: the end of the enclosing value, after a scalar.
                b'}' | b']' if depth == 0 => break,
                b'}' | b']' => {
                    depth -= 1;
                    i += 1;
                }
                b',' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => break,
                _ => i += 1,
            }
            if depth == 0 && matches!(byte, b'"' | b'}' | b']') {
                break;
            }
        }
        self.pos = i;
        Ok(())
    }

    /// A number in JSON's grammar; returns its text and whether it is an
    /// integer (no fraction, no exponent).
    fn number_token(&mut self) -> Result<(&'a str, bool), Mismatch> {
        let bytes = self.bytes();
        let start = self.pos;
        let mut i = start;
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
        match bytes.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while let Some(b'0'..=b'9') = bytes.get(i) {
                    i += 1;
                }
            }
            _ => return Err(Mismatch),
        }
        // One or more digits from `from`: the index after them.
        let digits = |from: usize| {
            let end = (from..)
                .find(|&at| !matches!(bytes.get(at), Some(b'0'..=b'9')))
                .unwrap_or(from);
            if end > from { Ok(end) } else { Err(Mismatch) }
        };
        let mut integer = true;
        if bytes.get(i) == Some(&b'.') {
            integer = false;
            i = digits(i + 1)?;
        }
        if let Some(b'e' | b'E') = bytes.get(i) {
            integer = false;
            i += 1;
            if let Some(b'+' | b'-') = bytes.get(i) {
                i += 1;
            }
            i = digits(i)?;
        }
        self.pos = i;
        Ok((&self.text[start..i], integer))
    }

    fn integer(&mut self) -> Result<i64, Mismatch> {
        self.skip_whitespace();
        let (token, integer) = self.number_token()?;
        // serde_json reads `-0` as the float -0.0, which no integer accepts.
        if !integer || token == "-0" {
            return Err(Mismatch);
        }
        token.parse().map_err(|_| Mismatch)
    }

    pub fn is_null(&mut self) -> bool {
        self.skip_whitespace();
        if self.bytes()[self.pos..].starts_with(b"null") {
            self.pos += 4;
            true
        } else {
            false
        }
    }
}

impl WireDecode for String {
    fn wire_decode(cursor: &mut Cursor<'_>) -> Result<Self, Mismatch> {
        cursor.str_value().map(std::borrow::Cow::into_owned)
    }
}

impl WireDecode for compact_str::CompactString {
    fn wire_decode(cursor: &mut Cursor<'_>) -> Result<Self, Mismatch> {
        cursor.str_value().map(|text| match text {
            std::borrow::Cow::Borrowed(text) => Self::new(text),
            std::borrow::Cow::Owned(text) => Self::from(text),
        })
    }
}

impl WireDecode for bool {
    fn wire_decode(cursor: &mut Cursor<'_>) -> Result<Self, Mismatch> {
        cursor.skip_whitespace();
        match cursor.peek() {
            Some(b't') => cursor.literal(b"true").map(|()| true),
            Some(b'f') => cursor.literal(b"false").map(|()| false),
            _ => Err(Mismatch),
        }
    }
}

impl WireDecode for i64 {
    fn wire_decode(cursor: &mut Cursor<'_>) -> Result<Self, Mismatch> {
        cursor.integer()
    }
}

impl WireDecode for i32 {
    fn wire_decode(cursor: &mut Cursor<'_>) -> Result<Self, Mismatch> {
        i32::try_from(cursor.integer()?).map_err(|_| Mismatch)
    }
}

impl WireDecode for f64 {
    fn wire_decode(cursor: &mut Cursor<'_>) -> Result<Self, Mismatch> {
        // Float parsing is serde_json's own (its rounding), so it stays serde's.
        cursor.with_serde()
    }
}

impl WireDecode for serde_json::Value {
    fn wire_decode(cursor: &mut Cursor<'_>) -> Result<Self, Mismatch> {
        cursor.with_serde()
    }
}

impl WireDecode for super::Timestamp {
    fn wire_decode(cursor: &mut Cursor<'_>) -> Result<Self, Mismatch> {
        let text = cursor.str_value()?;
        super::Timestamp::parse(&text).map_err(|_| Mismatch)
    }
}

impl<T: WireDecode> WireDecode for Option<T> {
    fn wire_decode(cursor: &mut Cursor<'_>) -> Result<Self, Mismatch> {
        if cursor.is_null() {
            Ok(None)
        } else {
            T::wire_decode(cursor).map(Some)
        }
    }
}

impl<T: WireDecode> WireDecode for Box<T> {
    fn wire_decode(cursor: &mut Cursor<'_>) -> Result<Self, Mismatch> {
        T::wire_decode(cursor).map(Box::new)
    }
}

impl<T: WireDecode> WireDecode for Vec<T> {
    fn wire_decode(cursor: &mut Cursor<'_>) -> Result<Self, Mismatch> {
        let mut items = Vec::new();
        cursor.array(|cursor| {
            items.push(T::wire_decode(cursor)?);
            Ok(())
        })?;
        Ok(items)
    }
}

/// The escape starting at `bytes[at]` (a backslash): the character it
/// stands for and the index after it. A `\u` escape of a UTF-16 surrogate
/// must be the high half followed by an escaped low half, as serde requires
/// of a string it keeps.
fn unescape(bytes: &[u8], at: usize) -> Result<(char, usize), Mismatch> {
    let unescaped = match bytes.get(at + 1).ok_or(Mismatch)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let first = hex4(bytes, at + 2)?;
            return match first {
                0xD800..=0xDBFF => {
                    if bytes.get(at + 6..at + 8) != Some(b"\\u") {
                        return Err(Mismatch);
                    }
                    let second = hex4(bytes, at + 8)?;
                    if !(0xDC00..=0xDFFF).contains(&second) {
                        return Err(Mismatch);
                    }
                    let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                    Ok((char::from_u32(code).ok_or(Mismatch)?, at + 12))
                }
                _ => Ok((char::from_u32(first).ok_or(Mismatch)?, at + 6)),
            };
        }
        _ => return Err(Mismatch),
    };
    Ok((unescaped, at + 2))
}

/// Four hex digits at `bytes[at..]`.
fn hex4(bytes: &[u8], at: usize) -> Result<u32, Mismatch> {
    let digits = bytes.get(at..at + 4).ok_or(Mismatch)?;
    digits.iter().try_fold(0, |code, &digit| {
        let value = char::from(digit).to_digit(16).ok_or(Mismatch)?;
        Ok(code * 16 + value)
    })
}

/// The value of the first top-level member named `key`, when the members
/// before it read cleanly and it is a string without escapes. The text after
/// it is not read. `None` leaves the question to a full scan
/// (see [`super::wire::discriminator`]).
pub(crate) fn leading_string_member<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let mut cursor = Cursor::new(text);
    cursor.skip_whitespace();
    cursor.expect(b'{').ok()?;
    loop {
        cursor.skip_whitespace();
        let name = cursor.plain_string().ok()?;
        cursor.skip_whitespace();
        cursor.expect(b':').ok()?;
        cursor.skip_whitespace();
        if name == key {
            return cursor.plain_string().ok();
        }
        cursor.skip_value().ok()?;
        cursor.skip_whitespace();
        cursor.expect(b',').ok()?;
    }
}

/// A required member: missing is serde's "missing field" error.
#[doc(hidden)]
pub fn required<T>(slot: Option<T>) -> Result<T, Mismatch> {
    slot.ok_or(Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_scan_finds_the_same_stop_as_the_byte_table() {
        let alphabet = [
            b'a', b'"', b'\\', 0x1f, 0x20, 0x7f, 0x80, 0xff, 0x00, b'!', b'#', b']',
        ];
        // Every position of every stop, in runs long enough for whole words.
        for &stop in &alphabet {
            for len in 0..20 {
                for at in 0..=len {
                    let mut bytes = vec![b'x'; len];
                    if at < len {
                        bytes[at] = stop;
                    }
                    for start in 0..=len.min(3) {
                        let expected = (start..bytes.len())
                            .find(|&i| STRING_STOP[usize::from(bytes[i])])
                            .unwrap_or(bytes.len());
                        assert_eq!(
                            plain_run_end(&bytes, start),
                            expected,
                            "{bytes:?} from {start}"
                        );
                    }
                }
            }
        }
        // Pairs of neighbouring bytes, to catch a borrow leaking downwards.
        for &first in &alphabet {
            for &second in &alphabet {
                let bytes = [
                    b'x', b'x', first, second, b'x', b'x', b'x', b'x', b'x', b'x',
                ];
                let expected = (0..bytes.len())
                    .find(|&i| STRING_STOP[usize::from(bytes[i])])
                    .unwrap_or(bytes.len());
                assert_eq!(plain_run_end(&bytes, 0), expected, "{bytes:?}");
            }
        }
    }

    #[test]
    fn numbers_follow_the_json_grammar() {
        for good in ["0", "-0", "12", "-12", "1.5", "1e3", "1E+3", "-1.5e-3"] {
            assert_eq!(
                Cursor::new(good).skip_value(),
                Ok(()),
                "{good} is a JSON number"
            );
        }
        for bad in ["01", "-", "1.", ".5", "1e", "+1", "--1", "1.e3"] {
            let mut cursor = Cursor::new(bad);
            let whole = cursor.skip_value().is_ok() && cursor.at_end();
            assert!(!whole, "{bad} is not a JSON number");
        }
    }

    #[test]
    fn integers_out_of_range_or_fractional_are_left_to_serde() {
        assert_eq!(fast_only::<i32>("2147483647"), Some(i32::MAX));
        assert_eq!(fast_only::<i32>("2147483648"), None);
        assert_eq!(fast_only::<i64>("1.0"), None);
        assert_eq!(fast_only::<i64>("-9223372036854775808"), Some(i64::MIN));
    }

    #[test]
    fn strings_borrow_or_unescape_like_serde() {
        assert_eq!(fast_only::<String>(r#""plain""#).as_deref(), Some("plain"));
        assert_eq!(
            fast_only::<String>(r#""a\"b\\c\u00e9\ud83d\ude00\n""#).as_deref(),
            Some("a\"b\\c\u{e9}\u{1f600}\n")
        );
        // A raw control character is invalid JSON: never accepted.
        assert_eq!(fast_only::<String>("\"a\tb\""), None);
        assert_eq!(fast_only::<String>(r#""\x""#), None);
        assert_eq!(fast_only::<String>(r#""open"#), None);
    }

    #[test]
    fn skipped_values_are_validated() {
        for good in [
            r#"{"a":[1,{"b":null}],"c":"\"x\""}"#,
            "[]",
            "{}",
            " [ true , false ] ",
        ] {
            let mut cursor = Cursor::new(good);
            assert_eq!(cursor.skip_value(), Ok(()), "{good}");
        }
        for bad in [
            "[1,]",
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            "tru",
            "[1 2]",
            r#"{"a":"\q"}"#,
        ] {
            let mut cursor = Cursor::new(bad);
            let whole = cursor.skip_value().is_ok() && cursor.at_end();
            assert!(!whole, "{bad} is not JSON");
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(Cursor::new(&deep).skip_value(), Err(Mismatch));
    }
}
