// SPDX-License-Identifier: GPL-2.0-only

//! Test helper: loads the socket-filter programs of a BPF object with aya
//! and pins each in bpffs, for the kernel's `bpf` block to use
//! (`lanactl set NAME pinned=PATH`).
//!
//! Usage: bpf-pin OBJECT DIR PROGRAM...: pins DIR/PROGRAM for each PROGRAM.

use std::{env, path::Path, process::ExitCode};

use aya::{programs::SocketFilter, Ebpf};

fn run(object: &str, dir: &str, programs: &[String]) -> Result<(), String> {
    let mut bpf = Ebpf::load_file(object).map_err(|e| format!("loading {object}: {e}"))?;
    for name in programs {
        let program: &mut SocketFilter = bpf
            .program_mut(name)
            .ok_or_else(|| format!("{object} has no program {name}"))?
            .try_into()
            .map_err(|e| format!("{name} is not a socket filter: {e}"))?;
        program.load().map_err(|e| format!("loading {name}: {e}"))?;
        let path = Path::new(dir).join(name);
        program
            .pin(&path)
            .map_err(|e| format!("pinning {name} at {}: {e}", path.display()))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: bpf-pin OBJECT DIR PROGRAM...");
        return ExitCode::from(2);
    }
    match run(&args[0], &args[1], &args[2..]) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bpf-pin: {e}");
            ExitCode::FAILURE
        }
    }
}
