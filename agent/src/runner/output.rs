//! A job's output: the capped copy kept for the result (head and tail of each stream) and
//! the pieces streamed live to the hub as they are read.

use greenroom_proto::Stream;
use std::collections::VecDeque;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::{mpsc, watch};

/// A piece of raw output as read from the child, before UTF-8 decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputPiece {
    pub stream: Stream,
    pub data: Vec<u8>,
}

/// Keeps the first and last `cap / 2` bytes of a stream; what is between is counted only.
#[derive(Debug)]
pub struct CappedBuffer {
    head_cap: usize,
    tail_cap: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: u64,
}

impl CappedBuffer {
    pub fn new(cap: usize) -> Self {
        let head_cap = cap / 2;
        Self {
            head_cap,
            tail_cap: cap - head_cap,
            head: Vec::new(),
            tail: VecDeque::new(),
            total: 0,
        }
    }

    pub fn push(&mut self, mut data: &[u8]) {
        self.total += data.len() as u64;
        let room = self.head_cap.saturating_sub(self.head.len());
        if room > 0 {
            let n = room.min(data.len());
            self.head.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        if data.len() >= self.tail_cap {
            self.tail.clear();
            self.tail.extend(&data[data.len() - self.tail_cap..]);
        } else {
            let overflow = (self.tail.len() + data.len()).saturating_sub(self.tail_cap);
            self.tail.drain(..overflow);
            self.tail.extend(data);
        }
    }

    /// Whether bytes were dropped from the middle.
    pub fn truncated(&self) -> bool {
        self.total > (self.head.len() + self.tail.len()) as u64
    }

    /// The kept text (UTF-8, lossy) with a marker where bytes were omitted.
    pub fn finish(self) -> String {
        let omitted = self.total - (self.head.len() + self.tail.len()) as u64;
        let (a, b) = self.tail.as_slices();
        if omitted == 0 {
            let mut all = self.head;
            all.extend_from_slice(a);
            all.extend_from_slice(b);
            return String::from_utf8_lossy(&all).into_owned();
        }
        let mut tail = Vec::with_capacity(a.len() + b.len());
        tail.extend_from_slice(a);
        tail.extend_from_slice(b);
        format!(
            "{}\n[greenroom: {omitted} bytes omitted]\n{}",
            String::from_utf8_lossy(&self.head),
            String::from_utf8_lossy(&tail)
        )
    }
}

/// Decodes a byte stream to UTF-8 piece by piece without splitting a character across two
/// pieces; invalid bytes become U+FFFD.
#[derive(Debug, Default)]
pub struct Utf8Carry {
    pending: Vec<u8>,
}

impl Utf8Carry {
    pub fn push(&mut self, data: &[u8]) -> String {
        self.pending.extend_from_slice(data);
        let mut out = String::new();
        let mut rest: &[u8] = &self.pending;
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.push_str(s);
                    rest = &[];
                    break;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    // `valid` is valid UTF-8 by construction.
                    out.push_str(&String::from_utf8_lossy(valid));
                    match e.error_len() {
                        Some(bad) => {
                            out.push('\u{FFFD}');
                            rest = &after[bad..];
                        }
                        None => {
                            rest = after;
                            break;
                        }
                    }
                }
            }
        }
        self.pending = rest.to_vec();
        out
    }

    /// Whatever incomplete character is left at the end of the stream.
    pub fn finish(&mut self) -> String {
        let s = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        s
    }
}

/// What one stream reader produced.
#[derive(Debug)]
pub struct Pumped {
    pub kept: CappedBuffer,
    /// Bytes that could not be streamed live because the sender was full or gone.
    pub not_streamed: u64,
}

/// One stream's side of [`pump`].
struct Side<R> {
    reader: R,
    stream: Stream,
    kept: CappedBuffer,
    not_streamed: u64,
    open: bool,
}

impl<R> Side<R> {
    fn new(reader: R, stream: Stream, cap: usize) -> Self {
        Side {
            reader,
            stream,
            kept: CappedBuffer::new(cap),
            not_streamed: 0,
            open: true,
        }
    }

    fn take(&mut self, data: &[u8], live: Option<&mpsc::Sender<OutputPiece>>) {
        self.kept.push(data);
        if let Some(tx) = live
            && tx
                .try_send(OutputPiece {
                    stream: self.stream,
                    data: data.to_vec(),
                })
                .is_err()
        {
            self.not_streamed += data.len() as u64;
        }
    }

    fn done(self) -> Pumped {
        Pumped {
            kept: self.kept,
            not_streamed: self.not_streamed,
        }
    }
}

/// Reads a process's stdout and stderr to their ends (or until `stop` turns true) in one
/// task, keeping a capped copy of each and sending each piece to `live` in the order it
/// was read, without ever waiting on `live`. One reader, not one per pipe: pieces of the
/// two streams reach `live` in the order they were read. When both pipes hold data at one
/// wake-up, stdout is read first — the order of a script that prints to stdout and then
/// to stderr (which of two writes microseconds apart came first is not knowable across
/// two pipes).
pub async fn pump(
    stdout: impl AsyncRead + Unpin,
    stderr: impl AsyncRead + Unpin,
    cap: usize,
    live: Option<mpsc::Sender<OutputPiece>>,
    mut stop: watch::Receiver<bool>,
) -> (Pumped, Pumped) {
    let mut out = Side::new(stdout, Stream::Stdout, cap);
    let mut err = Side::new(stderr, Stream::Stderr, cap);
    let mut out_buf = vec![0u8; 16 * 1024];
    let mut err_buf = vec![0u8; 16 * 1024];
    while out.open || err.open {
        tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => break,
            r = out.reader.read(&mut out_buf), if out.open => match r {
                Ok(0) | Err(_) => out.open = false,
                Ok(n) => out.take(&out_buf[..n], live.as_ref()),
            },
            r = err.reader.read(&mut err_buf), if err.open => match r {
                Ok(0) | Err(_) => err.open = false,
                Ok(n) => err.take(&err_buf[..n], live.as_ref()),
            },
        }
    }
    (out.done(), err.done())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_stream_is_kept_whole() {
        let mut b = CappedBuffer::new(100);
        b.push(b"hello ");
        b.push(b"world");
        assert!(!b.truncated());
        assert_eq!(b.finish(), "hello world");
    }

    #[test]
    fn a_long_stream_keeps_head_and_tail() {
        let mut b = CappedBuffer::new(10);
        for i in 0..100u8 {
            b.push(&[b'a' + (i % 26)]);
        }
        assert!(b.truncated());
        let s = b.finish();
        assert!(
            s.starts_with("abcde\n[greenroom: 90 bytes omitted]\n"),
            "{s}"
        );
        // bytes 95..100 are (95..100) % 26 = 17..22 -> r s t u v
        assert!(s.ends_with("rstuv"), "{s}");
        let mut b = CappedBuffer::new(10);
        b.push(&[b'x'; 1000]);
        b.push(b"END");
        let s = b.finish();
        assert!(s.starts_with("xxxxx\n") && s.ends_with("xxEND"), "{s}");
    }

    #[test]
    fn utf8_is_not_split_across_pieces() {
        let text = "héllo → wörld";
        let bytes = text.as_bytes();
        let mut c = Utf8Carry::default();
        let mut out = String::new();
        for b in bytes {
            out.push_str(&c.push(std::slice::from_ref(b)));
        }
        out.push_str(&c.finish());
        assert_eq!(out, text);
        let mut c = Utf8Carry::default();
        assert_eq!(c.push(b"a\xffb"), "a\u{FFFD}b");
        assert_eq!(c.push(b"\xe2\x86"), "");
        assert_eq!(c.finish(), "\u{FFFD}");
    }
}
