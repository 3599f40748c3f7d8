//! The `sync` suite's table: one row per figure with its baseline, notes that break them down.

use super::memory::{Sample, Variant, VariantRun};
use super::{live::LiveNotes, w3, Figures, SMALL};
use crate::table::{self, count, dur_ratio, median, p90, ratio, time, Table};
use std::time::Duration;

/// Bytes: exact below 10 KiB, else KiB/MiB.
fn b(n: u64) -> String {
    if n < 10 * 1024 {
        format!("{} B", count(n))
    } else {
        table::bytes(n)
    }
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

fn times(d: &[Duration]) -> String {
    format!("{} (p90 {})", time(median(d)), time(p90(d)))
}

pub(super) fn table(f: &Figures) -> Table {
    let mut t = Table::new(format!(
        "rapport-bench sync — QUIC on 127.0.0.1 (seed {}, {} runs)",
        f.seed, f.runs
    ));
    fresh(&mut t, f);
    w3_rows(&mut t, &f.w3);
    live(&mut t, "W1", &f.live_w1, "≤ 15 ms");
    live(
        &mut t,
        &format!("{}k", SMALL.0 / 1000),
        &f.live_small,
        "≤ 5 ms",
    );
    reconnect(&mut t, f);
    memory(&mut t, &f.memory);
    t.note(format!(
        "W1 = 10,000 contacts × 10 interactions, written by its origin as one batch in {}. \
         Medians over {} runs (live notes: {} per case); the suite took {}. Baselines are \
         Automerge 0.12's own sync (`generate_sync_message` / `receive_sync_message`, ping-pong, \
         each message encoded and decoded) between the same documents in memory, in the same \
         run.",
        time(f.build),
        f.runs,
        f.notes,
        time(f.total)
    ));
    t
}

fn fresh(t: &mut Table, f: &Figures) {
    let x = &f.fresh;
    t.row(
        "1. Fresh device gets W1 over QUIC: time (connect + session)",
        times(&x.ours),
        format!("{} (Automerge sync in memory)", times(&x.base)),
        dur_ratio(median(&x.ours), median(&x.base)),
        "≤ 1.1×",
    );
    t.row(
        "1. Fresh device gets W1: bytes on the wire (frames)",
        b(x.bytes),
        format!(
            "{} (`save()`); Automerge's messages {} in {}",
            b(x.save_bytes),
            b(x.base_sync.bytes),
            x.base_sync.messages
        ),
        ratio(x.bytes as f64, x.save_bytes as f64),
        "≤ 1.05× `save()`",
    );
    t.note(format!(
        "1. Where the clone's time goes, each step timed alone on W1: the origin's `save()` {} \
         (Automerge's sync does it too: it sends an empty peer the whole document), one \
         `AutoCommit::load` {} (the receiver's `load_incremental` into an empty document is a \
         load), and the session's `touched_between(&[], heads)` after applying it, a diff of \
         the whole document that the raw baseline does not do, {}. Over QUIC, the clone had \
         applied and diffed everything {} after `connect` (median); the closing exchange took \
         the rest. QUIC handshake {} (median). UDP payload both ways {} in {} datagrams \
         (frames plus QUIC/TLS overhead).",
        time(x.save),
        time(x.load),
        time(x.diff_all),
        time(median(&x.applied)),
        time(median(&x.handshake)),
        b(x.udp_bytes),
        count(x.udp_datagrams)
    ));
}

fn w3_rows(t: &mut Table, runs: &[w3::W3]) {
    for w in runs {
        let label = format!(
            "2. W3, {} devices × {} edits: bytes on the wire ({} session{})",
            w.devices,
            count(w.edits as u64),
            w.sessions,
            if w.sessions == 1 { "" } else { "s" }
        );
        t.row(
            label,
            b(w.bytes),
            format!(
                "{} (Automerge's messages, {})",
                b(w.base_sync.bytes),
                w.base_sync.messages
            ),
            ratio(w.bytes as f64, w.base_sync.bytes as f64),
            "≤ 0.5×",
        );
        t.row(
            format!("2. W3, {} devices: convergence time", w.devices),
            times(&w.ours),
            format!("{} (in memory)", times(&w.base)),
            dur_ratio(median(&w.ours), median(&w.base)),
            "",
        );
    }
    if let Some(w) = runs.first() {
        let (c, i) = w3::COMMON;
        t.note(format!(
            "2. W3: a common vault of {c} contacts × {i} interactions made by device 0, the \
             others `fork_as` copies; each device then makes {} edits (tag, note or title on a \
             random contact, one commit each; {} for all devices of the 2-device case), its \
             document then ~{} saved. Star: devices 1..n-1 each sync once with device 0 in \
             turn, then 1..n-2 a second time (2 devices: one session; 5 devices: 7). No saved \
             sync state before the first session of a pair, the state `encode` keeps between a \
             pair's sessions, on both sides. Bytes are every frame both ways (UDP payload \
             {} for 2 devices). Automerge sends the whole document (`save()`) when more than a \
             third of the changes are missing, which every exchange here is (1,000 new changes \
             against ~2 shared): both columns are mostly whole compressed documents. With 5 \
             devices, in the sessions with device 0's grown document, the raw ping-pong sends \
             more than ours (seen once per session: 2→0 ~400 KB raw against ~207 KB of frames); \
             that split was not broken down further.",
            count(w.edits as u64),
            time(w.edit_time),
            b(w.save_bytes),
            b(w.udp_bytes)
        ));
    }
}

fn live(t: &mut Table, name: &str, l: &LiveNotes, target: &str) {
    let base = format!("{} (Automerge sync in memory)", times(&l.base));
    t.row(
        format!("3. One new note, live, {name}: tick → B applied (persist no-op)"),
        times(&l.volatile),
        base.clone(),
        dur_ratio(median(&l.volatile), median(&l.base)),
        target,
    );
    t.row(
        format!("3. One new note, live, {name}: tick → B durable (store commit + fsync)"),
        times(&l.durable),
        base,
        dur_ratio(median(&l.durable), median(&l.base)),
        "(reported, no target)",
    );
    let mut udp = l.udp.clone();
    udp.sort_unstable();
    let udp_median = udp.get(udp.len() / 2).copied().unwrap_or(0);
    t.row(
        format!("3. One new note, live, {name}: bytes (frames, both ways)"),
        format!(
            "{} in {} frames ({} flights); UDP {}",
            b(l.frame_bytes),
            l.frames,
            l.flights,
            b(udp_median)
        ),
        format!("{} in {} messages", b(l.base_bytes), l.base_messages),
        ratio(l.frame_bytes as f64, l.base_bytes as f64),
        "≤ 300 B",
    );
    t.note(format!(
        "3. {name}: one note's Automerge change is {} (`save_after`). B's side alone, in \
         memory: apply + `touched_between` (the full diff the session runs after every \
         message that changed the heads) {}, against apply with Automerge's patch log on + \
         the indexed diff (`update_diff_cursor` / `diff_incremental`) {}. A's \
         `add_interaction` itself (before the tick, not in the latency) {}; creating B's store \
         for the durable case {}. UDP is the payload of every datagram both ways (QUIC \
         headers, encryption, acknowledgements), median per note.",
        b(l.change_bytes),
        times(&l.apply_full_diff),
        times(&l.apply_indexed_diff),
        times(&l.write),
        time(l.store_create)
    ));
}

fn reconnect(t: &mut Table, f: &Figures) {
    let r = &f.reconnect;
    t.row(
        "4. Reconnect, nothing new: bytes (frames, both ways)",
        format!(
            "{} (UDP {})",
            b(r.bytes_sent + r.bytes_received),
            b(r.udp_bytes)
        ),
        format!(
            "{} in {} messages (Automerge, from its persisted states)",
            b(r.base.bytes),
            r.base.messages
        ),
        ratio(
            (r.bytes_sent + r.bytes_received) as f64,
            r.base.bytes as f64,
        ),
        "≤ 300 B",
    );
    t.row(
        "4. Reconnect, nothing new: round trips",
        format!(
            "{} ({} + {} frames, {} one-way flights) + 1 for the QUIC handshake",
            r.round_trips, r.frames_initiator, r.frames_responder, r.flights
        ),
        format!("{} messages", r.base.messages),
        None,
        "1 round trip",
    );
    t.note(format!(
        "4. Reconnect over QUIC took {} (handshake {}); {} datagrams. The persisted sync state \
         is {}. Frames and flights come from the same two sessions replayed in memory in lock \
         step from the same saved states, the initiator sending its first sync message with its \
         hello (`Session::start`) as `run_session` does; round trips are those the initiator \
         waits for (both sides start together; its closing `Done` travels one way, unanswered).",
        time(r.elapsed),
        time(r.handshake),
        count(r.udp_datagrams),
        b(r.state_bytes as u64)
    ));
}

fn growth(run: &VariantRun) -> Option<(&Sample, &Sample)> {
    run.span()
}

fn find(runs: &[VariantRun], v: Variant) -> Option<&VariantRun> {
    runs.iter().find(|r| r.variant == v)
}

fn span_text(run: &VariantRun) -> String {
    let x = |z: u64, a: u64| z as f64 / a.max(1) as f64;
    match growth(run) {
        Some((a, z)) => {
            // The first commits after the trim also re-grow glibc's arenas: the ratio from the
            // 100th commit on shows what keeps growing.
            let warm = run
                .commits()
                .next()
                .map(|w| {
                    format!(
                        "; {:.2}× from commit {}",
                        x(z.rss_kib, w.rss_kib),
                        w.commits
                    )
                })
                .unwrap_or_default();
            format!(
                "RSS {} → {} ({:.2}×{warm}); heap in use {} → {} ({:.2}×)",
                mib(a.rss_kib),
                mib(z.rss_kib),
                x(z.rss_kib, a.rss_kib),
                mib(a.heap_used_kib),
                mib(z.heap_used_kib),
                x(z.heap_used_kib, a.heap_used_kib)
            )
        }
        None => "—".to_owned(),
    }
}

fn memory(t: &mut Table, runs: &[VariantRun]) {
    let plain = find(runs, Variant::Synced);
    let plain_text = plain.map(span_text).unwrap_or_default();
    if let Some(p) = plain {
        let stage = |l: &str| {
            p.get(l).map_or("—".to_owned(), |s| {
                format!("{} (heap {})", mib(s.rss_kib), mib(s.heap_used_kib))
            })
        };
        t.row(
            "5. Memory, replica filled by sync with W1: RSS after the clone / after the merge",
            format!("{} / {}", stage("filled by sync"), stage("after merge")),
            format!(
                "{} (origin loaded alone)",
                p.get("origin loaded")
                    .map_or("—".to_owned(), |s| mib(s.rss_kib))
            ),
            None,
            "",
        );
    }
    let origin = find(runs, Variant::Origin);
    if let (Some(p), Some((a, z))) = (plain, plain.and_then(growth)) {
        t.row(
            "5. Memory, that replica, 1,000 local commits (note or tag), no workaround",
            span_text(p),
            format!("origin: {}", origin.map(span_text).unwrap_or_default()),
            ratio(z.rss_kib as f64, a.rss_kib as f64),
            "(diagnosis; the daemon as shipped: `rapport-bench daemon`, ≤ 1.2× RSS)",
        );
    }
    let rows: &[(Variant, &str)] = &[
        (Variant::SyncedNoMerge, "no merge after the clone"),
        (
            Variant::SyncedResetCursor,
            "(a) `reset_diff_cursor()` after each commit",
        ),
        (
            Variant::SyncedUpdateCursor,
            "(a) `update_diff_cursor()` after each commit",
        ),
        (
            Variant::SyncedReloaded,
            "(b) reloaded from `save()` after the merge",
        ),
        (
            Variant::SyncedRebuilt,
            "(b') rebuilt with `apply_changes` after the merge",
        ),
        (
            Variant::SyncedTouched,
            "(c) `touched_between` after each commit",
        ),
        (
            Variant::SyncedSaveAfter,
            "(d) `get_heads` + `save_after` after each commit",
        ),
        (
            Variant::SyncedStore,
            "durable `Store::commit` after each commit",
        ),
        (Variant::SyncedForkOnce, "`fork()` once after the merge"),
        (
            Variant::SyncedFork,
            "workaround: `fork()` after the merge and every 100 commits",
        ),
        (Variant::Built, "the origin as built (never loaded)"),
        (
            Variant::RawLoaded,
            "minimal: Automerge alone, load + new key in the 100k map",
        ),
        (
            Variant::RawLoadedSmallMap,
            "minimal control: load + new key in a contact's map",
        ),
    ];
    for (v, what) in rows {
        let Some(run) = find(runs, *v) else { continue };
        let extra = match v {
            Variant::SyncedTouched | Variant::SyncedStore => run
                .commits()
                .last()
                .map(|s| format!("; {:.1} ms/commit", s.ms / f64::from(s.commits.max(1))))
                .unwrap_or_default(),
            Variant::SyncedFork => run
                .get("forks took")
                .map(|s| format!("; forks {:.0} ms in all", s.ms))
                .unwrap_or_default(),
            _ => String::new(),
        };
        let r = growth(run).and_then(|(a, z)| ratio(z.rss_kib as f64, a.rss_kib as f64));
        t.row(
            format!("5. Memory, {what}"),
            format!("{}{extra}", span_text(run)),
            format!("plain: {plain_text}"),
            r,
            "(diagnosis)",
        );
    }
    for v in [
        Variant::Synced,
        Variant::Origin,
        Variant::SyncedFork,
        Variant::RawLoaded,
    ] {
        if let Some(run) = find(runs, v) {
            let series: Vec<String> = run
                .commits()
                .map(|s| format!("{:.0}", s.heap_used_kib as f64 / 1024.0))
                .collect();
            let rss: Vec<String> = run
                .commits()
                .map(|s| format!("{:.0}", s.rss_kib as f64 / 1024.0))
                .collect();
            t.note(format!(
                "5. `{}` every 100 commits: heap in use {} MiB; RSS {} MiB (child took {}, \
                 peak RSS {}).",
                v.name(),
                series.join(", "),
                rss.join(", "),
                time(run.wall),
                mib(run.peak_kib)
            ));
        }
    }
    if let Some(run) = find(runs, Variant::SyncedStore) {
        if let (Some(open), Some(stored)) = (run.get("store opened"), run.get("stored")) {
            let series: Vec<String> = run
                .commits()
                .map(|s| format!("{:.0}", s.heap_used_kib as f64 / 1024.0))
                .collect();
            t.note(format!(
                "5. `synced-store`: `Store::create_vault` of W1 took {} and took heap in use \
                 from {} to {}, which the following durable commits give back a few MiB at a \
                 time (heap in use every 100 commits: {} MiB): memory held on the store's side \
                 (sled, presumably), not by the document.",
                time(Duration::from_secs_f64(stored.ms / 1e3)),
                mib(open.heap_used_kib),
                mib(stored.heap_used_kib),
                series.join(", ")
            ));
        }
    }
    if let Some(p) = plain {
        if let (Some(set), Some(before)) = (p.get("set up"), p.get("before commits")) {
            t.note(format!(
                "5. Each variant runs in a process of its own; RSS before the commits is taken \
                 after `malloc_trim(0)`: the clone's peak stays with glibc otherwise (`synced`: \
                 RSS {} holding {} of heap in use before the trim, {} after), and would hide any \
                 growth.",
                mib(set.rss_kib),
                mib(set.heap_used_kib),
                mib(before.rss_kib)
            ));
        }
    }
}
