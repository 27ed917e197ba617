//! The application layer: one module per aggregate, each holding the use cases of its
//! resource (`…_for` functions) with their commands and views. The API (`api/`) and the pages
//! (`web/`) call these and only map the answer to HTTP or to a page; a rule of what may happen
//! lives here or below (`domain/`), never in a handler. Reads and writes go through `db/`;
//! every write to an evaluation is serialized by `db::evaluation_transaction`, through
//! `standing::evaluation_write`, which refreshes its stored standing before commit.

pub mod access;
pub mod admin;
pub mod attachments;
pub mod auth;
pub mod batches;
pub mod clients;
pub mod components;
pub mod error;
pub mod evaluation_page;
pub mod evaluations;
pub mod feedback;
pub mod health;
pub mod imports;
pub mod indicators;
pub mod input;
pub mod me;
pub mod notifications;
pub mod organizations;
pub mod panel;
pub mod password_links;
pub mod programme;
pub mod readings;
pub mod rectifications;
pub mod reports;
pub mod schemes;
pub mod score;
pub mod self_assessment;
pub mod staff;
pub mod standing;
pub mod stations;
pub mod survey;
pub mod users;
pub mod views;
pub mod warnings;
pub mod workbooks;
pub mod workflow;

pub use error::{AppError, FieldError};
