//! Seeded mutations of real messages: each aims at a place where a
//! hand-written JSON reader can part ways with serde (escapes, numbers,
//! depth, duplicates, order, shapes, broken text).

use super::json::Json;
use super::rng::Rng;

/// One step from a container to a child: an array index or a member index.
type Path = Vec<usize>;

/// Text made from `seed` by one to three structural mutations, written with
/// or without whitespace, sometimes broken afterwards at the byte level.
pub fn mutate(seed: &Json, rng: &mut Rng) -> String {
    match rng.below(1000) {
        0 => return String::new(),
        1 => return " \n\t ".to_owned(),
        2 => return megabyte_message(seed, rng),
        _ => {}
    }
    let mut doc = seed.clone();
    for _ in 0..rng.below(3) + 1 {
        structural(&mut doc, rng);
    }
    let spacing = if rng.chance(0.7) {
        0.0
    } else {
        *rng.pick(&[0.05, 0.2, 0.5, 1.0])
    };
    let mut text = String::new();
    doc.write(&mut text, rng, spacing);
    if rng.chance(0.2) {
        text = textual(text, rng);
    }
    text
}

fn structural(doc: &mut Json, rng: &mut Rng) {
    match rng.below(12) {
        0 | 1 => {
            let path = random_path(doc, rng, |_| true);
            let depth = path.len();
            *at(doc, &path) = replacement(rng, depth);
        }
        2 | 3 => with_string(doc, rng, escape),
        4 => with_member(doc, rng, |members, index, rng| {
            members[index].0 = escape(&members[index].0, rng);
        }),
        5 => with_string(doc, rng, with_multibyte),
        6 => with_member(doc, rng, |members, index, rng| {
            let (name, value) = members[index].clone();
            let other = if rng.chance(0.5) {
                value
            } else {
                replacement(rng, 1)
            };
            let at = rng.below(members.len() + 1);
            members.insert(at, (name, other));
        }),
        7 => with_object(doc, rng, |members, rng| match rng.below(3) {
            0 => shuffle(members, rng),
            1 => move_member(members, "type", true),
            _ => move_member(members, "type", false),
        }),
        8 => with_member(doc, rng, |members, index, _| {
            members.remove(index);
        }),
        9 => {
            let path = random_path(doc, rng, |node| matches!(node, Json::Object(_)));
            let depth = path.len() + 1;
            if let Json::Object(members) = at(doc, &path) {
                let name = random_text(rng, 8);
                let nest = depth_near_limit(depth, rng);
                let value = if rng.chance(0.5) {
                    nested(rng, nest)
                } else {
                    random_value(rng, 3)
                };
                let at = rng.below(members.len() + 1);
                members.insert(at, (name, value));
            }
        }
        10 => {
            // Deep nesting in place of an existing value, typed or free-form.
            let path = random_path(doc, rng, |_| true);
            let depth = path.len();
            let nest = depth_near_limit(depth, rng);
            *at(doc, &path) = nested(rng, nest);
        }
        _ => {
            if let Json::Object(members) = doc
                && let Some(member) = members.iter_mut().find(|(name, _)| name == "type")
            {
                member.1 = match (rng.below(4), &member.1) {
                    (0, Json::Str(raw)) => Json::Str(escape(raw, rng)),
                    (1, Json::Str(raw)) => Json::Str(format!("{raw}{}", random_text(rng, 2))),
                    _ => replacement(rng, 1),
                };
            }
        }
    }
}

/// A value for any place: literals, edge-case numbers, empty containers,
/// strings with escapes, and occasionally something deep.
fn replacement(rng: &mut Rng, depth: usize) -> Json {
    const TOKENS: &[&str] = &[
        "null",
        "true",
        "false",
        "[]",
        "{}",
        "\"\"",
        "[null]",
        "{\"a\":{}}",
        "0",
        "-0",
        "-1",
        "1",
        "7",
        "2147483647",
        "2147483648",
        "-2147483648",
        "-2147483649",
        "4294967295",
        "4294967296",
        "3735928559",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "18446744073709551615",
        "18446744073709551616",
        "100000000000000000000000",
        "1e3",
        "1E+2",
        "1e-2",
        "-0e0",
        "1.0",
        "0.0",
        "-0.0",
        "1.5",
        "-1.5",
        "1e400",
        "-1e400",
        "1e-400",
        "01",
        "-01",
        "00",
        "1.",
        "+1",
        ".5",
        "NaN",
        "Infinity",
        "0x10",
        "tru",
        "nul",
        "\"2026-11-22T10:00:00.123+0000\"",
        "\"2026-11-22T10:00:00+0000\"",
        "\"2026-13-45T99:99:99.999+9999\"",
        "\"up\"",
        "\"Up\"",
    ];
    match rng.below(10) {
        0..=5 => Json::Token((*rng.pick(TOKENS)).to_owned()),
        6 | 7 => Json::Str(escape(&random_text(rng, 12), rng)),
        8 => random_value(rng, 3),
        _ => {
            let levels = depth_near_limit(depth, rng);
            nested(rng, levels)
        }
    }
}

fn random_value(rng: &mut Rng, budget: usize) -> Json {
    if budget == 0 {
        return Json::Token((*rng.pick(&["1", "null", "\"x\"", "-0", "1.5"])).to_owned());
    }
    match rng.below(4) {
        0 => Json::Array(
            (0..rng.below(4))
                .map(|_| random_value(rng, budget - 1))
                .collect(),
        ),
        1 => Json::Object(
            (0..rng.below(4))
                .map(|_| (random_text(rng, 6), random_value(rng, budget - 1)))
                .collect(),
        ),
        2 => Json::Str(escape(&random_text(rng, 10), rng)),
        _ => Json::Token((*rng.pick(&["0", "-0", "12", "true", "null", "2e5"])).to_owned()),
    }
}

/// How many levels to add at `depth` to land around serde's limit (127
/// levels in a document), or at an ordinary depth now and then.
fn depth_near_limit(depth: usize, rng: &mut Rng) -> usize {
    if rng.chance(0.2) {
        return rng.below(5) + 1;
    }
    let total = 124 + rng.below(7);
    total.saturating_sub(depth).max(1)
}

fn nested(rng: &mut Rng, levels: usize) -> Json {
    let mut value = Json::Token((*rng.pick(&["1", "null", "\"x\"", "[]", "{}"])).to_owned());
    for _ in 0..levels {
        value = if rng.chance(0.5) {
            Json::Array(vec![value])
        } else {
            Json::Object(vec![(random_text(rng, 3), value)])
        };
    }
    value
}

/// Text for a string's raw contents: ASCII, multibyte UTF-8 of every length,
/// and escapes of every kind, valid and not.
fn random_text(rng: &mut Rng, max: usize) -> String {
    const PIECES: &[&str] = &[
        "a",
        "Z",
        "0",
        " ",
        "type",
        "id",
        "é",
        "€",
        "😀",
        "\u{10FFFF}",
        "\u{7f}",
        "ß",
        "\\\"",
        "\\\\",
        "\\/",
        "\\n",
        "\\t",
        "\\u0000",
        "\\u00e9",
        "\\u20AC",
        "\\ud83d\\ude00",
        "\\uD83D\\uDE00",
    ];
    (0..rng.below(max) + 1).map(|_| *rng.pick(PIECES)).collect()
}

/// Rewrites some plain characters of a raw string as escapes (`\uXXXX` in
/// either case, surrogate pairs, short escapes) and sometimes adds an escape
/// serde refuses or treats specially (lone surrogates, unknown escapes).
fn escape(raw: &str, rng: &mut Rng) -> String {
    let rate = *rng.pick(&[0.05, 0.3, 1.0]);
    let mut out = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            // An escape already there stays whole.
            out.push(c);
            if let Some(next) = chars.next() {
                out.push(next);
                if next == 'u' {
                    out.extend(chars.by_ref().take(4));
                }
            }
            continue;
        }
        if !rng.chance(rate) {
            out.push(c);
            continue;
        }
        let upper = rng.chance(0.5);
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units) {
            if upper {
                out.push_str(&format!("\\u{unit:04X}"));
            } else {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    if rng.chance(0.3) {
        const SPECIAL: &[&str] = &[
            "\\ud800",
            "\\udc00",
            "\\udbff\\udfff",
            "\\ud800a",
            "\\ud800\\ud800",
            "\\ud800\\u0041",
            "\\udfff\\ud800",
            "\\x",
            "\\'",
            "\\u12",
            "\\u12G4",
            "\\U0041",
            "\\b",
            "\\f",
            "\\r",
            "\\/",
            "\\\\",
            "\\\"",
            "\\u0000",
            "\\u001f",
            "\\u007f",
            "\\uFFFF",
            "\\uFEFF",
        ];
        let at = char_boundary(&out, rng.below(out.len() + 1));
        let special = *rng.pick(SPECIAL);
        out.insert_str(at, special);
    }
    out
}

/// Puts multibyte characters or raw control characters beside the string's
/// ends and escapes.
fn with_multibyte(raw: &str, rng: &mut Rng) -> String {
    const PIECES: &[&str] = &[
        "é",
        "€",
        "😀",
        "\u{10FFFF}",
        "\u{80}",
        "\u{7ff}",
        "\u{800}",
        "\u{ffff}",
        "\u{1}",
        "\u{1f}",
        "\t",
        "\n",
        "\u{7f}",
    ];
    let mut out = raw.to_owned();
    for _ in 0..rng.below(3) + 1 {
        let piece = *rng.pick(PIECES);
        let at = match rng.below(3) {
            0 => 0,
            1 => out.len(),
            _ => char_boundary(&out, rng.below(out.len() + 1)),
        };
        // Never between a backslash and what it escapes.
        let at = if out[..at].ends_with('\\') && !out[..at].ends_with("\\\\") {
            at - 1
        } else {
            at
        };
        out.insert_str(at, piece);
    }
    out
}

/// A message with a megabyte string in one of its string values: plain,
/// made of escapes, or multibyte.
fn megabyte_message(seed: &Json, rng: &mut Rng) -> String {
    let piece = *rng.pick(&["a", "\\n", "\\\"x", "\\u00e9", "é", "\\ud83d\\ude00"]);
    let big = piece.repeat((1 << 20) / piece.len());
    let mut doc = seed.clone();
    if let Some(path) = some_path(&doc, rng, |node| matches!(node, Json::Str(_))) {
        *at(&mut doc, &path) = Json::Str(big);
    }
    let mut text = String::new();
    doc.write(&mut text, rng, 0.0);
    text
}

/// Byte-level damage: a flipped bit, a cut, a lost or an extra byte, a
/// raw control character.
fn textual(text: String, rng: &mut Rng) -> String {
    if text.is_empty() {
        return text;
    }
    let mut bytes = text.into_bytes();
    let at = rng.below(bytes.len());
    match rng.below(5) {
        0 => bytes[at] ^= 1 << rng.below(8),
        1 => bytes.truncate(at),
        2 => {
            bytes.remove(at);
        }
        3 => bytes.insert(at, *rng.pick(b"{}[],:\"\\ 0-9eE.tfn\x00\x01\x1f")),
        _ => {
            let end = (at + rng.below(16)).min(bytes.len());
            let copy = bytes[at..end].to_vec();
            bytes.splice(at..at, copy);
        }
    }
    // Frames are text: damage that breaks UTF-8 arrives as replacement characters.
    String::from_utf8_lossy(&bytes).into_owned()
}

fn char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn shuffle<T>(items: &mut [T], rng: &mut Rng) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
}

fn move_member(members: &mut Vec<(String, Json)>, name: &str, last: bool) {
    if let Some(index) = members.iter().position(|(n, _)| n == name) {
        let member = members.remove(index);
        if last {
            members.push(member);
        } else {
            members.insert(0, member);
        }
    }
}

/// Rewrites the raw text of a random string value.
fn with_string(doc: &mut Json, rng: &mut Rng, change: fn(&str, &mut Rng) -> String) {
    if let Some(path) = some_path(doc, rng, |node| matches!(node, Json::Str(_)))
        && let Json::Str(raw) = at(doc, &path)
    {
        *raw = change(raw, rng);
    }
}

/// Calls `change` on a random object's members.
fn with_object(
    doc: &mut Json,
    rng: &mut Rng,
    change: impl FnOnce(&mut Vec<(String, Json)>, &mut Rng),
) {
    let path = random_path(doc, rng, |node| matches!(node, Json::Object(_)));
    if let Json::Object(members) = at(doc, &path) {
        change(members, rng);
    }
}

/// Calls `change` on a random member of a random non-empty object.
fn with_member(
    doc: &mut Json,
    rng: &mut Rng,
    change: impl FnOnce(&mut Vec<(String, Json)>, usize, &mut Rng),
) {
    let found = some_path(
        doc,
        rng,
        |node| matches!(node, Json::Object(m) if !m.is_empty()),
    );
    if let Some(path) = found
        && let Json::Object(members) = at(doc, &path)
    {
        let index = rng.below(members.len());
        change(members, index, rng);
    }
}

/// A random node matching `wanted`, or the root when none does.
fn random_path(doc: &Json, rng: &mut Rng, wanted: impl Fn(&Json) -> bool) -> Path {
    some_path(doc, rng, wanted).unwrap_or_default()
}

fn some_path(doc: &Json, rng: &mut Rng, wanted: impl Fn(&Json) -> bool) -> Option<Path> {
    let mut paths = Vec::new();
    collect(doc, &mut Vec::new(), &mut paths, &wanted);
    (!paths.is_empty()).then(|| paths.swap_remove(rng.below(paths.len())))
}

fn collect(node: &Json, path: &mut Path, out: &mut Vec<Path>, wanted: &impl Fn(&Json) -> bool) {
    if wanted(node) {
        out.push(path.clone());
    }
    let children: Vec<&Json> = match node {
        Json::Array(items) => items.iter().collect(),
        Json::Object(members) => members.iter().map(|(_, value)| value).collect(),
        _ => Vec::new(),
    };
    for (i, child) in children.into_iter().enumerate() {
        path.push(i);
        collect(child, path, out, wanted);
        path.pop();
    }
}

fn at<'a>(mut node: &'a mut Json, path: &[usize]) -> &'a mut Json {
    for &step in path {
        node = match node {
            Json::Array(items) => &mut items[step],
            Json::Object(members) => &mut members[step].1,
            other => return other,
        };
    }
    node
}
