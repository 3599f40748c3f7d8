//! `SortedSet`: a set kept as a sorted vector, for a contact's emails, phones, links, tags and
//! groups.
//!
//! Why not `BTreeSet`: these sets hold a handful of entries each, and a `BTreeSet` allocates a
//! whole node (eleven slots, 288 bytes for strings) for its first one. A cold `list` at W30
//! decodes 30,000 contacts with three or four such sets each, and the kernel zeroing and
//! mapping those pages was a fifth of its time; a vector holds one email in 32 bytes. Lookups
//! are a binary search, which at these sizes is as fast as the tree's.
//!
//! It serialises as `BTreeSet` does (a sequence, in order), so stored records and JSON are the
//! same bytes; deserialising sorts and removes duplicates, as building a `BTreeSet` would.

use serde::{Deserialize, Deserializer, Serialize};
use std::borrow::Borrow;

/// A set of `T` in ascending order, without duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SortedSet<T>(Vec<T>);

impl<T> Default for SortedSet<T> {
    fn default() -> Self {
        SortedSet(Vec::new())
    }
}

impl<T: Ord> SortedSet<T> {
    pub const fn new() -> Self {
        SortedSet(Vec::new())
    }

    fn position<Q: Ord + ?Sized>(&self, value: &Q) -> Result<usize, usize>
    where
        T: Borrow<Q>,
    {
        self.0.binary_search_by(|x| x.borrow().cmp(value))
    }

    pub fn contains<Q: Ord + ?Sized>(&self, value: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.position(value).is_ok()
    }

    /// Adds `value`; whether it was not there yet.
    pub fn insert(&mut self, value: T) -> bool {
        match self.position(&value) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, value);
                true
            }
        }
    }

    /// Removes `value`; whether it was there.
    pub fn remove<Q: Ord + ?Sized>(&mut self, value: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        match self.position(value) {
            Ok(at) => {
                self.0.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    /// The values in `self` that are not in `other`, in order.
    pub fn difference<'a>(&'a self, other: &'a SortedSet<T>) -> impl Iterator<Item = &'a T> {
        self.0.iter().filter(move |x| !other.contains(*x))
    }
}

impl<T> SortedSet<T> {
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The smallest value.
    pub fn first(&self) -> Option<&T> {
        self.0.first()
    }

    /// The values, in order.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }
}

impl<T: Ord> FromIterator<T> for SortedSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut values: Vec<T> = iter.into_iter().collect();
        values.sort();
        values.dedup();
        SortedSet(values)
    }
}

impl<T: Ord> Extend<T> for SortedSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        let values = std::mem::take(&mut self.0);
        *self = values.into_iter().chain(iter).collect();
    }
}

impl<T: Ord, const N: usize> From<[T; N]> for SortedSet<T> {
    fn from(values: [T; N]) -> Self {
        values.into_iter().collect()
    }
}

impl<T> IntoIterator for SortedSet<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a SortedSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'de, T: Ord + Deserialize<'de>> Deserialize<'de> for SortedSet<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut values = Vec::<T>::deserialize(deserializer)?;
        // What this crate writes is already in order: only a record written elsewhere (or
        // damaged) pays for the sort.
        if !values.is_sorted_by(|a, b| a < b) {
            values.sort();
            values.dedup();
        }
        Ok(SortedSet(values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn it_keeps_its_values_in_order_and_unique() {
        let mut s: SortedSet<String> = ["b", "a", "c", "a"].map(String::from).into();
        assert_eq!(s.as_slice(), ["a", "b", "c"]);
        assert!(!s.insert("b".into()));
        assert!(s.insert("ab".into()));
        assert_eq!(s.as_slice(), ["a", "ab", "b", "c"]);
        assert!(s.contains("ab"));
        assert!(s.remove("a"));
        assert!(!s.remove("a"));
        assert!(!s.contains("a"));
        s.extend(["z".to_owned(), "b".to_owned()]);
        assert_eq!(s.as_slice(), ["ab", "b", "c", "z"]);
        let other: SortedSet<String> = ["b", "q"].map(String::from).into();
        assert_eq!(s.difference(&other).collect::<Vec<_>>(), ["ab", "c", "z"]);
        assert_eq!(s.first().map(String::as_str), Some("ab"));
    }

    #[test]
    fn it_is_stored_as_a_btreeset_is_and_repairs_unsorted_input() {
        let tree: BTreeSet<String> = ["x", "a", "m"].map(String::from).into();
        let set: SortedSet<String> = ["m", "x", "a"].map(String::from).into();
        let a = postcard::to_allocvec(&tree).unwrap();
        assert_eq!(postcard::to_allocvec(&set).unwrap(), a);
        assert_eq!(
            serde_json::to_string(&set).unwrap(),
            serde_json::to_string(&tree).unwrap()
        );
        assert_eq!(postcard::from_bytes::<SortedSet<String>>(&a).unwrap(), set);
        // Out of order, with a duplicate: read as the BTreeSet of the same values.
        let unsorted = postcard::to_allocvec(&vec!["m", "a", "x", "a"]).unwrap();
        assert_eq!(
            postcard::from_bytes::<SortedSet<String>>(&unsorted).unwrap(),
            set
        );
    }
}
