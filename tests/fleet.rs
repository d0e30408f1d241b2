//! Several `aiwatch-tui serve` instances behind HAProxy, end to end, in
//! network namespaces made for the run: HAProxy (deploy/haproxy.cfg, only
//! its addresses changed) in `lb`, one instance each in `a` and `b`, and
//! OpenSSH clients with several addresses in `clients`. Checks, from the
//! instances' logs, their metrics and the clients' screens: readers spread
//! over both instances; the per-address limit counts the clients'
//! addresses, not HAProxy's; a PROXY header a client sends straight to an
//! instance is refused; a killed instance's new readers go to the other;
//! a rolling restart (SIGUSR1, one instance at a time) ends no session
//! without the notice first.
//!
//! Needs `ip` (iproute2), `haproxy`, `ssh`, `tmux`, `bash` and `unshare`;
//! `.ci/run` installs them. It makes namespaces as root, or, run by
//! another user, as root of a user namespace of its own. Without them the
//! test fails saying what is missing: it never passes without running.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{Tmux, have};

const TIMEOUT: Duration = Duration::from_secs(30);
/// The grace of a drain: long enough to see every notice on a loaded machine.
const GRACE: &str = "10";
/// The balancer's address on the clients' side, and the instances' port.
const FRONT: &str = "10.231.1.1";
const PORT: u16 = 2222;
const NOTICE: &str = "This server closes in";
const GOODBYE: &str = "The server is shutting down: goodbye.";

/// Runs a command to its end; panics with its stderr when it fails.
fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Polls `done` every 50 ms for `TIMEOUT`; `what` says what failed.
fn wait(mut done: impl FnMut() -> bool, what: impl Fn() -> String) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < TIMEOUT, "timed out: {}", what());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Set in the copy of this test run in a user namespace.
const UNSHARED: &str = "AIWATCH_TUI_FLEET_UNSHARED";

/// What the test needs of the machine, or a failure saying what lacks.
/// As root, true: run here. Otherwise the test runs again as root of a
/// user namespace of its own (`unshare --user --map-root-user --net
/// --mount`, a private `/run` for `ip netns`), and this says false once
/// that run has passed.
fn runs_here() -> bool {
    let missing: Vec<&str> = ["ip", "haproxy", "ssh", "tmux", "bash", "unshare"]
        .into_iter()
        .filter(|p| !have(p))
        .collect();
    assert!(
        missing.is_empty(),
        "the fleet test needs {missing:?} on the PATH (Debian: iproute2, haproxy, openssh-client, tmux, util-linux; `ip` and `haproxy` are in /usr/sbin); .ci/run installs them"
    );
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().nth(1));
    if uid == Some("0") {
        return true;
    }
    assert!(
        std::env::var_os(UNSHARED).is_none(),
        "not root in the user namespace"
    );
    // tmux wants its socket folder owned by the user it runs as: one of
    // ours, which the namespace maps to root.
    let tmux = tempfile::tempdir().unwrap();
    let ran = Command::new("unshare")
        .args(["--user", "--map-root-user", "--net", "--mount", "sh", "-c"])
        .arg("mount -t tmpfs tmpfs /run && exec \"$@\"")
        .arg("sh")
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "readers_behind_haproxy_over_two_instances",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(UNSHARED, "1")
        .env("TMUX_TMPDIR", tmux.path())
        // and runs panes with the user's login shell, which a system user's
        // (nologin) is not.
        .env("SHELL", "/bin/sh")
        .status()
        .unwrap();
    assert!(
        ran.success(),
        "the fleet test makes network namespaces: it runs as root (as CI does), or as root of a user namespace (`unshare --user --map-root-user --net --mount`), which failed here (see above; are unprivileged user namespaces allowed?)"
    );
    false
}

/// The run's network namespaces, deleted when dropped (their veth pairs
/// go with them), whatever happened before.
struct Namespaces {
    prefix: String,
}

impl Namespaces {
    const NAMES: [&str; 4] = ["lb", "a", "b", "clients"];

    fn name(&self, ns: &str) -> String {
        format!("{}{ns}", self.prefix)
    }

    /// clients (10.231.1.0/24) -- lb -- a (10.231.2.0/24), b (10.231.3.0/24);
    /// lb forwards, so a client can also reach an instance directly.
    fn create() -> Self {
        let namespaces = Self {
            prefix: format!("aw{}-", std::process::id()),
        };
        for ns in Self::NAMES {
            let name = namespaces.name(ns);
            let out = Command::new("ip")
                .args(["netns", "add", &name])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "cannot make the network namespace {name} (the fleet test must run as root): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            namespaces.ip(ns, &["link", "set", "dev", "lo", "up"]);
        }
        let lb = namespaces.name("lb");
        for (peer, net) in [("clients", 1), ("a", 2), ("b", 3)] {
            let peer_ns = namespaces.name(peer);
            run(
                "ip",
                &[
                    "link",
                    "add",
                    &format!("to-{peer}"),
                    "netns",
                    &lb,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    "to-lb",
                    "netns",
                    &peer_ns,
                ],
            );
            namespaces.ip(
                "lb",
                &[
                    "addr",
                    "add",
                    &format!("10.231.{net}.1/24"),
                    "dev",
                    &format!("to-{peer}"),
                ],
            );
            namespaces.ip("lb", &["link", "set", "dev", &format!("to-{peer}"), "up"]);
            let own = if peer == "clients" { 10 } else { 2 };
            namespaces.ip(
                peer,
                &[
                    "addr",
                    "add",
                    &format!("10.231.{net}.{own}/24"),
                    "dev",
                    "to-lb",
                ],
            );
            namespaces.ip(peer, &["link", "set", "dev", "to-lb", "up"]);
            namespaces.ip(
                peer,
                &["route", "add", "default", "via", &format!("10.231.{net}.1")],
            );
        }
        // The clients' further addresses (.10 is the first).
        for host in 11..=21 {
            namespaces.ip(
                "clients",
                &[
                    "addr",
                    "add",
                    &format!("10.231.1.{host}/24"),
                    "dev",
                    "to-lb",
                ],
            );
        }
        namespaces.exec(
            "lb",
            "sh",
            &["-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"],
        );
        namespaces
    }

    fn ip(&self, ns: &str, args: &[&str]) {
        let name = self.name(ns);
        let mut all = vec!["-n", &name];
        all.extend_from_slice(args);
        run("ip", &all);
    }

    /// Runs `program` inside `ns` to its end; its standard output.
    fn exec(&self, ns: &str, program: &str, args: &[&str]) -> String {
        let name = self.name(ns);
        let mut all = vec!["netns", "exec", &name, program];
        all.extend_from_slice(args);
        run("ip", &all)
    }

    /// A command inside `ns` (`ip netns exec` execs it: its pid is the
    /// program's, so signals reach it).
    fn command(&self, ns: &str, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name(ns), program]);
        command
    }

    /// `GET path` over HTTP from inside `ns`: the whole answer.
    fn http_get(&self, ns: &str, address: &str, path: &str) -> String {
        let script = format!(
            "exec 3<>/dev/tcp/{address}/9180 && printf 'GET {path} HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3"
        );
        self.exec(ns, "bash", &["-c", &script])
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for ns in Self::NAMES {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.name(ns)])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// A child process killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One `serve` instance: its namespace, address and the log of each of
/// its starts.
struct Instance {
    ns: &'static str,
    address: String,
    balancer: String,
    process: Option<Process>,
    starts: usize,
    dir: PathBuf,
}

impl Instance {
    fn new(ns: &'static str, net: u8, dir: &Path) -> Self {
        Self {
            ns,
            address: format!("10.231.{net}.2"),
            balancer: format!("10.231.{net}.1"),
            process: None,
            starts: 0,
            dir: dir.to_path_buf(),
        }
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join(format!("{}.{}.log", self.ns, self.starts))
    }

    /// The log of the current (or last) start.
    fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Starts the instance (the same host key for all: one service) and
    /// waits until it listens.
    fn start(&mut self, namespaces: &Namespaces) {
        self.starts += 1;
        let ops = format!("{}:9180", self.address);
        let state = self.dir.join(format!("{}.state.json", self.ns));
        let log = std::fs::File::create(self.log_path()).unwrap();
        let child = namespaces
            .command(self.ns, env!("CARGO_BIN_EXE_aiwatch-tui"))
            .args(["serve", "--no-store", "--lang", "en", "--listen"])
            .arg(format!("{}:{PORT}", self.address))
            .args([
                "--proxy-protocol",
                &self.balancer,
                "--health",
                &ops,
                "--metrics",
                &ops,
            ])
            .args(["--drain-grace", GRACE, "--host-key"])
            .arg(self.dir.join("host_key"))
            .arg("--state")
            .arg(state)
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .env("XDG_DATA_HOME", self.dir.join("data"))
            .env("XDG_STATE_HOME", self.dir.join("data"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.process = Some(Process(child));
        wait(
            || self.log().contains("event=listening"),
            || format!("instance {} did not listen:\n{}", self.ns, self.log()),
        );
    }

    fn signal(&self, name: &str) {
        let pid = self.process.as_ref().unwrap().0.id().to_string();
        run("kill", &[&format!("-{name}"), &pid]);
    }

    /// SIGKILL: no drain, no goodbye.
    fn kill(&mut self) {
        let mut process = self.process.take().unwrap();
        process.0.kill().unwrap();
        process.0.wait().unwrap();
    }

    /// Waits for the instance to exit; whether it succeeded.
    fn exited(&mut self) -> bool {
        let mut process = self.process.take().unwrap();
        let mut status = None;
        wait(
            || {
                status = process.0.try_wait().unwrap();
                status.is_some()
            },
            || format!("instance {} still runs:\n{}", self.ns, self.log()),
        );
        status.is_some_and(|s| s.success())
    }

    /// Whether a reader from `client` (an address) started a session here
    /// since the last start.
    fn serves(&self, client: &str) -> bool {
        self.log()
            .contains(&format!("event=session_start peer={client}:"))
    }

    fn metrics(&self, namespaces: &Namespaces) -> String {
        namespaces.http_get(self.ns, &self.address, "/metrics")
    }
}

/// The value of one sample (`name` with its labels, as written).
fn sample(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no sample {name} in\n{text}"))
}

/// HAProxy in `lb`, running deploy/haproxy.cfg with this run's addresses.
struct Balancer {
    _process: Process,
    stderr: PathBuf,
}

impl Balancer {
    fn start(namespaces: &Namespaces, dir: &Path) -> Self {
        let shipped = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/haproxy.cfg"),
        )
        .unwrap();
        let config = [
            ("203.0.113.10:22", format!("{FRONT}:22")),
            ("10.0.0.11:2222", format!("10.231.2.2:{PORT}")),
            ("10.0.0.12:2222", format!("10.231.3.2:{PORT}")),
        ]
        .iter()
        .fold(shipped.clone(), |text, (from, to)| {
            assert!(text.contains(from), "deploy/haproxy.cfg has no {from}");
            text.replace(from, to)
        });
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, config).unwrap();
        let stderr = dir.join("haproxy.err");
        let child = namespaces
            .command("lb", "haproxy")
            .args(["-db", "-f"])
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let balancer = Self {
            _process: Process(child),
            stderr,
        };
        wait(
            || {
                namespaces
                    .exec("lb", "ss", &["-Hltn", "sport", "=", ":22"])
                    .contains(FRONT)
            },
            || format!("haproxy did not listen:\n{}", balancer.said()),
        );
        balancer
    }

    fn said(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// How many times HAProxy said `server` (news1, news2) went `state`.
    fn went(&self, server: &str, state: &str) -> usize {
        self.said()
            .matches(&format!("Server readers/{server} is {state},"))
            .count()
    }

    /// Waits until HAProxy has said `server` went `state` `times` times.
    fn wait_went(&self, server: &str, state: &str, times: usize) {
        wait(
            || self.went(server, state) >= times,
            || format!("{server} is not {state} ({times}):\n{}", self.said()),
        );
    }
}

/// The clients: OpenSSH `ssh` in panes of a private tmux server, each
/// from a chosen address of the `clients` namespace.
struct Clients {
    tmux: Tmux,
    namespace: String,
}

impl Clients {
    fn ssh(&self, from: &str) -> String {
        format!(
            "ip netns exec {} ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -b {from} -p 22 reader@{FRONT}",
            self.namespace
        )
    }

    /// Opens a reader in the pane `pane`, from the address `from`.
    fn open(&self, pane: &str, from: &str) {
        let command = format!("{} -tt; echo ssh-exit=$?; sleep 600", self.ssh(from));
        self.tmux.run(&[
            "new-session",
            "-d",
            "-s",
            pane,
            "-x",
            "100",
            "-y",
            "30",
            &command,
        ]);
    }

    fn screen(&self, pane: &str) -> String {
        self.tmux.screen(pane)
    }

    fn wait_for(&self, pane: &str, text: &str, context: impl Fn() -> String) {
        let start = Instant::now();
        while !self.screen(pane).contains(text) {
            assert!(
                start.elapsed() < TIMEOUT,
                "timed out waiting for {text:?} in {pane}; screen:\n{}\n{}",
                self.screen(pane),
                context()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Opens a reader and waits until it is drawn.
    fn read(&self, pane: &str, from: &str, context: impl Fn() -> String) {
        self.open(pane, from);
        self.wait_for(pane, "Showing all actors", context);
    }
}

/// Every session an instance ended, in the log of one start, ended with
/// the reader's `q` or the goodbye after the notice.
fn no_session_cut(log: &str) {
    for line in log.lines().filter(|l| l.contains("event=session_end")) {
        assert!(
            line.contains("reason=quit") || line.contains("reason=server_shutdown"),
            "{line}\n{log}"
        );
    }
}

/// The whole setup; fields drop in this order: the clients, HAProxy, the
/// instances, then the namespaces and the folder.
struct Fleet {
    clients: Clients,
    balancer: Balancer,
    a: Instance,
    b: Instance,
    namespaces: Namespaces,
    _dir: tempfile::TempDir,
}

impl Fleet {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let namespaces = Namespaces::create();
        let mut a = Instance::new("a", 2, dir.path());
        let mut b = Instance::new("b", 3, dir.path());
        a.start(&namespaces);
        b.start(&namespaces);
        let balancer = Balancer::start(&namespaces, dir.path());
        let clients = Clients {
            tmux: Tmux::new(
                format!("aiwatch-fleet-{}", std::process::id()),
                Path::new("/dev/null"),
            ),
            namespace: namespaces.name("clients"),
        };
        Self {
            clients,
            balancer,
            a,
            b,
            namespaces,
            _dir: dir,
        }
    }

    /// What helps on failure: both instances' and HAProxy's logs.
    fn logs(&self) -> String {
        format!(
            "a:\n{}\nb:\n{}\nhaproxy:\n{}",
            self.a.log(),
            self.b.log(),
            self.balancer.said()
        )
    }

    /// Opens a reader in `pane` from the client address `from` and waits
    /// until it is drawn.
    fn read(&self, pane: &str, from: &str) {
        self.clients.read(pane, from, || self.logs());
    }

    /// The readers on the draining instance `instance` (SIGUSR1) are each
    /// shown the notice. A reader opened then (from `from`, in the pane
    /// `newN`) is served by the other instance. All but the last of
    /// `panes` quit (`q`), the last is told goodbye after the grace. The
    /// instance exits with success, having ended no session but by `q` or
    /// the goodbye, and is started again.
    fn rolling_restart(&mut self, instance: &str, panes: &[String], from: &str) {
        let (draining, other) = if instance == "a" {
            (&self.a, &self.b)
        } else {
            (&self.b, &self.a)
        };
        draining.signal("USR1");
        wait(
            || draining.log().contains("event=drain signal=SIGUSR1"),
            || draining.log(),
        );
        for pane in panes {
            self.clients.wait_for(pane, NOTICE, || self.logs());
        }
        // tmux names no session with a dot: `new17` for 10.231.1.17.
        let pane = format!("new{}", from.rsplit('.').next().unwrap());
        self.clients.read(&pane, from, || self.logs());
        assert!(other.serves(from), "{}", self.logs());
        let (last, rest) = panes.split_last().unwrap();
        for pane in rest {
            self.clients.tmux.run(&["send-keys", "-t", pane, "q"]);
            self.clients.wait_for(pane, "ssh-exit=0", || self.logs());
        }
        self.clients.wait_for(last, "ssh-exit=", || self.logs());
        assert!(
            self.clients.screen(last).contains(GOODBYE),
            "{}",
            self.logs()
        );
        let draining = if instance == "a" {
            &mut self.a
        } else {
            &mut self.b
        };
        assert!(draining.exited(), "{}", draining.log());
        no_session_cut(&draining.log());
        draining.start(&self.namespaces);
    }
}

#[test]
fn readers_behind_haproxy_over_two_instances() {
    if !runs_here() {
        return;
    }
    let mut fleet = Fleet::start();

    // Readers spread over both instances, each seen under its own address
    // (the balancer's only as `via`).
    let first = ["10.231.1.10", "10.231.1.11", "10.231.1.12", "10.231.1.13"];
    for (i, from) in first.iter().enumerate() {
        fleet.read(&format!("r{i}"), from);
    }
    let (a, b) = (&fleet.a, &fleet.b);
    let on_b: Vec<String> = (0..first.len())
        .filter(|&i| b.serves(first[i]))
        .map(|i| format!("r{i}"))
        .collect();
    assert_eq!(on_b.len(), 2, "{}", fleet.logs());
    assert_eq!(
        first.iter().filter(|c| a.serves(c)).count(),
        2,
        "{}",
        fleet.logs()
    );
    assert!(a.log().contains("via=10.231.2.1:"), "{}", a.log());
    assert!(!a.log().contains("peer=10.231.2.1"), "{}", a.log());
    assert!(!b.log().contains("peer=10.231.3.1"), "{}", b.log());
    for instance in [a, b] {
        let metrics = instance.metrics(&fleet.namespaces);
        assert_eq!(sample(&metrics, "aiwatch_sessions_current"), 2, "{metrics}");
    }

    // A client that sends its own PROXY header straight to an instance is
    // refused, under its own address: no spoofing.
    let spoof = format!(
        "exec 3<>/dev/tcp/10.231.2.2/{PORT} && printf 'PROXY TCP4 198.51.100.7 10.231.2.2 40000 {PORT}\\r\\n' >&3 && timeout 10 cat <&3 >/dev/null; true"
    );
    fleet.namespaces.exec("clients", "bash", &["-c", &spoof]);
    wait(
        || {
            a.log().contains("event=refuse peer=10.231.1.10:")
                && a.log()
                    .contains("reason=\"a PROXY header from an address not trusted\"")
        },
        || a.log(),
    );
    assert!(!a.log().contains("198.51.100.7"), "{}", a.log());
    let metrics = a.metrics(&fleet.namespaces);
    assert_eq!(
        sample(&metrics, "aiwatch_refusals_total{reason=\"proxy_header\"}"),
        1,
        "{metrics}"
    );

    // SIGKILL a: its readers are cut (nothing can tell them); a new reader
    // is served by b at once, and HAProxy takes a out after its checks.
    fleet.a.kill();
    fleet.read("r4", "10.231.1.14");
    assert!(fleet.b.serves("10.231.1.14"), "{}", fleet.logs());
    fleet.balancer.wait_went("news1", "DOWN", 1);

    // The per-address limit counts each client: three readers from one
    // address are served, the fourth is refused, another address is served.
    for pane in ["p0", "p1", "p2"] {
        fleet.read(pane, "10.231.1.20");
    }
    let fourth = Command::new("sh")
        .args(["-c", &format!("{} -T", fleet.clients.ssh("10.231.1.20"))])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&fourth.stderr);
    assert!(
        said.contains("too many connections from your address"),
        "{said:?}\n{}",
        fleet.logs()
    );
    let b = &fleet.b;
    assert!(
        b.log().contains("event=refuse peer=10.231.1.20:"),
        "{}",
        b.log()
    );
    fleet.read("p3", "10.231.1.21");
    let metrics = b.metrics(&fleet.namespaces);
    assert_eq!(
        sample(&metrics, "aiwatch_refusals_total{reason=\"per_address\"}"),
        1,
        "{metrics}"
    );
    assert_eq!(sample(&metrics, "aiwatch_sessions_current"), 7, "{metrics}");

    // a comes back; HAProxy takes it in again after its checks.
    fleet.a.start(&fleet.namespaces);
    fleet.balancer.wait_went("news1", "UP", 1);

    // Rolling restart, a first: its readers (the least loaded: both new
    // ones) are told, new readers go to b, then a says goodbye and exits.
    fleet.read("r5", "10.231.1.15");
    fleet.read("r6", "10.231.1.16");
    assert!(
        fleet.a.serves("10.231.1.15") && fleet.a.serves("10.231.1.16"),
        "{}",
        fleet.logs()
    );
    fleet.rolling_restart("a", &["r5".to_owned(), "r6".to_owned()], "10.231.1.17");
    fleet.balancer.wait_went("news1", "UP", 2);

    // Then b, with every reader it holds.
    let mut on_b = on_b;
    on_b.extend(["r4", "p0", "p1", "p2", "p3", "new17"].map(str::to_owned));
    fleet.rolling_restart("b", &on_b, "10.231.1.18");
    fleet.balancer.wait_went("news2", "UP", 1);

    // Both serve again: the reader on a goes on, a new one is drawn.
    fleet.read("r9", "10.231.1.19");
    assert!(
        !fleet.clients.screen("new18").contains("ssh-exit="),
        "{}",
        fleet.logs()
    );
}
