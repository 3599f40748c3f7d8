//! A full disk: in a mount namespace of its own (so nothing on the machine is touched), the
//! home lives on a small tmpfs; contacts with large notes are added until the disk is full.
//! The refused command must fail fast with exit 6 and one sentence, and every contact that was
//! acknowledged before must still be there.

use crate::support::rapport_bin;
use std::process::Command;

const SCRIPT: &str = r#"
set -u
R=$1; MNT=$2; OUT=$3
mount -t tmpfs -o size=24m tmpfs "$MNT" || exit 20
H=$MNT/home
timeout 30 "$R" --home "$H" init --name t > /dev/null 2>"$OUT/init.err" || exit 21
BIG=$(head -c 45000 /dev/urandom | base64 -w0 | head -c 60000)
: > "$OUT/acked"
for i in $(seq 1 400); do
  out=$(timeout 30 "$R" --home "$H" add "P$i" --notes "$BIG" 2>"$OUT/err"); code=$?
  if [ $code -eq 0 ]; then echo "$out" >> "$OUT/acked"; else echo $code > "$OUT/failcode"; cp "$OUT/err" "$OUT/failerr"; break; fi
done
timeout 30 "$R" --home "$H" list --json > "$OUT/list" 2>"$OUT/list.err"; echo $? > "$OUT/listcode"
"#;

#[test]
fn a_full_disk_refuses_the_write_clearly_and_keeps_every_acknowledged_contact() {
    // Needs a private mount namespace (root, as in CI); say so plainly where there is none.
    let can = Command::new("unshare")
        .args(["--mount", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !can {
        eprintln!("SKIPPED: cannot create a mount namespace here (unshare --mount failed)");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let mnt = work.path().join("mnt");
    let out = work.path().join("out");
    std::fs::create_dir_all(&mnt).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    let script = work.path().join("fill.sh");
    std::fs::write(&script, SCRIPT).unwrap();
    let status = Command::new("timeout")
        .arg("240")
        .args(["unshare", "--mount", "bash"])
        .arg(&script)
        .arg(rapport_bin())
        .arg(&mnt)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "the fill script failed: {status}");
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap_or_default();
    let acked: Vec<String> = read("acked").lines().map(str::to_owned).collect();
    assert!(
        acked.len() >= 3,
        "too few writes before the disk filled: {acked:?}"
    );
    assert_eq!(
        read("failcode").trim(),
        "6",
        "the refused add: {}",
        read("failerr")
    );
    let err = read("failerr");
    assert_eq!(err.lines().count(), 1, "one sentence: {err}");
    assert!(
        err.starts_with("error: ") && err.contains("disk is full"),
        "{err}"
    );
    assert_eq!(
        read("listcode").trim(),
        "0",
        "list on the full disk: {}",
        read("list.err")
    );
    let list = read("list");
    for id in &acked {
        assert!(
            list.contains(id.as_str()),
            "acknowledged contact {id} is missing"
        );
    }
}

/// B's home on a tmpfs (in the namespace), nearly full; A (on the normal disk) serves a few
/// megabytes B lacks; B's `sync` must stop at its persist step with exit 6 and the disk
/// sentence, and B must still open and hold what it held.
const SYNC_SCRIPT: &str = r#"
set -u
R=$1; MNT=$2; OUT=$3; A=$4; AID=$5
export RAPPORT_NO_DISCOVERY=1
mount -t tmpfs -o size=64m tmpfs "$MNT" || exit 20
B=$MNT/b
BID=$(timeout 30 "$R" --home "$B" device --json | tr -d ' \n' | sed 's/.*"id":"\([^"]*\)".*/\1/')
timeout 30 "$R" --home "$A" devices add "$BID" > /dev/null 2>"$OUT/add.err" || exit 21
"$R" --home "$A" serve --listen 127.0.0.1:0 --no-discovery > "$OUT/serve.out" 2>"$OUT/serve.err" &
SERVE=$!
for i in $(seq 1 200); do grep -q serving "$OUT/serve.out" && break; sleep 0.05; done
ADDR=$(sed -n 's/.* on \(127[^ ]*\)$/\1/p' "$OUT/serve.out")
timeout 30 "$R" --home "$B" clone "$ADDR" --id "$AID" > /dev/null 2>"$OUT/clone.err" || { kill $SERVE; exit 22; }
for i in $(seq 1 60); do
  BIG=$(head -c 45000 /dev/urandom | base64 -w0)
  timeout 30 "$R" --home "$A" add "Big $i" --notes "$BIG" > /dev/null 2>"$OUT/big.err" || { kill $SERVE; exit 23; }
done
# Fill B's disk, then give back 24 MiB: enough to open the store and start the sync (the
# store keeps 16 MiB in reserve), not enough for the 3.6 MB it receives.
dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null
truncate -s -24M "$MNT/filler"
timeout 60 "$R" --home "$B" sync --addr "$ADDR" > "$OUT/sync.out" 2>"$OUT/sync.err"; echo $? > "$OUT/synccode"
rm -f "$MNT/filler"
timeout 30 "$R" --home "$B" list --json > "$OUT/list" 2>"$OUT/list.err"; echo $? > "$OUT/listcode"
kill $SERVE; wait
"#;

#[test]
fn a_full_disk_during_a_syncs_persist_exits_6_with_the_disk_sentence() {
    let can = Command::new("unshare")
        .args(["--mount", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !can {
        eprintln!("SKIPPED: cannot create a mount namespace here (unshare --mount failed)");
        return;
    }
    let a = crate::support::Home::init();
    a.id(&["add", "Jeanne Yocum"]);
    let a_id = crate::daemon::device_id(&a);
    let work = tempfile::tempdir().unwrap();
    let (mnt, out) = (work.path().join("mnt"), work.path().join("out"));
    std::fs::create_dir_all(&mnt).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    let script = work.path().join("sync.sh");
    std::fs::write(&script, SYNC_SCRIPT).unwrap();
    let status = Command::new("timeout")
        .arg("240")
        .args(["unshare", "--mount", "bash"])
        .arg(&script)
        .arg(rapport_bin())
        .arg(&mnt)
        .arg(&out)
        .arg(a.path())
        .arg(&a_id)
        .status()
        .unwrap();
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap_or_default();
    assert!(
        status.success(),
        "the script failed: {status}\nadd: {}\nclone: {}\nbig: {}\nserve: {}",
        read("add.err"),
        read("clone.err"),
        read("big.err"),
        read("serve.err")
    );
    let err = read("sync.err");
    assert_eq!(read("synccode").trim(), "6", "the sync: {err}");
    assert_eq!(err.lines().count(), 1, "one sentence: {err}");
    assert!(
        err.starts_with("error: ") && err.contains("disk is full"),
        "{err}"
    );
    assert_eq!(
        read("listcode").trim(),
        "0",
        "B after: {}",
        read("list.err")
    );
    assert!(read("list").contains("Jeanne Yocum"), "B lost what it held");
}
