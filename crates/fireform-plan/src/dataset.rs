//! Dataset content identity, exactly as the Fireworks Build SDK computes it.
//!
//! A dataset built from a file or inline rows gets the id `dataset-{H}-{F}`, where `H` is
//! `MurmurHash3_x86_32(content, seed 0) & 0x7fffffff` in decimal and `F` is the file name with
//! every character outside `[a-z0-9-]` replaced by `-` (§14.4 of the reference). Inline rows
//! are serialised the way Python's `json.dumps` does by default (`", "` and `": "` separators,
//! non-ASCII escaped), joined by `\n`, under the file name `inmemory.jsonl`. Format and example
//! count are detected from the content. This module reads nothing: callers pass the bytes.

use serde_json::Value as Json;

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
/// writes it, joined by `\n`, no trailing newline. Object keys are written in the order the
/// rows hold them, as Python writes a dict in insertion order: pass the manifest's
/// [`fireform_manifest::Resource::inline_rows`], whose keys are in written order.
pub fn rows_content(rows: &[Json]) -> Vec<u8> {
    let mut text = String::new();
    for (index, row) in rows.iter().enumerate() {
        if index > 0 {
            text.push('\n');
        }
        write_python_json(row, &mut text);
    }
    text.into_bytes()
}

/// Writes `value` as `json.dumps(value)` does with its defaults: `", "` and `": "`
/// separators, `ensure_ascii`, floats as `repr` writes them.
fn write_python_json(value: &Json, out: &mut String) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(true) => out.push_str("true"),
        Json::Bool(false) => out.push_str("false"),
        Json::Number(number) => match number.as_f64() {
            Some(float) if number.is_f64() => out.push_str(&python_float(float)),
            _ => out.push_str(&number.to_string()),
        },
        Json::String(text) => write_python_string(text, out),
        Json::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_python_json(item, out);
            }
            out.push(']');
        }
        Json::Object(entries) => {
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

/// A float as Python's `repr` writes it: the shortest digits that round-trip (as Rust's own
/// formatting picks them), positional for decimal exponents -4 to 15 with at least one
/// fractional digit (`1.0`, `0.0001`), scientific otherwise with a signed two-digit exponent
/// at least (`1e-05`, `1.5e+16`).
fn python_float(number: f64) -> String {
    if number.is_nan() {
        return "NaN".to_owned();
    }
    if number.is_infinite() {
        return if number > 0.0 { "Infinity".to_owned() } else { "-Infinity".to_owned() };
    }
    if number == 0.0 {
        return if number.is_sign_negative() { "-0.0".to_owned() } else { "0.0".to_owned() };
    }
    // `{:e}` gives the shortest round-trip digits as `d[.ddd]e[-]x`.
    let scientific = format!("{number:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(unsigned) => ("-", unsigned),
        None => ("", mantissa),
    };
    if !(-4..16).contains(&exponent) {
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{mantissa}e{exponent_sign}{:02}", exponent.unsigned_abs());
    }
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let point = exponent + 1; // digits before the decimal point
    let (whole, fraction) = if point <= 0 {
        let zeros = "0".repeat(point.unsigned_abs() as usize);
        ("0".to_owned(), format!("{zeros}{digits}"))
    } else {
        let point = point as usize;
        if digits.len() <= point {
            (format!("{digits}{}", "0".repeat(point - digits.len())), "0".to_owned())
        } else {
            (digits[..point].to_owned(), digits[point..].to_owned())
        }
    };
    format!("{sign}{whole}.{fraction}")
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
    use std::path::Path;

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

    /// Rows parsed with their keys in written order, as the manifest keeps them.
    fn rows(text: &str) -> Vec<Json> {
        serde_json::from_str(text).unwrap()
    }

    /// Each case: the rows (as JSON, keys in written order), then the content and the id
    /// computed by CPython 3.11's `json.dumps` and `mmh3.hash(content, signed=False)`.
    const SDK_CASES: &[(&str, &str, &str)] = &[
        (
            // The SDK's own vector: `role` before `content`.
            r#"[{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}]"#,
            r#"{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}"#,
            "dataset-520882913-inmemory-jsonl",
        ),
        (
            r#"[{"z": {"b": 1, "a": [{"y": null, "x": true}, -7]}, "a": false, "m": []}, {"k": {}}]"#,
            "{\"z\": {\"b\": 1, \"a\": [{\"y\": null, \"x\": true}, -7]}, \"a\": false, \"m\": []}\n{\"k\": {}}",
            "dataset-126619919-inmemory-jsonl",
        ),
        (
            r#"[{"text": "héllo wörld — 日本語 😀", "q": "tab\there \"quoted\" back\\slash\nnew\u0001\u007f/"}]"#,
            r#"{"text": "h\u00e9llo w\u00f6rld \u2014 \u65e5\u672c\u8a9e \ud83d\ude00", "q": "tab\there \"quoted\" back\\slash\nnew\u0001\u007f/"}"#,
            "dataset-621740432-inmemory-jsonl",
        ),
        (
            "[{\"values\": [1.0, 0.5, -0.25, 1e-05, 0.0001, 1e16, 9999999999999998.0, 1.5e-7, 123456789.125, 0.1, -0.0, 3.141592653589793, 1e300, 2.5e-300, 100.0, 12345678901234567890.0]}]",
            "{\"values\": [1.0, 0.5, -0.25, 1e-05, 0.0001, 1e+16, 9999999999999998.0, 1.5e-07, 123456789.125, 0.1, -0.0, 3.141592653589793, 1e+300, 2.5e-300, 100.0, 1.2345678901234567e+19]}",
            "dataset-2040011687-inmemory-jsonl",
        ),
        (
            // Keys already in order: the id fireform computed before key order was kept.
            r#"[{"completion": "b", "prompt": "a"}, {"completion": "d", "prompt": "c"}]"#,
            "{\"completion\": \"b\", \"prompt\": \"a\"}\n{\"completion\": \"d\", \"prompt\": \"c\"}",
            "dataset-1398034671-inmemory-jsonl",
        ),
    ];

    #[test]
    fn inline_rows_match_the_sdk() {
        for (input, sdk_content, sdk_id) in SDK_CASES {
            let content = rows_content(&rows(input));
            assert_eq!(String::from_utf8(content.clone()).unwrap(), *sdk_content, "{input}");
            assert_eq!(content_dataset_id(&content, INMEMORY_FILE_NAME), *sdk_id, "{input}");
        }
    }

    /// Floats by bit pattern, and `json.dumps` of each from CPython 3.11.
    const PYTHON_FLOATS: &[(u64, &str)] = &[
        (0x4236_11b7_c27c_e805, "94786536060.90633"),
        (0x5155_71d2_f4f5_a861, "6.509344730398538e+83"),
        (0x0cd6_f819_5083_07d5, "8.212742919913083e-247"),
        (0x2aaa_dfb3_02a9_c396, "3.749565844198488e-103"),
        (0x7e0_8106_a21a_ab72, "9.7625510559292e-271"),
        (0x3d2d_90e1_194d_cca1, "5.2519650381145145e-14"),
        (0x4657_0469_80db_ea27, "7.294452894392176e+30"),
        (0x4012_9fc3_5aed_84e9, "4.65601865839674"),
        (0x1, "5e-324"),
        (0x7fef_ffff_ffff_ffff, "1.7976931348623157e+308"),
        (0x3f1a_36e2_eb1c_432d, "0.0001"),
        (0x3f1a_36e2_eb1c_432c, "9.999999999999999e-05"),
        (0x430c_6bf5_2634_0000, "1000000000000000.0"),
        (0x4341_c379_37e0_8000, "1e+16"),
        (0x405e_dd2f_1a9f_be77, "123.456"),
        (0x4340_0000_0000_0000, "9007199254740992.0"),
        (0x3fd3_3333_3333_3333, "0.3"),
        (0xc1cc_624d_b0e6_dd45, "-952408929.8036276"),
        (0x436f_b220_1639_dcb3, "7.137260127694991e+16"),
        (0x3fb2_2da7_76f5_9240, "0.07100912718085173"),
        (0x3f0e_b889_bcce_e739, "5.859537450399053e-05"),
        (0xbf1c_0025_4c5f_4eb8, "-0.00010681369448600319"),
        (0xc3a6_b8eb_e8e3_9a19, "-8.186589250163212e+17"),
        (0x429c_6767_3e89_e726, "7807609840249.787"),
        (0xc0f6_5e7e_ec72_2167, "-91623.9327260308"),
        (0xbe72_635d_8519_8bf4, "-6.85011809719675e-08"),
        (0xbfb6_8d0d_3fc5_9625, "-0.08808977896622901"),
    ];

    #[test]
    fn floats_are_written_as_python_writes_them() {
        for (bits, python) in PYTHON_FLOATS {
            assert_eq!(python_float(f64::from_bits(*bits)), *python, "{bits:#x}");
        }
        assert_eq!(python_float(f64::NAN), "NaN");
        assert_eq!(python_float(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn manifest_rows_get_the_sdk_id_through_the_planner() {
        // End to end through the manifest loader, both YAML paths (an anchor sends the file
        // through serde-saphyr), and the planner's desired object.
        let chat = "kind: Dataset\nname: chats\nspec:\n  rows:\n    - messages:\n        - {role: user, content: hi}\n        - role: assistant\n          content: hello\n";
        let slow = chat.replace("name: chats", "name: &n chats");
        for text in [chat.to_owned(), slow] {
            let manifest = fireform_manifest::load_str(Path::new("m.yaml"), &text).unwrap();
            let resource = manifest.resources.values().next().unwrap();
            let desired = crate::kinds::desired(
                resource,
                "acct",
                &manifest.project_dir,
                &crate::kinds::Catalog::default(),
                &|_| crate::kinds::Resolved::Unknown,
            )
            .unwrap();
            let id = "dataset-520882913-inmemory-jsonl";
            assert_eq!(desired.id.as_deref(), Some(id), "{text}");
            assert_eq!(desired.content_id.as_deref(), Some(id));
            assert_eq!(
                desired.remote_name.as_deref(),
                Some("accounts/acct/datasets/dataset-520882913-inmemory-jsonl")
            );
            let upload = desired.upload.unwrap();
            assert_eq!(upload.file_name, INMEMORY_FILE_NAME);
            assert_eq!(
                upload.source,
                crate::kinds::UploadSource::Inline {
                    content: String::from_utf8(rows_content(&rows(SDK_CASES[0].0))).unwrap()
                }
            );
            assert_eq!(desired.body.get("format"), Some(&Json::String("CHAT".to_owned())));
        }
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
