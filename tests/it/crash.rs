//! Crash safety, tested the way sled tests it: writers are killed with SIGKILL at random moments
//! and the store is then reopened and checked. The promise under test: a command that printed
//! an id (or otherwise exited 0) made its change durable, so after any crash `check` passes and
//! every acknowledged contact, tag and note is there.
//!
//! The writers are driven from this test rather than by a shell loop: the test spawns one
//! `rapport` command at a time and SIGKILLs the one that is running when the random deadline
//! arrives. That kills at the same random points as killing a `bash` loop's process group, but
//! the killed process is our own child, so it has been reaped (and its sled lock released) before
//! `check` runs; a grandchild of a killed shell may still be exiting, which would make `check`
//! fail with "in use" for reasons that have nothing to do with rapport.

use crate::support::{wait_or_kill, Ended, Home, Run, Seed};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// How many writers are killed. Each kill costs about 0.1 s in a debug build.
const KILLS: usize = 80;
/// The random delay before each kill, in units of one command's duration (measured at the
/// start): a kill lands anywhere from the first command's start-up to the eighth command's
/// commit. Where a command takes 10 ms that is 5 to 80 ms; scaling it keeps a loaded or slow
/// machine from killing every writer before it commits anything.
const DELAY_COMMANDS: std::ops::Range<f64> = 0.5..8.0;

/// Everything a killed writer acknowledged before it died.
#[derive(Debug, Default)]
struct Acknowledged {
    /// Contact id -> name, in the order they were acknowledged.
    contacts: Vec<(String, String)>,
    tags: BTreeMap<String, BTreeSet<String>>,
    /// Contact id -> interaction ids logged on it.
    notes: BTreeMap<String, BTreeSet<String>>,
}

impl Acknowledged {
    fn note_count(&self) -> usize {
        self.notes.values().map(BTreeSet::len).sum()
    }
}

/// One write, with what it should leave behind once acknowledged.
#[derive(Debug)]
enum Op {
    Add { name: String },
    Note { contact: String, text: String },
    Tag { contact: String, tag: String },
}

impl Op {
    fn args(&self) -> Vec<String> {
        let v = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect();
        match self {
            Op::Add { name } => v(&["add", name]),
            Op::Note { contact, text } => v(&["note", contact, text]),
            Op::Tag { contact, tag } => v(&["tag", contact, &format!("+{tag}")]),
        }
    }

    /// Records an acknowledged op (its command exited 0 and printed `stdout`).
    fn acknowledge(self, stdout: &str, acked: &mut Acknowledged) {
        match self {
            Op::Add { name } => {
                let id = printed_id(stdout);
                acked.contacts.push((id, name));
            }
            Op::Note { contact, .. } => {
                let id = printed_id(stdout);
                acked.notes.entry(contact).or_default().insert(id);
            }
            Op::Tag { contact, tag } => {
                acked.tags.entry(contact).or_default().insert(tag);
            }
        }
    }
}

fn printed_id(stdout: &str) -> String {
    let id = stdout.trim();
    assert!(
        crate::support::is_id(id),
        "an acknowledged command printed {stdout:?}, not an id"
    );
    id.to_owned()
}

fn choose(rng: &mut StdRng, step: usize, acked: &Acknowledged) -> Op {
    let pick = rng.gen_range(0..6);
    if acked.contacts.is_empty() || pick >= 3 {
        return Op::Add {
            name: format!("Person {step}"),
        };
    }
    // Mostly the newest contact, sometimes an older one, so that old timelines are rewritten.
    let index = if rng.gen_bool(0.5) {
        acked.contacts.len() - 1
    } else {
        rng.gen_range(0..acked.contacts.len())
    };
    let contact = acked.contacts[index].0.clone();
    if pick == 2 {
        Op::Tag {
            contact,
            tag: format!("t{step}"),
        }
    } else {
        Op::Note {
            contact,
            text: format!("note {step}"),
        }
    }
}

#[test]
fn writers_killed_at_random_moments_never_lose_an_acknowledged_change() {
    let seed = Seed::for_test("writers_killed_at_random_moments_never_lose_an_acknowledged_change");
    let mut rng = StdRng::seed_from_u64(seed.value);
    let started = Instant::now();
    let home = Home::init();
    let mut acked = Acknowledged::default();
    let command_time = time_a_command(&home, &mut acked);
    let mut step = 0;
    let mut finished_just_before_the_kill = 0;
    for kill in 0..KILLS {
        let deadline = Instant::now() + command_time.mul_f64(rng.gen_range(DELAY_COMMANDS));
        let mut touched: BTreeSet<String> = BTreeSet::new();
        loop {
            step += 1;
            let op = choose(&mut rng, step, &acked);
            let args = op.args();
            let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut cmd = home.command(&arg_refs);
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
            let child = cmd.spawn().expect("starting rapport");
            let (ended, killed) = match wait_or_kill(child, deadline) {
                Ended::Exited(run) => (run, false),
                Ended::Killed(run) => (run, true),
            };
            let run = Run { args, ..ended };
            if run.success() {
                // Exited 0: acknowledged, even if our kill came a moment after it exited.
                if let Op::Note { contact, .. } | Op::Tag { contact, .. } = &op {
                    touched.insert(contact.clone());
                }
                op.acknowledge(&run.stdout, &mut acked);
                if killed {
                    finished_just_before_the_kill += 1;
                    break;
                }
            } else {
                assert!(
                    killed && run.status.signal() == Some(libc::SIGKILL),
                    "kill {kill}: a writer failed on its own after a crash:\n{}",
                    run.describe()
                );
                break;
            }
        }
        verify_after_crash(&home, &acked, &touched, kill);
    }
    // Every note ever acknowledged, on every contact, not only the recently touched ones.
    let all: BTreeSet<String> = acked
        .notes
        .keys()
        .chain(acked.tags.keys())
        .cloned()
        .collect();
    verify_after_crash(&home, &acked, &all, KILLS);
    assert!(
        acked.contacts.len() >= KILLS / 4 && acked.note_count() >= KILLS / 16,
        "too little was acknowledged to test much: {} contacts, {} notes in {step} commands",
        acked.contacts.len(),
        acked.note_count()
    );
    eprintln!(
        "crash: {KILLS} kills, {step} commands ({command_time:.1?} each), {} contacts and {} notes acknowledged, {finished_just_before_the_kill} finished just before their kill, {:.1?}",
        acked.contacts.len(),
        acked.note_count(),
        started.elapsed()
    );
}

/// The median time of a few `add`s (which are acknowledged like any other).
fn time_a_command(home: &Home, acked: &mut Acknowledged) -> Duration {
    let mut times: Vec<Duration> = (0..5)
        .map(|i| {
            let name = format!("Warm-up {i}");
            let start = Instant::now();
            let id = home.id(&["add", &name]);
            let took = start.elapsed();
            acked.contacts.push((id, name));
            took
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// `check` passes, `list` has every acknowledged contact with its acknowledged tags, and `show`
/// has every acknowledged note of the contacts in `shown`.
fn verify_after_crash(home: &Home, acked: &Acknowledged, shown: &BTreeSet<String>, kill: usize) {
    let check = home.run(&["check", "--json"]);
    assert!(
        check.success(),
        "after kill {kill}, `check` fails:\n{}",
        check.describe()
    );
    let report = check.json();
    let counted = |key: &str| report[key].as_u64().unwrap_or(0) as usize;
    // A killed add or note may have committed without being acknowledged, never the reverse.
    assert!(
        counted("contacts") >= acked.contacts.len() && counted("interactions") >= acked.note_count(),
        "after kill {kill}, check counts fewer records than were acknowledged ({} contacts, {} notes): {report:#}",
        acked.contacts.len(),
        acked.note_count()
    );

    let list = home.json(&["list"]);
    let listed: BTreeMap<&str, &Value> = list
        .as_array()
        .expect("an array")
        .iter()
        .map(|c| (c["id"].as_str().expect("an id"), c))
        .collect();
    for (id, name) in &acked.contacts {
        let contact = listed.get(id.as_str()).unwrap_or_else(|| {
            panic!(
                "after kill {kill}, the acknowledged contact {id} ({name}) is missing from `list`"
            )
        });
        assert_eq!(contact["name"], name.as_str(), "after kill {kill}");
        if let Some(tags) = acked.tags.get(id) {
            let have: BTreeSet<&str> = contact["tags"]
                .as_array()
                .expect("tags")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            for tag in tags {
                assert!(
                    have.contains(tag.as_str()),
                    "after kill {kill}, the acknowledged tag {tag} of {id} is missing: {contact:#}"
                );
            }
        }
    }
    for id in shown {
        let Some(notes) = acked.notes.get(id) else {
            continue;
        };
        let card = home.json(&["show", id]);
        let have: BTreeSet<&str> = card["interactions"]
            .as_array()
            .expect("interactions")
            .iter()
            .filter_map(|i| i["id"].as_str())
            .collect();
        for note in notes {
            assert!(
                have.contains(note.as_str()),
                "after kill {kill}, the acknowledged note {note} of {id} is missing: {card:#}"
            );
        }
    }
}
