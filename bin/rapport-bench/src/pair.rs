//! `pair`: adding a device with a one-time code, and revoking one, with the real `rapport`
//! processes on loopback.
//!
//! - `join` until the new device holds a 1k-contact vault, against `clone` of the same vault
//!   with trust set up beforehand (`devices add`), in the same run;
//! - the pairing handshake (QUIC + SPAKE2 + key confirmation + durable roster entry), against a
//!   one-shot `sync` with nothing new (QUIC handshake + one round);
//! - how long a revocation takes to reach a third device through live sessions (A revokes C;
//!   B, live with A, refuses C), against any other roster change (`devices add`) on that path.
//!
//! Also prints the code's entropy and an attacker's chance per pairing attempt.

use crate::rapport_cli::Rapport;
use crate::serve::{device_id, fill, output, wait_for, Daemon};
use crate::table::{self, Table};
use crate::SuiteArgs;
use anyhow::{bail, Context, Result};
use rapport_model::DeviceId;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// The vault's size unless `--workload` names one.
const CONTACTS: usize = 1000;

pub fn run(args: &SuiteArgs) -> Result<Table> {
    let rapport = Rapport::locate()?;
    let contacts = args
        .workload
        .map_or(CONTACTS, crate::WorkloadName::contacts);
    let tmp = tempfile::tempdir()?;
    let home = |name: &str| tmp.path().join(name);
    progress(&format!("a {contacts}-contact vault on device A"));
    let a = home("a");
    rapport.run(&a, &["init", "--name", "a"], crate::proc::Stdout::Discard)?;
    let a_id = device_id(&rapport, &a)?;
    fill(&a, a_id, args.seed, contacts)?;

    progress("join with a code (rapport pair on A, no daemon: a fresh process each time)");
    let mut cold = Vec::new();
    let mut cold_handshakes = Vec::new();
    for i in 0..args.runs {
        let (wall, handshake) = join_once(&rapport, &a, &home(&format!("cold{i}")))?;
        cold.push(wall);
        cold_handshakes.push(handshake);
    }

    progress("join with a code, A serving (pair runs inside the daemon)");
    let da = Daemon::start(&rapport, &a, &tmp.path().join("a.log"))?;
    let mut joins = Vec::new();
    let mut handshakes = Vec::new();
    for i in 0..args.runs {
        let (wall, handshake) = join_once(&rapport, &a, &home(&format!("join{i}")))?;
        joins.push(wall);
        handshakes.push(handshake);
    }

    progress("baseline: clone with trust set up beforehand (devices add), A serving");
    let mut clones = Vec::new();
    let mut syncs = Vec::new();
    for i in 0..args.runs {
        let c = home(&format!("clone{i}"));
        let c_id = device_id(&rapport, &c)?;
        output(rapport.command(&a, &["devices", "add", &c_id.to_string()]))?;
        let start = Instant::now();
        output(rapport.command(&c, &["clone", &da.addr, "--id", &a_id.to_string()]))?;
        clones.push(start.elapsed());
        let start = Instant::now();
        output(rapport.command(&c, &["sync", "--addr", &da.addr]))?;
        syncs.push(start.elapsed());
    }

    progress("revocation on a 3-device setup (A, B, C serving, live sessions)");
    let (revoke, change) = revocation(&rapport, tmp.path(), &a, &da, args.runs.min(3))?;
    drop(da);

    let mut t = Table::new(format!(
        "Pairing and revocation (loopback, {contacts} contacts × 10 interactions)"
    ));
    let row = |t: &mut Table, m: &str, ours: &[Duration], base: &[Duration], target: &str| {
        let (o, b) = (table::median(ours), table::median(base));
        t.row(
            m,
            table::time(o),
            table::time(b),
            table::dur_ratio(o, b),
            target,
        );
    };
    let rows: [(&str, &[Duration], &[Duration], &str); 4] = [
        (
            "`join` → holding the vault, A serving (process, median)",
            &joins,
            &clones,
            "≈ clone",
        ),
        (
            "`join` → holding the vault, `pair` without daemon (median)",
            &cold,
            &clones,
            "≈ clone",
        ),
        (
            "pairing handshake, A serving (median)",
            &handshakes,
            &syncs,
            "< 100 ms",
        ),
        (
            "pairing handshake, `pair` without daemon (median)",
            &cold_handshakes,
            &syncs,
            "< 100 ms",
        ),
    ];
    for (m, ours, base, target) in rows {
        row(&mut t, m, ours, base, target);
    }
    row(
        &mut t,
        "revocation reaches the 3rd device (median)",
        &revoke,
        &change,
        "≈ any change",
    );
    let bits = rapport_sync::pairing::PairingCode::secret_bits();
    t.note(format!(
        "code: nameplate 0..=999 (public, {:.1} bits, only finds the window) + 2 BIP-39 words = {bits:.0} secret bits; \
         one guess per code, so an attacker's chance per pairing attempt is 2^-{bits:.0} = 1 in {:.0} ({:.1e})",
        1000f64.log2(),
        2f64.powf(bits),
        2f64.powf(-bits)
    ));
    t.note("baseline of join: `clone` of the same vault after `devices add` on A (A serving); both are whole processes on a home whose identity already exists");
    t.note("baseline of the handshake: a whole `sync` process with nothing new (QUIC handshake + one round); ours is measured inside `join`");
    t.note("revocation: from `devices revoke C` on A until B (live with A) lists C as revoked and so refuses it; baseline: a `devices add` on A until B lists it, same path, same polling (every 20 ms)");
    Ok(t)
}

/// One `pair` window on `a` (through its daemon if one runs) and one `join` into `b`: the join
/// process's wall time, and the handshake it reports.
fn join_once(rapport: &Rapport, a: &Path, b: &Path) -> Result<(Duration, Duration)> {
    // The new device's identity and empty store exist first, as in the clone baseline (which
    // needs the id for `devices add`): both then time the same work.
    device_id(rapport, b)?;
    let window = Window::open(rapport, a)?;
    let start = Instant::now();
    let out = output(rapport.command(b, &["join", &window.code, "--addr", &window.addr]))?;
    let wall = start.elapsed();
    let handshake = Duration::from_millis(number_after(&out, "paired in ")?);
    window.finish()?;
    Ok((wall, handshake))
}

/// Median of `runs`: A revokes (or adds) a device; how long until B lists it so.
fn revocation(
    rapport: &Rapport,
    dir: &Path,
    a: &Path,
    da: &Daemon,
    runs: u32,
) -> Result<(Vec<Duration>, Vec<Duration>)> {
    let (mut revokes, mut changes) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let b = dir.join(format!("rb{i}"));
        let c = dir.join(format!("rc{i}"));
        for (h, name) in [(&b, "b"), (&c, "c")] {
            let id = device_id(rapport, h)?;
            output(rapport.command(
                a,
                &[
                    "devices",
                    "add",
                    &id.to_string(),
                    "--name",
                    &format!("{name}{i}"),
                ],
            ))?;
            output(rapport.command(
                h,
                &[
                    "clone",
                    &da.addr,
                    "--id",
                    &device_id(rapport, a)?.to_string(),
                ],
            ))?;
        }
        let db = Daemon::start(rapport, &b, &dir.join(format!("rb{i}.log")))?;
        let dc = Daemon::start(rapport, &c, &dir.join(format!("rc{i}.log")))?;
        // Each daemon dials the address it cloned from: B and C hold live sessions with A.
        wait_for(
            || Ok(std::fs::read_to_string(&db.log)?.contains("connected to")),
            "B to connect",
        )?;
        wait_for(
            || Ok(std::fs::read_to_string(&dc.log)?.contains("connected to")),
            "C to connect",
        )?;
        let c_id = device_id(rapport, &c)?.to_string();
        // Baseline: another roster change on the same path.
        let dummy = DeviceId::from_bytes([i as u8 + 1; 32]).to_string();
        let start = Instant::now();
        output(rapport.command(
            a,
            &["devices", "add", &dummy, "--name", &format!("dummy{i}")],
        ))?;
        wait_for(
            || roster_has(rapport, &b, &dummy, false),
            "B to list the new device",
        )?;
        changes.push(start.elapsed());
        let start = Instant::now();
        output(rapport.command(a, &["devices", "revoke", &c_id]))?;
        wait_for(|| roster_has(rapport, &b, &c_id, true), "B to refuse C")?;
        revokes.push(start.elapsed());
        drop((db, dc));
    }
    Ok((revokes, changes))
}

fn roster_has(rapport: &Rapport, home: &Path, id: &str, revoked: bool) -> Result<bool> {
    let v = rapport.json(home, &["devices", "--json"])?;
    Ok(v.as_array().is_some_and(|a| {
        a.iter()
            .any(|d| d["id"] == id && (!revoked || d["revoked"] == true))
    }))
}

/// A running `rapport pair --json` whose first line has been read.
struct Window {
    child: Child,
    code: String,
    addr: String,
}

impl Window {
    fn open(rapport: &Rapport, home: &Path) -> Result<Window> {
        let mut child = rapport
            .command(
                home,
                &[
                    "pair",
                    "--listen",
                    "127.0.0.1:0",
                    "--json",
                    "--no-discovery",
                    "--timeout",
                    "60s",
                ],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut first = String::new();
        BufReader::new(child.stdout.as_mut().context("piped")?).read_line(&mut first)?;
        let v: serde_json::Value = serde_json::from_str(&first).context("pair's first line")?;
        let code = v["code"].as_str().context("no code")?.to_owned();
        let addr = v["addresses"][0].as_str().context("no address")?.to_owned();
        Ok(Window { child, code, addr })
    }

    fn finish(mut self) -> Result<()> {
        let status = self.child.wait()?;
        if !status.success() {
            bail!("rapport pair failed ({status})");
        }
        Ok(())
    }
}

fn number_after(text: &str, label: &str) -> Result<u64> {
    let rest = text
        .split(label)
        .nth(1)
        .with_context(|| format!("no `{label}` in {text:?}"))?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse()
        .with_context(|| format!("no number after `{label}`"))
}

fn progress(what: &str) {
    eprintln!("rapport-bench: {what}…");
}
