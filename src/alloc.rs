//! The command line's allocator: mimalloc. Window groups and partial matches are allocated
//! and freed by the million in no particular order; glibc's allocator spends a third of a W2
//! run (`../shared/bench`) sorting its free lists, mimalloc's size-class pages about a
//! tenth of that. Services embedding `vigil-runtime` choose their own allocator.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// By default mimalloc commits the whole of each arena it reserves on a system that
/// overcommits (Linux), which adds ~8 MiB to the peak RSS of every run, even on empty input.
/// Committing on first touch costs nothing measurable here. The option must be set before
/// the first allocation, and Rust's runtime allocates before `main`: hence a constructor run
/// by the loader.
#[cfg(target_os = "linux")]
mod options {
    use std::ffi::{c_int, c_long};

    /// `mi_option_arena_eager_commit` in `mimalloc.h`'s `mi_option_e` (mimalloc keeps these
    /// numbers stable: a retired option leaves a `deprecated` placeholder).
    const ARENA_EAGER_COMMIT: c_int = 4;

    unsafe extern "C" {
        fn mi_option_set(option: c_int, value: c_long);
        #[cfg(test)]
        fn mi_option_get(option: c_int) -> c_long;
    }

    extern "C" fn commit_on_demand() {
        // SAFETY: setting an option is valid at any time; before the first allocation it
        // also governs the first arena.
        unsafe { mi_option_set(ARENA_EAGER_COMMIT, 0) }
    }

    #[used]
    #[unsafe(link_section = ".init_array")]
    static COMMIT_ON_DEMAND: extern "C" fn() = commit_on_demand;

    #[cfg(test)]
    #[test]
    fn arenas_are_committed_on_demand() {
        // SAFETY: reading an option is valid at any time.
        assert_eq!(unsafe { mi_option_get(ARENA_EAGER_COMMIT) }, 0);
    }
}
