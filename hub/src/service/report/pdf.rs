//! A small PDF 1.4 writer, just what the compliance report needs and no dependency: A4 pages
//! of text, rules and shaded boxes in the standard Type1 fonts Helvetica and Helvetica-Bold
//! (WinAnsiEncoding, so nothing is embedded), uncompressed content streams (the text can be
//! searched as it is), and a cross-reference table with the exact byte offset of every object.
//!
//! Text is Latin-1: any other character is written as `?`.

use std::fmt::Write as _;

/// A4 in points.
pub const PAGE_WIDTH: f32 = 595.28;
pub const PAGE_HEIGHT: f32 = 841.89;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Regular,
    Bold,
}

/// Advance widths (1/1000 em) of the codes 32..=126, from Adobe's Helvetica AFM files; in
/// WinAnsiEncoding code 39 is `quotesingle` and 96 `grave`.
#[rustfmt::skip]
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

#[rustfmt::skip]
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

impl Font {
    fn resource(self) -> &'static str {
        match self {
            Font::Regular => "F1",
            Font::Bold => "F2",
        }
    }

    fn base_font(self) -> &'static str {
        match self {
            Font::Regular => "Helvetica",
            Font::Bold => "Helvetica-Bold",
        }
    }

    /// The width of one WinAnsi code. Above 126 it is an upper bound (no glyph of the
    /// Latin-1 upper half is wider), so text measured with it always fits.
    fn width(self, code: u8) -> u16 {
        match code {
            32..=126 => match self {
                Font::Regular => HELVETICA[usize::from(code - 32)],
                Font::Bold => HELVETICA_BOLD[usize::from(code - 32)],
            },
            0xC6 => 1000,
            0xE6 => 889,
            0xBC..=0xBE => 834,
            0xC0..=0xDF => 778,
            _ => 611,
        }
    }
}

/// The WinAnsiEncoding code of a character: printable Latin-1 is itself, anything else `?`.
pub fn win_ansi(c: char) -> u8 {
    match u32::from(c) {
        v @ (0x20..=0x7E | 0xA0..=0xFF) => v as u8,
        _ => b'?',
    }
}

/// The width of `s` in points, set in `font` at `size`.
pub fn text_width(s: &str, font: Font, size: f32) -> f32 {
    let units: u32 = s.chars().map(|c| u32::from(font.width(win_ansi(c)))).sum();
    units as f32 * size / 1000.0
}

/// The body of a PDF literal string for `s`: `\`, `(` and `)` escaped, bytes outside
/// printable ASCII as octal escapes (so the file stays ASCII), other characters `?`.
pub fn literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for b in s.chars().map(win_ansi) {
        match b {
            b'\\' | b'(' | b')' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7E => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out
}

/// A number as PDF writes it: at most two decimals, no trailing zeros.
fn num(v: f32) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// One page's content stream, drawn in points from the bottom-left corner.
#[derive(Debug, Default)]
pub struct Page {
    content: String,
}

impl Page {
    /// Text with its baseline starting at (x, y).
    pub fn text(&mut self, x: f32, y: f32, font: Font, size: f32, s: &str) {
        let _ = writeln!(
            self.content,
            "BT /{} {} Tf {} {} Td ({}) Tj ET",
            font.resource(),
            num(size),
            num(x),
            num(y),
            literal(s)
        );
    }

    /// A straight line in `gray` (0 black, 1 white).
    pub fn rule(&mut self, (x1, y1): (f32, f32), (x2, y2): (f32, f32), width: f32, gray: f32) {
        let _ = writeln!(
            self.content,
            "q {} G {} w {} {} m {} {} l S Q",
            num(gray),
            num(width),
            num(x1),
            num(y1),
            num(x2),
            num(y2)
        );
    }

    /// A filled rectangle in `gray`, (x, y) its bottom-left corner.
    pub fn shade(&mut self, x: f32, y: f32, w: f32, h: f32, gray: f32) {
        let _ = writeln!(
            self.content,
            "q {} g {} {} {} {} re f Q",
            num(gray),
            num(x),
            num(y),
            num(w),
            num(h)
        );
    }
}

/// The document's information dictionary.
pub struct Info<'a> {
    pub title: &'a str,
    pub created: chrono::DateTime<chrono::Utc>,
}

/// The whole file: catalog (1), page tree (2), the two fonts (3, 4), info (5), then each
/// page and its content stream; the xref table; the trailer. No pages gives one blank page.
pub fn write(pages: &[Page], info: &Info) -> Vec<u8> {
    let blank = [Page::default()];
    let pages = if pages.is_empty() { &blank[..] } else { pages };
    let mut w = Writer {
        out: b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec(),
        offsets: Vec::new(),
    };
    let page_id = |i: usize| 6 + 2 * i;
    w.object(b"<< /Type /Catalog /Pages 2 0 R >>");
    let kids: Vec<String> = (0..pages.len())
        .map(|i| format!("{} 0 R", page_id(i)))
        .collect();
    w.object(
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            pages.len()
        )
        .as_bytes(),
    );
    for font in [Font::Regular, Font::Bold] {
        w.object(
            format!(
                "<< /Type /Font /Subtype /Type1 /BaseFont /{} /Encoding /WinAnsiEncoding >>",
                font.base_font()
            )
            .as_bytes(),
        );
    }
    w.object(
        format!(
            "<< /Title ({}) /Producer (Greenroom) /CreationDate (D:{}Z) >>",
            literal(info.title),
            info.created.format("%Y%m%d%H%M%S")
        )
        .as_bytes(),
    );
    for (i, page) in pages.iter().enumerate() {
        w.object(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> /ProcSet [/PDF /Text] >> /Contents {} 0 R >>",
                num(PAGE_WIDTH),
                num(PAGE_HEIGHT),
                page_id(i) + 1
            )
            .as_bytes(),
        );
        let mut stream = format!("<< /Length {} >>\nstream\n", page.content.len()).into_bytes();
        stream.extend_from_slice(page.content.as_bytes());
        stream.extend_from_slice(b"\nendstream");
        w.object(&stream);
    }
    w.finish()
}

struct Writer {
    out: Vec<u8>,
    /// The byte offset of object n + 1.
    offsets: Vec<usize>,
}

impl Writer {
    fn object(&mut self, body: &[u8]) {
        self.offsets.push(self.out.len());
        let head = format!("{} 0 obj\n", self.offsets.len());
        self.out.extend_from_slice(head.as_bytes());
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(b"\nendobj\n");
    }

    fn finish(mut self) -> Vec<u8> {
        let xref = self.out.len();
        let size = self.offsets.len() + 1;
        // Each entry is exactly 20 bytes, its end of line being " \n".
        let mut table = format!("xref\n0 {size}\n0000000000 65535 f \n");
        for off in &self.offsets {
            let _ = writeln!(table, "{off:010} 00000 n ");
        }
        let _ = write!(
            table,
            "trailer\n<< /Size {size} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n"
        );
        self.out.extend_from_slice(table.as_bytes());
        self.out
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// What a structural check of a written file found.
    pub struct Facts {
        pub pages: usize,
        /// Every content stream, concatenated.
        pub text: String,
    }

    fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    }

    /// Checks header, trailer, that every xref offset points at its `N 0 obj`, that every
    /// stream's /Length is right, and that /Count matches the page objects.
    pub fn verify(pdf: &[u8]) -> Result<Facts, String> {
        // Byte for byte (offsets must not move): anything outside ASCII as `?`.
        let s: String = pdf
            .iter()
            .map(|&b| if b.is_ascii() { char::from(b) } else { '?' })
            .collect();
        if !pdf.starts_with(b"%PDF-1.4\n") || !pdf.ends_with(b"%%EOF\n") {
            return Err("header or %%EOF missing".into());
        }
        let at = s.rfind("startxref\n").ok_or("no startxref")?;
        let xref: usize = s[at + 10..]
            .lines()
            .next()
            .and_then(|l| l.parse().ok())
            .ok_or("bad startxref")?;
        let table = s.get(xref..).ok_or("startxref past the end")?;
        let mut lines = table.lines();
        if lines.next() != Some("xref") {
            return Err(format!("no xref at {xref}"));
        }
        let size: usize = lines
            .next()
            .and_then(|l| l.strip_prefix("0 "))
            .and_then(|n| n.parse().ok())
            .ok_or("bad xref subsection")?;
        if !table.contains(&format!("/Size {size} ")) {
            return Err("/Size does not match the xref".into());
        }
        let entries = &table.as_bytes()[table.find('\n').unwrap_or(0) + 1..];
        let entries = &entries[entries.iter().position(|b| *b == b'\n').unwrap_or(0) + 1..];
        for n in 1..size {
            let e = entries
                .get(n * 20..n * 20 + 20)
                .ok_or("xref table too short")?;
            let off: usize = std::str::from_utf8(&e[..10])
                .ok()
                .and_then(|o| o.parse().ok())
                .ok_or("bad xref entry")?;
            if !pdf[off..].starts_with(format!("{n} 0 obj\n").as_bytes()) {
                return Err(format!("object {n} is not at {off}"));
            }
        }
        let mut text = String::new();
        let mut from = 0;
        while let Some(p) = find(pdf, b"/Length ", from) {
            let rest = &s[p + 8..];
            let len: usize = rest[..rest.find(' ').ok_or("bad /Length")?]
                .parse()
                .map_err(|_| "bad /Length")?;
            let start = find(pdf, b"stream\n", p).ok_or("no stream")? + 7;
            if !pdf[start + len..].starts_with(b"\nendstream") {
                return Err(format!("wrong /Length {len} at {p}"));
            }
            text.push_str(&s[start..start + len]);
            from = start + len;
        }
        let pages = s.matches("/Type /Page ").count();
        if !s.contains(&format!("/Count {pages} ")) {
            return Err("/Count does not match the pages".into());
        }
        Ok(Facts { pages, text })
    }

    fn info() -> Info<'static> {
        Info {
            title: "T (1)",
            created: chrono::Utc::now(),
        }
    }

    #[test]
    fn literals_escape_and_stay_latin_1() {
        assert_eq!(literal(r"a\b(c)"), r"a\\b\(c\)");
        assert_eq!(literal("é€😀\t"), r"\351???");
        assert_eq!(win_ansi('ÿ'), 0xFF);
        assert_eq!(win_ansi('\u{85}'), b'?');
    }

    #[test]
    fn widths_follow_the_font_metrics() {
        assert_eq!(
            text_width("Hi", Font::Regular, 10.0),
            (722 + 222) as f32 / 100.0
        );
        assert!(text_width("Hi", Font::Bold, 10.0) > text_width("Hi", Font::Regular, 10.0));
        assert_eq!(num(12.0), "12");
        assert_eq!(num(0.875), "0.88");
        assert_eq!(num(f32::NAN), "0");
    }

    #[test]
    fn the_file_is_well_formed_and_every_offset_is_right() {
        let mut pages = vec![Page::default(), Page::default(), Page::default()];
        for (i, p) in pages.iter_mut().enumerate() {
            p.text(40.0, 800.0, Font::Bold, 12.0, &format!("page {i} (x) \\ é"));
            p.rule((0.0, 0.0), (10.0, 10.0), 0.5, 0.5);
            p.shade(1.0, 2.0, 3.0, 4.0, 0.9);
        }
        let pdf = write(&pages, &info());
        let facts = verify(&pdf).unwrap();
        assert_eq!(facts.pages, 3);
        assert!(
            facts.text.contains(r"(page 2 \(x\) \\ \351) Tj"),
            "{}",
            facts.text
        );
        let s = String::from_utf8_lossy(&pdf);
        assert!(s.contains("/BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding"));
        assert!(s.contains(r"/Title (T \(1\))"));
        // No pages is still a valid file, with one blank page.
        assert_eq!(verify(&write(&[], &info())).unwrap().pages, 1);
    }
}
