//! Integration tests live in `it/`. This library holds the architecture test (`tidy`), which
//! reads the workspace's sources and needs no binary built: `cargo test -p rapport-tests --lib`.

pub mod tidy;
