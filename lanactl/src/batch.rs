// SPDX-License-Identifier: GPL-2.0-only

//! `lanactl batch FILE`: many commands, one process (like `ip -batch`).

use std::io::{self, BufRead, Write};

use clap::Parser;

use crate::{cli::Cli, cli::Command, Error};

/// The words of one batch line, or `None` for a line to skip.
pub fn words(line: &str) -> Option<Result<Vec<String>, String>> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    Some(shlex::split(line).ok_or_else(|| "unbalanced quotes".to_owned()))
}

/// Runs every command of `file`; see `lanactl help batch`.
/// With `json`, every command prints JSON (`lanactl --json batch`).
pub fn run(
    file: &str,
    force: bool,
    json: bool,
    run_one: impl Fn(&Cli) -> Result<(), Error>,
) -> Result<(), Error> {
    let reader: Box<dyn BufRead> = if file == "-" {
        Box::new(io::stdin().lock())
    } else {
        let opened = std::fs::File::open(file).map_err(|e| {
            Error::Client(crate::client::Error::Refused(format!(
                "cannot read {file}: {e}"
            )))
        })?;
        Box::new(io::BufReader::new(opened))
    };
    let (mut failed, mut ran) = (0usize, 0usize);
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(Error::Output)?;
        let Some(parsed) = words(&line) else {
            continue;
        };
        ran += 1;
        let outcome = parsed.and_then(|words| {
            let json = json.then(|| "--json".to_owned());
            let argv = ["lanactl".to_owned()].into_iter().chain(json).chain(words);
            let cli = Cli::try_parse_from(argv)
                .map_err(|e| e.render().to_string().trim_end().to_owned())?;
            if matches!(cli.command, Command::Batch { .. }) {
                return Err("a batch cannot run another batch".to_owned());
            }
            run_one(&cli).map_err(|e| e.to_string())
        });
        if let Err(why) = outcome {
            failed += 1;
            let _ = io::stdout().flush();
            eprintln!("lanactl: batch: {file}:{}: {}: {why}", n + 1, line.trim());
            if !force {
                return Err(Error::Client(crate::client::Error::Refused(format!(
                    "stopped at line {} (--force goes on)",
                    n + 1
                ))));
            }
        }
    }
    if failed > 0 {
        return Err(Error::Client(crate::client::Error::Refused(format!(
            "{failed} of {ran} commands failed"
        ))));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_like_a_shell_and_comments_are_skipped() {
        assert_eq!(words("  "), None);
        assert_eq!(words("# add x counter"), None);
        assert_eq!(
            words("add f bpf 'filter=udp port 53'"),
            Some(Ok(vec![
                "add".into(),
                "f".into(),
                "bpf".into(),
                "filter=udp port 53".into()
            ]))
        );
        assert_eq!(words("add 'x"), Some(Err("unbalanced quotes".into())));
    }
}
