//! pinggu (评估): the evaluation of government-purchased social work service stations.
//! See DESIGN.md of the project for the domain; README.md for running it.
//!
//! Layers, each importing only those below (`tests/api/layers.rs` checks it from the source):
//! `api` (JSON) and `web` (pages), which never import each other, over `app` (the use cases,
//! `AppError`, the page reads), over `domain` (pure rules: the workflow table, the arithmetic,
//! `EvaluationAccess`), `db`, `auth`, `report`, `notify`, `excel` and `storage`. A rule goes in
//! `domain`, a use case in `app`, a route in `api`, a page in `web`.

pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod db;
pub mod demo;
pub mod domain;
pub mod excel;
pub mod http;
pub mod metrics;
pub mod notify;
pub mod report;
pub mod schemes;
pub mod security;
pub mod settings;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod web;
