//! Reading back the hub's PDF reports without a PDF library: the file's skeleton is checked
//! (header, `%%EOF`, `startxref` pointing at the xref table, every xref offset at its
//! `N 0 obj`, stream lengths, one page object per `/Count`) and the uncompressed content
//! streams are returned so tests can look for text in them.

/// The pages and the concatenated content streams of a checked PDF.
pub struct Pdf {
    pub pages: usize,
    pub content: String,
}

/// Checks the structure of `bytes`, naming the first thing that is wrong.
pub fn parse(bytes: &[u8]) -> Result<Pdf, String> {
    // One char per byte, so that positions in the text are byte offsets.
    let text: String = bytes
        .iter()
        .map(|&b| if b < 0x80 { b as char } else { '\u{1}' })
        .collect();
    if !text.starts_with("%PDF-1.") || !text.trim_end().ends_with("%%EOF") {
        return Err("no %PDF header or no %%EOF".into());
    }
    let tail = &text[text.rfind("startxref").ok_or("no startxref")?..];
    let xref: usize = tail
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .ok_or("startxref without an offset")?;
    let mut lines = text.get(xref..).ok_or("startxref past the end")?.lines();
    if lines.next() != Some("xref") {
        return Err(format!("startxref {xref} does not point at `xref`"));
    }
    let header: Vec<usize> = lines
        .next()
        .unwrap_or_default()
        .split(' ')
        .filter_map(|n| n.parse().ok())
        .collect();
    let [first, count] = header[..] else {
        return Err("bad xref subsection header".into());
    };
    for (n, line) in (first..first + count).zip(lines.by_ref()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields[..] {
            [_, _, "f"] => {}
            [off, _, "n"] => {
                let off: usize = off.parse().map_err(|_| format!("bad offset {off}"))?;
                let at = text.get(off..).unwrap_or_default();
                if !at.starts_with(&format!("{n} 0 obj")) {
                    return Err(format!("xref: object {n} is not at {off}"));
                }
            }
            _ => return Err(format!("bad xref line {line:?}")),
        }
    }
    let trailer = lines.collect::<Vec<_>>().join("\n");
    if !trailer.contains(&format!("/Size {count}")) || !trailer.contains("/Root") {
        return Err(format!("bad trailer: {trailer}"));
    }
    let mut content = String::new();
    for (i, _) in text.match_indices("/Length ") {
        let len: usize = text[i + 8..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
            .ok_or("bad /Length")?;
        let start = i + text[i..].find("stream\n").ok_or("no stream")? + 7;
        let body = text.get(start..start + len).ok_or("stream past the end")?;
        if !text[start + len..].trim_start().starts_with("endstream") {
            return Err(format!("stream at {start}: /Length {len} is wrong"));
        }
        content.push_str(body);
    }
    let pages = text.matches("/Type /Page ").count();
    if !text.contains(&format!("/Count {pages}")) {
        return Err(format!("{pages} page objects but another /Count"));
    }
    Ok(Pdf { pages, content })
}
