//! Typed ids and the vectors they index, as Cranelift's `PrimaryMap`: a `RuleId` indexes rules
//! and nothing else, so a workflow number can never read a rule's state, and an id made from a
//! program is in bounds in every table built from that program.
//!
//! Ids are `u32` on the wire (`#[serde(transparent)]`): bundles and snapshots are unchanged.

use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

/// A typed index.
pub trait Id: Copy + Eq + Ord + std::hash::Hash + std::fmt::Debug {
    fn new(index: usize) -> Self;
    fn index(self) -> usize;
}

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize,
            Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub u32);

        impl Id for $name {
            fn new(index: usize) -> Self {
                // Tables beyond u32::MAX entries are refused long before: the checker counts
                // items in u32.
                $name(u32::try_from(index).unwrap_or(u32::MAX))
            }

            fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

define_id!(
    /// A rule: its position in `Program::rules`.
    RuleId
);
define_id!(
    /// A workflow: its position in `Program::workflows`.
    WorkflowId
);
define_id!(
    /// A state of a workflow: its position in `Workflow::states`.
    StateId
);

/// A vector indexed by `K`. It dereferences to a slice for iteration and length; lookups
/// by id go through `get` and indexing by `K`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdVec<K, V> {
    items: Vec<V>,
    #[serde(skip)]
    _key: PhantomData<fn(K) -> K>,
}

impl<K: Id, V> IdVec<K, V> {
    pub fn new() -> Self {
        IdVec::from(Vec::new())
    }

    /// Appends `v`; its id.
    pub fn push(&mut self, v: V) -> K {
        let id = K::new(self.items.len());
        self.items.push(v);
        id
    }

    pub fn get(&self, k: K) -> Option<&V> {
        self.items.get(k.index())
    }

    pub fn get_mut(&mut self, k: K) -> Option<&mut V> {
        self.items.get_mut(k.index())
    }

    /// The ids, in order.
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = K> + ExactSizeIterator + use<K, V> {
        (0..self.items.len()).map(K::new)
    }

    /// (id, item) pairs, in order.
    pub fn iter_enumerated(&self) -> impl DoubleEndedIterator<Item = (K, &V)> {
        self.items.iter().enumerate().map(|(i, v)| (K::new(i), v))
    }

    /// (id, item) pairs, in order, mutably.
    pub fn iter_enumerated_mut(&mut self) -> impl DoubleEndedIterator<Item = (K, &mut V)> {
        self.items
            .iter_mut()
            .enumerate()
            .map(|(i, v)| (K::new(i), v))
    }

    /// A table of the same ids: `f` of each item.
    pub fn map<W>(&self, f: impl FnMut(&V) -> W) -> IdVec<K, W> {
        IdVec::from(self.items.iter().map(f).collect::<Vec<W>>())
    }
}

impl<K: Id, V> Default for IdVec<K, V> {
    fn default() -> Self {
        IdVec::new()
    }
}

impl<K, V> From<Vec<V>> for IdVec<K, V> {
    fn from(items: Vec<V>) -> Self {
        IdVec {
            items,
            _key: PhantomData,
        }
    }
}

impl<K, V> FromIterator<V> for IdVec<K, V> {
    fn from_iter<I: IntoIterator<Item = V>>(iter: I) -> Self {
        IdVec::from(iter.into_iter().collect::<Vec<V>>())
    }
}

impl<K, V> std::ops::Deref for IdVec<K, V> {
    type Target = [V];

    fn deref(&self) -> &[V] {
        &self.items
    }
}

impl<K, V> std::ops::DerefMut for IdVec<K, V> {
    fn deref_mut(&mut self) -> &mut [V] {
        &mut self.items
    }
}

impl<'a, K, V> IntoIterator for &'a IdVec<K, V> {
    type Item = &'a V;
    type IntoIter = std::slice::Iter<'a, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<'a, K, V> IntoIterator for &'a mut IdVec<K, V> {
    type Item = &'a mut V;
    type IntoIter = std::slice::IterMut<'a, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter_mut()
    }
}

impl<K, V> IntoIterator for IdVec<K, V> {
    type Item = V;
    type IntoIter = std::vec::IntoIter<V>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// Indexing by id: an id made from the program that built this table is in bounds (the point
/// of typed ids), so a miss is a broken invariant, not an input error.
impl<K: Id, V> std::ops::Index<K> for IdVec<K, V> {
    type Output = V;

    fn index(&self, k: K) -> &V {
        // PANIC SAFETY: ids index the tables built from the program that made them.
        #[allow(clippy::indexing_slicing)]
        &self.items[k.index()]
    }
}

impl<K: Id, V> std::ops::IndexMut<K> for IdVec<K, V> {
    fn index_mut(&mut self, k: K) -> &mut V {
        // PANIC SAFETY: as for `Index`.
        #[allow(clippy::indexing_slicing)]
        &mut self.items[k.index()]
    }
}

impl<K, V: std::fmt::Debug> std::fmt::Debug for IdVec<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.items.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_index_what_pushed_them_and_serialize_as_plain_vectors() {
        let mut rules: IdVec<RuleId, &str> = IdVec::new();
        let a = rules.push("a");
        let b = rules.push("b");
        assert_eq!((rules[a], rules[b]), ("a", "b"));
        assert_eq!(rules.get(RuleId(2)), None);
        assert_eq!(rules.ids().collect::<Vec<_>>(), [a, b]);
        assert_eq!(
            serde_json::to_string(&rules).ok().as_deref(),
            Some(r#"["a","b"]"#)
        );
        assert_eq!(serde_json::to_string(&b).ok().as_deref(), Some("1"));
    }
}
