// SPDX-License-Identifier: GPL-2.0-only

//! The command line.

use clap::{Parser, Subcommand};
use lana_uapi::{NAME_MAX, OPTION_MAX};

/// The help of a block or port name: `what`, and the kernel's limit.
fn name_help(what: &str) -> String {
    format!("{what} (at most {NAME_MAX} bytes).")
}

/// The help of a `KEY=VALUE` option whose key is `key`.
fn option_help(key: &str) -> String {
    format!("Configuration option: {key} and its value (at most {OPTION_MAX} bytes in all).")
}

/// Control the lana-rs packet-processing engine.
///
/// lana-rs runs packet-processing blocks inside the kernel. Blocks are created
/// from block types, bound into a graph and fed by attaching network devices
/// to them. Packets received on a real device travel upward (ingress), from a
/// lower block to its upper block; packets the host sends through a lana
/// device (`ip link add lana0 type lana`) travel downward (egress). lanactl
/// talks to the lana module over generic netlink and needs CAP_NET_ADMIN for
/// commands that change the engine.
#[derive(Debug, Parser)]
#[command(
    version,
    after_long_help = "\
Example: build a two-block graph fed by veth0
  lanactl add in0 counter
  lanactl add top counter
  lanactl bind top in0
  lanactl attach veth0 in0
  lanactl stats in0
  lanactl show in0

Example: configure a block
  lanactl types
  lanactl add d1 drop reason=acl
  lanactl set d1 reason=policy
  lanactl get d1

Exit status: 0 success, 1 the kernel refused (its reason is printed) or the
module is not loaded, 2 usage error."
)]
pub struct Cli {
    /// Print list, types, attachments, show, get, stats, dump, monitor
    /// events and trace records as JSON.
    #[arg(short, long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a block.
    #[command(
        long_about = "Create a block named NAME of block type TYPE, configured \
                      with the KEY=VALUE options given, in order; keys not \
                      given keep their defaults. `lanactl types` lists the \
                      available types with their keys, the values each key \
                      takes and its default. The kernel checks every option \
                      before creating the block: if one is refused, no block \
                      is created and the kernel's reason is printed.",
        after_long_help = "Example:\n  lanactl add in0 counter\n  lanactl add d1 drop reason=acl"
    )]
    Add {
        /// Name of the new block.
        #[arg(help = name_help("Name of the new block"))]
        name: String,
        /// Block type to instantiate.
        #[arg(value_name = "TYPE")]
        kind: String,
        /// Configuration option: a key of TYPE and its value.
        #[arg(value_name = "KEY=VALUE", help = option_help("a key of TYPE"))]
        options: Vec<String>,
    },

    /// Change a block's configuration.
    #[command(
        long_about = "Set each KEY of block NAME to its VALUE, in order. All \
                      or nothing: if the kernel refuses one option (a key the \
                      block's type does not have, a value outside the key's \
                      syntax) it applies none and prints why. `lanactl types` \
                      lists each type's keys; `lanactl get` shows the result.",
        after_long_help = "Example:\n  lanactl set d1 reason=policy"
    )]
    Set {
        /// Block to configure.
        name: String,
        /// Configuration option: a key of the block's type and its value.
        #[arg(
            value_name = "KEY=VALUE",
            required = true,
            help = option_help("a key of the block's type")
        )]
        options: Vec<String>,
    },

    /// Show a block's configuration.
    #[command(
        long_about = "Show the configuration of block NAME: one \"key=value\" \
                      line per key of its type, set or default, in the \
                      kernel's order; nothing for a block whose type has no \
                      keys. With --json, an object {\"block\": NAME, \
                      \"config\": {key: value, ...}}.",
        after_long_help = "Example:\n  lanactl get d1\n  lanactl --json get d1"
    )]
    Get {
        /// Block whose configuration to show.
        name: String,
    },

    /// Set a block's counters to zero.
    #[command(
        long_about = "Reset the counters of block NAME: its own, if its type \
                      keeps any, and the engine's walk counts; its statistics \
                      read zero from now on. The packet path is not \
                      disturbed.",
        after_long_help = "Example:\n  lanactl reset c1"
    )]
    Reset {
        /// Block whose counters to reset.
        name: String,
    },

    /// Remove a block.
    #[command(
        long_about = "Remove the block NAME. Without --cascade the kernel \
                      refuses while the block is in use — a device is attached \
                      to it, it is bound above or below another block, or \
                      another block is subscribed to it — and names what uses \
                      it. With --cascade the kernel first detaches the devices \
                      attached to NAME, unbinds it from the blocks above and \
                      below it (ports included) and unsubscribes its \
                      subscribers, then removes it, all in one change: \
                      packets see the graph before or after, and if any step \
                      fails nothing changes. Each step is announced as an \
                      event.",
        after_long_help = "Example:\n  lanactl rm in0\n  lanactl rm in0 --cascade"
    )]
    Rm {
        /// Name of the block to remove.
        name: String,
        /// Detach, unbind and unsubscribe whatever uses NAME, then remove it.
        #[arg(long)]
        cascade: bool,
    },

    /// Put one block above another, or behind one of its output ports.
    #[command(
        long_about = "Bind UPPER above LOWER: packets that LOWER passes up \
                      (those received from a device travel upward) reach UPPER. \
                      With --port, instead of putting UPPER above LOWER, UPPER \
                      receives what leaves LOWER's output port PORT (a tee's \
                      copies leave its port `clone`). `lanactl show LOWER` \
                      lists where its ports lead.",
        after_long_help = "Example:\n  lanactl bind top in0\n  lanactl bind --port clone mirror t1"
    )]
    Bind {
        /// Block that receives what LOWER passes up (or what leaves PORT).
        upper: String,
        /// Block that passes packets up to UPPER (or whose PORT leads to it).
        lower: String,
        /// Output port of LOWER whose packets UPPER receives.
        #[arg(
            long,
            value_name = "PORT",
            help = name_help("Output port of LOWER whose packets UPPER receives")
        )]
        port: Option<String>,
    },

    /// Undo a bind.
    #[command(
        long_about = "Remove the binding of UPPER above LOWER. Without --force \
                      the kernel refuses to cut a binding that carries an \
                      attached device's traffic (a device attached to LOWER or \
                      to a block below it) and names the device; with --force \
                      it cuts the binding anyway, and that traffic stops at \
                      LOWER. With --port, undo `lanactl bind --port PORT UPPER \
                      LOWER`: LOWER's output port PORT no longer leads to \
                      UPPER; --force is irrelevant there.",
        after_long_help = "Example:\n  lanactl unbind top in0\n  lanactl unbind top in0 --force\n  lanactl unbind --port clone mirror t1"
    )]
    Unbind {
        /// Upper block of the binding.
        upper: String,
        /// Lower block of the binding.
        lower: String,
        /// Output port of LOWER bound to UPPER.
        #[arg(
            long,
            value_name = "PORT",
            help = name_help("Output port of LOWER bound to UPPER")
        )]
        port: Option<String>,
        /// Cut the binding even though an attached device's packets cross it.
        #[arg(long)]
        force: bool,
    },

    /// Make a device a graph endpoint at a block.
    #[command(
        long_about = "Attach the network device DEV to BLOCK. A real device \
                      sits below the graph: every packet DEV receives enters \
                      at BLOCK going up, and egress packets that pass below \
                      BLOCK with nothing bound there are transmitted on DEV. \
                      A lana device (ip link add NAME type lana) sits above \
                      it: every packet the host sends through DEV enters at \
                      BLOCK going down, and ingress packets that pass above \
                      BLOCK with nothing bound there are received on DEV. A \
                      lana device has carrier only while attached. With \
                      --vlan or --ethertype, a real device can be attached \
                      several times, once per tag: each attachment takes the \
                      frames carrying its tag (an 802.1Q VLAN id, or an \
                      EtherType) and gives its tag to the frames it sends; \
                      frames with no attachment's tag go on to the Linux \
                      stack untouched (counted as to_stack_no_tag).",
        after_long_help = "Example:\n  lanactl attach veth0 in0\n  \
                           ip link add lana0 type lana\n  lanactl attach lana0 top\n  \
                           lanactl attach veth1 red --vlan 10\n  \
                           lanactl attach veth1 blue --ethertype 0x88b5"
    )]
    Attach {
        /// Network device name.
        dev: String,
        /// Block that receives the device's packets.
        block: String,
        #[command(flatten)]
        tag: TagArgs,
    },

    /// Create or delete lana devices.
    #[command(
        subcommand,
        long_about = "Create or delete lana devices: network devices that are \
                      endpoints at the top of the graph (the same as ip link \
                      add NAME type lana and ip link del NAME). Attach one to \
                      a block with lanactl attach; sockets on it then send \
                      into the graph and receive what leaves its top.",
        after_long_help = "Example:\n  lanactl vlink add lana0\n  \
                           lanactl vlink add lana1 --mtu 1400\n  \
                           lanactl attach lana0 top\n  lanactl vlink del lana0"
    )]
    Vlink(VlinkCommand),

    /// Stop feeding a device's packets to the graph.
    #[command(
        long_about = "Detach the network device DEV: its packets take the \
                      normal kernel path again. With --vlan or --ethertype, \
                      only the attachment with that tag; without, every \
                      attachment of DEV.",
        after_long_help = "Example:\n  lanactl detach veth0\n  lanactl detach veth1 --vlan 10"
    )]
    Detach {
        /// Network device name.
        dev: String,
        #[command(flatten)]
        tag: TagArgs,
    },

    /// Run lanactl commands from a file, one per line.
    #[command(
        long_about = "Run the lanactl commands in FILE (- for standard \
                      input), one per line, written as on the command line \
                      without the word lanactl (shell quoting applies; blank \
                      lines and lines starting with # are skipped), like ip \
                      -batch. Each command is sent on its own, so each is \
                      applied or refused alone; the first refusal stops the \
                      batch (exit status 1) unless --force, which runs every \
                      line and exits 1 at the end if any failed. Errors name \
                      the file's line. To change a graph all at once or not \
                      at all, use apply -f instead.",
        after_long_help = "Example:\n  printf 'add c0 counter\\nadd f0 forward\\nbind f0 c0\\n' | lanactl batch -\n  \
                           lanactl batch --force ops.txt"
    )]
    Batch {
        /// The file of commands, or - for standard input.
        file: String,
        /// Go on after a failed command.
        #[arg(long)]
        force: bool,
    },

    /// Print a shell completion script.
    #[command(
        long_about = "Print the completion script for SHELL on standard \
                      output (make lanactl also writes them to \
                      out/completions/).",
        after_long_help = "Example:\n  lanactl completions bash > /etc/bash_completion.d/lanactl\n  \
                           lanactl completions zsh > ~/.zfunc/_lanactl"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },

    /// Print the manual page lanactl(8), or write every page into a directory.
    #[command(
        long_about = "Print the manual page lanactl(8) in roff on standard \
                      output; with DIR, write it, one page per subcommand \
                      (lanactl-add.8, ...) and lana-graph.5 (the graph file's \
                      format) into DIR instead, and print their names: for \
                      packagers, whose man pages are usually installed \
                      already.",
        after_long_help = "Examples:\n  lanactl man | man -l -\n  lanactl man /tmp/pages && man -l /tmp/pages/lanactl-bind.8"
    )]
    Man {
        /// Write every page into this existing directory.
        dir: Option<std::path::PathBuf>,
    },

    /// Follow the next packets entering a device through the graph.
    #[command(
        long_about = "Trace the next COUNT packets entering device DEV (frames \
                      a real device receives, packets the host sends through \
                      a lana device): for each, print the blocks it visited, \
                      in order, and the engine counter its path ended in \
                      (as lanactl stats names it: drop_filtered, to_stack, \
                      transmitted, delivered, drop_no_next...). Waits for the \
                      packets; the trace stops when COUNT have been printed \
                      or lanactl ends. Costs the packet path nothing while no \
                      trace is armed (a static branch). With --json, one \
                      object per packet and line.",
        after_long_help = "Example:\n  lanactl trace veth0 --count 3\n  \
                           1  e -> f -> c  drop_no_next\n  \
                           2  e -> f  drop_filtered"
    )]
    Trace {
        /// Attached device whose packets to follow.
        dev: String,
        /// How many packets.
        #[arg(short, long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
        count: u32,
    },

    /// Draw the graph as Graphviz DOT, with live counters.
    #[command(
        long_about = "Print the graph in Graphviz DOT: blocks as boxes with \
                      their type and counters (and the packets they dropped), \
                      bindings as edges from the lower block to the upper one \
                      labelled with the packets that crossed them going up \
                      and going down, output ports as dashed edges, attached \
                      devices as ellipses with the packets that entered from \
                      them. Edge counts come from where each packet's walk \
                      started and ended (the walk_* counters of lanactl \
                      stats BLOCK); in a cycle they are shown as \"?\". Render \
                      with Graphviz: lanactl dot | dot -Tsvg > graph.svg",
        after_long_help = "Example:\n  lanactl dot > graph.dot\n  \
                           lanactl dot | dot -Tpng > graph.png"
    )]
    Dot,

    /// Make the graph the one a graph file describes, as one transaction.
    #[command(
        long_about = "Read the graph file FILE (TOML: [[vlink]] tables with \
                      name and optionally mtu; [[block]] tables with \
                      name, type and an optional [block.config] of settings; \
                      [[bind]] with upper, lower and optionally port; \
                      [[subscribe]] with block and to; [[attach]] with dev, \
                      block and optionally vlan or ethertype; see \
                      lana-graph(5)), compare it with the running graph and \
                      print the changes that make the two the same, as \
                      lanactl commands: what the file does not name is \
                      removed. The kernel then checks them all and \
                      publishes them at once, or makes none: a refusal names \
                      the file's line and the change at fault. Lana devices \
                      the file adds are created before (vlink add) and \
                      deleted again if the kernel refuses; those it no \
                      longer names are deleted after (vlink del). Settings the \
                      file leaves out keep their current value. Applying a \
                      dump of the running graph changes nothing. Every graph \
                      has a revision, one more with every change; the batch \
                      is refused if the graph changed after it was planned, \
                      and --expect-revision N refuses to apply unless the \
                      graph is at revision N (lanactl dump prints it).",
        after_long_help = "Example:\n  lanactl dump > graph.toml\n  \
                           $EDITOR graph.toml\n  \
                           lanactl apply -f graph.toml --dry-run\n  \
                           lanactl apply -f graph.toml --expect-revision 7\n  \
                           ssh router lanactl dump | lanactl apply -f -\n\n\
                           See lana-graph(5) for the file format."
    )]
    Apply {
        /// The graph file (lana-graph(5)); - reads standard input, which must not be empty. An empty file removes the whole graph.
        #[arg(short, long, value_name = "FILE")]
        file: String,
        /// Print the changes and have the kernel check them; make none. What needs a lana device the file adds (an attachment to it, a block with dev= naming it) is checked only when applied.
        #[arg(long)]
        dry_run: bool,
        /// Refuse unless the running graph is at this revision.
        #[arg(long, value_name = "N")]
        expect_revision: Option<u32>,
    },

    /// Remove the whole graph, as one transaction, and the lana devices.
    #[command(
        long_about = "Remove every block, binding, subscription and device \
                      attachment of this network namespace's graph as one \
                      transaction, then every lana device: lanactl apply -f \
                      of an empty file.",
        after_long_help = "Example:\n  lanactl flush\n  lanactl list"
    )]
    Flush,

    /// Print the running graph as a graph file.
    #[command(
        long_about = "Print the running graph as a graph file (see apply), \
                      headed by a comment with its revision: every block with \
                      its type and the settings that differ from the type's \
                      defaults, every binding, subscription and device \
                      attachment, and the lana devices (with their MTU when \
                      not 1500). lanactl apply -f of the output makes a \
                      graph the same again, after a module reload too. With \
                      --json, one object: revision, and vlink, block, bind, \
                      subscribe and attach arrays with the file's fields.",
        after_long_help = "Example:\n  lanactl dump > graph.toml\n  \
                           rmmod lana; insmod lana.ko\n  \
                           lanactl apply -f graph.toml"
    )]
    Dump,

    /// List the blocks.
    #[command(
        long_about = "List every block as a table of id, name, type and the \
                      blocks bound above (upper) and below (lower) it; \
                      \"-\" marks none.",
        after_long_help = "Example:\n  lanactl list\n  lanactl --json list"
    )]
    List,

    /// List the block types.
    #[command(
        long_about = "List the block types the module provides, one \
                      \"name  description\" line each, followed by one \
                      indented line per configuration key of the type: \
                      \"    KEY=<syntax> (default <default>): <description>\", \
                      where <syntax> tells the values the key takes. With \
                      --json, each type carries a \"keys\" array of objects \
                      with name, syntax, default and description.",
        after_long_help = "Example:\n  lanactl types\n  lanactl --json types"
    )]
    Types,

    /// List the device attachments.
    #[command(
        long_about = "List the attached devices, one \"dev ifindex block \
                      side\" line each; side is bottom for a real device, \
                      top for a lana device.",
        after_long_help = "Example:\n  lanactl attachments"
    )]
    Attachments,

    /// Put a block in the place of another, under traffic.
    #[command(
        long_about = "Replace block OLD by block NEW in one atomic step: every \
                      binding and device attachment of OLD leads to NEW, and \
                      OLD is removed once no packet can reach it any more. \
                      NEW must exist and be unbound. When both have the same \
                      type, OLD's state (a counter's totals) carries over to \
                      NEW unless --drop-state. No packet is lost or seen twice.",
        after_long_help = "Example:\n  lanactl add c2 counter\n  lanactl replace c1 c2"
    )]
    Replace {
        /// Block to take out.
        old: String,
        /// Unbound block to put in its place.
        new: String,
        /// Start NEW from its own state instead of OLD's.
        #[arg(long)]
        drop_state: bool,
    },

    /// Let a block receive another block's events.
    #[command(
        long_about = "Subscribe BLOCK to TARGET: from now on BLOCK receives \
                      TARGET's events — bind, unbind, replace, attach, detach, \
                      device up/down — over TARGET's kernel notifier chain, \
                      besides its own. `lanactl monitor` shows the events as \
                      they happen.",
        after_long_help = "Example:\n  lanactl subscribe top in0"
    )]
    Subscribe {
        /// Block that receives the events.
        block: String,
        /// Block whose events BLOCK receives.
        target: String,
    },

    /// Undo a subscribe.
    #[command(
        long_about = "Unsubscribe BLOCK from TARGET: BLOCK no longer receives \
                      TARGET's events over TARGET's kernel notifier chain.",
        after_long_help = "Example:\n  lanactl unsubscribe top in0"
    )]
    Unsubscribe {
        /// Block that received the events.
        block: String,
        /// Block whose events BLOCK received.
        target: String,
    },

    /// Print engine events as they happen.
    #[command(
        long_about = "Print every engine event as it happens, one line each: \
                      \"<event> block=<name>\", then \" peer=<block>\" and \
                      \" dev=<device>\" when the event involves them. With \
                      --json each line is a JSON object with the keys event, \
                      block, peer and dev (null when absent). Events are add, \
                      rm, bind, unbind, replace, subscribe, unsubscribe, attach, \
                      detach, dev_up, dev_down and dev_unregister. \
                      \"lanactl: monitoring events\" on stderr tells that \
                      listening has begun; lost events are reported there too. \
                      Runs until killed, or until COUNT events with --count.",
        after_long_help = "Example:\n  lanactl monitor\n  lanactl --json monitor --count 1"
    )]
    Monitor {
        /// Exit after COUNT events.
        #[arg(long, value_name = "COUNT")]
        count: Option<u64>,
    },

    /// Show statistics of a block or of the engine.
    #[command(
        long_about = "Show the counters of block NAME, or of the whole engine \
                      without NAME, one \"<name> <value>\" line each in the \
                      order the kernel reports them: a block's own counters, \
                      then the engine's walk_start_up, walk_start_down, \
                      walk_end_up and walk_end_down (packets whose walk \
                      through the graph started or ended at the block, each \
                      way; lanactl dot derives edge counts from them), then \
                      its events. With --per-cpu, counters \
                      kept per CPU are shown once per CPU, as \"<name> \
                      cpu<N> <value>\"; values without a per-CPU breakdown \
                      (a block's events) stay \"<name> <value>\". In JSON a \
                      per-CPU counter is an object keyed \"cpu<N>\".",
        after_long_help = "Example:\n  lanactl stats in0\n  lanactl stats | awk '$1 == \"drops\" { print $2 }'\n  lanactl stats in0 --per-cpu\n  lanactl stats --engine"
    )]
    Stats {
        /// Block to show; the engine when absent.
        name: Option<String>,
        /// Show per-CPU counters once per CPU.
        #[arg(long)]
        per_cpu: bool,
        /// The engine's counters per CPU: packets, hops, drops by reason,
        /// queued copies, backlog depth (same as --per-cpu without NAME).
        #[arg(long, conflicts_with = "name")]
        engine: bool,
    },

    /// Show one block in full.
    #[command(
        long_about = "Show block NAME: its id and type, the blocks bound above \
                      (upper) and below (lower) it, the devices attached to \
                      it, where its bound output ports lead (PORT=BLOCK \
                      pairs, comma-separated, \"-\" for none; an object \
                      {PORT: BLOCK} in JSON), the blocks it is subscribed to and those subscribed \
                      to it, its configuration as key=value pairs \
                      (comma-separated, \"-\" for none), then its counters as \
                      \"<name> <value>\" lines, all indented under a \
                      \"block NAME (TYPE) id ID\" line.",
        after_long_help = "Example:\n  lanactl show in0\n  lanactl --json show in0"
    )]
    Show {
        /// Block to show.
        name: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every "at most N bytes" in the help is a limit the kernel has: a
    /// name's, an option's, or a device name's.
    #[test]
    fn help_states_the_kernels_limits() {
        let limits = [NAME_MAX, OPTION_MAX, libc::IFNAMSIZ - 1];
        let mut cli = Cli::command();
        cli.build();
        let mut seen = Vec::new();
        let mut commands = vec![&cli];
        while let Some(command) = commands.pop() {
            commands.extend(command.get_subcommands());
            for arg in command.get_arguments() {
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                let Some((_, rest)) = help.split_once("at most ") else {
                    continue;
                };
                let n: usize = rest.split(' ').next().unwrap().parse().unwrap();
                let (command, arg) = (command.get_name(), arg.get_id());
                assert!(limits.contains(&n), "{command} {arg}: {help}");
                seen.push(n);
            }
        }
        for limit in limits {
            assert!(
                seen.contains(&limit),
                "no help says at most {limit}: {seen:?}"
            );
        }
    }

    #[test]
    fn completions_and_man_page_cover_every_subcommand() {
        let names: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|c| c.get_name().to_owned())
            .collect();
        assert!(names.len() > 20, "{names:?}");
        let mut bash = Vec::new();
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut Cli::command(),
            "lanactl",
            &mut bash,
        );
        let bash = String::from_utf8(bash).unwrap();
        let man = String::from_utf8(crate::manpages::main_page().unwrap()).unwrap();
        assert!(man.contains(".TH lanactl 8"), "{man}");
        for name in &names {
            assert!(
                bash.contains(&format!("lanactl,{name})")),
                "bash: no {name}"
            );
            assert!(
                man.contains(&format!("lanactl\\-{name}(8)")),
                "man: no {name}"
            );
        }
    }

    #[test]
    fn tags_reach_the_kernel_as_text() {
        let cli = Cli::try_parse_from(["lanactl", "attach", "v0", "b", "--vlan", "10"]).unwrap();
        let Command::Attach { tag, .. } = cli.command else {
            panic!("not attach")
        };
        assert_eq!(tag.text().as_deref(), Some("vlan=10"));
        let cli =
            Cli::try_parse_from(["lanactl", "detach", "v0", "--ethertype", "0x88b5"]).unwrap();
        let Command::Detach { tag, .. } = cli.command else {
            panic!("not detach")
        };
        assert_eq!(tag.text().as_deref(), Some("ethertype=0x88b5"));
        let both = [
            "lanactl",
            "attach",
            "v0",
            "b",
            "--vlan",
            "1",
            "--ethertype",
            "0x88b5",
        ];
        assert_eq!(Cli::try_parse_from(both).unwrap_err().exit_code(), 2);
        assert_eq!(
            Cli::try_parse_from(["lanactl", "attach", "v0", "b", "--vlan", "x"])
                .unwrap_err()
                .exit_code(),
            2
        );
    }

    #[test]
    fn stats_engine_excludes_a_block_name() {
        let cli = Cli::try_parse_from(["lanactl", "stats", "--engine"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Stats {
                name: None,
                engine: true,
                ..
            }
        ));
        let err = Cli::try_parse_from(["lanactl", "stats", "in0", "--engine"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn json_flag_is_global() {
        let cli = Cli::try_parse_from(["lanactl", "stats", "in0", "-j"]).unwrap();
        assert!(cli.json);
        assert!(
            matches!(cli.command, Command::Stats { name: Some(n), per_cpu: false, engine: false } if n == "in0")
        );
    }

    #[test]
    fn new_flags_default_off_and_parse() {
        let parse = |args: &[&str]| Cli::try_parse_from(args).unwrap().command;
        assert!(matches!(
            parse(&["lanactl", "rm", "c1"]),
            Command::Rm { name, cascade: false } if name == "c1"
        ));
        assert!(matches!(
            parse(&["lanactl", "rm", "c1", "--cascade"]),
            Command::Rm { name, cascade: true } if name == "c1"
        ));
        assert!(matches!(
            parse(&["lanactl", "unbind", "top", "in0"]),
            Command::Unbind { force: false, .. }
        ));
        assert!(matches!(
            parse(&["lanactl", "unbind", "--force", "top", "in0"]),
            Command::Unbind { upper, lower, port: None, force: true } if upper == "top" && lower == "in0"
        ));
        assert!(matches!(
            parse(&["lanactl", "stats", "--per-cpu"]),
            Command::Stats {
                name: None,
                per_cpu: true,
                engine: false
            }
        ));
        assert!(matches!(
            parse(&["lanactl", "show", "c1"]),
            Command::Show { name } if name == "c1"
        ));
        let err = Cli::try_parse_from(["lanactl", "show"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn subscribe_and_monitor_arguments() {
        let cli = Cli::try_parse_from(["lanactl", "subscribe", "top", "in0"]).unwrap();
        assert!(
            matches!(cli.command, Command::Subscribe { block, target } if block == "top" && target == "in0")
        );
        let cli = Cli::try_parse_from(["lanactl", "unsubscribe", "top", "in0"]).unwrap();
        assert!(
            matches!(cli.command, Command::Unsubscribe { block, target } if block == "top" && target == "in0")
        );
        let cli = Cli::try_parse_from(["lanactl", "--json", "monitor", "--count", "3"]).unwrap();
        assert!(cli.json);
        assert!(matches!(cli.command, Command::Monitor { count: Some(3) }));
        let cli = Cli::try_parse_from(["lanactl", "monitor"]).unwrap();
        assert!(matches!(cli.command, Command::Monitor { count: None }));
        let err = Cli::try_parse_from(["lanactl", "monitor", "--count", "-1"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn bind_and_unbind_take_an_optional_port() {
        let parse = |args: &[&str]| Cli::try_parse_from(args).unwrap().command;
        assert!(matches!(
            parse(&["lanactl", "bind", "top", "in0"]),
            Command::Bind { upper, lower, port: None } if upper == "top" && lower == "in0"
        ));
        assert!(matches!(
            parse(&["lanactl", "bind", "--port", "clone", "mirror", "t1"]),
            Command::Bind { upper, lower, port: Some(port) }
                if upper == "mirror" && lower == "t1" && port == "clone"
        ));
        assert!(matches!(
            parse(&["lanactl", "unbind", "mirror", "t1", "--port", "clone"]),
            Command::Unbind { upper, lower, port: Some(port), force: false }
                if upper == "mirror" && lower == "t1" && port == "clone"
        ));
        let err = Cli::try_parse_from(["lanactl", "bind", "mirror", "t1", "--port"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(help("bind").contains("lanactl bind --port clone mirror t1"));
        assert!(help("bind").contains("--port <PORT>"), "{}", help("bind"));
        assert!(help("unbind").contains("lanactl unbind --port clone mirror t1"));
    }

    /// The long help of subcommand `name`.
    fn help(name: &str) -> String {
        Cli::command()
            .find_subcommand_mut(name)
            .unwrap()
            .render_long_help()
            .to_string()
    }

    #[test]
    fn missing_argument_is_a_usage_error() {
        let err = Cli::try_parse_from(["lanactl", "bind", "top"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn add_takes_options_in_order() {
        let parse = |args: &[&str]| Cli::try_parse_from(args).unwrap().command;
        assert!(matches!(
            parse(&["lanactl", "add", "in0", "counter"]),
            Command::Add { name, kind, options } if name == "in0" && kind == "counter" && options.is_empty()
        ));
        assert!(matches!(
            parse(&["lanactl", "add", "d1", "drop", "reason=acl", "b=2"]),
            Command::Add { name, kind, options }
                if name == "d1" && kind == "drop" && options == ["reason=acl", "b=2"]
        ));
    }

    #[test]
    fn set_needs_an_option_and_get_a_name() {
        let parse = |args: &[&str]| Cli::try_parse_from(args).unwrap().command;
        assert!(matches!(
            parse(&["lanactl", "set", "d1", "reason=policy", "reason=other"]),
            Command::Set { name, options }
                if name == "d1" && options == ["reason=policy", "reason=other"]
        ));
        let err = Cli::try_parse_from(["lanactl", "set", "d1"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let cli = Cli::try_parse_from(["lanactl", "get", "d1", "--json"]).unwrap();
        assert!(cli.json);
        assert!(matches!(cli.command, Command::Get { name } if name == "d1"));
        let err = Cli::try_parse_from(["lanactl", "get"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn help_shows_configuration_examples() {
        assert!(help("add").contains("lanactl add d1 drop reason=acl"));
        assert!(help("add").contains("[KEY=VALUE]..."), "{}", help("add"));
        assert!(help("set").contains("lanactl set d1 reason=policy"));
        assert!(help("set").contains("<KEY=VALUE>..."), "{}", help("set"));
        assert!(help("get").contains("lanactl get d1"));
    }
}

/// `lanactl vlink` subcommands.
#[derive(Debug, Subcommand)]
pub enum VlinkCommand {
    /// Create a lana device.
    #[command(
        long_about = "Create the lana device NAME, down, without carrier until \
                      it is attached to a block. Fails if a device of that \
                      name exists.",
        after_long_help = "Example:\n  lanactl vlink add lana0\n  ip link set lana0 up"
    )]
    Add {
        /// Name of the new device.
        #[arg(help = format!("Name of the new device (at most {} bytes).", libc::IFNAMSIZ - 1))]
        name: String,
        /// MTU of the device (the default is 1500).
        #[arg(long)]
        mtu: Option<u32>,
    },
    /// Delete a lana device.
    #[command(
        long_about = "Delete the lana device NAME; a block it is attached to \
                      is detached first. Refuses devices of any other kind.",
        after_long_help = "Example:\n  lanactl vlink del lana0"
    )]
    Del {
        /// Lana device to delete.
        name: String,
    },
}

/// The tag of a real device's attachment.
#[derive(Debug, clap::Args)]
pub struct TagArgs {
    /// Only frames with this 802.1Q VLAN id (1-4094); what the attachment
    /// sends is tagged with it.
    #[arg(long, value_name = "ID", conflicts_with = "ethertype")]
    pub vlan: Option<u16>,
    /// Only frames of this EtherType (0x0600-0xffff, not a VLAN one); what
    /// the attachment sends has it written in its Ethernet header.
    #[arg(long, value_name = "0xTYPE")]
    pub ethertype: Option<String>,
}

impl TagArgs {
    /// The tag as the kernel takes it: `vlan=ID` or `ethertype=0xTYPE`.
    pub fn text(&self) -> Option<String> {
        match (&self.vlan, &self.ethertype) {
            (Some(id), _) => Some(format!("vlan={id}")),
            (None, Some(t)) => Some(format!("ethertype={t}")),
            (None, None) => None,
        }
    }
}
