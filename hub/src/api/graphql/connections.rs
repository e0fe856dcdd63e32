//! Relay connections: every list of the API is a `…Connection { edges { cursor node },
//! nodes, pageInfo, totalCount }` paged with `first`/`after` (forwards) or
//! `last`/`before` (backwards).
//!
//! Cursors are opaque to clients (base64 of the list's name and an item's key) and are
//! keys, not offsets: the next page starts after the last item seen, so an item inserted
//! or deleted meanwhile neither repeats nor hides a row. The stores read big lists
//! (servers, executions, the audit log) by key (`model::Seek`); small lists (templates,
//! schedules, locks, users, rules: read whole anyway) are cut by key here. The history
//! ordered by state or initiator has no unique key to seek by; its cursors there carry an
//! offset, and `pageInfo` says nothing more than the page.
//!
//! Lists that had page numbers keep `page`/`pageSize` arguments and `items`/`total`/
//! `page`/`pageSize` fields, deprecated, so older clients keep working.

use crate::error::Error;
use async_graphql::connection::PageInfo;
use base64::Engine;

/// The most items one page may ask for (`first` / `last`).
pub const MAX_PAGE: i32 = 500;
/// Items in a page when neither `first` nor `last` is given.
pub const DEFAULT_PAGE: i32 = 50;

/// The page a connection's arguments ask for, cursors decoded to keys.
#[derive(Debug, Clone, Default)]
pub struct Window {
    pub after: Option<String>,
    pub before: Option<String>,
    /// How many: `first` or `last`.
    pub count: usize,
    /// Read from the end (`last`).
    pub from_end: bool,
}

impl Window {
    /// Reads and checks the arguments of the list named `list` (cursors must be that
    /// list's). `INVALID_INPUT` names what is wrong.
    pub fn new(
        list: &str,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Self, Error> {
        let mut problems = Vec::new();
        if first.is_some() && last.is_some() {
            problems.push("first, last: give one of them, not both".to_string());
        }
        for (name, v) in [("first", first), ("last", last)] {
            if let Some(n) = v
                && !(0..=MAX_PAGE).contains(&n)
            {
                problems.push(format!("{name}: must be between 0 and {MAX_PAGE}, got {n}"));
            }
        }
        let mut decode = |name: &str, c: Option<String>| {
            c.and_then(|c| match decode(list, &c) {
                Some(k) => Some(k),
                None => {
                    problems.push(format!("{name}: not a cursor of this list"));
                    None
                }
            })
        };
        let after = decode("after", after);
        let before = decode("before", before);
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let from_end = last.is_some();
        let count = first.or(last).unwrap_or(DEFAULT_PAGE).clamp(0, MAX_PAGE);
        Ok(Self {
            after,
            before,
            count: usize::try_from(count).unwrap_or(0),
            from_end,
        })
    }

    /// The store's seek for this window.
    pub fn seek(&self) -> crate::model::Seek {
        crate::model::Seek {
            after: self.after.clone(),
            before: self.before.clone(),
            from_end: self.from_end,
        }
    }

    /// The store page to read: one more item than asked, to know whether more follow.
    pub fn page_request(&self) -> crate::model::PageRequest {
        crate::model::PageRequest {
            page: 1,
            page_size: u32::try_from(self.count + 1).unwrap_or(u32::MAX),
            skip: None,
        }
    }

    /// Cuts what the store read (at most `count + 1` items, in list order) to the page,
    /// and says whether items lie beyond it on each side.
    pub fn finish<T>(&self, mut items: Vec<T>) -> (Vec<T>, bool, bool) {
        let more = items.len() > self.count;
        if more {
            if self.from_end {
                items.drain(..items.len() - self.count);
            } else {
                items.truncate(self.count);
            }
        }
        if self.from_end {
            (items, more, self.before.is_some())
        } else {
            (items, self.after.is_some(), more)
        }
    }

    /// A whole list (small lists, read whole) in the order of `key`: sorted, cut to the
    /// window, each item with its cursor of list `list`; and how many the list has.
    pub fn page_of<T>(
        &self,
        list: &str,
        mut items: Vec<T>,
        key: impl Fn(&T) -> String,
    ) -> (Vec<(T, String)>, bool, bool, u64) {
        items.sort_by_key(|t| key(t));
        let total = items.len() as u64;
        let (page, prev, next) = self.cut(items, &key);
        let page = page
            .into_iter()
            .map(|t| {
                let cursor = encode(list, &key(&t));
                (t, cursor)
            })
            .collect();
        (page, prev, next, total)
    }

    /// The page of a whole list already in order, cut by key here (small lists).
    pub fn cut<T>(&self, items: Vec<T>, key: impl Fn(&T) -> String) -> (Vec<T>, bool, bool) {
        let within: Vec<T> = items
            .into_iter()
            .filter(|t| {
                let k = key(t);
                self.after.as_ref().is_none_or(|a| k > *a)
                    && self.before.as_ref().is_none_or(|b| k < *b)
            })
            .collect();
        let total = within.len();
        if self.from_end {
            let start = total.saturating_sub(self.count);
            let mut v = within;
            let rest = v.split_off(start);
            (rest, start > 0, self.before.is_some())
        } else {
            let mut v = within;
            v.truncate(self.count);
            (v, self.after.is_some(), total > self.count)
        }
    }
}

/// What a list field may cost: its page size (`first`, `last`, or the deprecated
/// `pageSize`) times its selection.
pub fn cost(first: Option<i32>, last: Option<i32>, page_size: Option<i32>, child: usize) -> usize {
    let n = first
        .or(last)
        .or(page_size)
        .unwrap_or(DEFAULT_PAGE)
        .clamp(1, MAX_PAGE);
    1 + usize::try_from(n).unwrap_or(1) * child
}

/// How a paged list is read: by cursor (a window), or by the deprecated page numbers.
pub enum Read {
    Window(Window),
    Page(crate::model::PageRequest),
}

impl Read {
    /// The deprecated `page`/`pageSize` when given (and no cursor argument), else the
    /// window of the cursor arguments.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        list: &str,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        page: Option<i32>,
        page_size: Option<i32>,
    ) -> Result<Self, Error> {
        let cursors = first.is_some() || last.is_some() || after.is_some() || before.is_some();
        if !cursors && (page.is_some() || page_size.is_some()) {
            let conv = |v: Option<i32>| v.map(|v| u32::try_from(v).unwrap_or(0));
            return crate::model::PageRequest::new(conv(page), conv(page_size)).map(Read::Page);
        }
        Window::new(list, first, after, last, before).map(Read::Window)
    }

    /// The store's seek (none for page numbers).
    pub fn seek(&self) -> crate::model::Seek {
        match self {
            Read::Window(w) => w.seek(),
            Read::Page(_) => Default::default(),
        }
    }

    /// The store page to read.
    pub fn page_request(&self) -> crate::model::PageRequest {
        match self {
            Read::Window(w) => w.page_request(),
            Read::Page(p) => *p,
        }
    }

    /// The page, whether items lie before and after it, and the page size asked.
    pub fn finish<T>(&self, items: Vec<T>, total: u64) -> (Vec<T>, bool, bool, usize) {
        match self {
            Read::Window(w) => {
                let (items, prev, next) = w.finish(items);
                (items, prev, next, w.count)
            }
            Read::Page(p) => {
                let end = p.offset() + items.len() as u64;
                (items, p.page > 1, end < total, p.page_size as usize)
            }
        }
    }
}

/// An opaque cursor: the list's name and the item's key.
pub fn encode(list: &str, key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{list}:{key}"))
}

/// A cursor's key, if it is one of `list`'s.
pub fn decode(list: &str, cursor: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix(list)?
        .strip_prefix(':')
        .map(str::to_string)
}

/// The page info of a page whose first and last cursors are given.
pub fn page_info(
    has_previous_page: bool,
    has_next_page: bool,
    start: Option<String>,
    end: Option<String>,
) -> PageInfo {
    PageInfo {
        has_previous_page,
        has_next_page,
        start_cursor: start,
        end_cursor: end,
    }
}

/// Declares `$conn` (with `$edge`) over nodes of `$node`: edges, nodes, pageInfo,
/// totalCount; with `paged`, also the deprecated fields of the page type it replaces.
macro_rules! connection {
    ($(#[doc = $doc:literal])* $conn:ident, $edge:ident, $node:ty $(, $paged:ident)?) => {
        /// An item of the list and its cursor.
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            /// Where the list continues after (or before) this item: pass it as `after`
            /// (or `before`).
            pub cursor: String,
            /// The item.
            pub node: $node,
        }

        $(#[doc = $doc])*
        pub struct $conn {
            pub edges: Vec<$edge>,
            pub page_info: async_graphql::connection::PageInfo,
            pub total_count: u64,
            /// The page size asked for (for the deprecated fields of paged lists).
            #[allow(dead_code)]
            pub asked: u32,
        }

        impl $conn {
            /// A page from its items (in list order) and their cursors.
            pub fn new(
                items: Vec<($node, String)>,
                has_previous_page: bool,
                has_next_page: bool,
                total_count: u64,
                asked: usize,
            ) -> Self {
                let start = items.first().map(|(_, c)| c.clone());
                let end = items.last().map(|(_, c)| c.clone());
                Self {
                    edges: items
                        .into_iter()
                        .map(|(node, cursor)| $edge { cursor, node })
                        .collect(),
                    page_info: $crate::api::graphql::connections::page_info(
                        has_previous_page,
                        has_next_page,
                        start,
                        end,
                    ),
                    total_count,
                    asked: u32::try_from(asked).unwrap_or(u32::MAX),
                }
            }
        }

        connection!(@object $(#[doc = $doc])* $conn, $edge, $node $(, $paged)?);
    };
    (@object $(#[doc = $doc:literal])* $conn:ident, $edge:ident, $node:ty) => {
        $(#[doc = $doc])*
        #[async_graphql::Object]
        impl $conn {
            /// The items of this page and their cursors.
            async fn edges(&self) -> &[$edge] {
                &self.edges
            }
            /// The items of this page (as `edges { node }`).
            async fn nodes(&self) -> Vec<&$node> {
                self.edges.iter().map(|e| &e.node).collect()
            }
            /// Where this page lies in the list.
            async fn page_info(&self) -> &async_graphql::connection::PageInfo {
                &self.page_info
            }
            /// How many items the whole list has (all pages).
            async fn total_count(&self) -> u64 {
                self.total_count
            }
        }
    };
    (@object $(#[doc = $doc:literal])* $conn:ident, $edge:ident, $node:ty, paged) => {
        $(#[doc = $doc])*
        #[async_graphql::Object]
        impl $conn {
            /// The items of this page and their cursors.
            async fn edges(&self) -> &[$edge] {
                &self.edges
            }
            /// The items of this page (as `edges { node }`).
            async fn nodes(&self) -> Vec<&$node> {
                self.edges.iter().map(|e| &e.node).collect()
            }
            /// Where this page lies in the list.
            async fn page_info(&self) -> &async_graphql::connection::PageInfo {
                &self.page_info
            }
            /// How many items the whole list has (all pages).
            async fn total_count(&self) -> u64 {
                self.total_count
            }
            /// The items of this page.
            #[graphql(deprecation = "Use `nodes` (or `edges`).")]
            async fn items(&self) -> Vec<&$node> {
                self.edges.iter().map(|e| &e.node).collect()
            }
            /// How many items the whole list has.
            #[graphql(deprecation = "Use `totalCount`.")]
            async fn total(&self) -> u64 {
                self.total_count
            }
            /// The page number asked for (1 with cursors).
            #[graphql(deprecation = "Pages are read with cursors: `first`/`after`.")]
            async fn page(&self) -> u32 {
                1
            }
            /// The page size asked for.
            #[graphql(deprecation = "Pages are read with cursors: `first`/`after`.")]
            async fn page_size(&self) -> u32 {
                self.asked
            }
        }
    };
}
pub(crate) use connection;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_is_only_good_for_its_own_list() {
        let c = encode("servers", "srv-1");
        assert_eq!(decode("servers", &c).as_deref(), Some("srv-1"));
        assert_eq!(decode("executions", &c), None);
        assert_eq!(decode("servers", "not base64!"), None);
        let e = Window::new("executions", None, Some(c), None, None).unwrap_err();
        assert!(
            e.to_string().contains("after: not a cursor of this list"),
            "{e}"
        );
    }

    #[test]
    fn bad_counts_are_refused_naming_the_argument() {
        let e = Window::new("servers", Some(501), None, Some(2), None).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("first, last: give one"), "{text}");
        assert!(text.contains("first: must be between 0 and 500"), "{text}");
        assert_eq!(
            Window::new("servers", None, None, None, None)
                .unwrap()
                .count,
            50
        );
    }

    #[test]
    fn a_small_list_is_cut_by_key_forwards_and_backwards() {
        let items: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
        let w = |first: Option<usize>,
                 after: Option<&str>,
                 last: Option<usize>,
                 before: Option<&str>| Window {
            after: after.map(String::from),
            before: before.map(String::from),
            count: first.or(last).unwrap_or(50),
            from_end: last.is_some(),
        };
        let (page, prev, next) = w(Some(2), None, None, None).cut(items.clone(), Clone::clone);
        assert_eq!(
            (page, prev, next),
            (vec!["a".into(), "b".into()], false, true)
        );
        let (page, prev, next) = w(Some(2), Some("b"), None, None).cut(items.clone(), Clone::clone);
        assert_eq!(
            (page, prev, next),
            (vec!["c".into(), "d".into()], true, true)
        );
        let (page, prev, next) = w(None, None, Some(2), Some("e")).cut(items.clone(), Clone::clone);
        assert_eq!(
            (page, prev, next),
            (vec!["c".into(), "d".into()], true, true)
        );
        // An item inserted before the cursor does not shift the next page.
        let mut more = items.clone();
        more.insert(0, "0".into());
        let (page, _, _) = w(Some(2), Some("b"), None, None).cut(more, Clone::clone);
        assert_eq!(page, vec!["c".to_string(), "d".to_string()]);
    }

    #[test]
    fn a_store_page_of_one_more_item_says_more_follow() {
        let w = Window {
            count: 2,
            ..Default::default()
        };
        assert_eq!(w.finish(vec![1, 2, 3]), (vec![1, 2], false, true));
        assert_eq!(w.finish(vec![1, 2]), (vec![1, 2], false, false));
        let back = Window {
            count: 2,
            from_end: true,
            before: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(back.finish(vec![1, 2, 3]), (vec![2, 3], true, true));
    }
}
