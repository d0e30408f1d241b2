//! One SSH connection as a state machine: awaiting auth, authenticated,
//! pty granted, running (it owns its reader), closing. Serves the channel
//! requests we allow (pty-req, window-change, env for a few variables,
//! one shell) and answers the rest with a reason the client prints.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use russh::server::{Auth, ChannelOpenHandle, Msg, Session};
use russh::{Channel, ChannelId};
use tokio::sync::Notify;

use super::decode::Decoder;
use super::reader::{self, Reader, Sent};
use super::{End, Limits, Shared, log};
use crate::input::Input;

/// Environment variables a client may set; the rest are refused.
fn allowed_env(name: &str) -> bool {
    matches!(name, "TERM" | "COLORTERM" | "NO_COLOR" | "LANG") || name.starts_with("LC_")
}

/// Where a connection is. It only moves forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// The login watch runs: the connection ends if this lasts too long.
    AwaitingAuth,
    Authenticated,
    /// A terminal was granted: a shell may start.
    Pty,
    /// The reader runs; no second shell or pty on this connection.
    Running,
    /// Ending: the reader is told, the client's terminal restored.
    Closing,
}

/// What the connection's handler (inside russh) and its watching task share.
pub struct Control {
    state: Mutex<State>,
    /// Something the client asked for was refused.
    refused: std::sync::atomic::AtomicBool,
    /// The client asked for too much too fast (requests): dropped.
    overrun: std::sync::atomic::AtomicBool,
    /// A reader ran (its end was logged as `session_end`).
    ran: std::sync::atomic::AtomicBool,
    last_input: Mutex<Instant>,
    pub started: Instant,
}

struct State {
    phase: Phase,
    reader: Option<Reader>,
}

impl Default for Control {
    fn default() -> Self {
        Self {
            state: Mutex::new(State {
                phase: Phase::AwaitingAuth,
                reader: None,
            }),
            refused: std::sync::atomic::AtomicBool::new(false),
            overrun: std::sync::atomic::AtomicBool::new(false),
            ran: std::sync::atomic::AtomicBool::new(false),
            last_input: Mutex::new(Instant::now()),
            started: Instant::now(),
        }
    }
}

impl Control {
    pub fn phase(&self) -> Phase {
        self.state.lock().map_or(Phase::Closing, |s| s.phase)
    }

    /// Moves from `from` to `to`; `false` (and no change) from anywhere else.
    fn advance(&self, from: Phase, to: Phase) -> bool {
        self.state.lock().is_ok_and(|mut s| {
            let ok = s.phase == from;
            if ok {
                s.phase = to;
            }
            ok
        })
    }

    pub fn refused(&self) -> bool {
        self.refused.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn ran(&self) -> bool {
        self.ran.load(Ordering::Relaxed)
    }

    pub fn overrun(&self) -> bool {
        self.overrun.load(Ordering::Relaxed)
    }

    fn set_overrun(&self) {
        self.overrun.store(true, Ordering::Relaxed);
    }

    fn refuse(&self) {
        self.refused
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn idle(&self) -> Duration {
        self.last_input
            .lock()
            .map_or(Duration::ZERO, |t| t.elapsed())
    }

    fn touch(&self) {
        if let Ok(mut t) = self.last_input.lock() {
            *t = Instant::now();
        }
    }

    /// Notified when the running reader has said its last word.
    pub fn done(&self) -> Option<Arc<Notify>> {
        let state = self.state.lock().ok()?;
        state.reader.as_ref().map(|r| Arc::clone(&r.done))
    }

    /// Closing: the reader (if one runs) is asked to end for `why` and
    /// handed over to be joined.
    pub fn close(&self, why: End) -> Option<Reader> {
        let mut state = self.state.lock().ok()?;
        state.phase = Phase::Closing;
        let reader = state.reader.take()?;
        reader.end(why);
        Some(reader)
    }

    fn send(&self, input: Input) -> Sent {
        match self.state.lock() {
            Ok(state) => match &state.reader {
                Some(reader) => reader.send(input),
                None => Sent::Gone,
            },
            Err(_) => Sent::Gone,
        }
    }

    fn end_reader(&self, why: End) {
        if let Ok(state) = self.state.lock()
            && let Some(reader) = &state.reader
        {
            reader.end(why);
        }
    }

    /// Input has come for the reader: the earliest not yet answered by a
    /// frame is kept, for the key-to-frame latency (`metrics`).
    fn stamp_input(&self, now: u64) {
        if let Ok(state) = self.state.lock()
            && let Some(reader) = &state.reader
        {
            let _ = reader
                .arrived
                .compare_exchange(0, now, Ordering::SeqCst, Ordering::SeqCst);
        }
    }

    #[cfg(debug_assertions)]
    fn inject_fault(&self) {
        if let Ok(state) = self.state.lock()
            && let Some(reader) = &state.reader
        {
            reader
                .fault
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// Window changes applied per second, at most; the latest size always
/// wins, a little later if need be.
const RESIZE_INTERVAL: Duration = Duration::from_millis(100);

/// Requests a client may make at once, and per second after that.
const REQUEST_BURST: u64 = 128;
const REQUEST_RATE: u64 = 16;

/// How long a client whose input queue is full is slowed before it is
/// dropped (`overrun`).
const OVERRUN_AFTER: Duration = Duration::from_secs(3);

pub struct Connection {
    shared: Arc<Shared>,
    peer: SocketAddr,
    control: Arc<Control>,
    channel: Option<ChannelId>,
    size: Option<(u16, u16)>,
    /// The window asked for was larger than we draw.
    clamped: bool,
    /// The clamp the reader was told of (said once per size, taken back
    /// when the window fits again).
    said_clamp: Option<(u16, u16)>,
    env: HashMap<String, String>,
    /// Shared with the task that completes a lone Esc after a pause.
    decoder: Arc<Mutex<Decoder>>,
    /// Bumped (under the decoder's lock) by every read, so the pause
    /// task knows when more came.
    reads: Arc<std::sync::atomic::AtomicU64>,
    /// A pause task runs (at most one per connection).
    esc_armed: Arc<std::sync::atomic::AtomicBool>,
    /// Held while decoding and queueing input, so the pause task and the
    /// reads queue in the order they decoded.
    turn: Arc<tokio::sync::Mutex<()>>,
    /// Requests left (token bucket) and when it was last filled.
    requests: u64,
    requests_refilled: Instant,
    /// Input budget in bytes (token bucket).
    budget: u64,
    refilled: Instant,
    /// When a window change was last applied, and the one held back.
    resized: Instant,
    held_size: Arc<Mutex<Option<(u16, u16)>>>,
    /// The fingerprint (`SHA256:...`) of the key the reader signed in
    /// with, when their state is to be kept (`Shared::remember`).
    reader_key: Option<String>,
}

impl Connection {
    pub fn new(shared: Arc<Shared>, peer: SocketAddr, control: Arc<Control>) -> Self {
        let burst = u64::from(shared.limits.input_burst);
        Self {
            shared,
            peer,
            control,
            channel: None,
            size: None,
            clamped: false,
            said_clamp: None,
            env: HashMap::new(),
            decoder: Arc::default(),
            reads: Arc::default(),
            esc_armed: Arc::default(),
            turn: Arc::default(),
            budget: burst,
            requests: REQUEST_BURST,
            requests_refilled: Instant::now(),
            refilled: Instant::now(),
            resized: Instant::now()
                .checked_sub(RESIZE_INTERVAL)
                .unwrap_or_else(Instant::now),
            held_size: Arc::default(),
            reader_key: None,
        }
    }

    /// The size we draw at for the window asked, and whether it was cut.
    /// A window with no width or height has no size yet: nothing is
    /// drawn (nor sent) until a window change gives it one.
    fn clamp(&self, cols: u32, rows: u32) -> ((u16, u16), bool) {
        if cols == 0 || rows == 0 {
            return ((0, 0), false);
        }
        let l: &Limits = &self.shared.limits;
        let w = u16::try_from(cols).unwrap_or(u16::MAX).clamp(1, l.max_cols);
        let h = u16::try_from(rows).unwrap_or(u16::MAX).clamp(1, l.max_rows);
        let clamped = cols > u32::from(l.max_cols) || rows > u32::from(l.max_rows);
        ((w, h), clamped)
    }

    /// Hands an input to the reader. A full queue slows the client (we
    /// stop reading its channel); one that stays full ends the session.
    async fn deliver(&self, input: Input) -> bool {
        deliver(&self.control, self.peer, input).await
    }

    /// The debug-only fault hook (see `Shared::fault_key`).
    fn fault(&self, input: &Input) {
        #[cfg(debug_assertions)]
        if let (
            Some(c),
            Input::Key(crate::input::Key {
                code: crate::input::KeyCode::Char(k),
                ..
            }),
        ) = (self.shared.fault_key, input)
            && c == *k
        {
            self.control.inject_fault();
        }
        #[cfg(not(debug_assertions))]
        let _ = input;
    }
}

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    /// Anyone, unless keys are asked for; with `remember_any_key` a
    /// client is first made to offer its keys (see `auth_keyboard_interactive`).
    async fn auth_none(&mut self, user: &str) -> Result<Auth, Self::Error> {
        let accepted = self.shared.authorized.is_none() && !self.shared.remember.any_key;
        Ok(self.answer_keyless("none", user, accepted))
    }

    async fn auth_password(&mut self, user: &str, _password: &str) -> Result<Auth, Self::Error> {
        self.shared.metrics.auth("password", false);
        log(&format!(
            "event=auth peer={} user={} method=password result=reject",
            self.peer,
            sanitize(user)
        ));
        Ok(Auth::reject())
    }

    /// A key that is not authorized is refused when offered, before the
    /// client signs anything, and logged as such.
    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: russh::server::PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        if self.authorized(offer.public_key) {
            return Ok(Auth::Accept);
        }
        self.shared.metrics.auth("publickey", false);
        log(&format!(
            "event=auth peer={} user={} method=publickey result=reject fingerprint={}",
            self.peer,
            sanitize(user),
            offer.public_key.fingerprint(russh::keys::HashAlg::Sha256)
        ));
        Ok(Auth::reject())
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: russh::server::VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let accepted = self.authorized(key.public_key);
        self.shared.metrics.auth("publickey", accepted);
        let remembered = self.shared.authorized.is_some() || self.shared.remember.any_key;
        if accepted && remembered {
            self.reader_key = Some(
                key.public_key
                    .fingerprint(russh::keys::HashAlg::Sha256)
                    .to_string(),
            );
        }
        log(&format!(
            "event=auth peer={} user={} method=publickey result={} fingerprint={}",
            self.peer,
            sanitize(user),
            if accepted { "accept" } else { "reject" },
            key.public_key.fingerprint(russh::keys::HashAlg::Sha256)
        ));
        Ok(if accepted {
            Auth::Accept
        } else {
            Auth::reject()
        })
    }

    /// With `remember_any_key`, `none` is refused so that a client offers
    /// its keys; one that has none comes here and reads anonymously, asked
    /// nothing (OpenSSH shows no prompt for an empty question list).
    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        _response: Option<russh::server::Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        let accepted = self.shared.authorized.is_none() && self.shared.remember.any_key;
        Ok(self.answer_keyless("keyboard-interactive", user, accepted))
    }

    /// Logged in: the login watch is over.
    async fn auth_succeeded(&mut self, _session: &mut Session) -> Result<(), Self::Error> {
        self.control
            .advance(Phase::AwaitingAuth, Phase::Authenticated);
        self.control.touch();
        Ok(())
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.over_request_limit(session) {
            reply
                .reject(russh::ChannelOpenFailure::AdministrativelyProhibited)
                .await;
            return Ok(());
        }
        // One session per connection.
        if self.channel.is_some() {
            self.refuse("channel", "one_session_per_connection");
            reply
                .reject(russh::ChannelOpenFailure::AdministrativelyProhibited)
                .await;
        } else {
            self.channel = Some(channel.id());
            reply.accept().await;
        }
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        term: &str,
        cols: u32,
        rows: u32,
        _pw: u32,
        _ph: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.over_request_limit(session) {
            let _ = session.channel_failure(channel);
            return Ok(());
        }
        if Some(channel) != self.channel || !self.control.advance(Phase::Authenticated, Phase::Pty)
        {
            self.refuse("pty", "already_granted");
            session.channel_failure(channel)?;
            return Ok(());
        }
        let (size, clamped) = self.clamp(cols, rows);
        self.size = Some(size);
        self.clamped = clamped;
        self.env
            .insert("TERM".into(), term.chars().take(64).collect());
        log(&format!(
            "event=pty peer={} size={}x{} asked={cols}x{rows}",
            self.peer, size.0, size.1
        ));
        session.channel_success(channel)?;
        Ok(())
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.over_request_limit(session) {
            let _ = session.channel_failure(channel);
            return Ok(());
        }
        if allowed_env(name) && self.env.len() < 32 {
            self.env
                .insert(name.to_owned(), value.chars().take(256).collect());
            session.channel_success(channel)?;
        } else {
            session.channel_failure(channel)?;
        }
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        _channel: ChannelId,
        cols: u32,
        rows: u32,
        _pw: u32,
        _ph: u32,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let ((w, h), clamped) = self.clamp(cols, rows);
        if Some((w, h)) != self.size {
            log(&format!(
                "event=resize peer={} size={w}x{h} asked={cols}x{rows}",
                self.peer
            ));
        }
        self.size = Some((w, h));
        self.clamped = clamped;
        if self.control.phase() != Phase::Running {
            return Ok(());
        }
        // The clamp is said once per size, and taken back when the window
        // fits again.
        let said = clamped.then_some((w, h));
        if said != self.said_clamp {
            self.said_clamp = said;
            let outcome = if clamped {
                crate::input::Outcome::WindowClamped {
                    width: w,
                    height: h,
                }
            } else {
                crate::input::Outcome::WindowFits
            };
            self.deliver(Input::Outcome(outcome)).await;
        }
        // Rate-limited: within the interval the size is held back, and a
        // task (at most one) applies the latest when the interval is over.
        let since = self.resized.elapsed();
        if since >= RESIZE_INTERVAL {
            self.resized = Instant::now();
            self.deliver(Input::Resize(w, h)).await;
            return Ok(());
        }
        let first_held = self
            .held_size
            .lock()
            .is_ok_and(|mut held| held.replace((w, h)).is_none());
        let wait = RESIZE_INTERVAL.saturating_sub(since);
        if first_held {
            self.resized = Instant::now() + wait;
            let held = Arc::clone(&self.held_size);
            let control = Arc::clone(&self.control);
            tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                let size = held.lock().ok().and_then(|mut h| h.take());
                if let Some((w, h)) = size {
                    let _ = control.send(Input::Resize(w, h));
                }
            });
        }
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.over_request_limit(session) {
            let _ = session.channel_failure(channel);
            return Ok(());
        }
        let phase = self.control.phase();
        if Some(channel) != self.channel || phase >= Phase::Running {
            self.refuse("shell", "already_running");
            session.channel_failure(channel)?;
            return Ok(());
        }
        let Some((w, h)) = self.size.filter(|_| phase == Phase::Pty) else {
            self.refuse("shell", "no_terminal");
            session.channel_success(channel)?;
            // On stderr (extended data 1), like the refusal of a command:
            // `ssh -T host > file` must not hide it in the file.
            let message = "aiwatch-tui needs a terminal: connect with ssh -t\r\n";
            session.extended_data(channel, 1, message.as_bytes().to_vec())?;
            session.exit_status_request(channel, 1)?;
            session.eof(channel)?;
            session.close(channel)?;
            return Ok(());
        };
        let started = reader::start(reader::Start {
            shared: &self.shared,
            env: self.env.clone(),
            size: (w, h),
            clamped: self.clamped,
            handle: session.handle(),
            channel,
            peer: self.peer,
            reader_key: self.reader_key.clone(),
        });
        match started {
            Ok(reader) => {
                self.said_clamp = self.clamped.then_some((w, h));
                if let Ok(mut state) = self.control.state.lock() {
                    state.phase = Phase::Running;
                    state.reader = Some(reader);
                }
                self.control.ran.store(true, Ordering::Relaxed);
                self.shared.metrics.session_started();
                log(&format!(
                    "event=session_start peer={} size={w}x{h} kept={}",
                    self.peer,
                    if self.reader_key.is_some() && self.shared.remember.store.is_some() {
                        "yes"
                    } else {
                        "no"
                    }
                ));
                session.channel_success(channel)?;
            }
            Err(e) => {
                self.shared.metrics.refused("no_thread");
                log(&format!(
                    "event=refuse peer={} request=shell reason=no_thread error=\"{}\"",
                    self.peer,
                    sanitize(&e.to_string())
                ));
                session.channel_failure(channel)?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn channel_open_direct_tcpip(
        &mut self,
        _channel: Channel<Msg>,
        _host: &str,
        _port: u32,
        _from: &str,
        _from_port: u32,
        reply: ChannelOpenHandle,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.over_request_limit(session) {
            reply
                .reject(russh::ChannelOpenFailure::AdministrativelyProhibited)
                .await;
            return Ok(());
        }
        self.refuse("port-forwarding", "no_forwarding");
        reply
            .reject(russh::ChannelOpenFailure::AdministrativelyProhibited)
            .await;
        Ok(())
    }

    async fn tcpip_forward(
        &mut self,
        _address: &str,
        _port: &mut u32,
        session: &mut Session,
    ) -> Result<bool, Self::Error> {
        if self.over_request_limit(session) {
            return Ok(false);
        }
        self.refuse("remote-forwarding", "no_forwarding");
        Ok(false)
    }

    async fn agent_request(
        &mut self,
        _channel: ChannelId,
        session: &mut Session,
    ) -> Result<bool, Self::Error> {
        if self.over_request_limit(session) {
            return Ok(false);
        }
        self.refuse("agent-forwarding", "no_forwarding");
        Ok(false)
    }

    /// X11 forwarding (`ssh -X`): refused like the others, and said so
    /// (russh's default neither refuses it nor logs it).
    async fn x11_request(
        &mut self,
        channel: ChannelId,
        _single_connection: bool,
        _x11_auth_protocol: &str,
        _x11_auth_cookie: &str,
        _x11_screen_number: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.over_request_limit(session) {
            let _ = session.channel_failure(channel);
            return Ok(());
        }
        self.refuse("x11-forwarding", "no_forwarding");
        session.channel_failure(channel)?;
        Ok(())
    }

    /// A command: answered on stderr with exit status 1, so `ssh host ls`
    /// prints why rather than a bare failure.
    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.over_request_limit(session) {
            let _ = session.channel_failure(channel);
            return Ok(());
        }
        self.refuse("exec", "no_commands");
        session.channel_success(channel)?;
        // In the client's language, as the session's goodbyes are.
        let lookup = |name: &str| self.env.get(name).cloned();
        let language = crate::setup::language(None, &self.shared.config, lookup);
        let message = format!(
            "aiwatch-tui: {}\r\n",
            self.shared.locales.get(&language).ui.no_commands
        );
        session.extended_data(channel, 1, message.as_bytes().to_vec())?;
        session.exit_status_request(channel, 1)?;
        session.eof(channel)?;
        session.close(channel)?;
        Ok(())
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.over_request_limit(session) {
            let _ = session.channel_failure(channel);
            return Ok(());
        }
        self.refuse(
            &format!("subsystem name={}", sanitize(name)),
            "no_subsystems",
        );
        session.channel_failure(channel)?;
        Ok(())
    }

    async fn data(
        &mut self,
        _channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Token bucket: a steady rate with a burst allowance; beyond it,
        // keys are dropped (paste markers are still followed).
        let limits = &self.shared.limits;
        let now = Instant::now();
        let elapsed_ms =
            u64::try_from(now.duration_since(self.refilled).as_millis()).unwrap_or(u64::MAX);
        let refill = elapsed_ms.saturating_mul(u64::from(limits.input_rate)) / 1000;
        if refill > 0 {
            self.budget = self
                .budget
                .saturating_add(refill)
                .min(u64::from(limits.input_burst));
            self.refilled = now;
        }
        let take = usize::try_from(self.budget)
            .unwrap_or(usize::MAX)
            .min(data.len());
        self.budget -= take as u64;
        self.control.touch();
        self.shared.metrics.input(data.len());
        // In turn with the pause task (see `complete_after_pause`).
        let turn = Arc::clone(&self.turn);
        let _turn = turn.lock().await;
        let (inputs, waiting) = match self.decoder.lock() {
            Ok(mut decoder) => {
                let mut inputs = decoder.feed(&data[..take]);
                if take < data.len() {
                    inputs.extend(decoder.feed_over_budget(&data[take..]));
                }
                self.reads.fetch_add(1, Ordering::SeqCst);
                (inputs, decoder.waiting())
            }
            Err(_) => (Vec::new(), false),
        };
        // One read is one queued input: the reader applies it whole and
        // draws once, so a long burst does not become a frame per key
        // (frames the client would have to take while we wait here).
        for input in &inputs {
            self.fault(input);
        }
        let mut inputs = inputs;
        let batch = match inputs.len() {
            0 => None,
            1 => inputs.pop(),
            _ => Some(Input::Batch(inputs)),
        };
        if let Some(batch) = batch {
            self.control.stamp_input(self.shared.metrics.stamp());
            self.deliver(batch).await;
        }
        // A lone Esc (or a sequence cut short): completed after a pause
        // unless more follows. The pause is kept by a task, not here, so
        // the next read (the rest of a paste marker, say) is taken at once.
        if waiting && !self.esc_armed.swap(true, Ordering::SeqCst) {
            tokio::spawn(complete_after_pause(
                Arc::clone(&self.decoder),
                Arc::clone(&self.reads),
                Arc::clone(&self.esc_armed),
                Arc::clone(&self.control),
                Arc::clone(&self.turn),
                Arc::clone(&self.shared.metrics),
                self.peer,
            ));
        }
        Ok(())
    }
}

impl Connection {
    /// Counts one request (a channel, pty, env, shell, command, subsystem
    /// or forwarding) against a token bucket. A client past it is dropped
    /// (`overrun`) rather than answered and logged without end.
    fn over_request_limit(&mut self, session: &mut Session) -> bool {
        let elapsed_ms =
            u64::try_from(self.requests_refilled.elapsed().as_millis()).unwrap_or(u64::MAX);
        let refill = elapsed_ms.saturating_mul(REQUEST_RATE) / 1000;
        if refill > 0 {
            self.requests = self.requests.saturating_add(refill).min(REQUEST_BURST);
            self.requests_refilled = Instant::now();
        }
        if self.requests > 0 {
            self.requests -= 1;
            return false;
        }
        if !self.control.overrun() {
            log(&format!("event=overrun peer={} what=requests", self.peer));
            self.control.set_overrun();
            let _ = session.disconnect(
                russh::Disconnect::ByApplication,
                "aiwatch-tui: too many requests",
                "en",
            );
        }
        true
    }

    /// A login without a key by `method`, counted and logged.
    fn answer_keyless(&self, method: &str, user: &str, accepted: bool) -> Auth {
        self.shared.metrics.auth(method, accepted);
        log(&format!(
            "event=auth peer={} user={} method={method} result={}",
            self.peer,
            sanitize(user),
            if accepted { "accept" } else { "reject" }
        ));
        if accepted {
            Auth::Accept
        } else {
            Auth::reject()
        }
    }

    /// A request refused: logged with its reason, and the connection's
    /// end says `refused` if no reader ran.
    fn refuse(&self, request: &str, reason: &str) {
        self.shared.metrics.refused(reason);
        log(&format!(
            "event=refuse peer={} request={request} reason={reason}",
            self.peer
        ));
        self.control.refuse();
    }

    fn authorized(&self, key: &russh::keys::PublicKey) -> bool {
        match &self.shared.authorized {
            None => true,
            Some(keys) => keys.iter().any(|k| k.key_data() == key.key_data()),
        }
    }
}

/// Hands an input to the reader. A full queue slows the client (we stop
/// reading its channel); one that stays full ends the session.
async fn deliver(control: &Control, peer: SocketAddr, mut input: Input) -> bool {
    let start = Instant::now();
    loop {
        match control.send(input) {
            Sent::Queued => return true,
            Sent::Gone => return false,
            Sent::Full(back) => {
                if start.elapsed() > OVERRUN_AFTER {
                    log(&format!("event=overrun peer={peer} what=input"));
                    control.end_reader(End::Overrun);
                    return false;
                }
                input = back;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
}

/// How long bytes that may begin a sequence wait for the rest before they
/// count as keys (a lone Esc). What comes within it joins them, however
/// the bytes were cut into reads (an Esc and a key then are Alt-key, as a
/// terminal sends it).
const ESC_PAUSE: Duration = Duration::from_millis(50);

/// Completes what the decoder holds once no read came for `ESC_PAUSE`.
async fn complete_after_pause(
    decoder: Arc<Mutex<Decoder>>,
    reads: Arc<std::sync::atomic::AtomicU64>,
    armed: Arc<std::sync::atomic::AtomicBool>,
    control: Arc<Control>,
    turn: Arc<tokio::sync::Mutex<()>>,
    metrics: Arc<super::metrics::Metrics>,
    peer: SocketAddr,
) {
    loop {
        let seen = reads.load(Ordering::SeqCst);
        tokio::time::sleep(ESC_PAUSE).await;
        // In turn with the reads: what was decoded first is queued first.
        let _turn = turn.lock().await;
        let inputs = match decoder.lock() {
            // Checked under the lock: a read being decoded cannot slip
            // in between.
            Ok(mut d) if reads.load(Ordering::SeqCst) == seen => d.flush(),
            Ok(d) if d.waiting() => continue,
            _ => Vec::new(),
        };
        // A key complete only now counts from now (its pause is not
        // the reader's).
        if !inputs.is_empty() {
            control.stamp_input(metrics.stamp());
        }
        for input in inputs {
            if !deliver(&control, peer, input).await {
                break;
            }
        }
        armed.store(false, Ordering::SeqCst);
        // A read that came just now may have found us still armed.
        let again = decoder.lock().is_ok_and(|d| d.waiting());
        if !again || armed.swap(true, Ordering::SeqCst) {
            return;
        }
    }
}

/// Printable text of a client-chosen string, for the log.
fn sanitize(s: &str) -> String {
    crate::text::sanitize(s, false)
        .0
        .chars()
        .take(64)
        .map(|c| {
            if c == '"' || c.is_whitespace() {
                '_'
            } else {
                c
            }
        })
        .collect()
}
