//! One SSH connection: authentication, the channel requests we serve
//! (pty-req, window-change, env for a few variables, shell) and refuse
//! (everything else), and the reader app that runs for the shell.

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use russh::server::{Auth, ChannelOpenHandle, Handle, Msg, Session};
use russh::{Channel, ChannelId};

use super::decode::Decoder;
use super::{Limits, Shared, Watch, log};
use crate::app::{App, Context, Effect};
use crate::input::Input;
use crate::runtime::lean::LeanBackend;
use crate::runtime::{self, Driver};

/// Environment variables a client may set; the rest are refused.
fn allowed_env(name: &str) -> bool {
    matches!(name, "TERM" | "COLORTERM" | "NO_COLOR" | "LANG") || name.starts_with("LC_")
}

pub struct Connection {
    pub shared: Arc<Shared>,
    pub peer: SocketAddr,
    pub started: Instant,
    channel: Option<ChannelId>,
    size: Option<(u16, u16)>,
    env: HashMap<String, String>,
    inputs: Option<mpsc::Sender<Input>>,
    decoder: Decoder,
    /// Input budget in bytes (token bucket).
    budget: u64,
    refilled: Instant,
    watch: Arc<Watch>,
}

impl Connection {
    pub fn new(shared: Arc<Shared>, peer: SocketAddr, watch: Arc<Watch>) -> Self {
        let burst = u64::from(shared.limits.input_burst);
        Self {
            shared,
            peer,
            started: Instant::now(),
            channel: None,
            size: None,
            env: HashMap::new(),
            inputs: None,
            decoder: Decoder::default(),
            budget: burst,
            refilled: Instant::now(),
            watch,
        }
    }

    fn clamp(&self, cols: u32, rows: u32) -> (u16, u16) {
        let l: &Limits = &self.shared.limits;
        let w = u16::try_from(cols).unwrap_or(u16::MAX).clamp(1, l.max_cols);
        let h = u16::try_from(rows).unwrap_or(u16::MAX).clamp(1, l.max_rows);
        (w, h)
    }

    fn send(&self, input: Input) {
        if let Some(tx) = &self.inputs {
            let _ = tx.send(input);
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.send(Input::Stop);
        log(&format!(
            "event=disconnect peer={} duration_s={}",
            self.peer,
            self.started.elapsed().as_secs()
        ));
    }
}

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    async fn auth_none(&mut self, user: &str) -> Result<Auth, Self::Error> {
        if self.shared.authorized.is_some() {
            return Ok(Auth::reject());
        }
        log(&format!(
            "event=auth peer={} user={} method=none result=accept",
            self.peer,
            sanitize(user)
        ));
        Ok(Auth::Accept)
    }

    async fn auth_password(&mut self, user: &str, _password: &str) -> Result<Auth, Self::Error> {
        log(&format!(
            "event=auth peer={} user={} method=password result=reject",
            self.peer,
            sanitize(user)
        ));
        Ok(Auth::reject())
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: russh::server::VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let accepted = match &self.shared.authorized {
            None => true,
            Some(keys) => keys
                .iter()
                .any(|k| k.key_data() == key.public_key.key_data()),
        };
        log(&format!(
            "event=auth peer={} user={} method=publickey result={}",
            self.peer,
            sanitize(user),
            if accepted { "accept" } else { "reject" }
        ));
        Ok(if accepted {
            Auth::Accept
        } else {
            Auth::reject()
        })
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // One session per connection.
        if self.channel.is_some() {
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
        let size = self.clamp(cols, rows);
        self.size = Some(size);
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
        let (w, h) = self.clamp(cols, rows);
        if Some((w, h)) != self.size {
            log(&format!(
                "event=resize peer={} size={w}x{h} asked={cols}x{rows}",
                self.peer
            ));
        }
        self.size = Some((w, h));
        self.send(Input::Resize(w, h));
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let handle = session.handle();
        let Some((w, h)) = self.size else {
            session.channel_success(channel)?;
            let message = "aiwatch-tui needs a terminal: connect with ssh -t\r\n";
            let _ = handle.data(channel, message.as_bytes().to_vec()).await;
            let _ = handle.exit_status_request(channel, 1).await;
            let _ = handle.close(channel).await;
            return Ok(());
        };
        session.channel_success(channel)?;
        let (tx, rx) = mpsc::channel();
        self.inputs = Some(tx.clone());
        start_reader(
            &self.shared,
            self.env.clone(),
            (w, h),
            rx,
            tx,
            &handle,
            channel,
            self.peer,
        );
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
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        log(&format!(
            "event=refuse peer={} request=port-forwarding",
            self.peer
        ));
        reply
            .reject(russh::ChannelOpenFailure::AdministrativelyProhibited)
            .await;
        Ok(())
    }

    async fn tcpip_forward(
        &mut self,
        _address: &str,
        _port: &mut u32,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        log(&format!(
            "event=refuse peer={} request=remote-forwarding",
            self.peer
        ));
        Ok(false)
    }

    async fn agent_request(
        &mut self,
        _channel: ChannelId,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        log(&format!(
            "event=refuse peer={} request=agent-forwarding",
            self.peer
        ));
        Ok(false)
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        log(&format!("event=refuse peer={} request=exec", self.peer));
        session.channel_failure(channel)?;
        Ok(())
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        log(&format!(
            "event=refuse peer={} request=subsystem name={}",
            self.peer,
            sanitize(name)
        ));
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
        // input is dropped.
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
        if let Ok(mut last) = self.watch.last_input.lock() {
            *last = now;
        }
        for input in self.decoder.feed(&data[..take]) {
            self.send(input);
        }
        // A lone Esc: complete it after a short pause unless more follows.
        if data.last() == Some(&0x1b) {
            tokio::time::sleep(Duration::from_millis(30)).await;
            for input in self.decoder.flush() {
                self.send(input);
            }
        }
        Ok(())
    }
}

/// Printable text of a client-chosen string, for the log.
fn sanitize(s: &str) -> String {
    crate::text::sanitize(s, false).0.chars().take(64).collect()
}

/// Frames go to the channel through a bounded queue; a client that does
/// not read them fills it and is dropped rather than growing memory.
struct ChannelWriter {
    buf: Vec<u8>,
    frames: tokio::sync::mpsc::Sender<Vec<u8>>,
    overflow: Arc<AtomicBool>,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() + data.len() > 4 << 20 {
            return Err(io::Error::other("frame too large"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    /// A flush ends a frame: hand it to the sender task.
    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let frame = std::mem::take(&mut self.buf);
        self.frames.try_send(frame).map_err(|_| {
            self.overflow.store(true, Ordering::SeqCst);
            io::Error::other("the client does not keep up")
        })
    }
}

struct SessionDriver {
    inputs: mpsc::Sender<Input>,
}

/// At most this many frames per second reach a client.
const FRAME_INTERVAL: Duration = Duration::from_millis(33);

impl Driver<LeanBackend<ChannelWriter>> for SessionDriver {
    fn frame_interval(&self) -> Option<Duration> {
        Some(FRAME_INTERVAL)
    }

    fn resized(
        &mut self,
        terminal: &mut Terminal<LeanBackend<ChannelWriter>>,
        width: u16,
        height: u16,
    ) -> io::Result<()> {
        terminal.backend_mut().set_size(width, height);
        terminal.resize(Rect::new(0, 0, width, height))
    }

    fn perform(
        &mut self,
        effect: Effect,
        app: &mut App,
        terminal: &mut Terminal<LeanBackend<ChannelWriter>>,
    ) {
        match effect {
            // The reader's own clipboard, through SSH: OSC 52. A browser on
            // the server would be no use to them, so links are copied too.
            Effect::Copy(text) | Effect::OpenUrl(text) => {
                runtime::copy_to_clipboard(terminal.backend_mut(), &text, app);
            }
            Effect::Timer { after_ms, token } => {
                runtime::spawn_timer(self.inputs.clone(), after_ms, token);
            }
            // Served readers keep their state in memory; the shared index
            // is built once per server and given to every session.
            Effect::Save(_) | Effect::Quit | Effect::BuildSearchIndex => {}
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn start_reader(
    shared: &Shared,
    env: HashMap<String, String>,
    (w, h): (u16, u16),
    rx: mpsc::Receiver<Input>,
    tx: mpsc::Sender<Input>,
    handle: &Handle,
    channel: ChannelId,
    peer: SocketAddr,
) {
    let (frames_tx, mut frames_rx) =
        tokio::sync::mpsc::channel::<Vec<u8>>(shared.limits.frame_queue);
    let overflow = Arc::new(AtomicBool::new(false));
    // The sender task: frames out, then the end of the session.
    let sender = handle.clone();
    let restore = frames_tx.clone();
    tokio::spawn(async move {
        while let Some(frame) = frames_rx.recv().await {
            // A client that takes no output for 30 s is gone for our purposes.
            match tokio::time::timeout(Duration::from_secs(30), sender.data(channel, frame)).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => break,
                Err(_) => {
                    log(&format!(
                        "event=drop peer={peer} reason=\"output blocked for 30 s\""
                    ));
                    break;
                }
            }
        }
        let _ = sender.exit_status_request(channel, 0).await;
        let _ = sender.eof(channel).await;
        let _ = sender.close(channel).await;
    });
    let lookup = move |name: &str| env.get(name).cloned();
    let mut config = (*shared.config).clone();
    let depth = config.color_depth(&lookup);
    config.adapt_colors(depth);
    let language = crate::setup::language(None, &config, &lookup);
    let ctx = Context {
        library: Arc::clone(&shared.library),
        config: Arc::new(config),
        locales: Arc::clone(&shared.locales),
    };
    let index = shared.search_index();
    let mouse = shared.config.mouse;
    std::thread::spawn(move || {
        let writer = ChannelWriter {
            buf: Vec::new(),
            frames: frames_tx,
            overflow: Arc::clone(&overflow),
        };
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> io::Result<()> {
                let options = TerminalOptions {
                    viewport: Viewport::Fixed(Rect::new(0, 0, w, h)),
                };
                let mut terminal =
                    Terminal::with_options(LeanBackend::with_size(writer, w, h), options)?;
                let out = terminal.backend_mut();
                // Alternate screen, no cursor, bracketed paste (a pasted
                // "q" is not a command), the mouse when the config wants it.
                out.write_all(b"\x1b[?1049h\x1b[?25l\x1b[?2004h")?;
                if mouse {
                    out.write_all(b"\x1b[?1000h\x1b[?1002h\x1b[?1006h")?;
                }
                let mut app = App::new(ctx, &language);
                if let Some(index) = index {
                    app.handle(Input::SearchIndex(index));
                }
                let mut driver = SessionDriver { inputs: tx };
                for effect in app.handle(Input::Resize(w, h)) {
                    driver.perform(effect, &mut app, &mut terminal);
                }
                let result = runtime::run(&mut terminal, &mut app, &rx, &mut driver);
                let out = terminal.backend_mut();
                let _ = out
                    .write_all(b"\x1b[?1006l\x1b[?1002l\x1b[?1000l\x1b[?2004l\x1b[?25h\x1b[?1049l");
                let _ = Write::flush(out);
                result
            }));
        let reason = match outcome {
            Ok(Ok(())) => "quit".to_owned(),
            Ok(Err(e)) if overflow.load(Ordering::SeqCst) => format!("slow client ({e})"),
            Ok(Err(e)) => format!("error ({e})"),
            Err(_) => {
                // Give the client its terminal back; the server goes on.
                let _ = restore.try_send(
                    b"\x1b[0m\x1b[?25h\x1b[?1049l\r\naiwatch-tui: this session failed\r\n".to_vec(),
                );
                "panic in session".to_owned()
            }
        };
        drop(restore);
        log(&format!(
            "event=session_end peer={peer} reason=\"{reason}\""
        ));
    });
}
