// SPDX-License-Identifier: GPL-2.0-only

//! The manual pages: lanactl(8) and one page per subcommand, in section 8
//! (system administration) like ip, tc, nft and bpftool's, and the graph
//! file's format, lana-graph(5), written by hand (docs/lana-graph.5) and
//! shipped in lanactl so that `lanactl man DIR` writes every page.

use std::{
    io::{self, Write},
    path::{Path, PathBuf},
};

use clap::CommandFactory;

use crate::cli::Cli;

const SECTION: &str = "8";

/// lana-graph(5), the page of the graph file's format.
const GRAPH_PAGE: (&str, &str) = ("lana-graph.5", include_str!("../../docs/lana-graph.5"));

/// The pages every page may name besides lanactl's own (in roff: `\-` is
/// a dash).
const SEE_ALSO: &str = "lana\\-graph(5)";

/// The command line as the pages show it: built, so that a subcommand's
/// page is titled `lanactl-NAME`, and without the `help` subcommand,
/// which has no page.
fn command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// The page of `cmd`, in roff, with a SEE ALSO section naming the main
/// page (for a subcommand's) and lana-graph(5).
fn render(cmd: &clap::Command, main: bool, out: &mut dyn Write) -> io::Result<()> {
    clap_mangen::Man::new(cmd.clone())
        .section(SECTION)
        .source(concat!("lana-rs ", env!("CARGO_PKG_VERSION")))
        .render(out)?;
    let also = if main {
        SEE_ALSO.to_owned()
    } else {
        format!("lanactl({SECTION}), {SEE_ALSO}")
    };
    writeln!(out, ".SH \"SEE ALSO\"\n{also}")
}

/// lanactl(8), in roff.
pub(crate) fn main_page() -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    render(&command(), true, &mut out)?;
    Ok(out)
}

/// Writes every page into `dir`: lanactl.8, lanactl-NAME.8 for each
/// subcommand (lanactl-NAME-SUB.8 for theirs) and lana-graph.5. Returns
/// the files written.
pub(crate) fn write_all(dir: &Path) -> io::Result<Vec<PathBuf>> {
    fn write(
        cmd: &clap::Command,
        main: bool,
        dir: &Path,
        out: &mut Vec<PathBuf>,
    ) -> io::Result<()> {
        let name = cmd.get_display_name().unwrap_or_else(|| cmd.get_name());
        let path = dir.join(format!("{name}.{SECTION}"));
        let mut file = io::BufWriter::new(std::fs::File::create(&path)?);
        render(cmd, main, &mut file)?;
        file.flush()?;
        out.push(path);
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            write(sub, false, dir, out)?;
        }
        Ok(())
    }
    let mut written = Vec::new();
    write(&command(), true, dir, &mut written)?;
    let (name, text) = GRAPH_PAGE;
    let path = dir.join(name);
    std::fs::write(&path, text)?;
    written.push(path);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every page a page names (`NAME(8)` or `NAME(5)`) is shipped: one
    /// of the pages written, or lana-graph(5).
    #[test]
    fn pages_name_only_pages_that_are_shipped() {
        let dir = std::env::temp_dir().join(format!("lanactl-man-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let written = write_all(&dir).unwrap();
        let shipped: Vec<String> = written
            .iter()
            .map(|p| {
                let name = p.file_stem().unwrap().to_str().unwrap();
                let section = p.extension().unwrap().to_str().unwrap();
                format!("{name}({section})")
            })
            .collect();
        assert!(shipped.contains(&"lana-graph(5)".to_owned()), "{shipped:?}");
        assert!(shipped.len() > 25, "{shipped:?}");
        assert!(
            shipped.contains(&"lanactl-vlink-add(8)".to_owned()),
            "{shipped:?}"
        );
        for path in &written {
            let page = std::fs::read_to_string(path).unwrap();
            // roff escapes a name's dashes (`lanactl\-add(8)`); a hand-written
            // page puts a space before the section (`.BR lanactl (8)`).
            let text = page.replace("\\-", "-").replace(" (", "(");
            for (at, _) in text.match_indices('(') {
                // `NAME(D)`: a digit and the closing parenthesis.
                let tail = text.as_bytes().get(at + 1..at + 3);
                if !tail.is_some_and(|t| t[0].is_ascii_digit() && t[1] == b')') {
                    continue;
                }
                let start = text[..at]
                    .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                    .map_or(0, |i| i + 1);
                let named = &text[start..at + 3];
                assert!(
                    shipped.iter().any(|s| s == named),
                    "{} names {named}, which is not shipped",
                    path.display()
                );
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn main_page_is_in_section_8() {
        let page = String::from_utf8(main_page().unwrap()).unwrap();
        assert!(page.contains(".TH lanactl 8"), "{page}");
        assert!(page.contains("lana\\-graph(5)"), "{page}");
    }
}
