//! End to end through a real OpenSSH server: a throwaway `sshd` on
//! 127.0.0.1 (its own host key, one client key), the reader started over
//! `ssh -tt` inside tmux, driven with keys, its OSC 52 copy received by
//! tmux (`set-clipboard on`), quit cleanly, and started again and cut off
//! by killing the ssh client. Needs root (sshd's pty handling), `sshd`,
//! `ssh`, `ssh-keygen` and `tmux`; `.ci/run` installs them. Where they are
//! missing the test says so loudly; under CI it fails instead.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::thread;
use std::time::{Duration, Instant};

mod common;

use common::{Tmux, have};

const TIMEOUT: Duration = Duration::from_secs(20);

/// `None` (after saying why, loudly) when this machine cannot run sshd.
fn prerequisites() -> Option<()> {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let missing: Vec<&str> = ["/usr/sbin/sshd", "ssh", "ssh-keygen", "tmux"]
        .into_iter()
        .filter(|p| {
            if p.starts_with('/') {
                !Path::new(p).exists()
            } else {
                !have(p)
            }
        })
        .collect();
    let why = if !missing.is_empty() {
        format!("missing {}", missing.join(", "))
    } else if !is_root {
        "not root: sshd cannot hand a pty to another user here".to_owned()
    } else {
        return Some(());
    };
    assert!(
        std::env::var_os("CI").is_none(),
        "the sshd end-to-end test cannot run under CI: {why}"
    );
    eprintln!(
        "\n*** SKIPPED the real-sshd end-to-end test: {why} ***\n*** install openssh-server, openssh-client and tmux and run as root ***\n"
    );
    None
}

struct Lab {
    dir: tempfile::TempDir,
    sshd: Child,
    port: u16,
    tmux: Tmux,
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.sshd.kill();
        let _ = self.sshd.wait();
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Lab {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for (name, comment) in [("host", "e2e-host"), ("client", "e2e-client")] {
            run(Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
                .arg(d.join(name)));
        }
        std::fs::copy(d.join("client.pub"), d.join("authorized_keys")).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let host_pub = std::fs::read_to_string(d.join("host.pub")).unwrap();
        let host_key: Vec<&str> = host_pub.split_whitespace().take(2).collect();
        std::fs::write(
            d.join("known_hosts"),
            format!("[127.0.0.1]:{port} {}\n", host_key.join(" ")),
        )
        .unwrap();
        std::fs::create_dir_all("/run/sshd").unwrap();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nPidFile {d}/sshd.pid\nAuthorizedKeysFile {d}/authorized_keys\n\
             StrictModes no\nPubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n\
             PermitRootLogin prohibit-password\nAcceptEnv LANG LC_* COLORTERM NO_COLOR\nAllowTcpForwarding no\n\
             AllowAgentForwarding no\nX11Forwarding no\nPrintMotd no\nPrintLastLog no\nLogLevel ERROR\n",
            host = d.join("host").display(),
            d = d.display(),
        );
        std::fs::write(d.join("sshd_config"), config).unwrap();
        run(Command::new("/usr/sbin/sshd")
            .arg("-t")
            .arg("-f")
            .arg(d.join("sshd_config")));
        let sshd = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stderr(std::fs::File::create(d.join("sshd.log")).unwrap())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(start.elapsed() < TIMEOUT, "sshd did not start");
            thread::sleep(Duration::from_millis(50));
        }
        let tmux = Tmux::new(
            format!("aiwatch-e2e-{}", std::process::id()),
            &d.join("tmux.conf"),
        );
        std::fs::write(
            d.join("tmux.conf"),
            "set -g set-clipboard on\nset -g default-terminal tmux-256color\n",
        )
        .unwrap();
        Self {
            dir,
            sshd,
            port,
            tmux,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The ssh command line that runs the reader on the other side.
    fn ssh_command(&self, marker: &str) -> String {
        let content = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/content/long");
        let config = self.path(marker);
        std::fs::write(&config, "").unwrap();
        let user = run(Command::new("id").arg("-un")).trim().to_owned();
        format!(
            "ssh -F /dev/null -i {key} -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile={known} \
             -o StrictHostKeyChecking=yes -o LogLevel=ERROR -p {port} -tt {user}@127.0.0.1 \
             'exec env LANG=C.UTF-8 XDG_CONFIG_HOME={none} XDG_DATA_HOME={data} {bin} --config {config} --content {content} --bundled --state {state}'",
            key = self.path("client").display(),
            known = self.path("known_hosts").display(),
            port = self.port,
            none = self.path("no-config").display(),
            data = self.path(&format!("{marker}.data")).display(),
            bin = env!("CARGO_BIN_EXE_aiwatch-tui"),
            config = config.display(),
            content = content.display(),
            state = self.path(&format!("{marker}.state.json")).display(),
        )
    }

    fn wait_for(&self, session: &str, text: &str) {
        self.tmux.wait_for(session, text, || {
            format!(
                "sshd log:\n{}",
                std::fs::read_to_string(self.path("sshd.log")).unwrap_or_default()
            )
        });
    }

    fn reader_pids(&self, marker: &str) -> Vec<u32> {
        let pattern = format!(
            "^{} --config {}",
            env!("CARGO_BIN_EXE_aiwatch-tui"),
            self.path(marker).display()
        );
        let out = Command::new("pgrep")
            .args(["-f", &pattern])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }
}

#[test]
fn the_reader_over_a_real_ssh_connection() {
    if prerequisites().is_none() {
        return;
    }
    let lab = Lab::start();

    // A clean session: filter, move, open, copy the link, quit.
    let ssh = lab.ssh_command("marker-one");
    lab.tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "one",
        "-x",
        "100",
        "-y",
        "30",
        &format!("{ssh}; echo ssh-exit=$?; sleep 60"),
    ]);
    lab.wait_for("one", "Showing all actors");
    lab.tmux.keys("one", &["d"]);
    lab.wait_for("one", "Showing DeepSeek");
    lab.tmux.keys("one", &["G", "Enter"]);
    lab.wait_for("one", "Wide, combining and accented");
    lab.tmux.keys("one", &["y"]);
    lab.wait_for("one", "Link copied");
    let start = Instant::now();
    loop {
        let buffer = lab.tmux.run(&["show-buffer"]);
        if buffer
            == "https://example.org/a/wide-text-with-a-long-address-that-has-to-wrap-somewhere"
        {
            break;
        }
        assert!(
            start.elapsed() < TIMEOUT,
            "OSC 52 did not reach tmux; buffer: {buffer:?}"
        );
        thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        lab.tmux
            .run(&["display-message", "-p", "-t", "one", "#{alternate_on}"])
            .trim(),
        "1"
    );
    lab.tmux.keys("one", &["q"]);
    lab.wait_for("one", "ssh-exit=0");
    assert_eq!(
        lab.tmux
            .run(&["display-message", "-p", "-t", "one", "#{alternate_on}"])
            .trim(),
        "0",
        "the alternate screen was left"
    );
    assert!(lab.reader_pids("marker-one").is_empty());

    // A session cut off: kill the ssh client, the remote reader must go.
    let ssh = lab.ssh_command("marker-two");
    lab.tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "two",
        "-x",
        "100",
        "-y",
        "30",
        &format!("exec {ssh}"),
    ]);
    lab.wait_for("two", "Showing all actors");
    let remote = lab.reader_pids("marker-two");
    assert_eq!(remote.len(), 1, "one remote reader running");
    let client: u32 = lab
        .tmux
        .run(&["display-message", "-p", "-t", "two", "#{pane_pid}"])
        .trim()
        .parse()
        .unwrap();
    run(Command::new("kill").args(["-9", &client.to_string()]));
    let start = Instant::now();
    while !lab.reader_pids("marker-two").is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the remote reader still runs 5 s after the connection dropped"
        );
        thread::sleep(Duration::from_millis(100));
    }
}
