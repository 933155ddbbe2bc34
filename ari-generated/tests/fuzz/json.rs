//! A JSON tree that keeps what a mutation needs and `serde_json::Value`
//! loses: member order, duplicate members, and the exact text of numbers and
//! strings (escapes included), so that any spelling can be written back.

use super::rng::Rng;

#[derive(Debug, Clone)]
pub enum Json {
    /// A literal token written as is: `null`, `true`, a number, or anything
    /// a mutation puts in a value's place.
    Token(String),
    /// A string by the text between its quotes, escapes left as written.
    Str(String),
    Array(Vec<Json>),
    /// Members by the raw text of their names.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses text known to be valid JSON (the recorded events).
    pub fn parse(text: &str) -> Option<Json> {
        let mut parser = Parser {
            bytes: text.as_bytes(),
            text,
            pos: 0,
        };
        let value = parser.value()?;
        parser.whitespace();
        (parser.pos == text.len()).then_some(value)
    }

    /// Writes the tree, with whitespace between tokens when `rng` says so
    /// (`spacing` is the chance per gap).
    pub fn write(&self, out: &mut String, rng: &mut Rng, spacing: f64) {
        match self {
            Json::Token(token) => out.push_str(token),
            Json::Str(raw) => {
                out.push('"');
                out.push_str(raw);
                out.push('"');
            }
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        gap(out, rng, spacing);
                        out.push(',');
                    }
                    gap(out, rng, spacing);
                    item.write(out, rng, spacing);
                }
                gap(out, rng, spacing);
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (i, (name, value)) in members.iter().enumerate() {
                    if i > 0 {
                        gap(out, rng, spacing);
                        out.push(',');
                    }
                    gap(out, rng, spacing);
                    out.push('"');
                    out.push_str(name);
                    out.push('"');
                    gap(out, rng, spacing);
                    out.push(':');
                    gap(out, rng, spacing);
                    value.write(out, rng, spacing);
                }
                gap(out, rng, spacing);
                out.push('}');
            }
        }
    }
}

fn gap(out: &mut String, rng: &mut Rng, spacing: f64) {
    if spacing > 0.0 && rng.chance(spacing) {
        for _ in 0..rng.below(3) + 1 {
            out.push(*rng.pick(&[' ', '\n', '\r', '\t']));
        }
    }
}

struct Parser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn whitespace(&mut self) {
        while matches!(self.bytes.get(self.pos), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.pos += 1;
        }
    }

    fn value(&mut self) -> Option<Json> {
        self.whitespace();
        match *self.bytes.get(self.pos)? {
            b'"' => self.raw_string().map(Json::Str),
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                self.whitespace();
                if self.bytes.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    return Some(Json::Array(items));
                }
                loop {
                    items.push(self.value()?);
                    self.whitespace();
                    match self.bytes.get(self.pos)? {
                        b',' => self.pos += 1,
                        b']' => {
                            self.pos += 1;
                            return Some(Json::Array(items));
                        }
                        _ => return None,
                    }
                }
            }
            b'{' => {
                self.pos += 1;
                let mut members = Vec::new();
                self.whitespace();
                if self.bytes.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    return Some(Json::Object(members));
                }
                loop {
                    self.whitespace();
                    let name = self.raw_string()?;
                    self.whitespace();
                    (self.bytes.get(self.pos) == Some(&b':')).then_some(())?;
                    self.pos += 1;
                    members.push((name, self.value()?));
                    self.whitespace();
                    match self.bytes.get(self.pos)? {
                        b',' => self.pos += 1,
                        b'}' => {
                            self.pos += 1;
                            return Some(Json::Object(members));
                        }
                        _ => return None,
                    }
                }
            }
            _ => {
                let start = self.pos;
                while let Some(byte) = self.bytes.get(self.pos) {
                    if matches!(byte, b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t') {
                        break;
                    }
                    self.pos += 1;
                }
                Some(Json::Token(self.text.get(start..self.pos)?.to_owned()))
            }
        }
    }

    fn raw_string(&mut self) -> Option<String> {
        (self.bytes.get(self.pos) == Some(&b'"')).then_some(())?;
        let start = self.pos + 1;
        let mut i = start;
        loop {
            match self.bytes.get(i)? {
                b'"' => break,
                b'\\' => i += 2,
                _ => i += 1,
            }
        }
        self.pos = i + 1;
        self.text.get(start..i).map(str::to_owned)
    }
}
