//! `rapport-lan-probe`: announces and/or browses Rapport beacons, printing one line per event.
//! The namespace tests run it inside each network namespace; it also shows exactly what a
//! device puts on the network.
//!
//! ```text
//! rapport-lan-probe [--secret HEX]... [--nameplate N]... [--announce-port P]
//!                   [--browse-ms T] [--until-found] [--hold-ms H]
//! ```
//! - `--announce-port P`: announce the first key's beacon on port P.
//! - `--browse-ms T`: browse for T ms, printing `seen <label> <host> <recognised> <addrs> <ms>`
//!   where `<recognised>` is `key=<index>`, `unrecognised`, `not-a-beacon` or `own`.
//! - `--until-found`: stop browsing at the first recognised beacon; exit 3 if none was.
//! - `--hold-ms H`: keep announcing until H ms after start, whatever happened.
//! - `--find-ms T`: `Lan::find` (what `rapport join` uses): prints `found <addrs> <ms>`, or
//!   exits 3 if nothing was found within T ms.

use rapport_discovery::{Addresses, BeaconKey, Lan, Window};
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() -> std::process::ExitCode {
    match run() {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("rapport-lan-probe: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run() -> Result<u8, String> {
    let start = Instant::now();
    let mut keys = Vec::new();
    let (mut port, mut browse_ms, mut hold_ms, mut until_found) = (None, 0u64, 0u64, false);
    let mut find_ms = 0u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--secret" => keys.push(BeaconKey::Vault(parse_secret(&value()?)?)),
            "--nameplate" => keys.push(BeaconKey::Pairing(number(&value()?)?)),
            "--announce-port" => port = Some(number(&value()?)?),
            "--browse-ms" => browse_ms = number(&value()?)?,
            "--hold-ms" => hold_ms = number(&value()?)?,
            "--find-ms" => find_ms = number(&value()?)?,
            "--until-found" => until_found = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let lan = Lan::start().map_err(|e| e.to_string())?;
    let _announcement = match port {
        Some(port) => {
            let key = keys.first().ok_or("--announce-port needs a key")?.clone();
            let a = lan
                .announce(key, port, Addresses::All)
                .map_err(|e| e.to_string())?;
            say(&format!("announced {}", a.label()));
            Some(a)
        }
        None => None,
    };
    let mut found = false;
    if find_ms > 0 {
        let addrs = lan
            .find(&keys, Duration::from_millis(find_ms))
            .map_err(|e| e.to_string())?;
        let addrs: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
        if addrs.is_empty() {
            return Ok(3);
        }
        say(&format!(
            "found {} {}",
            addrs.join(","),
            start.elapsed().as_millis()
        ));
        return Ok(0);
    }
    if browse_ms > 0 {
        let browser = lan.browse().map_err(|e| e.to_string())?;
        let deadline = start + Duration::from_millis(browse_ms);
        while let Some(seen) = browser.next(deadline) {
            let window = Window::at(unix_secs());
            let verdict = match seen.beacon {
                _ if seen.own => "own".to_owned(),
                None => "not-a-beacon".to_owned(),
                Some(b) => match b.recognise(&keys, window) {
                    Some(i) => format!("key={i}"),
                    None => "unrecognised".to_owned(),
                },
            };
            let addrs: Vec<String> = seen.addrs.iter().map(|a| a.to_string()).collect();
            say(&format!(
                "seen {} {} {verdict} {} {}",
                seen.label,
                seen.host,
                addrs.join(","),
                start.elapsed().as_millis()
            ));
            if verdict.starts_with("key=") {
                found = true;
                if until_found {
                    break;
                }
            }
        }
    }
    let hold = Duration::from_millis(hold_ms);
    if let Some(left) = hold.checked_sub(start.elapsed()) {
        std::thread::sleep(left);
    }
    Ok(if until_found && !found { 3 } else { 0 })
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn parse_secret(hex: &str) -> Result<[u8; 32], String> {
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(hex.as_bytes())
        .map_err(|e| format!("--secret: {e}"))?;
    bytes
        .try_into()
        .map_err(|_| "--secret must be 64 hex digits".to_owned())
}

fn number<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("not a number: {s}"))
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
