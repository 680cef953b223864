//! A small most-recently-used map for per-isolate state keyed by namespace: bounded in entries,
//! least recently used dropped first. Isolate state may vanish at any time; it only saves work.

pub struct Recent<V> {
    entries: Vec<(String, V)>,
    capacity: usize,
}

impl<V: Clone> Recent<V> {
    pub const fn new(capacity: usize) -> Self {
        Recent { entries: Vec::new(), capacity }
    }

    pub fn get(&self, key: &str) -> Option<V> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    /// Replaces the entry with `f(old)` and makes it the most recent.
    pub fn update<T>(&mut self, key: &str, f: impl FnOnce(Option<V>) -> (V, T)) -> T {
        let old = self.entries.iter().position(|(k, _)| k == key).map(|i| self.entries.remove(i).1);
        let (value, result) = f(old);
        self.entries.insert(0, (key.to_string(), value));
        self.entries.truncate(self.capacity);
        result
    }

    pub fn remove(&mut self, key: &str) {
        self.entries.retain(|(k, _)| k != key);
    }
}
