// SPDX-License-Identifier: GPL-2.0-only

//! lanactl: the command-line control of the lana-rs engine.

mod apply;
mod batch;
mod cli;
mod client;
mod devices;
mod dot;
mod filter;
mod graphfile;
mod manpages;
mod monitor;
mod output;
mod plan;
mod running;
mod suggest;
mod trace;
mod vlink;
mod wire;

use std::{fmt, io, process::ExitCode};

use clap::{CommandFactory, FromArgMatches};
use lana_uapi::{cmd, FAMILY_NAME};

use crate::{
    cli::{Cli, Command, VlinkCommand},
    client::Client,
    output::Format,
    wire::{LanaMsg, Request, WireError},
};

pub(crate) enum Error {
    Wire(WireError),
    Filter(filter::FilterError),
    Client(client::Error),
    /// Writing the output failed.
    Output(io::Error),
}

impl From<filter::FilterError> for Error {
    fn from(e: filter::FilterError) -> Self {
        Error::Filter(e)
    }
}

impl From<WireError> for Error {
    fn from(e: WireError) -> Self {
        Error::Wire(e)
    }
}

impl From<client::Error> for Error {
    fn from(e: client::Error) -> Self {
        Error::Client(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Filter(e) => e.fmt(f),
            Error::Wire(e) => e.fmt(f),
            Error::Client(e) => e.fmt(f),
            Error::Output(e) => write!(f, "cannot write the output: {e}"),
        }
    }
}

fn main() -> ExitCode {
    // Parsed through ArgMatches so error messages can name the subcommand
    // exactly as the user typed it.
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let name = matches.subcommand_name().unwrap_or_default();
    match run(&cli).map_err(with_suggestion) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ Error::Client(client::Error::FamilyNotFound(_))) => {
            eprintln!("lanactl: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("lanactl: {name}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<(), Error> {
    let format = if cli.json { Format::Json } else { Format::Text };
    let text = match &cli.command {
        Command::Add {
            name,
            kind,
            options,
        } => {
            return execute(Request::Add {
                name,
                kind,
                options: &filter::expand(options)?,
            })
        }
        Command::Set { name, options } => {
            return execute(Request::Set {
                name,
                options: &filter::expand(options)?,
            })
        }
        Command::Reset { name } => return execute(Request::Reset { name }),
        Command::Rm { name, cascade } => {
            return execute(Request::Rm {
                name,
                cascade: *cascade,
            })
        }
        Command::Bind { upper, lower, port } => {
            return execute(Request::Bind {
                upper,
                lower,
                port: port.as_deref(),
            })
        }
        Command::Unbind {
            upper,
            lower,
            port,
            force,
        } => {
            return execute(Request::Unbind {
                upper,
                lower,
                port: port.as_deref(),
                force: *force,
            })
        }
        Command::Attach { dev, block, tag } => {
            return execute(Request::Attach {
                dev,
                block,
                tag: tag.text().as_deref(),
            })
        }
        Command::Detach { dev, tag } => {
            return execute(Request::Detach {
                dev,
                tag: tag.text().as_deref(),
            })
        }
        Command::Vlink(VlinkCommand::Add { name, mtu }) => {
            return Ok(vlink::Rtnl::connect()?.add(name, *mtu)?)
        }
        Command::Vlink(VlinkCommand::Del { name }) => return Ok(vlink::Rtnl::connect()?.del(name)?),
        Command::Subscribe { block, target } => {
            return execute(Request::Subscribe { block, target })
        }
        Command::Unsubscribe { block, target } => {
            return execute(Request::Unsubscribe { block, target })
        }
        Command::Monitor { count } => return monitor::run(format, *count),
        Command::Trace { dev, count } => return trace::run(dev, *count, format),
        Command::Replace {
            old,
            new,
            drop_state,
        } => {
            return execute(Request::Replace {
                old,
                new,
                drop_state: *drop_state,
            })
        }
        Command::Apply {
            file,
            dry_run,
            expect_revision,
        } => apply::apply(&apply::Options {
            file,
            dry_run: *dry_run,
            expect_revision: *expect_revision,
        })?,
        Command::Dump => apply::dump(format)?,
        Command::Flush => apply::flush()?,
        Command::Batch { file, force } => {
            return batch::run(file, *force, cli.json, |cli| {
                run(cli).map_err(with_suggestion)
            })
        }
        Command::List => output::blocks(&dump(cmd::LIST, wire::parse_block)?, format),
        Command::Dot => dot::render(&dot_snapshot()?),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "lanactl", &mut out);
            String::from_utf8_lossy(&out).into_owned()
        }
        Command::Man { dir: None } => {
            String::from_utf8_lossy(&manpages::main_page().map_err(Error::Output)?).into_owned()
        }
        Command::Man { dir: Some(dir) } => {
            let written = manpages::write_all(dir).map_err(Error::Output)?;
            written
                .iter()
                .map(|p| format!("{}\n", p.display()))
                .collect()
        }
        Command::Types => {
            let mut types = dump(cmd::TYPES, wire::parse_type)?;
            // The kernel lists them in its packet path's order.
            types.sort_by(|a, b| a.name.cmp(&b.name));
            output::types(&types, format)
        }
        Command::Attachments => {
            output::attachments(&dump(cmd::ATTACHMENTS, wire::parse_attachment)?, format)
        }
        Command::Stats {
            name,
            per_cpu,
            engine,
        } => {
            let reply = query(Request::Stats {
                block: name.as_deref(),
                per_cpu: *per_cpu || *engine,
            })?;
            output::stats(&wire::parse_stats(&reply)?, format)
        }
        Command::Show { name } => {
            let reply = query(Request::Show { name })?;
            output::show(&wire::parse_show(&reply)?, format)
        }
        Command::Get { name } => {
            let reply = query(Request::Get { name })?;
            output::config(&wire::parse_get(&reply)?, format)
        }
    };
    print!("{text}");
    Ok(())
}

/// A refusal of a name the kernel does not know, with the closest name that
/// exists: "no block 'cnt1'; did you mean 'cnt0'?".
fn with_suggestion(e: Error) -> Error {
    let Error::Client(client::Error::Kernel {
        errno,
        extack: Some(msg),
    }) = &e
    else {
        return e;
    };
    let Some((kind, wrong)) = suggest::unknown_name(msg) else {
        return e;
    };
    // Best effort: without the list there is simply no suggestion.
    let names: Vec<String> = match kind {
        suggest::Unknown::Block => dump(cmd::LIST, wire::parse_block)
            .map(|b| b.into_iter().map(|b| b.name).collect())
            .unwrap_or_default(),
        suggest::Unknown::Type => dump(cmd::TYPES, wire::parse_type)
            .map(|t| t.into_iter().map(|t| t.name).collect())
            .unwrap_or_default(),
        suggest::Unknown::Device => std::fs::read_dir("/sys/class/net")
            .map(|dir| {
                dir.filter_map(|d| d.ok()?.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default(),
    };
    match suggest::closest(wrong, names.iter().map(String::as_str)) {
        Some(name) => Error::Client(client::Error::Kernel {
            errno: *errno,
            extack: Some(format!("{msg}; did you mean '{name}'?")),
        }),
        None => e,
    }
}

/// The graph with every block's statistics and ports, for `dot`.
fn dot_snapshot() -> Result<dot::Snapshot, Error> {
    let client = Client::connect(family_name())?;
    let attachments = client
        .dump(cmd::ATTACHMENTS)?
        .iter()
        .map(wire::parse_attachment)
        .collect::<Result<_, _>>()?;
    let blocks = running::details(&client)?
        .into_iter()
        .map(|detail| dot::BlockView {
            stats: wire::Stats {
                block: Some(detail.block.name.clone()),
                entries: detail.stats,
            },
            block: detail.block,
            ports: detail.ports,
        })
        .collect();
    Ok(dot::Snapshot {
        blocks,
        attachments,
    })
}

/// Sends a mutating request and waits for the kernel's verdict.
fn execute(request: Request<'_>) -> Result<(), Error> {
    // Names are validated before the module is even looked up.
    let attrs = request.attrs()?;
    Client::connect(family_name())?.request(request.cmd(), attrs)?;
    Ok(())
}

/// Sends a request answered by exactly one reply.
fn query(request: Request<'_>) -> Result<LanaMsg, Error> {
    let attrs = request.attrs()?;
    Ok(Client::connect(family_name())?.query(request.cmd(), attrs)?)
}

fn dump<T>(cmd: u8, parse: fn(&LanaMsg) -> Result<T, WireError>) -> Result<Vec<T>, Error> {
    let messages = Client::connect(family_name())?.dump(cmd)?;
    Ok(messages.iter().map(parse).collect::<Result<_, _>>()?)
}

/// The family name from the shared interface definition.
pub(crate) fn family_name() -> &'static str {
    FAMILY_NAME.to_str().expect("the family name is ASCII")
}
