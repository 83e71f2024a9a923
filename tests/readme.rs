//! The README's language tour checks and its test passes: the examples are kept honest.

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;

#[test]
fn the_language_tour_checks_and_its_test_passes() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).expect("README");
    let mut tour = String::new();
    let mut blocks = 0;
    for part in readme.split("```vigil\n").skip(1) {
        let code = part.split("```").next().unwrap_or("");
        tour.push_str(code);
        tour.push('\n');
        blocks += 1;
    }
    assert!(blocks >= 4, "the README's vigil blocks: {blocks}");

    let dir = std::env::temp_dir().join(format!("vigil-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("lists")).expect("temp dir");
    std::fs::write(dir.join("tour.vigil"), &tour).expect("write");
    std::fs::copy(
        format!("{root}/tests/fixtures/readme/prelude.vigil"),
        dir.join("prelude.vigil"),
    )
    .expect("copy");
    std::fs::write(dir.join("lists/fraud_numbers.txt"), "+8617000000001\n").expect("write");

    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("test")
        .arg(&dir)
        .output()
        .expect("vigil runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}\n--- tour.vigil ---\n{tour}");
    assert!(text.contains("1 passed, 0 failed"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
