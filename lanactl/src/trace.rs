// SPDX-License-Identifier: GPL-2.0-only

//! `lanactl trace DEV --count N`: the next N packets entering DEV, each with
//! the blocks it visited and how its path ended.

use std::io::{self, Write};

use lana_uapi::cmd;
use serde_json::json;

use crate::client::{self, Client};
use crate::output::Format;
use crate::wire::{self, Request, TraceRecord};
use crate::{family_name, Error};

/// Printed on standard error once the trace is armed.
pub const READY: &str = "lanactl: tracing";

pub fn run(dev: &str, count: u32, format: Format) -> Result<(), Error> {
    let client = Client::connect(family_name())?;
    client.request(cmd::TRACE, Request::Trace { dev, count }.attrs()?)?;
    eprintln!("{READY} {dev}");
    let printed = print_records(|| client.receive(), count, format, &mut io::stdout().lock());
    // Disarm whatever happened; a refusal here changes nothing for the user.
    let stop = Request::Trace { dev, count: 0 }.attrs()?;
    let _ = client.request(cmd::TRACE, stop);
    match printed {
        Err(Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Reads records until `count` of them are printed.
fn print_records(
    mut receive: impl FnMut() -> Result<Vec<Result<wire::LanaMsg, wire::WireError>>, client::Error>,
    count: u32,
    format: Format,
    out: &mut impl Write,
) -> Result<(), Error> {
    let mut seen = 0;
    while seen < count {
        for message in receive()? {
            let message = message?;
            if *message.cmd() != cmd::TRACE {
                continue;
            }
            seen += 1;
            let record = wire::parse_trace(&message)?;
            out.write_all(line(seen, &record, format).as_bytes())
                .and_then(|()| out.flush())
                .map_err(Error::Output)?;
            if seen == count {
                break;
            }
        }
    }
    Ok(())
}

/// One packet: `N  a -> b -> c  verdict`, or a JSON object.
fn line(n: u32, record: &TraceRecord, format: Format) -> String {
    match format {
        Format::Text => {
            let path = if record.path.is_empty() {
                "-".to_owned()
            } else {
                record.path.join(" -> ")
            };
            format!("{n}  {path}  {}\n", record.verdict)
        }
        Format::Json => {
            let value = json!({ "packet": n, "path": record.path, "verdict": record.verdict });
            format!("{value}\n")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(path: &[&str], verdict: &str) -> TraceRecord {
        TraceRecord {
            path: path.iter().map(|s| s.to_string()).collect(),
            verdict: verdict.into(),
        }
    }

    #[test]
    fn lines_show_the_path_and_the_verdict() {
        let r = record(&["e", "f", "c"], "drop_filtered");
        assert_eq!(line(1, &r, Format::Text), "1  e -> f -> c  drop_filtered\n");
        assert_eq!(
            line(2, &r, Format::Json),
            "{\"packet\":2,\"path\":[\"e\",\"f\",\"c\"],\"verdict\":\"drop_filtered\"}\n"
        );
        assert_eq!(
            line(3, &record(&[], "drop_no_entry"), Format::Text),
            "3  -  drop_no_entry\n"
        );
    }
}
