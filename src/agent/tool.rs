//! The standard Linux tools the agent calls (util-linux, e2fsprogs, ntfs-3g,
//! xfsprogs…): always with arguments, never through a shell, in the C
//! locale so their output reads the same everywhere.

use std::process::Stdio;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// Runs `program` with `args`; its stdout, or [`summary`] of what it said
/// as the error.
pub async fn run(program: &str, args: &[&str]) -> Result<String, String> {
    run_with_input(program, args, None).await
}

/// [`run`], with `input` written to its stdin (sfdisk scripts, a `y` for a
/// tool that asks before it acts).
pub async fn run_with_input(program: &str, args: &[&str], input: Option<&str>) -> Result<String, String> {
    let (code, stdout, stderr) = output(program, args, input).await?;
    if code != Some(0) {
        return Err(failure(program, code, &stdout, &stderr));
    }
    Ok(stdout)
}

/// Runs `program` to its end: its exit code (`None` when a signal ended
/// it), stdout and stderr. For tools whose exit codes carry meaning
/// (`e2fsck`: 1 means errors were corrected).
pub async fn output(
    program: &str,
    args: &[&str],
    input: Option<&str>,
) -> Result<(Option<i32>, String, String), String> {
    tracing::debug!(program, ?args, "running");
    let mut child = Command::new(program)
        .args(args)
        .env("LC_ALL", "C")
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin.write_all(text.as_bytes()).await.map_err(|e| format!("{program}: cannot write its input: {e}"))?;
    }
    let out = child.wait_with_output().await.map_err(|e| format!("{program}: {e}"))?;
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    Ok((out.status.code(), text(&out.stdout), text(&out.stderr)))
}

/// "`program` failed (exit code N): …" with [`summary`] of its messages.
pub fn failure(program: &str, code: Option<i32>, stdout: &str, stderr: &str) -> String {
    let code = code.map_or_else(|| "killed by a signal".to_owned(), |c| format!("exit code {c}"));
    let said = summary(program, if stderr.trim().is_empty() { stdout } else { stderr });
    format!("{program} failed ({code}): {said}")
}

/// What a tool said, in at most three lines joined by " / " and 400
/// characters: its version banner ("resize2fs 1.47.0 (5-Feb-2023)") and
/// blank lines left out; from its first line naming an error when there is
/// one (ntfsresize prints its progress first), else its last lines (tools
/// end with the reason).
pub fn summary(program: &str, text: &str) -> String {
    let lines: Vec<&str> =
        text.lines().map(str::trim).filter(|l| !l.is_empty()).filter(|l| !is_banner(program, l)).collect();
    let from = match lines.iter().position(|l| l.to_ascii_lowercase().contains("error")) {
        Some(first_error) => first_error,
        None => lines.len().saturating_sub(3),
    };
    let kept = lines[from..].iter().take(3).copied().collect::<Vec<_>>().join(" / ");
    if kept.is_empty() {
        return "no message".into();
    }
    match kept.char_indices().nth(400) {
        Some((cut, _)) => format!("{}…", &kept[..cut]),
        None => kept,
    }
}

/// "resize2fs 1.47.0 (5-Feb-2023)", "ntfsresize v2022.10.3 (libntfs-3g)".
fn is_banner(program: &str, line: &str) -> bool {
    let version = line.strip_prefix(program).and_then(|rest| rest.strip_prefix(' ')).map(|v| v.trim_start_matches('v'));
    version.is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn a_summary_keeps_the_reason_and_drops_the_banner() {
        let said = "resize2fs 1.47.0 (5-Feb-2023)\n\nresize2fs: New size smaller than minimum (2345)\n";
        assert_eq!(summary("resize2fs", said), "resize2fs: New size smaller than minimum (2345)");
        assert_eq!(summary("sfdisk", "a\nb\nc\nd\n"), "b / c / d");
        let ntfsresize = "Checking ...\nERROR: New size can't be less than the data.\nSee -i.\nx\ny\n";
        assert_eq!(summary("ntfsresize", ntfsresize), "ERROR: New size can't be less than the data. / See -i. / x");
        assert_eq!(summary("x", " \n"), "no message");
        assert_eq!(summary("ntfsresize", "ntfsresize v2022.10.3 (libntfs-3g)\nfine\n"), "fine");
        assert_eq!(summary("x", &"é".repeat(500)).chars().count(), 401);
    }
}
