//! The state a registry aggregate keeps (nodes, storage backends): its id, its
//! current details, and when it was created and last changed. Their events
//! differ; what folding them does to this state, and what "exists" means, is
//! the same, so it is written once here.

use time::OffsetDateTime;
use uuid::Uuid;

use super::Rejection;

/// `details` is `None` before the record is created and after it is deleted;
/// `id` and `created_at` stay once set (a deleted id is never reused).
#[derive(Debug, Clone)]
pub struct Record<D> {
    pub id: Option<Uuid>,
    pub details: Option<D>,
    /// When it was created and last changed (for views built from the state).
    pub created_at: Option<OffsetDateTime>,
    pub updated_at: Option<OffsetDateTime>,
}

impl<D> Default for Record<D> {
    fn default() -> Self {
        Self { id: None, details: None, created_at: None, updated_at: None }
    }
}

impl<D: Clone> Record<D> {
    /// Folds the creation event.
    pub fn created(&mut self, id: Uuid, details: &D, at: OffsetDateTime) {
        self.id = Some(id);
        self.created_at = Some(at);
        self.updated(details, at);
    }

    /// Folds an update event: the details it carries replace the old ones.
    pub fn updated(&mut self, details: &D, at: OffsetDateTime) {
        self.details = Some(details.clone());
        self.updated_at = Some(at);
    }

    /// Folds the deletion event.
    pub fn deleted(&mut self) {
        self.details = None;
    }
}

impl<D> Record<D> {
    /// The id and details of a live record; `NotFound(not_found)` (a 404)
    /// before creation or after deletion.
    pub fn existing(&self, not_found: &str) -> Result<(Uuid, &D), Rejection> {
        match (self.id, &self.details) {
            (Some(id), Some(details)) => Ok((id, details)),
            _ => Err(Rejection::NotFound(not_found.into())),
        }
    }

    /// What a view of a live record needs: id, details, created and updated
    /// times; `None` unless it exists.
    pub fn live(&self) -> Option<(Uuid, &D, OffsetDateTime, OffsetDateTime)> {
        Some((self.id?, self.details.as_ref()?, self.created_at?, self.updated_at?))
    }
}
