//! GET /evaluations/{id}/warnings: what does not add up in the self-assessment (§7), for every
//! party of the evaluation; never blocking.

use crate::domain::warnings::Warning;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Warnings {
    pub items: Vec<Warning>,
}
