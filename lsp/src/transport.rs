//! Framing in front of the protocol library. `tower-lsp-server` stops reading its input at
//! the first message it cannot decode, so garbage from a client would end the server; here
//! each `Content-Length` frame is checked first, and one that is not a JSON-RPC message is
//! replaced by a `vigil/invalidMessage` notification (logged, otherwise ignored).

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tower_lsp_server::jsonrpc::{Request, Response};

/// The largest message accepted; a bigger one is skipped.
const MAX_MESSAGE: usize = 256 << 20;

const INVALID: &[u8] = br#"{"jsonrpc":"2.0","method":"vigil/invalidMessage"}"#;

/// Whether `body` is one JSON-RPC request, notification or response.
fn is_message(body: &[u8]) -> bool {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    if !value.is_object() {
        return false;
    }
    serde_json::from_value::<Request>(value.clone()).is_ok()
        || serde_json::from_value::<Response>(value).is_ok()
}

/// Reads frames from `input` and passes on only well-formed messages.
pub(crate) fn checked<R>(input: R) -> impl AsyncRead + Unpin + Send + 'static
where
    R: AsyncRead + Unpin + Send + 'static,
{
    let (mut tx, rx) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        let mut reader = BufReader::new(input);
        loop {
            let mut len: Option<usize> = None;
            loop {
                let mut line = Vec::new();
                match reader.read_until(b'\n', &mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let line = String::from_utf8_lossy(&line);
                let line = line.trim();
                if line.is_empty() {
                    if len.is_some() {
                        break;
                    }
                    continue;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.trim().eq_ignore_ascii_case("content-length")
                {
                    len = value.trim().parse().ok();
                }
            }
            let len = len.unwrap_or(0);
            let mut body = Vec::new();
            let read = (&mut reader).take(len as u64).read_to_end(&mut body).await;
            if read.is_err() || body.len() < len {
                return;
            }
            let body: &[u8] = if len <= MAX_MESSAGE && is_message(&body) {
                &body
            } else {
                INVALID
            };
            let head = format!("Content-Length: {}\r\n\r\n", body.len());
            if tx.write_all(head.as_bytes()).await.is_err()
                || tx.write_all(body).await.is_err()
                || tx.flush().await.is_err()
            {
                return;
            }
        }
    });
    rx
}
