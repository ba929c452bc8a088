//! l2echo-gen-docs OUT_DIR: writes OUT_DIR/man/NAME.1 and
//! OUT_DIR/completions/NAME (bash) for each binary, from the same clap
//! definitions that parse its command line, so `man` and `--help` agree. The
//! DPDK programs' completions (the servers', l2_load's) offer EAL's options
//! before `--` and theirs after.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Command;
use clap_complete::{generate, shells::Bash};
use dpdk_echo::cli::{Options, L2_ECHO_ABOUT, L2_MULTI_ECHO_ABOUT};

fn commands() -> Vec<Command> {
    vec![
        Options::command_for("l2_echo", L2_ECHO_ABOUT),
        Options::command_for("l2_multi_echo", L2_MULTI_ECHO_ABOUT),
        dpdk_echo::load::cli::Options::command(),
        l2_ping::cli::Options::command(),
    ]
}

/// clap_mangen's page, with two sections of ours: the synopsis from the
/// usage line `--help` shows (the servers' `[EAL OPTIONS] [-- OPTIONS]`, which
/// clap_mangen would list as bare options), and the text after `--help`'s
/// options, kept line for line (its examples and lists are laid out by hand).
fn write_man(cmd: &Command, dir: &Path) -> Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    let usage = cmd.clone().render_usage().to_string();
    let usage = usage.strip_prefix("Usage: ").unwrap_or(&usage);
    let (name, rest) = usage.split_once(' ').unwrap_or((usage, ""));
    page.extend(format!(".SH SYNOPSIS\n\\fB{}\\fR {}\n", roff_escape(name), roff_escape(rest)).bytes());
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    if let Some(notes) = cmd.get_after_long_help().or_else(|| cmd.get_after_help()) {
        page.extend(format!(".SH NOTES\n.nf\n{}\n.fi\n", roff_escape(&notes.to_string())).bytes());
    }
    man.render_version_section(&mut page)?;
    let path = dir.join(format!("{}.1", cmd.get_name()));
    fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))
}

/// Plain text as roff: backslashes and hyphens escaped, no line taken for a
/// request (a leading `.` or `'`).
fn roff_escape(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.replace('\\', "\\e").replace('-', "\\-");
            if line.starts_with(['.', '\'']) {
                format!("\\&{line}")
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The EAL options a user of the servers reaches for (DPDK's full list is in
/// its guide), offered before `--`.
const EAL_OPTIONS: &str = "-l --lcores -c --main-lcore -n -a --allow -b --block --vdev -d --file-prefix \
     --in-memory --no-huge -m --socket-mem --huge-dir --huge-unlink --no-pci --no-telemetry --proc-type \
     --iova-mode --log-level -v --help";

/// For a server, bash completion in two parts: EAL's options up to `--`, then
/// clap's completion of the server's own options, given the words after `--`
/// as if they were the whole command line. Registered after clap's, so it
/// takes the command over.
fn eal_then_app_completion(name: &str) -> String {
    format!(
        r#"
_{name}_eal_then_app() {{
    local i
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ ${{COMP_WORDS[i]}} == -- ]]; then
            local COMP_WORDS=("$1" "${{COMP_WORDS[@]:i+1}}") COMP_CWORD=$((COMP_CWORD - i))
            _{name} "$1" "$2" "$3"
            return
        fi
    done
    if [[ $2 == -* || $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W "{EAL_OPTIONS} --" -- "$2"))
    fi
}}
complete -F _{name}_eal_then_app -o bashdefault -o default {name}
"#
    )
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out] = args.as_slice() else {
        bail!("usage: l2echo-gen-docs OUT_DIR");
    };
    let (man, completions) = (PathBuf::from(out).join("man"), PathBuf::from(out).join("completions"));
    for dir in [&man, &completions] {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    for mut cmd in commands() {
        write_man(&cmd, &man)?;
        // Named after the command, as bash-completion looks it up.
        let name = cmd.get_name().to_string();
        let mut script = Vec::new();
        generate(Bash, &mut cmd, &name, &mut script);
        if name != "l2_ping" {
            script.extend(eal_then_app_completion(&name).bytes());
        }
        let path = completions.join(&name);
        fs::write(&path, script).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
