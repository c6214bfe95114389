// SPDX-License-Identifier: GPL-2.0-only

//! The lana message format: request attributes out, plain structs in.
//!
//! Everything here works on neli's message types only, never on a socket, so
//! the encoding and decoding can be tested against hand-made messages.

use std::{fmt, io::Cursor};

use lana_uapi::{attr, cmd, NAME_MAX, OPTION_MAX};
use neli::{
    genl::{AttrTypeBuilder, Genlmsghdr, Nlattr, NlattrBuilder},
    types::{Buffer, GenlBuffer},
    FromBytesWithInput,
};

/// A lana generic-netlink message: `u8` commands, `u16` attribute types.
pub type LanaMsg = Genlmsghdr<u8, u16>;
/// The attributes of a lana message.
pub type Attrs = GenlBuffer<u16, Buffer>;

/// Longest network device name the kernel accepts (`IFNAMSIZ` without NUL).
const DEV_NAME_MAX: usize = libc::IFNAMSIZ - 1;

/// A request whose attributes are built here, validated before sending.
#[derive(Debug, Clone, Copy)]
pub enum Request<'a> {
    Add {
        name: &'a str,
        kind: &'a str,
        /// `KEY=VALUE` options to create the block with, in order.
        options: &'a [String],
    },
    Rm {
        name: &'a str,
        /// Detach, unbind and unsubscribe whatever uses the block first.
        cascade: bool,
    },
    Bind {
        upper: &'a str,
        lower: &'a str,
        /// An output port of `lower` whose packets `upper` receives, instead
        /// of `upper` being above `lower`.
        port: Option<&'a str>,
    },
    Unbind {
        upper: &'a str,
        lower: &'a str,
        /// The output port of `lower` bound to `upper`, for a port binding.
        port: Option<&'a str>,
        /// Cut the binding even though it carries a device's traffic.
        force: bool,
    },
    Attach {
        dev: &'a str,
        block: &'a str,
        /// `vlan=ID` or `ethertype=0xTYPE`.
        tag: Option<&'a str>,
    },
    Detach {
        dev: &'a str,
        tag: Option<&'a str>,
    },
    /// Trace the next `count` packets entering `dev` (0 stops a trace).
    Trace {
        dev: &'a str,
        count: u32,
    },
    Stats {
        block: Option<&'a str>,
        /// One value per CPU for the counters that have them.
        per_cpu: bool,
    },
    Show {
        name: &'a str,
    },
    /// Configure a block: all options or none.
    Set {
        name: &'a str,
        /// `KEY=VALUE` options, in order.
        options: &'a [String],
    },
    /// A block's configuration.
    Get {
        name: &'a str,
    },
    Replace {
        old: &'a str,
        new: &'a str,
        drop_state: bool,
    },
    Subscribe {
        block: &'a str,
        target: &'a str,
    },
    Unsubscribe {
        block: &'a str,
        target: &'a str,
    },
    Reset {
        name: &'a str,
    },
}

impl Request<'_> {
    /// The generic-netlink command carrying this request.
    pub fn cmd(&self) -> u8 {
        match self {
            Request::Add { .. } => cmd::ADD,
            Request::Rm { .. } => cmd::RM,
            Request::Bind { .. } => cmd::BIND,
            Request::Unbind { .. } => cmd::UNBIND,
            Request::Attach { .. } => cmd::ATTACH,
            Request::Detach { .. } => cmd::DETACH,
            Request::Stats { .. } => cmd::STATS,
            Request::Show { .. } => cmd::SHOW,
            Request::Set { .. } => cmd::SET,
            Request::Get { .. } => cmd::GET,
            Request::Reset { .. } => cmd::RESET,
            Request::Replace { .. } => cmd::REPLACE,
            Request::Subscribe { .. } => cmd::SUBSCRIBE,
            Request::Unsubscribe { .. } => cmd::UNSUBSCRIBE,
            Request::Trace { .. } => cmd::TRACE,
        }
    }

    /// The request's attributes; names and options are checked against the
    /// kernel's limits here so a bad one gets a precise message instead of a
    /// bare `EINVAL` from the attribute policy.
    pub fn attrs(&self) -> Result<Attrs, WireError> {
        let strings: Vec<(u16, &str)> = match *self {
            Request::Add { name, kind, .. } => {
                vec![(attr::BLOCK_NAME, name), (attr::BLOCK_TYPE, kind)]
            }
            Request::Rm { name, .. }
            | Request::Show { name }
            | Request::Set { name, .. }
            | Request::Get { name }
            | Request::Reset { name } => vec![(attr::BLOCK_NAME, name)],
            Request::Bind { upper, lower, port }
            | Request::Unbind {
                upper, lower, port, ..
            } => {
                // The port travels only when given: without it a bind is
                // encoded as it always was.
                let mut names = vec![(attr::UPPER, upper), (attr::LOWER, lower)];
                names.extend(port.map(|port| (attr::PORT, port)));
                names
            }
            Request::Attach { dev, block, tag } => {
                let mut names = vec![(attr::DEV_NAME, dev), (attr::BLOCK_NAME, block)];
                names.extend(tag.map(|tag| (attr::TAG, tag)));
                names
            }
            Request::Trace { dev, .. } => vec![(attr::DEV_NAME, dev)],
            Request::Detach { dev, tag } => {
                let mut names = vec![(attr::DEV_NAME, dev)];
                names.extend(tag.map(|tag| (attr::TAG, tag)));
                names
            }
            Request::Stats { block, .. } => {
                block.map(|b| (attr::BLOCK_NAME, b)).into_iter().collect()
            }
            Request::Replace { old, new, .. } => {
                vec![(attr::BLOCK_NAME, old), (attr::NEW_NAME, new)]
            }
            Request::Subscribe { block, target } | Request::Unsubscribe { block, target } => {
                vec![(attr::BLOCK_NAME, block), (attr::PEER, target)]
            }
        };
        let mut attrs: Attrs = strings
            .into_iter()
            .map(|(ty, value)| string_attr(ty, value))
            .collect::<Result<_, _>>()?;
        // Flags travel only when given: an absent flag is the default.
        let flag = match *self {
            Request::Rm { cascade: true, .. } | Request::Unbind { force: true, .. } => {
                Some(attr::CASCADE)
            }
            Request::Stats { per_cpu: true, .. } => Some(attr::PER_CPU),
            Request::Replace {
                drop_state: true, ..
            } => Some(attr::DROP_STATE),
            _ => None,
        };
        if let Some(flag) = flag {
            attrs.push(flag_attr(flag)?);
        }
        if let Request::Trace { count, .. } = *self {
            attrs.push(u32_attr(attr::COUNT, count)?);
        }
        // Options travel only when given: without them `add` is encoded as
        // it always was.
        if let Request::Add { options, .. } | Request::Set { options, .. } = *self {
            if let Some(nest) = options_attr(options)? {
                attrs.push(nest);
            }
        }
        Ok(attrs)
    }
}

/// The attributes of an `APPLY` request: `requests` as one `REQUESTS`
/// array, each element a request's own attributes plus its command; with
/// `expect`, the revision the batch was planned against.
pub fn batch_attrs(
    requests: &[Request<'_>],
    expect: Option<u32>,
    dry_run: bool,
) -> Result<Attrs, WireError> {
    let encoding = |e: &dyn fmt::Display| WireError::Encoding(e.to_string());
    let nest_of = |ty: u16| {
        let nla_type = AttrTypeBuilder::default()
            .nla_type(ty)
            .nla_nested(true)
            .build()
            .map_err(|e| encoding(&e))?;
        NlattrBuilder::default()
            .nla_type(nla_type)
            .nla_payload(())
            .build()
            .map_err(|e| encoding(&e))
    };
    // A batch longer than one attribute can be (64 KiB) goes as several
    // `REQUESTS` arrays in the one message: the kernel reads them all, in
    // order, as one transaction.
    let mut arrays = Vec::new();
    let mut array = nest_of(attr::REQUESTS)?;
    // neli adds up a nest's length in a u16 without checking.
    let max = usize::from(u16::MAX) & !3;
    for (index, request) in requests.iter().enumerate() {
        // The kernel ignores an element's type; its position counts. 1-based
        // like the netlink arrays of other families.
        let mut element = nest_of(((index + 1) & 0x3fff) as u16)?;
        let mut attrs = vec![u32_attr(attr::REQUEST_CMD, u32::from(request.cmd()))?];
        attrs.extend(request.attrs()?);
        for a in &attrs {
            let bytes = usize::from(*element.nla_len()) + usize::from(*a.nla_len()) + 3;
            if bytes > max {
                return Err(WireError::BatchTooLong { max });
            }
            element = element.nest(a).map_err(|e| encoding(&e))?;
        }
        let bytes = usize::from(*array.nla_len()) + usize::from(*element.nla_len()) + 3;
        if bytes > max {
            arrays.push(std::mem::replace(&mut array, nest_of(attr::REQUESTS)?));
        }
        array = array.nest(&element).map_err(|e| encoding(&e))?;
    }
    arrays.push(array);
    let mut attrs: Attrs = arrays.into_iter().collect();
    if let Some(revision) = expect {
        attrs.push(u32_attr(attr::REVISION, revision)?);
    }
    if dry_run {
        attrs.push(flag_attr(attr::DRY_RUN)?);
    }
    Ok(attrs)
}

/// The `REVISION` of a `REVISION` or `APPLY` reply.
pub fn parse_revision(msg: &LanaMsg) -> Result<u32, WireError> {
    Fields::top(msg).u32(attr::REVISION)
}

/// One block of a `LIST` dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub id: u32,
    pub name: String,
    pub kind: String,
    pub upper: Option<String>,
    pub lower: Option<String>,
}

/// One block type of a `TYPES` dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeInfo {
    pub name: String,
    pub description: String,
    /// The configuration keys of the type, in the kernel's order.
    pub keys: Vec<KeyInfo>,
}

/// One configuration key of a block type (a `KEY` nest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub name: String,
    /// The values the key takes, for people.
    pub syntax: String,
    /// The key's value until set.
    pub default: String,
    pub description: String,
}

/// A block's configuration: `(key, value)` pairs in the kernel's order.
pub type Config = Vec<(String, String)>;

/// A `GET` reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockConfig {
    pub block: String,
    pub config: Config,
}

/// One device attachment of an `ATTACHMENTS` dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub dev: String,
    pub ifindex: u32,
    pub block: String,
    /// "bottom" (a real device) or "top" (a lana device).
    pub side: String,
    /// `vlan=ID` or `ethertype=0xTYPE`: the frames this attachment takes.
    pub tag: Option<String>,
}

/// A `STATS` reply: the block it describes (none for the engine) and its
/// counters in the order the kernel sent them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    pub block: Option<String>,
    pub entries: Vec<Stat>,
}

/// One `STAT` nest: a counter's value, or in the per-CPU view its value on
/// one CPU. Values the kernel keeps only as a whole (a block's events) have
/// no CPU even in the per-CPU view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    pub name: String,
    pub cpu: Option<u32>,
    pub value: u64,
    /// A label in place of a count (a drop block's reason).
    pub text: Option<String>,
}

/// A `SHOW` reply: one block with everything attached to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockDetail {
    pub block: Block,
    /// Network devices attached to the block.
    pub devices: Vec<String>,
    /// The block's bound output ports: `(port, block)` pairs, in the
    /// kernel's order.
    pub ports: Vec<(String, String)>,
    /// Blocks whose events this block receives.
    pub subscribed_to: Vec<String>,
    /// Blocks that receive this block's events.
    pub subscribers: Vec<String>,
    /// The block's configuration, in the kernel's order.
    pub config: Config,
    /// The block's counters, in the kernel's order.
    pub stats: Vec<Stat>,
}

/// One traced packet (`cmd::TRACE`): the blocks it visited, in order, and
/// the engine counter its path ended in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceRecord {
    pub path: Vec<String>,
    pub verdict: String,
}

/// Parses a `TRACE` record.
pub fn parse_trace(msg: &LanaMsg) -> Result<TraceRecord, WireError> {
    let fields = Fields {
        attrs: msg.attrs().clone(),
        within: "trace",
    };
    Ok(TraceRecord {
        path: fields.strings(attr::BLOCK_NAME)?,
        verdict: fields.string(attr::VERDICT)?,
    })
}

/// One engine event, as multicast on the `events` group (`cmd::EVENT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// What happened: add, rm, bind, ... Kept as the kernel's word, so a
    /// newer module's events are shown rather than rejected.
    pub kind: String,
    /// The block the event is about.
    pub block: String,
    /// The other block involved, if any.
    pub peer: Option<String>,
    /// The network device involved, if any.
    pub dev: Option<String>,
}

/// A request that cannot be encoded or a reply that cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    /// A name given on the command line is empty or too long.
    BadName { attr: u16, name: String, max: usize },
    /// A `KEY=VALUE` option given on the command line is malformed.
    BadOption { option: String, why: OptionProblem },
    /// The options together do not fit in one netlink attribute.
    OptionsTooLong { bytes: usize, max: usize },
    /// One request of a batch does not fit in one netlink attribute.
    BatchTooLong { max: usize },
    /// A mandatory attribute is absent from a reply.
    Missing { attr: u16, within: &'static str },
    /// An attribute's payload does not have its type's size or encoding.
    Malformed { attr: u16, why: String },
    /// neli could not build or parse the attribute stream.
    Encoding(String),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::BadName { attr, name, max } if name.is_empty() => {
                write!(f, "{} must not be empty (at most {max} bytes)", what(*attr))
            }
            WireError::BadName { attr, name, max } => write!(
                f,
                "{} \"{name}\" is {} bytes long, the limit is {max}",
                what(*attr),
                name.len()
            ),
            WireError::BadOption { option, why } => match why {
                OptionProblem::NoEquals => {
                    write!(f, "option \"{option}\" is not KEY=VALUE")
                }
                OptionProblem::EmptyKey => {
                    write!(
                        f,
                        "option \"{option}\" has an empty key (expected KEY=VALUE)"
                    )
                }
                OptionProblem::TooLong { max } => write!(
                    f,
                    "option \"{option}\" is {} bytes long, the limit is {max}",
                    option.len()
                ),
            },
            WireError::OptionsTooLong { bytes, max } => write!(
                f,
                "the options take {bytes} bytes once encoded, the limit is {max}; \
                 give fewer of them"
            ),
            WireError::BatchTooLong { max } => write!(
                f,
                "one change takes more than {max} bytes once encoded; \
                 give it fewer settings"
            ),
            WireError::Missing { attr, within } => {
                write!(f, "malformed reply: {within} lacks {}", attr_name(*attr))
            }
            WireError::Malformed { attr, why } => {
                write!(f, "malformed reply: {}: {why}", attr_name(*attr))
            }
            WireError::Encoding(why) => write!(f, "netlink encoding: {why}"),
        }
    }
}

impl std::error::Error for WireError {}

/// What is wrong with a `KEY=VALUE` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionProblem {
    /// There is no `=`.
    NoEquals,
    /// Nothing before the `=`.
    EmptyKey,
    /// Longer than the kernel accepts, in bytes.
    TooLong { max: usize },
}

/// The uapi name of an attribute, for error messages about replies.
fn attr_name(ty: u16) -> &'static str {
    match ty {
        attr::BLOCK_NAME => "BLOCK_NAME",
        attr::BLOCK_TYPE => "BLOCK_TYPE",
        attr::UPPER => "UPPER",
        attr::LOWER => "LOWER",
        attr::DEV_NAME => "DEV_NAME",
        attr::BLOCK_ID => "BLOCK_ID",
        attr::BLOCK => "BLOCK",
        attr::STATS => "STATS",
        attr::STAT => "STAT",
        attr::STAT_NAME => "STAT_NAME",
        attr::STAT_VALUE => "STAT_VALUE",
        attr::STAT_TEXT => "STAT_TEXT",
        attr::SIDE => "SIDE",
        attr::TAG => "TAG",
        attr::VERDICT => "VERDICT",
        attr::COUNT => "COUNT",
        attr::TYPE => "TYPE",
        attr::DESCRIPTION => "DESCRIPTION",
        attr::ATTACHMENT => "ATTACHMENT",
        attr::DEV_IFINDEX => "DEV_IFINDEX",
        attr::NEW_NAME => "NEW_NAME",
        attr::EVENT => "EVENT",
        attr::PEER => "PEER",
        attr::CPU => "CPU",
        attr::SUBSCRIBED_TO => "SUBSCRIBED_TO",
        attr::SUBSCRIBER => "SUBSCRIBER",
        attr::OPTIONS => "OPTIONS",
        attr::OPTION => "OPTION",
        attr::KEY => "KEY",
        attr::KEY_NAME => "KEY_NAME",
        attr::KEY_SYNTAX => "KEY_SYNTAX",
        attr::KEY_DEFAULT => "KEY_DEFAULT",
        attr::CONFIG => "CONFIG",
        attr::PORT => "PORT",
        attr::PORT_BINDING => "PORT_BINDING",
        attr::REVISION => "REVISION",
        _ => "unknown attribute",
    }
}

/// What a string attribute of a request names, in the user's words.
fn what(ty: u16) -> &'static str {
    match ty {
        attr::BLOCK_TYPE => "block type",
        attr::DEV_NAME => "device name",
        attr::PORT => "port name",
        _ => "block name",
    }
}

/// An attribute of type `ty` carrying `payload` as neli serialises it.
fn attr_of<P: neli::Size + neli::ToBytes>(
    ty: u16,
    payload: P,
) -> Result<Nlattr<u16, Buffer>, WireError> {
    let nla_type = AttrTypeBuilder::default()
        .nla_type(ty)
        .build()
        .map_err(|e| WireError::Encoding(e.to_string()))?;
    NlattrBuilder::default()
        .nla_type(nla_type)
        .nla_payload(payload)
        .build()
        .map_err(|e| WireError::Encoding(e.to_string()))
}

/// A flag attribute: its presence is the value.
fn flag_attr(ty: u16) -> Result<Nlattr<u16, Buffer>, WireError> {
    attr_of(ty, ())
}

fn u32_attr(ty: u16, value: u32) -> Result<Nlattr<u16, Buffer>, WireError> {
    attr_of(ty, value)
}

/// Size of an attribute header.
const NLA_HDRLEN: usize = 4;

/// Checks one `KEY=VALUE` option as the kernel would: a non-empty key
/// before the first `=`, at most `OPTION_MAX` bytes in all.
fn check_option(option: &str) -> Result<(), WireError> {
    let why = match option.split_once('=') {
        None => OptionProblem::NoEquals,
        Some(("", _)) => OptionProblem::EmptyKey,
        Some(_) if option.len() > OPTION_MAX => OptionProblem::TooLong { max: OPTION_MAX },
        Some(_) => return Ok(()),
    };
    Err(WireError::BadOption {
        option: option.to_owned(),
        why,
    })
}

/// The `OPTIONS` nest (with `NLA_F_NESTED`, which the kernel's strict
/// validation requires) holding one NUL-terminated `OPTION` per option, in
/// order; `None` without options. Every option is checked first.
fn options_attr(options: &[String]) -> Result<Option<Nlattr<u16, Buffer>>, WireError> {
    if options.is_empty() {
        return Ok(None);
    }
    options.iter().try_for_each(|o| check_option(o))?;
    // neli adds up a nest's length in a u16 without checking.
    let bytes = NLA_HDRLEN
        + options
            .iter()
            .map(|o| (NLA_HDRLEN + o.len() + 1).next_multiple_of(4))
            .sum::<usize>();
    let max = usize::from(u16::MAX) & !3;
    if bytes > max {
        return Err(WireError::OptionsTooLong { bytes, max });
    }
    let encoding = |e: &dyn fmt::Display| WireError::Encoding(e.to_string());
    let nla_type = AttrTypeBuilder::default()
        .nla_type(attr::OPTIONS)
        .nla_nested(true)
        .build()
        .map_err(|e| encoding(&e))?;
    let mut nest = NlattrBuilder::default()
        .nla_type(nla_type)
        .nla_payload(())
        .build()
        .map_err(|e| encoding(&e))?;
    for option in options {
        let nla_type = AttrTypeBuilder::default()
            .nla_type(attr::OPTION)
            .build()
            .map_err(|e| encoding(&e))?;
        // neli writes `&str` payloads with their terminating NUL.
        let inner = NlattrBuilder::default()
            .nla_type(nla_type)
            .nla_payload(option.as_str())
            .build()
            .map_err(|e| encoding(&e))?;
        nest = nest.nest(&inner).map_err(|e| encoding(&e))?;
    }
    Ok(Some(nest))
}

/// Encodes a NUL-terminated string attribute after checking its length.
fn string_attr(ty: u16, value: &str) -> Result<Nlattr<u16, Buffer>, WireError> {
    // Block types and ports are named like blocks, so they share NAME_MAX.
    let max = if ty == attr::DEV_NAME {
        DEV_NAME_MAX
    } else {
        NAME_MAX
    };
    if value.is_empty() || value.len() > max {
        return Err(WireError::BadName {
            attr: ty,
            name: value.to_owned(),
            max,
        });
    }
    // neli writes `&str` payloads with their terminating NUL.
    attr_of(ty, value)
}

/// Whether a `DETAILS` message holds only its block's `BLOCK` nest (the
/// rest did not fit a dump message: ask `SHOW`).
pub fn is_incomplete(msg: &LanaMsg) -> bool {
    Fields::top(msg).find(attr::INCOMPLETE).is_some()
}

/// Parses one `LIST` dump message (a nested `BLOCK`).
pub fn parse_block(msg: &LanaMsg) -> Result<Block, WireError> {
    block_fields(&Fields::top(msg).nested(attr::BLOCK)?)
}

/// The attributes every `BLOCK` nest carries.
fn block_fields(nest: &Fields) -> Result<Block, WireError> {
    Ok(Block {
        id: nest.u32(attr::BLOCK_ID)?,
        name: nest.string(attr::BLOCK_NAME)?,
        kind: nest.string(attr::BLOCK_TYPE)?,
        upper: nest.optional_string(attr::UPPER)?,
        lower: nest.optional_string(attr::LOWER)?,
    })
}

/// Parses a `SHOW` reply: a `BLOCK` nest with the block's bindings, repeated
/// `SUBSCRIBED_TO`, `SUBSCRIBER`, `DEV_NAME` and `PORT_BINDING`, then its
/// `CONFIG` and its `STATS`. Each list keeps the kernel's order and may be empty; a module
/// that sends no `CONFIG` has no configurable blocks.
pub fn parse_show(msg: &LanaMsg) -> Result<BlockDetail, WireError> {
    let top = Fields::top(msg);
    let nest = top.nested(attr::BLOCK)?;
    let config = match top.find(attr::CONFIG) {
        Some(nla) => config_options(&Fields::nest(nla, "CONFIG")?)?,
        None => Config::new(),
    };
    // The lists follow the nest at the top of the message (a block may
    // have more subscribers than a nest holds); older modules put them in
    // the nest.
    let both = |ty: u16| -> Result<Vec<String>, WireError> {
        let mut list = nest.strings(ty)?;
        list.extend(top.strings(ty)?);
        Ok(list)
    };
    let mut ports = port_bindings(&nest)?;
    ports.extend(port_bindings(&top)?);
    Ok(BlockDetail {
        block: block_fields(&nest)?,
        devices: both(attr::DEV_NAME)?,
        ports,
        subscribed_to: both(attr::SUBSCRIBED_TO)?,
        subscribers: both(attr::SUBSCRIBER)?,
        config,
        stats: stat_entries(&top.nested(attr::STATS)?)?,
    })
}

/// The `PORT_BINDING`s of a `BLOCK` nest, `port=block` each, in order.
fn port_bindings(block: &Fields) -> Result<Vec<(String, String)>, WireError> {
    block
        .strings(attr::PORT_BINDING)?
        .into_iter()
        .map(|binding| match binding.split_once('=') {
            Some((port, to)) if !port.is_empty() && !to.is_empty() => {
                Ok((port.to_owned(), to.to_owned()))
            }
            _ => Err(WireError::Malformed {
                attr: attr::PORT_BINDING,
                why: format!("\"{binding}\" is not port=block"),
            }),
        })
        .collect()
}

/// Parses a `GET` reply: `BLOCK_NAME` and a `CONFIG` nest.
pub fn parse_get(msg: &LanaMsg) -> Result<BlockConfig, WireError> {
    let top = Fields::top(msg);
    Ok(BlockConfig {
        block: top.string(attr::BLOCK_NAME)?,
        config: config_options(&top.nested(attr::CONFIG)?)?,
    })
}

/// The `OPTION`s of a `CONFIG` nest, `key=value` each, split at the first
/// `=`, in order. Other attributes are skipped.
fn config_options(config: &Fields) -> Result<Config, WireError> {
    config
        .strings(attr::OPTION)?
        .into_iter()
        .map(|option| match option.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
            _ => Err(WireError::Malformed {
                attr: attr::OPTION,
                why: format!("\"{option}\" is not key=value"),
            }),
        })
        .collect()
}

/// Parses one `TYPES` dump message (a nested `TYPE`, with a `KEY` nest per
/// configuration key).
pub fn parse_type(msg: &LanaMsg) -> Result<TypeInfo, WireError> {
    let nest = Fields::top(msg).nested(attr::TYPE)?;
    let keys = nest
        .all(attr::KEY)
        .map(|nla| {
            let key = Fields::nest(nla, "KEY")?;
            Ok(KeyInfo {
                name: key.string(attr::KEY_NAME)?,
                syntax: key.string(attr::KEY_SYNTAX)?,
                default: key.string(attr::KEY_DEFAULT)?,
                description: key.string(attr::DESCRIPTION)?,
            })
        })
        .collect::<Result<_, WireError>>()?;
    Ok(TypeInfo {
        name: nest.string(attr::BLOCK_TYPE)?,
        description: nest.string(attr::DESCRIPTION)?,
        keys,
    })
}

/// Parses one `ATTACHMENTS` dump message (a nested `ATTACHMENT`).
pub fn parse_attachment(msg: &LanaMsg) -> Result<Attachment, WireError> {
    let nest = Fields::top(msg).nested(attr::ATTACHMENT)?;
    Ok(Attachment {
        dev: nest.string(attr::DEV_NAME)?,
        ifindex: nest.u32(attr::DEV_IFINDEX)?,
        block: nest.string(attr::BLOCK_NAME)?,
        side: nest.string(attr::SIDE)?,
        tag: nest.optional_string(attr::TAG)?,
    })
}

/// Parses a `STATS` reply: counters come as `STAT` nests inside `STATS`.
/// Unknown attributes are skipped so an older lanactl still works against a
/// newer module.
pub fn parse_stats(msg: &LanaMsg) -> Result<Stats, WireError> {
    let top = Fields::top(msg);
    // The kernel sends the `STAT`s at the top of the message (a block's
    // per-CPU view on many CPUs outgrows a nest); older modules nest them
    // in `STATS`.
    let entries = match top.find(attr::STATS) {
        Some(nla) => stat_entries(&Fields::nest(nla, "STATS")?)?,
        None => stat_entries(&top)?,
    };
    Ok(Stats {
        block: top.optional_string(attr::BLOCK_NAME)?,
        entries,
    })
}

/// The `STAT` nests of a `STATS` nest, in order; a `CPU` marks a per-CPU
/// value. Other attributes are skipped.
fn stat_entries(stats: &Fields) -> Result<Vec<Stat>, WireError> {
    stats
        .all(attr::STAT)
        .map(|nla| {
            let stat = Fields::nest(nla, "STAT")?;
            let text = stat.optional_string(attr::STAT_TEXT)?;
            Ok(Stat {
                name: stat.string(attr::STAT_NAME)?,
                cpu: stat.optional_u32(attr::CPU)?,
                value: match text {
                    Some(_) => 0,
                    None => stat.u64(attr::STAT_VALUE)?,
                },
                text,
            })
        })
        .collect()
}

/// Parses one `EVENT` message. Unknown attributes are skipped.
pub fn parse_event(msg: &LanaMsg) -> Result<Event, WireError> {
    let fields = Fields {
        attrs: msg.attrs().clone(),
        within: "event",
    };
    Ok(Event {
        kind: fields.string(attr::EVENT)?,
        block: fields.string(attr::BLOCK_NAME)?,
        peer: fields.optional_string(attr::PEER)?,
        dev: fields.optional_string(attr::DEV_NAME)?,
    })
}

/// The attributes of one message or nest, named for error messages.
struct Fields {
    attrs: Attrs,
    within: &'static str,
}

impl Fields {
    fn top(msg: &LanaMsg) -> Self {
        Fields {
            attrs: msg.attrs().clone(),
            within: "message",
        }
    }

    fn nest(nla: &Nlattr<u16, Buffer>, within: &'static str) -> Result<Self, WireError> {
        let payload = nla.nla_payload().as_ref();
        let attrs = Attrs::from_bytes_with_input(&mut Cursor::new(payload), payload.len())
            .map_err(|e| WireError::Malformed {
                attr: *nla.nla_type().nla_type(),
                why: e.to_string(),
            })?;
        Ok(Fields { attrs, within })
    }

    fn find(&self, ty: u16) -> Option<&Nlattr<u16, Buffer>> {
        self.all(ty).next()
    }

    /// Every attribute of type `ty`, in order.
    fn all(&self, ty: u16) -> impl Iterator<Item = &Nlattr<u16, Buffer>> {
        self.attrs
            .iter()
            .filter(move |nla| *nla.nla_type().nla_type() == ty)
    }

    fn require(&self, ty: u16) -> Result<&Nlattr<u16, Buffer>, WireError> {
        self.find(ty).ok_or(WireError::Missing {
            attr: ty,
            within: self.within,
        })
    }

    fn nested(&self, ty: u16) -> Result<Fields, WireError> {
        Fields::nest(self.require(ty)?, attr_name(ty))
    }

    fn string(&self, ty: u16) -> Result<String, WireError> {
        string_payload(self.require(ty)?)
    }

    fn optional_string(&self, ty: u16) -> Result<Option<String>, WireError> {
        self.find(ty).map(string_payload).transpose()
    }

    /// A repeated string attribute: every occurrence, in order.
    fn strings(&self, ty: u16) -> Result<Vec<String>, WireError> {
        self.all(ty).map(string_payload).collect()
    }

    fn u32(&self, ty: u16) -> Result<u32, WireError> {
        u32_payload(self.require(ty)?)
    }

    fn optional_u32(&self, ty: u16) -> Result<Option<u32>, WireError> {
        self.find(ty).map(u32_payload).transpose()
    }

    fn u64(&self, ty: u16) -> Result<u64, WireError> {
        u64_payload(self.require(ty)?)
    }
}

/// A string payload up to its first NUL (`NLA_NUL_STRING` and `NLA_STRING`
/// alike), so a missing terminator cannot make neli drop a real byte.
fn string_payload(nla: &Nlattr<u16, Buffer>) -> Result<String, WireError> {
    let payload = nla.nla_payload().as_ref();
    let text = payload.split(|&b| b == 0).next().unwrap_or_default();
    String::from_utf8(text.to_vec()).map_err(|e| WireError::Malformed {
        attr: *nla.nla_type().nla_type(),
        why: e.to_string(),
    })
}

fn u32_payload(nla: &Nlattr<u16, Buffer>) -> Result<u32, WireError> {
    Ok(u32::from_ne_bytes(fixed(nla)?))
}

fn u64_payload(nla: &Nlattr<u16, Buffer>) -> Result<u64, WireError> {
    Ok(u64::from_ne_bytes(fixed(nla)?))
}

/// The payload as exactly `N` bytes: integers travel in host byte order with
/// their exact size, anything else is a kernel/lanactl mismatch.
fn fixed<const N: usize>(nla: &Nlattr<u16, Buffer>) -> Result<[u8; N], WireError> {
    let payload = nla.nla_payload().as_ref();
    payload.try_into().map_err(|_| WireError::Malformed {
        attr: *nla.nla_type().nla_type(),
        why: format!("{} bytes where {N} were expected", payload.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `NLA_F_NESTED`, which the kernel's `nla_nest_start` sets.
    const NESTED: u16 = 1 << 15;

    /// Encodes one attribute exactly as the kernel does: length, type,
    /// payload, padding to 4 bytes.
    fn nla(ty: u16, payload: &[u8]) -> Vec<u8> {
        let len = u16::try_from(4 + payload.len()).unwrap();
        let mut out = Vec::new();
        out.extend_from_slice(&len.to_ne_bytes());
        out.extend_from_slice(&ty.to_ne_bytes());
        out.extend_from_slice(payload);
        out.resize(out.len().next_multiple_of(4), 0);
        out
    }

    fn str_nla(ty: u16, s: &str) -> Vec<u8> {
        nla(ty, &[s.as_bytes(), &[0]].concat())
    }

    fn nest(ty: u16, children: &[Vec<u8>]) -> Vec<u8> {
        nla(ty | NESTED, &children.concat())
    }

    /// A whole genl message body: the 4-byte genlmsghdr, then attributes.
    fn msg(cmd: u8, attrs: &[Vec<u8>]) -> LanaMsg {
        let mut bytes = vec![cmd, lana_uapi::FAMILY_VERSION, 0, 0];
        bytes.extend(attrs.concat());
        LanaMsg::from_bytes_with_input(&mut Cursor::new(&bytes), bytes.len()).unwrap()
    }

    /// A `STAT` nest, with a `CPU` for a per-CPU value.
    fn stat_nla(name: &str, cpu: Option<u32>, value: u64) -> Vec<u8> {
        let mut children = vec![str_nla(attr::STAT_NAME, name)];
        children.extend(cpu.map(|cpu| nla(attr::CPU, &cpu.to_ne_bytes())));
        children.push(nla(attr::STAT_VALUE, &value.to_ne_bytes()));
        nest(attr::STAT, &children)
    }

    fn stat(name: &str, cpu: Option<u32>, value: u64) -> Stat {
        Stat {
            name: name.into(),
            cpu,
            value,
            text: None,
        }
    }

    fn block_msg(extra: &[Vec<u8>]) -> LanaMsg {
        let mut children = vec![
            str_nla(attr::BLOCK_NAME, "counter0"),
            str_nla(attr::BLOCK_TYPE, "counter"),
            nla(attr::BLOCK_ID, &7u32.to_ne_bytes()),
        ];
        children.extend_from_slice(extra);
        msg(cmd::LIST, &[nest(attr::BLOCK, &children)])
    }

    #[test]
    fn block_without_binding() {
        let block = parse_block(&block_msg(&[])).unwrap();
        assert_eq!(
            block,
            Block {
                id: 7,
                name: "counter0".into(),
                kind: "counter".into(),
                upper: None,
                lower: None,
            }
        );
    }

    #[test]
    fn block_with_upper_and_lower() {
        let block = parse_block(&block_msg(&[
            str_nla(attr::UPPER, "tee1"),
            str_nla(attr::LOWER, "eth0in"),
        ]))
        .unwrap();
        assert_eq!(block.upper.as_deref(), Some("tee1"));
        assert_eq!(block.lower.as_deref(), Some("eth0in"));
    }

    #[test]
    fn block_missing_id_is_rejected() {
        let m = msg(
            cmd::LIST,
            &[nest(
                attr::BLOCK,
                &[
                    str_nla(attr::BLOCK_NAME, "counter0"),
                    str_nla(attr::BLOCK_TYPE, "counter"),
                ],
            )],
        );
        let err = parse_block(&m).unwrap_err();
        assert_eq!(
            err,
            WireError::Missing {
                attr: attr::BLOCK_ID,
                within: "BLOCK"
            }
        );
        assert_eq!(err.to_string(), "malformed reply: BLOCK lacks BLOCK_ID");
    }

    #[test]
    fn message_without_block_nest_is_rejected() {
        let m = msg(cmd::LIST, &[str_nla(attr::BLOCK_NAME, "counter0")]);
        assert_eq!(
            parse_block(&m).unwrap_err(),
            WireError::Missing {
                attr: attr::BLOCK,
                within: "message"
            }
        );
    }

    #[test]
    fn block_id_of_wrong_size_is_rejected() {
        let m = msg(
            cmd::LIST,
            &[nest(
                attr::BLOCK,
                &[
                    str_nla(attr::BLOCK_NAME, "counter0"),
                    str_nla(attr::BLOCK_TYPE, "counter"),
                    nla(attr::BLOCK_ID, &7u64.to_ne_bytes()),
                ],
            )],
        );
        assert!(matches!(
            parse_block(&m),
            Err(WireError::Malformed {
                attr: attr::BLOCK_ID,
                ..
            })
        ));
    }

    #[test]
    fn a_stat_with_text_is_a_label() {
        let m = msg(
            cmd::STATS,
            &[
                str_nla(attr::BLOCK_NAME, "d1"),
                nest(
                    attr::STATS,
                    &[
                        stat_nla("dropped", None, 3),
                        nest(
                            attr::STAT,
                            &[
                                str_nla(attr::STAT_NAME, "reason"),
                                str_nla(attr::STAT_TEXT, "policy"),
                            ],
                        ),
                    ],
                ),
            ],
        );
        let parsed = parse_stats(&m).unwrap();
        assert_eq!(parsed.entries[0], stat("dropped", None, 3));
        assert_eq!(parsed.entries[1].name, "reason");
        assert_eq!(parsed.entries[1].text.as_deref(), Some("policy"));
    }

    #[test]
    fn stats_keep_kernel_order() {
        let m = msg(
            cmd::STATS,
            &[
                str_nla(attr::BLOCK_NAME, "counter0"),
                nest(
                    attr::STATS,
                    &[
                        stat_nla("rx_packets", None, 12),
                        stat_nla("rx_bytes", None, u64::MAX),
                        stat_nla("drops", None, 0),
                    ],
                ),
            ],
        );
        assert_eq!(
            parse_stats(&m).unwrap(),
            Stats {
                block: Some("counter0".into()),
                entries: vec![
                    stat("rx_packets", None, 12),
                    stat("rx_bytes", None, u64::MAX),
                    stat("drops", None, 0),
                ],
            }
        );
    }

    #[test]
    fn per_cpu_stats_mix_cpu_and_plain_entries() {
        let m = msg(
            cmd::STATS,
            &[
                str_nla(attr::BLOCK_NAME, "c1"),
                nest(
                    attr::STATS,
                    &[
                        stat_nla("packets", Some(0), 1),
                        stat_nla("packets", Some(3), 2),
                        stat_nla("bytes", Some(0), 60),
                        stat_nla("bytes", Some(3), 120),
                        stat_nla("events", None, 4),
                    ],
                ),
            ],
        );
        assert_eq!(
            parse_stats(&m).unwrap().entries,
            vec![
                stat("packets", Some(0), 1),
                stat("packets", Some(3), 2),
                stat("bytes", Some(0), 60),
                stat("bytes", Some(3), 120),
                stat("events", None, 4),
            ]
        );
    }

    #[test]
    fn stat_cpu_of_wrong_size_is_rejected() {
        let bad = nest(
            attr::STAT,
            &[
                str_nla(attr::STAT_NAME, "packets"),
                nla(attr::CPU, &1u64.to_ne_bytes()),
                nla(attr::STAT_VALUE, &1u64.to_ne_bytes()),
            ],
        );
        let m = msg(cmd::STATS, &[nest(attr::STATS, &[bad])]);
        let err = parse_stats(&m).unwrap_err();
        assert!(
            matches!(
                err,
                WireError::Malformed {
                    attr: attr::CPU,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "malformed reply: CPU: 8 bytes where 4 were expected"
        );
    }

    #[test]
    fn engine_stats_have_no_block_and_skip_unknown_attributes() {
        let m = msg(
            cmd::STATS,
            &[nest(
                attr::STATS,
                &[
                    nest(
                        attr::STAT,
                        &[
                            nla(attr::STAT_NAME, b"packets\0"),
                            nla(attr::STAT_VALUE, &3u64.to_ne_bytes()),
                        ],
                    ),
                    nla(attr::MAX + 1, &1u64.to_ne_bytes()),
                ],
            )],
        );
        let stats = parse_stats(&m).unwrap();
        assert_eq!(stats.block, None);
        assert_eq!(stats.entries, vec![stat("packets", None, 3)]);
    }

    #[test]
    fn stat_without_value_is_rejected() {
        let m = msg(
            cmd::STATS,
            &[nest(
                attr::STATS,
                &[nest(attr::STAT, &[str_nla(attr::STAT_NAME, "rx_packets")])],
            )],
        );
        assert_eq!(
            parse_stats(&m).unwrap_err(),
            WireError::Missing {
                attr: attr::STAT_VALUE,
                within: "STAT"
            }
        );
    }

    #[test]
    fn stats_at_the_top_of_the_reply() {
        // As the module sends them: no STATS nest, which a block's per-CPU
        // view on many CPUs would outgrow.
        let m = msg(
            cmd::STATS,
            &[
                str_nla(attr::BLOCK_NAME, "counter0"),
                stat_nla("packets", Some(0), 5),
                stat_nla("packets", Some(1), 7),
            ],
        );
        let parsed = parse_stats(&m).unwrap();
        assert_eq!(parsed.block.as_deref(), Some("counter0"));
        assert_eq!(
            parsed.entries,
            vec![stat("packets", Some(0), 5), stat("packets", Some(1), 7)]
        );
    }

    #[test]
    fn a_batch_longer_than_an_attribute_goes_as_several_arrays() {
        let names: Vec<String> = (0..3000).map(|i| format!("{i:0>31}")).collect();
        let requests: Vec<Request<'_>> = names
            .iter()
            .map(|name| Request::Add {
                name,
                kind: "forward",
                options: &[],
            })
            .collect();
        let attrs = batch_attrs(&requests, Some(4), false).unwrap();
        let arrays: Vec<_> = attrs
            .iter()
            .filter(|a| *a.nla_type().nla_type() == attr::REQUESTS)
            .collect();
        assert!(arrays.len() > 1, "{} arrays", arrays.len());
        // Every element, in order, in arrays that each fit an attribute.
        let mut seen = Vec::new();
        for array in arrays {
            assert!(usize::from(*array.nla_len()) <= usize::from(u16::MAX));
            let elements = Fields::nest(array, "REQUESTS").unwrap();
            for element in elements.attrs.iter() {
                seen.push(
                    Fields::nest(element, "request")
                        .unwrap()
                        .string(attr::BLOCK_NAME)
                        .unwrap(),
                );
            }
        }
        assert_eq!(seen, names);
        let top = Fields {
            attrs,
            within: "message",
        };
        assert_eq!(top.u32(attr::REVISION).unwrap(), 4);
    }

    #[test]
    fn type_and_attachment_parse() {
        let t = msg(
            cmd::TYPES,
            &[nest(
                attr::TYPE,
                &[
                    str_nla(attr::BLOCK_TYPE, "counter"),
                    str_nla(attr::DESCRIPTION, "counts packets"),
                ],
            )],
        );
        assert_eq!(
            parse_type(&t).unwrap(),
            TypeInfo {
                name: "counter".into(),
                description: "counts packets".into(),
                keys: vec![],
            }
        );
        let a = msg(
            cmd::ATTACHMENTS,
            &[nest(
                attr::ATTACHMENT,
                &[
                    str_nla(attr::DEV_NAME, "veth0"),
                    nla(attr::DEV_IFINDEX, &4u32.to_ne_bytes()),
                    str_nla(attr::BLOCK_NAME, "in0"),
                    str_nla(attr::SIDE, "bottom"),
                ],
            )],
        );
        assert_eq!(
            parse_attachment(&a).unwrap(),
            Attachment {
                dev: "veth0".into(),
                ifindex: 4,
                block: "in0".into(),
                side: "bottom".into(),
                tag: None,
            }
        );
    }

    /// The attributes of a request as (type, payload) pairs.
    fn encoded(req: Request<'_>) -> Vec<(u16, Vec<u8>)> {
        req.attrs()
            .unwrap()
            .iter()
            .map(|a| (*a.nla_type().nla_type(), a.nla_payload().as_ref().to_vec()))
            .collect()
    }

    #[test]
    fn reset_names_the_block() {
        let req = Request::Reset { name: "c1" };
        assert_eq!(req.cmd(), cmd::RESET);
        assert_eq!(encoded(req), vec![(attr::BLOCK_NAME, b"c1\0".to_vec())]);
    }

    #[test]
    fn replace_carries_drop_state_only_when_asked() {
        let base = vec![
            (attr::BLOCK_NAME, b"c1\0".to_vec()),
            (attr::NEW_NAME, b"c2\0".to_vec()),
        ];
        let keep = Request::Replace {
            old: "c1",
            new: "c2",
            drop_state: false,
        };
        assert_eq!(keep.cmd(), cmd::REPLACE);
        assert_eq!(encoded(keep), base);
        let mut dropped = base.clone();
        dropped.push((attr::DROP_STATE, vec![]));
        let drop = Request::Replace {
            old: "c1",
            new: "c2",
            drop_state: true,
        };
        assert_eq!(encoded(drop), dropped);
    }

    #[test]
    fn rm_carries_cascade_only_when_asked() {
        let plain = Request::Rm {
            name: "c1",
            cascade: false,
        };
        assert_eq!(plain.cmd(), cmd::RM);
        assert_eq!(encoded(plain), vec![(attr::BLOCK_NAME, b"c1\0".to_vec())]);
        let cascade = Request::Rm {
            name: "c1",
            cascade: true,
        };
        assert_eq!(
            encoded(cascade),
            vec![
                (attr::BLOCK_NAME, b"c1\0".to_vec()),
                (attr::CASCADE, vec![])
            ]
        );
    }

    #[test]
    fn unbind_carries_cascade_only_when_forced() {
        let names = vec![
            (attr::UPPER, b"top\0".to_vec()),
            (attr::LOWER, b"in0\0".to_vec()),
        ];
        let plain = Request::Unbind {
            upper: "top",
            lower: "in0",
            port: None,
            force: false,
        };
        assert_eq!(plain.cmd(), cmd::UNBIND);
        assert_eq!(encoded(plain), names);
        let forced = Request::Unbind {
            upper: "top",
            lower: "in0",
            port: None,
            force: true,
        };
        let mut expected = names.clone();
        expected.push((attr::CASCADE, vec![]));
        assert_eq!(encoded(forced), expected);
    }

    #[test]
    fn bind_and_unbind_carry_port_only_when_given() {
        let bind = |port| Request::Bind {
            upper: "mirror",
            lower: "t1",
            port,
        };
        let unbind = |port| Request::Unbind {
            upper: "mirror",
            lower: "t1",
            port,
            force: false,
        };
        let names = [str_nla(attr::UPPER, "mirror"), str_nla(attr::LOWER, "t1")];
        // Without a port: exactly today's encoding.
        assert_eq!(bind(None).cmd(), cmd::BIND);
        assert_eq!(wire_bytes(bind(None)), names.concat());
        assert_eq!(unbind(None).cmd(), cmd::UNBIND);
        assert_eq!(wire_bytes(unbind(None)), names.concat());
        // With one: a NUL-terminated PORT after the names.
        let with_port = [names.concat(), str_nla(attr::PORT, "clone")].concat();
        assert_eq!(wire_bytes(bind(Some("clone"))), with_port);
        assert_eq!(wire_bytes(unbind(Some("clone"))), with_port);
        assert_eq!(
            encoded(bind(Some("clone"))).last().unwrap(),
            &(attr::PORT, b"clone\0".to_vec())
        );
        let forced = Request::Unbind {
            upper: "mirror",
            lower: "t1",
            port: Some("clone"),
            force: true,
        };
        assert_eq!(
            encoded(forced),
            vec![
                (attr::UPPER, b"mirror\0".to_vec()),
                (attr::LOWER, b"t1\0".to_vec()),
                (attr::PORT, b"clone\0".to_vec()),
                (attr::CASCADE, vec![]),
            ]
        );
    }

    #[test]
    fn port_is_limited_like_a_block_name() {
        let longest = "p".repeat(NAME_MAX);
        assert!(Request::Bind {
            upper: "mirror",
            lower: "t1",
            port: Some(&longest),
        }
        .attrs()
        .is_ok());
        let too_long = "p".repeat(NAME_MAX + 1);
        let err = Request::Unbind {
            upper: "mirror",
            lower: "t1",
            port: Some(&too_long),
            force: false,
        }
        .attrs()
        .unwrap_err();
        assert_eq!(
            err,
            WireError::BadName {
                attr: attr::PORT,
                name: too_long.clone(),
                max: NAME_MAX
            }
        );
        assert_eq!(
            err.to_string(),
            format!("port name \"{too_long}\" is 32 bytes long, the limit is {NAME_MAX}")
        );
        assert_eq!(
            Request::Bind {
                upper: "mirror",
                lower: "t1",
                port: Some(""),
            }
            .attrs()
            .unwrap_err()
            .to_string(),
            format!("port name must not be empty (at most {NAME_MAX} bytes)")
        );
    }

    #[test]
    fn stats_carry_per_cpu_only_when_asked() {
        let engine = Request::Stats {
            block: None,
            per_cpu: true,
        };
        assert_eq!(engine.cmd(), cmd::STATS);
        assert_eq!(encoded(engine), vec![(attr::PER_CPU, vec![])]);
        let block = Request::Stats {
            block: Some("c1"),
            per_cpu: false,
        };
        assert_eq!(encoded(block), vec![(attr::BLOCK_NAME, b"c1\0".to_vec())]);
        let block = Request::Stats {
            block: Some("c1"),
            per_cpu: true,
        };
        assert_eq!(
            encoded(block),
            vec![
                (attr::BLOCK_NAME, b"c1\0".to_vec()),
                (attr::PER_CPU, vec![])
            ]
        );
    }

    #[test]
    fn show_names_the_block() {
        let show = Request::Show { name: "c1" };
        assert_eq!(show.cmd(), cmd::SHOW);
        assert_eq!(encoded(show), vec![(attr::BLOCK_NAME, b"c1\0".to_vec())]);
        let too_long = "n".repeat(NAME_MAX + 1);
        assert!(matches!(
            Request::Show { name: &too_long }.attrs(),
            Err(WireError::BadName {
                attr: attr::BLOCK_NAME,
                ..
            })
        ));
    }

    /// A `SHOW` reply as the kernel builds it: the `BLOCK` nest (with
    /// `extra` after the block's own attributes), then `CONFIG` holding
    /// `config` (none when `None`, as an older module sends), then `STATS`.
    fn show_msg(extra: &[Vec<u8>], config: Option<&[Vec<u8>]>, stats: &[Vec<u8>]) -> LanaMsg {
        let mut children = vec![
            nla(attr::BLOCK_ID, &1u32.to_ne_bytes()),
            str_nla(attr::BLOCK_NAME, "c1"),
            str_nla(attr::BLOCK_TYPE, "counter"),
        ];
        children.extend_from_slice(extra);
        let mut top = vec![nest(attr::BLOCK, &children)];
        top.extend(config.map(|options| nest(attr::CONFIG, options)));
        top.push(nest(attr::STATS, stats));
        msg(cmd::SHOW, &top)
    }

    #[test]
    fn show_lists_at_the_top_of_the_reply() {
        // As the module sends them: the lists after the BLOCK nest, which
        // thousands of subscribers would outgrow.
        let subscribers: Vec<String> = (0..2000).map(|i| format!("{i:0>31}")).collect();
        let mut top = vec![nest(
            attr::BLOCK,
            &[
                nla(attr::BLOCK_ID, &1u32.to_ne_bytes()),
                str_nla(attr::BLOCK_NAME, "c1"),
                str_nla(attr::BLOCK_TYPE, "counter"),
            ],
        )];
        top.extend(subscribers.iter().map(|s| str_nla(attr::SUBSCRIBER, s)));
        top.push(str_nla(attr::DEV_NAME, "lana_d0"));
        top.push(str_nla(attr::PORT_BINDING, "clone=mirror"));
        top.push(str_nla(attr::SUBSCRIBED_TO, "w1"));
        top.push(nest(attr::STATS, &[stat_nla("packets", None, 1)]));
        let detail = parse_show(&msg(cmd::SHOW, &top)).unwrap();
        assert_eq!(detail.subscribers, subscribers);
        assert_eq!(detail.devices, vec!["lana_d0".to_string()]);
        assert_eq!(detail.ports, vec![("clone".into(), "mirror".into())]);
        assert_eq!(detail.subscribed_to, vec!["w1".to_string()]);
    }

    #[test]
    fn show_with_every_part() {
        let m = show_msg(
            &[
                str_nla(attr::UPPER, "f1"),
                str_nla(attr::LOWER, "in0"),
                str_nla(attr::SUBSCRIBED_TO, "w1"),
                str_nla(attr::SUBSCRIBER, "a"),
                str_nla(attr::SUBSCRIBER, "b"),
                str_nla(attr::DEV_NAME, "lana_d0"),
                str_nla(attr::DEV_NAME, "lana_d1"),
                str_nla(attr::PORT_BINDING, "clone=mirror"),
                str_nla(attr::PORT_BINDING, "out=sink"),
                // Newer attributes are skipped.
                nla(attr::MAX + 1, &1u32.to_ne_bytes()),
            ],
            Some(&[
                str_nla(attr::OPTION, "reason=acl"),
                str_nla(attr::OPTION, "limit=a=b"),
            ]),
            &[
                stat_nla("packets", None, 100),
                stat_nla("bytes", None, 6000),
                stat_nla("events", None, 3),
            ],
        );
        assert_eq!(
            parse_show(&m).unwrap(),
            BlockDetail {
                block: Block {
                    id: 1,
                    name: "c1".into(),
                    kind: "counter".into(),
                    upper: Some("f1".into()),
                    lower: Some("in0".into()),
                },
                devices: vec!["lana_d0".into(), "lana_d1".into()],
                ports: vec![
                    ("clone".into(), "mirror".into()),
                    ("out".into(), "sink".into()),
                ],
                subscribed_to: vec!["w1".into()],
                subscribers: vec!["a".into(), "b".into()],
                config: vec![
                    ("reason".into(), "acl".into()),
                    ("limit".into(), "a=b".into()),
                ],
                stats: vec![
                    stat("packets", None, 100),
                    stat("bytes", None, 6000),
                    stat("events", None, 3),
                ],
            }
        );
    }

    #[test]
    fn show_without_optional_parts() {
        let detail = parse_show(&show_msg(&[], Some(&[]), &[])).unwrap();
        assert_eq!(
            detail,
            BlockDetail {
                block: Block {
                    id: 1,
                    name: "c1".into(),
                    kind: "counter".into(),
                    upper: None,
                    lower: None,
                },
                devices: vec![],
                ports: vec![],
                subscribed_to: vec![],
                subscribers: vec![],
                config: vec![],
                stats: vec![],
            }
        );
        // A module older than configuration sends no CONFIG at all.
        assert_eq!(parse_show(&show_msg(&[], None, &[])).unwrap(), detail);
    }

    #[test]
    fn show_reply_lacking_a_part_is_rejected() {
        let block = nest(
            attr::BLOCK,
            &[
                nla(attr::BLOCK_ID, &1u32.to_ne_bytes()),
                str_nla(attr::BLOCK_NAME, "c1"),
                str_nla(attr::BLOCK_TYPE, "counter"),
            ],
        );
        let no_stats = msg(cmd::SHOW, &[block]);
        assert_eq!(
            parse_show(&no_stats).unwrap_err(),
            WireError::Missing {
                attr: attr::STATS,
                within: "message"
            }
        );
        let no_block = msg(cmd::SHOW, &[nest(attr::STATS, &[])]);
        assert_eq!(
            parse_show(&no_block).unwrap_err(),
            WireError::Missing {
                attr: attr::BLOCK,
                within: "message"
            }
        );
        let no_type = msg(
            cmd::SHOW,
            &[
                nest(
                    attr::BLOCK,
                    &[
                        nla(attr::BLOCK_ID, &1u32.to_ne_bytes()),
                        str_nla(attr::BLOCK_NAME, "c1"),
                    ],
                ),
                nest(attr::STATS, &[]),
            ],
        );
        assert_eq!(
            parse_show(&no_type).unwrap_err().to_string(),
            "malformed reply: BLOCK lacks BLOCK_TYPE"
        );
    }

    #[test]
    fn malformed_port_binding_is_rejected() {
        let reply = |binding: &str| {
            show_msg(
                &[
                    str_nla(attr::DEV_NAME, "lana_d0"),
                    str_nla(attr::PORT_BINDING, "clone=mirror"),
                    str_nla(attr::PORT_BINDING, binding),
                ],
                Some(&[]),
                &[],
            )
        };
        let err = parse_show(&reply("clone")).unwrap_err();
        assert_eq!(
            err,
            WireError::Malformed {
                attr: attr::PORT_BINDING,
                why: "\"clone\" is not port=block".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "malformed reply: PORT_BINDING: \"clone\" is not port=block"
        );
        for bad in ["=mirror", "clone=", ""] {
            assert!(
                matches!(
                    parse_show(&reply(bad)),
                    Err(WireError::Malformed {
                        attr: attr::PORT_BINDING,
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn event_without_peer_or_device() {
        let m = msg(
            cmd::EVENT,
            &[
                str_nla(attr::EVENT, "add"),
                str_nla(attr::BLOCK_NAME, "in0"),
            ],
        );
        assert_eq!(
            parse_event(&m).unwrap(),
            Event {
                kind: "add".into(),
                block: "in0".into(),
                peer: None,
                dev: None,
            }
        );
    }

    #[test]
    fn event_with_peer_and_device_skips_unknown_attributes() {
        let m = msg(
            cmd::EVENT,
            &[
                nla(attr::MAX + 1, &1u32.to_ne_bytes()),
                str_nla(attr::DEV_NAME, "veth0"),
                str_nla(attr::PEER, "in0"),
                str_nla(attr::BLOCK_NAME, "top"),
                str_nla(attr::EVENT, "bind"),
                // Another attribute's number space: must not be taken for
                // the block name.
                str_nla(attr::UPPER, "other"),
            ],
        );
        assert_eq!(
            parse_event(&m).unwrap(),
            Event {
                kind: "bind".into(),
                block: "top".into(),
                peer: Some("in0".into()),
                dev: Some("veth0".into()),
            }
        );
    }

    #[test]
    fn event_missing_block_or_kind_is_rejected() {
        let m = msg(
            cmd::EVENT,
            &[
                str_nla(attr::EVENT, "attach"),
                str_nla(attr::DEV_NAME, "veth0"),
            ],
        );
        let err = parse_event(&m).unwrap_err();
        assert_eq!(
            err,
            WireError::Missing {
                attr: attr::BLOCK_NAME,
                within: "event"
            }
        );
        assert_eq!(err.to_string(), "malformed reply: event lacks BLOCK_NAME");

        let m = msg(cmd::EVENT, &[str_nla(attr::BLOCK_NAME, "in0")]);
        assert_eq!(
            parse_event(&m).unwrap_err(),
            WireError::Missing {
                attr: attr::EVENT,
                within: "event"
            }
        );
    }

    #[test]
    fn subscribe_names_the_subscriber_and_its_peer() {
        let expected = vec![
            (attr::BLOCK_NAME, b"top\0".to_vec()),
            (attr::PEER, b"in0\0".to_vec()),
        ];
        let sub = Request::Subscribe {
            block: "top",
            target: "in0",
        };
        assert_eq!(sub.cmd(), cmd::SUBSCRIBE);
        assert_eq!(encoded(sub), expected);
        let unsub = Request::Unsubscribe {
            block: "top",
            target: "in0",
        };
        assert_eq!(unsub.cmd(), cmd::UNSUBSCRIBE);
        assert_eq!(encoded(unsub), expected);
        let too_long = "n".repeat(NAME_MAX + 1);
        assert!(matches!(
            Request::Subscribe {
                block: "top",
                target: &too_long,
            }
            .attrs(),
            Err(WireError::BadName {
                attr: attr::PEER,
                ..
            })
        ));
    }

    #[test]
    fn requests_carry_nul_terminated_names() {
        let req = Request::Add {
            name: "in0",
            kind: "counter",
            options: &[],
        };
        assert_eq!(req.cmd(), cmd::ADD);
        assert_eq!(
            encoded(req),
            vec![
                (attr::BLOCK_NAME, b"in0\0".to_vec()),
                (attr::BLOCK_TYPE, b"counter\0".to_vec())
            ]
        );
        let req = Request::Bind {
            upper: "a",
            lower: "b",
            port: None,
        };
        assert_eq!(req.cmd(), cmd::BIND);
        assert_eq!(
            encoded(req),
            vec![
                (attr::UPPER, b"a\0".to_vec()),
                (attr::LOWER, b"b\0".to_vec())
            ]
        );
        assert_eq!(
            encoded(Request::Stats {
                block: None,
                per_cpu: false
            }),
            vec![]
        );
    }

    #[test]
    fn name_longer_than_name_max_is_rejected() {
        let longest = "n".repeat(NAME_MAX);
        assert!(Request::Rm {
            name: &longest,
            cascade: false
        }
        .attrs()
        .is_ok());
        let too_long = "n".repeat(NAME_MAX + 1);
        let err = Request::Add {
            name: &too_long,
            kind: "counter",
            options: &[],
        }
        .attrs()
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("block name \"{too_long}\" is 32 bytes long, the limit is {NAME_MAX}")
        );
    }

    #[test]
    fn overlong_device_and_empty_names_are_rejected() {
        let err = Request::Detach {
            dev: "sixteen-chars-xx",
            tag: None,
        }
        .attrs()
        .unwrap_err();
        assert!(matches!(
            err,
            WireError::BadName {
                attr: attr::DEV_NAME,
                max: 15,
                ..
            }
        ));
        assert_eq!(
            Request::Rm {
                name: "",
                cascade: false
            }
            .attrs()
            .unwrap_err()
            .to_string(),
            format!("block name must not be empty (at most {NAME_MAX} bytes)")
        );
    }

    /// The attributes of a request exactly as they go on the wire, flags
    /// and padding included.
    fn wire_bytes(req: Request<'_>) -> Vec<u8> {
        use neli::ToBytes;
        let mut out = Cursor::new(Vec::new());
        for nla in req.attrs().unwrap().iter() {
            nla.to_bytes(&mut out).unwrap();
        }
        out.into_inner()
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn add_with_options_carries_a_nested_options_attribute() {
        let options = strings(&["reason=acl", "limit=5", "reason=x=y"]);
        let req = Request::Add {
            name: "d1",
            kind: "drop",
            options: &options,
        };
        assert_eq!(req.cmd(), cmd::ADD);
        // NLA_F_NESTED set on OPTIONS, one NUL-terminated OPTION per
        // option, in command-line order.
        let expected = [
            str_nla(attr::BLOCK_NAME, "d1"),
            str_nla(attr::BLOCK_TYPE, "drop"),
            nest(
                attr::OPTIONS,
                &[
                    str_nla(attr::OPTION, "reason=acl"),
                    str_nla(attr::OPTION, "limit=5"),
                    str_nla(attr::OPTION, "reason=x=y"),
                ],
            ),
        ]
        .concat();
        assert_eq!(wire_bytes(req), expected);
        let nest_type = u16::from_ne_bytes([expected[22], expected[23]]);
        assert_eq!(nest_type, attr::OPTIONS | NESTED);
    }

    #[test]
    fn add_without_options_has_no_options_attribute() {
        let req = Request::Add {
            name: "in0",
            kind: "counter",
            options: &[],
        };
        assert_eq!(
            wire_bytes(req),
            [
                str_nla(attr::BLOCK_NAME, "in0"),
                str_nla(attr::BLOCK_TYPE, "counter"),
            ]
            .concat()
        );
    }

    #[test]
    fn set_names_the_block_and_nests_the_options() {
        let options = strings(&["reason=policy", "a="]);
        let req = Request::Set {
            name: "d1",
            options: &options,
        };
        assert_eq!(req.cmd(), cmd::SET);
        assert_eq!(
            wire_bytes(req),
            [
                str_nla(attr::BLOCK_NAME, "d1"),
                nest(
                    attr::OPTIONS,
                    &[
                        str_nla(attr::OPTION, "reason=policy"),
                        str_nla(attr::OPTION, "a="),
                    ],
                ),
            ]
            .concat()
        );
    }

    #[test]
    fn get_names_the_block() {
        let req = Request::Get { name: "d1" };
        assert_eq!(req.cmd(), cmd::GET);
        assert_eq!(encoded(req), vec![(attr::BLOCK_NAME, b"d1\0".to_vec())]);
        let too_long = "n".repeat(NAME_MAX + 1);
        assert!(matches!(
            Request::Get { name: &too_long }.attrs(),
            Err(WireError::BadName {
                attr: attr::BLOCK_NAME,
                ..
            })
        ));
    }

    /// The error for `options`, given to `add` and to `set`: both must
    /// refuse alike.
    fn option_error(options: &[&str]) -> WireError {
        let options = strings(options);
        let add = Request::Add {
            name: "d1",
            kind: "drop",
            options: &options,
        }
        .attrs()
        .unwrap_err();
        let set = Request::Set {
            name: "d1",
            options: &options,
        }
        .attrs()
        .unwrap_err();
        assert_eq!(add, set);
        add
    }

    #[test]
    fn malformed_options_are_refused_before_sending() {
        let err = option_error(&["reason=acl", "reason"]);
        assert_eq!(
            err,
            WireError::BadOption {
                option: "reason".into(),
                why: OptionProblem::NoEquals
            }
        );
        assert_eq!(err.to_string(), "option \"reason\" is not KEY=VALUE");

        let err = option_error(&["=acl"]);
        assert_eq!(
            err,
            WireError::BadOption {
                option: "=acl".into(),
                why: OptionProblem::EmptyKey
            }
        );
        assert_eq!(
            err.to_string(),
            "option \"=acl\" has an empty key (expected KEY=VALUE)"
        );
        assert!(matches!(
            option_error(&[""]),
            WireError::BadOption {
                why: OptionProblem::NoEquals,
                ..
            }
        ));
    }

    #[test]
    fn option_longer_than_option_max_is_refused() {
        let longest = format!("k={}", "v".repeat(OPTION_MAX - 2));
        assert_eq!(longest.len(), OPTION_MAX);
        let ok = [longest.clone()];
        assert!(Request::Set {
            name: "d1",
            options: &ok
        }
        .attrs()
        .is_ok());
        let too_long = format!("{longest}v");
        let err = option_error(&["a=b", &too_long]);
        assert_eq!(
            err,
            WireError::BadOption {
                option: too_long.clone(),
                why: OptionProblem::TooLong { max: OPTION_MAX }
            }
        );
        assert_eq!(
            err.to_string(),
            format!(
                "option \"{too_long}\" is {} bytes long, the limit is {OPTION_MAX}",
                OPTION_MAX + 1
            )
        );
    }

    #[test]
    fn options_beyond_one_attribute_are_refused() {
        // Each longest option takes `per` bytes once encoded (header, text,
        // NUL, padding): `fit` of them fit in a nest's u16 length, one more
        // does not.
        let one = format!("k={}", "v".repeat(OPTION_MAX - 2));
        let per = 4 + (OPTION_MAX + 1).next_multiple_of(4);
        let fit = (65532 - 4) / per;
        let options = vec![one.clone(); fit];
        let attrs = Request::Set {
            name: "d1",
            options: &options,
        }
        .attrs()
        .unwrap();
        let nest = attrs.iter().last().unwrap();
        assert_eq!(usize::from(*nest.nla_len()), 4 + fit * per);
        let err = option_error(&vec![one.as_str(); fit + 1]);
        assert_eq!(
            err,
            WireError::OptionsTooLong {
                bytes: 4 + (fit + 1) * per,
                max: 65532
            }
        );
        assert_eq!(
            err.to_string(),
            format!(
                "the options take {} bytes once encoded, the limit is 65532; give fewer of them",
                4 + (fit + 1) * per
            )
        );
    }

    #[test]
    fn get_reply_parses_in_kernel_order() {
        let m = msg(
            cmd::GET,
            &[
                str_nla(attr::BLOCK_NAME, "d1"),
                nest(
                    attr::CONFIG,
                    &[
                        str_nla(attr::OPTION, "reason=acl"),
                        // Newer attributes are skipped.
                        nla(attr::MAX + 1, &1u32.to_ne_bytes()),
                        str_nla(attr::OPTION, "limit=a=b"),
                        str_nla(attr::OPTION, "empty="),
                    ],
                ),
            ],
        );
        assert_eq!(
            parse_get(&m).unwrap(),
            BlockConfig {
                block: "d1".into(),
                config: vec![
                    ("reason".into(), "acl".into()),
                    ("limit".into(), "a=b".into()),
                    ("empty".into(), "".into()),
                ],
            }
        );
        let keyless = msg(
            cmd::GET,
            &[str_nla(attr::BLOCK_NAME, "c1"), nest(attr::CONFIG, &[])],
        );
        assert_eq!(
            parse_get(&keyless).unwrap(),
            BlockConfig {
                block: "c1".into(),
                config: vec![],
            }
        );
    }

    #[test]
    fn malformed_get_reply_is_rejected() {
        let no_config = msg(cmd::GET, &[str_nla(attr::BLOCK_NAME, "d1")]);
        assert_eq!(
            parse_get(&no_config).unwrap_err().to_string(),
            "malformed reply: message lacks CONFIG"
        );
        let no_name = msg(cmd::GET, &[nest(attr::CONFIG, &[])]);
        assert_eq!(
            parse_get(&no_name).unwrap_err(),
            WireError::Missing {
                attr: attr::BLOCK_NAME,
                within: "message"
            }
        );
        let bad = msg(
            cmd::GET,
            &[
                str_nla(attr::BLOCK_NAME, "d1"),
                nest(attr::CONFIG, &[str_nla(attr::OPTION, "reason")]),
            ],
        );
        assert_eq!(
            parse_get(&bad).unwrap_err().to_string(),
            "malformed reply: OPTION: \"reason\" is not key=value"
        );
    }

    fn key_nla(name: &str, syntax: &str, default: &str, description: &str) -> Vec<u8> {
        nest(
            attr::KEY,
            &[
                str_nla(attr::KEY_NAME, name),
                str_nla(attr::KEY_SYNTAX, syntax),
                str_nla(attr::KEY_DEFAULT, default),
                str_nla(attr::DESCRIPTION, description),
            ],
        )
    }

    #[test]
    fn type_with_keys_keeps_their_order() {
        let t = msg(
            cmd::TYPES,
            &[nest(
                attr::TYPE,
                &[
                    str_nla(attr::BLOCK_TYPE, "drop"),
                    str_nla(attr::DESCRIPTION, "drops every packet, counted"),
                    key_nla("reason", "label", "drop", "why this block drops"),
                    nla(attr::MAX + 1, &1u32.to_ne_bytes()),
                    key_nla("limit", "0-100", "", "how many"),
                ],
            )],
        );
        assert_eq!(
            parse_type(&t).unwrap(),
            TypeInfo {
                name: "drop".into(),
                description: "drops every packet, counted".into(),
                keys: vec![
                    KeyInfo {
                        name: "reason".into(),
                        syntax: "label".into(),
                        default: "drop".into(),
                        description: "why this block drops".into(),
                    },
                    KeyInfo {
                        name: "limit".into(),
                        syntax: "0-100".into(),
                        default: "".into(),
                        description: "how many".into(),
                    },
                ],
            }
        );
    }

    #[test]
    fn key_lacking_a_part_is_rejected() {
        let t = msg(
            cmd::TYPES,
            &[nest(
                attr::TYPE,
                &[
                    str_nla(attr::BLOCK_TYPE, "drop"),
                    str_nla(attr::DESCRIPTION, "drops"),
                    nest(
                        attr::KEY,
                        &[
                            str_nla(attr::KEY_NAME, "reason"),
                            str_nla(attr::KEY_SYNTAX, "label"),
                            str_nla(attr::DESCRIPTION, "why"),
                        ],
                    ),
                ],
            )],
        );
        assert_eq!(
            parse_type(&t).unwrap_err().to_string(),
            "malformed reply: KEY lacks KEY_DEFAULT"
        );
    }
}
