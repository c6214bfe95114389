// SPDX-License-Identifier: GPL-2.0-only

//! `lanactl monitor`: print the engine's events as the kernel multicasts
//! them, one line each, as they arrive.

use std::io::{self, Write};

use lana_uapi::{cmd, MCGRP_EVENTS};

use crate::{
    client::{self, Client},
    family_name, output,
    output::Format,
    wire::{self, LanaMsg, WireError},
    Error,
};

/// Printed on stderr once no later event can be missed: scripts wait for it
/// before changing the engine.
const READY: &str = "lanactl: monitoring events";

/// Joins the events group and prints events until `count` of them (forever
/// without it).
pub fn run(format: Format, count: Option<u64>) -> Result<(), Error> {
    let client = Client::connect(family_name())?;
    client.join(MCGRP_EVENTS.to_str().expect("the group name is ASCII"))?;
    eprintln!("{READY}");
    let printed = print_events(
        || client.receive(),
        format,
        count,
        &mut io::stdout().lock(),
        &mut io::stderr(),
    );
    match printed {
        // The reader went away (`lanactl monitor | head -1`): nothing is
        // left to do.
        Err(Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// The receive loop, apart from the socket so it can be tested: `receive`
/// returns the messages of one datagram. Each event is written to `out` and
/// flushed at once; problems that do not stop the loop (events lost to an
/// overrun, a message that cannot be decoded) are reported on `diag`.
fn print_events(
    mut receive: impl FnMut() -> Result<Vec<Result<LanaMsg, WireError>>, client::Error>,
    format: Format,
    count: Option<u64>,
    out: &mut impl Write,
    diag: &mut impl Write,
) -> Result<(), Error> {
    let mut left = count;
    while left != Some(0) {
        let messages = match receive() {
            Err(e @ client::Error::EventsLost) => {
                // Nothing sensible to do if stderr itself fails.
                let _ = writeln!(diag, "lanactl: monitor: {e}");
                continue;
            }
            other => other?,
        };
        for message in messages {
            let event = match message {
                Ok(msg) if *msg.cmd() != cmd::EVENT => continue,
                Ok(msg) => wire::parse_event(&msg),
                Err(e) => Err(e),
            };
            match event {
                Ok(event) => {
                    out.write_all(output::event(&event, format).as_bytes())
                        .and_then(|()| out.flush())
                        .map_err(Error::Output)?;
                    left = left.map(|n| n - 1);
                    if left == Some(0) {
                        break;
                    }
                }
                Err(e) => {
                    let _ = writeln!(diag, "lanactl: monitor: {e}");
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::{cell::Cell, collections::VecDeque, io::Cursor, rc::Rc};

    use lana_uapi::{attr, FAMILY_VERSION};
    use neli::FromBytesWithInput;

    use super::*;

    /// A genl message body with NUL-terminated string attributes.
    fn msg(cmd: u8, attrs: &[(u16, &str)]) -> LanaMsg {
        let mut bytes = vec![cmd, FAMILY_VERSION, 0, 0];
        for (ty, value) in attrs {
            let len = u16::try_from(4 + value.len() + 1).unwrap();
            bytes.extend_from_slice(&len.to_ne_bytes());
            bytes.extend_from_slice(&ty.to_ne_bytes());
            bytes.extend_from_slice(value.as_bytes());
            bytes.push(0);
            bytes.resize(bytes.len().next_multiple_of(4), 0);
        }
        LanaMsg::from_bytes_with_input(&mut Cursor::new(&bytes), bytes.len()).unwrap()
    }

    fn event(kind: &str, block: &str) -> Result<LanaMsg, WireError> {
        Ok(msg(
            cmd::EVENT,
            &[(attr::EVENT, kind), (attr::BLOCK_NAME, block)],
        ))
    }

    type Datagram = Result<Vec<Result<LanaMsg, WireError>>, client::Error>;

    /// Runs the loop over `datagrams`; running out of them ends it with an
    /// error, as a failing socket would. Returns the result, stdout, stderr
    /// and how many datagrams were left unread.
    fn run_over(
        datagrams: Vec<Datagram>,
        format: Format,
        count: Option<u64>,
    ) -> (Result<(), String>, String, String, usize) {
        let mut datagrams = VecDeque::from(datagrams);
        let (mut out, mut diag) = (Vec::new(), Vec::new());
        let result = print_events(
            || {
                datagrams
                    .pop_front()
                    .unwrap_or_else(|| Err(client::Error::Netlink("closed".into())))
            },
            format,
            count,
            &mut out,
            &mut diag,
        );
        (
            result.map_err(|e| e.to_string()),
            String::from_utf8(out).unwrap(),
            String::from_utf8(diag).unwrap(),
            datagrams.len(),
        )
    }

    #[test]
    fn count_stops_after_that_many_events() {
        let datagrams = vec![
            Ok(vec![event("add", "in0")]),
            // Not an event: not counted.
            Ok(vec![Ok(msg(cmd::LIST, &[(attr::BLOCK_NAME, "x")]))]),
            Ok(vec![
                event("add", "top"),
                event("bind", "top"),
                event("rm", "x"),
            ]),
            Ok(vec![event("never", "read")]),
        ];
        let (result, out, diag, left) = run_over(datagrams, Format::Text, Some(3));
        assert_eq!(result, Ok(()));
        assert_eq!(out, "add block=in0\nadd block=top\nbind block=top\n");
        assert_eq!(diag, "");
        assert_eq!(left, 1);
    }

    #[test]
    fn zero_count_reads_nothing() {
        let (result, out, _, left) =
            run_over(vec![Ok(vec![event("add", "in0")])], Format::Text, Some(0));
        assert_eq!(result, Ok(()));
        assert_eq!(out, "");
        assert_eq!(left, 1);
    }

    #[test]
    fn problems_are_reported_and_listening_goes_on() {
        let datagrams = vec![
            Err(client::Error::EventsLost),
            Ok(vec![
                Ok(msg(cmd::EVENT, &[(attr::EVENT, "add")])),
                Err(WireError::Encoding("truncated".into())),
            ]),
            Ok(vec![event("add", "in0")]),
        ];
        let (result, out, diag, _) = run_over(datagrams, Format::Json, None);
        // Without --count only a socket failure ends the loop.
        assert_eq!(result, Err("netlink: closed".into()));
        assert_eq!(
            out,
            concat!(
                r#"{"event":"add","block":"in0","peer":null,"dev":null}"#,
                "\n"
            )
        );
        assert_eq!(
            diag,
            "lanactl: monitor: events were lost (socket buffer overrun)\n\
             lanactl: monitor: malformed reply: event lacks BLOCK_NAME\n\
             lanactl: monitor: netlink encoding: truncated\n"
        );
    }

    /// A writer that tells, through a shared cell, how many bytes were
    /// written but not flushed yet.
    struct Pipe {
        unflushed: Rc<Cell<usize>>,
        lines: Vec<String>,
    }

    impl Write for Pipe {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.unflushed.set(self.unflushed.get() + buf.len());
            self.lines.push(String::from_utf8(buf.to_vec()).unwrap());
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            self.unflushed.set(0);
            Ok(())
        }
    }

    #[test]
    fn every_line_is_flushed_before_waiting_again() {
        let unflushed = Rc::new(Cell::new(0));
        let mut pipe = Pipe {
            unflushed: Rc::clone(&unflushed),
            lines: Vec::new(),
        };
        let mut datagrams = VecDeque::from(vec![
            Ok(vec![event("add", "in0")]),
            Ok(vec![event("bind", "top")]),
        ]);
        let mut unflushed_when_waiting = Vec::new();
        let result = print_events(
            || {
                unflushed_when_waiting.push(unflushed.get());
                datagrams
                    .pop_front()
                    .unwrap_or_else(|| Err(client::Error::Netlink("closed".into())))
            },
            Format::Text,
            None,
            &mut pipe,
            &mut io::sink(),
        );
        assert!(result.is_err());
        assert_eq!(pipe.lines, ["add block=in0\n", "bind block=top\n"]);
        assert_eq!(unflushed_when_waiting, [0, 0, 0]);
    }
}
