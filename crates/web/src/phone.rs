//! The phone app's static files at `/app/`: the browser replica (a Worker over the WebAssembly
//! build of rapport-model, storing in IndexedDB, cached for offline use by a service worker).
//! Served without sign-in: the files hold no data, and the data never comes from this server.
//!
//! The page, Worker and service worker are embedded, like the web app's assets. The WebAssembly
//! module and its wasm-bindgen glue (`pkg/`) are read from disk, from the folder
//! `scripts/wasm-build.sh` writes (or `RAPPORT_APP_PKG`), so the native build never needs the
//! wasm toolchain; when they are absent, `/app/` says how to build them.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use std::path::PathBuf;

/// The embedded files: name, bytes, content type.
const FILES: &[(&str, &str, &str)] = &[
    (
        "index.html",
        include_str!("../app/index.html"),
        "text/html; charset=utf-8",
    ),
    (
        "main.js",
        include_str!("../app/main.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "worker.js",
        include_str!("../app/worker.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "storage.js",
        include_str!("../app/storage.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "view.js",
        include_str!("../app/view.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "sync.js",
        include_str!("../app/sync.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "sw.js",
        include_str!("../app/sw.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "app.css",
        include_str!("../assets/app.css"),
        "text/css; charset=utf-8",
    ),
    (
        "manifest.webmanifest",
        include_str!("../app/manifest.webmanifest"),
        "application/manifest+json",
    ),
];

/// The files `scripts/wasm-build.sh` writes, served from `pkg/`.
const PKG: &[(&str, &str)] = &[
    ("rapport_wasm.js", "text/javascript; charset=utf-8"),
    ("rapport_wasm_bg.wasm", "application/wasm"),
];

/// The page may compile WebAssembly ('wasm-unsafe-eval'), and nothing else than the web app's
/// pages may: no inline script, no script from another origin. Its Worker (whose own response
/// carries this policy) may open WebTransport to any `https:` address: the daemon it paired
/// with is wherever the pairing link and each sync's `Reach` say (a LAN address, another
/// port), and WebTransport URLs are `https:`. Nothing else is fetched from elsewhere.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' https:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// The same policy in a `<meta>` of the exported page (a static host may send no header;
/// `frame-ancestors` is ignored there), and as a `_headers` file for hosts that read one
/// (Netlify, Cloudflare Pages), which also covers the Worker's own response.
const META_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' https:; form-action 'self'; base-uri 'none'";

const NOT_BUILT: &str = "The phone app's WebAssembly module is not built. In Rapport's source tree, run scripts/wasm-toolchain.sh and then scripts/wasm-build.sh, and restart `rapport serve` (or set RAPPORT_APP_PKG to the folder that holds rapport_wasm.js and rapport_wasm_bg.wasm).";

/// Where the built module is: `RAPPORT_APP_PKG`, else the folder the build script writes in
/// the source tree this binary was built from.
pub fn pkg_dir() -> PathBuf {
    std::env::var_os("RAPPORT_APP_PKG")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../target/wasm-pkg"
            ))
        })
}

fn read_pkg(dir: &std::path::Path) -> std::io::Result<Vec<(&'static str, Vec<u8>, &'static str)>> {
    PKG.iter()
        .map(|(name, kind)| Ok((*name, std::fs::read(dir.join(name))?, *kind)))
        .collect()
}

/// Every file of the app, with `sw.js` stamped with a version that changes with any file (so a
/// browser installs the new files instead of serving its cached ones forever).
pub fn files(pkg: &std::path::Path) -> std::io::Result<Vec<(String, Vec<u8>, &'static str)>> {
    let built = read_pkg(pkg)?;
    let mut hash = blake3::Hasher::new();
    for (name, body, _) in FILES {
        hash.update(name.as_bytes());
        hash.update(body.as_bytes());
    }
    for (name, body, _) in &built {
        hash.update(name.as_bytes());
        hash.update(body);
    }
    let version = hash.finalize().to_hex()[..16].to_owned();
    let mut out: Vec<(String, Vec<u8>, &'static str)> = FILES
        .iter()
        .map(|(name, body, kind)| {
            let body = if *name == "sw.js" {
                body.replace("__VERSION__", &version)
            } else {
                (*body).to_owned()
            };
            ((*name).to_owned(), body.into_bytes(), *kind)
        })
        .collect();
    out.extend(
        built
            .into_iter()
            .map(|(name, body, kind)| (format!("pkg/{name}"), body, kind)),
    );
    Ok(out)
}

/// Writes the app's files into `dir` (`rapport ui --export-pwa DIR`), for hosting on an HTTPS
/// origin: the page carries its content security policy in a `<meta>`, and `_headers` gives
/// it to hosts that read that file. Returns how many files were written.
pub fn export(dir: &std::path::Path) -> std::io::Result<usize> {
    let all = files(&pkg_dir())?;
    std::fs::create_dir_all(dir.join("pkg"))?;
    for (name, body, _) in &all {
        if name == "index.html" {
            let page = String::from_utf8_lossy(body).replacen(
                "<meta charset=\"utf-8\">",
                &format!(
                    "<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"{META_CSP}\">"
                ),
                1,
            );
            std::fs::write(dir.join(name), page)?;
        } else {
            std::fs::write(dir.join(name), body)?;
        }
    }
    let headers = format!(
        "/*\n  Content-Security-Policy: {CSP}\n  X-Content-Type-Options: nosniff\n  Referrer-Policy: no-referrer\n"
    );
    std::fs::write(dir.join("_headers"), headers)?;
    Ok(all.len() + 1)
}

pub async fn redirect() -> Redirect {
    Redirect::permanent("/app/")
}

pub async fn index() -> Response {
    serve_file("index.html".to_owned()).await
}

pub async fn file(Path(name): Path<String>) -> Response {
    serve_file(name).await
}

pub async fn pkg_file(Path(name): Path<String>) -> Response {
    serve_file(format!("pkg/{name}")).await
}

async fn serve_file(name: String) -> Response {
    let found = tokio::task::spawn_blocking(move || {
        files(&pkg_dir()).map(|all| all.into_iter().find(|(n, _, _)| *n == name))
    })
    .await;
    let mut response = match found {
        Ok(Ok(Some((_, body, kind)))) => (
            [
                (header::CONTENT_TYPE, kind),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            body,
        )
            .into_response(),
        Ok(Ok(None)) => (StatusCode::NOT_FOUND, "The phone app has no such file.").into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            NOT_BUILT,
        )
            .into_response(),
    };
    response
        .headers_mut()
        .insert("content-security-policy", HeaderValue::from_static(CSP));
    response
}
