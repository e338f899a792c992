//! The fast path of [`crate::yaml`]: builds the span-carrying [`Node`] tree straight from the
//! events of serde-saphyr's own YAML parser (`granit-parser`, which serde-saphyr re-exports),
//! skipping serde's per-node `Spanned` machinery, which costs more than the parsing itself.
//!
//! It only handles the plain shape manifests nearly always have: mappings, sequences and
//! scalars whose meaning is unambiguous (strings, `null`, booleans, short decimal integers
//! and fractions), well inside serde-saphyr's budgets. On anything else (a syntax error, an
//! anchor, an alias, a tag, a merge key, a complex key, a number in another notation, a very
//! large or deep input) it returns `None` and the caller parses the file with serde-saphyr,
//! so every diagnostic, every limit against YAML bombs, and every value stays exactly what
//! serde-saphyr produces. A differential test holds the two paths to identical trees.
//! The parser is configured as serde-saphyr configures it (its default budget, comment events
//! on, which needs serde-saphyr's default `comments` feature).

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Span};

use crate::yaml::{Key, Node, NodeValue, clamp};

/// Inputs beyond these bounds go to serde-saphyr, which enforces its own (larger) budget
/// (`max_documents` 1024, `max_depth` 64, `max_nodes` 250 000, `max_events` 1 000 000).
const MAX_DOCUMENTS: usize = 512;
const MAX_DEPTH: usize = 32;
const MAX_NODES: usize = 100_000;
/// Longest integer handled here: 18 digits always fit an `i64`.
const MAX_INT_DIGITS: usize = 18;
/// Longest fraction handled here.
const MAX_FLOAT_LEN: usize = 32;

/// An open mapping or sequence.
struct Frame {
    line: u32,
    column: u32,
    len: u32,
    content: Content,
}

enum Content {
    Seq(Vec<Node>),
    /// Entries so far, and the key waiting for its value.
    Map(Vec<(Key, Node)>, Option<Key>),
}

/// Parses every document of `text` as serde-saphyr would, or returns `None` when the text
/// needs serde-saphyr itself (see the module documentation).
pub(crate) fn parse(text: &str) -> Option<Vec<Node>> {
    let mut parser = Parser::new_from_str_with_options(text, parser_options());
    let mut documents = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut nodes = 0_usize;
    let mut seen_documents = 0_usize;
    while let Some(item) = parser.next_event() {
        let (event, span) = item.ok()?;
        let done = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Comment(..) => None,
            Event::DocumentStart(..) => {
                seen_documents += 1;
                if seen_documents > MAX_DOCUMENTS {
                    return None;
                }
                None
            }
            Event::Scalar(value, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                nodes += 1;
                if let Some(Frame { content: Content::Map(_, pending @ None), .. }) =
                    stack.last_mut()
                {
                    // A key: a string for serde-saphyr's `Spanned<String>`.
                    let plain = style == ScalarStyle::Plain;
                    if value.is_empty() || value == "<<" || plain && !plain_is_string(&value) {
                        return None;
                    }
                    let (line, column, len) = position(&span);
                    *pending = Some(Key { text: value.into_owned(), line, column, len });
                    None
                } else {
                    let value = match style {
                        ScalarStyle::Plain => plain_value(&value)?,
                        _ => NodeValue::String(value.into_owned()),
                    };
                    let (line, column, len) = position(&span);
                    Some(Node { value, line, column, len })
                }
            }
            Event::SequenceStart(_, anchor, ref tag) | Event::MappingStart(_, anchor, ref tag) => {
                let is_map = matches!(event, Event::MappingStart(..));
                let complex_key =
                    matches!(stack.last(), Some(Frame { content: Content::Map(_, None), .. }));
                if anchor != 0 || tag.is_some() || complex_key || stack.len() >= MAX_DEPTH {
                    return None;
                }
                nodes += 1;
                let (line, column, len) = position(&span);
                let content =
                    if is_map { Content::Map(Vec::new(), None) } else { Content::Seq(Vec::new()) };
                stack.push(Frame { line, column, len, content });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = stack.pop()?;
                let value = match frame.content {
                    Content::Seq(items) => NodeValue::Seq(items),
                    Content::Map(entries, None) => NodeValue::Map(entries),
                    Content::Map(_, Some(_)) => return None,
                };
                Some(Node { value, line: frame.line, column: frame.column, len: frame.len })
            }
            // Aliases, anchors and anything newer: serde-saphyr's job.
            _ => return None,
        };
        if nodes > MAX_NODES {
            return None;
        }
        let Some(node) = done else { continue };
        match stack.last_mut() {
            None => {
                // serde-saphyr skips empty and null documents; any other scalar document is
                // rare enough to leave to it.
                match node.value {
                    NodeValue::Null => {}
                    NodeValue::Map(_) | NodeValue::Seq(_) => documents.push(node),
                    _ => return None,
                }
            }
            Some(Frame { content: Content::Seq(items), .. }) => items.push(node),
            Some(Frame { content: Content::Map(entries, pending), .. }) => {
                let key = pending.take()?;
                entries.push((key, node));
            }
        }
    }
    stack.is_empty().then_some(documents)
}

/// The parser options serde-saphyr derives from its default budget, so that both paths
/// accept exactly the same texts.
fn parser_options() -> serde_saphyr::granit_parser::Options {
    let budget = serde_saphyr::budget::Budget::default();
    let mut options = serde_saphyr::granit_parser::Options::default();
    options.simple_key_max_lookahead = budget.simple_key_max_lookahead;
    options.flow_nesting_limit = budget.flow_nesting_limit;
    options.block_nesting_limit =
        options.block_nesting_limit.max(budget.max_depth.saturating_add(1));
    options.emit_comments = true;
    options.max_buffered_comment_events = budget.max_buffered_comment_events;
    options
}

/// Line, 1-based column and length in characters, as serde-saphyr's `Location` gives them.
fn position(span: &Span) -> (u32, u32, u32) {
    let line = clamp(span.start.line() as u64);
    let column = clamp(span.start.col() as u64 + 1);
    let len = clamp(span.end.index().saturating_sub(span.start.index()) as u64);
    (line, column, len)
}

/// Whether serde-saphyr reads a plain scalar as a string for certain: it is not a `null` or
/// boolean spelling, has no padding its scalar parsers would trim, and either starts with a
/// character no number starts with or holds one that no integer or float notation uses
/// (`30s`, `4h`, `8b-instruct`).
fn plain_is_string(text: &str) -> bool {
    let bytes = text.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else { return false };
    let padding = |byte: u8| matches!(byte, b' ' | b'\t' | b'\r' | b'\n');
    if padding(first) || padding(last) {
        return false;
    }
    if matches!(
        text,
        "~" | "null" | "Null" | "NULL" | "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
    ) {
        return false;
    }
    // Everything Rust's float parser (digits, `.`, exponents, `inf`, `infinity`, `nan`) and
    // serde-saphyr's integer parser (signs, `0x`/`0o`/`0b`, hex digits, `_`) may accept.
    let numeric = |byte: u8| {
        byte.is_ascii_hexdigit()
            || matches!(byte, b'.' | b'+' | b'-' | b'_' | b'x' | b'X' | b'o' | b'O')
            || matches!(byte, b'i' | b'I' | b'n' | b'N' | b't' | b'T' | b'y' | b'Y')
    };
    first.is_ascii_alphabetic()
        || matches!(first, b'$' | b'/')
        || !bytes.iter().copied().all(numeric)
}

/// The value of a plain scalar as serde-saphyr's untyped deserialization reads it (YAML 1.2
/// core schema, strict booleans), or `None` when that takes serde-saphyr's own rules.
fn plain_value(text: &str) -> Option<NodeValue> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(NodeValue::Null),
        "true" | "True" | "TRUE" => return Some(NodeValue::Bool(true)),
        "false" | "False" | "FALSE" => return Some(NodeValue::Bool(false)),
        _ => {}
    }
    if plain_is_string(text) {
        return Some(NodeValue::String(text.to_owned()));
    }
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let decimal = |digits: &str| {
        !digits.is_empty()
            && digits.bytes().all(|byte| byte.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'))
    };
    if decimal(unsigned) && unsigned.len() <= MAX_INT_DIGITS {
        return text.parse().ok().map(NodeValue::Int);
    }
    let (whole, fraction) = unsigned.split_once('.')?;
    let fraction_ok = !fraction.is_empty() && fraction.bytes().all(|byte| byte.is_ascii_digit());
    if decimal(whole) && fraction_ok && text.len() <= MAX_FLOAT_LEN {
        return text.parse().ok().filter(|value: &f64| value.is_finite()).map(NodeValue::Float);
    }
    None
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use proptest::prelude::*;
    use proptest::strategy::ValueTree;

    use super::*;
    use crate::yaml::parse_documents_serde;

    /// The fast path either declines or agrees with serde-saphyr exactly, positions included;
    /// returns whether it took the text.
    fn agrees(text: &str) -> bool {
        let Some(fast) = parse(text) else { return false };
        let file: Arc<Path> = Arc::from(Path::new("a.yaml"));
        match parse_documents_serde(&file, text) {
            Ok(slow) => assert_eq!(fast, slow, "the two paths differ on {text:?}"),
            Err(error) => panic!("fast path took {text:?}, serde-saphyr refuses it: {error:?}"),
        }
        true
    }

    fn yaml_files(dir: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                yaml_files(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "yaml" || ext == "yml") {
                found.push(path);
            }
        }
    }

    #[test]
    fn agrees_on_every_manifest_in_the_repository() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        for dir in ["manifests", "examples", "tests"] {
            yaml_files(&root.join(dir), &mut files);
        }
        assert!(files.len() > 40, "found only {} manifests", files.len());
        let taken =
            files.iter().filter(|file| agrees(&std::fs::read_to_string(file).unwrap())).count();
        assert!(taken * 2 > files.len(), "fast path took only {taken} of {}", files.len());
        // Valid manifests must not fall back, or the fast path is dead weight.
        for dir in ["manifests", "examples"] {
            let mut valid = Vec::new();
            yaml_files(&root.join(dir), &mut valid);
            for file in valid {
                assert!(parse(&std::fs::read_to_string(&file).unwrap()).is_some(), "{file:?}");
            }
        }
    }

    #[test]
    fn agrees_on_tricky_yaml() {
        let cases = [
            "",
            "---\n",
            "---\n---\n",
            "# only a comment\n",
            "a: 1\n---\n# empty\n---\nb: ~\n...\n",
            "\u{feff}a: b\n",
            "a: b\r\nc: [1, 2]\r\n",
            "a: 'single ''quoted'''\nb: \"double \\t \\u00e9\"\nc: \"\"\nd: ''\n",
            "a: |\n  literal\n  text\nb: >-\n  folded\n  text\n",
            "a: plain\n  continued\n  lines\n",
            "a:\nb: null\nc: Null\nd: ~\ne: NULL\n",
            "a: true\nb: False\nc: TRUE\nd: yes\ne: on\n",
            "a: 0\nb: -0\nc: 12\nd: -12\ne: 012\nf: 0x1F\ng: 0o17\nh: +3\ni: 1_000\n",
            "a: 1.5\nb: -0.25\nc: 1e3\nd: .5\ne: .inf\nf: -.inf\ng: .nan\nh: 1.\ni: 1e999\n",
            "a: 9223372036854775807\nb: 99999999999999999999\nc: -9223372036854775808\n",
            "a: inf\nb: nan\nc: Infinity\nd: $ref\ne: /path\nf: _x\ng: é\n",
            "{a: 1, b: [x, y, {c: d}], 'e': \"f\"}\n",
            "- a\n- b: c\n  d: e\n- [1, 2]\n- - nested\n  - list\n",
            "a: &anchor 1\nb: *anchor\n",
            "base: &base {x: 1}\nother:\n  <<: *base\n  y: 2\n",
            "a: !!str 1\nb: !custom x\n",
            "? complex\n: value\n",
            "? [a, b]\n: value\n",
            "a: 1\na: 2\n",
            "'quoted key': 1\n\"1\": 2\n",
            "1: one\ntrue: yes\nnull: x\n",
            "a:\n  - 1\n  -\n  - 3\n",
            "a: [1, 2\nb: 3\n",
            "a: b: c\n",
            "\ta: 1\n",
            "a:\n\t- 1\n",
            "key: value # trailing comment\n# between\nother: x\n",
            "kind: Deployment\nname: base\nspec:\n  baseModel: accounts/fireworks/models/x\n  minReplicaCount: 0\n  autoscalingPolicy: {scaleDownWindow: 10m}\nlifecycle: {timeouts: {create: 30m}}\n---\n",
            "just a scalar\n",
            "- a\n",
            "a: \"multi\n  line\"\n",
            "%YAML 1.2\n---\na: 1\n",
            ": \n",
            "a:\n  : x\n",
            "a: 1\t\nb: true\t\nc: x\t\n",
            "a: 30s\nb: 4h\nc: 1d\nd: 8b-instruct\ne: 1.5x\nf: 0xZZ\ng: 12 34\n",
            // Dataset rows: key order (`role` before `content`) must survive both paths.
            "kind: Dataset\nname: d\nspec:\n  rows:\n    - messages:\n        - role: user\n          content: hi\n        - {role: assistant, content: \"h\\u00e9llo\"}\n",
            "rows:\n  - {z: {b: 1, a: [0.5, -0.25, 0.00001, ~]}, a: false, m: [], k: {}}\n  - {prompt: 日本語 😀, completion: '${deployment/x}'}\n",
            // `moved` documents (issue 10), block and flow style, beside a resource.
            "moved:\n  from: lora-addon/support-v1\n  to: lora-addon/support\n---\nmoved: {from: dataset/a, to: dataset/b}\n---\nkind: Dataset\nname: b\n",
            "rows:\n  - {b: 1, a: 2, b: 3}\n  - {c: 1e-05, d: .nan, e: 12345678901234567890}\n",
        ];
        for case in cases {
            agrees(case);
        }
        assert!(agrees("a: 1\nb: [x, {c: 1.5}]\nc: 'q'\nd: ~\n"));
        assert!(agrees(cases[cases.len() - 3]), "plain rows take the fast path");
        assert!(agrees(cases[cases.len() - 2]), "plain rows take the fast path");
    }

    const TOKENS: &[&str] = &[
        "a", "b", "kind", "spec", "name", ": ", ":", "- ", "-", "\n", "\n  ", "\n    ", "\n---\n",
        "---", "...", "[", "]", "{", "}", ", ", ",", "\"", "'", "#", " # c", "\t", "?", "&a ",
        "*a", "!!str ", "<<", "|", ">", "|-", "~", "null", "true", "False", "yes", "0", "-1", "12",
        "012", "1.5", "-0.5", "1e3", ".inf", "0x1f", "+1", "1_0", "$", "${x/y}", "/p", "é", " ",
        "  ", "\r\n", "%", "30s", "4h", "1d", "x1", "0b1", "_", "inf",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn agrees_on_yaml_shaped_text(
            tokens in proptest::collection::vec(proptest::sample::select(TOKENS), 0..40)
        ) {
            agrees(&tokens.concat());
        }
    }

    const SCALARS: &[&str] = &[
        "x",
        "shared-base",
        "${dataset/chats}",
        "accounts/fireworks/models/m",
        "30m",
        "4h",
        "1d",
        "0",
        "-3",
        "12",
        "0.0001",
        "1.5e3",
        "012",
        "0x1f",
        "~",
        "null",
        "",
        "true",
        "False",
        "yes",
        "'quoted'",
        "\"dq \\u00e9\"",
        "''",
        "é ü",
        "a b c",
        "x # comment",
        ".inf",
        "NVIDIA_H100_80GB",
        "|\n    block\n    text",
        ">-\n    folded\n    text",
    ];

    const LINES: &[&str] = &[
        "key: {}",
        "- {}",
        "other:",
        "- k: {}",
        "list: [{}, {}]",
        "map: {{k: {}, j: {}}}",
        "# a comment",
        "",
        "---",
        "\"quoted key\": {}",
        "spec:",
    ];

    /// Mostly valid YAML, so that the fast path takes it and positions are compared.
    fn yaml_lines() -> impl Strategy<Value = String> {
        let line = (
            proptest::sample::select(&[0_usize, 2, 4][..]),
            proptest::sample::select(LINES),
            proptest::sample::select(SCALARS),
            proptest::sample::select(SCALARS),
        )
            .prop_map(|(indent, line, first, second)| {
                let line = line.replacen("{}", first, 1).replacen("{}", second, 1);
                let line = line.replace("{{", "{").replace("}}", "}");
                format!("{}{line}\n", " ".repeat(indent))
            });
        proptest::collection::vec(line, 0..10).prop_map(|lines| lines.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn agrees_on_manifest_shaped_lines(text in yaml_lines()) {
            agrees(&text);
        }
    }

    #[test]
    fn takes_most_plain_manifests() {
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = yaml_lines();
        let mut taken = 0;
        for _ in 0..500 {
            let text = strategy.new_tree(&mut runner).unwrap().current();
            taken += usize::from(agrees(&text));
        }
        assert!(taken > 100, "the fast path took only {taken} of 500 generated texts");
    }

    #[test]
    fn plain_scalars() {
        assert!(matches!(plain_value("abc"), Some(NodeValue::String(_))));
        assert!(matches!(plain_value("~"), Some(NodeValue::Null)));
        assert!(matches!(plain_value("True"), Some(NodeValue::Bool(true))));
        assert!(matches!(plain_value("-12"), Some(NodeValue::Int(-12))));
        assert!(matches!(plain_value("0.0001"), Some(NodeValue::Float(_))));
        let long = "9".repeat(19);
        for other in ["0x1f", "012", "+1", "1e3", ".5", "1_000", ".inf", "-", "1.", &long] {
            assert!(plain_value(other).is_none(), "{other}");
        }
        assert!(!plain_is_string("true"));
        assert!(!plain_is_string("1a"));
        assert!(!plain_is_string("1e5"));
        assert!(!plain_is_string("true\t"));
        assert!(plain_is_string("30m"));
        assert!(plain_is_string("4h"));
        assert!(!plain_is_string("_1"));
        assert!(!plain_is_string("~"));
    }
}
