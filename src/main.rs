//! The `dossier` binary: parse the command line and run it. Everything else lives in the library.

use clap::Parser;
use std::process::ExitCode;

// Loading thousands of small cards is allocation-heavy; mimalloc makes it markedly cheaper.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay`: its place in mimalloc 3's `mi_option_e` (libmimalloc-sys names only
/// some of the options).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// mimalloc 3's default for it, in milliseconds.
const MI_DEFAULT_PURGE_DELAY: std::ffi::c_long = 1000;

/// Hand freed memory back to the system at once rather than a second later. Each reload of the
/// cards frees a whole library: reloading a 10,000-file tree back to back, `serve` settles at
/// about 140 MB this way against 164 MB with the default delay, and reloads are no slower
/// (BENCHMARKS.md, "Memory over reloads"). `MIMALLOC_PURGE_DELAY` in the environment still wins.
fn tune_allocator() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: mi_option_get/mi_option_set take plain integers and only read or write mimalloc's
    // option table; they are safe to call at any time. The option is changed only when it holds
    // its documented default, so a mimalloc whose options are numbered differently is left alone.
    unsafe {
        if libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) == MI_DEFAULT_PURGE_DELAY {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
        }
    }
}

/// Keep the process out of transparent huge pages. mimalloc asks for them on its arenas, and
/// the kernel then backs (and, through khugepaged, fills in) whole 2 MiB ranges of which a
/// library of small cards uses a part: reloading a 10,000-file tree, resident memory crept from
/// 103 MB after 10 reloads to 120 MB after 1,000 with them, and went from 90 MB to 96 MB
/// without (BENCHMARKS.md, "Memory over reloads"). `MIMALLOC_ALLOW_THP` in the environment
/// still wins.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: PR_SET_THP_DISABLE takes plain integers and only sets a flag on this process;
        // it cannot fail in a way that matters (an old kernel without it returns EINVAL, and
        // the process then runs as before).
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
}

/// A command whose output is piped into `head` ends quietly when the reader goes, as other
/// command-line tools do, instead of failing to print. Not `serve`: its sockets report a
/// closed peer as an error to handle, never as a signal.
fn quiet_broken_pipe(cli: &dossier::cli::Cli) {
    #[cfg(unix)]
    if !cli.serves() {
        // SAFETY: restoring the default action of SIGPIPE takes plain integers and touches
        // nothing but this process's signal table, before any thread is started.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
}

fn main() -> ExitCode {
    tune_allocator();
    no_huge_pages();
    let cli = dossier::cli::Cli::parse();
    quiet_broken_pipe(&cli);
    dossier::cli::run(cli)
}
