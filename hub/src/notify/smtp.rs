//! A small SMTP client for email notifications: EHLO, optional STARTTLS (system roots),
//! optional AUTH PLAIN, one message to a few recipients. A password is never sent over a
//! plaintext connection to anything but loopback. Errors quote the server's reply code and
//! text, never the credentials.

use crate::config::SmtpSection;
use base64::Engine;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufStream};
use tokio::net::TcpStream;

pub async fn send(
    relay: &SmtpSection,
    to: &[String],
    subject: &str,
    text: &str,
    timeout: Duration,
) -> Result<(), String> {
    if let Some(bad) = to.iter().chain([&relay.from]).find(|a| !valid_address(a)) {
        return Err(format!("not a usable mail address: {bad:?}"));
    }
    let message = compose(&relay.from, to, subject, text);
    tokio::time::timeout(timeout, deliver(relay, to, &message))
        .await
        .map_err(|_| {
            format!(
                "the mail relay {}:{} did not answer in time",
                relay.host, relay.port
            )
        })?
}

/// `local@domain`, printable, without the characters that would break the envelope.
pub fn valid_address(a: &str) -> bool {
    let ok_chars = a
        .chars()
        .all(|c| c.is_ascii_graphic() && !"<>()[],;:\\\"".contains(c));
    let mut parts = a.split('@');
    let (local, domain) = (parts.next(), parts.next());
    ok_chars
        && parts.next().is_none()
        && local.is_some_and(|l| !l.is_empty())
        && domain.is_some_and(|d| d.contains('.') || d == "localhost")
        && a.len() <= 254
}

async fn deliver(relay: &SmtpSection, to: &[String], message: &str) -> Result<(), String> {
    let tcp = TcpStream::connect((relay.host.as_str(), relay.port))
        .await
        .map_err(|e| {
            format!(
                "cannot connect to the mail relay {}:{}: {e}",
                relay.host, relay.port
            )
        })?;
    let loopback = tcp.peer_addr().is_ok_and(|a| a.ip().is_loopback());
    let mut s = BufStream::new(tcp);
    expect(&mut s, 220).await?;
    command(&mut s, "EHLO greenroom-hub", 250).await?;
    if relay.starttls {
        command(&mut s, "STARTTLS", 220).await?;
        let tls = greenroom_pki::roots::system_client_config().map_err(|e| e.to_string())?;
        let name = rustls::pki_types::ServerName::try_from(relay.host.clone())
            .map_err(|_| format!("{:?} is not a host name for TLS", relay.host))?;
        let stream = tokio_rustls::TlsConnector::from(Arc::new(tls))
            .connect(name, s.into_inner())
            .await
            .map_err(|e| format!("STARTTLS with {} failed: {e}", relay.host))?;
        let mut s = BufStream::new(stream);
        command(&mut s, "EHLO greenroom-hub", 250).await?;
        return transaction(&mut s, relay, to, message).await;
    }
    if relay.password.is_some() && !loopback {
        return Err(
            "refusing to send the SMTP password without STARTTLS (set notifications.smtp.starttls)"
                .into(),
        );
    }
    transaction(&mut s, relay, to, message).await
}

async fn transaction<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut BufStream<S>,
    relay: &SmtpSection,
    to: &[String],
    message: &str,
) -> Result<(), String> {
    if let (Some(user), Some(pass)) = (&relay.username, &relay.password) {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{pass}"));
        command(s, &format!("AUTH PLAIN {token}"), 235)
            .await
            .map_err(|e| e.replace(&token, "***"))?;
    }
    command(s, &format!("MAIL FROM:<{}>", relay.from), 250).await?;
    for rcpt in to {
        command(s, &format!("RCPT TO:<{rcpt}>"), 250).await?;
    }
    command(s, "DATA", 354).await?;
    s.write_all(message.as_bytes()).await.map_err(io)?;
    command(s, ".", 250).await?;
    let _ = command(s, "QUIT", 221).await;
    Ok(())
}

async fn command<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut BufStream<S>,
    line: &str,
    want: u16,
) -> Result<(), String> {
    s.write_all(format!("{line}\r\n").as_bytes())
        .await
        .map_err(io)?;
    s.flush().await.map_err(io)?;
    expect(s, want).await.map_err(|e| {
        let verb = line.split(' ').next().unwrap_or(line);
        format!("{verb}: {e}")
    })
}

/// Reads one (possibly multi-line) reply and checks its code (2xx accepted for 250).
async fn expect<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut BufStream<S>,
    want: u16,
) -> Result<(), String> {
    let mut text = String::new();
    loop {
        let mut line = String::new();
        if s.read_line(&mut line).await.map_err(io)? == 0 {
            return Err("the mail relay closed the connection".into());
        }
        let done = line.as_bytes().get(3) != Some(&b'-');
        text.push_str(line.trim_end());
        if done || text.len() > 4096 {
            break;
        }
        text.push(' ');
    }
    let code: u16 = text.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
    let accepted = code == want || (want == 250 && (200..300).contains(&code));
    if accepted {
        Ok(())
    } else {
        Err(format!(
            "the mail relay answered {}",
            text.chars().take(200).collect::<String>()
        ))
    }
}

fn io(e: std::io::Error) -> String {
    format!("mail relay connection: {e}")
}

/// The message: headers, a blank line, the text with CRLF line ends and dot-stuffing.
fn compose(from: &str, to: &[String], subject: &str, text: &str) -> String {
    let subject = if subject.is_ascii() {
        subject.replace(['\r', '\n'], " ")
    } else {
        let b64 =
            base64::engine::general_purpose::STANDARD.encode(subject.replace(['\r', '\n'], " "));
        format!("=?UTF-8?B?{b64}?=")
    };
    let mut m = format!(
        "From: Greenroom <{from}>\r\nTo: {}\r\nSubject: {subject}\r\nDate: {}\r\nMessage-ID: <{}@greenroom>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        to.join(", "),
        chrono::Utc::now().to_rfc2822(),
        uuid::Uuid::new_v4().simple(),
    );
    for line in text.lines() {
        if line.starts_with('.') {
            m.push('.');
        }
        m.push_str(line);
        m.push_str("\r\n");
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_that_could_break_the_envelope_are_refused() {
        assert!(valid_address("ops@example.org"));
        assert!(valid_address("root@localhost"));
        assert!(!valid_address("ops@example.org>\r\nRCPT TO:<x@y.z"));
        assert!(!valid_address("two@@example.org"));
        assert!(!valid_address("no-domain@"));
        assert!(!valid_address("spaces in@example.org"));
    }

    #[test]
    fn messages_are_dot_stuffed_with_crlf_and_encoded_subjects() {
        let m = compose(
            "hub@example.org",
            &["a@example.org".into()],
            "Žlutý kůň",
            "one\n.two\n",
        );
        assert!(m.contains("Subject: =?UTF-8?B?"));
        assert!(m.ends_with("one\r\n..two\r\n"));
        assert!(!m.contains("\n.two"));
    }
}
