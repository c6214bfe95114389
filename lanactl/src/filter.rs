// SPDX-License-Identifier: GPL-2.0-only

//! pcap filter expressions, compiled by libpcap into classic BPF for the
//! kernel's `bpf` block.
//!
//! `lanactl set f filter='udp and dst port 53'` sends the expression as the
//! block's `filter` key (for people to read back) and the program libpcap
//! compiled it into as `cbpf`, in the bytecode format of iptables' xt_bpf
//! (`N,code jt jf k,...`, what `tcpdump -ddd` prints), which the kernel
//! checks and runs.

use std::fmt;

use pcap::{Capture, Linktype};

/// A filter expression libpcap could not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub expr: String,
    pub why: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "filter \"{}\" does not compile: {}", self.expr, self.why)
    }
}

impl std::error::Error for FilterError {}

/// `expr` compiled for Ethernet frames, as xt_bpf bytecode.
pub fn compile(expr: &str) -> Result<String, FilterError> {
    let error = |why: String| FilterError {
        expr: expr.to_owned(),
        why,
    };
    let capture = Capture::dead(Linktype::ETHERNET).map_err(|e| error(e.to_string()))?;
    let program = capture
        .compile(expr, true)
        .map_err(|e| error(e.to_string()))?;
    let insns = program.get_instructions();
    let mut bytecode = insns.len().to_string();
    for insn in insns {
        bytecode.push(',');
        bytecode.push_str(&insn.to_string());
    }
    Ok(bytecode)
}

/// `options` with a `cbpf=` compiled from each `filter=` (unless `cbpf=` is
/// given too, in which case the user's program is what they meant).
pub fn expand(options: &[String]) -> Result<Vec<String>, FilterError> {
    let has_cbpf = options.iter().any(|o| o.starts_with("cbpf="));
    let mut out = Vec::with_capacity(options.len() + 1);
    for option in options {
        out.push(option.clone());
        if let Some(expr) = option.strip_prefix("filter=") {
            if !has_cbpf {
                out.push(format!("cbpf={}", compile(expr)?));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn compiles_like_tcpdump() {
        let ours = compile("udp and dst port 53").unwrap();
        // tcpdump prints the same program with libpcap, one field per line.
        let Ok(out) = Command::new("tcpdump")
            .args(["-ddd", "-y", "EN10MB", "udp and dst port 53"])
            .output()
        else {
            return; // tcpdump not installed: nothing to compare with.
        };
        let text = String::from_utf8(out.stdout).unwrap();
        let theirs: Vec<&str> = text.lines().collect();
        // The two differ only in the snapshot length a passing `ret` carries,
        // which the kernel's block ignores (no truncation): any non-zero.
        let passes = |insn: &str| match insn.strip_prefix("6 0 0 ") {
            Some(k) if k != "0" => "6 0 0 pass".to_owned(),
            _ => insn.to_owned(),
        };
        let ours: Vec<String> = ours.split(',').map(passes).collect();
        let theirs: Vec<String> = theirs.iter().map(|i| passes(i)).collect();
        assert_eq!(ours, theirs);
        assert_eq!(ours[0], (theirs.len() - 1).to_string());
    }

    #[test]
    fn bad_expression_is_refused_with_libpcaps_reason() {
        let err = compile("udp and dst port banana").unwrap_err();
        assert_eq!(err.expr, "udp and dst port banana");
        assert!(err
            .to_string()
            .starts_with("filter \"udp and dst port banana\" does not compile: "));
    }

    #[test]
    fn expand_adds_cbpf_after_filter_only_when_absent() {
        let opts = vec!["filter=tcp".to_owned()];
        let out = expand(&opts).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0], "filter=tcp");
        assert!(out[1].starts_with("cbpf="));
        let given = vec!["filter=tcp".to_owned(), "cbpf=1,6 0 0 0".to_owned()];
        assert_eq!(expand(&given).unwrap(), given);
        let other = vec!["reason=x".to_owned()];
        assert_eq!(expand(&other).unwrap(), other);
    }
}
