//! `Sparse<T>`: a group of fields that most records leave at their defaults, boxed only once
//! one of them is set, so that the records that leave them take a pointer's room for all of
//! them. A million allocations each leave a dozen fields unset: a box that is not there is
//! 256 bytes apiece.

use std::fmt;

/// A type whose default can be read from a `static`, while no box holds a value.
pub trait StaticDefault: Default + PartialEq + 'static {
    fn static_default() -> &'static Self;
}

/// `T` boxed, or nothing while it equals its default.
#[derive(Clone)]
pub struct Sparse<T>(Option<Box<T>>);

impl<T: StaticDefault> Sparse<T> {
    /// The fields; their defaults while none is set.
    pub fn get(&self) -> &T {
        match &self.0 {
            Some(value) => value,
            None => T::static_default(),
        }
    }

    /// The fields to set, boxed on first use.
    pub fn get_mut(&mut self) -> &mut T {
        self.0.get_or_insert_default()
    }

    /// Changes the fields with `edit`, for writes that may leave them all at their defaults
    /// (copying or clearing them): a box left holding only defaults is dropped again.
    pub fn edit(&mut self, edit: impl FnOnce(&mut T)) {
        let value = self.0.get_or_insert_default();
        edit(value);
        if **value == *T::static_default() {
            self.0 = None;
        }
    }

    /// The fields to change in place if some are set; boxes nothing.
    pub fn existing_mut(&mut self) -> Option<&mut T> {
        self.0.as_deref_mut()
    }
}

impl<T> Default for Sparse<T> {
    fn default() -> Self {
        Sparse(None)
    }
}

/// Boxed only if it differs from the default.
impl<T: StaticDefault> From<T> for Sparse<T> {
    fn from(value: T) -> Self {
        Sparse((value != *T::static_default()).then(|| Box::new(value)))
    }
}

/// By content: a box of defaults (a field set and cleared again) equals none, as it does on
/// the wire.
impl<T: StaticDefault> PartialEq for Sparse<T> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl<T: StaticDefault + fmt::Debug> fmt::Debug for Sparse<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use crate::allocation::AllocDetails;

    use super::*;

    #[test]
    fn an_edit_that_leaves_defaults_boxes_nothing() {
        let mut details = Sparse::<AllocDetails>::default();
        details.edit(|d| d.task_states.clear());
        assert!(details.existing_mut().is_none());

        details.edit(|d| d.client_description = "running".to_string());
        assert_eq!(details.get().client_description, "running");
        details.edit(|d| d.client_description.clear());
        assert!(details.existing_mut().is_none());
    }
}
