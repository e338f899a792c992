//! Dataset content identity, exactly as the Fireworks Build SDK computes it.
//!
//! A dataset built from a file or inline rows gets the id `dataset-{H}-{F}`, where `H` is
//! `MurmurHash3_x86_32(content, seed 0) & 0x7fffffff` in decimal and `F` is the file name with
//! every character outside `[a-z0-9-]` replaced by `-` (§14.4 of the reference). Inline rows
//! are serialised the way Python's `json.dumps` does by default (`", "` and `": "` separators,
//! non-ASCII escaped), joined by `\n`, under the file name `inmemory.jsonl`. Format and example
//! count are detected from the content. This module reads nothing: callers pass the bytes.

use fireform_core::Value;

/// The file name the SDK uses for in-memory data.
pub const INMEMORY_FILE_NAME: &str = "inmemory.jsonl";

/// The SDK's cap on the example count it reports.
const MAX_EXAMPLE_COUNT: u64 = 50_000_000;

/// MurmurHash3, x86 32-bit variant.
pub fn murmur3_x86_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut hash = seed;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        hash ^= k;
        hash = hash.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut k: u32 = 0;
        for (index, byte) in tail.iter().enumerate() {
            k |= u32::from(*byte) << (8 * index);
        }
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        hash ^= k;
    }
    // Lengths over 4 GiB wrap, as in the reference implementation's 32-bit length.
    hash ^= data.len() as u32;
    hash ^= hash >> 16;
    hash = hash.wrapping_mul(0x85eb_ca6b);
    hash ^= hash >> 13;
    hash = hash.wrapping_mul(0xc2b2_ae35);
    hash ^= hash >> 16;
    hash
}

/// The content-addressed dataset id: `dataset-{hash & 0x7fffffff}-{sanitised file name}`.
pub fn content_dataset_id(content: &[u8], file_name: &str) -> String {
    let hash = murmur3_x86_32(content, 0) & 0x7fff_ffff;
    let sanitised: String = file_name
        .chars()
        .map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' { c } else { '-' })
        .collect();
    format!("dataset-{hash}-{sanitised}")
}

/// The bytes the SDK hashes and uploads for inline rows: each row as Python's `json.dumps`
/// writes it, joined by `\n`, no trailing newline.
pub fn rows_content(rows: &[Value]) -> Vec<u8> {
    let mut text = String::new();
    for (index, row) in rows.iter().enumerate() {
        if index > 0 {
            text.push('\n');
        }
        write_python_json(row, &mut text);
    }
    text.into_bytes()
}

fn write_python_json(value: &Value, out: &mut String) {
    match value {
        Value::Null | Value::Ref(_) => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Int(number) => out.push_str(&number.to_string()),
        Value::Float(number) => out.push_str(&python_float(*number)),
        Value::String(text) => write_python_string(text, out),
        Value::Duration(duration) => write_python_string(&format_duration(*duration), out),
        Value::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_python_json(item, out);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (index, (key, item)) in entries.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_python_string(key, out);
                out.push_str(": ");
                write_python_json(item, out);
            }
            out.push('}');
        }
    }
}

fn python_float(number: f64) -> String {
    if number.is_nan() {
        "NaN".to_owned()
    } else if number.is_infinite() {
        if number > 0.0 { "Infinity".to_owned() } else { "-Infinity".to_owned() }
    } else if number.fract() == 0.0 && number.abs() < 1e16 {
        format!("{number:.1}")
    } else {
        format!("{number}")
    }
}

fn write_python_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// Formats a duration the way the wire writes it: `600s`, `1.5s`.
pub fn format_duration(duration: std::time::Duration) -> String {
    let nanos = duration.subsec_nanos();
    if nanos == 0 {
        format!("{}s", duration.as_secs())
    } else {
        let fraction = format!("{nanos:09}");
        format!("{}.{}s", duration.as_secs(), fraction.trim_end_matches('0'))
    }
}

/// The dataset format the SDK detects from the first line: `COMPLETION` when it has `prompt`
/// and `completion`, `CHAT` when it has a non-empty `messages` list, otherwise
/// `FORMAT_UNSPECIFIED`.
pub fn detect_format(content: &[u8]) -> &'static str {
    let first = content.split(|byte| *byte == b'\n').next().unwrap_or_default();
    let Ok(serde_json::Value::Object(row)) = serde_json::from_slice::<serde_json::Value>(first)
    else {
        return "FORMAT_UNSPECIFIED";
    };
    if row.contains_key("prompt") && row.contains_key("completion") {
        "COMPLETION"
    } else if row
        .get("messages")
        .and_then(|messages| messages.as_array())
        .is_some_and(|m| !m.is_empty())
    {
        "CHAT"
    } else {
        "FORMAT_UNSPECIFIED"
    }
}

/// The number of examples: non-empty lines, capped as the SDK caps it.
pub fn example_count(content: &[u8]) -> u64 {
    let lines = content
        .split(|byte| *byte == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .count() as u64;
    lines.min(MAX_EXAMPLE_COUNT)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn murmur3_matches_the_sdk_test_vectors() {
        assert_eq!(murmur3_x86_32(b"abc", 0), 0xB3DD_93FA);
        assert_eq!(murmur3_x86_32(b"abc", 0) & 0x7fff_ffff, 870_159_354);
        assert_eq!(murmur3_x86_32(b"hello", 0) & 0x7fff_ffff, 613_153_351);
        assert_eq!(murmur3_x86_32(b"", 0), 0);
    }

    #[test]
    fn file_names_are_sanitised_without_lowercasing() {
        assert_eq!(content_dataset_id(b"abc", "Train.jsonl"), "dataset-870159354--rain-jsonl");
    }

    #[test]
    fn inline_rows_match_the_sdk() {
        let message = |role: &str, content: &str| {
            Value::Map(BTreeMap::from([
                ("content".to_owned(), Value::String(content.to_owned())),
                ("role".to_owned(), Value::String(role.to_owned())),
            ]))
        };
        // The SDK's vector lists `role` before `content`; maps here are key-ordered, so the
        // vector is reproduced with the SDK's exact bytes, and the serialiser is checked
        // separately below.
        let sdk_bytes = br#"{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}"#;
        assert_eq!(
            content_dataset_id(sdk_bytes, INMEMORY_FILE_NAME),
            "dataset-520882913-inmemory-jsonl"
        );
        let row = Value::Map(BTreeMap::from([(
            "messages".to_owned(),
            Value::List(vec![message("user", "hi"), message("assistant", "héllo")]),
        )]));
        assert_eq!(
            String::from_utf8(rows_content(&[row.clone(), row])).unwrap(),
            "{\"messages\": [{\"content\": \"hi\", \"role\": \"user\"}, {\"content\": \"h\\u00e9llo\", \"role\": \"assistant\"}]}\n\
             {\"messages\": [{\"content\": \"hi\", \"role\": \"user\"}, {\"content\": \"h\\u00e9llo\", \"role\": \"assistant\"}]}"
        );
    }

    #[test]
    fn detects_format_and_counts() {
        assert_eq!(detect_format(br#"{"messages":[{"role":"user"}]}"#), "CHAT");
        assert_eq!(detect_format(br#"{"prompt":"a","completion":"b"}"#), "COMPLETION");
        assert_eq!(detect_format(br#"{"messages":[]}"#), "FORMAT_UNSPECIFIED");
        assert_eq!(detect_format(b"not json"), "FORMAT_UNSPECIFIED");
        assert_eq!(example_count(b"a\nb\n\nc\n"), 3);
    }

    #[test]
    fn durations_format_like_the_wire() {
        assert_eq!(format_duration(std::time::Duration::from_secs(600)), "600s");
        assert_eq!(format_duration(std::time::Duration::from_millis(1500)), "1.5s");
    }
}
