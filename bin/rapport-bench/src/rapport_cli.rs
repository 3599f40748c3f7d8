//! The `rapport` binary under test: found next to this benchmark's executable (built with cargo
//! if it is missing) and run on a given home.

use crate::proc::{self, Measured, Stdout};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug)]
pub struct Rapport {
    exe: PathBuf,
}

impl Rapport {
    /// The `rapport` next to this executable, as `cargo build` puts it. If there is none, builds
    /// it in the same profile (release when this bench runs from target/release).
    pub fn locate() -> Result<Rapport> {
        let me = std::env::current_exe().context("could not find this executable")?;
        let dir = me.parent().context("this executable has no folder")?;
        let exe = dir.join(format!("rapport{}", std::env::consts::EXE_SUFFIX));
        if !exe.is_file() {
            let release = dir.file_name().is_some_and(|n| n == "release");
            build(release)?;
        }
        if !exe.is_file() {
            bail!(
                "{} is missing: cargo builds rapport into the workspace's target folder, so run \
                 rapport-bench from there (`cargo run --release -p rapport-bench`)",
                exe.display()
            );
        }
        Ok(Rapport { exe })
    }

    /// A given binary, such as a release build of an older commit to compare with.
    pub fn at(path: &Path) -> Result<Rapport> {
        if !path.is_file() {
            bail!(
                "{} is not a file: give the path of a built `rapport`",
                path.display()
            );
        }
        Ok(Rapport {
            exe: path.canonicalize()?,
        })
    }

    pub fn path(&self) -> &Path {
        &self.exe
    }

    /// `rapport --home HOME ARGS...`, without any RAPPORT_HOME from the environment.
    pub fn command(&self, home: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.env_remove("RAPPORT_HOME")
            .arg("--home")
            .arg(home)
            .args(args);
        cmd
    }

    /// Runs one command to completion, timed and weighed.
    pub fn run(&self, home: &Path, args: &[&str], stdout: Stdout) -> Result<Measured> {
        proc::measure(&self.command(home, args), stdout)
    }

    /// Runs one command and parses its stdout as JSON.
    pub fn json(&self, home: &Path, args: &[&str]) -> Result<serde_json::Value> {
        let out = self.run(home, args, Stdout::Capture)?;
        serde_json::from_slice(&out.stdout)
            .with_context(|| format!("`rapport {}` did not print JSON", args.join(" ")))
    }
}

fn build(release: bool) -> Result<()> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&workspace).args(["build", "-p", "rapport"]);
    if release {
        cmd.arg("--release");
    }
    eprintln!("building rapport: {cmd:?}");
    let status = cmd.status().context("could not run cargo")?;
    if !status.success() {
        bail!("`cargo build -p rapport` failed ({status})");
    }
    Ok(())
}
