//! Go's nil slices and maps on the wire: `null` reads as an empty collection, and an empty
//! collection is written as `null`, which is what Nomad sends for them after canonicalization.
//!
//! Use as `#[serde(with = "crate::nullable")]` on `Vec` and map fields.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub fn serialize<T, S>(value: &T, serializer: S) -> Result<S::Ok, S::Error>
where
    T: Serialize + IsEmpty,
    S: Serializer,
{
    if value.is_empty() {
        serializer.serialize_none()
    } else {
        value.serialize(serializer)
    }
}

pub fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
where
    T: Deserialize<'de> + Default,
    D: Deserializer<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Collections that can be empty.
pub trait IsEmpty {
    fn is_empty(&self) -> bool;
}

impl<T: IsEmpty> IsEmpty for std::sync::Arc<T> {
    fn is_empty(&self) -> bool {
        T::is_empty(self)
    }
}

impl<T: IsEmpty + ?Sized> IsEmpty for &T {
    fn is_empty(&self) -> bool {
        T::is_empty(self)
    }
}

impl<T: IsEmpty + ToOwned + ?Sized> IsEmpty for std::borrow::Cow<'_, T> {
    fn is_empty(&self) -> bool {
        T::is_empty(self)
    }
}

impl<T> IsEmpty for [T] {
    fn is_empty(&self) -> bool {
        <[T]>::is_empty(self)
    }
}

impl<T> IsEmpty for Vec<T> {
    fn is_empty(&self) -> bool {
        Vec::is_empty(self)
    }
}

impl<K, V> IsEmpty for std::collections::BTreeMap<K, V> {
    fn is_empty(&self) -> bool {
        std::collections::BTreeMap::is_empty(self)
    }
}
