//! The `metarr-plex` binary: everything happens in [`metarr_plex::cli`].

fn main() -> std::process::ExitCode {
    metarr_plex::cli::main()
}
