use clap::Parser;

fn main() -> std::process::ExitCode {
    match pinggu::cli::run(pinggu::cli::Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pinggu: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
