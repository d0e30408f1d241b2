//! `aiwatch-tui serve` with the real OpenSSH client: sessions inside tmux
//! (keys, a resize, quitting), two readers at once, and each refusal
//! (exec, forwarding, an unknown key, too many connections, an idle
//! session, an absurd window). Needs `ssh`, `ssh-keygen` and `tmux`;
//! `.ci/run` installs them. Missing, the test says so loudly (and fails
//! under CI).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

mod common;
#[path = "common/serve.rs"]
mod serve;

use common::{Tmux, have};
use serve::TIMEOUT;

fn prerequisites() -> bool {
    let missing: Vec<&str> = ["ssh", "ssh-keygen", "tmux"]
        .into_iter()
        .filter(|p| !have(p))
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "the serve end-to-end test cannot run under CI: missing {missing:?}"
    );
    eprintln!(
        "\n*** SKIPPED the serve end-to-end test: missing {} ***\n",
        missing.join(", ")
    );
    false
}

/// The server (a shared helper) and a private tmux server for its clients.
struct Server {
    process: serve::Server,
    tmux: Tmux,
}

impl std::ops::Deref for Server {
    type Target = serve::Server;
    fn deref(&self) -> &serve::Server {
        &self.process
    }
}

impl std::ops::DerefMut for Server {
    fn deref_mut(&mut self) -> &mut serve::Server {
        &mut self.process
    }
}

fn keygen(path: &Path) {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .unwrap();
    assert!(ok.success());
}

impl Server {
    fn start(extra: &[&str]) -> Self {
        let process = serve::Server::start(extra, "", &[]);
        let tmux = Tmux::new(
            format!("aiwatch-serve-{}-{}", std::process::id(), process.port),
            Path::new("/dev/null"),
        );
        Self { process, tmux }
    }

    fn ssh(&self, key: Option<&Path>) -> String {
        let key = key
            .map(|k| format!("-i {} -o IdentitiesOnly=yes", k.display()))
            .unwrap_or_default();
        format!(
            "ssh -F /dev/null {key} -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p {} reader@127.0.0.1",
            self.port
        )
    }

    fn run(&self, args: &str) -> Output {
        Command::new("sh")
            .args(["-c", &format!("{} {args}", self.ssh(None))])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn open(&self, session: &str, cols: u16, rows: u16) {
        let command = format!("{} -tt; echo ssh-exit=$?; sleep 60", self.ssh(None));
        self.tmux.run(&[
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            &cols.to_string(),
            "-y",
            &rows.to_string(),
            &command,
        ]);
    }

    fn wait_for(&self, session: &str, text: &str) {
        self.tmux
            .wait_for(session, text, || format!("server log:\n{}", self.log()));
    }

    /// The pane's terminal modes after a session: alternate screen,
    /// cursor shown, and the four mouse modes.
    fn modes(&self, session: &str) -> String {
        self.tmux
            .run(&[
                "display-message",
                "-p",
                "-t",
                session,
                "alt=#{alternate_on} cursor=#{cursor_flag} mouse=#{mouse_any_flag}#{mouse_standard_flag}#{mouse_button_flag}#{mouse_sgr_flag}",
            ])
            .trim()
            .to_owned()
    }

    /// The client's terminal is as it was before the session.
    /// The `ssh` in `session` has ended after the shutdown's goodbye,
    /// its terminal restored.
    fn said_goodbye(&self, session: &str) {
        self.wait_for(session, "ssh-exit=");
        let screen = self.tmux.screen(session);
        assert!(
            screen.contains("The server is shutting down: goodbye."),
            "{screen}"
        );
        self.assert_restored(session);
    }

    fn assert_restored(&self, session: &str) {
        assert_eq!(
            self.modes(session),
            "alt=0 cursor=1 mouse=0000",
            "{}",
            self.tmux.screen(session)
        );
    }
}

#[test]
fn served_readers_over_openssh() {
    if !prerequisites() {
        return;
    }
    let server = Server::start(&[]);
    // The host key was made on first start, private, and its fingerprint logged.
    let key = server.dir.path().join("host_key");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let public = Command::new("ssh-keygen")
        .arg("-y")
        .arg("-f")
        .arg(&key)
        .output()
        .unwrap();
    assert!(public.status.success(), "the host key is an OpenSSH key");
    assert!(server.log().contains("fingerprint=SHA256:"));

    // Two readers at once, each with its own filter.
    server.open("one", 100, 30);
    server.open("two", 100, 30);
    server.wait_for("one", "Showing all actors");
    server.wait_for("two", "Showing all actors");
    server.tmux.keys("one", &["d"]);
    server.tmux.keys("two", &["m"]);
    server.wait_for("one", "Showing DeepSeek");
    server.wait_for("two", "Showing Musk");
    assert!(!server.tmux.screen("one").contains("Showing Musk"));

    // Move and open: the second DeepSeek section, in the reading pane.
    server.tmux.keys("one", &["g", "j", "Enter"]);
    server.wait_for("one", "DeepSeek sends stock markets tumbling");
    server.wait_for("one", "sharp sell-off");

    // A resize lays the screen out again: one pane at a time below 80x24.
    server
        .tmux
        .run(&["resize-window", "-t", "one", "-x", "70", "-y", "20"]);
    server.wait_for("one", " Topics   Timeline   Reading ");
    // An absurd window is clamped (and logged) rather than allocated.
    server
        .tmux
        .run(&["resize-window", "-t", "two", "-x", "600", "-y", "200"]);
    server.wait_for("two", "Showing Musk");

    // Esc alone, then quit: the session ends cleanly, screen restored.
    server.tmux.keys("one", &["Escape"]);
    thread::sleep(Duration::from_millis(200));
    server.tmux.keys("one", &["q"]);
    server.wait_for("one", "ssh-exit=0");
    assert_eq!(
        server
            .tmux
            .run(&["display-message", "-p", "-t", "one", "#{alternate_on}"])
            .trim(),
        "0"
    );
    server.tmux.keys("two", &["q"]);
    server.wait_for("two", "ssh-exit=0");

    let log = server.log();
    assert!(
        log.contains("size=300x100"),
        "the 600x200 window was clamped: {log}"
    );
}

#[test]
fn exec_forwarding_and_too_many_connections_are_refused() {
    if !prerequisites() {
        return;
    }
    let server = Server::start(&[]);
    // Refusals.
    // A command is answered on stderr, with exit status 1.
    let exec = server.run("ls");
    assert_eq!(exec.status.code(), Some(1), "{exec:?}");
    assert!(
        String::from_utf8_lossy(&exec.stderr).contains("this server runs no commands"),
        "{exec:?}"
    );
    let forward = server.run("-W 127.0.0.1:22");
    assert_ne!(forward.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&forward.stderr).contains("forwarding failed"),
        "{forward:?}"
    );
    // -L: the forwarded connection is refused by the server.
    let local = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut forward_l = Command::new("sh")
        .args([
            "-c",
            &format!("exec {} -N -L {local}:127.0.0.1:9", server.ssh(None)),
        ])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut stream = loop {
        if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", local)) {
            break s;
        }
        assert!(start.elapsed() < TIMEOUT, "ssh -L did not listen");
        thread::sleep(Duration::from_millis(50));
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(
        stream.read(&mut buf).unwrap_or(0),
        0,
        "nothing comes through a refused forward"
    );
    thread::sleep(Duration::from_millis(300));
    let _ = forward_l.kill();
    let _ = forward_l.wait();
    assert!(
        server.log().contains("request=port-forwarding"),
        "{}",
        server.log()
    );
    let no_pty = server.run("-T");
    assert!(String::from_utf8_lossy(&no_pty.stderr).contains("needs a terminal"));
    let log = server.log();
    assert!(log.contains("event=refuse") && log.contains("request=exec"));

    // More connections from one address than allowed: the stock client,
    // at its default log level, prints why.
    let held: Vec<std::net::TcpStream> = (0..3)
        .map(|_| std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap())
        .collect();
    let fourth = Command::new("sh")
        .args([
            "-c",
            &format!(
                "ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -p {} reader@127.0.0.1 -T",
                server.port
            ),
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&fourth.stderr);
    assert!(
        said.contains("too many connections from your address"),
        "{said:?}\n{}",
        server.log()
    );
    drop(held);
}

#[test]
fn only_authorized_keys_when_given_and_idle_sessions_end() {
    if !prerequisites() {
        return;
    }
    let keys = tempfile::tempdir().unwrap();
    let (good, bad) = (keys.path().join("good"), keys.path().join("bad"));
    keygen(&good);
    keygen(&bad);
    let authorized = keys.path().join("authorized_keys");
    std::fs::copy(
        PathBuf::from(format!("{}.pub", good.display())),
        &authorized,
    )
    .unwrap();
    let server = Server::start(&[
        "--authorized-keys",
        authorized.to_str().unwrap(),
        "--idle-timeout",
        "2",
    ]);
    let attempt = |key: &Path| {
        Command::new("sh")
            .args(["-c", &format!("{} -T", server.ssh(Some(key)))])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let denied = attempt(&bad);
    assert!(
        String::from_utf8_lossy(&denied.stderr).contains("Permission denied"),
        "{denied:?}"
    );
    let allowed = attempt(&good);
    assert!(
        String::from_utf8_lossy(&allowed.stderr).contains("needs a terminal"),
        "{allowed:?}"
    );
    // Anonymous access is off too.
    let anonymous = server.run("-T");
    assert!(String::from_utf8_lossy(&anonymous.stderr).contains("Permission denied"));

    // A session left alone past the idle timeout is closed.
    let command = format!(
        "{} -tt; echo ssh-exit=$?; sleep 60",
        server.ssh(Some(&good))
    );
    server.tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "idle",
        "-x",
        "100",
        "-y",
        "30",
        &command,
    ]);
    server.wait_for("idle", "Showing all actors");
    let start = Instant::now();
    server.wait_for("idle", "ssh-exit=");
    assert!(start.elapsed() < Duration::from_secs(15));
    // The client's terminal is given back, with the reason in one line.
    server.assert_restored("idle");
    assert!(
        server
            .tmux
            .screen("idle")
            .contains("Idle for 2 s: goodbye."),
        "{}",
        server.tmux.screen("idle")
    );
    // Logged once the reader's thread is joined, after its goodbye (a
    // remembered reader's state is saved first): it may come a moment
    // after the client has left.
    server.wait_log("event=session_end");
    assert!(server.log().contains("reason=idle"), "{}", server.log());
}

#[test]
fn a_client_that_never_logs_in_is_told_why() {
    if !prerequisites() {
        return;
    }
    let config = tempfile::tempdir().unwrap();
    let path = config.path().join("config.toml");
    std::fs::write(&path, "[serve]\nauth_timeout = 2\n").unwrap();
    let server = Server::start(&["--config", path.to_str().unwrap()]);
    // The stock client at its default log level, left at its question
    // about the unknown host key: it does not log in in time.
    let command = format!(
        "ssh -F /dev/null -o StrictHostKeyChecking=ask -o UserKnownHostsFile=/dev/null -p {} -tt reader@127.0.0.1; echo ssh-exit=$?; sleep 60",
        server.port
    );
    server.tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "login",
        "-x",
        "100",
        "-y",
        "30",
        &command,
    ]);
    server.wait_for("login", "continue connecting");
    let start = Instant::now();
    while !server.log().contains("reason=login_timeout") {
        assert!(start.elapsed() < TIMEOUT, "{}", server.log());
        thread::sleep(Duration::from_millis(100));
    }
    // Back at the question after the limit: the client learns why.
    server.tmux.run(&["send-keys", "-t", "login", "-l", "yes"]);
    thread::sleep(Duration::from_millis(200));
    server.tmux.run(&["send-keys", "-t", "login", "Enter"]);
    server.wait_for("login", "ssh-exit=");
    server.assert_restored("login");
    let screen = server.tmux.screen("login");
    assert!(
        screen.contains("not authenticated within 2 s"),
        "{screen}\n{}",
        server.log()
    );
}

#[test]
fn sigterm_says_goodbye_to_every_session_and_stops_within_two_seconds() {
    if !prerequisites() {
        return;
    }
    // No drain grace: the goodbye at once (the drain has its own tests,
    // tests/serve_ops.rs).
    let mut server = Server::start(&["--drain-grace", "0"]);
    server.open("a", 90, 26);
    server.open("b", 90, 26);
    server.wait_for("a", "Showing all actors");
    server.wait_for("b", "Showing all actors");
    server.signal("TERM");
    let start = Instant::now();
    loop {
        if server.child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "the server still runs 2 s after SIGTERM"
        );
        thread::sleep(Duration::from_millis(20));
    }
    for session in ["a", "b"] {
        server.said_goodbye(session);
    }
    assert_eq!(
        server.log().matches("reason=server_shutdown").count(),
        4,
        "a session_end and a close line for each: {}",
        server.log()
    );
    assert!(
        server.log().contains("event=shutdown sessions=2"),
        "{}",
        server.log()
    );
}

/// A rolling restart as OpenSSH readers see it: SIGUSR1, the notice on
/// the status line, then after the grace the goodbye and the terminal
/// given back.
#[test]
fn sigusr1_tells_openssh_readers_before_their_goodbye() {
    if !prerequisites() {
        return;
    }
    let mut server = Server::start(&["--drain-grace", "4"]);
    server.open("a", 100, 26);
    server.wait_for("a", "Showing all actors");
    server.signal("USR1");
    server.wait_for("a", "This server closes in 4 s");
    server.said_goodbye("a");
    let start = Instant::now();
    while server.child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < TIMEOUT, "{}", server.log());
        thread::sleep(Duration::from_millis(20));
    }
    let log = server.log();
    assert!(log.contains("event=drain signal=SIGUSR1"), "{log}");
    assert!(log.contains("event=drain_end reason=grace_over"), "{log}");
}

/// An `ssh` stopped (as `~^Z` stops it) until after its session ended and
/// the server let go of the connection, then resumed: it still shows the
/// goodbye and gets its terminal back. A disconnect message behind the
/// goodbye would make OpenSSH leave before writing what it had read.
#[test]
fn a_client_suspended_past_its_session_end_gets_its_terminal_back() {
    if !prerequisites() {
        return;
    }
    let server = Server::start(&["--idle-timeout", "2"]);
    server.open("stopped", 90, 26);
    server.wait_for("stopped", "Showing all actors");
    let shell = server
        .tmux
        .run(&["display-message", "-p", "-t", "stopped", "#{pane_pid}"])
        .trim()
        .to_owned();
    let out = Command::new("pgrep")
        .args(["-P", &shell, "-x", "ssh"])
        .output()
        .unwrap();
    let client = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(!client.is_empty(), "no ssh client under the pane's shell");
    assert!(
        Command::new("kill")
            .args(["-STOP", &client])
            .status()
            .unwrap()
            .success()
    );
    // Past the idle timeout and past the wait for the client's own close.
    let start = Instant::now();
    while !server.log().contains("event=close") {
        assert!(
            start.elapsed() < TIMEOUT,
            "the connection was never closed: {}",
            server.log()
        );
        thread::sleep(Duration::from_millis(100));
    }
    assert!(server.log().contains("reason=idle"), "{}", server.log());
    thread::sleep(Duration::from_secs(1));
    assert!(
        Command::new("kill")
            .args(["-CONT", &client])
            .status()
            .unwrap()
            .success()
    );
    server.wait_for("stopped", "ssh-exit=");
    let screen = server.tmux.screen("stopped");
    assert!(screen.contains("Idle for 2 s: goodbye."), "{screen}");
    server.assert_restored("stopped");
}
