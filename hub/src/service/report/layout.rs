//! Text laid out on A4 pages for the PDF report: a title, label-value lines, headings,
//! paragraphs and tables whose cells wrap at spaces (long words are broken) and are cut with
//! "..." past a few lines. A new page starts when the next block does not fit, a table
//! repeats its header row there, and every page gets a footer with "Page N of M".

use super::pdf::{Font, PAGE_HEIGHT, PAGE_WIDTH, Page, text_width};

const MARGIN: f32 = 42.0;
/// The lowest a block may reach; the footer sits below it.
const BOTTOM: f32 = MARGIN + 22.0;
const TOP: f32 = PAGE_HEIGHT - MARGIN;
const WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const BODY: f32 = 9.5;
const CELL: f32 = 8.0;
const CELL_LEADING: f32 = 10.0;
const PAD: f32 = 3.0;
/// Lines a table cell may take before it is cut.
pub const MAX_CELL_LINES: usize = 4;

/// A table column: its header and its share of the width.
pub struct Column {
    pub title: &'static str,
    pub weight: f32,
}

/// Pages being filled from the top down.
pub struct Flow {
    pages: Vec<Page>,
    y: f32,
    footer: String,
}

impl Flow {
    /// A first, empty page; `footer` is printed at the bottom-left of every page.
    pub fn new(footer: String) -> Self {
        Self {
            pages: vec![Page::default()],
            y: TOP,
            footer,
        }
    }

    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page unless `h` points still fit on this one; true when it did.
    fn room(&mut self, h: f32) -> bool {
        if self.y - h >= BOTTOM || self.y >= TOP {
            return false;
        }
        self.pages.push(Page::default());
        self.y = TOP;
        true
    }

    pub fn title(&mut self, s: &str) {
        self.y -= 18.0;
        let y = self.y;
        self.page().text(MARGIN, y, Font::Bold, 18.0, s);
        self.y -= 14.0;
    }

    /// `label` in bold, then `value` wrapped beside it.
    pub fn field(&mut self, label: &str, value: &str) {
        let indent = 120.0;
        let lines = wrap(value, Font::Regular, BODY, WIDTH - indent, 6);
        self.room(lines.len() as f32 * 13.0);
        self.y -= BODY + 3.0;
        let y = self.y;
        self.page().text(MARGIN, y, Font::Bold, BODY, label);
        for (i, line) in lines.iter().enumerate() {
            let y = self.y - i as f32 * 13.0;
            self.page()
                .text(MARGIN + indent, y, Font::Regular, BODY, line);
        }
        self.y -= (lines.len() - 1) as f32 * 13.0 + 1.0;
    }

    /// A section heading, kept with at least a header row and one row below it.
    pub fn heading(&mut self, s: &str) {
        self.room(16.0 + 13.0 + 3.0 * (CELL_LEADING + 2.0 * PAD));
        self.y -= 16.0 + 13.0;
        let y = self.y;
        self.page().text(MARGIN, y, Font::Bold, 13.0, s);
        self.y -= 6.0;
    }

    pub fn paragraph(&mut self, s: &str) {
        for line in wrap(s, Font::Regular, BODY, WIDTH, usize::MAX) {
            self.room(13.0);
            self.y -= 13.0;
            let y = self.y;
            self.page().text(MARGIN, y, Font::Regular, BODY, &line);
        }
    }

    /// A table: a shaded header row, then the rows, breaking across pages between rows.
    pub fn table(&mut self, columns: &[Column], rows: &[Vec<String>]) {
        let total: f32 = columns.iter().map(|c| c.weight.max(0.1)).sum();
        let widths: Vec<f32> = columns
            .iter()
            .map(|c| c.weight.max(0.1) / total * WIDTH)
            .collect();
        let header: Vec<String> = columns.iter().map(|c| c.title.to_string()).collect();
        let header = cells(&widths, &header, Font::Bold);
        self.row(&widths, &header, Font::Bold);
        for row in rows {
            let row = cells(&widths, row, Font::Regular);
            if self.room(height(&row)) {
                self.row(&widths, &header, Font::Bold);
            }
            self.row(&widths, &row, Font::Regular);
        }
    }

    /// One row of wrapped cells (a header row when bold: shaded).
    fn row(&mut self, widths: &[f32], cells: &[Vec<String>], font: Font) {
        let height = height(cells);
        self.room(height);
        let top = self.y;
        let page = self.page();
        if font == Font::Bold {
            page.shade(MARGIN, top - height, WIDTH, height, 0.88);
        }
        let mut x = MARGIN;
        for (lines, w) in cells.iter().zip(widths) {
            for (i, line) in lines.iter().enumerate() {
                let y = top - PAD - CELL + 1.0 - i as f32 * CELL_LEADING;
                page.text(x + PAD, y, font, CELL, line);
            }
            x += w;
        }
        page.rule(
            (MARGIN, top - height),
            (MARGIN + WIDTH, top - height),
            0.4,
            0.7,
        );
        self.y = top - height;
    }

    /// The pages, each with its footer: the title at the left, "Page N of M" at the right.
    pub fn finish(mut self) -> Vec<Page> {
        let count = self.pages.len();
        for (i, page) in self.pages.iter_mut().enumerate() {
            let y = MARGIN;
            page.rule((MARGIN, y + 12.0), (MARGIN + WIDTH, y + 12.0), 0.4, 0.5);
            page.text(MARGIN, y, Font::Regular, 8.0, &self.footer);
            let n = format!("Page {} of {count}", i + 1);
            let w = text_width(&n, Font::Regular, 8.0);
            page.text(MARGIN + WIDTH - w, y, Font::Regular, 8.0, &n);
        }
        self.pages
    }
}

/// Each cell's text wrapped to its column (a missing cell is empty).
fn cells(widths: &[f32], row: &[String], font: Font) -> Vec<Vec<String>> {
    widths
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let s = row.get(i).map(String::as_str).unwrap_or("");
            wrap(s, font, CELL, w - 2.0 * PAD, MAX_CELL_LINES)
        })
        .collect()
}

fn height(cells: &[Vec<String>]) -> f32 {
    cells.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32 * CELL_LEADING + 2.0 * PAD
}

/// `s` in lines no wider than `width`: broken at spaces and at `\n`, a word wider than a
/// line broken between characters; past `max_lines` the last line ends in "...". Other
/// control characters become spaces. Always at least one (maybe empty) line.
pub fn wrap(s: &str, font: Font, size: f32, width: f32, max_lines: usize) -> Vec<String> {
    let max_lines = max_lines.max(1);
    let fits = |t: &str| text_width(t, font, size) <= width;
    let mut lines: Vec<String> = Vec::new();
    let mut cut = false;
    'paras: for para in s.split('\n') {
        let mut line = String::new();
        let words = para.split(|c: char| c.is_whitespace() || c.is_control());
        for word in words.filter(|w| !w.is_empty()) {
            let joined = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if fits(&joined) {
                line = joined;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for c in word.chars() {
                line.push(c);
                if !fits(&line) && line.chars().count() > 1 {
                    line.pop();
                    lines.push(std::mem::replace(&mut line, c.to_string()));
                }
                if lines.len() > max_lines {
                    cut = true;
                    break 'paras;
                }
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        if lines.len() > max_lines {
            cut = true;
            break;
        }
    }
    if cut || lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            while !last.is_empty() && !fits(&format!("{last}...")) {
                last.pop();
            }
            last.push_str("...");
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_fits_the_width_and_cuts_with_an_ellipsis() {
        let w = 60.0;
        let lines = wrap(
            "the quick brown fox jumps over the lazy dog",
            Font::Regular,
            8.0,
            w,
            9,
        );
        assert!(lines.len() > 1, "{lines:?}");
        assert!(lines.iter().all(|l| text_width(l, Font::Regular, 8.0) <= w));
        assert_eq!(
            lines.join(" "),
            "the quick brown fox jumps over the lazy dog"
        );

        let long = "x".repeat(10_000);
        let cut = wrap(&long, Font::Regular, 8.0, w, 3);
        assert_eq!(cut.len(), 3);
        assert!(cut[2].ends_with("..."), "{cut:?}");
        assert!(cut.iter().all(|l| text_width(l, Font::Regular, 8.0) <= w));

        assert_eq!(wrap("a\nb\r\tc", Font::Bold, 8.0, w, 4), ["a", "b c"]);
        assert_eq!(wrap("", Font::Bold, 8.0, w, 4), [""]);
        // A width narrower than any character still ends.
        assert_eq!(wrap("abc", Font::Bold, 8.0, 0.1, 9), ["a", "b", "c"]);
    }

    #[test]
    fn tables_break_across_pages_and_every_page_is_numbered() {
        let mut flow = Flow::new("footer".into());
        flow.heading("Rows");
        let cols = [
            Column {
                title: "A",
                weight: 1.0,
            },
            Column {
                title: "B",
                weight: 3.0,
            },
        ];
        let rows: Vec<Vec<String>> = (0..200)
            .map(|i| vec![i.to_string(), "some text ".repeat(i % 7)])
            .collect();
        flow.table(&cols, &rows);
        let pages = flow.finish();
        assert!(pages.len() > 3, "{}", pages.len());
        let pdf = super::super::pdf::write(
            &pages,
            &super::super::pdf::Info {
                title: "t",
                created: chrono::Utc::now(),
            },
        );
        let facts = super::super::pdf::tests::verify(&pdf).unwrap();
        let n = facts.pages;
        assert_eq!(n, pages.len());
        assert!(facts.text.contains(&format!("(Page {n} of {n}) Tj")));
        assert!(facts.text.contains("(199) Tj"));
    }
}
