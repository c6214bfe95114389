// SPDX-License-Identifier: GPL-2.0-only

//! genl-fuzz: sends the lana generic-netlink family malformed, truncated,
//! oversized, wrong-typed and out-of-order messages, mutated from the
//! corpus seeds, interleaved with the seeds themselves (valid requests that
//! keep changing a small graph). The kernel must answer every one (an
//! error is fine) and stay up; the test around it checks dmesg, traffic and
//! a final graph.
//!
//! Netlink messages are built as bytes here rather than with neli's
//! builders: getting the bytes wrong is the point.

mod attr;
mod mutate;
mod probe;
mod seeds;
mod socket;

use std::{fs, path::PathBuf, process::ExitCode};

use clap::Parser;
use rand::{rngs::SmallRng, Rng, SeedableRng};

use socket::{Answer, Socket, Tally};

/// Fuzz the lana generic-netlink family.
#[derive(Parser)]
struct Args {
    /// Messages to send.
    #[arg(long, default_value_t = 10_000)]
    count: u64,
    /// Seed of the random generator: the same seed sends the same messages.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Directory of corpus seeds (`*.bin`); the built-in seeds without it.
    #[arg(long)]
    seeds: Option<PathBuf>,
    /// Send every Nth message unmutated (a valid request).
    #[arg(long, default_value_t = 8)]
    valid_every: u64,
    /// Write the built-in seeds into this directory and exit.
    #[arg(long)]
    write_seeds: Option<PathBuf>,
    /// Send one request, CMD then ATTR=KIND:VALUE fields (see probe.rs),
    /// and print the answer: "errno N: extack message".
    #[arg(long, num_args = 1.., value_name = "CMD FIELD", allow_hyphen_values = true)]
    probe: Option<Vec<String>>,
}

fn load_seeds(dir: &Option<PathBuf>) -> std::io::Result<Vec<Vec<u8>>> {
    let Some(dir) = dir else {
        return Ok(seeds::all().into_iter().map(|(_, m)| m).collect());
    };
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "bin"))
        .collect();
    paths.sort();
    paths.iter().map(fs::read).collect()
}

fn run(args: &Args) -> std::io::Result<()> {
    if let Some(dir) = &args.write_seeds {
        fs::create_dir_all(dir)?;
        for (i, (name, message)) in seeds::all().into_iter().enumerate() {
            fs::write(dir.join(format!("{i:02}-{name}.bin")), message)?;
        }
        return Ok(());
    }
    if let Some(words) = &args.probe {
        let message = probe::message(words).map_err(std::io::Error::other)?;
        let family = lana_uapi::FAMILY_NAME
            .to_str()
            .map_err(std::io::Error::other)?;
        let mut socket = Socket::connect(family)?;
        let answer = socket.exchange(&message, false)?;
        let extack = socket.extack.as_deref().unwrap_or("-");
        match answer {
            Answer::Errno(e) => println!("errno {e}: {extack}"),
            Answer::Silence => println!("no answer"),
        }
        return Ok(());
    }
    let corpus = load_seeds(&args.seeds)?;
    if corpus.is_empty() {
        return Err(std::io::Error::other("no seeds"));
    }
    let family = lana_uapi::FAMILY_NAME
        .to_str()
        .map_err(std::io::Error::other)?;
    let mut socket = Socket::connect(family)?;
    let mut rng = SmallRng::seed_from_u64(args.seed);
    let (mut tally, mut valid) = (Tally::default(), 0u64);
    for n in 0..args.count {
        let seed = &corpus[rng.gen_range(0..corpus.len())];
        let message = if args.valid_every > 0 && n % args.valid_every == 0 {
            valid += 1;
            seed.clone()
        } else {
            mutate::mutate(seed, &mut rng)
        };
        // Now and then the dump flag, on any command.
        let answer = socket.exchange(&message, rng.gen_ratio(1, 16))?;
        tally.add(answer);
    }
    let mut answers: Vec<(Answer, u64)> = tally.0.into_iter().collect();
    answers.sort_by_key(|(a, _)| match a {
        Answer::Errno(e) => *e,
        Answer::Silence => i32::MAX,
    });
    let shown: Vec<String> = answers
        .iter()
        .map(|(a, n)| match a {
            Answer::Errno(0) => format!("ok {n}"),
            Answer::Errno(e) => format!("{} {n}", std::io::Error::from_raw_os_error(*e)),
            Answer::Silence => format!("no answer {n}"),
        })
        .collect();
    println!(
        "genl-fuzz: sent {} messages ({} mutated, {valid} valid), seed {}",
        args.count,
        args.count - valid,
        args.seed
    );
    println!("genl-fuzz: answers: {}", shown.join(", "));
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("genl-fuzz: {e}");
            ExitCode::FAILURE
        }
    }
}
