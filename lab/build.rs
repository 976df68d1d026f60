//! Builds `hb-lab-web`, the lab's tiny web server (src/web.rs), and
//! `hb-drbd-emu`, the DRBD emulator (src/drbdemu/), as standalone programs and leaves them in OUT_DIR; the library embeds them and
//! writes them into every lab it creates. That way whoever uses the lab (the
//! demo, hb-bench, the root package's integration tests) runs a server of
//! the same source without having to find a binary of this package, which
//! cargo does not build for a dev-dependency.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    program(
        "src/web.rs",
        "web",
        "hb-lab-web",
        "web::main(std::env::args().skip(1))",
    );
    program(
        "src/drbdemu/mod.rs",
        "drbdemu",
        "hb-drbd-emu",
        "{ let mut a = std::env::args(); let argv0 = a.next().unwrap_or_default(); drbdemu::main(&argv0, a.collect()) }",
    );
}

/// Compile the module at `src` (also a module of the library, so fmt and
/// clippy see it) into the program `name` in OUT_DIR: a one-line main
/// calls `call`, whose value is the exit status.
fn program(src: &str, module: &str, name: &str, call: &str) {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let src = manifest.join(src);
    // A module directory: rerun when any file in it changes.
    let watch = if src.ends_with("mod.rs") {
        src.parent().expect("a directory").to_path_buf()
    } else {
        src.clone()
    };
    println!("cargo:rerun-if-changed={}", watch.display());
    let main = out.join(format!("{name}.rs"));
    std::fs::write(
        &main,
        format!(
            "#[path = {:?}]\nmod {module};\nfn main() {{\n    std::process::exit({call});\n}}\n",
            src.display().to_string()
        ),
    )
    .expect("write the program's main");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let status = Command::new(rustc)
        .args(["--edition=2024", "--crate-type=bin"])
        .arg(format!("--crate-name={}", name.replace('-', "_")))
        .args([
            "-C",
            "opt-level=2",
            "-C",
            "debuginfo=0",
            "-C",
            "strip=symbols",
        ])
        .arg("-o")
        .arg(out.join(name))
        .arg(&main)
        .status()
        .expect("run rustc");
    assert!(status.success(), "building {name} failed");
}
