//! When the briefings folder is a git work tree, each edit from chat becomes a commit of that
//! one card, authored by the moderator (platform, user id and display name in the author and a
//! trailer), and an undo becomes a commit that reverts it. This runs the `git` program rather
//! than linking a git library: it is what moderators and operators already use on that work
//! tree (hooks, config and safe.directory apply as they expect), and it adds nothing to the
//! build; `gix` and `git2` would add minutes of compiling (and C code, for `git2`) for three
//! commands.
//!
//! Commits take only the edited card (`git commit --only`), so whatever else someone has staged
//! or changed in the work tree is left alone. The work tree's hooks run (an operator's
//! pre-commit hook that checks the cards refuses an edit as `dossier check` would).
//!
//! Pulls and pushes reach the network while an edit holds its topic's lock (and the replicas'
//! lock): each has a deadline, after which git and everything it started are killed, and git
//! itself gives up on a stalled transfer (`http.lowSpeedLimit`/`Time`, ssh's `ConnectTimeout`).

use crate::edit::Author;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long a pull or a push may take, unless the operator's setup says otherwise.
pub const NETWORK_DEADLINE: Duration = crate::deadlines::GIT_NETWORK;

/// ssh as git runs it for a pull or push when the operator set no `GIT_SSH_COMMAND`: never
/// asks, gives up on a host that does not answer, and on one that stops answering.
const SSH_COMMAND: &str =
    "ssh -o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=5 -o ServerAliveCountMax=2";

/// The work tree's top folder, if `root` is inside one and `git` runs.
pub fn work_tree(root: &Path) -> Option<PathBuf> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let top = String::from_utf8(out.stdout).ok()?;
    Some(PathBuf::from(top.trim_end_matches(['\n', '\r'])))
}

/// Text safe inside a git identity: no angle brackets or line breaks.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '<' | '>' | '\n' | '\r' => ' ',
            c => c,
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// `Alice <alice-example.org@matrix.dossier.invalid>`: the display name, and an address that
/// names the user and platform but can never reach anyone.
pub fn identity(a: &Author) -> String {
    let local: String =
        a.id.trim_start_matches('@')
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
    let platform = a.platform.name();
    let name = clean(&a.name);
    let name = if name.is_empty() { local.clone() } else { name };
    format!("{name} <{local}@{platform}.dossier.invalid>")
}

/// The message's trailer naming who edited.
pub fn trailer(a: &Author) -> String {
    format!(
        "Edited-from-chat-by: {} {} ({})",
        a.platform,
        clean(&a.id),
        clean(&a.name)
    )
}

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("could not run git: {0}")]
    Run(#[from] std::io::Error),
    #[error("`git {command}` failed: {stderr}")]
    Failed { command: String, stderr: String },
    #[error("`git {command}` did not finish within {} s and was stopped", .after.as_secs())]
    TimedOut { command: String, after: Duration },
}

fn git(top: &Path, args: &[&str]) -> Result<String, GitError> {
    finished(args, base(top, args).output()?)
}

/// `git` in `top`, with the committer identity and no prompts.
fn base(top: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("git");
    c.arg("-C")
        .arg(top)
        // A committer identity even where none is configured; the author is the moderator.
        .args([
            "-c",
            "user.name=dossier",
            "-c",
            "user.email=dossier@dossier.invalid",
        ])
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null());
    c
}

fn finished(args: &[&str], out: std::process::Output) -> Result<String, GitError> {
    if !out.status.success() {
        return Err(GitError::Failed {
            command: args.first().copied().unwrap_or_default().to_owned(),
            stderr: String::from_utf8_lossy(&out.stderr)
                .trim()
                .chars()
                .take(500)
                .collect(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A git command that talks to a remote: stopped (with every process it started) when it
/// has not finished within `deadline`, and told to give up on a stalled transfer itself.
fn git_network(top: &Path, args: &[&str], deadline: Duration) -> Result<String, GitError> {
    use std::io::Read;
    let mut args_with: Vec<&str> = vec![
        "-c",
        "http.lowSpeedLimit=1000",
        "-c",
        "http.lowSpeedTime=10",
    ];
    args_with.extend_from_slice(args);
    let mut c = base(top, &args_with);
    if std::env::var_os("GIT_SSH_COMMAND").is_none() && std::env::var_os("GIT_SSH").is_none() {
        c.env("GIT_SSH_COMMAND", SSH_COMMAND);
    }
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    // Its own process group, so a stop reaches the helpers git starts (ssh, git-remote-http).
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut c, 0);
    let mut child = c.spawn()?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(p) = pipe {
                let _ = p.take(1 << 20).read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let until = Instant::now() + deadline;
    let mut pause = Duration::from_millis(2);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= until {
            #[cfg(unix)]
            if let Ok(pid) = i32::try_from(child.id()) {
                // SAFETY: kill(2) with a negative pid signals that process group only: the
                // one this child leads, made above; it has no memory effects on this process.
                unsafe {
                    libc::kill(-pid, libc::SIGKILL);
                }
            }
            let _ = child.kill();
            let _ = child.wait();
            let _ = (stdout.join(), stderr.join());
            return Err(GitError::TimedOut {
                command: args.first().copied().unwrap_or_default().to_owned(),
                after: deadline,
            });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    };
    let out = std::process::Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    };
    finished(args, out)
}

/// Commit the cards at `files` (absolute) alone, in one commit authored by `by`; the new
/// commit's id.
pub fn commit(
    top: &Path,
    files: &[PathBuf],
    by: &Author,
    subject: &str,
    body: &str,
) -> Result<String, GitError> {
    let rel: Vec<String> = files
        .iter()
        .map(|f| {
            f.strip_prefix(top)
                .unwrap_or(f)
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let message = format!("{subject}\n\n{body}\n\n{}", trailer(by));
    let mut add = vec!["add", "--"];
    add.extend(rel.iter().map(String::as_str));
    git(top, &add)?;
    let author = identity(by);
    let mut commit = vec![
        "commit", "--quiet", "--only", "--author", &author, "-m", &message, "--",
    ];
    commit.extend(rel.iter().map(String::as_str));
    git(top, &commit)?;
    git(top, &["rev-parse", "HEAD"])
}

/// Take the card at `file` out of the index again, as it is in HEAD (after a refused commit).
pub fn unstage(top: &Path, file: &Path) -> Result<(), GitError> {
    let rel = file.strip_prefix(top).unwrap_or(file);
    git(top, &["reset", "--quiet", "--", &rel.to_string_lossy()]).map(|_| ())
}

/// Commit the cards as an undo put them back: a revert of `reverted`, in git's own words.
pub fn revert(
    top: &Path,
    files: &[PathBuf],
    by: &Author,
    reverted: &str,
    reverted_subject: &str,
) -> Result<String, GitError> {
    let subject = format!("Revert \"{reverted_subject}\"");
    let body = format!("This reverts commit {reverted}, from chat (`undo`).");
    // `git add` of a card the undo removed stages its removal.
    commit(top, files, by, &subject, &body)
}

/// The branch checked out (`main`), to pull and push by name.
fn branch(top: &Path) -> Result<String, GitError> {
    git(top, &["rev-parse", "--abbrev-ref", "HEAD"])
}

/// Bring the work tree up to `remote`'s copy of its branch, fast-forward only (the replicas'
/// edits all go through the remote, so there is never a merge to make here). Whether anything
/// came.
pub fn pull(top: &Path, remote: &str, deadline: Duration) -> Result<bool, GitError> {
    let before = git(top, &["rev-parse", "HEAD"])?;
    let branch = branch(top)?;
    git_network(
        top,
        &["pull", "--quiet", "--ff-only", remote, &branch],
        deadline,
    )?;
    Ok(git(top, &["rev-parse", "HEAD"])? != before)
}

/// Push the branch to `remote`. A push refused because the remote moved on (someone pushed by
/// hand, or another replica between our pull and our push) is rebased onto it and pushed again,
/// up to three times; an edit that still cannot be pushed stays committed here and goes with
/// the next push, never lost. The whole of it takes at most `deadline`.
pub fn push(top: &Path, remote: &str, deadline: Duration) -> Result<(), GitError> {
    let branch = branch(top)?;
    let refspec = format!("HEAD:{branch}");
    let until = Instant::now() + deadline;
    let left = || until.saturating_duration_since(Instant::now());
    let mut last = None;
    for _ in 0..3 {
        match git_network(top, &["push", "--quiet", remote, &refspec], left()) {
            Ok(_) => return Ok(()),
            Err(e @ GitError::TimedOut { .. }) => return Err(e),
            Err(e) => {
                last = Some(e);
                let rebased = git_network(
                    top,
                    &["pull", "--quiet", "--rebase", remote, &branch],
                    left(),
                );
                if let Err(e) = rebased {
                    // A rebase that stopped on a conflict is undone: the work tree stays as
                    // it was, with our commit on top, for an operator to look at.
                    let _ = git(top, &["rebase", "--abort"]);
                    return Err(e);
                }
            }
        }
    }
    Err(last.unwrap_or(GitError::Failed {
        command: "push".into(),
        stderr: "refused three times".into(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_name_the_user_and_reach_no_one() {
        let a = Author {
            platform: crate::platform::Platform::Matrix,
            id: "@alice:example.org".into(),
            name: "Alice <admin>\nEvil".into(),
        };
        assert_eq!(
            identity(&a),
            "Alice  admin  Evil <alice-example-org@matrix.dossier.invalid>"
        );
        assert_eq!(
            trailer(&a),
            "Edited-from-chat-by: matrix @alice:example.org (Alice  admin  Evil)"
        );
    }
}
