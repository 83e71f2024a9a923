//! Links the `vigil` binary's functions in the order `symbols.order` gives (the functions a
//! run executes, hottest first), so that they lie together at the start of its code: see
//! docs/PERFORMANCE.md, "Code layout". Release builds for x86_64 Linux only, where rustc links
//! with LLD; `VIGIL_NO_SYMBOL_ORDER=1` turns it off (for another linker).

fn main() {
    println!("cargo:rerun-if-changed=symbols.order");
    println!("cargo:rerun-if-env-changed=VIGIL_NO_SYMBOL_ORDER");
    let target = std::env::var("TARGET").unwrap_or_default();
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let off = std::env::var_os("VIGIL_NO_SYMBOL_ORDER").is_some();
    let order = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("symbols.order");
    if release && !off && target == "x86_64-unknown-linux-gnu" && order.exists() {
        println!(
            "cargo:rustc-link-arg-bin=vigil=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        // Names of functions that a later change renamed or inlined are skipped quietly.
        println!("cargo:rustc-link-arg-bin=vigil=-Wl,--no-warn-symbol-ordering");
    }
    if release && !off && target == "x86_64-unknown-linux-gnu" {
        // Relative relocations packed (glibc 2.36 and later read them): the loader then reads
        // a few kilobytes instead of 400 KB of `.rela.dyn` at every start.
        println!("cargo:rustc-link-arg-bin=vigil=-Wl,-z,pack-relative-relocs");
    }
}
