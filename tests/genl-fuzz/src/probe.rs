// SPDX-License-Identifier: GPL-2.0-only

//! `genl-fuzz --probe CMD FIELD...`: one hand-made request, bad on purpose,
//! and the kernel's answer (errno and extended-ACK message), for the table
//! of bad inputs in the in-guest suite.
//!
//! A FIELD is `ATTR=KIND:VALUE`: ATTR an attribute name (`block_name`, ...)
//! or number; KIND `s` (a string, NUL added), `raw` (hex bytes, as they are),
//! `u32`, `flag` (no value), `opts` (`OPTIONS`: comma-separated `OPTION`s),
//! or `reqs` (`REQUESTS`: requests separated by `/`, each a command, or
//! `none` for no command, and its fields separated by `+`).

use lana_uapi::{attr, cmd};

use crate::attr::Attr;

fn command(name: &str) -> Result<u8, String> {
    Ok(match name {
        "add" => cmd::ADD,
        "rm" => cmd::RM,
        "bind" => cmd::BIND,
        "unbind" => cmd::UNBIND,
        "attach" => cmd::ATTACH,
        "detach" => cmd::DETACH,
        "list" => cmd::LIST,
        "stats" => cmd::STATS,
        "replace" => cmd::REPLACE,
        "subscribe" => cmd::SUBSCRIBE,
        "unsubscribe" => cmd::UNSUBSCRIBE,
        "show" => cmd::SHOW,
        "set" => cmd::SET,
        "get" => cmd::GET,
        "reset" => cmd::RESET,
        "trace" => cmd::TRACE,
        "apply" => cmd::APPLY,
        "revision" => cmd::REVISION,
        n => n.parse().map_err(|_| format!("unknown command '{n}'"))?,
    })
}

fn attribute(name: &str) -> Result<u16, String> {
    Ok(match name {
        "block_name" => attr::BLOCK_NAME,
        "block_type" => attr::BLOCK_TYPE,
        "upper" => attr::UPPER,
        "lower" => attr::LOWER,
        "dev_name" => attr::DEV_NAME,
        "new_name" => attr::NEW_NAME,
        "peer" => attr::PEER,
        "port" => attr::PORT,
        "tag" => attr::TAG,
        "count" => attr::COUNT,
        "cascade" => attr::CASCADE,
        "request_cmd" => attr::REQUEST_CMD,
        "revision" => attr::REVISION,
        n => n.parse().map_err(|_| format!("unknown attribute '{n}'"))?,
    })
}

fn hex(text: &str) -> Result<Vec<u8>, String> {
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad hex '{text}'"))
        })
        .collect()
}

/// One `ATTR=KIND:VALUE` field.
fn field(text: &str) -> Result<Attr, String> {
    let (name, value) = text
        .split_once('=')
        .ok_or(format!("'{text}' is not ATTR=KIND:VALUE"))?;
    let (kind, value) = value.split_once(':').unwrap_or((value, ""));
    let ty = match kind {
        "opts" => attr::OPTIONS,
        "reqs" => attr::REQUESTS,
        _ => attribute(name)?,
    };
    Ok(match kind {
        "s" => Attr::string(ty, value),
        "raw" => Attr {
            ty,
            payload: hex(value)?,
        },
        "u32" => Attr::u32(ty, value.parse().map_err(|_| format!("bad u32 '{value}'"))?),
        "flag" => Attr::flag(ty),
        "opts" => {
            let inner: Vec<Attr> = value
                .split(',')
                .map(|o| Attr::string(attr::OPTION, o))
                .collect();
            Attr::nest(ty, &inner)
        }
        "reqs" => {
            let mut elements = Vec::new();
            for (i, request) in value.split('/').enumerate() {
                let mut parts = request.split('+');
                // `none`: a request without its command.
                let mut inner = match parts.next().unwrap_or_default() {
                    "none" => Vec::new(),
                    c => vec![Attr::u32(attr::REQUEST_CMD, u32::from(command(c)?))],
                };
                for f in parts {
                    inner.push(field(f)?);
                }
                elements.push(Attr::nest(i as u16 + 1, &inner));
            }
            Attr::nest(ty, &elements)
        }
        k => return Err(format!("unknown kind '{k}'")),
    })
}

/// The message `words` (a command, then fields) describe.
pub fn message(words: &[String]) -> Result<Vec<u8>, String> {
    let (first, fields) = words.split_first().ok_or("no command")?;
    let attrs = fields
        .iter()
        .map(|f| field(f))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(crate::seeds::message(command(first)?, &attrs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_encode_as_described() {
        let m = message(&[
            "add".into(),
            "block_name=raw:66ff".into(),
            "block_type=s:x".into(),
        ])
        .unwrap();
        assert_eq!(m[0], cmd::ADD);
        let attrs = crate::attr::decode(&m[4..]).unwrap();
        assert_eq!(
            attrs[0],
            Attr {
                ty: attr::BLOCK_NAME,
                payload: vec![0x66, 0xff]
            }
        );
        assert_eq!(attrs[1], Attr::string(attr::BLOCK_TYPE, "x"));
        let m = message(&[
            "apply".into(),
            "requests=reqs:rm+block_name=s:a/stats".into(),
        ])
        .unwrap();
        let attrs = crate::attr::decode(&m[4..]).unwrap();
        assert_eq!(attrs[0].ty & 0x3fff, attr::REQUESTS);
        assert_eq!(crate::attr::decode(&attrs[0].payload).unwrap().len(), 2);
        assert!(message(&["nope".into()]).is_err());
    }
}
