//! Golden tests of what the read commands print, text and `--json`: `show`, `list`, `log`,
//! `status` and `conflicts`. They pin the output byte for byte (after replacing what is random
//! or depends on the clock: ids, device ids, change hashes, timestamps of today, ports), so a
//! refactoring of the command layer cannot change what users and scripts read.
//!
//! The expected outputs live in `fixtures/golden/<name>.txt`. After an intended change of
//! output, rewrite them with `RAPPORT_BLESS=1 cargo test -p rapport-tests --test it -- golden`
//! and review the diff.

use crate::support::Home;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

use crate::daemon::{device_id, Daemon};

// ---- normalising ----

/// Replaces what differs from run to run by placeholders, numbered in order of appearance so
/// that "the same id twice" stays visible: `<id1>`, `<change2>`, `<now>`, `<port>`. `literal`
/// replacements (device ids, values whose order depends on device ids) are applied first.
fn normalise(text: &str, literal: &[(String, String)]) -> String {
    let mut text = text.to_owned();
    for (from, to) in literal {
        text = text.replace(from.as_str(), to);
    }
    let text = replace_times(&text);
    let text = replace_ports(&text);
    sort_id_lists(&replace_hex(&text))
}

/// Lists of record references are sorted by id, and ids are random: the items of a `log`
/// line of fields (`      contact:<ada>, contact:<grace>`) and of a JSON `"fields"` or
/// `"contacts"` array are put in a fixed order so that the rest of the output can be compared.
fn sort_id_lists(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut block: Option<Vec<String>> = None;
    for line in text.lines() {
        if let Some(items) = block.as_mut() {
            let trimmed = line.trim_start();
            if trimmed.starts_with(']') {
                let indent = &line[..line.len() - trimmed.len()];
                let mut bare: Vec<String> = items
                    .iter()
                    .map(|i| i.trim().trim_end_matches(',').to_owned())
                    .collect();
                bare.sort();
                let n = bare.len();
                for (k, item) in bare.into_iter().enumerate() {
                    let comma = if k + 1 < n { "," } else { "" };
                    out.push(format!("{indent}  {item}{comma}"));
                }
                out.push(line.to_owned());
                block = None;
            } else {
                items.push(line.to_owned());
            }
            continue;
        }
        let trimmed = line.trim_start();
        if trimmed == "\"fields\": [" || trimmed == "\"contacts\": [" {
            out.push(line.to_owned());
            block = Some(Vec::new());
        } else if line.starts_with("      ") && !trimmed.starts_with('"') && trimmed.contains(", ")
        {
            let mut items: Vec<&str> = trimmed.split(", ").collect();
            items.sort();
            out.push(format!("      {}", items.join(", ")));
        } else {
            out.push(line.to_owned());
        }
    }
    let mut joined = out.join("\n");
    if text.ends_with('\n') {
        joined.push('\n');
    }
    joined
}

/// Hex words: 64 characters (a change hash) or its 8-character prefix (as `log` prints it)
/// become `<changeN>`, 16 characters (a record or vault id) `<idN>`.
fn replace_hex(text: &str) -> String {
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut changes: HashMap<String, usize> = HashMap::new();
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String,
                 out: &mut String,
                 ids: &mut HashMap<String, usize>,
                 changes: &mut HashMap<String, usize>| {
        let hex = !word.is_empty()
            && word
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let has_letter_or_digit_mix = word.bytes().any(|b| b.is_ascii_digit());
        if hex && has_letter_or_digit_mix && (word.len() == 64 || word.len() == 8) {
            let key = word[..8].to_owned();
            let n = changes.len() + 1;
            let n = *changes.entry(key).or_insert(n);
            out.push_str(&format!("<change{n}>"));
        } else if hex && word.len() == 16 {
            let n = ids.len() + 1;
            let n = *ids.entry(word.clone()).or_insert(n);
            out.push_str(&format!("<id{n}>"));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for ch in text.chars() {
        if ch.is_ascii_alphanumeric() {
            word.push(ch);
        } else {
            flush(&mut word, &mut out, &mut ids, &mut changes);
            out.push(ch);
        }
    }
    flush(&mut word, &mut out, &mut ids, &mut changes);
    out
}

/// `127.0.0.1:PORT` becomes `127.0.0.1:<port>`.
fn replace_ports(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("127.0.0.1:") {
        let (head, tail) = rest.split_at(at + "127.0.0.1:".len());
        out.push_str(head);
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            out.push_str("<port>");
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

/// Timestamps of today (or yesterday and tomorrow, for a test that runs over midnight) become
/// `<now>`: `YYYY-MM-DD HH:MM[:SS]` and RFC 3339 with `T`, seconds, fractions and `Z` or an
/// offset. Fixed dates of the fixture (2024-03-01 ...) stay as they are.
fn replace_times(text: &str) -> String {
    let today = chrono::Utc::now().date_naive();
    let near: Vec<String> = [-1i64, 0, 1]
        .iter()
        .map(|d| {
            (today + chrono::Duration::days(*d))
                .format("%Y-%m-%d")
                .to_string()
        })
        .collect();
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if let Some(len) = time_at(&bytes[i..]) {
            if near.iter().any(|d| text[i..].starts_with(d.as_str())) {
                out.push_str("<now>");
                i += len;
                continue;
            }
        }
        let ch = text[i..].chars().next().unwrap_or_default();
        out.push(ch);
        i += ch.len_utf8().max(1);
    }
    out
}

/// The length of a date and time starting at `b`, if one does.
fn time_at(b: &[u8]) -> Option<usize> {
    let shape = |s: &[u8], pat: &[u8]| {
        s.len() >= pat.len()
            && pat.iter().zip(s).all(|(p, c)| {
                if *p == b'9' {
                    c.is_ascii_digit()
                } else {
                    p == c
                }
            })
    };
    if !shape(b, b"9999-99-99") || b.len() < 16 || !(b[10] == b' ' || b[10] == b'T') {
        return None;
    }
    if !shape(&b[11..], b"99:99") {
        return None;
    }
    let mut n = 16;
    if shape(&b[n..], b":99") {
        n += 3;
    }
    if b.get(n) == Some(&b'.') {
        n += 1;
        while b.get(n).is_some_and(u8::is_ascii_digit) {
            n += 1;
        }
    }
    if b.get(n) == Some(&b'Z') {
        n += 1;
    } else if (b.get(n) == Some(&b'+') || b.get(n) == Some(&b'-')) && shape(&b[n + 1..], b"99:99") {
        n += 6;
    }
    Some(n)
}

// ---- comparing ----

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/golden")
        .join(name)
}

/// Compares `actual` with `fixtures/golden/NAME.txt` (or writes it, with `RAPPORT_BLESS=1`).
/// Collects every mismatch of a test before failing, each with a line diff.
#[derive(Default)]
struct Goldens {
    failures: Vec<String>,
}

impl Goldens {
    fn check(&mut self, name: &str, actual: &str) {
        let path = golden_path(name);
        if std::env::var_os("RAPPORT_BLESS").is_some() {
            std::fs::create_dir_all(path.parent().expect("a parent"))
                .expect("creating fixtures/golden");
            std::fs::write(&path, actual).expect("writing a golden file");
            return;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "no golden file {} ({e}): run with RAPPORT_BLESS=1 to write it",
                path.display()
            )
        });
        if expected != actual {
            self.failures.push(format!(
                "output of `{name}` differs from {} (- expected, + actual):\n{}",
                path.display(),
                line_diff(&expected, actual)
            ));
        }
    }

    fn finish(self) {
        assert!(
            self.failures.is_empty(),
            "{}\n(if the change is intended: RAPPORT_BLESS=1 cargo test -p rapport-tests --test it -- golden)",
            self.failures.join("\n")
        );
    }
}

/// A line diff (longest common subsequence): ` ` same, `-` only expected, `+` only actual.
fn line_diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!("  {}\n", a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!("+ {}\n", b[j]));
            j += 1;
        } else {
            out.push_str(&format!("- {}\n", a[i]));
            i += 1;
        }
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        out.push_str("(the final newline differs)\n");
    }
    out
}

/// Runs a command that must succeed and returns its stdout, normalised.
fn out(home: &Home, args: &[&str], literal: &[(String, String)]) -> String {
    normalise(&home.ok(args), literal)
}

// ---- the tests ----

/// One device: a card with every kind of row, a group, an interaction with another contact at a
/// fixed time, and a device in the roster that was never seen.
#[test]
fn golden_output_of_read_commands_on_one_device() {
    let a = Home::init();
    let phone = Home::empty();
    let phone_id = device_id(&phone);
    a.ok(&["devices", "add", &phone_id, "--name", "phone"]);
    let literal = vec![
        (device_id(&a), "<laptop-id>".to_owned()),
        (phone_id.clone(), "<phone-id>".to_owned()),
        (phone_id[..7].to_owned(), "<phone-short>".to_owned()),
    ];
    let mut literal = literal;
    let ada = a.id(&[
        "add",
        "Ada Lovelace",
        "--email",
        "ada@example.org",
        "--phone",
        "+44 20 7946 0000",
        "--url",
        "https://example.org/ada",
        "--org",
        "Analytical Engines",
        "--title",
        "Countess",
        "--tag",
        "vip",
        "--tag",
        "math",
        "--trust",
        "worked-with",
        "--met-on",
        "2020-01-02",
        "--met-at",
        "London",
        "--met-context",
        "a lecture",
        "--connected-on",
        "2021-05-06",
        "--notes",
        "writes the first program",
    ]);
    let grace = a.id(&[
        "add",
        "Grace Hopper",
        "--org",
        "Navy",
        "--introduced-by",
        "ada",
    ]);
    let alan = a.id(&["add", "Alan Turing", "--trust", "met"]);
    let call = a.id(&[
        "note",
        "ada",
        "talked about engines",
        "--kind",
        "call",
        "--at",
        "2024-03-01",
        "--place",
        "London",
        "--with",
        &grace,
    ]);
    let meeting = a.id(&[
        "note",
        "grace",
        "a compiler",
        "--kind",
        "meeting",
        "--at",
        "2024-03-02 09:30",
    ]);
    let friends = a.id(&[
        "group",
        "create",
        "Friends",
        "--description",
        "people I like",
    ]);
    for (id, name) in [
        (&ada, "<ada>"),
        (&grace, "<grace>"),
        (&alan, "<alan>"),
        (&call, "<call>"),
        (&meeting, "<meeting>"),
        (&friends, "<friends>"),
    ] {
        literal.push((id.clone(), name.to_owned()));
    }
    a.ok(&["group", "add", "friends", &ada, "grace"]);
    a.ok(&["rm", "alan"]);

    let mut g = Goldens::default();
    g.check("one/show.txt", &out(&a, &["show", "ada"], &literal));
    g.check(
        "one/show.json",
        &out(&a, &["show", "ada", "--json"], &literal),
    );
    g.check("one/show-grace.txt", &out(&a, &["show", "grace"], &literal));
    g.check("one/list.txt", &out(&a, &["list"], &literal));
    g.check("one/list.json", &out(&a, &["list", "--json"], &literal));
    g.check(
        "one/list-tag.txt",
        &out(&a, &["list", "--tag", "vip"], &literal),
    );
    g.check("one/log.txt", &out(&a, &["log"], &literal));
    g.check("one/log.json", &out(&a, &["log", "--json"], &literal));
    g.check(
        "one/log-ada.txt",
        &out(&a, &["log", "ada", "--limit", "3"], &literal),
    );
    g.check(
        "one/log-group.json",
        &out(&a, &["log", "--group", "friends", "--json"], &literal),
    );
    g.check("one/status.txt", &out(&a, &["status"], &literal));
    g.check("one/status.json", &out(&a, &["status", "--json"], &literal));
    g.check("one/conflicts.txt", &out(&a, &["conflicts"], &literal));
    g.check(
        "one/conflicts.json",
        &out(&a, &["conflicts", "--json"], &literal),
    );
    g.finish();
}

/// Two devices that edited one field at once and synced: the conflict, the card's provenance
/// from the other device, and each device's status. Which value wins depends on the devices'
/// random ids, so the values and devices are named by role (kept / lost).
#[test]
fn golden_output_of_read_commands_after_a_conflict() {
    let a = Home::init();
    let b = Home::empty();
    let (a_id, b_id) = (device_id(&a), device_id(&b));
    a.ok(&["devices", "add", &b_id, "--name", "phone"]);
    let ada = a.id(&["add", "Ada Lovelace", "--org", "Analytical Engines"]);
    let d = Daemon::start(&a);
    let run = b.run(&["clone", &d.addr, "--id", &a_id, "--name", "phone"]);
    assert!(run.success(), "{}", run.describe());
    b.ok(&["edit", "ada", "--org", "org from phone"]);
    // Through a's daemon (forwarded), as a user with `serve` running would.
    a.ok(&["edit", "ada", "--org", "org from laptop"]);
    let run = b.run(&["sync", "--addr", &d.addr]);
    assert!(run.success(), "{}", run.describe());
    drop(d);

    let conflicts: Value = a.json(&["conflicts"]);
    let winner = conflicts[0]["winner"]["value"]
        .as_str()
        .expect("a winner")
        .to_owned();
    let phone_won = winner == "org from phone";
    let (kept_dev, lost_dev) = if phone_won {
        (&b_id, &a_id)
    } else {
        (&a_id, &b_id)
    };
    let (kept_val, lost_val) = if phone_won {
        ("org from phone", "org from laptop")
    } else {
        ("org from laptop", "org from phone")
    };
    // What each device calls the other: a calls b `phone` (its roster name), b calls a by the
    // name a gave itself at init (`test device`); each calls itself `this device`.
    let roles = |here_is_a: bool| -> Vec<(String, String)> {
        let (kept_name, lost_name) = match (phone_won, here_is_a) {
            (true, true) => ("phone", "this device"),
            (false, true) => ("this device", "phone"),
            (true, false) => ("this device", "test device"),
            (false, false) => ("test device", "this device"),
        };
        vec![
            (kept_dev.clone(), "<kept-device-id>".to_owned()),
            (lost_dev.clone(), "<lost-device-id>".to_owned()),
            (kept_dev[..7].to_owned(), "<kept-device-short>".to_owned()),
            (lost_dev[..7].to_owned(), "<lost-device-short>".to_owned()),
            (ada.clone(), "<ada>".to_owned()),
            (format!("\"{kept_val}\""), "\"<kept-value>\"".to_owned()),
            (format!("\"{lost_val}\""), "\"<lost-value>\"".to_owned()),
            (
                format!("by {kept_name} at"),
                "by <kept-device> at".to_owned(),
            ),
            (
                format!("by {lost_name} at"),
                "by <lost-device> at".to_owned(),
            ),
            (
                format!("\"device_name\": \"{kept_name}\",\n      \"at\""),
                "\"device_name\": \"<kept-device>\",\n      \"at\"".to_owned(),
            ),
            (
                format!("\"device_name\": \"{lost_name}\",\n        \"at\""),
                "\"device_name\": \"<lost-device>\",\n        \"at\"".to_owned(),
            ),
        ]
    };
    let (on_a, on_b) = (roles(true), roles(false));
    let plain_a = vec![
        (a_id.clone(), "<laptop-id>".to_owned()),
        (b_id.clone(), "<phone-id>".to_owned()),
        (b_id[..7].to_owned(), "<phone-short>".to_owned()),
    ];
    let plain_b = vec![
        (a_id.clone(), "<laptop-id>".to_owned()),
        (b_id.clone(), "<phone-id>".to_owned()),
        (a_id[..7].to_owned(), "<laptop-short>".to_owned()),
    ];

    let mut g = Goldens::default();
    g.check("two/conflicts-a.txt", &out(&a, &["conflicts"], &on_a));
    g.check(
        "two/conflicts-a.json",
        &out(&a, &["conflicts", "--json"], &on_a),
    );
    g.check("two/conflicts-b.txt", &out(&b, &["conflicts"], &on_b));
    g.check(
        "two/conflicts-b.json",
        &out(&b, &["conflicts", "--json"], &on_b),
    );
    g.check("two/status-a.txt", &out(&a, &["status"], &plain_a));
    g.check(
        "two/status-a.json",
        &out(&a, &["status", "--json"], &plain_a),
    );
    g.check("two/status-b.txt", &out(&b, &["status"], &plain_b));
    g.check(
        "two/status-b.json",
        &out(&b, &["status", "--json"], &plain_b),
    );
    g.check("two/list-b.json", &out(&b, &["list", "--json"], &on_b));
    g.finish();
}
