//! The command line's allocator: mimalloc. Window groups and partial matches are allocated
//! and freed by the million in no particular order; glibc's allocator spends a third of a W2
//! run (`../shared/bench`) sorting its free lists, mimalloc's size-class pages about a
//! tenth of that. Services embedding `vigil-runtime` choose their own allocator.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys::{
    mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc,
    mi_zalloc_aligned,
};

#[global_allocator]
static GLOBAL: Mimalloc = Mimalloc;

/// mimalloc, asked for an alignment only when its size classes do not already give it.
///
/// The `mimalloc` crate passes every request to `mi_malloc_aligned`. When the page of the
/// right size class has no free block at hand, mimalloc 3 serves such a request by
/// over-allocating from a larger class (unless the size is a power of two): a quarter of the
/// allocations of a W3 run went that way, each slower and bigger than a plain one.
struct Mimalloc;

/// The alignment mimalloc's plain entry points give every block of at least this size: its
/// small size classes are multiples of two words on x86-64 and aarch64 (`MI_ALIGN2W`), as
/// C's `max_align_t` requires. Rust's own `System` allocator applies the same rule to
/// `malloc`.
const PLAIN_ALIGN: usize = 16;

/// Whether a plain allocation of `size` bytes is aligned enough for `align`.
fn plain(size: usize, align: usize) -> bool {
    align <= PLAIN_ALIGN && align <= size
}

// SAFETY: every block comes from mimalloc with at least the layout's size and alignment
// (`plain` says when the plain entry points guarantee it), and every block is freed or
// resized by mimalloc, which accepts blocks from either kind of entry point.
unsafe impl GlobalAlloc for Mimalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: mimalloc's allocation functions accept any size.
        unsafe {
            if plain(layout.size(), layout.align()) {
                mi_malloc(layout.size()).cast()
            } else {
                mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        unsafe {
            if plain(layout.size(), layout.align()) {
                mi_zalloc(layout.size()).cast()
            } else {
                mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator, so from mimalloc.
        unsafe { mi_free(ptr.cast::<c_void>()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator, so from mimalloc; the new block keeps the
        // layout's alignment by the same rule as `alloc`.
        unsafe {
            if plain(new_size, layout.align()) {
                mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
            }
        }
    }
}

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
    /// `mi_option_purge_delay`: milliseconds before freed memory goes back to the system;
    /// -1 never.
    const PURGE_DELAY: c_int = 15;

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

    /// Called as `main` returns. Statically linked, mimalloc collects every heap when the
    /// process exits and hands the freed memory back to the system page by page (`madvise`),
    /// work the exit itself does at once: ~2% of a 1,000-rule start-up. With purging off,
    /// that collection leaves the pages alone.
    pub fn before_exit() {
        // SAFETY: setting an option is valid at any time.
        unsafe { mi_option_set(PURGE_DELAY, -1) }
    }

    #[cfg(test)]
    #[test]
    fn arenas_are_committed_on_demand() {
        // SAFETY: reading an option is valid at any time.
        assert_eq!(unsafe { mi_option_get(ARENA_EAGER_COMMIT) }, 0);
    }

    #[cfg(test)]
    #[test]
    fn the_purge_delay_is_the_option_it_names() {
        // mimalloc 3's default purge delay is 1000 ms; a different number would mean the
        // constant names another option (this test process never calls `before_exit`).
        // SAFETY: reading an option is valid at any time.
        let delay = unsafe { mi_option_get(PURGE_DELAY) };
        assert!(
            delay == 1000 || std::env::var_os("MIMALLOC_PURGE_DELAY").is_some(),
            "{delay}"
        );
    }
}

#[cfg(not(target_os = "linux"))]
mod options {
    pub fn before_exit() {}
}

pub use options::before_exit;

#[cfg(test)]
mod tests {
    use std::alloc::{GlobalAlloc, Layout};

    use super::Mimalloc;

    #[test]
    fn every_block_has_its_layouts_alignment() {
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in (1..=300).chain([4095, 4096, 70_000]) {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: the layout has a non-zero size; each block is freed once, by the
                // allocator that gave it.
                unsafe {
                    let p = Mimalloc.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "alloc({size}, {align})");
                    let q = Mimalloc.realloc(p, layout, size * 3);
                    assert_eq!(q as usize % align, 0, "realloc({size}, {align})");
                    Mimalloc.dealloc(q, Layout::from_size_align(size * 3, align).unwrap());
                    let z = Mimalloc.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0, "alloc_zeroed({size}, {align})");
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|b| *b == 0));
                    Mimalloc.dealloc(z, layout);
                }
            }
        }
    }
}
