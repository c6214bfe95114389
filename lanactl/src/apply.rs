// SPDX-License-Identifier: GPL-2.0-only

//! `lanactl apply -f FILE` and `lanactl dump`: graph files in and out.

use std::{collections::HashSet, fmt::Write as _};

use lana_uapi::cmd;

use crate::{
    client::{self, Client},
    devices, family_name, filter,
    graphfile::{self, Graph},
    output::Format,
    plan::{self, Planned},
    running, vlink, wire, Error,
};

/// What `apply` was asked for besides the file.
pub struct Options<'a> {
    pub file: &'a str,
    pub dry_run: bool,
    pub expect_revision: Option<u32>,
}

/// The running graph as a graph file (or JSON).
pub fn dump(format: Format) -> Result<String, Error> {
    let client = Client::connect(family_name())?;
    let (graph, revision) = running::read(&client)?;
    let mut graph = running::without_defaults(&client, graph)?;
    graph.vlinks = devices::declared(&vlink::Rtnl::connect()?.links()?);
    Ok(match format {
        Format::Text => graphfile::render(
            &graph,
            &format!(
                "lanactl dump: the running graph at revision {revision}\n\
                 lanactl apply -f FILE makes a graph this one again"
            ),
        ),
        Format::Json => {
            let mut value = serde_json::json!({ "revision": revision });
            if let (Some(out), Ok(serde_json::Value::Object(graph))) =
                (value.as_object_mut(), serde_json::to_value(&graph))
            {
                out.extend(graph);
            }
            format!("{value}\n")
        }
    })
}

/// Reads the file, plans the changes from the running graph, and has the
/// kernel make them as one transaction (or only check them).
/// `-` is standard input.
pub fn apply(options: &Options<'_>) -> Result<String, Error> {
    let refused = |why: String| Error::Client(client::Error::Refused(why));
    let (file, text) = match options.file {
        "-" => ("<stdin>", std::io::read_to_string(std::io::stdin())),
        file => (file, std::fs::read_to_string(file)),
    };
    let text = text.map_err(|e| refused(format!("cannot read {file}: {e}")))?;
    // An empty file is an empty graph; empty standard input is more often a
    // pipe whose writer failed (`ssh r1 lanactl dump | lanactl apply -f -`)
    // than a wish to remove everything, which flush says.
    if options.file == "-" && text.trim().is_empty() {
        return Err(refused(
            "nothing on standard input: refusing to remove the whole graph (lanactl flush does)"
                .into(),
        ));
    }
    apply_text(file, &text, options.dry_run, options.expect_revision)
}

/// `lanactl flush`: applies an empty graph file, which removes every
/// block, binding, subscription and attachment, as one transaction, and
/// then every lana device.
pub fn flush() -> Result<String, Error> {
    apply_text("flush", "", false, None)
}

/// Applies graph file `text`, named `file` in messages (see [`Options`]).
fn apply_text(
    file: &str,
    text: &str,
    dry_run: bool,
    expect_revision: Option<u32>,
) -> Result<String, Error> {
    let refused = |why: String| Error::Client(client::Error::Refused(why));
    let at = |line: Option<usize>| match line {
        Some(line) => format!("{file}:{line}"),
        None => file.to_owned(),
    };
    let mut wanted =
        graphfile::parse(text).map_err(|e| refused(format!("{}: {}", at(e.line), e.why)))?;
    compile_filters(&mut wanted).map_err(|(line, e)| refused(format!("{}: {e}", at(line))))?;
    let client = Client::connect(family_name())?;
    let (running, revision) = running::read(&client)?;
    let planned = plan::plan(&running, &wanted);
    let rtnl = vlink::Rtnl::connect()?;
    let devices = devices::plan(&rtnl.links()?, &wanted)
        .map_err(|(line, why)| refused(format!("{}: {why}", at(line))))?;
    if planned.is_empty() && devices.len() == 0 && expect_revision.is_none() {
        return Ok(format!(
            "nothing to change: the graph is at revision {revision}\n"
        ));
    }
    let mut out: String = devices.before.iter().map(|c| format!("{c}\n")).collect();
    out.extend(planned.iter().map(|p| format!("{}\n", p.step)));
    out.extend(devices.after.iter().map(|c| format!("{c}\n")));
    let checked = if dry_run {
        checkable(&planned, &devices)
    } else {
        planned.clone()
    };
    let requests: Vec<wire::Request<'_>> = checked.iter().map(|p| p.step.request()).collect();
    // The kernel refuses the batch unless the graph is still the one it was
    // planned from, or the one the user expects (then the plan is moot).
    let expect = expect_revision.unwrap_or(revision);
    let attrs = wire::batch_attrs(&requests, Some(expect), dry_run)?;
    let mut made = if dry_run {
        None
    } else {
        Some(devices.make_before(&rtnl)?)
    };
    let reply = client.query(cmd::APPLY, attrs).map_err(|e| {
        let stayed = made.as_mut().and_then(devices::Made::undo);
        match (at_fault(e, &checked, &at), stayed) {
            (e, Some(stayed)) => refused(format!("{e}; {stayed}")),
            (e, None) => e,
        }
    })?;
    let now = wire::parse_revision(&reply)?;
    if !dry_run {
        // The graph is applied: say what was done before what was not.
        devices.make_after(&rtnl).map_err(|e| {
            refused(format!(
                "{out}applied, the graph is at revision {now}, but a lana device it no longer \
                 names stays: {e}"
            ))
        })?;
    }
    let n = planned.len() + devices.len();
    if n == 0 {
        return Ok(format!(
            "nothing to change: the graph is at revision {now}\n"
        ));
    }
    let changes = if n == 1 { "change" } else { "changes" };
    let skipped = planned.len() - checked.len();
    if skipped > 0 {
        let _ = writeln!(
            out,
            "dry run: {skipped} change(s) needing lana devices the file adds are checked when applied"
        );
    }
    out.push_str(&if dry_run {
        format!("dry run: the kernel accepts these {n} {changes} at revision {now}; none made\n")
    } else {
        format!("applied {n} {changes}: the graph is at revision {now}\n")
    });
    Ok(out)
}

/// The changes of `planned` a dry run can have the kernel check. It creates
/// no device, so the kernel would refuse what needs one the file adds: an
/// attachment to it, a block that transmits on it (`dev=`), and what binds,
/// subscribes or attaches such a block; those are left out (and said so).
fn checkable(planned: &[Planned], devices: &devices::Plan) -> Vec<Planned> {
    let needs_device = |options: &[String]| {
        options.iter().any(|o| {
            o.strip_prefix("dev=")
                .is_some_and(|dev| devices.creates(dev))
        })
    };
    let mut left_out: HashSet<&str> = HashSet::new();
    let mut checked = Vec::with_capacity(planned.len());
    for p in planned {
        let skip = match &p.step {
            plan::Step::Attach { dev, block, .. } => {
                devices.creates(dev) || left_out.contains(block.as_str())
            }
            plan::Step::Add { name, options, .. } => {
                needs_device(options) && left_out.insert(name.as_str())
            }
            plan::Step::Set { options, .. } => needs_device(options),
            plan::Step::Bind { upper, lower, .. } => {
                left_out.contains(upper.as_str()) || left_out.contains(lower.as_str())
            }
            plan::Step::Subscribe { block, to } => {
                left_out.contains(block.as_str()) || left_out.contains(to.as_str())
            }
            _ => false,
        };
        if !skip {
            checked.push(p.clone());
        }
    }
    checked
}

/// A refusal of the batch, pointing at the line that asked for the change
/// at fault (or saying it undoes something only the running graph has).
fn at_fault(e: client::Error, planned: &[Planned], at: &dyn Fn(Option<usize>) -> String) -> Error {
    let client::Error::InBatch { index, cause } = e else {
        return Error::Client(e);
    };
    let Some(p) = usize::try_from(index).ok().and_then(|i| planned.get(i)) else {
        return Error::Client(*cause);
    };
    let place = match p.line {
        Some(_) => at(p.line),
        None => format!("{} (not in the file)", at(None)),
    };
    Error::Client(client::Error::Refused(format!(
        "{place}: {}: {cause}",
        p.step
    )))
}

/// Compiles the `filter` settings of the file's blocks, as `lanactl set`
/// does, so they compare with the running blocks' settings.
fn compile_filters(graph: &mut Graph) -> Result<(), (Option<usize>, filter::FilterError)> {
    for block in &mut graph.blocks {
        let options: Vec<String> = block
            .config
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let expanded = filter::expand(&options).map_err(|e| (block.line.0, e))?;
        block.config = expanded
            .iter()
            .filter_map(|o| o.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use plan::Step;

    fn planned(step: Step) -> Planned {
        Planned { step, line: None }
    }

    #[test]
    fn a_dry_run_leaves_out_what_needs_a_device_the_file_adds() {
        let devices = devices::Plan {
            before: vec![devices::Change::Add {
                name: "alv3".into(),
                mtu: None,
            }],
            after: Vec::new(),
        };
        let s = |v: &str| v.to_owned();
        let steps = vec![
            Step::Add {
                name: s("lx"),
                kind: s("xmit"),
                options: vec![s("dev=alv3")],
            },
            Step::Add {
                name: s("ly"),
                kind: s("xmit"),
                options: vec![s("dev=eth0")],
            },
            Step::Bind {
                upper: s("la"),
                lower: s("lx"),
                port: None,
            },
            Step::Bind {
                upper: s("la"),
                lower: s("ly"),
                port: None,
            },
            Step::Subscribe {
                block: s("lx"),
                to: s("la"),
            },
            Step::Set {
                name: s("lz"),
                options: vec![s("dev=alv3")],
            },
            Step::Attach {
                dev: s("alv3"),
                block: s("la"),
                tag: None,
            },
            Step::Attach {
                dev: s("eth0"),
                block: s("lx"),
                tag: None,
            },
            Step::Attach {
                dev: s("eth0"),
                block: s("ly"),
                tag: None,
            },
        ];
        let all: Vec<Planned> = steps.into_iter().map(planned).collect();
        let checked: Vec<String> = checkable(&all, &devices)
            .iter()
            .map(|p| p.step.to_string())
            .collect();
        assert_eq!(
            checked,
            ["add ly xmit dev=eth0", "bind la ly", "attach eth0 ly"]
        );
    }
}
