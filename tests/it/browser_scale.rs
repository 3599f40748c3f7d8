//! Issue 16's test 6, scale: the phone app with a 30,000-contact vault (workload W30: 30,000
//! contacts × 10 interactions, every field the workload has), in Debian's headless Chromium
//! with the page's CPU throttled 4× through the DevTools protocol, driven by
//! tests/browser/scale.mjs.
//!
//! The vault is written through the library into a home that `rapport init` made (one
//! `Vault::add_contacts`, one durable `Store::commit`, as an import writes it). The desktop's
//! figures come first, from whole cold `rapport` processes on that home. Then a real `rapport
//! serve` pairs with the browser by code and the browser fetches the whole vault over
//! WebTransport, as a person's phone would. After a reload the list must show all 30,000 from
//! the read view while the document is still loading; a search finds a known contact; a note is
//! still there after another reload.
//!
//! Speed targets are a benchmark's business (tests/browser/bench-phone.mjs measures them;
//! README, "Rapport on your phone"), and this runs a debug daemon on a noisy 2-core machine.
//! So each figure is printed beside its target and the desktop's, and asserted only within
//! `SLACK` times its target: enough to catch a structural regression, such as the list waiting
//! for the whole document again (9.6 s at 4×), not a bad minute.
//!
//! Needs Chromium, Node and the WebAssembly module: where one is missing it says SKIPPED,
//! except under `CI=true`, where it fails.

use crate::daemon::device_id;
use crate::phone::{browser_replica_tools_or_skip, rapport_for_node};
use crate::support::{rapport_bin, Home};
use crate::web::{artefacts, run_node, serve_with_ui};
use rand::SeedableRng;
use rapport_model::{DeviceId, NewContact};
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

/// The issue's vault: W30.
const CONTACTS: usize = 30_000;
const INTERACTIONS_PER_CONTACT: usize = 10;
const SEED: u64 = 42;
/// How far above the issue's target a figure may be here before the test fails.
const SLACK: f64 = 3.0;
/// The issue's targets, at a 4× throttle: first list after a reload (median), search per
/// keystroke, a note until durable.
const FIRST_LIST_MS: f64 = 2000.0;
const KEYSTROKE_MS: f64 = 50.0;
const NOTE_MS: f64 = 100.0;
/// The whole browser part; it takes about a minute here.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(300);

/// W30 as one import into `home`'s empty vault, through the store as `rapport` writes it.
/// Returns one contact deep in the book (its id and name), and how long each part took (ms).
fn write_w30(home: &Home) -> ((String, String), [f64; 3]) {
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1000.0;
    let start = Instant::now();
    let w = rapport_workload::generate(SEED, CONTACTS, INTERACTIONS_PER_CONTACT);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(SEED);
    let contacts = rapport_workload::vault::new_contacts(&w, &mut rng).expect("vault inputs");
    let generated = ms(start);
    let device: DeviceId = device_id(home).parse().expect("a device id");
    let store = rapport_store::Store::open(&home.store()).expect("the store opens");
    let mut vault = store.load_vault(device).expect("the new vault loads");
    let start = Instant::now();
    vault
        .add_contacts("import W30", 1_765_000_000_000, &contacts)
        .expect("W30 is written");
    let added = ms(start);
    let start = Instant::now();
    let touched = vault.take_touched();
    store
        .commit(&mut vault, &touched)
        .expect("a durable commit");
    store.close().expect("the store closes");
    let known: &NewContact = &contacts[CONTACTS * 2 / 3];
    let name = known.patch.name.clone().expect("a name");
    ((known.id.to_string(), name), [generated, added, ms(start)])
}

/// Runs `rapport ARGS` to success on `home`; returns its stdout and wall time in ms.
fn timed(home: &Home, args: &[&str]) -> (String, f64) {
    let start = Instant::now();
    let out = home.ok(args);
    (out, start.elapsed().as_secs_f64() * 1000.0)
}

fn figure(said: &Value, path: &[&str]) -> f64 {
    path.iter()
        .fold(said, |v, k| &v[*k])
        .as_f64()
        .unwrap_or_else(|| panic!("scale.mjs reported no {path:?}: {said}"))
}

#[test]
fn the_phone_app_stays_quick_with_thirty_thousand_contacts() {
    let Some(dir) = browser_replica_tools_or_skip("the phone app's scale test") else {
        return;
    };
    // Built first if stale (its build time is not the test's).
    rapport_bin();
    let started = Instant::now();
    let home = Home::init();
    let ((known_id, known_name), [generated_ms, added_ms, committed_ms]) = write_w30(&home);

    // The desktop: whole cold processes (no daemon yet), the same vault.
    let (listed, desktop_list_ms) = timed(&home, &["list", "--json"]);
    let listed: Value = serde_json::from_str(&listed).expect("list --json");
    assert_eq!(listed.as_array().map(Vec::len), Some(CONTACTS));
    let (found, desktop_search_ms) = timed(&home, &["search", &known_name, "--json"]);
    assert!(found.contains(&known_id), "search found {found}");

    // The note as a desktop user with `rapport serve` running logs it: a one-shot process that
    // hands it to the daemon (a cold one would load the whole document first: about 2 s in a
    // release build, the README's figure). The browser must then fetch it with the vault.
    let served = serve_with_ui(&home);
    let (_, desktop_note_ms) = timed(&home, &["note", &known_id, "a note from the desktop"]);
    let config = serde_json::json!({
        "app": format!("http://{}/app/", served.ui),
        "rapport": rapport_for_node(&home),
        "contacts": CONTACTS,
        "known": { "id": known_id, "name": known_name },
        "throttle": 4,
        "artefacts": artefacts(),
    });
    let mut node = Command::new("node");
    node.arg(dir.join("scale.mjs"))
        .current_dir(&dir)
        .env("RAPPORT_SCALE", config.to_string());
    let run = run_node(node, BROWSER_TIMEOUT, "the phone app's scale test");
    drop(served);
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains(r#""ok":true"#))
        .unwrap_or_else(|| panic!("the scale test reported no result:\n{}", run.describe()));
    let said: Value = serde_json::from_str(line).expect("one JSON line");

    let first_list = figure(&said, &["firstListMs", "median"]);
    let keystroke = figure(&said, &["searchPerKeystrokeMs", "median"]);
    let note = figure(&said, &["noteUntilDurableMs", "median"]);
    eprintln!(
        "\nphone app at {CONTACTS} contacts (W30, {INTERACTIONS_PER_CONTACT} interactions each), 4x CPU throttle, debug daemon:\n\
         - vault written through the library: workload generated {generated_ms:.0} ms, `add_contacts` {added_ms:.0} ms, durable commit {committed_ms:.0} ms\n\
         - pair + fetch + store + show: {:.0} ms (the laptop's `rapport pair` ended after {:.0} ms)\n\
         - first list after a reload (median): {first_list:.0} ms [target {FIRST_LIST_MS:.0}, fails above {:.0}]; document loaded (last reload): {:.0} ms; desktop cold `list --json`: {desktop_list_ms:.0} ms\n\
         - search per keystroke: median {keystroke:.1} ms, max {:.1} [target {KEYSTROKE_MS:.0}, fails above {:.0}]; desktop `search`: {desktop_search_ms:.0} ms\n\
         - note until durable: median {note:.1} ms, max {:.1} [target {NOTE_MS:.0}, fails above {:.0}]; desktop one-shot `note` through the daemon: {desktop_note_ms:.0} ms\n\
         - memory: page JS heap {} MB, wasm {} MB, renderers' RSS {} MB\n\
         - whole test: {:.0} s\n",
        figure(&said, &["pairMs"]),
        figure(&said, &["pairCommandMs"]),
        FIRST_LIST_MS * SLACK,
        figure(&said, &["documentLoadedMs"]),
        figure(&said, &["searchPerKeystrokeMs", "max"]),
        KEYSTROKE_MS * SLACK,
        figure(&said, &["noteUntilDurableMs", "max"]),
        NOTE_MS * SLACK,
        said["memoryMB"]["pageJsHeap"],
        said["memoryMB"]["wasm"],
        said["memoryMB"]["rendererRss"],
        started.elapsed().as_secs_f64(),
    );
    assert!(
        first_list <= FIRST_LIST_MS * SLACK,
        "the first list took {first_list} ms: {said}"
    );
    assert!(
        keystroke <= KEYSTROKE_MS * SLACK,
        "search took {keystroke} ms a keystroke: {said}"
    );
    assert!(
        note <= NOTE_MS * SLACK,
        "a note took {note} ms until durable: {said}"
    );
}
