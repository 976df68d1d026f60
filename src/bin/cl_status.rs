//! `cl_status`: the original's query tool, answered by our daemon.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(heartbeat::commands::cl_status::run(&args));
}
