//! Headless Chromium for the tests of Vigil's HTML pages (`$CHROMIUM`, else `chromium`;
//! `.ci/run` installs Debian's): a page loaded from its file, its script run, and what it drew
//! read back from the rendered DOM.

// Test code: a failed unwrap or assertion stops the test right there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into())
}

/// Runs headless Chromium on the page with `args` (the page's URL last); its standard output.
pub fn browse(page: &Path, args: &[&str]) -> String {
    let profile = page.with_extension("profile");
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start `{}` (apt-get install chromium): {e}",
                chromium()
            )
        });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Every start tag `<tag ...>` in `dom` whose class is `class`, as its attributes.
pub fn elements(dom: &str, tag: &str, class: &str) -> Vec<BTreeMap<String, String>> {
    let open = format!("<{tag} ");
    let mut out = Vec::new();
    let mut rest = dom;
    while let Some(at) = rest.find(&open) {
        rest = &rest[at + open.len()..];
        let end = rest.find('>').expect("a closed tag");
        let attrs = attributes(&rest[..end]);
        if attrs.get("class").map(String::as_str) == Some(class) {
            out.push(attrs);
        }
    }
    out
}

/// `name="value"` pairs (Chromium writes every attribute so, `&quot;` and `&amp;` escaped).
pub fn attributes(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = text.trim();
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].trim().to_string();
        let value_end = rest[eq + 2..].find('"').expect("a closed value");
        let value = rest[eq + 2..eq + 2 + value_end]
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        out.insert(name, value);
        rest = rest[eq + 2 + value_end + 1..].trim_start();
    }
    out
}

/// A screenshot of the page at `size` (`width,height`), kept in the target directory as `name`
/// for a person to look at; checked to be a PNG with something drawn.
pub fn screenshot(page: &Path, name: &str, size: &str) {
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_file(&shot);
    browse(
        page,
        &[
            &format!("--screenshot={}", shot.display()),
            &format!("--window-size={size}"),
            "--hide-scrollbars",
        ],
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
}
