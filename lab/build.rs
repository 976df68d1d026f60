//! Builds `hb-lab-web`, the lab's tiny web server (src/web.rs), as a
//! standalone program and leaves it in OUT_DIR; the library embeds it and
//! writes it into every lab it creates. That way whoever uses the lab (the
//! demo, hb-bench, the root package's integration tests) runs a server of
//! the same source without having to find a binary of this package, which
//! cargo does not build for a dev-dependency.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let src = manifest.join("src/web.rs");
    println!("cargo:rerun-if-changed={}", src.display());
    // src/web.rs is also a module of the library (so fmt and clippy see
    // it); the program is a one-line main around it.
    let main = out.join("hb-lab-web.rs");
    std::fs::write(
        &main,
        format!(
            "#[path = {:?}]\nmod web;\nfn main() {{\n    std::process::exit(web::main(std::env::args().skip(1)));\n}}\n",
            src.display().to_string()
        ),
    )
    .expect("write the web server's main");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let status = Command::new(rustc)
        .args([
            "--edition=2024",
            "--crate-name=hb_lab_web",
            "--crate-type=bin",
        ])
        .args([
            "-C",
            "opt-level=2",
            "-C",
            "debuginfo=0",
            "-C",
            "strip=symbols",
        ])
        .arg("-o")
        .arg(out.join("hb-lab-web"))
        .arg(&main)
        .status()
        .expect("run rustc for hb-lab-web");
    assert!(status.success(), "building hb-lab-web failed");
}
