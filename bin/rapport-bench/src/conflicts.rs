//! The `conflicts` suite, on workload W1 after 10 rounds of edits from 3 devices, some of them
//! concurrent edits of one name (which leave conflicts): cold `rapport conflicts` over the whole
//! vault and `rapport show` with provenance, against a cold `rapport list` of the whole vault
//! in the same run; plus, in-process, what the read view's conflict and provenance index saves
//! (scanning the whole Automerge document for conflicts, for provenance) and costs (the extra
//! work of a view rebuild).

use crate::proc::Stdout;
use crate::rapport_cli::Rapport;
use crate::table::{self, Table};
use crate::{w1, SuiteArgs};
use anyhow::{Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rapport_model::{
    ContactId, ContactPatch, Device, DeviceId, InteractionId, InteractionKind, NewInteraction,
    RecordRef,
};
use rapport_store::Store;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const ROUNDS: usize = 10;
/// Contacts each device edits per round (org, title or a tag), and notes it adds.
const EDITS: usize = 100;
const NOTES: usize = 20;
/// Contacts renamed concurrently by two devices per round.
const CONCURRENT: usize = 20;

fn progress(what: &str) {
    eprintln!("rapport-bench: {what}…");
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

pub fn run(args: &SuiteArgs) -> Result<Table> {
    let runs = args.runs as usize;
    let rapport = Rapport::locate()?;
    let tmp = tempfile::Builder::new()
        .prefix("rapport-bench-")
        .tempdir()?;
    let home = tmp.path().join("home");
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut now: i64 = SystemTime::now()
        .duration_since(UNIX_EPOCH)?
        .as_millis()
        .try_into()?;

    progress("generating W1 and importing it");
    let w = args.workload().generate(args.seed);
    let prepared = w1::prepare(&w, &mut rng)?;
    rapport.run(&home, &["init", "--name", "laptop"], Stdout::Discard)?;
    let json = rapport.json(&home, &["device", "--json"])?;
    let me: DeviceId = json
        .get("id")
        .and_then(|v| v.as_str())
        .context("`rapport device --json` printed no id")?
        .parse()?;
    let store = Store::open(&home.join("store"))?;
    let mut a = store.load_vault(me)?;
    w1::write_batch(&mut a, &prepared, now)?;
    let touched = a.take_touched();
    store.commit(&mut a, &touched)?;
    let ids: Vec<ContactId> = prepared.iter().map(|c| c.id).collect();
    drop(prepared);

    progress("10 rounds of edits from 3 devices, merged after each round");
    let (phone, tablet) = (DeviceId::from_bytes([2; 32]), DeviceId::from_bytes([3; 32]));
    for (id, name) in [(phone, "phone"), (tablet, "tablet")] {
        let device = Device {
            id,
            name: name.to_owned(),
            added_at: now,
            added_by: Some(me),
        };
        a.add_device(&device, now)?;
    }
    let mut b = a.fork_as(phone);
    let mut c = a.fork_as(tablet);
    let mut touched = a.take_touched();
    let (edited, edit_time) = timed(|| -> Result<()> {
        for round in 0..ROUNDS {
            for (i, v) in [&mut a, &mut b, &mut c].into_iter().enumerate() {
                for e in 0..EDITS {
                    now += 1_000;
                    let id = ids[rng.gen_range(0..ids.len())];
                    let patch = match e % 3 {
                        0 => ContactPatch {
                            org: Some(format!("Org {round}-{i}-{e}")),
                            ..Default::default()
                        },
                        1 => ContactPatch {
                            title: Some(format!("Title {round}-{i}")),
                            ..Default::default()
                        },
                        _ => ContactPatch {
                            add_tags: vec![format!("round{round}")],
                            ..Default::default()
                        },
                    };
                    v.edit_contact(id, &patch, now)?;
                }
                for n in 0..NOTES {
                    let new = NewInteraction {
                        contacts: vec![ids[rng.gen_range(0..ids.len())]],
                        at: now,
                        kind: InteractionKind::Note,
                        text: format!("round {round} note {n} from device {i}"),
                        place: None,
                    };
                    v.add_interaction(InteractionId::random(&mut rng), &new, now)?;
                }
            }
            // The same contacts renamed on two devices before they sync: conflicts.
            for k in 0..CONCURRENT {
                let id = ids[rng.gen_range(0..ids.len())];
                let rename = |name: String| ContactPatch {
                    name: Some(name),
                    ..Default::default()
                };
                b.edit_contact(id, &rename(format!("Phone name {round}-{k}")), now)?;
                c.edit_contact(id, &rename(format!("Tablet name {round}-{k}")), now + 1)?;
            }
            touched.extend(a.take_touched());
            touched.extend(a.merge(&mut b)?);
            touched.extend(a.merge(&mut c)?);
            b.merge(&mut a)?;
            c.merge(&mut a)?;
        }
        Ok(())
    });
    edited?;
    progress("committing the merged vault (the view's index is updated record by record)");
    let (commit, commit_time) = timed(|| store.commit(&mut a, &touched));
    commit?;
    let touched_contacts = touched.contacts.len();

    progress("in-process: whole-document scans the index replaces, and a full view rebuild");
    let (all_contacts, read_all) = timed(|| a.contacts());
    let n_contacts = all_contacts?.len();
    let (conflicts, scan_conflicts) = timed(|| a.conflicts());
    let n_conflicts = conflicts?.len();
    let (_, scan_provenance) = timed(|| a.all_provenance());
    let (rebuild, rebuild_time) = timed(|| store.rebuild_view(&mut a));
    rebuild?;
    let conflicted_id = a
        .conflicts()?
        .iter()
        .find_map(|c| match c.record {
            RecordRef::Contact(id) => Some(id.to_string()),
            RecordRef::Group(_) => None,
        })
        .context("the rounds left no conflict on a contact")?;
    drop(a);
    drop(b);
    drop(c);
    store.close()?;

    progress("cold rapport conflicts / show / list processes");
    let cold = |args: &[&str]| -> Result<Vec<Duration>> {
        (0..runs)
            .map(|_| Ok(rapport.run(&home, args, Stdout::Discard)?.wall))
            .collect()
    };
    let list = cold(&["list", "--json"])?;
    let conflicts_cold = cold(&["conflicts", "--json"])?;
    let show = cold(&["show", &conflicted_id, "--json"])?;
    let device = cold(&["device", "--json"])?;
    let listed = rapport.json(&home, &["conflicts", "--json"])?;
    let listed = listed.as_array().map(Vec::len).unwrap_or(0);

    let mut t = Table::new(format!(
        "conflicts — W1 ({} contacts) after {ROUNDS} rounds of edits from 3 devices (seed {}, {runs} runs)",
        n_contacts, args.seed
    ));
    let m = |d: &[Duration]| table::median(d);
    t.row(
        "`rapport conflicts --json`, whole vault (median)",
        table::time(m(&conflicts_cold)),
        format!("{} (`list --json`)", table::time(m(&list))),
        table::dur_ratio(m(&conflicts_cold), m(&list)),
        "≤ 200 ms",
    );
    t.row(
        "`rapport show --json` with provenance (median)",
        table::time(m(&show)),
        format!("{} (`list --json`)", table::time(m(&list))),
        table::dur_ratio(m(&show), m(&list)),
        "≤ 200 ms",
    );
    t.row(
        "a process that reads nothing (`device --json`)",
        table::time(m(&device)),
        "—",
        None,
        "floor of the above",
    );
    t.row(
        "in-process: scan every contact and group for conflicts in Automerge",
        table::time(scan_conflicts),
        format!("{} (read every contact)", table::time(read_all)),
        table::dur_ratio(scan_conflicts, read_all),
        "what the index saves, plus the ~1 s load",
    );
    t.row(
        "in-process: provenance of every contact from Automerge",
        table::time(scan_provenance),
        format!("{} (read every contact)", table::time(read_all)),
        table::dur_ratio(scan_provenance, read_all),
        "paid by a full view rebuild",
    );
    t.row(
        "commit of the merged rounds (incremental view + index)",
        table::time(commit_time),
        "—",
        None,
        "",
    );
    t.row(
        "full view rebuild including conflicts and provenance",
        table::time(rebuild_time),
        "—",
        None,
        "",
    );
    t.note(format!(
        "{n_conflicts} conflicts found by scanning Automerge, {listed} listed by `rapport conflicts` from the view's index; {touched_contacts} contacts touched by the rounds."
    ));
    t.note(format!(
        "each round: {EDITS} edits and {NOTES} notes per device, {CONCURRENT} contacts renamed on two devices at once, then a merge (all rounds: {}).",
        table::time(edit_time)
    ));
    Ok(t)
}
