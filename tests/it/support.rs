//! What every test module needs: the `rapport` binary (built once if needed), a throwaway home
//! to run it in, a bounded way to run it, assertions on the shape of its errors, and seeds.

use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// No single rapport command in these tests should take anywhere near this long; one that does
/// is hung (a damaged file sending sled into a loop, say), and the test fails instead of hanging.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

// ---- the binary ----

/// The `rapport` binary of the profile these tests were built with.
///
/// A test binary cannot use `CARGO_BIN_EXE_rapport` for another package's binary, so this looks
/// next to the test executable (`target/<profile>/deps/it-*` -> `target/<profile>/rapport`).
/// When run by cargo (`CARGO` is set) it first runs `cargo build -p rapport` once, so a stale
/// binary left from before an edit is never what gets tested; that is a no-op when it is fresh.
pub fn rapport_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(locate_or_build)
}

fn locate_or_build() -> PathBuf {
    let exe = std::env::current_exe().expect("the path of the test executable");
    let deps = exe
        .parent()
        .expect("the test executable lives in target/<profile>/deps");
    let profile_dir = deps.parent().expect("target/<profile>");
    let bin = profile_dir.join(format!("rapport{}", std::env::consts::EXE_SUFFIX));
    if let Some(cargo) = std::env::var_os("CARGO") {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let target_dir = profile_dir.parent().expect("the target directory");
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--quiet", "-p", "rapport", "--bin", "rapport"])
            .arg("--manifest-path")
            .arg(&manifest)
            .arg("--target-dir")
            .arg(target_dir);
        match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => {}
            Some("release") => {
                cmd.arg("--release");
            }
            Some(other) => {
                cmd.args(["--profile", other]);
            }
        }
        let out = cmd
            .output()
            .expect("running cargo build for the rapport binary");
        assert!(
            out.status.success(),
            "`cargo build -p rapport` failed, so there is no binary to test:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Another process's cargo may be replacing the file this very moment.
    for _ in 0..100 {
        if bin.is_file() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        bin.is_file(),
        "no rapport binary at {}: run `cargo build -p rapport` first",
        bin.display()
    );
    private_link(&bin, profile_dir)
}

/// A link to `bin` that this test process alone uses. Others share the target directory, and a
/// `cargo build` of theirs replaces `target/<profile>/rapport` (briefly removing it) while these
/// tests run; a hard link keeps this process's binary in place. Links of processes that have
/// ended are removed first.
fn private_link(bin: &Path, profile_dir: &Path) -> PathBuf {
    let root = profile_dir.join("rapport-it-bin");
    if let (Ok(entries), true) = (std::fs::read_dir(&root), Path::new("/proc/self").exists()) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let alive = Path::new("/proc").join(&name).exists();
            if !alive && name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = root.join(std::process::id().to_string());
    let link = dir.join(bin.file_name().expect("the binary's file name"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating a folder for the test's binary");
    if std::fs::hard_link(bin, &link).is_err() {
        std::fs::copy(bin, &link).expect("copying the rapport binary");
    }
    link
}

// ---- running it ----

/// What one run of `rapport` did.
#[derive(Debug)]
pub struct Run {
    pub args: Vec<String>,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// The whole run, for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "`rapport {}` ended with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.status,
            self.stdout,
            self.stderr
        )
    }

    /// stdout parsed as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.describe()))
    }
}

/// A `rapport` command with a clean environment: no inherited `RAPPORT_HOME`, a fixed time zone
/// (so `--at 2024-03-01` means noon UTC), and `HOME`/`XDG_DATA_HOME` pointing at `sandbox`, so that
/// a test that forgot `--home` could never touch the real data directory.
pub fn command(sandbox: &Path) -> Command {
    let mut cmd = Command::new(rapport_bin());
    cmd.env_remove("RAPPORT_HOME")
        .env("TZ", "UTC")
        .env("NO_COLOR", "1")
        .env("HOSTNAME", "test-device")
        .env("HOME", sandbox)
        .env("XDG_DATA_HOME", sandbox.join("xdg-data"))
        // No test multicasts on the machine's real interfaces (lan.rs removes this inside the
        // network namespaces it creates).
        .env("RAPPORT_NO_DISCOVERY", "1")
        // Parallel daemons must not race for WebTransport's default port 7450.
        .env("RAPPORT_BROWSER_ADDR", "127.0.0.1:0")
        .stdin(Stdio::null());
    cmd
}

/// Runs `cmd` to the end (bounded by `COMMAND_TIMEOUT`) and collects its output.
pub fn run_command(cmd: Command, args: Vec<String>) -> Run {
    match run_command_within(cmd, args, COMMAND_TIMEOUT) {
        Ok(run) => run,
        Err(run) => panic!(
            "`rapport {}` did not finish within {COMMAND_TIMEOUT:?} (hung?)\n{}",
            run.args.join(" "),
            run.describe()
        ),
    }
}

/// Runs `cmd` for at most `timeout`: `Err` with what it printed if it had to be killed.
pub fn run_command_within(
    mut cmd: Command,
    args: Vec<String>,
    timeout: Duration,
) -> Result<Run, Run> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("could not start `rapport {}`: {e}", args.join(" ")));
    match wait_or_kill(child, Instant::now() + timeout) {
        Ended::Exited(run) => Ok(Run { args, ..run }),
        Ended::Killed(run) => Err(Run { args, ..run }),
    }
}

/// How a child started with piped stdout and stderr ended.
#[derive(Debug)]
pub enum Ended {
    /// It exited (or was signalled by someone else) before the deadline.
    Exited(Run),
    /// The deadline came first and it was killed with SIGKILL.
    Killed(Run),
}

/// Waits for `child` until `deadline`, then SIGKILLs it. Either way the child has been reaped
/// when this returns, so it holds no file and no lock any more.
pub fn wait_or_kill(mut child: Child, deadline: Instant) -> Ended {
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let mut pause = Duration::from_micros(100);
    let (status, killed) = loop {
        if let Some(status) = child.try_wait().expect("waiting for a child") {
            break (status, false);
        }
        let now = Instant::now();
        if now >= deadline {
            // If it exited in the meantime, kill is a no-op on the zombie and wait reports the
            // real exit status; the caller looks at that, not at `Killed`.
            let _ = child.kill();
            break (child.wait().expect("reaping a killed child"), true);
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(2));
    };
    let run = Run {
        args: Vec::new(),
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    };
    if killed {
        Ended::Killed(run)
    } else {
        Ended::Exited(run)
    }
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

// ---- a home ----

/// A throwaway rapport home (the folder passed as `--home`), deleted at the end of the test.
#[derive(Debug)]
pub struct Home {
    /// Holds the home and the sandbox `HOME` of the commands; removed on drop.
    root: TempDir,
    /// `root/home`, the folder passed as `--home` (created by the first command).
    home: PathBuf,
}

impl Home {
    /// A home folder with nothing in it yet (no device, no vault).
    pub fn empty() -> Home {
        let root = tempfile::Builder::new()
            .prefix("rapport-it-")
            .tempdir()
            .expect("a temporary directory");
        let home = root.path().join("home");
        Home { root, home }
    }

    /// A home after a successful `rapport init`.
    pub fn init() -> Home {
        let home = Home::empty();
        home.ok(&["init", "--name", "test device"]);
        home
    }

    /// A copy of `other`'s files (of a closed home), to damage without touching the original.
    pub fn copy_of(other: &Home) -> Home {
        let home = Home::empty();
        copy_tree(other.path(), home.path());
        home
    }

    /// The folder given as `--home`.
    pub fn path(&self) -> &Path {
        &self.home
    }

    /// The store folder (`HOME/store`).
    pub fn store(&self) -> PathBuf {
        self.path().join("store")
    }

    /// The sled folder (`HOME/store/sled`).
    pub fn sled(&self) -> PathBuf {
        self.store().join("sled")
    }

    /// A `rapport --home HOME` command, not yet run.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = command(self.root.path());
        cmd.arg("--home").arg(self.path()).args(args);
        cmd
    }

    /// Runs `rapport --home HOME ARGS...`.
    pub fn run(&self, args: &[&str]) -> Run {
        run_command(self.command(args), owned(args))
    }

    /// Runs `rapport --home HOME ARGS...` for at most `timeout`; `Err` if it had to be killed.
    pub fn run_within(&self, args: &[&str], timeout: Duration) -> Result<Run, Run> {
        run_command_within(self.command(args), owned(args), timeout)
    }

    /// Runs a command that must succeed without a word on stderr; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert!(run.success(), "expected success:\n{}", run.describe());
        assert_no_panic(&run);
        assert!(
            run.stderr.is_empty(),
            "a successful command wrote to stderr:\n{}",
            run.describe()
        );
        run.stdout
    }

    /// Runs a read command with `--json` appended; returns the parsed output.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let run = self.run(&all);
        assert!(run.success(), "expected success:\n{}", run.describe());
        assert_no_panic(&run);
        run.json()
    }

    /// Runs a command that prints one id (`add`, `note`, `group create`); returns it.
    pub fn id(&self, args: &[&str]) -> String {
        let out = self.ok(args);
        let id = out.trim().to_owned();
        assert!(
            is_id(&id),
            "`rapport {}` printed {out:?}, not an id",
            args.join(" ")
        );
        id
    }

    /// Runs a command that must fail with `code` and a one-line `error: ...` on stderr, and
    /// nothing on stdout. Returns the error line.
    pub fn fails(&self, code: i32, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(
            run.code(),
            Some(code),
            "wrong exit code:\n{}",
            run.describe()
        );
        assert_clean_error(&run);
        assert_eq!(
            run.stderr.lines().count(),
            1,
            "the error is not one line:\n{}",
            run.describe()
        );
        run.stderr.trim_end().to_owned()
    }
}

pub fn owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

/// Whether `s` looks like a record id as rapport prints them (16 lowercase hex characters).
pub fn is_id(s: &str) -> bool {
    s.len() == 16
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Copies a folder tree (regular files and folders only).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creating a folder");
    for entry in std::fs::read_dir(from).expect("reading a folder") {
        let entry = entry.expect("a folder entry");
        let kind = entry.file_type().expect("a file type");
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).expect("copying a file");
        }
    }
}

// ---- what errors must look like ----

/// rapport never panics: no exit code 101, no death by signal, no panic message.
pub fn assert_no_panic(run: &Run) {
    if let Some(problem) = panic_problem(run) {
        panic!("{problem}:\n{}", run.describe());
    }
}

/// What is wrong if `run` panicked or crashed.
pub fn panic_problem(run: &Run) -> Option<String> {
    if run.code() == Some(101) {
        return Some("rapport panicked (exit code 101)".into());
    }
    if run.code().is_none() {
        return Some("rapport was killed by a signal (a crash?)".into());
    }
    ["panicked", "internal bug", "RUST_BACKTRACE"]
        .into_iter()
        .find(|sign| run.stderr.contains(sign))
        .map(|sign| format!("rapport panicked (stderr has `{sign}`)"))
}

/// A failed run that reports its error the way users are promised: non-zero exit, nothing on
/// stdout, and stderr that starts with exactly one `error: ` line (further lines may only
/// elaborate it, such as the candidates of an ambiguous name, or be `note: ` lines).
pub fn assert_clean_error(run: &Run) {
    if let Some(problem) = clean_error_problem(run) {
        panic!("{problem}:\n{}", run.describe());
    }
}

/// What is wrong with `run` as a clean failure, if anything.
pub fn clean_error_problem(run: &Run) -> Option<String> {
    if let Some(problem) = panic_problem(run) {
        return Some(problem);
    }
    if run.success() {
        return Some("expected a failure".into());
    }
    if !run.stdout.is_empty() {
        return Some("a failed command wrote to stdout".into());
    }
    let errors = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error"))
        .count();
    if errors != 1 {
        return Some(format!("stderr holds {errors} error lines, not one"));
    }
    let first = run
        .stderr
        .lines()
        .find(|l| !l.starts_with("note: "))
        .unwrap_or_default();
    if !first.starts_with("error: ") || first.len() < "error: ".len() + 10 {
        return Some("stderr does not start with `error: <a sentence>`".into());
    }
    None
}

// ---- seeds ----

/// A test's seed: from `RAPPORT_TEST_SEED` if set, else a hash of the test's name, so every
/// test explores a different but reproducible sequence. Printed if the test fails.
#[derive(Debug)]
pub struct Seed {
    pub value: u64,
    test: &'static str,
}

impl Seed {
    pub fn for_test(test: &'static str) -> Seed {
        let value = match std::env::var("RAPPORT_TEST_SEED") {
            Ok(s) => s
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("RAPPORT_TEST_SEED={s:?} is not a u64")),
            Err(_) => fnv1a(test.as_bytes()),
        };
        Seed { value, test }
    }
}

impl Drop for Seed {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "{} failed with seed {}; replay it with RAPPORT_TEST_SEED={} cargo test -p rapport-tests -- {}",
                self.test, self.value, self.value, self.test
            );
        }
    }
}

/// 64-bit FNV-1a: a stable hash of a test name (std's hasher is not stable across releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
