//! samod-fetch: how long samod 0.16 takes to fetch one saved Automerge
//! document from one `Repo` to another over loopback TCP.
//!
//! Usage: `samod-fetch --doc PATH [--runs N]`. One line per run goes to
//! stderr; one JSON summary line goes to stdout. See README.md.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use automerge::{Automerge, ChangeHash};
use futures::StreamExt;
use samod::{BackoffConfig, Repo, ShareConfig, Url};
use tokio::net::TcpListener;

const SAMOD_VERSION: &str = "0.16.0";
const TIMEOUT: Duration = Duration::from_secs(120);

struct Args {
    doc: String,
    runs: usize,
}

fn parse_args() -> Result<Args, String> {
    let usage = "usage: samod-fetch --doc PATH [--runs N]";
    let mut doc = None;
    let mut runs = 3;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--doc" => doc = Some(it.next().ok_or(usage)?),
            "--runs" => {
                runs = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--runs needs a positive integer")?;
            }
            "-h" | "--help" => return Err(usage.to_string()),
            other => return Err(format!("unknown argument {other:?}; {usage}")),
        }
    }
    Ok(Args {
        doc: doc.ok_or(usage)?,
        runs,
    })
}

/// Heads in a canonical order, so two documents compare equal regardless of
/// how each one happens to list them.
fn sorted_heads(doc: &Automerge) -> Vec<ChangeHash> {
    let mut heads = doc.get_heads();
    heads.sort();
    heads
}

/// One run: fresh Repo A holding `doc`, fresh empty Repo B, connected over
/// 127.0.0.1 TCP; returns the time B took to fetch the document.
async fn run_once(doc: Automerge) -> Result<Duration, String> {
    // A announces nothing: otherwise it would start pushing the document to
    // B as soon as the connection is up, before B has asked, and the timed
    // window below would miss part of the transfer. B keeps the default
    // policy (read-write, announce), which is what lets its `find` request
    // the document from A.
    let repo_a = Repo::build_tokio()
        .with_share_policy(ShareConfig::read_write().with_announce(false))
        .load()
        .await;
    let repo_b = Repo::build_tokio().load().await;

    // `create` takes the loaded document as the new document's content and
    // gives it a fresh document id; it returns once A's in-memory storage
    // holds it. The document is not copied: its history and heads stay.
    let handle_a = repo_a
        .create(doc)
        .await
        .map_err(|_| "repo A stopped while creating the document")?;
    let doc_id = handle_a.document_id().clone();
    let heads_a = handle_a.with_document(|d| sorted_heads(d));

    // A listens on an ephemeral loopback port and hands each accepted socket
    // to samod, which frames it (length-delimited) on its own.
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot bind 127.0.0.1:0: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let acceptor = repo_a
        .make_acceptor(Url::parse(&format!("tcp://127.0.0.1:{port}")).unwrap())
        .map_err(|_| "repo A stopped")?;
    let accept_task = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            // Small sync messages should not wait for Nagle.
            let _ = socket.set_nodelay(true);
            if acceptor.accept_tokio_io(socket).is_err() {
                break;
            }
        }
    });

    // B dials A with samod's built-in TCP dialer (same framing as the
    // acceptor). Waiting for the handshake first keeps connection setup out
    // of the timed window: we measure the fetch, not the connect.
    let dialer = repo_b
        .dial_tcp(
            Url::parse(&format!("tcp://127.0.0.1:{port}")).unwrap(),
            BackoffConfig::default(),
        )
        .map_err(|e| e.to_string())?;
    tokio::time::timeout(TIMEOUT, dialer.established())
        .await
        .map_err(|_| "B did not connect to A within 120 s")?
        .map_err(|e| format!("B could not connect to A: {e:?}"))?;

    let start = Instant::now();
    // Set once `find` resolves, so a timeout can tell "never arrived" from
    // "arrived but heads differ".
    let mut found_b = None;
    let fetch = async {
        let handle_b = repo_b
            .find(doc_id.clone())
            .await
            .map_err(|_| "repo B stopped during find".to_string())?
            .ok_or("A reported the document as unavailable")?;
        // `find` resolves once B has every change A advertised when the sync
        // began, which for a static A is the whole document; still, only stop
        // the clock on the condition we report, and wait for more changes if
        // it does not hold yet. Subscribe before checking so none is missed.
        let mut changes = handle_b.changes();
        found_b = Some(handle_b.clone());
        while handle_b.with_document(|d| sorted_heads(d)) != heads_a {
            if changes.next().await.is_none() {
                return Err("B's document closed before its heads matched A's".to_string());
            }
        }
        Ok::<_, String>(())
    };
    let outcome = tokio::time::timeout(TIMEOUT, fetch).await;
    let elapsed = start.elapsed();
    match outcome {
        Ok(result) => result?,
        Err(_) if found_b.is_some() => {
            return Err(
                "B found the document but its heads still differed from A's after 120 s".into(),
            );
        }
        Err(_) => return Err("the fetch did not complete within 120 s".into()),
    }

    accept_task.abort();
    dialer.close();
    repo_b.stop().await;
    repo_a.stop().await;
    Ok(elapsed)
}

fn median_ms(runs: &[f64]) -> f64 {
    let mut v = runs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn round3(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

fn main() -> ExitCode {
    match real_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("samod-fetch: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn real_main() -> Result<(), String> {
    let args = parse_args()?;
    let bytes = std::fs::read(&args.doc).map_err(|e| format!("cannot read {}: {e}", args.doc))?;
    // Load once up front so a bad file fails fast; each run gets a clone,
    // which is outside the timed window.
    let doc = Automerge::load(&bytes)
        .map_err(|e| format!("{} is not a loadable Automerge document: {e}", args.doc))?;
    eprintln!(
        "samod-fetch: {} ({} bytes, {} heads), {} run(s)",
        args.doc,
        bytes.len(),
        doc.get_heads().len(),
        args.runs
    );

    let mut runs_ms = Vec::with_capacity(args.runs);
    for i in 1..=args.runs {
        // A fresh runtime per run, so no task left over from the previous
        // run's repos competes for the two worker threads.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start tokio runtime: {e}"))?;
        let result = rt.block_on(run_once(doc.clone()));
        // Bounded, so a run that failed with tasks still busy cannot hang exit.
        rt.shutdown_timeout(Duration::from_secs(5));
        let elapsed = result?;
        let ms = elapsed.as_secs_f64() * 1000.0;
        eprintln!("run {i}/{}: {ms:.1} ms", args.runs);
        runs_ms.push(round3(ms));
    }

    let runs = runs_ms
        .iter()
        .map(|ms| ms.to_string())
        .collect::<Vec<_>>()
        .join(",");
    // Every run checked heads before returning, so reaching here means equal.
    println!(
        "{{\"samod_version\":\"{SAMOD_VERSION}\",\"doc_bytes\":{},\"runs\":[{runs}],\"median_ms\":{},\"heads_equal\":true}}",
        bytes.len(),
        round3(median_ms(&runs_ms))
    );
    Ok(())
}
