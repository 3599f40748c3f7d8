//! `rapport ui`: opens the web app that `rapport serve` runs (`rapport_daemon::launch` finds it,
//! starting the daemon in the background if none runs).
//!
//! It writes a one-time sign-in code and opens the browser on a small owner-only redirect file
//! that holds the link: the code is never in any process's argv or the shell's history, and it
//! is spent the moment the browser uses it.

use anyhow::{bail, Context, Result};
use rapport_web::auth::{new_once_code, write_owner_only};
use std::path::Path;

/// `rapport ui --export-pwa DIR`: the phone app's files, for a static HTTPS host.
pub fn export_pwa(out: &Path) -> Result<()> {
    let written = rapport_web::phone::export(out).with_context(|| {
        format!(
            "could not write the phone app into {} (is its WebAssembly module built? run scripts/wasm-toolchain.sh and scripts/wasm-build.sh in the source tree, or set RAPPORT_APP_PKG)",
            out.display()
        )
    })?;
    println!(
        "wrote the phone app ({written} files) into {}",
        out.display()
    );
    Ok(())
}

/// `rapport ui [--no-open]`.
pub fn open(home: &Path, no_open: bool) -> Result<()> {
    let served = rapport_daemon::launch::web_app(home)?;
    if let Some(log) = &served.started_with_log {
        eprintln!(
            "started `rapport serve` in the background (log: {})",
            log.display()
        );
    }
    let addr = served.addr;
    let code = new_once_code(home)?;
    let url = format!("http://{addr}/signin?once={code}");
    if no_open {
        println!("{url}");
        return Ok(());
    }
    let file = home.join("ui-open.html");
    let page = format!(
        "<!DOCTYPE html><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0; url={url}\">\
         <title>Rapport</title><p><a href=\"{url}\">Open Rapport</a></p>\n"
    );
    write_owner_only(&file, page.as_bytes())
        .with_context(|| format!("could not write {}", file.display()))?;
    let opener = std::env::var_os("BROWSER").unwrap_or_else(|| {
        if cfg!(target_os = "macos") {
            "open".into()
        } else {
            "xdg-open".into()
        }
    });
    let status = std::process::Command::new(&opener)
        .arg(&file)
        .stdin(std::process::Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => {
            println!("opened the Rapport app (http://{addr}) in your browser");
            Ok(())
        }
        _ => bail!(
            "could not open a browser with {}: run `rapport ui --no-open` and open the address it prints",
            opener.to_string_lossy()
        ),
    }
}
