//! The diff types as Nomad's API serializes them (`structs.JobDiff` and friends): PascalCase names,
//! Go's field order, empty lists as `null`, `Old`/`New` as strings where "" means absent.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::field_value::FieldValue;
use super::text::Text;

/// What happened to a job, group, task, object or field between the old and the new version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DiffType {
    #[default]
    None,
    Added,
    Deleted,
    Edited,
}

impl DiffType {
    /// Nomad's sort rank of object diffs that share a name: Edited, Added, Deleted, None.
    fn rank(self) -> u8 {
        match self {
            DiffType::Edited => 0,
            DiffType::Added => 1,
            DiffType::Deleted => 2,
            DiffType::None => 3,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobDiff {
    #[serde(rename = "Type")]
    pub diff_type: DiffType,
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(with = "drover_model::nullable")]
    pub fields: Vec<FieldDiff>,
    #[serde(with = "drover_model::nullable")]
    pub objects: Vec<ObjectDiff>,
    #[serde(with = "drover_model::nullable")]
    pub task_groups: Vec<TaskGroupDiff>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TaskGroupDiff {
    #[serde(rename = "Type")]
    pub diff_type: DiffType,
    pub name: Text,
    #[serde(with = "drover_model::nullable")]
    pub fields: Vec<FieldDiff>,
    #[serde(with = "drover_model::nullable")]
    pub objects: Vec<ObjectDiff>,
    #[serde(with = "drover_model::nullable")]
    pub tasks: Vec<TaskDiff>,
    /// Set by [`super::annotate`]: `Some` (even empty, shown as `{}`) when the plan has counts for
    /// the group, `None` (`null`) otherwise.
    pub updates: Option<BTreeMap<String, u64>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TaskDiff {
    #[serde(rename = "Type")]
    pub diff_type: DiffType,
    pub name: Text,
    #[serde(with = "drover_model::nullable")]
    pub fields: Vec<FieldDiff>,
    #[serde(with = "drover_model::nullable")]
    pub objects: Vec<ObjectDiff>,
    #[serde(with = "drover_model::nullable")]
    pub annotations: Vec<String>,
}

/// A named block of a job, group or task, with its own fields and nested blocks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ObjectDiff {
    #[serde(rename = "Type")]
    pub diff_type: DiffType,
    pub name: Text,
    #[serde(with = "drover_model::nullable")]
    pub fields: Vec<FieldDiff>,
    #[serde(with = "drover_model::nullable")]
    pub objects: Vec<ObjectDiff>,
}

/// One flattened primitive value (`Count`, `Env[FOO]`, `Meta[owner]`); its values print as
/// Nomad prints them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FieldDiff {
    #[serde(rename = "Type")]
    pub diff_type: DiffType,
    pub name: Text,
    pub old: FieldValue,
    pub new: FieldValue,
    pub annotations: Annotations,
}

/// A field's annotations: Nomad sets them only on a group's `Count`, so they are boxed and a
/// field without any (nearly all of the tens of thousands of a large diff) spends one word on
/// them. Reads as a slice; serialized as a list, or `null` when empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[expect(
    clippy::box_collection,
    reason = "a thin pointer: one word in every field diff"
)]
pub struct Annotations(Option<Box<Vec<String>>>);

impl Annotations {
    pub fn push(&mut self, annotation: String) {
        self.0.get_or_insert_default().push(annotation);
    }
}

impl Deref for Annotations {
    type Target = [String];

    fn deref(&self) -> &[String] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

impl From<Vec<String>> for Annotations {
    fn from(list: Vec<String>) -> Self {
        Annotations((!list.is_empty()).then(|| Box::new(list)))
    }
}

impl Serialize for Annotations {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Some(list) => list.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for Annotations {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<Vec<String>>::deserialize(deserializer)?
            .unwrap_or_default()
            .into())
    }
}

/// A name, two values and the annotations' word: one cache line, which bounds writing and dropping
/// the tens of thousands of fields of a large diff.
const _: () = assert!(std::mem::size_of::<FieldDiff>() == 64);

impl FieldDiff {
    /// Nomad's field order: name, then old value, then new value.
    fn cmp_key(&self, other: &Self) -> Ordering {
        (&self.name, &self.old, &self.new).cmp(&(&other.name, &other.old, &other.new))
    }
}

impl ObjectDiff {
    /// Nomad's object order: name, type rank, number of fields, number of objects, then the
    /// fields and objects themselves. Nomad compares the last two with a loop that is not a
    /// strict order; this compares them lexicographically so the output is deterministic.
    fn cmp_key(&self, other: &Self) -> Ordering {
        self.name
            .cmp(&other.name)
            .then_with(|| self.diff_type.rank().cmp(&other.diff_type.rank()))
            .then_with(|| self.fields.len().cmp(&other.fields.len()))
            .then_with(|| self.objects.len().cmp(&other.objects.len()))
            .then_with(|| {
                let fields = self.fields.iter().zip(&other.fields);
                fields
                    .map(|(a, b)| a.cmp_key(b))
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
            })
            .then_with(|| {
                let objects = self.objects.iter().zip(&other.objects);
                objects
                    .map(|(a, b)| a.cmp_key(b))
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
            })
    }
}

pub(crate) fn sort_fields(fields: &mut [FieldDiff]) {
    fields.sort_by(FieldDiff::cmp_key);
}

pub(crate) fn sort_objects(objects: &mut [ObjectDiff]) {
    objects.sort_by(ObjectDiff::cmp_key);
}
