//! The serialised list pages of the current projection position.
//!
//! The UI and dashboards poll the first page of `GET /clone-sessions` far
//! more often than the sessions change. A page is a pure function of the
//! query tables, which only change when the projection runner advances its
//! position; so a page serialised at position P is served as is until the
//! position moves, and every entry is dropped when it does. The position is
//! read *before* the query, so an entry can only be older than its label,
//! never newer — the next request after any change misses.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;

/// Pages kept per position (status filters × page sizes × offsets in use).
const MAX_PAGES: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub status: Option<&'static str>,
    pub node: Option<uuid::Uuid>,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Default)]
pub struct PageCache {
    inner: Mutex<Pages>,
}

#[derive(Default)]
struct Pages {
    position: i64,
    pages: HashMap<PageKey, Bytes>,
}

impl PageCache {
    /// The page as serialised at `position`, if it was.
    pub fn get(&self, key: &PageKey, position: i64) -> Option<Bytes> {
        let pages = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        (pages.position == position).then(|| pages.pages.get(key).cloned()).flatten()
    }

    /// Keeps a page read at `position` (the position taken before the query).
    pub fn put(&self, key: PageKey, position: i64, body: Bytes) {
        let mut pages = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if pages.position != position {
            if position < pages.position {
                return;
            }
            pages.position = position;
            pages.pages.clear();
        }
        if pages.pages.len() < MAX_PAGES {
            pages.pages.insert(key, body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(offset: i64) -> PageKey {
        PageKey { status: None, node: None, limit: 50, offset }
    }

    #[test]
    fn a_page_is_served_only_at_the_position_it_was_read_at() {
        let cache = PageCache::default();
        cache.put(key(0), 7, Bytes::from_static(b"p7"));
        assert_eq!(cache.get(&key(0), 7), Some(Bytes::from_static(b"p7")));
        assert_eq!(cache.get(&key(0), 8), None, "the projections moved on");
        assert_eq!(cache.get(&key(50), 7), None, "another page");
    }

    #[test]
    fn a_newer_position_drops_every_page_and_an_older_one_is_not_kept() {
        let cache = PageCache::default();
        cache.put(key(0), 7, Bytes::from_static(b"p7"));
        cache.put(key(50), 8, Bytes::from_static(b"p8"));
        assert_eq!(cache.get(&key(0), 8), None);
        cache.put(key(0), 7, Bytes::from_static(b"late"));
        assert_eq!(cache.get(&key(0), 7), None, "a slow reader's older page is discarded");
        assert_eq!(cache.get(&key(50), 8), Some(Bytes::from_static(b"p8")));
    }

    #[test]
    fn the_number_of_pages_is_bounded() {
        let cache = PageCache::default();
        for offset in 0..(MAX_PAGES as i64 + 10) {
            cache.put(key(offset), 1, Bytes::from_static(b"x"));
        }
        assert_eq!(cache.inner.lock().expect("lock").pages.len(), MAX_PAGES);
    }
}
